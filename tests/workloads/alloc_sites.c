/*
 * Known allocations for the heap sampler's accuracy tests: site A keeps
 * 64 MiB live, site B 32 MiB live, site C allocates and frees 512 MiB, each
 * in blocks of several sizes (1 KiB to 1 MiB), behind noinline functions so
 * each site has its own stack. Built with -O2 and no frame pointers by the
 * tests. It prints how many blocks of each size each site made, so a test
 * can compute the spread that Poisson sampling predicts.
 * Usage: alloc_sites [scale]   (totals are multiplied by scale/16; 16 = full)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

static volatile uintptr_t sink;
static const size_t sizes[] = {1024, 16384, 262144, 1048576};
#define NSIZES 4
static size_t made[3][NSIZES]; /* blocks per site and size */

/* Fills a pointer array with blocks totalling `total` bytes, cycling sizes
 * (totals are multiples of the cycle, so every block has a listed size). */
static NOINLINE size_t fill(void **keep, size_t max, size_t total, int site)
{
    size_t n = 0, bytes = 0, k = 0;
    while (bytes < total && n < max) {
        size_t s = sizes[k % NSIZES];
        if (bytes + s > total)
            break;
        keep[n] = malloc(s);
        memset(keep[n], 1, 64);
        made[site][k % NSIZES]++;
        k++;
        bytes += s;
        n++;
    }
    return n;
}

static NOINLINE size_t a_inner(void **keep, size_t max, size_t total) { size_t n = fill(keep, max, total, 0); sink += n; return n; }
static NOINLINE size_t a_outer(void **keep, size_t max, size_t total) { size_t n = a_inner(keep, max, total); sink += n; return n; }
static NOINLINE size_t b_inner(void **keep, size_t max, size_t total) { size_t n = fill(keep, max, total, 1); sink += n; return n; }
static NOINLINE size_t b_outer(void **keep, size_t max, size_t total) { size_t n = b_inner(keep, max, total); sink += n; return n; }

static NOINLINE void c_churn(size_t total)
{
    size_t bytes = 0, k = 0;
    while (bytes < total) {
        size_t s = sizes[k % NSIZES];
        if (bytes + s > total)
            break;
        void *p = malloc(s);
        memset(p, 2, 64);
        made[2][k % NSIZES]++;
        k++;
        sink += (uintptr_t)p;
        free(p);
        bytes += s;
    }
}

static NOINLINE void c_outer(size_t total) { c_churn(total); sink++; }

/* Site D: allocations inside a qsort comparator, so the sampled stacks run
 * through glibc's qsort (built without frame pointers) back to main. */
static NOINLINE int d_compare(const void *a, const void *b)
{
    void *p = malloc(8192);
    memset(p, 4, 64);
    sink += (uintptr_t)p;
    free(p);
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static NOINLINE void d_sort(void)
{
    int v[4096];
    for (int i = 0; i < 4096; i++)
        v[i] = (i * 7919) % 4096;
    qsort(v, 4096, sizeof *v, d_compare);
    sink += (uintptr_t)v[0];
}

int main(int argc, char **argv)
{
    size_t scale = argc > 1 ? strtoul(argv[1], NULL, 10) : 16;
    size_t mib = (size_t)1 << 20;
    size_t max = 4 << 20;
    void **a = malloc(max * sizeof *a), **b = malloc(max * sizeof *b);
    size_t na = a_outer(a, max, 64 * mib * scale / 16);
    size_t nb = b_outer(b, max, 32 * mib * scale / 16);
    c_outer(512 * mib * scale / 16);
    d_sort();
    printf("alloc_sites: A %zu blocks, B %zu blocks\n", na, nb);
    /* "blocks SITE SIZE COUNT" lines for the tests' error model. */
    for (int site = 0; site < 3; site++)
        for (int k = 0; k < NSIZES; k++)
            printf("blocks %c %zu %zu\n", "ABC"[site], sizes[k], made[site][k]);
    /* The dump at exit sees A and B live. */
    return 0;
}
