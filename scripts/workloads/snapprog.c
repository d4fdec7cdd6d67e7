#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* A small process to snapshot: 256 KiB of repeated records (mergeable between two copies, compressible),
   256 KiB of zeros touched by writes, and 64 KiB of pseudo-random bytes. Prints READY and sleeps. */
int main(void) {
    size_t n = 256 << 10;
    char *rec = malloc(n);
    for (size_t i = 0; i < n; i++) rec[i] = "record 0123456789 abcdefghij\n"[i % 29];
    char *z = malloc(256 << 10);
    for (size_t i = 0; i < (256 << 10); i += 4096) z[i] = 0;
    memset(z, 0, 256 << 10);
    unsigned char *r = malloc(64 << 10);
    unsigned x = 12345;
    for (size_t i = 0; i < (64 << 10); i++) { x = x * 1103515245u + 12345u; r[i] = x >> 16; }
    printf("READY\n"); fflush(stdout);
    sleep(60);
    return rec[5] + z[7] + r[3];
}
