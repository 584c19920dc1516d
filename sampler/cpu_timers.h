/*
 * The clocks that drive CPU sampling: per thread, a perf task-clock event
 * or a POSIX CPU timer delivering SIGPROF to that thread, or process-wide
 * setitimer(ITIMER_PROF) where neither can be created.
 */
#ifndef HEARTH_SAMPLER_CPU_TIMERS_H
#define HEARTH_SAMPLER_CPU_TIMERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "threads.h"

/* Returns 0 when SIGPROF and ITIMER_PROF are free for us (or already
 * ours), else -1 with the reason in why. */
int cpu_timers_check_free(void *our_handler, char *why, size_t why_len);

/*
 * Arms a SIGPROF clock at hz on every thread (threads created later arm
 * themselves in thread_main), starting with the source first
 * (CPU_TIMER_PERF, _POSIX or _ITIMER) and falling back in that order:
 * when the first perf event cannot be opened, POSIX timers; when the
 * first POSIX timer cannot be created either, setitimer(ITIMER_PROF). A
 * fallback is explained in note (for stderr and the profile). Returns 0,
 * or -1 when nothing could be armed (reason in note).
 */
int cpu_timers_start(int hz, int first, char *note, size_t note_len);

/* One line for the profile's comments: which clocks drove this session
 * and on how many threads. */
void cpu_timers_describe(char *out, size_t len);

/* Deletes every timer. Signals already pending may still arrive. */
void cpu_timers_stop(void);

/* Threads that a per-thread timer could not be armed on, this session. */
uint64_t cpu_timers_unarmed(void);

/* threads.c, under the registry lock: a thread starts or exits. */
void cpu_timers_thread_started(thread_entry *e);
void cpu_timers_thread_exiting(thread_entry *e);

/* In a forked child: threads.c forgets each entry's clock (closing the
 * inherited perf descriptors), then the session's state is cleared. */
void cpu_timers_fork_child_entry(thread_entry *e);
void cpu_timers_fork_child(void);

#endif
