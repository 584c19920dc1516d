/*
 * realloc of sampled blocks, run at HEARTH_ALLOC_RATE=1 (every block
 * sampled): a block grown by realloc moves its weight from the malloc's
 * stack to the realloc's; a failed realloc leaves the old block where it
 * was, and a later free of it takes it out; realloc(p, 0) frees. heap.sh
 * reads the exit dump's bytes per stack.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void *volatile keep[4];

/* Code after each call keeps it a call, not a jump, so that every site is
 * a frame of its own. */
#define NO_TAIL(x) do { void *r_ = (x); __asm__ volatile("" : : "r"(r_) : "memory"); return r_; } while (0)

__attribute__((noinline)) static void *first_alloc(size_t n)
{
    NO_TAIL(malloc(n));
}

__attribute__((noinline)) static void *grow_site(void *p, size_t n)
{
    NO_TAIL(realloc(p, n));
}

__attribute__((noinline)) static void *fail_site(void *p)
{
    NO_TAIL(realloc(p, SIZE_MAX / 2));
}

__attribute__((noinline)) static void *zero_site(void *p)
{
    NO_TAIL(realloc(p, 0));
}

int main(void)
{
    void *a = first_alloc(1000);
    keep[0] = grow_site(a, 300000);
    void *b = first_alloc(2000);
    if (fail_site(b) != NULL)
        return 1;
    keep[1] = b; /* still first_alloc's: 2000 bytes */
    /* A block whose realloc failed is still a sampled block: its free
     * takes its weight out. */
    void *d = first_alloc(2500);
    if (fail_site(d) != NULL)
        return 1;
    free(d);
    void *c = first_alloc(3000);
    keep[2] = zero_site(c); /* NULL: freed */
    keep[3] = first_alloc(4096);
    if (!keep[0] || keep[2])
        return 1;
    puts("done");
    return 0;
}
