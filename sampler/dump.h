/*
 * Writing profiles when asked: a signal, an interval, exit, or the API. All
 * the work happens on one dump thread or in the caller of the API; a signal
 * handler only writes a byte to a pipe.
 */
#ifndef HEARTH_SAMPLER_DUMP_H
#define HEARTH_SAMPLER_DUMP_H

#include "../formats/procmaps.h"
#include "../formats/profile.h"
#include "heap_profile.h"

/* Creates the trigger pipe, installs the signal handler and starts the dump
 * thread. Returns 0 or -1 (with one stderr line). */
int dump_start(void);

/* Asks the dump thread for a heap profile. Async-signal-safe; requests that
 * arrive while a dump runs are merged into the next one. */
void dump_request(void);

/* The timeline's ticker passes the in-use heap (exact bytes, or < 0 when
 * unknown) at each tick: with HEARTH_DUMP_GROWTH, the dump thread writes
 * a heap profile each time it has grown that much since the last such
 * dump (the first, that much above zero), like gperftools'
 * HEAP_PROFILE_INUSE_INTERVAL. A leak is then caught on its way up, in
 * files whose last one holds the most, even when the process ends by
 * SIGKILL (the OOM killer) and never reaches its exit dump. Ticker thread
 * only. */
void dump_on_heap_size(int64_t inuse_bytes);

/* Asks the dump thread to bring the unwind table up to date (build it,
 * or rebuild it after dlopen/dlclose), off the service's threads. */
void dump_request_unwind_table(void);

/* Writes a heap profile now, to path or (NULL) to the next
 * PREFIX.PID.SEQ.heap.pb.gz. Serialized with every other dump. Returns 0 or
 * -1 (and says why on stderr). */
int dump_heap_now(const char *path);

/* The heap profile now, symbolized as configured, of what changed since
 * base when base is not NULL; the caller's, serialized with every other
 * dump. For the HTTP endpoints. Returns 0 or -1 (and says why on stderr). */
int dump_heap_profile(profile **out, const heap_snapshot *base);

/* The function at each of the n pcs of this process, from the dump
 * thread's symbolizer: out[i] is a malloc'd name or NULL if unknown.
 * Returns 0 or -1. */
int dump_pc_names(char **out, const uint64_t *pcs, size_t n);

/* Builds a profile with build (on the caller's thread, given the
 * executable mappings and the main binary's path), symbolizes it (unless
 * HEARTH_SYMBOLIZE=off) and writes it to path, or (NULL) to the next
 * PREFIX.PID.SEQ.KIND.pb.gz. Serialized with every other dump. Returns 0
 * or -1 (and says why on stderr). */
typedef int (*dump_build_fn)(profile **out, const procmap *maps, size_t n_maps,
                             const char *main_path, void *arg);
int dump_profile(const char *path, const char *kind, dump_build_fn build, void *arg);

/* The same profile, built and symbolized under the same lock, returned to
 * the caller (for the HTTP endpoints) instead of written. */
int dump_profile_build(profile **out, const char *kind, dump_build_fn build, void *arg);

/* The final dump at exit, when HEARTH_DUMP_AT_EXIT is on. */
void dump_at_exit(void);

/* fork: prepare takes the dump lock so the child never inherits it held;
 * the child closes the parent's pipe (a signal to the child must not wake
 * the parent's thread). */
void dump_fork_prepare(void);
void dump_fork_parent(void);
void dump_fork_child(void);

/* In a forked child, after dump_fork_child and after the thread registry's
 * own child handler (the pthread_create hook takes the registry's lock):
 * starts the child's dump thread, when the parent had one, so that a dump
 * signal sent to the child dumps the child. */
void dump_fork_child_start(void);

#endif
