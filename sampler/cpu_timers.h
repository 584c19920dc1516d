/*
 * The timers that drive CPU sampling: one CPU-time timer per thread
 * delivering SIGPROF to that thread, or process-wide setitimer(ITIMER_PROF)
 * where per-thread timers cannot be created.
 */
#ifndef HEARTH_SAMPLER_CPU_TIMERS_H
#define HEARTH_SAMPLER_CPU_TIMERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "threads.h"

/* Returns 0 when SIGPROF and ITIMER_PROF are free for us (or already
 * ours), else -1 with the reason in why. */
int cpu_timers_check_free(void *our_handler, char *why, size_t why_len);

/*
 * Arms a SIGPROF timer at hz on every thread (threads created later arm
 * themselves in thread_main). When the first per-thread timer cannot be
 * created, arms setitimer(ITIMER_PROF) instead and says why in note.
 * Returns 0, or -1 when no timer at all could be armed (reason in note).
 */
int cpu_timers_start(int hz, char *note, size_t note_len);

/* Deletes every timer. Signals already pending may still arrive. */
void cpu_timers_stop(void);

/* Threads that a per-thread timer could not be armed on, this session. */
uint64_t cpu_timers_unarmed(void);

/* threads.c, under the registry lock: a thread starts or exits. */
void cpu_timers_thread_started(thread_entry *e);
void cpu_timers_thread_exiting(thread_entry *e);

#endif
