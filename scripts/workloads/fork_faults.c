/* Kernel side of the fork experiments of scripts/validate-kernel-faults: what the running Linux kernel counts as
 * minor and major page faults (getrusage(RUSAGE_SELF) ru_minflt / ru_majflt) around fork and copy-on-write, one JSON
 * line per measured phase, in the format of faults.c. examples/validate-kernel-fork.toml performs the same
 * operations in vmsim; docs/validation.md ("fork and copy-on-write") has the results.
 *
 * usage: fork_faults [ROUNDS]     (default 3; round 0 is a warm-up, as in faults.c)
 *
 * Every phase is measured in the process that performs it: a child measures with RUSAGE_SELF in itself and sends
 * its deltas to the parent through a pipe created before the fork; a parent phase after wait() is measured in the
 * parent. Between the two getrusage calls the process runs only the operations named.
 *
 * Pitfalls this program avoids:
 *  - After fork every private writable page of both processes is write-protected, the stack and .data/.bss
 *    included, so the first store to a stack page after fork faults (copy-on-write, or reuse once the other process
 *    has exited). Each measurement therefore calls getrusage twice (a dry run at the same stack depth) before the
 *    measured pair, and the region's addresses are kept in registers.
 *  - A region must not merge with a neighbouring anonymous VMA: a merged VMA would take over its neighbour's
 *    anon_vma, and whether a VMA has an anon_vma decides whether fork copies its PTEs (vma_needs_copy). Each region
 *    is mapped in the middle of a PROT_NONE reservation (different vm_flags: no merge).
 *  - THP and mTHP: PR_SET_THP_DISABLE for the process and MADV_NOHUGEPAGE on every region.
 *
 * With CAP_SYS_ADMIN, /proc/self/pagemap shows page frame numbers; each line then also says how many of the
 * region's pages are in a different frame after the phase than before it ("new_frames": a copy, or a fresh page
 * for a zero-page or not-present PTE; 0 for a reused page), -1 when the PFNs are hidden. Information only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL
#define NPAGES 256UL                 /* the usual region: 1 MiB */
#define LEN (NPAGES * PAGE)
#define LARGE_PAGES 16384UL          /* the large fork: 64 MiB */
#define LARGE_LEN (LARGE_PAGES * PAGE)

struct counts {
    long min, maj;
};

/* What a child sends back. */
struct msg {
    struct counts before, after;
    long new_frames;
};

static struct counts now(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) {
        perror("getrusage");
        _exit(2);
    }
    return (struct counts){ru.ru_minflt, ru.ru_majflt};
}

