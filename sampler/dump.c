/*
 * The dump thread and the trigger plumbing. A signal handler writes one
 * byte to a non-blocking pipe (write(2) is async-signal-safe, and a full
 * pipe already means "dump pending"); the thread drains the pipe and dumps
 * once, so a burst of 100 signals gives one or two dumps, never a queue.
 * Every dump holds dump_lock, so the API, the interval, the signal and exit
 * never write at the same time. Files are written to a temporary name,
 * fsync'd and renamed: a reader never sees half a profile.
 */
#include "dump.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../formats/error.h"
#include "../formats/pprof.h"
#include "../formats/procmaps.h"
#include "../formats/symbols.h"
#include "cfi_table.h"
#include "cpu_control.h"
#include "heap_profile.h"
#include "sampler.h"
#include "timeline.h"
#include "own_thread.h"

#define MAX_MAPS 4096

/* Trigger pipe: written by the signal handler, read by the dump thread.
 * Replaced in a forked child. */
static int pipe_r = -1, pipe_w = -1;
/* Serializes dumps; reinitialized in a forked child. */
static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;
/* Sequence number of dump files, per process. */
static _Atomic unsigned dump_seq;
/* Whether the process has a dump thread (a dump signal or an interval);
 * a forked child then starts its own (dump_fork_child_start). */
static _Atomic int need_thread;


