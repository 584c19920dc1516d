/*
 * Process measurements for the timeline ticker, without malloc: /proc
 * files are read into stack buffers with read(2), /proc/self/fd is counted
 * with getdents64, and the loaded-object list is kept in static tables.
 * One tick costs about 30 us (four small /proc reads and a getdents per
 * 500 fds), once per HEARTH_TIMELINE_INTERVAL.
 */
#include "timeline_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Reads a small /proc file into buf (NUL-terminated). Returns its length
 * or -1. */
static ssize_t read_small(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got < n - 1) {
        ssize_t r = read(fd, buf + got, n - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    return (ssize_t)got;
}

static int64_t rss_bytes(void)
{
    char buf[256];
    if (read_small("/proc/self/statm", buf, sizeof buf) <= 0)
        return -1;
    char *p = strchr(buf, ' ');
    if (!p)
        return -1;
    long pages = strtol(p + 1, NULL, 10);
    return pages < 0 ? -1 : (int64_t)pages * sysconf(_SC_PAGESIZE);
}

/* num_threads, the 20th field of /proc/self/stat (after the ")" that ends
 * the command name, which may itself hold spaces and parentheses). */
static int64_t threads(void)
{
    char buf[1024];
    if (read_small("/proc/self/stat", buf, sizeof buf) <= 0)
        return -1;
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    p++;
    /* Fields 3.. follow; num_threads is field 20: skip 17 fields. */
    for (int field = 3; field < 20; field++) {
        p = strchr(p + 1, ' ');
        if (!p)
            return -1;
    }
    return strtol(p + 1, NULL, 10);
}

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int64_t fds(void)
{
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return -1;
    char buf[8192] __attribute__((aligned(8)));
    int64_t n = 0;
    for (;;) {
        long got = syscall(SYS_getdents64, dir, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        for (long off = 0; off < got;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            if (d->d_name[0] != '.')
                n++;
            off += d->d_reclen;
        }
    }
    close(dir);
    return n > 0 ? n - 1 : n; /* not counting the directory we opened */
}

void tl_proc_read(timeline_tick *t)
{
    t->v[TL_RSS_BYTES] = rss_bytes();
    t->v[TL_THREADS] = threads();
    t->v[TL_FDS] = fds();
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        t->v[TL_RSS_PEAK_BYTES] = (int64_t)ru.ru_maxrss * 1024;
        t->v[TL_CPU_USER_US] = (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
        t->v[TL_CPU_SYS_US] = (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
    } else {
        t->v[TL_RSS_PEAK_BYTES] = t->v[TL_CPU_USER_US] = t->v[TL_CPU_SYS_US] = -1;
    }
    /* The kernel's peak can lag the current figure by a page or two. */
    if (t->v[TL_RSS_PEAK_BYTES] >= 0 && t->v[TL_RSS_PEAK_BYTES] < t->v[TL_RSS_BYTES])
        t->v[TL_RSS_PEAK_BYTES] = t->v[TL_RSS_BYTES];
}

/* --- loaded objects --- */

#define DL_MAX 1024
#define DL_NAME 240

typedef struct dl_obj {
    uintptr_t addr;
    char name[DL_NAME];
} dl_obj;

/* Two tables, swapped each time the list changes; ticker only. */
static dl_obj dl_tab[2][DL_MAX];
static size_t dl_n[2];
static int dl_cur;
static bool dl_started;
static unsigned long long dl_adds, dl_subs;

typedef struct dl_walk {
    bool first;
    bool changed;
    dl_obj *out;
    size_t n;
} dl_walk;

static int dl_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    dl_walk *w = arg;
    if (w->first) {
        w->first = false;
        if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
            if (dl_started && info->dlpi_adds == dl_adds && info->dlpi_subs == dl_subs)
                return 1; /* nothing loaded or unloaded since last time */
            dl_adds = info->dlpi_adds;
            dl_subs = info->dlpi_subs;
        }
        w->changed = true;
    }
    if (!info->dlpi_name || !info->dlpi_name[0] || w->n == DL_MAX)
        return 0;
    dl_obj *o = &w->out[w->n++];
    o->addr = info->dlpi_addr;
    size_t len = strlen(info->dlpi_name);
    if (len >= DL_NAME)
        len = DL_NAME - 1;
    memcpy(o->name, info->dlpi_name, len);
    o->name[len] = '\0';
    return 0;
}

static bool has(const dl_obj *tab, size_t n, const dl_obj *o)
{
    for (size_t i = 0; i < n; i++)
        if (tab[i].addr == o->addr && !strcmp(tab[i].name, o->name))
            return true;
    return false;
}

void tl_proc_dl_changes(tl_dl_fn fn)
{
    int next = !dl_cur;
    dl_walk w = {true, false, dl_tab[next], 0};
    dl_iterate_phdr(dl_cb, &w);
    if (!w.changed)
        return;
    if (dl_started) {
        const dl_obj *old = dl_tab[dl_cur];
        for (size_t i = 0; i < w.n; i++)
            if (!has(old, dl_n[dl_cur], &w.out[i]))
                fn(1, w.out[i].name);
        for (size_t i = 0; i < dl_n[dl_cur]; i++)
            if (!has(w.out, w.n, &old[i]))
                fn(0, old[i].name);
    }
    dl_n[next] = w.n;
    dl_cur = next;
    dl_started = true;
}
