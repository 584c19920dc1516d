/*
 * The threads of the process as the sampler knows them: a registry filled
 * by the pthread_create interposition (tid, name, the stack that created
 * the thread, its CPU timer) and, when CPU profiling starts, by
 * /proc/self/task for threads created behind our back; and each thread's
 * own stack bounds in initial-exec TLS for the signal handler.
 */
#ifndef HEARTH_SAMPLER_THREADS_H
#define HEARTH_SAMPLER_THREADS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* The calling thread's identity and stack, written by the thread itself
 * outside signal context (at start, or when the sampler starts on it) and
 * read by its own signal handler. Initial-exec TLS: touching it never
 * allocates. Zero = unknown. */
typedef struct thread_self {
    pid_t tid;
    uintptr_t stack_lo, stack_hi;
} thread_self;

extern __thread thread_self hearth_thread __attribute__((tls_model("initial-exec")));

#define THREADS_CREATE_DEPTH 32
#define THREADS_NAME 16

enum { THREAD_FREE = 0, THREAD_STARTING, THREAD_LIVE };

/* One thread. Every field is written and read under the registry lock
 * (threads_lock), never in signal context. */
typedef struct thread_entry {
    int state;                    /* THREAD_* */
    pid_t tid;
    bool external;                /* found in /proc/self/task, not created through us */
    void *(*fn)(void *);          /* the service's start routine, while STARTING */
    void *arg;
    uint32_t n_create_pcs;        /* the creating stack, leaf first */
    uintptr_t create_pcs[THREADS_CREATE_DEPTH];
    timer_t timer;                /* the thread's POSIX CPU timer, or */
    int perf_fd;                  /* its perf task-clock event (cpu_timers.c) */
    uint64_t perf_id;             /* the event's id, to know the descriptor is still ours */
    bool armed;
    bool perf;                    /* armed with perf_fd, not timer */
} thread_entry;

/* Records the calling thread's tid and stack bounds in hearth_thread (it
 * uses pthread_getattr_np, which may allocate: never in signal context). */
void threads_self_init(void);

/* threads_create.c: a thread is about to be created (its entry, or NULL
 * when the registry is full), was not after all, has started (fills the
 * service's start routine), has ended. */
thread_entry *threads_starting(void *(*fn)(void *), void *arg, const uintptr_t *pcs,
                               uint32_t n);
void threads_not_started(thread_entry *e);
void threads_started(thread_entry *e, void *(**fn)(void *), void **arg);
void threads_exited(thread_entry *e);

/* Runs fn on every live thread of the process under the registry lock:
 * the registered ones and, with scan_proc, the rest of /proc/self/task
 * (added as external entries). fn must not take the lock. Returns the
 * number of threads visited. */
uint32_t threads_for_each(bool scan_proc, void (*fn)(thread_entry *e, void *arg), void *arg);

/* Frees the external entries (their timers already deleted by the caller's
 * fn); under the lock. */
void threads_forget_external(void);

/* The thread's name into out (NUL-terminated, at most 15 characters): its
 * current comm, else the name it had when it exited, else "thread TID". */
void threads_name(pid_t tid, char out[THREADS_NAME]);

/* Threads that have exited through thread_main so far: a change tells a
 * tid -> name cache that a tid may have been reused. */
uint64_t threads_exits(void);

/* Threads created through pthread_create since start, and those the
 * registry had no room for. */
uint64_t threads_created(void);
uint64_t threads_untracked(void);

void threads_fork_prepare(void);
void threads_fork_parent(void);
void threads_fork_child(void);

#endif
