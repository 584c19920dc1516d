/*
 * Runs in signal context (on_capture and what it calls). The stacks of all
 * threads at one moment. A thread's registers can only be read safely by
 * the thread itself, so each one is sent THREAD_STACKS_SIGNAL with the
 * capture's number attached (rt_tgsigqueueinfo) and unwinds its
 * interrupted registers through the CPU sampler's signal-safe unwinder
 * into a slot prepared for its tid. The requester publishes the slots,
 * sends the signals, waits for the answers (1 s at most), unpublishes and
 * waits for handlers in flight before freeing anything, so a late signal
 * finds nothing to write. The handler stays installed once installed: a
 * real-time signal whose action is the default kills the process.
 *
 * Threads that block the signal (hearth's own threads block all signals)
 * are never sent it: a blocked real-time signal stays queued, and queues
 * are a per-user resource the service may need. Nor is a thread sent a
 * second one while an earlier one is still pending.
 */
#include "thread_stacks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cfi_table.h"
#include "sampler.h"
#include "unwind_cfi.h"

#define MAX_THREADS 4096
#define ANSWER_TIMEOUT_NS 1000000000L

typedef struct capture {
    uint32_t gen;
    size_t n;
    thread_stack *slots;
    _Atomic int *done;  /* per slot: 1 once its thread wrote it */
    _Atomic size_t n_done;
} capture;

/* The capture being answered, published by the requester (release) and
 * read by handlers (acquire); NULL between captures. */
static _Atomic(capture *) current;
static _Atomic int in_handler;
/* Serializes captures and the handler's installation. */
static pthread_mutex_t capture_lock = PTHREAD_MUTEX_INITIALIZER;
static bool installed;
static uint32_t last_gen;

static void on_capture(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    int saved = errno;
    atomic_fetch_add(&in_handler, 1);
    capture *c = atomic_load_explicit(&current, memory_order_acquire);
    if (c && si && si->si_code == SI_QUEUE && si->si_pid == getpid() &&
        (uint32_t)si->si_value.sival_int == c->gen) {
        pid_t me = (pid_t)syscall(SYS_gettid);
        for (size_t i = 0; i < c->n; i++) {
            if (c->slots[i].tid != me)
                continue;
            int expected = 0;
            if (atomic_compare_exchange_strong(&c->done[i], &expected, 2)) {
                bool truncated;
                c->slots[i].depth = unwind_from_ucontext(uc, c->slots[i].pcs, THREAD_STACK_DEPTH,
                                                         &truncated);
                c->slots[i].status = THREAD_STACK_OK;
                atomic_store_explicit(&c->done[i], 1, memory_order_release);
                atomic_fetch_add(&c->n_done, 1);
            }
            break;
        }
    }
    atomic_fetch_sub(&in_handler, 1);
    errno = saved;
}

static int install(char *why, size_t why_len)
{
    if (installed)
        return 0;
    struct sigaction old;
    if (sigaction(THREAD_STACKS_SIGNAL, NULL, &old) == 0 && (old.sa_flags & SA_SIGINFO
                                                                 ? old.sa_sigaction != NULL
                                                                 : old.sa_handler != SIG_DFL)) {
        snprintf(why, why_len, "signal %d (SIGRTMAX-3) is used by the service", THREAD_STACKS_SIGNAL);
        return -1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_capture;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(THREAD_STACKS_SIGNAL, &sa, NULL)) {
        snprintf(why, why_len, "cannot install the handler of signal %d: %s", THREAD_STACKS_SIGNAL,
                 strerror(errno));
        return -1;
    }
    installed = true;
    return 0;
}

/* Whether tid blocks the signal or has one pending, from its status file:
 * SigBlk, SigPnd and the process-wide ShdPnd are hex masks, bit sig-1. */
static bool unreachable(pid_t tid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return true;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return true;
    buf[n] = '\0';
    static const char *keys[] = {"SigBlk:", "SigPnd:", "ShdPnd:"};
    uint64_t bit = 1ull << (THREAD_STACKS_SIGNAL - 1);
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        const char *line = strstr(buf, keys[k]);
        if (line && (strtoull(line + strlen(keys[k]), NULL, 16) & bit))
            return true;
    }
    return false;
}

static size_t list_threads(thread_stack *slots, size_t max)
{
    DIR *d = opendir("/proc/self/task");
    size_t n = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        memset(&slots[n], 0, sizeof slots[n]);
        slots[n].tid = (pid_t)atoi(e->d_name);
        slots[n].status = THREAD_STACK_NO_ANSWER;
        n++;
    }
    closedir(d);
    return n;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int thread_stacks_capture(thread_stack **out, size_t *n_out, char *why, size_t why_len)
{
    uint32_t prev = heap_internal_begin();
    int rc = -1;
    capture c;
    memset(&c, 0, sizeof c);
    c.slots = malloc(MAX_THREADS * sizeof *c.slots);
    c.done = calloc(MAX_THREADS, sizeof *c.done);
    pthread_mutex_lock(&capture_lock);
    if (!c.slots || !c.done) {
        snprintf(why, why_len, "out of memory");
        goto out;
    }
    if (install(why, why_len))
        goto out;
    /* Objects loaded since the table was built get their unwind rows. */
    cfi_table_update(false);
    c.n = list_threads(c.slots, MAX_THREADS);
    if (++last_gen == 0)
        last_gen = 1;
    c.gen = last_gen;
    bool *sent = calloc(c.n + 1, sizeof *sent);
    if (!sent) {
        snprintf(why, why_len, "out of memory");
        goto out;
    }
    atomic_store_explicit(&current, &c, memory_order_release);
    size_t n_sent = 0;
    pid_t pid = getpid();
    for (size_t i = 0; i < c.n; i++) {
        if (unreachable(c.slots[i].tid)) {
            c.slots[i].status = THREAD_STACK_BLOCKED;
            continue;
        }
        siginfo_t si;
        memset(&si, 0, sizeof si);
        si.si_signo = THREAD_STACKS_SIGNAL;
        si.si_code = SI_QUEUE;
        si.si_pid = pid;
        si.si_uid = getuid();
        si.si_value.sival_int = (int)c.gen;
        if (syscall(SYS_rt_tgsigqueueinfo, pid, c.slots[i].tid, THREAD_STACKS_SIGNAL, &si) == 0) {
            sent[i] = true;
            n_sent++;
        }
    }
    int64_t deadline = mono_ns() + ANSWER_TIMEOUT_NS;
    while (atomic_load(&c.n_done) < n_sent && mono_ns() < deadline) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    atomic_store_explicit(&current, NULL, memory_order_release);
    for (int i = 0; i < 100000 && atomic_load(&in_handler); i++) {
        struct timespec ts = {0, 10000};
        nanosleep(&ts, NULL);
    }
    for (size_t i = 0; i < c.n; i++) {
        /* A slot a handler claimed but had not finished is unreliable. */
        if (atomic_load_explicit(&c.done[i], memory_order_acquire) != 1) {
            if (c.slots[i].status == THREAD_STACK_OK)
                c.slots[i].status = THREAD_STACK_NO_ANSWER;
            c.slots[i].depth = 0;
        }
        threads_name(c.slots[i].tid, c.slots[i].name);
    }
    free(sent);
    *out = c.slots;
    *n_out = c.n;
    c.slots = NULL;
    rc = 0;
out:
    pthread_mutex_unlock(&capture_lock);
    free(c.slots);
    free((void *)c.done);
    heap_internal_end(prev);
    return rc;
}
