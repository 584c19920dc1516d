/*
 * hearth.h — the public interface of libhearth, the in-process sampler.
 *
 * Load it without code changes (LD_PRELOAD=libhearth.so ./service) or link
 * libhearth.a and call these functions. Everything else in the library is
 * hidden so it cannot clash with the service's own symbols.
 */
#ifndef HEARTH_H
#define HEARTH_H

#ifdef __cplusplus
extern "C" {
#endif

#define HEARTH_API __attribute__((visibility("default")))

#define HEARTH_VERSION_MAJOR 0
#define HEARTH_VERSION_MINOR 1
#define HEARTH_VERSION_PATCH 0

/* The library's version as "MAJOR.MINOR.PATCH". Static storage. */
HEARTH_API const char *hearth_version(void);

/*
 * Writes a heap profile (pprof, gzip'd, Go's heap shape) of the calling
 * process to path, or to the next PREFIX.PID.SEQ.heap.pb.gz when path is
 * NULL (PREFIX from HEARTH_OUT, default "./hearth"). The file appears whole
 * or not at all (written to a temporary name, fsync'd, renamed). Safe from
 * any thread, not from a signal handler (send HEARTH_SIGNAL instead).
 * Returns 0, or -1 after one line on stderr saying why.
 */
HEARTH_API int hearth_dump_heap(const char *path);

/*
 * Starts a CPU profile of the whole process: every thread is sampled on
 * its own CPU time at HEARTH_CPU_HZ (default 100) per second, stacks
 * unwound through code without frame pointers. Returns 0, or -1 after one
 * line on stderr: a CPU profile already runs (from this call,
 * HEARTH_CPU=1 or the dump signal), or the program uses SIGPROF or
 * ITIMER_PROF itself. Not from a signal handler.
 */
HEARTH_API int hearth_cpu_start(void);

/*
 * Stops the running CPU profile and writes it (pprof, gzip'd, Go's CPU
 * shape) to path, or to the next PREFIX.PID.SEQ.cpu.pb.gz when path is
 * NULL, whole or not at all. Returns 0, or -1 after one line on stderr (no
 * profile running, or the write failed).
 */
HEARTH_API int hearth_cpu_stop(const char *path);

/*
 * Writes a labelled moment into the process's timeline (PREFIX.PID.timeline),
 * e.g. hearth_mark("deploy v2") or hearth_mark("cache flushed"): `hearth
 * timeline` draws it as a marker with its label. Any bytes are accepted
 * (they are escaped); labels longer than 2000 bytes are cut. Safe from any
 * thread, not from a signal handler. Returns 0, or -1 when no timeline is
 * being recorded (HEARTH_TIMELINE_INTERVAL=0, or its file could not be
 * created).
 */
HEARTH_API int hearth_mark(const char *label);

#ifdef __cplusplus
}
#endif

#endif
