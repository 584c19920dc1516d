/*
 * The request loop of the example services: parses the options both share,
 * then the main thread dispatches requests at a fixed pace (absolute
 * CLOCK_MONOTONIC deadlines, so a late wake-up catches up instead of
 * drifting) into a bounded queue that a pool of worker threads drains, and
 * prints one status line a second. Rates are spread over requests exactly
 * (see struct service_request), so after N requests the cache has received
 * floor(leak_rate * N / rps) bytes whatever the scheduling. Kept apart from
 * the services so leaky and steady differ only in how they handle a request.
 */
#include "service.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_CAP 4096
#define NS_PER_S 1000000000LL

struct service_settings service_settings = {
    .duration_s = 0,
    .rps = 100,
    .workers = 2,
    .leak_rate = 1 << 20,
    .thread_rate = 1,
    .fd_rate = 5,
    .sort_size = 1000,
};

const size_t service_parse_sizes[SERVICE_PARSE_BUFFERS] = {
    256, 1024, 4096, 16384, 512, 2048, 8192, 65536,
};

static const struct service_opt common_opts[] = {
    {"duration", SERVICE_OPT_NUMBER, &service_settings.duration_s,
     "SECONDS  run this long, then exit 0 (default 0: until SIGTERM/SIGINT)"},
    {"rps", SERVICE_OPT_NUMBER, &service_settings.rps, "N  requests per second (default 100)"},
    {"workers", SERVICE_OPT_COUNT, &service_settings.workers, "N  worker threads (default 2)"},
    {"leak-rate", SERVICE_OPT_BYTES, &service_settings.leak_rate,
     "BYTES  bytes per second put into the cache, K/M/G suffixes (default 1M)"},
    {"thread-rate", SERVICE_OPT_NUMBER, &service_settings.thread_rate,
     "N  upstream watches started per second (default 1)"},
    {"fd-rate", SERVICE_OPT_NUMBER, &service_settings.fd_rate,
     "N  files opened per second (default 5)"},
    {"sort-size", SERVICE_OPT_COUNT, &service_settings.sort_size,
     "N  orders sorted per request (default 1000)"},
    {NULL, 0, NULL, NULL},
};

/* The queue between the dispatcher (main thread) and the workers; every
 * field is under mu. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    struct service_request ring[QUEUE_CAP];
    size_t head, len;
    int closed;
} queue = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
           {{0, 0, 0, 0}}, 0, 0, 0};

/* The cache list: newest at head. Every field under mu. */
static struct {
    pthread_mutex_t mu;
    struct service_cache_entry *head, *tail;
    uint64_t bytes;
} cache = {PTHREAD_MUTEX_INITIALIZER, NULL, NULL, 0};

static const char *prog;              /* set once before any thread starts */
static atomic_uint_fast64_t handled;  /* written by workers, read by main */
static volatile sig_atomic_t stop_signal; /* written by the signal handler */

