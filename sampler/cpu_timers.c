/*
 * Per-thread CPU clocks that interrupt each thread with SIGPROF after every
 * 1/hz seconds of the CPU *it* used, so N busy threads are all counted; a
 * single process-wide ITIMER_PROF is delivered to whichever thread the
 * kernel picks, which is biased (golang/go#35057, #14434).
 *
 * Three sources, tried in this order (HEARTH_CPU_TIMER picks the first):
 *  1. perf: a software task-clock perf event per thread (perf_event_open,
 *     pid = the thread, signal by F_SETSIG/F_SETOWN_EX to that thread). Its
 *     period runs on an hrtimer while the thread is on a CPU, so a thread
 *     is interrupted after exactly 1/hz seconds of its CPU time.
 *  2. posix: timer_create on the thread's CPU clock (SIGEV_THREAD_ID).
 *     The kernel checks these only at its tick (250 Hz on many kernels):
 *     a thread that works in bursts shorter than a tick on a fixed pace
 *     (a request every 10 ms, say) is seen only when a tick lands in a
 *     burst, so whole threads can go uncounted and the samples that are
 *     taken all fall at one phase of the burst. Measured on a service
 *     whose two workers take ~2 ms per request: half the CPU time or less
 *     reached the profile in most runs, against all of it with perf.
 *     Overruns of one signal weigh its sample (handler).
 *  3. itimer: setitimer(ITIMER_PROF) for the whole process, when no
 *     per-thread timer can be created at all.
 * perf needs kernel.perf_event_paranoid <= 2 (or CAP_PERFMON); system time
 * is sampled only where the kernel allows (paranoid <= 1 or privileged),
 * otherwise user time alone, and the profile says which.
 */
#include "cpu_timers.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

/* The rate while a session runs, 0 otherwise; written by start/stop,
 * read under the registry lock by starting threads. */
static _Atomic int timers_hz;
/* setitimer drives this session instead of per-thread timers. */
static _Atomic bool use_itimer;
/* Per-thread perf events are tried first this session; perf_user_only:
 * the kernel refused system time, so events count user time alone. */
static _Atomic bool use_perf;
static _Atomic bool perf_user_only;
static _Atomic uint64_t unarmed, armed_perf, armed_posix;
/* Events hold a descriptor per thread: they stay below half the
 * descriptor limit, so a service with many threads keeps the rest for its
 * own files (its later threads get POSIX timers instead). */
static _Atomic long perf_fd_limit;
/* Why the first perf event could not be opened (errno), this session. */
static _Atomic int perf_errno;

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

/* A task-clock event on tid that signals tid with SIGPROF every period of
 * its CPU time; the descriptor, or -1 with errno set. */
static int perf_open(pid_t tid, int hz, bool user_only)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_SOFTWARE;
    a.config = PERF_COUNT_SW_TASK_CLOCK;
    a.sample_period = (uint64_t)(1000000000L / hz);
    a.disabled = 1;
    a.exclude_kernel = user_only;
    a.exclude_hv = 1;
    int fd = (int)syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0)
        return -1;
    struct f_owner_ex owner = {F_OWNER_TID, tid};
    int fl;
    if (fcntl(fd, F_SETOWN_EX, &owner) || fcntl(fd, F_SETSIG, SIGPROF) ||
        (fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_ASYNC) ||
        ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* Arms e with a perf event when this session uses them: 0, or -1 with
 * errno set (the caller tries a POSIX timer next). */
static int arm_perf(thread_entry *e, int hz)
{
    bool user_only = atomic_load(&perf_user_only);
    int fd = perf_open(e->tid, hz, user_only);
    if (fd < 0 && !user_only && (errno == EACCES || errno == EPERM)) {
        /* Not allowed to count kernel time: user time is still allowed
         * at perf_event_paranoid 2. */
        fd = perf_open(e->tid, hz, true);
        if (fd >= 0)
            atomic_store(&perf_user_only, true);
    }
    if (fd < 0)
        return -1;
    if (fd >= atomic_load(&perf_fd_limit)) {
        close(fd);
        errno = EMFILE;
        return -1;
    }
    uint64_t id = 0;
    ioctl(fd, PERF_EVENT_IOC_ID, &id);
    e->perf_fd = fd;
    e->perf_id = id;
    e->perf = true;
    e->armed = true;
    atomic_fetch_add(&armed_perf, 1);
    return 0;
}

static int arm_posix(thread_entry *e, int hz)
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
    e->perf = false;
    e->armed = true;
    atomic_fetch_add(&armed_posix, 1);
    return 0;
}

