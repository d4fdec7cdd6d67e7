/* The parse floor of issue 13: the least work any tool must do to read a trace, for scripts/bench-vs-parse-floor.
 *
 *   parse-floor pages FILE    one page number per line (decimal, or hex with 0x), '#' comments and blank lines
 *   parse-floor lackey FILE   valgrind lackey lines: "I  ADDR,SIZE", " L ADDR,SIZE", " S ...", " M ..."; other
 *                             lines (valgrind's "==PID==" banner) skipped
 *
 * It reads the file in 1 MiB blocks, decodes every record the way vmsim's readers must (kind, address, size), and
 * folds them into a checksum so the compiler cannot drop the work; it does no error reporting, no batching and no
 * second thread. Prints "records lines checksum". Built by the script with `cc -O2`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK (1 << 20)

static uint64_t records, lines, checksum;

static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void pages_line(const unsigned char *p, const unsigned char *end) {
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    if (p == end || *p == '#' || *p == '\r') return;
    uint64_t v = 0;
    if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        int h;
        for (p += 2; p < end && (h = hexval(*p)) >= 0; p++) v = v << 4 | (uint64_t)h;
    } else {
        for (; p < end && *p >= '0' && *p <= '9'; p++) v = v * 10 + (uint64_t)(*p - '0');
    }
    records++;
    checksum = checksum * 31 + v;
}

static void lackey_line(const unsigned char *p, const unsigned char *end) {
    if (end - p < 4) return;
    unsigned char kind = p[0] == 'I' ? 'I' : p[1];
    if (kind != 'I' && kind != 'L' && kind != 'S' && kind != 'M') return;
    p += 2;
    while (p < end && *p == ' ') p++;
    uint64_t addr = 0, size = 0;
    int h;
    for (; p < end && (h = hexval(*p)) >= 0; p++) addr = addr << 4 | (uint64_t)h;
    if (p < end && *p == ',') p++;
    for (; p < end && *p >= '0' && *p <= '9'; p++) size = size * 10 + (uint64_t)(*p - '0');
    records += kind == 'M' ? 2 : 1;
    checksum = checksum * 31 + (addr ^ size ^ kind);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: parse-floor pages|lackey FILE\n");
        return 2;
    }
    int lackey = strcmp(argv[1], "lackey") == 0;
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    unsigned char *buf = malloc(BLOCK + 4096);
    size_t kept = 0, n;
    while ((n = fread(buf + kept, 1, BLOCK, f)) > 0 || kept > 0) {
        size_t len = kept + n;
        const unsigned char *p = buf, *end = buf + len, *nl;
        while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            lines++;
            if (lackey) lackey_line(p, nl); else pages_line(p, nl);
            p = nl + 1;
        }
        kept = (size_t)(end - p);
        if (n == 0) { /* last line without a newline */
            if (kept) { lines++; if (lackey) lackey_line(p, end); else pages_line(p, end); }
            break;
        }
        if (kept > 4096) { fprintf(stderr, "line too long\n"); return 2; }
        memmove(buf, p, kept);
    }
    printf("%llu %llu %llu\n", (unsigned long long)records, (unsigned long long)lines, (unsigned long long)checksum);
    return 0;
}