static void on_stop(int sig)
{
    stop_signal = sig;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static void usage(const struct service *svc)
{
    printf("usage: %s [OPTIONS]\n", svc->name);
    for (int t = 0; t < 2; t++)
        for (const struct service_opt *o = t ? svc->opts : common_opts; o->name; o++)
            printf("  --%-12s %s\n", o->name, o->help);
    printf("  --%-12s %s\n", "help", "print this and exit");
}

static void die_usage(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    exit(2);
}

/* Parses VALUE for option O into its target; returns 0 or -1. */
static int parse_value(const struct service_opt *o, const char *value)
{
    char *end;
    errno = 0;
    if (o->kind == SERVICE_OPT_NUMBER) {
        double d = strtod(value, &end);
        if (errno || end == value || *end || !isfinite(d) || d < 0)
            return -1;
        *(double *)o->target = d;
        return 0;
    }
    if (*value < '0' || *value > '9')
        return -1;
    unsigned long long v = strtoull(value, &end, 10);
    if (errno || end == value)
        return -1;
    if (o->kind == SERVICE_OPT_BYTES && *end) {
        int shift = *end == 'K' || *end == 'k' ? 10 : *end == 'M' || *end == 'm' ? 20
                  : *end == 'G' || *end == 'g' ? 30 : -1;
        if (shift < 0 || v > (1ULL << 40) >> shift)
            return -1;
        v <<= shift;
        end++;
    }
    if (*end)
        return -1;
    *(uint64_t *)o->target = v;
    return 0;
}

static const struct service_opt *find_opt(const struct service *svc, const char *name, size_t len)
{
    for (int t = 0; t < 2; t++)
        for (const struct service_opt *o = t ? svc->opts : common_opts; o->name; o++)
            if (strlen(o->name) == len && !strncmp(o->name, name, len))
                return o;
    return NULL;
}

static void parse_args(const struct service *svc, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            usage(svc);
            exit(0);
        }
        if (strncmp(arg, "--", 2) != 0)
            die_usage("unexpected argument '%s' (see --help)", arg, "");
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct service_opt *o = find_opt(svc, name, len);
        if (!o)
            die_usage("unknown option '%s' (see --help)", arg, "");
        if (o->kind == SERVICE_OPT_FLAG) {
            if (eq)
                die_usage("--%s takes no value%s", o->name, "");
            *(int *)o->target = 1;
            continue;
        }
        const char *value = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!value)
            die_usage("--%s needs a value%s", o->name, "");
        if (parse_value(o, value) < 0)
            die_usage("--%s: bad value '%s'", o->name, value);
    }
    const struct service_settings *s = &service_settings;
    if (s->rps <= 0 || s->rps > 100000)
        die_usage("--rps: must be more than 0 and at most 100000%s%s", "", "");
    if (s->workers < 1 || s->workers > 256)
        die_usage("--workers: must be 1 to 256%s%s", "", "");
    if (s->thread_rate > 1000 || s->fd_rate > 100000)
        die_usage("--thread-rate at most 1000, --fd-rate at most 100000%s%s", "", "");
    if (s->sort_size > 10000000)
        die_usage("--sort-size: at most 10000000%s%s", "", "");
    const char *err = svc->configure ? svc->configure() : NULL;
    if (err)
        die_usage("%s%s", err, "");
}

/* floor(rate * i / rps) - floor(rate * (i - 1) / rps): request i's share. */
static uint64_t share(long double rate, uint64_t i)
{
    long double rps = service_settings.rps;
    return (uint64_t)floorl(rate * i / rps) - (uint64_t)floorl(rate * (i - 1) / rps);
}

static void dispatch(uint64_t seq)
{
    const struct service_settings *s = &service_settings;
    struct service_request req = {
        .seq = seq,
        .cache_bytes = share(s->leak_rate, seq),
        .files = (unsigned)share(s->fd_rate, seq),
        .watches = (unsigned)share(s->thread_rate, seq),
    };
    pthread_mutex_lock(&queue.mu);
    /* A full queue means the workers cannot keep up: the dispatcher waits,
     * and the status line shows requests falling behind the pace. */
    while (queue.len == QUEUE_CAP && !stop_signal)
        pthread_cond_wait(&queue.not_full, &queue.mu);
    queue.ring[(queue.head + queue.len) % QUEUE_CAP] = req;
    queue.len++;
    pthread_cond_signal(&queue.not_empty);
    pthread_mutex_unlock(&queue.mu);
}

/* Takes the next request; returns 0 once the queue is closed. */
static int take(struct service_request *out)
{
    pthread_mutex_lock(&queue.mu);
    while (queue.len == 0 && !queue.closed)
        pthread_cond_wait(&queue.not_empty, &queue.mu);
    int got = !queue.closed;
    if (got) {
        *out = queue.ring[queue.head];
        queue.head = (queue.head + 1) % QUEUE_CAP;
        queue.len--;
        pthread_cond_signal(&queue.not_full);
    }
    pthread_mutex_unlock(&queue.mu);
    return got;
}

static const struct service *running;

static void *worker_main(void *arg)
{
    struct service_worker *w = arg;
    char name[16];
    snprintf(name, sizeof name, "worker-%d", w->id);
    pthread_setname_np(pthread_self(), name);
    struct service_request req;
    while (take(&req)) {
        running->handle(w, &req);
        atomic_fetch_add_explicit(&handled, 1, memory_order_relaxed);
    }
    return NULL;
}

