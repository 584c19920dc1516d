/*
 * The call stack of every thread of the process right now, for the
 * /debug/pprof/goroutine endpoint: each thread is signalled and unwinds
 * its own interrupted registers.
 */
#ifndef HEARTH_SAMPLER_THREAD_STACKS_H
#define HEARTH_SAMPLER_THREAD_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "threads.h"

#define THREAD_STACK_DEPTH 128

/* The real-time signal that asks a thread for its stack. */
#define THREAD_STACKS_SIGNAL (SIGRTMAX - 3)

enum {
    THREAD_STACK_OK,
    THREAD_STACK_BLOCKED,   /* the thread blocks the signal (hearth's own threads do) */
    THREAD_STACK_NO_ANSWER, /* no answer within the timeout */
};

typedef struct thread_stack {
    pid_t tid;
    int status;                  /* THREAD_STACK_* */
    char name[THREADS_NAME];
    uint32_t depth;              /* pcs, innermost first, callers' return addresses - 1 */
    uintptr_t pcs[THREAD_STACK_DEPTH];
} thread_stack;

/*
 * Captures every thread listed in /proc/self/task: threads that do not
 * block THREAD_STACKS_SIGNAL are sent it (once; never while one is still
 * pending, so signals cannot pile up) and unwind their own stack in the
 * handler; the caller waits up to 1 s for them. *out is the caller's
 * (free it), *n its length. One capture at a time (others wait). Returns
 * 0, or -1 with the reason in why: the service has its own handler for
 * the signal, or out of memory.
 */
int thread_stacks_capture(thread_stack **out, size_t *n, char *why, size_t why_len);

#endif
