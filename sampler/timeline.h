/*
 * The timeline recorder inside the service: a ticker thread that appends
 * one line of counters to PREFIX.PID.timeline every HEARTH_TIMELINE_INTERVAL
 * seconds, and events that any part of the sampler (or the service, via
 * hearth_mark) appends as they happen.
 */
#ifndef HEARTH_SAMPLER_TIMELINE_H
#define HEARTH_SAMPLER_TIMELINE_H

#include <stddef.h>

/*
 * Appends "event T KIND DETAIL" to the timeline now: heap_dump PATH,
 * cpu_start, cpu_stop PATH, mark TEXT... kind is [a-z_]+; detail may be
 * NULL and is escaped. One write(2) on an O_APPEND file, so events from
 * several threads never interleave within a line. Safe from any thread,
 * not from a signal handler. Returns 0, or -1 when no timeline is being
 * recorded.
 */
int timeline_event(const char *kind, const char *detail);

/* The name of this process's timeline file (created now if it was not
 * yet), for the HTTP endpoint that serves it. Returns 0, or -1 when no
 * timeline is being recorded. */
int timeline_path(char *out, size_t cap);

/* Starts the recorder when HEARTH_TIMELINE_INTERVAL is not 0: a no-op
 * after the first call. Called from libhearth's constructor. */
void timeline_start(void);

#endif
