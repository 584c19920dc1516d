/*
 * A library the CPU stress test loads and unloads over and over: its
 * constructor burns a little CPU in dlib_burn, so samples land in code that
 * comes and goes, and the unwind table must follow it.
 */
#include <stdint.h>

static volatile uint64_t dlib_sink;

__attribute__((noinline)) void dlib_burn(void);
__attribute__((noinline)) void dlib_burn(void)
{
    uint64_t x = 1;
    for (int i = 0; i < 200000; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    dlib_sink = x;
}

__attribute__((constructor)) static void dlib_init(void)
{
    dlib_burn();
}
