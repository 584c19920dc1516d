/*
 * Per-thread CPU timers. Each thread gets a POSIX timer on its own CPU
 * clock (timer_create on the thread's clock id, SIGEV_THREAD_ID), so a
 * thread is interrupted after every 1/hz seconds of the CPU *it* used and
 * N busy threads are all counted; a single process-wide ITIMER_PROF is
 * delivered to whichever thread the kernel picks, which is biased
 * (golang/go#35057, #14434). Kernel CPU timers are checked at the tick
 * (250 Hz on many kernels), so at higher rates one signal stands for
 * several periods: the handler weighs each sample by 1 + si_overrun.
 * Fallback: if the first timer_create fails (old kernels, seccomp, a
 * timer limit), setitimer(ITIMER_PROF) drives the whole process and the
 * profile's comments say so.
 */
#include "cpu_timers.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/* The rate while a session runs, 0 otherwise; written by start/stop,
 * read under the registry lock by starting threads. */
static _Atomic int timers_hz;
/* setitimer drives this session instead of per-thread timers. */
static _Atomic bool use_itimer;
static _Atomic uint64_t unarmed;

/* Linux's clock id for another thread's CPU time
 * (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED) in the kernel). */
static clockid_t thread_clock(pid_t tid)
{
    return (clockid_t)((~(unsigned)tid << 3) | 6u);
}

static struct timespec period_of(int hz)
{
    long ns = 1000000000L / hz;
    struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
    return ts;
}

static int arm(thread_entry *e, int hz)
{
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGPROF;
    sev._sigev_un._tid = e->tid;
    timer_t timer;
    if (timer_create(thread_clock(e->tid), &sev, &timer))
        return -1;
    struct itimerspec its;
    its.it_interval = period_of(hz);
    its.it_value = its.it_interval;
    if (timer_settime(timer, 0, &its, NULL)) {
        int saved = errno;
        timer_delete(timer);
        errno = saved;
        return -1;
    }
    e->timer = timer;
    e->armed = true;
    return 0;
}

static void disarm(thread_entry *e)
{
    if (e->armed)
        timer_delete(e->timer);
    e->armed = false;
}

int cpu_timers_check_free(void *our_handler, char *why, size_t why_len)
{
    struct sigaction old;
    if (sigaction(SIGPROF, NULL, &old) == 0) {
        void *h = (old.sa_flags & SA_SIGINFO) ? (void *)old.sa_sigaction : (void *)old.sa_handler;
        if (h != (void *)SIG_DFL && h != (void *)SIG_IGN && h != our_handler) {
            snprintf(why, why_len, "the program already handles SIGPROF");
            return -1;
        }
    }
    struct itimerval it;
    if (!atomic_load(&use_itimer) && getitimer(ITIMER_PROF, &it) == 0 &&
        (it.it_value.tv_sec || it.it_value.tv_usec)) {
        snprintf(why, why_len, "the program already uses ITIMER_PROF");
        return -1;
    }
    return 0;
}

typedef struct arm_ctx {
    int hz;
    int first_errno; /* of the first failure, 0 = none */
    uint32_t armed;
} arm_ctx;

static void arm_one(thread_entry *e, void *arg)
{
    arm_ctx *c = arg;
    if (e->armed || atomic_load(&use_itimer))
        return;
    if (arm(e, c->hz) == 0) {
        c->armed++;
        return;
    }
    if (!c->first_errno)
        c->first_errno = errno ? errno : EINVAL;
    if (c->armed == 0) {
        /* The very first timer failed: per-thread timers do not work
         * here. Every thread is covered by the process timer instead. */
        atomic_store(&use_itimer, true);
    } else {
        atomic_fetch_add(&unarmed, 1);
    }
}

static void disarm_one(thread_entry *e, void *arg)
{
    (void)arg;
    disarm(e);
}

int cpu_timers_start(int hz, char *note, size_t note_len)
{
    note[0] = '\0';
    atomic_store(&unarmed, 0);
    atomic_store(&use_itimer, false);
    atomic_store(&timers_hz, hz);
    arm_ctx c = {hz, 0, 0};
    threads_for_each(true, arm_one, &c);
    if (!atomic_load(&use_itimer))
        return 0;
    threads_for_each(false, disarm_one, NULL);
    struct itimerval it;
    long us = 1000000L / hz;
    it.it_interval.tv_sec = us / 1000000L;
    it.it_interval.tv_usec = us % 1000000L;
    it.it_value = it.it_interval;
    if (setitimer(ITIMER_PROF, &it, NULL)) {
        snprintf(note, note_len, "per-thread CPU timers failed (%s) and so did setitimer (%s)",
                 strerror(c.first_errno), strerror(errno));
        atomic_store(&timers_hz, 0);
        atomic_store(&use_itimer, false);
        return -1;
    }
    snprintf(note, note_len,
             "hearth: per-thread CPU timers are unavailable (timer_create: %s); sampled with "
             "setitimer(ITIMER_PROF), which favours some threads over others",
             strerror(c.first_errno));
    return 0;
}

void cpu_timers_stop(void)
{
    atomic_store(&timers_hz, 0);
    if (atomic_load(&use_itimer)) {
        struct itimerval zero;
        memset(&zero, 0, sizeof zero);
        setitimer(ITIMER_PROF, &zero, NULL);
        atomic_store(&use_itimer, false);
    }
    threads_for_each(false, disarm_one, NULL);
    threads_forget_external();
}

uint64_t cpu_timers_unarmed(void)
{
    return atomic_load(&unarmed);
}

void cpu_timers_thread_started(thread_entry *e)
{
    int hz = atomic_load(&timers_hz);
    if (hz && !atomic_load(&use_itimer) && arm(e, hz))
        atomic_fetch_add(&unarmed, 1);
}

void cpu_timers_thread_exiting(thread_entry *e)
{
    disarm(e);
}