static void die(const char *what) {
    fprintf(stderr, "fork_faults: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void report(int round, const char *name, unsigned long pages, struct counts before, struct counts after,
                   long new_frames) {
    printf("{\"round\":%d,\"experiment\":\"%s\",\"pages\":%lu,\"min_flt\":%ld,\"maj_flt\":%ld,\"new_frames\":%ld}\n",
           round, name, pages, after.min - before.min, after.maj - before.maj, new_frames);
    fflush(stdout);
}

/* Runs BODY between two getrusage calls, after a dry run of the pair at the same stack depth (after fork the stack
 * pages are write-protected: the dry run takes those faults outside the measurement). */
#define MEASURE_INTO(b, a, body)                                                                                    \
    do {                                                                                                            \
        b = now();                                                                                                  \
        a = now();                                                                                                  \
        b = now();                                                                                                  \
        body;                                                                                                       \
        a = now();                                                                                                  \
    } while (0)

/* LEN bytes of MAP_PRIVATE|MAP_ANONYMOUS read-write memory, MADV_NOHUGEPAGE, between two PROT_NONE guard pages so
 * that it merges with no other VMA (and so has an anon_vma only once it is written). */
static char *map_isolated(unsigned long len) {
    char *res = mmap(NULL, len + 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (res == MAP_FAILED)
        die("mmap(reserve)");
    char *p = mmap(res + PAGE, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p != res + PAGE)
        die("mmap(MAP_FIXED)");
    if (madvise(p, len, MADV_NOHUGEPAGE) != 0)
        die("madvise(MADV_NOHUGEPAGE)");
    return p;
}

static void unmap_isolated(char *p, unsigned long len) {
    if (munmap(p - PAGE, len + 2 * PAGE) != 0)
        die("munmap");
}

static void read_range(const volatile char *p, unsigned long len) {
    for (unsigned long off = 0; off < len; off += PAGE)
        (void)p[off];
}

static void write_range(volatile char *p, unsigned long len) {
    for (unsigned long off = 0; off < len; off += PAGE)
        p[off] = 0x5a;
}

/* Page frame numbers of NPAGES pages at P from /proc/self/pagemap (0: not present, or hidden without
 * CAP_SYS_ADMIN). Buffers are static and written before any measurement. */
static uint64_t pfn_before[NPAGES], pfn_after[NPAGES];
static int pagemap_fd = -1;

static void pfns(const char *p, uint64_t *out) {
    memset(out, 0, NPAGES * sizeof *out);
    if (pagemap_fd < 0)
        return;
    off_t off = (off_t)((uintptr_t)p / PAGE * sizeof(uint64_t));
    if (pread(pagemap_fd, out, NPAGES * sizeof *out, off) != (ssize_t)(NPAGES * sizeof *out)) {
        memset(out, 0, NPAGES * sizeof *out);
        return;
    }
    for (unsigned long i = 0; i < NPAGES; i++)
        out[i] = (out[i] >> 63) ? (out[i] & ((1ULL << 55) - 1)) : 0;
}

static void reopen_pagemap(void) {
    if (pagemap_fd >= 0)
        close(pagemap_fd);
    pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
}

/* Pages now in another frame than in pfn_before; -1 when PFNs are hidden. */
static long new_frames(const char *p) {
    pfns(p, pfn_after);
    long n = 0;
    int visible = 0;
    for (unsigned long i = 0; i < NPAGES; i++) {
        visible |= pfn_before[i] != 0 || pfn_after[i] != 0;
        n += pfn_before[i] != pfn_after[i];
    }
    return visible ? n : -1;
}

/* fork() with a pipe for the child's result. In the child returns 0 with *wfd set; in the parent returns the pid
 * with *rfd set. */
static pid_t fork_with_pipe(int *rfd, int *wfd) {
    int fd[2];
    if (pipe(fd) != 0)
        die("pipe");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(fd[0]);
        *wfd = fd[1];
    } else {
        close(fd[1]);
        *rfd = fd[0];
    }
    return pid;
}

static void child_send(int wfd, struct counts b, struct counts a, long frames) {
    struct msg m = {b, a, frames};
    if (write(wfd, &m, sizeof m) != (ssize_t)sizeof m)
        _exit(3);
    _exit(0);
}

static struct msg parent_receive(int rfd, pid_t pid) {
    struct msg m;
    if (read(rfd, &m, sizeof m) != (ssize_t)sizeof m)
        die("read(child result)");
    close(rfd);
    int status;
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "fork_faults: child failed (status %d)\n", status);
        exit(2);
    }
    return m;
}

static void reap(pid_t pid) {
    int status;
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid");
}

/* Waits until task PID sleeps (state S in /proc/PID/stat: the child of fork_parent_first blocked in read()). While
 * the child still runs its way out of fork() on the other core, the parent's measurement of 256 writes gave 257 in
 * about 1 of 15 rounds on the test machine; with the child asleep first, 256 every time. */
static void wait_until_sleeping(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    for (int tries = 0; tries < 100000; tries++) {
        FILE *f = fopen(path, "r");
        if (!f)
            die("fopen(/proc/PID/stat)");
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        char *close_paren = strrchr(buf, ')');
        if (close_paren && close_paren[1] == ' ' && close_paren[2] == 'S')
            return;
        usleep(100);
    }
    fprintf(stderr, "fork_faults: child %d never blocked\n", (int)pid);
    exit(2);
}

/* Child-side phase: in the child, measure BODY and send the result; in the parent, wait and report it as NAME. */
#define CHILD_PHASE(round, name, region, pages, body)                                                               \
    do {                                                                                                            \
        int rfd_, wfd_;                                                                                             \
        pid_t pid_ = fork_with_pipe(&rfd_, &wfd_);                                                                  \
        if (pid_ == 0) {                                                                                            \
            struct counts b_, a_;                                                                                   \
            MEASURE_INTO(b_, a_, body);                                                                             \
            reopen_pagemap(); /* the inherited descriptor shows the parent's page tables */                         \
            child_send(wfd_, b_, a_, new_frames(region));                                                           \
        }                                                                                                           \
        struct msg m_ = parent_receive(rfd_, pid_);                                                                 \
        report(round, name, pages, m_.before, m_.after, m_.new_frames);                                             \
    } while (0)

/* Parent-side phase (after the child was reaped). */
#define PARENT_PHASE(round, name, region, pages, body)                                                              \
    do {                                                                                                            \
        pfns(region, pfn_before);                                                                                   \
        struct counts b_, a_;                                                                                       \
        MEASURE_INTO(b_, a_, body);                                                                                 \
        report(round, name, pages, b_, a_, new_frames(region));                                                     \
    } while (0)

