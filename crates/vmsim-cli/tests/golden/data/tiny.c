/* The workload of lackey-tiny.trace, the golden tests' lackey trace (crates/vmsim-cli/tests/golden.rs).
 *
 * No C library, no input, no randomness from the system: every run executes the same instructions on the same
 * addresses (a static non-PIE binary at a fixed address, and no stack accesses). It touches a 1 MiB buffer
 * (256 pages) in four phases, so a replay at a small --memory reclaims and swaps:
 *   1. first touch: a store every 1 KiB (demand-zero faults on all 256 pages)
 *   2. three sequential read passes, one load per page (a loop larger than a small RAM: thrashing)
 *   3. a hot set of 16 pages read 16 times over (stays resident)
 *   4. 3000 loads and stores at pseudo-random offsets (a fixed linear congruential generator)
 *
 * Recorded with gcc 12.2.0 and valgrind 3.19.0 (the trace is the lackey log without valgrind's ==pid== lines,
 * which vary by run; re-recording in a different environment gave the same trace):
 *   gcc -O1 -static -nostdlib -fno-pie -no-pie -fno-stack-protector -o tiny tiny.c
 *   valgrind --tool=lackey --trace-mem=yes --log-file=raw.txt ./tiny
 *   grep -v '^==' raw.txt > lackey-tiny.trace
 */
#define PAGE 4096
#define PAGES 256

static unsigned char buf[PAGES * PAGE];
static volatile unsigned long sink;

/* Knuth's MMIX constants, seed 1. */
static unsigned long long lcg_state = 1;
static unsigned long long lcg(void) {
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lcg_state >> 33;
}

static void work(void) {
    unsigned long sum = 0;
    for (unsigned long i = 0; i < PAGES * PAGE; i += 1024)
        buf[i] = (unsigned char)(i >> 10);
    for (unsigned long pass = 0; pass < 3; pass++)
        for (unsigned long p = 0; p < PAGES; p++)
            sum += buf[p * PAGE + pass * 8];
    for (unsigned long pass = 0; pass < 16; pass++)
        for (unsigned long p = 0; p < 16; p++)
            for (unsigned long k = 0; k < 4; k++)
                sum += buf[(64 + p) * PAGE + k * 1024 + pass];
    for (unsigned long n = 0; n < 3000; n++) {
        unsigned long off = lcg() % (PAGES * PAGE);
        if (n % 4 == 0)
            buf[off] = (unsigned char)n;
        else
            sum += buf[off];
    }
    sink = sum;
}

__attribute__((noreturn)) void _start(void) {
    work();
    __asm__ volatile("mov $231, %eax\n\txor %edi, %edi\n\tsyscall"); /* exit_group(0) */
    __builtin_unreachable();
}