static void worker_init(struct service_worker *w, int id)
{
    memset(w, 0, sizeof *w);
    w->id = id;
    w->rng = 2654435761u * (uint32_t)(id + 1);
    for (int i = 0; i < SERVICE_PARSE_BUFFERS; i++)
        w->scratch[i] = malloc(service_parse_sizes[i]);
    w->orders = calloc(service_settings.sort_size + 1, sizeof *w->orders);
    w->keys = calloc(service_settings.sort_size + 1, sizeof *w->keys);
    for (int i = 0; i < SERVICE_PARSE_BUFFERS; i++)
        if (!w->scratch[i] || !w->orders || !w->keys) {
            fprintf(stderr, "%s: out of memory\n", prog);
            exit(1);
        }
}

static void worker_fini(struct service_worker *w)
{
    for (int i = 0; i < SERVICE_PARSE_BUFFERS; i++)
        free(w->scratch[i]);
    free(w->orders);
    free(w->keys);
}

struct service_cache_entry *service_cache_add(struct service_cache_entry *e, uint64_t max_bytes)
{
    struct service_cache_entry *evicted = NULL;
    pthread_mutex_lock(&cache.mu);
    e->prev = NULL;
    e->next = cache.head;
    if (cache.head)
        cache.head->prev = e;
    else
        cache.tail = e;
    cache.head = e;
    cache.bytes += e->len;
    while (cache.tail != e && cache.bytes > max_bytes) {
        struct service_cache_entry *old = cache.tail;
        cache.tail = old->prev;
        cache.tail->next = NULL;
        cache.bytes -= old->len;
        old->next = evicted;
        evicted = old;
    }
    pthread_mutex_unlock(&cache.mu);
    return evicted;
}

static uint64_t cache_bytes(void)
{
    pthread_mutex_lock(&cache.mu);
    uint64_t n = cache.bytes;
    pthread_mutex_unlock(&cache.mu);
    return n;
}

/* Frees the whole cache (the workers have stopped); returns its bytes. */
static uint64_t cache_free(void)
{
    uint64_t freed = cache.bytes;
    while (cache.head) {
        struct service_cache_entry *e = cache.head;
        cache.head = e->next;
        free(e);
    }
    cache.tail = NULL;
    cache.bytes = 0;
    return freed;
}

/* /proc/self/task, /proc/self/fd and /proc/self/statm, opened once at start
 * and reread in place: when a leak has used up every descriptor, the status
 * line still counts. Written before the workers start, read by main only. */
static int task_dir = -1, fd_dir = -1, statm_fd = -1;
#define STATUS_FDS 3

static void status_open(void)
{
    task_dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    fd_dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
}

static void status_close(void)
{
    close(task_dir);
    close(fd_dir);
    close(statm_fd);
}

/* Entries of an open /proc directory, or -1. */
static int count_entries(int dir)
{
    char buf[8192];
    ssize_t got;
    int n = 0;
    if (dir < 0 || lseek(dir, 0, SEEK_SET) < 0)
        return -1;
    while ((got = getdents64(dir, buf, sizeof buf)) > 0)
        for (ssize_t off = 0; off < got;) {
            const struct dirent64 *d = (const struct dirent64 *)(buf + off);
            n += d->d_name[0] != '.';
            off += d->d_reclen;
        }
    return got < 0 ? -1 : n;
}

static long rss_kb(void)
{
    char buf[128];
    long pages;
    ssize_t n = statm_fd < 0 ? -1 : pread(statm_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    if (sscanf(buf, "%*s %ld", &pages) != 1)
        return -1;
    return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

static void print_status(const struct service *svc, double t)
{
    int fds = count_entries(fd_dir);
    printf("%s: t=%.0fs requests=%llu cache_bytes=%llu threads=%d fds=%d rss_kb=%ld\n",
           svc->name, t, (unsigned long long)atomic_load(&handled),
           (unsigned long long)cache_bytes(), count_entries(task_dir),
           fds < 0 ? fds : fds - STATUS_FDS /* the service's own, not ours */, rss_kb());
}

void service_warn_once(int *once, const char *what, int err)
{
    if (!__atomic_exchange_n(once, 1, __ATOMIC_RELAXED))
        fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(err));
}

uint64_t service_parse(unsigned char *const bufs[SERVICE_PARSE_BUFFERS], uint64_t seq)
{
    uint64_t sum = 0;
    for (int i = 0; i < SERVICE_PARSE_BUFFERS; i++) {
        memset(bufs[i], (int)((seq + (uint64_t)i) & 0xff), service_parse_sizes[i]);
        /* Keeps the compiler from folding the reads into the memset value. */
        __asm__ volatile("" : : "r"(bufs[i]) : "memory");
        for (size_t k = 0; k < service_parse_sizes[i]; k += 64)
            sum += bufs[i][k];
    }
    return sum;
}

void service_orders_fill(struct service_order *orders, size_t n, uint32_t *rng)
{
    uint32_t x = *rng ? *rng : 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        memcpy(orders[i].user, "user-", 5);
        uint32_t v = x;
        for (int d = 14; d >= 5; d--, v /= 10)
            orders[i].user[d] = (char)('0' + v % 10);
        orders[i].user[15] = '\0';
        orders[i].amount = x & 0xffff;
    }
    *rng = x;
}

