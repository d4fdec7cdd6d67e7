/* A small deterministic workload for scripts/record-lackey-trace: a blocked matrix multiply (regular strides over
 * three 40 KiB matrices) then a walk of a randomly linked list (one node per cache line, 4 MiB, no locality).
 * Sized for roughly 8 million lackey accesses. No input and no randomness from the system: built -static, every run
 * gives the same trace (a dynamically linked build differs in a few loader loads indexed by AT_RANDOM bytes). It
 * prints a checksum to stdout so the compiler keeps the work. */
#include <stdio.h>
#include <stdlib.h>

#define N 72              /* matrix order: 3 x 72 x 72 doubles = 3 x 40.5 KiB */
#define BLOCK 24          /* tile edge: 3 tiles of 4.5 KiB fit in L1 */
#define NODES (1 << 16)   /* list nodes, 64 bytes each: 4 MiB, 1024 pages */
#define WALKS 2

static double a[N][N], b[N][N], c[N][N];

struct node {
    struct node *next;
    long value;
    char pad[48];         /* one node per 64-byte line */
};

/* A fixed linear congruential generator (Knuth's MMIX constants), so every run links the list the same way. */
static unsigned long long lcg_state = 1;
static unsigned long long lcg(void) {
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lcg_state >> 33;
}

static void matmul(void) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            a[i][j] = i + j;
            b[i][j] = (i * 7 + j * 3) % 11;
            c[i][j] = 0;
        }
    for (int ii = 0; ii < N; ii += BLOCK)
        for (int kk = 0; kk < N; kk += BLOCK)
            for (int jj = 0; jj < N; jj += BLOCK)
                for (int i = ii; i < ii + BLOCK; i++)
                    for (int k = kk; k < kk + BLOCK; k++) {
                        double aik = a[i][k];
                        for (int j = jj; j < jj + BLOCK; j++)
                            c[i][j] += aik * b[k][j];
                    }
}

static long walk_list(void) {
    struct node *nodes = malloc(NODES * sizeof *nodes);
    int *order = malloc(NODES * sizeof *order);
    if (!nodes || !order) return -1;
    for (int i = 0; i < NODES; i++) order[i] = i;
    for (int i = NODES - 1; i > 0; i--) { /* Fisher-Yates shuffle */
        int j = (int)(lcg() % (unsigned long long)(i + 1));
        int t = order[i]; order[i] = order[j]; order[j] = t;
    }
    for (int i = 0; i < NODES; i++) {
        nodes[order[i]].next = &nodes[order[(i + 1) % NODES]];
        nodes[order[i]].value = i;
    }
    long sum = 0;
    struct node *p = &nodes[order[0]];
    for (int w = 0; w < WALKS * NODES; w++) {
        sum += p->value;
        p = p->next;
    }
    free(order);
    free(nodes);
    return sum;
}

int main(void) {
    matmul();
    double trace = 0;
    for (int i = 0; i < N; i++) trace += c[i][i];
    long sum = walk_list();
    printf("matmul trace %.0f, list sum %ld\n", trace, sum);
    return 0;
}
