/*
 * The timeline recorder: a ticker thread appends one tick line (exact heap
 * counters, RSS, threads, fds, CPU time) every HEARTH_TIMELINE_INTERVAL
 * seconds to PREFIX.PID.timeline, and events (dumps, marks, fork,
 * dlopen/dlclose, exit) are appended as they happen. Every line is one
 * write(2) to an O_APPEND file, so nothing is buffered in the process: a
 * crash or SIGKILL loses at most the line being written, and readers skip
 * a last line without its newline. The file is created at the first tick,
 * the first event or the first fork, so a process that only execs another
 * program (env, sh -c) within a tick leaves no file behind.
 */
#include "timeline.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dump.h"
#include "hearth.h"
#include "sampler.h"
#include "timeline_counters.h"
#include "timeline_proc.h"
#include "own_thread.h"

/* The recorder's state. on, fd: atomics read by any thread. The rest is
 * written by timeline_start (before on is set) and the fork child handler
 * (single-threaded then), or under the lock named. */
static struct {
    _Atomic int on;
    _Atomic int fd;             /* -1 until the file is created */
    pthread_mutex_t open_lock;  /* creating the file */
    pthread_mutex_t tick_lock;  /* one tick at a time: ticker and exit */
    int64_t start_mono_ns;      /* t = 0 */
    int64_t start_unix_ns;
    double interval_s;
    uint32_t ticks;             /* under tick_lock */
    bool layout_ok;             /* the heap counters can be trusted */
    bool overflow_told;         /* under tick_lock */
    bool failed;                /* under open_lock: creating failed */
    dev_t dev;                  /* the file's identity, set before fd: */
    ino_t ino;                  /*   a descriptor number is reused once closed */
    char path[CONFIG_PATH_MAX + 64]; /* the file's name once created */
} R = {
    .fd = -1,
    .open_lock = PTHREAD_MUTEX_INITIALIZER,
    .tick_lock = PTHREAD_MUTEX_INITIALIZER,
};

static void say(const char *msg)
{
    (void)!write(2, msg, strlen(msg));
}

/* What else a message that turns the timeline's heap counts off turns
 * off: growth dumps are watched at its ticks. */
static const char *growth_too(void)
{
    return hearth_g.cfg.dump_growth_bytes ? " (so is HEARTH_DUMP_GROWTH)" : "";
}

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double now_s(void)
{
    return (double)(clock_ns(CLOCK_MONOTONIC) - R.start_mono_ns) / 1e9;
}

static void write_all(int fd, const char *buf, size_t n)
{
    while (n) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        buf += w;
        n -= (size_t)w;
    }
}

/* Creates PREFIX.PID.timeline (PREFIX.PID.N.timeline when the name is
 * taken, e.g. by the image this one exec'd from) with its header. */
static int open_file(void)
{
    char path[CONFIG_PATH_MAX + 64];
    long pid = (long)getpid();
    int fd = -1;
    for (int k = 1; k <= 100 && fd < 0; k++) {
        if (k == 1)
            snprintf(path, sizeof path, "%s.%ld.timeline", hearth_g.cfg.out_prefix, pid);
        else
            snprintf(path, sizeof path, "%s.%ld.%d.timeline", hearth_g.cfg.out_prefix, pid, k);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        char msg[CONFIG_PATH_MAX + 160];
        snprintf(msg, sizeof msg, "hearth: %s: cannot create the timeline: %s; the timeline is off%s\n",
                 path, strerror(errno), growth_too());
        say(msg);
        return -1;
    }
    memcpy(R.path, path, sizeof R.path);
    struct stat st;
    if (fstat(fd, &st) == 0) {
        R.dev = st.st_dev;
        R.ino = st.st_ino;
    }
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    char head[4096];
    size_t len = timeline_format_header(head, sizeof head, pid, (long)getppid(),
                                        R.start_unix_ns, R.interval_s, exe);
    write_all(fd, head, len);
    return fd;
}

