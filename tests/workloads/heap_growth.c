/*
 * A heap that only grows: STEPS times, MIB MiB more kept live at
 * grow_site, MS milliseconds apart, then a pause of 4*MS before exit (so
 * the last step is seen by a tick). For HEARTH_DUMP_GROWTH: usage
 * heap_growth STEPS MIB MS [signal]. With "signal", the process also sends
 * itself the dump signal (SIGUSR2) 2*MS after the first step, a dump whose
 * own memory must not count as the service's growth, and before it exits
 * waits up to 20 s for $HEARTH_OUT.PID.2.heap.pb.gz (the first is the
 * growth dump), so that exit never cuts that dump short.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts))
        ;
}

/* 64 KiB blocks, written so they are really in use. */
__attribute__((noinline)) static void grow_site(void **keep, int n)
{
    for (int i = 0; i < n; i++) {
        keep[i] = malloc(64 << 10);
        if (!keep[i])
            exit(1);
        memset(keep[i], 1, 64 << 10);
    }
}

int main(int argc, char **argv)
{
    if (argc != 4 && !(argc == 5 && !strcmp(argv[4], "signal")))
        return 2;
    int steps = atoi(argv[1]), mib = atoi(argv[2]);
    long ms = atol(argv[3]);
    if (steps <= 0 || mib <= 0 || ms <= 0)
        return 2;
    void **keep = calloc((size_t)steps * mib * 16, sizeof *keep);
    if (!keep)
        return 1;
    for (int s = 0; s < steps; s++) {
        grow_site(keep + (size_t)s * mib * 16, mib * 16);
        pause_ms(ms);
        if (s == 0 && argc == 5) {
            pause_ms(ms);
            kill(getpid(), SIGUSR2);
        }
    }
    pause_ms(4 * ms);
    if (argc == 5) {
        const char *prefix = getenv("HEARTH_OUT");
        char path[4096];
        snprintf(path, sizeof path, "%s.%d.2.heap.pb.gz", prefix ? prefix : "./hearth",
                 (int)getpid());
        for (int i = 0; i < 2000 && access(path, F_OK) != 0; i++)
            pause_ms(10);
    }
    printf("heap_growth: %d MiB kept\n", steps * mib);
    return 0;
}
