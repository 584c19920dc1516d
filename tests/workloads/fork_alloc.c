/*
 * The parent keeps 16 MiB at parent_site, forks; the child keeps 8 MiB more
 * at child_site and exits normally. Each process must write its own heap
 * profile at exit, named with its own pid. With the argument "signal", the
 * child then sends itself the dump signal (SIGUSR2) and waits up to 10 s
 * for $HEARTH_OUT.CHILDPID.1.heap.pb.gz, the dump its own sampler must
 * write; it exits 1 when none comes. With "faults", the child prints the
 * page faults it took from fork() until fork() returned in it (the
 * sampler's fork handlers run there) and exits at once.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static void *parent_site(size_t n) { void *p = malloc(n); memset(p, 1, n); return p; }
__attribute__((noinline)) static void *child_site(size_t n) { void *p = malloc(n); memset(p, 2, n); return p; }

int main(int argc, char **argv)
{
    void *keep[256];
    for (int i = 0; i < 256; i++)
        keep[i] = parent_site(64 << 10);
    bool faults = argc > 1 && strcmp(argv[1], "faults") == 0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru); /* bound before fork: no lazy binding in the child */
    pid_t pid = fork();
    if (pid == 0 && faults) {
        /* A child's counts start from zero at fork. */
        getrusage(RUSAGE_SELF, &ru);
        printf("fork_alloc: child page faults %ld\n", ru.ru_minflt + ru.ru_majflt);
        fflush(stdout);
        _exit(0);
    }
    if (pid == 0) {
        void *more[128];
        for (int i = 0; i < 128; i++)
            more[i] = child_site(64 << 10);
        if (argc > 1 && strcmp(argv[1], "signal") == 0) {
            const char *prefix = getenv("HEARTH_OUT");
            char path[4096];
            snprintf(path, sizeof path, "%s.%d.1.heap.pb.gz", prefix ? prefix : "./hearth",
                     (int)getpid());
            kill(getpid(), SIGUSR2);
            int waited = 0;
            while (access(path, F_OK) != 0 && waited < 1000) {
                usleep(10000);
                waited++;
            }
            if (waited == 1000) {
                printf("fork_alloc: child %d: no %s after 10 s\n", (int)getpid(), path);
                return 1;
            }
        }
        printf("fork_alloc: child %d done (%p)\n", (int)getpid(), more[0]);
        return 0;
    }
    int st = 0;
    waitpid(pid, &st, 0);
    printf("fork_alloc: parent %d, child %d exited %d (%p)\n", (int)getpid(), (int)pid,
           WEXITSTATUS(st), keep[0]);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
