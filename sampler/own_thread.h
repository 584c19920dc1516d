/*
 * What the sampler's own threads (dump, timeline ticker, CPU drainer, HTTP
 * server) share: how they are started, and how the sampler says something
 * on stderr.
 */
#ifndef HEARTH_SAMPLER_OWN_THREAD_H
#define HEARTH_SAMPLER_OWN_THREAD_H

#include <pthread.h>

/* Starts fn(arg) on a detached thread with every signal blocked (the
 * service's signals are for the service's threads; threads it starts in
 * turn inherit the mask). Returns 0 or pthread_create's error number. */
int own_thread_start(void *(*fn)(void *), void *arg);

/* Called first by each of the sampler's threads. Names it (hearth-dump,
 * ...): one prctl on its own time, where naming it from the starting
 * thread cost that thread (the service's, at start or in a forked child)
 * an open, a write and a close of /proc/self/task/TID/comm. And marks its
 * heap blocks as the sampler's in the timeline's counters, so that
 * HEARTH_DUMP_GROWTH watches the service's heap and not, say, a dump's
 * symbol tables (tens of MiB for a while with HEARTH_SYMBOLIZE=full). */
void own_thread_begin(const char *name);

/* One line on stderr, written with one write(2) and no stdio: "hearth: ..."
 * messages from inside someone else's process. The newline is added. */
void own_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
