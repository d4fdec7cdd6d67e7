#!/usr/bin/env python3
"""Writes pages.trace, the golden tests' page-reference string (crates/vmsim-cli/tests/golden.rs), to stdout.

4000 page numbers (decimal, one per line) over 300 distinct pages from 1000 on, in phases that separate the
replacement policies: a loop slightly larger than a small memory, a skewed hot/cold mix, a one-time scan, and a
return to the loop. A fixed linear congruential generator (Knuth's MMIX constants, seed 42), not Python's random,
so the output does not depend on the Python version.

    python3 gen-pages.py > pages.trace
"""

state = 42


def rand(n):
    global state
    state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
    return (state >> 33) % n


BASE = 1000
refs = []
# 1. a loop over 80 pages, 10 times (800)
for _ in range(10):
    refs += [BASE + p for p in range(80)]
# 2. hot/cold: 80% of references to 20 hot pages, the rest to 180 cold ones (1600)
for _ in range(1600):
    refs.append(BASE + 80 + (rand(20) if rand(10) < 8 else 20 + rand(180)))
# 3. a one-time scan of 20 new pages interleaved with the hot pages (400)
for p in range(200):
    refs += [BASE + 280 + p % 20, BASE + 80 + rand(20)]
# 4. back to the loop, with random references to everything in between (1200)
for i in range(1200):
    refs.append(BASE + (i % 80 if i % 3 else rand(300)))
assert len(refs) == 4000
print("\n".join(str(r) for r in refs))
