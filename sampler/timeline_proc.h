/*
 * What the ticker measures about the process besides the heap: resident
 * memory, threads, file descriptors, CPU time, and which shared objects
 * are loaded. Read from /proc and getrusage with stack buffers only: the
 * ticker runs inside the service and must not allocate.
 */
#ifndef HEARTH_SAMPLER_TIMELINE_PROC_H
#define HEARTH_SAMPLER_TIMELINE_PROC_H

#include <stdint.h>

#include "../formats/timeline.h"

/* Fills the RSS, peak RSS, threads, fds and CPU columns of *t (-1 where a
 * read failed). */
void tl_proc_read(timeline_tick *t);

/* Called once per loaded object that appeared (opened = 1) or went away
 * (opened = 0) since the last call. */
typedef void (*tl_dl_fn)(int opened, const char *name);

/*
 * Compares the loaded objects with the last call's, using dl_iterate_phdr's
 * dlpi_adds/dlpi_subs to stop at once when nothing changed (the common
 * case: one callback). The first call records the start state and reports
 * nothing. At most 1024 objects are tracked. Not thread-safe: ticker only.
 */
void tl_proc_dl_changes(tl_dl_fn fn);

#endif
