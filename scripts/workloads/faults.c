/* Kernel side of scripts/validate-kernel-faults: measures what the running Linux kernel counts as minor and major
 * page faults (getrusage(RUSAGE_SELF) ru_minflt / ru_majflt) for a few precisely delimited operations on anonymous
 * private memory, and prints one JSON line per experiment. examples/validate-kernel-faults.toml performs the same
 * operations in vmsim; docs/validation.md explains the comparison.
 *
 * usage: faults [ROUNDS]     (default 3)
 *
 * Round 0 is a warm-up: the first call of each code path can fault on pages of this program's text and data and of
 * the C library (file-backed pages, lazy symbol binding); those faults are not what the experiments measure, so only
 * rounds 1..ROUNDS are meant to be compared. Every round starts from fresh mappings.
 *
 * Each experiment measures the delta of the counters between two getrusage calls made from the same stack depth;
 * between them the program runs only the operations named, on page-aligned addresses, one access per page unless
 * stated. Every region is 256 pages (1 MiB), mapped MAP_PRIVATE|MAP_ANONYMOUS and given MADV_NOHUGEPAGE, and the
 * whole process has PR_SET_THP_DISABLE: a transparent huge page (or an mTHP folio, 6.8+) would map many pages per
 * fault, which vmsim does not model. Build: gcc -O1 -fno-stack-clash-protection (see the stack experiment).
 *
 * After the rounds, three stack experiments run once per process (the pages they touch stay present). stack_grow
 * writes 16 pages (64 KiB) that lie 256 KiB below the caller's frame, in the part of a large local array that
 * nothing else touches, lowest page first. The initial stack VMA is 128 KiB plus the argument pages, so the first
 * write lands below it and the kernel grows the VMA (the [stack] line of /proc/self/maps is printed before and
 * after). With -fstack-clash-protection gcc would probe every page of the array, so it is built without. Then
 * stack_guard_gap_refused and stack_guard_gap_ok try to grow the stack by one page with another mapping 512 KiB and
 * 2 MiB below it (see stack_guard_experiment). Experiments that end in SIGSEGV report its si_code. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#define PAGE 4096UL
#define NPAGES 256UL
#define LEN (NPAGES * PAGE)
#define STACK_GAP (256UL << 10)   /* untouched distance between the caller's frame and the pages written */
#define STACK_TOUCH (64UL << 10)  /* stack pages written: 16 */

struct counts {
    long min, maj;
};

static struct counts now(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) {
        perror("getrusage");
        exit(2);
    }
    return (struct counts){ru.ru_minflt, ru.ru_majflt};
}

static void die(const char *what) {
    fprintf(stderr, "faults: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* PAGES: how many pages the experiment's operations cover. */
static void report(int round, const char *name, unsigned long pages, struct counts before, struct counts after,
                   const char *extra) {
    printf("{\"round\":%d,\"experiment\":\"%s\",\"pages\":%lu,\"min_flt\":%ld,\"maj_flt\":%ld%s}\n", round, name,
           pages, after.min - before.min, after.maj - before.maj, extra ? extra : "");
    fflush(stdout);
}

/* Brackets BODY with getrusage calls and reports the delta. */
#define MEASURE(round, name, body)                                                                                  \
    do {                                                                                                            \
        struct counts before_ = now();                                                                              \
        body;                                                                                                       \
        struct counts after_ = now();                                                                               \
        report(round, name, NPAGES, before_, after_, NULL);                                                         \
    } while (0)

/* mmap + MADV_NOHUGEPAGE; neither touches the pages. */
static char *map_anon(void) {
    void *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
    if (madvise(p, LEN, MADV_NOHUGEPAGE) != 0)
        die("madvise(MADV_NOHUGEPAGE)");
    return p;
}

/* One load (or store) every STRIDE bytes over [p, p + LEN); volatile so that every access is issued. */
static void read_range(const volatile char *p, unsigned long stride) {
    for (unsigned long off = 0; off < LEN; off += stride)
        (void)p[off];
}

static void write_range(volatile char *p, unsigned long stride) {
    for (unsigned long off = 0; off < LEN; off += stride)
        p[off] = 0x5a;
}

/* SIGSEGV: the handler runs on an alternate stack whose pages were all written beforehand (so delivering the signal
 * faults on no new stack page), records si_code and jumps back into the experiment. */
static sigjmp_buf segv_env;
static volatile sig_atomic_t segv_code;
static char altstack[64 << 10];

static void on_segv(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    segv_code = si->si_code;
    siglongjmp(segv_env, 1);
}

static void install_segv_handler(void) {
    memset(altstack, 1, sizeof altstack);
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0)
        die("sigaltstack");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) != 0)
        die("sigaction");
}