/* The file, created on first use; -1 when it cannot be. */
static int get_fd(void)
{
    int fd = atomic_load_explicit(&R.fd, memory_order_acquire);
    if (fd >= 0 || !atomic_load(&R.on))
        return fd;
    pthread_mutex_lock(&R.open_lock);
    fd = atomic_load(&R.fd);
    if (fd < 0 && !R.failed) {
        fd = open_file();
        if (fd < 0) {
            R.failed = true;
            atomic_store(&R.on, 0);
        } else
            atomic_store_explicit(&R.fd, fd, memory_order_release);
    }
    pthread_mutex_unlock(&R.open_lock);
    return fd;
}

/*
 * Whether fd still is the timeline's file. A service that closes every
 * descriptor (daemonizing) and opens its own files can own fd's number
 * by now; writing would put timeline lines into its file. Then the
 * timeline stops, with one line on stderr. (A close and reopen between
 * this check and the write is not caught; the window is one system call.)
 */
static bool still_ours(int fd)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_dev == R.dev && st.st_ino == R.ino)
        return true;
    if (atomic_exchange(&R.on, 0)) {
        char msg[CONFIG_PATH_MAX + 256];
        snprintf(msg, sizeof msg,
                 "hearth: %s: the program closed the timeline's descriptor; the timeline is off%s\n",
                 R.path, growth_too());
        say(msg);
    }
    return false;
}

static void event_to(int fd, const char *kind, const char *detail)
{
    if (!still_ours(fd))
        return;
    char line[4096];
    size_t n = timeline_format_event(line, sizeof line, now_s(), kind, detail);
    if (n == 0) {
        /* A detail too long for one line: keep its start. */
        char cut[2048];
        snprintf(cut, sizeof cut, "%.2000s...", detail ? detail : "");
        n = timeline_format_event(line, sizeof line, now_s(), kind, cut);
    }
    if (n)
        write_all(fd, line, n);
}

int timeline_event(const char *kind, const char *detail)
{
    if (!atomic_load(&R.on))
        return -1;
    int fd = get_fd();
    if (fd < 0)
        return -1;
    event_to(fd, kind, detail);
    return 0;
}

int timeline_path(char *out, size_t cap)
{
    if (get_fd() < 0)
        return -1;
    pthread_mutex_lock(&R.open_lock);
    int rc = snprintf(out, cap, "%s", R.path) < (int)cap ? 0 : -1;
    pthread_mutex_unlock(&R.open_lock);
    return rc;
}

int hearth_mark(const char *label)
{
    return timeline_event("mark", label ? label : "");
}

static void on_dl_change(int opened, const char *name)
{
    timeline_event(opened ? "dlopen" : "dlclose", name);
}

/* Writes one tick; returns the in-use heap bytes of the service's threads
 * (the tick's heap column less what the sampler's own threads hold), or
 * -1 when unknown. */
static int64_t tick(void)
{
    pthread_mutex_lock(&R.tick_lock);
    int fd = get_fd();
    if (fd < 0) {
        pthread_mutex_unlock(&R.tick_lock);
        return -1;
    }
    timeline_tick t;
    tl_totals c, own;
    tl_counters_sum(&c, &own, ++R.ticks);
    int64_t service = -1;
    t.t_s = now_s();
    if (R.layout_ok) {
        /* Another thread's free can be seen before the matching malloc's
         * count: the difference may dip below zero for an instant. */
        int64_t bytes = (int64_t)(c.alloc_bytes - c.free_bytes);
        int64_t objs = (int64_t)(c.alloc_objects - c.free_objects);
        t.v[TL_HEAP_BYTES] = bytes > 0 ? bytes : 0;
        service = bytes - (int64_t)(own.alloc_bytes - own.free_bytes);
        if (service < 0)
            service = 0;
        t.v[TL_HEAP_OBJECTS] = objs > 0 ? objs : 0;
        t.v[TL_ALLOC_BYTES] = (int64_t)(c.alloc_bytes & INT64_MAX);
        t.v[TL_ALLOC_OBJECTS] = (int64_t)(c.alloc_objects & INT64_MAX);
        t.v[TL_FREE_BYTES] = (int64_t)(c.free_bytes & INT64_MAX);
        t.v[TL_FREE_OBJECTS] = (int64_t)(c.free_objects & INT64_MAX);
    } else {
        for (int i = TL_HEAP_BYTES; i <= TL_FREE_OBJECTS; i++)
            t.v[i] = -1;
    }
    tl_proc_read(&t);
    char line[512];
    size_t n = timeline_format_tick(line, sizeof line, &t);
    if (!still_ours(fd)) {
        pthread_mutex_unlock(&R.tick_lock);
        return -1;
    }
    write_all(fd, line, n);
    tl_proc_dl_changes(on_dl_change);
    if (!R.overflow_told && tl_counters_overflowed()) {
        R.overflow_told = true;
        event_to(fd, "counters_shared", "more live threads than counter slots; heap counts may be low");
    }
    pthread_mutex_unlock(&R.tick_lock);
    return service;
}