/* perf first when the session uses it, then a POSIX timer: 0, or -1 with
 * errno set. The first perf failure of a session turns perf off for its
 * later threads (and is reported); later ones (a descriptor limit, say)
 * cost only that thread's precision. */
static int arm(thread_entry *e, int hz)
{
    if (atomic_load(&use_perf)) {
        if (arm_perf(e, hz) == 0)
            return 0;
        int expected = 0;
        if (atomic_load(&armed_perf) == 0 &&
            atomic_compare_exchange_strong(&perf_errno, &expected, errno ? errno : EINVAL))
            atomic_store(&use_perf, false);
    }
    return arm_posix(e, hz);
}

/* Closes e's event only if its descriptor still holds it: a service that
 * closed every descriptor (daemonizing) and opened files since may have
 * its own file under that number, which must not be closed for it. */
static void close_event(const thread_entry *e)
{
    uint64_t id;
    if (ioctl(e->perf_fd, PERF_EVENT_IOC_ID, &id) == 0 && id == e->perf_id)
        close(e->perf_fd);
}

static void disarm(thread_entry *e)
{
    if (e->armed && e->perf)
        close_event(e);
    else if (e->armed)
        timer_delete(e->timer);
    e->armed = false;
    e->perf = false;
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

int cpu_timers_start(int hz, int first, char *note, size_t note_len)
{
    note[0] = '\0';
    atomic_store(&unarmed, 0);
    atomic_store(&armed_perf, 0);
    atomic_store(&armed_posix, 0);
    atomic_store(&perf_errno, 0);
    atomic_store(&perf_user_only, false);
    struct rlimit rl;
    long lim = 1L << 30;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (1ul << 31))
        lim = (long)rl.rlim_cur / 2;
    atomic_store(&perf_fd_limit, lim);
    atomic_store(&use_perf, first == CPU_TIMER_PERF);
    atomic_store(&use_itimer, first == CPU_TIMER_ITIMER);
    atomic_store(&timers_hz, hz);
    arm_ctx c = {hz, 0, 0};
    if (first != CPU_TIMER_ITIMER)
        threads_for_each(true, arm_one, &c);
    int perr = atomic_load(&perf_errno);
    if (!atomic_load(&use_itimer)) {
        if (perr)
            snprintf(note, note_len,
                     "hearth: perf task-clock events are unavailable (perf_event_open: %s; "
                     "kernel.perf_event_paranoid allows them at 2 or less); sampled with "
                     "POSIX CPU timers, which the kernel checks only at its tick and which "
                     "miss threads that work in short bursts",
                     strerror(perr));
        return 0;
    }
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
    /* Asked for (HEARTH_CPU_TIMER=itimer): nothing to explain on stderr;
     * the profile's clock line names it. */
    if (first != CPU_TIMER_ITIMER)
        snprintf(note, note_len,
                 "hearth: per-thread CPU timers are unavailable (%s%s%stimer_create: %s); "
                 "sampled with setitimer(ITIMER_PROF), which favours some threads over others",
                 perr ? "perf_event_open: " : "", perr ? strerror(perr) : "", perr ? "; " : "",
                 strerror(c.first_errno));
    return 0;
}

void cpu_timers_describe(char *out, size_t len)
{
    if (atomic_load(&use_itimer)) {
        snprintf(out, len, "hearth: CPU clock: setitimer(ITIMER_PROF) for the whole process, which favours "
                 "some threads over others");
        return;
    }
    uint64_t np = atomic_load(&armed_perf), nx = atomic_load(&armed_posix);
    snprintf(out, len,
             "hearth: CPU clock: %llu threads on perf task-clock events (%s), %llu on POSIX "
             "CPU timers (checked at the kernel tick)",
             (unsigned long long)np,
             atomic_load(&perf_user_only) ? "user time only: the kernel refused system time"
                                          : "user and system time",
             (unsigned long long)nx);
}

void cpu_timers_fork_child_entry(thread_entry *e)
{
    /* The child's copy of the parent's event: closing it leaves the
     * parent's thread counted (the parent holds its own descriptor). */
    if (e->armed && e->perf)
        close_event(e);
    e->armed = false;
    e->perf = false;
}

void cpu_timers_fork_child(void)
{
    /* The session belongs to the parent: threads the child creates must
     * not arm anything. */
    atomic_store(&timers_hz, 0);
    atomic_store(&use_itimer, false);
    atomic_store(&use_perf, false);
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
