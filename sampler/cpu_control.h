/*
 * CPU profiling sessions: start, stop, the timed session the dump signal
 * starts, the whole-run session of HEARTH_CPU=1, fork and exit.
 */
#ifndef HEARTH_SAMPLER_CPU_CONTROL_H
#define HEARTH_SAMPLER_CPU_CONTROL_H

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

/* The dump signal arrived (dump thread): start a HEARTH_CPU_SECONDS
 * session. */
void cpu_on_trigger(void);

#endif
