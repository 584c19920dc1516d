/*
 * The thread registry (threads.h). Every thread the service creates
 * through pthread_create (threads_create.c) is entered here before it
 * starts; when it starts it records its stack bounds for the signal
 * handler and arms its CPU timer if a profile runs; on exit it deletes the
 * timer and frees its entry. The registry is a fixed array (THREADS_MAX
 * entries, ~330 bytes each, 1.3 MB in BSS) under one mutex, and every
 * scan stops at registry_top: the pages above it stay untouched and cost
 * nothing, where reading them all cost a forked child ~330 page faults
 * (+0.35 ms a fork; BENCHMARKS.md, "the cost of a fork"). Thread
 * creation and exit are rare next to allocations and never happen in
 * signal context. The creating stack is kept because a Go-style
 * /threadcreate profile is built from it.
 */
#include "threads.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu_timers.h"
#include "sampler.h"

__thread thread_self hearth_thread __attribute__((tls_model("initial-exec")));

#define THREADS_MAX 4096
/* Names of exited threads, so samples drained after a thread ends still
 * carry its name. */
#define EXITED_MAX 256

/* The registry and the exited ring: under threads_lock. Entries at and
 * above registry_top are free: never used, or freed in a forked child
 * (entry_alloc clears an entry before use either way). */
static pthread_mutex_t threads_lock = PTHREAD_MUTEX_INITIALIZER;
static thread_entry registry[THREADS_MAX];
static uint32_t registry_top;
static struct {
    pid_t tid;
    char name[THREADS_NAME];
} exited[EXITED_MAX];
static uint64_t exited_next; /* entries written; the ring holds the last EXITED_MAX */
static _Atomic uint64_t n_created, n_untracked, n_exits;

void threads_self_init(void)
{
    uint32_t prev = heap_internal_begin();
    hearth_thread.tid = gettid();
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void *addr = NULL;
        size_t size = 0;
        if (pthread_attr_getstack(&attr, &addr, &size) == 0 && addr && size) {
            hearth_thread.stack_lo = (uintptr_t)addr;
            hearth_thread.stack_hi = (uintptr_t)addr + size;
        }
        pthread_attr_destroy(&attr);
    }
    heap_internal_end(prev);
}

static thread_entry *entry_alloc(void)
{
    for (uint32_t i = 0; i < THREADS_MAX; i++)
        if (i >= registry_top || registry[i].state == THREAD_FREE) {
            if (i >= registry_top)
                registry_top = i + 1;
            memset(&registry[i], 0, sizeof registry[i]);
            return &registry[i];
        }
    return NULL;
}

static void comm_of(pid_t tid, char out[THREADS_NAME], bool *found)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)tid);
    *found = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, out, THREADS_NAME - 1);
    close(fd);
    if (n <= 0)
        return;
    if (out[n - 1] == '\n')
        n--;
    out[n] = '\0';
    *found = true;
}

thread_entry *threads_starting(void *(*fn)(void *), void *arg, const uintptr_t *pcs,
                               uint32_t n)
{
    uint32_t prev = heap_internal_begin();
    pthread_mutex_lock(&threads_lock);
    thread_entry *e = entry_alloc();
    if (e) {
        e->state = THREAD_STARTING;
        e->fn = fn;
        e->arg = arg;
        e->n_create_pcs = n;
        memcpy(e->create_pcs, pcs, n * sizeof *pcs);
    }
    pthread_mutex_unlock(&threads_lock);
    heap_internal_end(prev);
    atomic_fetch_add_explicit(&n_created, 1, memory_order_relaxed);
    if (!e)
        atomic_fetch_add_explicit(&n_untracked, 1, memory_order_relaxed);
    return e;
}

void threads_not_started(thread_entry *e)
{
    pthread_mutex_lock(&threads_lock);
    e->state = THREAD_FREE;
    pthread_mutex_unlock(&threads_lock);
}

void threads_started(thread_entry *e, void *(**fn)(void *), void **arg)
{
    threads_self_init();
    uint32_t prev = heap_internal_begin();
    pthread_mutex_lock(&threads_lock);
    e->tid = hearth_thread.tid;
    e->state = THREAD_LIVE;
    *fn = e->fn;
    *arg = e->arg;
    cpu_timers_thread_started(e);
    pthread_mutex_unlock(&threads_lock);
    heap_internal_end(prev);
}

