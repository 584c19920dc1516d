/*
 * Fork and dlopen/dlclose under the timeline recorder. The child
 * allocates for CHILD_SECONDS and exits; the parent loads and unloads
 * libresolv meanwhile. Usage: timeline_fork CHILD_SECONDS. Prints
 * "child PID".
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    double secs = atof(argc > 1 ? argv[1] : "1");
    usleep(300000);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < (int)(secs * 50); i++) {
            void *p = malloc(10000);
            memset(p, 1, 10000);
            usleep(20000);
        }
        exit(0);
    }
    printf("child %d\n", (int)pid);
    fflush(stdout);
    void *h = dlopen("libresolv.so.2", RTLD_NOW);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    usleep(400000);
    dlclose(h);
    int st;
    waitpid(pid, &st, 0);
    usleep(400000);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