static void *ticker(void *arg)
{
    (void)arg;
    heap_internal_begin(); /* this thread's allocations are ours */
    own_thread_begin("hearth-timeline");
    int64_t step = (int64_t)(R.interval_s * 1e9);
    int64_t next = clock_ns(CLOCK_MONOTONIC);
    for (;;) {
        next += step;
        struct timespec ts = {(time_t)(next / 1000000000), (long)(next % 1000000000)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        if (!atomic_load(&R.on))
            break;
        dump_on_heap_size(tick());
        /* A stalled process (stopped, swapped) skips ticks, not catches up. */
        int64_t now = clock_ns(CLOCK_MONOTONIC);
        if (now > next + step)
            next = now;
    }
    return NULL;
}

static int start_ticker(void)
{
    if (own_thread_start(ticker, NULL)) {
        char msg[160];
        snprintf(msg, sizeof msg, "hearth: cannot start the timeline thread; the timeline is off%s\n",
                 growth_too());
        say(msg);
        atomic_store(&R.on, 0);
        return -1;
    }
    return 0;
}

/*
 * fork. The prepare handler holds no lock across the fork: other prepare
 * handlers (the heap sampler's) take locks that a thread may hold while it
 * waits for ours (its first malloc registers a counter slot), and atfork
 * handlers run in an order we do not choose. The child, which has only the
 * forking thread, re-initializes our locks instead.
 */
static void fork_prepare(void)
{
    /* The child tells the parent's file about itself (below), so the
     * parent's file must exist before the fork. */
    if (atomic_load(&R.on))
        get_fd();
}

static void fork_child(void)
{
    pthread_mutex_init(&R.open_lock, NULL);
    pthread_mutex_init(&R.tick_lock, NULL);
    /* The heap counters were reset by the sampler's own child handler,
     * which runs first. */
    if (!atomic_load(&R.on))
        return;
    /* The parent's atfork handler cannot know the child's pid; the child
     * can, and still holds the parent's file (O_APPEND: the line lands
     * whole). Then the child gets a file of its own, on the same time
     * axis as its parent. */
    int parent_fd = atomic_load(&R.fd);
    if (parent_fd >= 0 && still_ours(parent_fd)) {
        char detail[64];
        snprintf(detail, sizeof detail, "child=%ld", (long)getpid());
        event_to(parent_fd, "fork", detail);
        close(parent_fd);
    }
    atomic_store(&R.fd, -1);
    R.failed = false;
    start_ticker();
}

static void at_exit(void)
{
    if (!atomic_load(&R.on))
        return;
    (void)tick();
    timeline_event("exit", "");
}

void timeline_start(void)
{
    static bool started;
    if (started)
        return;
    started = true;
    if (hearth_g.cfg.timeline_interval_s <= 0)
        return;
    uint32_t prev = heap_internal_begin();
    R.interval_s = hearth_g.cfg.timeline_interval_s;
    R.start_mono_ns = clock_ns(CLOCK_MONOTONIC);
    R.start_unix_ns = clock_ns(CLOCK_REALTIME);
    R.layout_ok = tl_counters_layout_ok();
    if (!R.layout_ok) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "hearth: the allocator's block headers are not glibc's; the timeline has no heap counts%s\n",
                 growth_too());
        say(msg);
    }
    atomic_store(&R.on, 1);
    /* The start state of the loaded objects, so the first tick reports
     * only what changed after it. */
    tl_proc_dl_changes(on_dl_change);
    if (start_ticker() == 0) {
        pthread_atfork(fork_prepare, NULL, fork_child);
        atexit(at_exit);
    }
    heap_internal_end(prev);
}

__attribute__((constructor)) static void timeline_constructor(void)
{
    sampler_init(); /* reads the configuration; idempotent */
    timeline_start();
}