int service_main(const struct service *svc, int argc, char **argv)
{
    prog = svc->name;
    running = svc;
    setvbuf(stdout, NULL, _IOLBF, 0);
    parse_args(svc, argc, argv);
    const struct service_settings *s = &service_settings;

    char dur[32] = "until SIGTERM/SIGINT";
    if (s->duration_s > 0)
        snprintf(dur, sizeof dur, "%g s", s->duration_s);
    status_open();
    printf("%s: pid %d, %llu workers, %g requests/s, %s\n", svc->name, (int)getpid(),
           (unsigned long long)s->workers, s->rps, dur);
    svc->describe(stdout);

    /* Only the main thread takes SIGTERM/SIGINT: workers, and the threads
     * they start, inherit this mask. */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    struct service_worker *workers = calloc(s->workers, sizeof *workers);
    pthread_t *tids = calloc(s->workers, sizeof *tids);
    if (!workers || !tids) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return 1;
    }
    for (uint64_t i = 0; i < s->workers; i++) {
        worker_init(&workers[i], (int)i);
        int err = pthread_create(&tids[i], NULL, worker_main, &workers[i]);
        if (err) {
            fprintf(stderr, "%s: pthread_create: %s\n", prog, strerror(err));
            return 1;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop; /* no SA_RESTART: the sleep below returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    pthread_sigmask(SIG_UNBLOCK, &stop_set, NULL);

    int64_t start = now_ns();
    int64_t end = s->duration_s > 0 ? start + (int64_t)(s->duration_s * NS_PER_S) : INT64_MAX;
    uint64_t seq = 0;
    int64_t next_status = start + NS_PER_S;
    while (!stop_signal) {
        int64_t next_req = start + (int64_t)((double)(seq + 1) * NS_PER_S / s->rps);
        int64_t next = next_req < next_status ? next_req : next_status;
        if (end < next)
            next = end;
        struct timespec ts = {next / NS_PER_S, next % NS_PER_S};
        if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            continue;
        int64_t now = now_ns();
        if (now >= end)
            break;
        while (!stop_signal && now >= start + (int64_t)((double)(seq + 1) * NS_PER_S / s->rps))
            dispatch(++seq);
        if (now >= next_status) {
            print_status(svc, (double)(next_status - start) / NS_PER_S);
            next_status += NS_PER_S * (1 + (now - next_status) / NS_PER_S);
        }
    }
    double ran_s = (double)(now_ns() - start) / NS_PER_S;

    pthread_mutex_lock(&queue.mu);
    queue.closed = 1;
    pthread_cond_broadcast(&queue.not_empty);
    pthread_mutex_unlock(&queue.mu);
    for (uint64_t i = 0; i < s->workers; i++) {
        pthread_join(tids[i], NULL);
        worker_fini(&workers[i]);
    }
    free(workers);
    free(tids);
    uint64_t freed = cache_free(); /* leaked threads and files go with the process */
    status_close();
    printf("%s: stopped (%s) after %.1f s: requests=%llu dispatched=%llu, freed %llu cache bytes\n",
           svc->name, stop_signal == SIGTERM ? "SIGTERM" : stop_signal == SIGINT ? "SIGINT" : "duration",
           ran_s, (unsigned long long)atomic_load(&handled), (unsigned long long)seq,
           (unsigned long long)freed);
    return 0;
}
