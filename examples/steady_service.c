/*
 * steady_service: the control for leaky_service.c. It does the same work
 * at the same rates (service.c spreads them over requests identically) and
 * makes none of the mistakes, so its memory, threads and files stay flat:
 *   cache_insert()        evicts the oldest entries beyond --cache-max;
 *   check_upstream()      waits for the upstream on the worker itself, with
 *                         a timeout, instead of on a thread of its own;
 *   read_request_id()     closes what it opens;
 *   sort_orders()         parses each key once, then sorts the keys
 *                         (compare_order_keys);
 *   parse_request_pooled() reuses one set of buffers per worker.
 * Function names match leaky_service's where the work is the same, so a
 * differential profile of the two shows only the mistakes.
 */
#include "service.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t opt_cache_max = 1 << 20;

static const struct service_opt steady_opts[] = {
    {"cache-max", SERVICE_OPT_BYTES, &opt_cache_max,
     "BYTES  the cache evicts its oldest entries beyond this (default 1M)"},
    {NULL, 0, NULL, NULL},
};

static pthread_mutex_t upstream_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t upstream_reply = PTHREAD_COND_INITIALIZER;

static int warned_fd, warned_memory; /* service_warn_once */

static void steady_describe(FILE *out)
{
    const struct service_settings *s = &service_settings;
    fprintf(out, "steady_service: cache: %llu bytes/s into a cache bounded at %llu bytes "
                 "(cache_insert)\n", (unsigned long long)s->leak_rate,
            (unsigned long long)opt_cache_max);
    fprintf(out, "steady_service: upstream checks: %g/s on the workers, 1 ms timeout "
                 "(check_upstream)\n", s->thread_rate);
    fprintf(out, "steady_service: files: %g/s opened and closed (read_request_id)\n", s->fd_rate);
    fprintf(out, "steady_service: sort: %llu orders per request, keys parsed once "
                 "(compare_order_keys)\n", (unsigned long long)s->sort_size);
    fprintf(out, "steady_service: parse buffers: pooled per worker (parse_request_pooled)\n");
}

static NOINLINE void cache_insert(uint64_t key, size_t len)
{
    if (len > opt_cache_max)
        return; /* would evict everything and still not fit */
    struct service_cache_entry *e = malloc(sizeof *e + len);
    if (!e) {
        service_warn_once(&warned_memory, "cache: malloc", ENOMEM);
        return;
    }
    e->key = key;
    e->len = len;
    memset(e->data, (int)(key & 0xff), len);
    /* Evicted entries come back unlinked, freed outside the cache's lock. */
    for (struct service_cache_entry *old = service_cache_add(e, opt_cache_max), *next; old;
         old = next) {
        next = old->next;
        free(old);
    }
}

static NOINLINE void check_upstream(void)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&upstream_mu);
    while (pthread_cond_timedwait(&upstream_reply, &upstream_mu, &deadline) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&upstream_mu);
}

static NOINLINE uint64_t read_request_id(void)
{
    uint64_t id = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        service_warn_once(&warned_fd, "open /dev/urandom", errno);
        return 0;
    }
    if (read(fd, &id, sizeof id) != (ssize_t)sizeof id)
        id = 0;
    close(fd);
    return id;
}

static NOINLINE int compare_order_keys(const void *a, const void *b)
{
    const struct service_order_key *x = a, *y = b;
    return (x->user > y->user) - (x->user < y->user);
}

static NOINLINE uint32_t sort_orders(struct service_worker *w)
{
    size_t n = service_settings.sort_size;
    struct service_order_key *keys = w->keys;
    service_orders_fill(w->orders, n, &w->rng);
    for (size_t i = 0; i < n; i++) {
        keys[i].user = strtoul(w->orders[i].user + 5, NULL, 10);
        keys[i].idx = i;
    }
    qsort(keys, n, sizeof *keys, compare_order_keys);
    return n ? w->orders[keys[0].idx].amount : 0;
}

static NOINLINE uint64_t parse_request_pooled(struct service_worker *w, uint64_t seq)
{
    return service_parse(w->scratch, seq);
}

static volatile uint64_t sink; /* keeps results of the work alive */

static void steady_handle(struct service_worker *w, const struct service_request *req)
{
    uint64_t v = parse_request_pooled(w, req->seq);
    if (service_settings.sort_size)
        v += sort_orders(w);
    for (unsigned i = 0; i < req->files; i++)
        v += read_request_id();
    for (unsigned i = 0; i < req->watches; i++)
        check_upstream();
    if (req->cache_bytes)
        cache_insert(req->seq, req->cache_bytes);
    sink += v;
}

int main(int argc, char **argv)
{
    static const struct service steady = {
        .name = "steady_service",
        .opts = steady_opts,
        .configure = NULL,
        .describe = steady_describe,
        .handle = steady_handle,
    };
    return service_main(&steady, argc, argv);
}
