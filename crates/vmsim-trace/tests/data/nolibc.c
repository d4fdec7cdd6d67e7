/* Source of nolibc.lackey, a complete real lackey capture small enough to commit (valgrind 3.19, x86-64):
 *
 *   gcc -O1 -static -nostdlib nolibc.c -o nolibc
 *   valgrind --tool=lackey --trace-mem=yes ./nolibc 2> nolibc.lackey
 *
 * No libc, so the trace is only this code: the store loop gives 512 S lines, the add-to-memory loop 512 L and
 * 512 M lines, the sum loop 512 more L lines. buf fills exactly one 4 KiB page and the code sits in another. */
static long buf[512];

void _start(void) {
    long s = 0;
    for (int i = 0; i < 512; i++) buf[i] = i;
    for (int i = 0; i < 512; i++) buf[i] += buf[511 - i];
    for (int i = 0; i < 512; i++) s += buf[i];
    __asm__ volatile("mov $60, %%eax; mov %0, %%rdi; syscall" : : "r"(s & 1) : "rax", "rdi");
}
