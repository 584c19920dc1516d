/*
 * A preload in front of libhearth for tests/cli/alloc_edges.sh: every
 * one-byte write of "u" (the sampler asking its dump thread for an unwind
 * table, from inside the service's malloc) fails with EAGAIN, as it would
 * on a full pipe. The service's errno after that malloc must still be its
 * own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((visibility("default"))) ssize_t write(int fd, const void *buf, size_t n)
{
    if (n == 1 && *(const char *)buf == 'u') {
        errno = EAGAIN;
        return -1;
    }
    return syscall(SYS_write, fd, buf, n);
}