/* Like MEASURE for a body that is expected to end in SIGSEGV; reports si_code (-1: no signal). */
#define MEASURE_SEGV(round, name, pages, body)                                                                      \
    do {                                                                                                            \
        segv_code = -1;                                                                                             \
        struct counts before_ = now();                                                                              \
        if (sigsetjmp(segv_env, 1) == 0) {                                                                          \
            body;                                                                                                   \
        }                                                                                                           \
        struct counts after_ = now();                                                                               \
        char extra_[32];                                                                                            \
        snprintf(extra_, sizeof extra_, ",\"si_code\":%d", (int)segv_code);                                         \
        report(round, name, pages, before_, after_, extra_);                                                        \
    } while (0)

static void round_of_experiments(int round) {
    /* (a) read fresh anonymous memory: each page maps the shared zero page. */
    char *a = map_anon();
    MEASURE(round, "read_fresh", read_range(a, PAGE));
    /* (b) write the same pages: each write fault replaces the zero page with a private page. */
    MEASURE(round, "write_after_read", write_range(a, PAGE));

    /* (c) write fresh memory without reading it first. */
    char *b = map_anon();
    MEASURE(round, "write_fresh", write_range(b, PAGE));
    /* (d) read and write again: every page is present and writable. */
    MEASURE(round, "read_after_write", read_range(b, PAGE));
    MEASURE(round, "write_again", write_range(b, PAGE));
    /* (e) mprotect(PROT_READ) then read: the PTEs stay present (read-only); no fault. */
    MEASURE(round, "mprotect_r_read", {
        if (mprotect(b, LEN, PROT_READ) != 0)
            die("mprotect(PROT_READ)");
        read_range(b, PAGE);
    });
    /* (e') mprotect(PROT_READ|PROT_WRITE) then write: the pages are exclusive anonymous pages, so mprotect makes the
     * PTEs writable again (MM_CP_TRY_CHANGE_WRITABLE, can_change_pte_writable) and the writes do not fault. */
    MEASURE(round, "mprotect_rw_write", {
        if (mprotect(b, LEN, PROT_READ | PROT_WRITE) != 0)
            die("mprotect(PROT_READ|PROT_WRITE)");
        write_range(b, PAGE);
    });
    /* mprotect(PROT_NONE) and back to read-write: the PTEs went PROT_NONE (still holding the pages); coming back,
     * they are made writable again like in (e'), so the writes do not fault. */
    MEASURE(round, "mprotect_none_rw_write", {
        if (mprotect(b, LEN, PROT_NONE) != 0 || mprotect(b, LEN, PROT_READ | PROT_WRITE) != 0)
            die("mprotect(PROT_NONE)");
        write_range(b, PAGE);
    });
    /* mmap(MAP_FIXED) over the written region replaces it with a new, empty VMA: zero-page faults again. */
    MEASURE(round, "mmap_fixed_replace_read", {
        if (mmap(b, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != b)
            die("mmap(MAP_FIXED)");
        if (madvise(b, LEN, MADV_NOHUGEPAGE) != 0)
            die("madvise(b)");
        read_range(b, PAGE);
    });

    /* (f) munmap, mmap again, read: a new VMA with no PTEs; zero-page faults again. */
    MEASURE(round, "remap_read", {
        if (munmap(b, LEN) != 0)
            die("munmap");
        b = map_anon();
        read_range(b, PAGE);
    });

    /* Zero-page PTEs are not made writable by mprotect (only exclusive anonymous pages are): after a read of fresh
     * memory, mprotect(PROT_READ) and back to PROT_READ|PROT_WRITE, every write still faults. */
    char *d = map_anon();
    read_range(d, PAGE);
    MEASURE(round, "mprotect_rw_write_zeropage", {
        if (mprotect(d, LEN, PROT_READ) != 0 || mprotect(d, LEN, PROT_READ | PROT_WRITE) != 0)
            die("mprotect(d)");
        write_range(d, PAGE);
    });

    /* 64 stores per page on fresh memory: only the first store to each page faults. */
    char *c = map_anon();
    MEASURE(round, "write_stride64", write_range(c, 64));
    /* (g) MADV_DONTNEED then read: PTEs zapped (madvise_dontneed_single_vma -> zap_page_range_single), VMA kept;
     * zero-page faults again. examples/validate-kernel-madvise.toml is the vmsim side (compared once vmsim has a
     * madvise step). */
    MEASURE(round, "madv_dontneed_read", {
        if (madvise(c, LEN, MADV_DONTNEED) != 0)
            die("madvise(MADV_DONTNEED)");
        read_range(c, PAGE);
    });
    /* then write them: every PTE maps the zero page, so every write faults again (do_wp_page -> wp_page_copy of
     * the zero page). */
    MEASURE(round, "madv_dontneed_write_after_read", write_range(c, PAGE));
    /* MADV_DONTNEED on written pages, then write: zap_page_range_single freed the private pages and cleared the
     * PTEs, so every write is a fault on a not-present PTE (do_anonymous_page), no zero page in between. */
    MEASURE(round, "madv_dontneed_write", {
        if (madvise(c, LEN, MADV_DONTNEED) != 0)
            die("madvise(MADV_DONTNEED)");
        write_range(c, PAGE);
    });

    /* brk heap: grow the break by 256 pages from a page boundary and write them. */
    char *cur = sbrk(0);
    if (cur == (void *)-1)
        die("sbrk");
    uintptr_t pad = (PAGE - (uintptr_t)cur % PAGE) % PAGE;
    if (pad != 0 && sbrk((intptr_t)pad) == (void *)-1)
        die("sbrk(pad)");
    char *heap = cur + pad;
    MEASURE(round, "brk_write", {
        if (sbrk((intptr_t)LEN) == (void *)-1)
            die("sbrk(LEN)");
        if (madvise(heap, LEN, MADV_NOHUGEPAGE) != 0)
            die("madvise(heap)");
        write_range(heap, PAGE);
    });
    /* Shrinking the break unmaps the pages; growing it again gives fresh pages: zero-page read faults. */
    MEASURE(round, "brk_shrink_regrow_read", {
        if (sbrk(-(intptr_t)LEN) == (void *)-1 || sbrk((intptr_t)LEN) == (void *)-1)
            die("sbrk(shrink, regrow)");
        if (madvise(heap, LEN, MADV_NOHUGEPAGE) != 0)
            die("madvise(heap)");
        read_range(heap, PAGE);
    });

    /* A read-only mapping: reading page 0 faults once (zero page); the write to it is refused by the access check
     * (SIGSEGV, SEGV_ACCERR) before handle_mm_fault, so it is not counted. */
    volatile char *ro = mmap(NULL, LEN, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ro == MAP_FAILED || madvise((void *)ro, LEN, MADV_NOHUGEPAGE) != 0)
        die("mmap(PROT_READ)");
    MEASURE_SEGV(round, "segv_write_readonly", 1, {
        (void)ro[0];
        ro[0] = 1;
    });
    /* An address in no VMA (the region just unmapped): SIGSEGV, SEGV_MAPERR, not counted. */
    if (munmap((void *)ro, LEN) != 0)
        die("munmap(ro)");
    MEASURE_SEGV(round, "segv_unmapped", 1, (void)ro[0]);
    /* Instruction fetch from a fresh page of a readable, non-executable mapping: the first fault (page not present)
     * passes the x86 access check and maps the zero page with NX (counted); the retried fetch faults on a present
     * page and gets SIGSEGV, SEGV_ACCERR (not counted). */
    char *nx = map_anon();
    MEASURE_SEGV(round, "exec_nx_fresh", 1, ((void (*)(void))(uintptr_t)nx)());

    if (munmap(a, LEN) != 0 || munmap(b, LEN) != 0 || munmap(c, LEN) != 0 || munmap(d, LEN) != 0 ||
        munmap(nx, LEN) != 0)
        die("munmap");
}

/* The [stack] VMA from /proc/self/maps: start in *lo, size in KiB returned (-1 if not found). */
static long stack_vma(unsigned long *lo) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[512];
    long kib = -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long start, end;
        if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &start, &end) == 2) {
            *lo = start;
            kib = (long)((end - start) >> 10);
        }
    }
    fclose(f);
    return kib;
}

