/*
 * The parent keeps 16 MiB at parent_site, forks; the child keeps 8 MiB more
 * at child_site and exits normally. Each process must write its own heap
 * profile at exit, named with its own pid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static void *parent_site(size_t n) { void *p = malloc(n); memset(p, 1, n); return p; }
__attribute__((noinline)) static void *child_site(size_t n) { void *p = malloc(n); memset(p, 2, n); return p; }

int main(void)
{
    void *keep[256];
    for (int i = 0; i < 256; i++)
        keep[i] = parent_site(64 << 10);
    pid_t pid = fork();
    if (pid == 0) {
        void *more[128];
        for (int i = 0; i < 128; i++)
            more[i] = child_site(64 << 10);
        printf("fork_alloc: child %d done (%p)\n", (int)getpid(), more[0]);
        return 0;
    }
    int st = 0;
    waitpid(pid, &st, 0);
    printf("fork_alloc: parent %d, child %d exited %d (%p)\n", (int)getpid(), (int)pid,
           WEXITSTATUS(st), keep[0]);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