static void round_of_experiments(int round) {
    /* fork_child_write. The parent writes 256 pages (exclusive anonymous pages; the write gives the VMA its
     * anon_vma), forks, and the child writes them. fork: vma_needs_copy() is true (src_vma->anon_vma), so
     * copy_page_range -> copy_pte_range -> copy_present_pte copies every PTE, write-protected in both processes
     * (folio_try_dup_anon_rmap_pte clears PageAnonExclusive). The child's write: do_wp_page ->
     * wp_can_reuse_anon_folio is false (the parent still maps the folio: refcount 2) -> wp_page_copy. Expected:
     * 256 minor faults in the child, 256 new frames. */
    char *r = map_isolated(LEN);
    write_range(r, LEN);
    pfns(r, pfn_before);
    CHILD_PHASE(round, "fork_child_write", r, NPAGES, write_range(r, LEN));
    unmap_isolated(r, LEN);

    /* fork_parent_write_after_exit. Same set-up; the child exits at once, the parent reaps it and writes. The
     * parent's PTEs were write-protected by fork, so every write still faults; the child's exit dropped its
     * references (zap_pte_range), so do_wp_page -> wp_can_reuse_anon_folio is true (refcount 1) -> wp_page_reuse:
     * the PTE is made writable in place, no copy. Expected: 256 faults, 0 new frames. */
    r = map_isolated(LEN);
    write_range(r, LEN);
    {
        int rfd, wfd;
        pid_t pid = fork_with_pipe(&rfd, &wfd);
        if (pid == 0)
            _exit(0);
        close(rfd);
        reap(pid);
    }
    PARENT_PHASE(round, "fork_parent_write_after_exit", r, NPAGES, write_range(r, LEN));
    unmap_isolated(r, LEN);

    /* fork_both_write: the child writes (copy-on-write: 256 faults, 256 copies) and exits; then the parent writes
     * (its folios are mapped only by the parent again: 256 reuse faults, no copy). This order is deterministic in
     * both the kernel and vmsim (the parent waits). */
    r = map_isolated(LEN);
    write_range(r, LEN);
    pfns(r, pfn_before);
    CHILD_PHASE(round, "fork_both_write.child", r, NPAGES, write_range(r, LEN));
    PARENT_PHASE(round, "fork_both_write.parent", r, NPAGES, write_range(r, LEN));
    unmap_isolated(r, LEN);

    /* fork_parent_first: the interleaved order. The parent writes 256 pages and forks; the child blocks on a pipe
     * while the parent writes them (the child still maps every folio: refcount 2, do_wp_page -> wp_page_copy, 256
     * faults and 256 copies), then lets the child write (each original folio is now mapped by the child alone:
     * wp_can_reuse_anon_folio -> wp_page_reuse, 256 faults, no copy). The parent measures only once the child is
     * asleep in read() (wait_until_sleeping). */
    r = map_isolated(LEN);
    write_range(r, LEN);
    pfns(r, pfn_before);
    {
        int go[2];
        if (pipe(go) != 0)
            die("pipe");
        int rfd, wfd;
        pid_t pid = fork_with_pipe(&rfd, &wfd);
        if (pid == 0) {
            close(go[1]);
            char c;
            if (read(go[0], &c, 1) != 1)
                _exit(4);
            struct counts b, a;
            MEASURE_INTO(b, a, write_range(r, LEN));
            reopen_pagemap();
            child_send(wfd, b, a, new_frames(r)); /* against the frames before the fork */
        }
        close(go[0]);
        wait_until_sleeping(pid);
        PARENT_PHASE(round, "fork_parent_first.parent", r, NPAGES, write_range(r, LEN));
        if (write(go[1], "g", 1) != 1)
            die("write(pipe)");
        close(go[1]);
        struct msg m = parent_receive(rfd, pid);
        report(round, "fork_parent_first.child", NPAGES, m.before, m.after, m.new_frames);
    }
    unmap_isolated(r, LEN);

    /* fork_zeropage: the parent only reads the region (every PTE maps the shared zero page), forks; the child
     * writes, exits; the parent writes. do_anonymous_page maps the zero page without anon_vma_prepare, so the VMA
     * has no anon_vma, vma_needs_copy() is false and fork copies no PTE of it: the child's writes are faults on
     * not-present PTEs (do_anonymous_page, 256). The parent's writes hit zero-page PTEs: do_wp_page -> wp_page_copy
     * of the zero page (256). Expected: 256 and 256. */
    r = map_isolated(LEN);
    read_range(r, LEN);
    pfns(r, pfn_before);
    CHILD_PHASE(round, "fork_zeropage.child_write", r, NPAGES, write_range(r, LEN));
    PARENT_PHASE(round, "fork_zeropage.parent_write", r, NPAGES, write_range(r, LEN));
    unmap_isolated(r, LEN);

    /* fork_zeropage_child_read: the parent only reads, forks; the child reads. No anon_vma, so no PTEs copied:
     * 256 faults in the child (each maps the zero page again), although the parent had them all mapped. */
    r = map_isolated(LEN);
    read_range(r, LEN);
    pfns(r, pfn_before);
    CHILD_PHASE(round, "fork_zeropage_child_read", r, NPAGES, read_range(r, LEN));
    unmap_isolated(r, LEN);

    /* fork_zeropage_anonvma_child_read: the parent writes page 0 (which gives the VMA an anon_vma) and reads all
     * 256 pages (255 zero-page PTEs), forks; the child reads. vma_needs_copy() is true: copy_present_pte copies
     * the 255 zero-page PTEs as they are (vm_normal_page() is NULL for the zero page) and page 0 write-protected.
     * Expected: 0 faults in the child. */
    r = map_isolated(LEN);
    write_range(r, PAGE);
    read_range(r, LEN);
    pfns(r, pfn_before);
    CHILD_PHASE(round, "fork_zeropage_anonvma_child_read", r, NPAGES, read_range(r, LEN));
    unmap_isolated(r, LEN);

    /* fork_large_child_read: 64 MiB written by the parent, forked; the child reads all 16384 pages. fork copied
     * all 16384 PTEs (anon_vma present), read-only: reads do not fault. Expected: 0. (new_frames covers the first
     * 256 pages only.) */
    r = map_isolated(LARGE_LEN);
    write_range(r, LARGE_LEN);
    pfns(r, pfn_before);
    CHILD_PHASE(round, "fork_large_child_read", r, LARGE_PAGES, read_range(r, LARGE_LEN));
    unmap_isolated(r, LARGE_LEN);
}