void threads_exited(thread_entry *e)
{
    uint32_t prev = heap_internal_begin();
    pthread_mutex_lock(&threads_lock);
    if (e->armed) {
        /* Profiled: keep the name for samples not yet drained. */
        bool found;
        uint32_t k = (uint32_t)(exited_next++ % EXITED_MAX);
        exited[k].tid = e->tid;
        comm_of(e->tid, exited[k].name, &found);
        if (!found)
            exited[k].tid = 0;
    }
    cpu_timers_thread_exiting(e);
    e->state = THREAD_FREE;
    pthread_mutex_unlock(&threads_lock);
    atomic_fetch_add_explicit(&n_exits, 1, memory_order_relaxed);
    hearth_thread.tid = 0;
    heap_internal_end(prev);
}

static bool registered(pid_t tid)
{
    for (uint32_t i = 0; i < registry_top; i++)
        if (registry[i].state == THREAD_LIVE && registry[i].tid == tid)
            return true;
    return false;
}

/* Adds the threads of /proc/self/task that the registry does not know as
 * external entries; under the lock. */
static void scan_tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        char *end;
        long tid = strtol(de->d_name, &end, 10);
        if (*end || tid <= 0 || registered((pid_t)tid))
            continue;
        thread_entry *e = entry_alloc();
        if (!e)
            break;
        e->state = THREAD_LIVE;
        e->tid = (pid_t)tid;
        e->external = true;
    }
    closedir(d);
}

uint32_t threads_for_each(bool scan_proc, void (*fn)(thread_entry *e, void *arg), void *arg)
{
    uint32_t prev = heap_internal_begin();
    pthread_mutex_lock(&threads_lock);
    if (scan_proc)
        scan_tasks();
    uint32_t n = 0;
    for (uint32_t i = 0; i < registry_top; i++)
        if (registry[i].state == THREAD_LIVE) {
            fn(&registry[i], arg);
            n++;
        }
    pthread_mutex_unlock(&threads_lock);
    heap_internal_end(prev);
    return n;
}

void threads_forget_external(void)
{
    pthread_mutex_lock(&threads_lock);
    for (uint32_t i = 0; i < registry_top; i++)
        if (registry[i].state == THREAD_LIVE && registry[i].external)
            registry[i].state = THREAD_FREE;
    pthread_mutex_unlock(&threads_lock);
}

void threads_name(pid_t tid, char out[THREADS_NAME])
{
    bool found;
    comm_of(tid, out, &found);
    if (found)
        return;
    pthread_mutex_lock(&threads_lock);
    uint32_t n = exited_next < EXITED_MAX ? (uint32_t)exited_next : EXITED_MAX;
    for (uint32_t i = 0; i < n && !found; i++)
        if (exited[i].tid == tid) {
            memcpy(out, exited[i].name, THREADS_NAME);
            found = true;
        }
    pthread_mutex_unlock(&threads_lock);
    if (!found)
        snprintf(out, THREADS_NAME, "thread %d", (int)tid);
}

uint64_t threads_exits(void)
{
    return atomic_load_explicit(&n_exits, memory_order_relaxed);
}

uint64_t threads_created(void)
{
    return atomic_load_explicit(&n_created, memory_order_relaxed);
}

uint64_t threads_untracked(void)
{
    return atomic_load_explicit(&n_untracked, memory_order_relaxed);
}

void threads_fork_prepare(void)
{
    pthread_mutex_lock(&threads_lock);
}

void threads_fork_parent(void)
{
    pthread_mutex_unlock(&threads_lock);
}

void threads_fork_child(void)
{
    /* Only the forking thread lives on, under a new tid, without timers
     * (POSIX timers are not inherited; perf events' descriptors are, and
     * are closed). */
    pid_t old = hearth_thread.tid;
    hearth_thread.tid = gettid();
    uint32_t top = 0;
    for (uint32_t i = 0; i < registry_top; i++) {
        thread_entry *e = &registry[i];
        if (e->state == THREAD_FREE)
            continue;
        cpu_timers_fork_child_entry(e);
        if (e->state == THREAD_LIVE && old && e->tid == old && !e->external) {
            e->tid = hearth_thread.tid;
            e->armed = false;
            top = i + 1;
        } else {
            e->state = THREAD_FREE;
        }
    }
    registry_top = top;
    exited_next = 0; /* the ring is read only up to here */
    pthread_mutex_init(&threads_lock, NULL);
}
