/* Kernel side of the file-mapping experiments of scripts/validate-kernel-faults: minor and major faults
 * (getrusage(RUSAGE_SELF) deltas) of file mappings, one JSON line per experiment, as faults.c prints them.
 * examples/validate-kernel-file.toml performs the same operations in vmsim.
 * usage: file_faults [ROUNDS]    (default 3; round 0 is a warm-up and not compared)
 * Every experiment uses a fresh 1 MiB file (256 pages) in the current directory (it must be a disk file system such
 * as ext4, not tmpfs: tmpfs mappings are shmem, with no write notification and no readahead), written with 4 KiB
 * pwrite calls (so the page cache holds order-0 folios) and fsync'd. "cached": the pages stay in the page cache;
 * "uncached": posix_fadvise(POSIX_FADV_DONTNEED) dropped them (clean and unmapped, they go). The file is mapped at a
 * 2 MiB-aligned address, so each aligned 16-page fault-around window is 16 pages of the file, with MADV_NOHUGEPAGE
 * and PR_SET_THP_DISABLE. One access per page unless stated. */
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
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#define PAGE 4096UL
#define NPAGES 256UL
#define LEN (NPAGES * PAGE)
#define ALIGN (2UL << 20)

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
    fprintf(stderr, "file_faults: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void report(int round, const char *name, struct counts before, struct counts after) {
    printf("{\"round\":%d,\"experiment\":\"%s\",\"pages\":%lu,\"min_flt\":%ld,\"maj_flt\":%ld}\n", round, name, NPAGES,
           after.min - before.min, after.maj - before.maj);
    fflush(stdout);
}

#define MEASURE(round, name, body)                                                                                  \
    do {                                                                                                            \
        struct counts before_ = now();                                                                              \
        body;                                                                                                       \
        struct counts after_ = now();                                                                               \
        report(round, name, before_, after_);                                                                       \
    } while (0)

static int counter;

/* A fresh 1 MiB file, written page by page and synced; cached unless DROP. Returns the descriptor. */
static int make_file(int drop) {
    char name[64];
    snprintf(name, sizeof name, "file_faults.%d.%d", (int)getpid(), counter++);
    int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        die("open");
    unlink(name);
    char buf[PAGE];
    for (unsigned long i = 0; i < NPAGES; i++) {
        memset(buf, (int)('a' + i % 26), PAGE);
        if (pwrite(fd, buf, PAGE, (off_t)(i * PAGE)) != (ssize_t)PAGE)
            die("pwrite");
    }
    if (fsync(fd) != 0)
        die("fsync");
    if (drop && posix_fadvise(fd, 0, (off_t)LEN, POSIX_FADV_DONTNEED) != 0)
        die("posix_fadvise");
    return fd;
}

/* Map the file at a 2 MiB-aligned address. */
static volatile char *map_file(int fd, int prot, int flags) {
    char *area = mmap(NULL, LEN + ALIGN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED)
        die("mmap reserve");
    char *at = (char *)(((uintptr_t)area + ALIGN - 1) & ~(ALIGN - 1));
    char *p = mmap(at, LEN, prot, flags | MAP_FIXED, fd, 0);
    if (p == MAP_FAILED)
        die("mmap file");
    if (madvise(p, LEN, MADV_NOHUGEPAGE) != 0)
        die("madvise");
    return p;
}

static void unmap(volatile char *p, int fd) {
    munmap((void *)p, LEN);
    close(fd);
}

static volatile char sink;

static void read_pages(volatile char *p, long first, long last, long step) {
    for (long i = first; step > 0 ? i <= last : i >= last; i += step)
        sink = p[i * (long)PAGE];
}

static void write_pages(volatile char *p) {
    for (unsigned long i = 0; i < NPAGES; i++)
        p[i * PAGE] = 1;
}

/* read_ahead_kb of the block device holding the current directory (the bdi's ra_pages, which file->f_ra
 * starts from), or -1 when /sys does not say (an overlay or other virtual file system). */
static long read_ahead_kb(void) {
    struct stat st;
    if (stat(".", &st) != 0)
        return -1;
    const char *forms[] = {"/sys/dev/block/%u:%u/queue/read_ahead_kb", "/sys/dev/block/%u:%u/../queue/read_ahead_kb",
                           "/sys/class/bdi/%u:%u/read_ahead_kb"};
    for (unsigned i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, forms[i], major(st.st_dev), minor(st.st_dev));
        FILE *f = fopen(path, "r");
        long kb = -1;
        if (f) {
            if (fscanf(f, "%ld", &kb) != 1)
                kb = -1;
            fclose(f);
        }
        if (kb >= 0)
            return kb;
    }
    return -1;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0)
        die("prctl");
    struct utsname u;
    uname(&u);
    printf("{\"kernel\":\"%s\",\"machine\":\"%s\",\"thp_enabled\":\"n/a\",\"read_ahead_kb\":%ld}\n", u.release,
           u.machine, read_ahead_kb());
    for (int round = 0; round <= rounds; round++) {
        int fd;
        volatile char *p;

        fd = make_file(0);
        p = map_file(fd, PROT_READ, MAP_PRIVATE);
        MEASURE(round, "file_cached_read_in_order", read_pages(p, 0, NPAGES - 1, 1));
        unmap(p, fd);

        fd = make_file(0);
        p = map_file(fd, PROT_READ, MAP_PRIVATE);
        MEASURE(round, "file_cached_read_backwards", read_pages(p, NPAGES - 1, 0, -1));
        unmap(p, fd);

        fd = make_file(0);
        p = map_file(fd, PROT_READ, MAP_PRIVATE);
        MEASURE(round, "file_cached_read_sparse", read_pages(p, 3, NPAGES - 1, 7));
        unmap(p, fd);

        fd = make_file(0);
        p = map_file(fd, PROT_READ | PROT_WRITE, MAP_PRIVATE);
        MEASURE(round, "file_private_write", write_pages(p));
        unmap(p, fd);

        fd = make_file(0);
        p = map_file(fd, PROT_READ | PROT_WRITE, MAP_PRIVATE);
        MEASURE(round, "file_private_read", read_pages(p, 0, NPAGES - 1, 1));
        MEASURE(round, "file_private_write_after_read", write_pages(p));
        unmap(p, fd);

        fd = make_file(0);
        p = map_file(fd, PROT_READ | PROT_WRITE, MAP_SHARED);
        MEASURE(round, "file_shared_write", write_pages(p));
        unmap(p, fd);

        fd = make_file(0);
        p = map_file(fd, PROT_READ | PROT_WRITE, MAP_SHARED);
        MEASURE(round, "file_shared_read", read_pages(p, 0, NPAGES - 1, 1));
        MEASURE(round, "file_shared_write_after_read", write_pages(p));
        MEASURE(round, "file_shared_write_after_msync", {
            if (msync((void *)p, LEN, MS_SYNC) != 0)
                die("msync");
            write_pages(p);
        });
        unmap(p, fd);

        fd = make_file(1);
        p = map_file(fd, PROT_READ, MAP_PRIVATE);
        MEASURE(round, "file_uncached_read_sparse", read_pages(p, 0, NPAGES - 1, 64));
        unmap(p, fd);

        fd = make_file(1);
        p = map_file(fd, PROT_READ, MAP_PRIVATE);
        MEASURE(round, "file_uncached_read_in_order", read_pages(p, 0, NPAGES - 1, 1));
        unmap(p, fd);
    }
    return 0;
}
