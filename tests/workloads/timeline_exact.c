/*
 * The timeline's heap counters are exact: between two marks the process
 * allocates a known set of blocks (malloc, calloc, realloc, memalign,
 * posix_memalign, aligned_alloc, a large mmap'd block) and does nothing
 * else, sleeping long enough for several ticks on each side.
 * Usage: timeline_exact SLEEP_SECONDS. Prints "expect BYTES OBJECTS": the
 * usable bytes (malloc_usable_size) and count of the blocks alive between
 * the marks "allocated" and "freed".
 */
#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void mark(const char *label)
{
    int (*fn)(const char *) = (int (*)(const char *))dlsym(RTLD_DEFAULT, "hearth_mark");
    if (fn)
        fn(label);
}

int main(int argc, char **argv)
{
    useconds_t pause = (useconds_t)(atof(argc > 1 ? argv[1] : "0.5") * 1e6);
    printf("start\n"); /* stdout's buffer is allocated before the baseline */
    fflush(stdout);
    void *b[64];
    int n = 0;
    usleep(pause);
    mark("baseline");
    for (int i = 0; i < 40; i++)
        b[n++] = malloc((size_t)(1 + i * 37));
    b[n++] = calloc(100, 24);
    b[n++] = malloc(2 << 20); /* mmap'd */
    void *r = malloc(10);
    b[n++] = realloc(r, 5000);
    b[n++] = memalign(256, 3000);
    void *pm;
    if (posix_memalign(&pm, 64, 777) == 0)
        b[n++] = pm;
    b[n++] = aligned_alloc(128, 1024);
    void *gone = malloc(4000);
    free(gone);
    size_t bytes = 0;
    for (int i = 0; i < n; i++)
        bytes += malloc_usable_size(b[i]);
    mark("allocated");
    usleep(pause);
    for (int i = 0; i < n; i++)
        free(b[i]);
    mark("freed");
    usleep(pause);
    printf("expect %zu %d\n", bytes, n);
    return 0;
}
