/*
 * CPU profiling sessions: start, stop, the timed session the dump signal
 * starts, the whole-run session of HEARTH_CPU=1, fork and exit.
 */
#ifndef HEARTH_SAMPLER_CPU_CONTROL_H
#define HEARTH_SAMPLER_CPU_CONTROL_H

#include <stdbool.h>

#include "../formats/profile.h"

/* Sets up what CPU profiling needs at load (the calling thread's stack
 * bounds, fork handlers). Called once by sampler_init, which then starts
 * the whole-run session when HEARTH_CPU is on. */
void cpu_init(void);

/*
 * Starts a session that ends after seconds (0: at cpu_stop or exit), then
 * writes PREFIX.PID.SEQ.cpu.pb.gz. Refused, with one stderr line naming
 * who asked, when a session runs already or the program uses SIGPROF or
 * ITIMER_PROF itself. Returns 0 or -1. Not async-signal-safe.
 */
int cpu_start(double seconds, const char *who);

/* Ends the running session and writes its profile to path (NULL: the
 * next PREFIX.PID.SEQ.cpu.pb.gz). Returns 0, or -1 with one stderr line
 * (no session, or the write failed). */
int cpu_stop(const char *path);

/* cpu_stop for the HTTP endpoint: the profile, built and symbolized like
 * the file, goes to *out (the caller's). Returns 0, or -1 when no session
 * runs or the build failed. */
int cpu_stop_profile(profile **out);

/* Whether a session runs now (HEARTH_CPU, the dump signal, the API or
 * HTTP). */
bool cpu_running(void);

/* The dump signal arrived (dump thread): start a HEARTH_CPU_SECONDS
 * session. */
void cpu_on_trigger(void);

#endif
