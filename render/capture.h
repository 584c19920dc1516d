/*
 * Pulling profiles from a running service's /debug/pprof/ endpoints (hearth's
 * or Go's net/http/pprof) into a folder, as `hearth capture` does before it
 * runs the report.
 */
#ifndef HEARTH_RENDER_CAPTURE_H
#define HEARTH_RENDER_CAPTURE_H

#include <stddef.h>

typedef struct capture_options {
    long cpu_seconds;    /* length of the CPU profile; 0 = none */
    size_t max_bytes;    /* largest body accepted */
} capture_options;

/*
 * Saves into dir (created if missing), one by one and each as soon as it
 * arrives (temporary name, then rename): cmdline (into capture.txt),
 * heap.pb.gz, allocs.pb.gz, goroutine.pb.gz, threadcreate.pb.gz,
 * hearth.timeline and cpu.pb.gz, from url (a service's base URL, with or
 * without /debug/pprof/). Endpoints answering 404 are not served and
 * skipped, except heap. capture.txt says when each file came. Progress
 * goes to stderr when it is a terminal. Returns 0, or -1 after printing one
 * line naming the URL that failed and what was kept.
 */
int capture_run(const char *url, const char *dir, const capture_options *o);

#endif
