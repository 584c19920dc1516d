/*
 * /proc/PID/maps lines: "start-end perms offset dev inode   path". The
 * kernel writes them sorted and well formed, but a path may contain spaces
 * and end in " (deleted)"; parsing is by hand, without sscanf or malloc,
 * because the sampler reads its own maps inside the service (only
 * procmaps_read allocates, the buffer it returns).
 */
#include "procmaps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *hex(const char *p, const char *end, uint64_t *out)
{
    uint64_t v = 0;
    const char *s = p;
    while (p < end) {
        char c = *p;
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            break;
        v = (v << 4) | d;
        p++;
    }
    if (p == s)
        return NULL;
    *out = v;
    return p;
}

static const char *skip_field(const char *p, const char *end)
{
    while (p < end && *p != ' ')
        p++;
    while (p < end && *p == ' ')
        p++;
    return p;
}

size_t procmaps_parse(procmap *out, size_t max, const char *text, size_t len,
                      bool exec_only)
{
    size_t n = 0;
    const char *p = text, *stop = text + len;
    while (p < stop && n < max) {
        const char *nl = memchr(p, '\n', (size_t)(stop - p));
        const char *end = nl ? nl : stop;
        procmap m;
        memset(&m, 0, sizeof m);
        const char *q = hex(p, end, &m.start);
        if (q && q < end && *q == '-')
            q = hex(q + 1, end, &m.end);
        else
            q = NULL;
        if (q && q + 5 <= end && *q == ' ') {
            m.exec = q[3] == 'x';
            m.write = q[2] == 'w';
            q = skip_field(q + 1, end);            /* perms */
            q = hex(q, end, &m.offset);
            if (q) {
                q = skip_field(q, end);            /* to dev */
                q = skip_field(q, end);            /* to inode */
                q = skip_field(q, end);            /* to path */
                size_t plen = (size_t)(end - q);
                if (plen >= sizeof m.path)
                    plen = sizeof m.path - 1;
                memcpy(m.path, q, plen);
                m.path[plen] = '\0';
            }
        } else {
            q = NULL;
        }
        if (q && m.end > m.start && (!exec_only || m.exec))
            out[n++] = m;
        p = nl ? nl + 1 : stop;
    }
    return n;
}

const procmap *procmaps_find(const procmap *maps, size_t n, uint64_t addr)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (addr < maps[mid].start)
            hi = mid;
        else if (addr >= maps[mid].end)
            lo = mid + 1;
        else
            return &maps[mid];
    }
    return NULL;
}

char *procmaps_read(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        n += (size_t)got;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    close(fd);
    *len = n;
    return buf;
}