/* A MAP_SHARED|MAP_ANONYMOUS (shmem) region of len bytes at a 64 KiB-aligned address, so fault-around windows
 * (fault_around_bytes = 64 KiB, aligned) are the same on every run; *reserve is what to munmap afterwards. */
static char *map_shared_aligned(unsigned long len, char **reserve) {
    unsigned long align = 64 << 10;
    char *res = mmap(NULL, len + align + 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (res == MAP_FAILED)
        die("mmap(reserve)");
    char *want = (char *)(((unsigned long)res + PAGE + align - 1) & ~(align - 1));
    char *p = mmap(want, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p != want)
        die("mmap(MAP_SHARED|MAP_FIXED)");
    if (madvise(p, len, MADV_NOHUGEPAGE) != 0)
        die("madvise(MADV_NOHUGEPAGE)");
    *reserve = res;
    return p;
}

static void shared_experiments(int round) {
    /* shared_child_write: a MAP_SHARED anonymous region (a shmem object), never touched by the parent, forked;
     * the child writes its 256 pages. fork copies no PTE of a shared VMA (no anon_vma: vma_needs_copy is false);
     * each write faults: shmem_fault -> shmem_get_folio allocates the page into the object's cache. Expected 256.
     * shared_parent_read: the parent, after reaping the child, reads the region: the pages are in the cache, so
     * do_read_fault -> do_fault_around -> filemap_map_pages maps the 16 cached pages of each aligned 64 KiB window
     * at once. Expected 256 / 16 = 16.
     * shared_parent_write_after_read: then the parent writes: a shared writable VMA's vm_page_prot is PAGE_SHARED
     * (shmem needs no write notification), so the PTEs were installed writable and the writes do not fault.
     * Expected 0. */
    char *reserve;
    char *r = map_shared_aligned(LEN, &reserve);
    pfns(r, pfn_before);
    CHILD_PHASE(round, "shared_child_write", r, NPAGES, write_range(r, LEN));
    PARENT_PHASE(round, "shared_parent_read", r, NPAGES, read_range(r, LEN));
    PARENT_PHASE(round, "shared_parent_write_after_read", r, NPAGES, write_range(r, LEN));
    if (munmap(reserve, LEN + (64 << 10) + 2 * PAGE) != 0)
        die("munmap");
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
        fprintf(stderr, "usage: fork_faults [ROUNDS >= 1]\n");
        return 2;
    }
    if (sysconf(_SC_PAGESIZE) != (long)PAGE) {
        fprintf(stderr, "fork_faults: page size is %ld, not 4096\n", sysconf(_SC_PAGESIZE));
        return 2;
    }
    /* Inherited by the children (PR_SET_THP_DISABLE is kept across fork). */
    if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0)
        die("prctl(PR_SET_THP_DISABLE)");
    pagemap_fd = open("/proc/self/pagemap", O_RDONLY);

    struct utsname u;
    if (uname(&u) != 0)
        die("uname");
    char thp[128];
    sysfs_line("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof thp);
    printf("{\"kernel\":\"%s\",\"machine\":\"%s\",\"thp_enabled\":\"%s\",\"rounds\":%d}\n", u.release, u.machine, thp,
           rounds);
    fflush(stdout);

    for (int r = 0; r <= rounds; r++) {
        round_of_experiments(r);
        shared_experiments(r);
    }
    return 0;
}