static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int write_file(const char *path, const uint8_t *data, size_t len)
{
    char tmp[CONFIG_PATH_MAX + 128];
    if (strlen(path) > CONFIG_PATH_MAX + 64) {
        own_say("hearth: %.200s...: path too long", path);
        return -1;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        own_say("hearth: %s: cannot create: %s", tmp, strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            own_say("hearth: %s: write failed: %s", tmp, w < 0 ? strerror(errno) : "short write");
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) || close(fd) || rename(tmp, path)) {
        own_say("hearth: %s: cannot write: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* The dump thread's symbolizer, kept for the life of the process so each
 * binary is read once; created on first use, under dump_lock. Its tables
 * are capped (SAMPLER_SYM_BYTES) so the sampler's memory stays bounded. */
static symbolizer *dump_sym;
#define SAMPLER_SYM_BYTES ((size_t)12 << 20)
#define SAMPLER_SYM_DWARF_INPUT ((uint64_t)64 << 20)

/* Build IDs for the mappings, and functions, files, lines and inlined
 * frames for the locations, so the file reads anywhere without the
 * binaries. A failure leaves addresses, which `hearth symbolize` can fill
 * in later. */
static bool symbolizer_ready(void)
{
    if (!dump_sym) {
        symbolizer_options so = SYMBOLIZER_OPTIONS_INIT;
        so.max_bytes = SAMPLER_SYM_BYTES;
        so.max_dwarf_input_bytes = SAMPLER_SYM_DWARF_INPUT;
        so.debug_file_dwarf = hearth_g.cfg.symbolize_debug_files;
        if (symbolizer_create(&dump_sym, &so))
            return false;
    }
    return true;
}

/*
 * Names the locations inside libhearth itself (the allocator entry point
 * at the leaf of every heap sample) from its dynamic symbol table, where
 * they are exported, so that profile_symbolize leaves them alone: it would
 * otherwise index all of libhearth's DWARF for them, 18 of the 21 ms an
 * exit dump of sqlite3 took. A pc that no exported symbol covers is left
 * to profile_symbolize, and so is everything when libhearth is linked
 * into the program.
 */
static void name_own_frames(profile *p)
{
    /* Our text mapping: the one holding this function. */
    uintptr_t self = (uintptr_t)name_own_frames;
    profile_mapping *own = NULL;
    for (size_t i = 0; i < p->n_mappings && !own; i++)
        if (p->mappings[i].memory_start <= self && self < p->mappings[i].memory_limit)
            own = &p->mappings[i];
    /* Linked into the program (libhearth.a), our text is the main
     * binary's (mapping 0, see pc_locations.c), whose own frames need
     * their files and lines. */
    if (!own || own->filename == p->mappings[0].filename)
        return;
    for (size_t i = 0; i < p->n_locations; i++) {
        profile_location *l = &p->locations[i];
        if (l->n_lines || l->mapping_id != own->id)
            continue;
        Dl_info info;
        const ElfW(Sym) *sym = NULL;
        if (!dladdr1((void *)(uintptr_t)l->address, &info, (void **)&sym, RTLD_DL_SYMENT) ||
            !sym || !info.dli_sname ||
            l->address - (uintptr_t)info.dli_saddr >= (uint64_t)sym->st_size)
            continue;
        int64_t f = profile_function_intern(p, info.dli_sname, info.dli_sname, NULL, 0);
        profile_line *line = profile_alloc(p, sizeof *line);
        if (f < 0 || !line)
            return; /* out of memory: profile_symbolize may still name it */
        *line = (profile_line){(uint64_t)f, 0, 0};
        l->lines = line;
        l->n_lines = 1;
        own->has_functions = true;
    }
}

static void symbolize(profile *p)
{
    name_own_frames(p);
    if (!symbolizer_ready())
        return;
    for (size_t i = 0; i < p->n_mappings; i++) {
        symbol_binary *b;
        const char *file = profile_str(p, p->mappings[i].filename);
        if (file[0] != '/' || symbolizer_open(dump_sym, file, &b))
            continue;
        const char *id = symbol_binary_build_id(b);
        if (id && *id) {
            int64_t s = profile_intern(p, id);
            if (s > 0)
                p->mappings[i].build_id = s;
        }
    }
    if (profile_symbolize(p, dump_sym, NULL))
        own_say("hearth: profile: symbolization incomplete: %s", hearth_error_last());
    /* The leaf pc sits in our hook inlined into malloc: show the
     * allocator entry point (malloc, calloc, ...) as the leaf, not the
     * sampler's own inline function. */
    for (size_t i = 0; i < p->n_locations; i++) {
        profile_location *l = &p->locations[i];
        while (l->n_lines > 1) {
            const profile_function *f = profile_function_find(p, l->lines[0].function_id);
            if (!f || strcmp(profile_str(p, f->name), "heap_after_alloc") != 0)
                break;
            l->lines++;
            l->n_lines--;
        }
    }
}

/* Builds and symbolizes a profile; called with dump_lock held. */
static int build_locked(profile **out, const char *kind, dump_build_fn build, void *arg)
{
    size_t maps_len = 0;
    char *maps_text = procmaps_read("/proc/self/maps", &maps_len);
    procmap *maps = malloc(MAX_MAPS * sizeof *maps);
    char exe[CONFIG_PATH_MAX];
    ssize_t exe_len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[exe_len > 0 ? exe_len : 0] = '\0';
    int rc = -1;
    if (!maps_text || !maps) {
        own_say("hearth: %s profile: out of memory", kind);
        goto out;
    }
    size_t n_maps = procmaps_parse(maps, MAX_MAPS, maps_text, maps_len, true);
    if (build(out, maps, n_maps, exe, arg)) {
        own_say("hearth: %s profile: %s", kind, hearth_error_last());
        goto out;
    }
    if (hearth_g.cfg.symbolize)
        symbolize(*out);
    rc = 0;
out:
    free(maps_text);
    free(maps);
    return rc;
}

static int dump_locked(const char *path, const char *kind, dump_build_fn build, void *arg)
{
    char auto_path[CONFIG_PATH_MAX + 64];
    if (!path) {
        snprintf(auto_path, sizeof auto_path, "%s.%ld.%u.%s.pb.gz",
                 hearth_g.cfg.out_prefix, (long)getpid(),
                 atomic_fetch_add(&dump_seq, 1) + 1, kind);
        path = auto_path;
    }
    profile *p = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = -1;
    if (build_locked(&p, kind, build, arg))
        goto out;
    if (pprof_write(&data, &len, p)) {
        own_say("hearth: %s profile: %s", kind, hearth_error_last());
        goto out;
    }
    rc = write_file(path, data, len);
    /* A CPU profile is written when it stops: its event names the file. */
    if (rc == 0)
        timeline_event(strcmp(kind, "cpu") ? "heap_dump" : "cpu_stop", path);
out:
    free(data);
    profile_destroy(p);
    return rc;
}

int dump_profile(const char *path, const char *kind, dump_build_fn build, void *arg)
{
    uint32_t prev = heap_internal_begin();
    pthread_mutex_lock(&dump_lock);
    int rc = dump_locked(path, kind, build, arg);
    pthread_mutex_unlock(&dump_lock);
    heap_internal_end(prev);
    return rc;
}

int dump_profile_build(profile **out, const char *kind, dump_build_fn build, void *arg)
{
    uint32_t prev = heap_internal_begin();
    pthread_mutex_lock(&dump_lock);
    int rc = build_locked(out, kind, build, arg);
    pthread_mutex_unlock(&dump_lock);
    heap_internal_end(prev);
    return rc;
}

/* arg: the heap_snapshot a delta starts from, or NULL. */
static int build_heap(profile **out, const procmap *maps, size_t n_maps, const char *exe,
                      void *arg)
{
    return heap_profile_build_since(out, &hearth_g, arg, maps, n_maps, exe, now_ns());
}

int dump_heap_now(const char *path)
{
    return dump_profile(path, "heap", build_heap, NULL);
}

int dump_heap_profile(profile **out, const heap_snapshot *base)
{
    return dump_profile_build(out, "heap", build_heap, (void *)base);
}

int dump_pc_names(char **out, const uint64_t *pcs, size_t n)
{
    uint32_t prev = heap_internal_begin();
    size_t maps_len = 0;
    char *maps_text = procmaps_read("/proc/self/maps", &maps_len);
    procmap *maps = malloc(MAX_MAPS * sizeof *maps);
    int rc = -1;
    pthread_mutex_lock(&dump_lock);
    if (!maps_text || !maps || !symbolizer_ready())
        goto out;
    size_t n_maps = procmaps_parse(maps, MAX_MAPS, maps_text, maps_len, true);
    for (size_t i = 0; i < n; i++) {
        const procmap *m = procmaps_find(maps, n_maps, pcs[i]);
        symbol_binary *b;
        uint64_t vaddr;
        symbol_lookup l;
        out[i] = NULL;
        if (m && m->path[0] == '/' && !symbolizer_open(dump_sym, m->path, &b) &&
            !symbol_binary_vaddr(b, &vaddr, pcs[i], m->start, m->end, m->offset) &&
            !symbolizer_lookup(&l, dump_sym, b, vaddr, 0) && l.n_frames)
            out[i] = strdup(l.frames[0].function);
    }
    rc = 0;
out:
    pthread_mutex_unlock(&dump_lock);
    free(maps_text);
    free(maps);
    heap_internal_end(prev);
    return rc;
}

void dump_request(void)
{
    int saved = errno;
    if (pipe_w >= 0)
        (void)!write(pipe_w, "d", 1);
    errno = saved;
}

void dump_request_unwind_table(void)
{
    /* From inside the service's malloc: a full pipe must not change its
     * errno. */
    int saved = errno;
    if (pipe_w >= 0)
        (void)!write(pipe_w, "u", 1);
    errno = saved;
}

void dump_on_heap_size(int64_t inuse_bytes)
{
    static uint64_t mark; /* the in-use heap at the last growth dump */
    uint64_t step = hearth_g.cfg.dump_growth_bytes;
    if (!step || inuse_bytes < 0 || (uint64_t)inuse_bytes < mark + step)
        return;
    mark = (uint64_t)inuse_bytes;
    int saved = errno;
    if (pipe_w >= 0)
        (void)!write(pipe_w, "g", 1);
    errno = saved;
}

static void on_signal(int sig)
{
    (void)sig;
    dump_request();
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *dump_thread(void *arg)
{
    (void)arg;
    heap_internal_begin(); /* this thread's allocations are ours */
    own_thread_begin("hearth-dump");
    double interval = hearth_g.cfg.dump_interval_s;
    int timeout = interval > 0 ? (int)(interval * 1000 + 0.5) : -1;
    if (interval > 0 && timeout < 1)
        timeout = 1;
    int fd = pipe_r;
    /* Unwind-table requests also wake the thread: interval dumps go by the
     * clock, not by poll timing out. */
    int64_t next_due = timeout > 0 ? mono_ms() + timeout : 0;
    for (;;) {
        int wait = timeout;
        if (next_due) {
            int64_t left = next_due - mono_ms();
            wait = left > 0 ? (int)left : 0;
        }
        struct pollfd pfd = {fd, POLLIN, 0};
        int r = poll(&pfd, 1, wait);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        bool dump = false, table = false, signal = false;
        if (r > 0) {
            char buf[256];
            ssize_t n;
            /* Drain: every request that came before this dump is served by it. */
            while ((n = read(fd, buf, sizeof buf)) > 0)
                for (ssize_t i = 0; i < n; i++)
                    *(buf[i] == 'u' ? &table : buf[i] == 'g' ? &dump : &signal) = true;
        }
        if (next_due && mono_ms() >= next_due) {
            dump = true;
            next_due = mono_ms() + timeout;
        }
        if (table)
            cfi_table_update(false);
        if (signal)
            cpu_on_trigger(); /* the signal also starts a CPU profile */
        if ((dump || signal) && atomic_load(&hearth_g.heap_on))
            dump_heap_now(NULL);
    }
    return NULL;
}

static int start_thread(void)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK)) {
        own_say("hearth: cannot create the trigger pipe: %s; on-demand dumps are off", strerror(errno));
        return -1;
    }
    pipe_r = fds[0];
    pipe_w = fds[1];
    int rc = own_thread_start(dump_thread, NULL);
    if (rc) {
        own_say("hearth: cannot start the dump thread: %s; on-demand dumps are off", strerror(rc));
        return -1;
    }
    return 0;
}

int dump_start(void)
{
    int sig = hearth_g.cfg.dump_signal;
    if (sig) {
        struct sigaction old;
        if (sigaction(sig, NULL, &old) == 0 && old.sa_handler != SIG_DFL &&
            old.sa_handler != SIG_IGN) {
            own_say("hearth: signal %d already has a handler; dumps on signal are off "
                "(set HEARTH_SIGNAL to another signal)", sig);
            sig = 0;
        }
    }
    bool need = sig || hearth_g.cfg.dump_interval_s > 0 || hearth_g.cfg.dump_growth_bytes > 0;
    if (need && start_thread())
        return -1;
    if (sig) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(sig, &sa, NULL);
    }
    atomic_store(&need_thread, need);
    return 0;
}

void dump_at_exit(void)
{
    if (hearth_g.cfg.dump_at_exit && atomic_load(&hearth_g.heap_on))
        dump_heap_now(NULL);
}

void dump_fork_prepare(void)
{
    pthread_mutex_lock(&dump_lock);
}

void dump_fork_parent(void)
{
    pthread_mutex_unlock(&dump_lock);
}

void dump_fork_child(void)
{
    /* The parent's symbolizer was not in use (dump_lock was held by the
     * fork's prepare step), so the child can keep using its copy. */
    pthread_mutex_init(&dump_lock, NULL);
    atomic_store(&dump_seq, 0);
    /* The parent's pipe stays the parent's: a signal to the child must wake
     * the child's thread, not the parent's. */
    if (pipe_r >= 0)
        close(pipe_r);
    if (pipe_w >= 0)
        close(pipe_w);
    pipe_r = pipe_w = -1;
}

void dump_fork_child_start(void)
{
    /* A signal to the child, an interval or an unwind-table request of
     * the child's own is served by the child's own thread, on its own
     * pipe (dump_fork_child closed the parent's). */
    if (atomic_load(&need_thread))
        (void)start_thread();
}