static long stack_vma_kib(void) {
    unsigned long lo;
    return stack_vma(&lo);
}

/* Writes STACK_TOUCH bytes of its frame, one store per page, lowest address first, at the bottom of an array whose
 * upper STACK_GAP bytes stay untouched. With touch == 0 it returns without touching the array (a warm-up of the
 * code path). */
static __attribute__((noinline)) void stack_touch(int touch) {
    volatile char buf[STACK_GAP + STACK_TOUCH + PAGE];
    if (!touch)
        return;
    volatile char *lo = (volatile char *)(((uintptr_t)buf + PAGE - 1) & ~(PAGE - 1));
    for (unsigned long off = 0; off < STACK_TOUCH; off += PAGE)
        lo[off] = 1;
}

static void stack_experiment(int round) {
    stack_touch(0);
    long before_kib = stack_vma_kib();
    struct counts before = now();
    stack_touch(1);
    struct counts after = now();
    long after_kib = stack_vma_kib();
    char extra[128];
    snprintf(extra, sizeof extra, ",\"stack_vma_kib_before\":%ld,\"stack_vma_kib_after\":%ld",
             before_kib, after_kib);
    report(round, "stack_grow", STACK_TOUCH / PAGE, before, after, extra);
}

/* The stack guard gap (mm/mmap.c, 256 pages = 1 MiB by default): the stack VMA starting at S may not grow to
 * within stack_guard_gap of the end of the accessible VMA below it. A one-page mapping is placed with
 * MAP_FIXED_NOREPLACE so that it ends 512 KiB below S (growth refused: the write to S - 4096 gets SIGSEGV,
 * SEGV_MAPERR, not counted), then 2 MiB below S (the stack grows by one page: one fault). */
