/*
 * Preloaded before libhearth by the CPU test: perf_event_open, which
 * libhearth reaches through syscall(2), fails as the kernel makes it fail
 * where kernel.perf_event_paranoid forbids it. HEARTH_TEST_NO_PERF=all
 * refuses every event (EACCES, as at paranoid 3 or under seccomp);
 * HEARTH_TEST_NO_PERF=kernel refuses only events that count kernel time
 * (as at paranoid 2 without privileges). Every other system call passes
 * through to libc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

typedef long (*syscall_fn)(long, ...);

long syscall(long n, ...)
{
    va_list ap;
    va_start(ap, n);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (n == SYS_perf_event_open) {
        const char *how = getenv("HEARTH_TEST_NO_PERF");
        const struct perf_event_attr *attr = (const struct perf_event_attr *)a[0];
        if (how && (!strcmp(how, "all") || (!strcmp(how, "kernel") && !attr->exclude_kernel))) {
            errno = EACCES;
            return -1;
        }
    }
    syscall_fn real = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
    return real(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}