static void stack_guard_experiment(int round, const char *name, unsigned long distance) {
    unsigned long lo;
    if (stack_vma(&lo) < 0)
        die("no [stack] line in /proc/self/maps");
    char *want = (char *)(lo - distance - PAGE);
    char *m = mmap(want, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (m != want)
        die("mmap(MAP_FIXED_NOREPLACE) below the stack");
    volatile char *below = (volatile char *)(lo - PAGE);
    MEASURE_SEGV(round, name, 1, *below = 1);
    if (munmap(m, PAGE) != 0)
        die("munmap(guard)");
}

static void sysfs_line(const char *path, char *out, size_t n) {
    FILE *f = fopen(path, "r");
    if (!f || !fgets(out, (int)n, f)) {
        snprintf(out, n, "unavailable");
    } else {
        out[strcspn(out, "\n")] = 0;
    }
    if (f)
        fclose(f);
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    if (rounds < 1) {
        fprintf(stderr, "usage: faults [ROUNDS >= 1]\n");
        return 2;
    }
    if (sysconf(_SC_PAGESIZE) != (long)PAGE) {
        fprintf(stderr, "faults: page size is %ld, not 4096\n", sysconf(_SC_PAGESIZE));
        return 2;
    }
    /* No THP or mTHP anywhere in this process (stack and brk heap included); MADV_NOHUGEPAGE is also set per region. */
    if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0)
        die("prctl(PR_SET_THP_DISABLE)");

    install_segv_handler();

    struct utsname u;
    if (uname(&u) != 0)
        die("uname");
    char thp[128];
    sysfs_line("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof thp);
    printf("{\"kernel\":\"%s\",\"machine\":\"%s\",\"thp_enabled\":\"%s\",\"rounds\":%d}\n", u.release, u.machine, thp,
           rounds);
    fflush(stdout);

    for (int r = 0; r <= rounds; r++)
        round_of_experiments(r);
    stack_experiment(rounds);
    stack_guard_experiment(rounds, "stack_guard_gap_refused", 512UL << 10);
    stack_guard_experiment(rounds, "stack_guard_gap_ok", 2UL << 20);
    return 0;
}
