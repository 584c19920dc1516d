/*
 * leaky_service: a request-handling service that makes the classic
 * mistakes, each behind a flag, so profiles have a known answer:
 *   --cache-leak   cache_insert() keeps every response, never evicts: the
 *                  heap grows by exactly --leak-rate bytes a second;
 *   --thread-leak  start_upstream_watch() starts a thread per watch that
 *                  blocks forever in watch_upstream_forever() ("upstream-watch");
 *   --fd-leak      read_request_id() opens /dev/urandom and never closes it;
 *   --hot-sort     sort_orders() sorts with compare_orders_by_user(), which
 *                  sscanf()s both keys on every one of the n log n comparisons;
 *   --churn        parse_request_churn() mallocs and frees its buffers on
 *                  every request (--pooled reuses one set per worker).
 * No flag at all means every mistake (--all); naming any (--pooled too)
 * means just those. steady_service.c is the same
 * work done right; service.c is the request loop both share.
 */
#include "service.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int opt_cache_leak, opt_thread_leak, opt_fd_leak, opt_hot_sort, opt_churn, opt_pooled,
    opt_all;

static const struct service_opt leaky_opts[] = {
    {"cache-leak", SERVICE_OPT_FLAG, &opt_cache_leak,
     "cache every response forever (grows by --leak-rate bytes/s)"},
    {"thread-leak", SERVICE_OPT_FLAG, &opt_thread_leak,
     "start a thread per upstream watch that never ends (--thread-rate)"},
    {"fd-leak", SERVICE_OPT_FLAG, &opt_fd_leak, "open files and never close them (--fd-rate)"},
    {"hot-sort", SERVICE_OPT_FLAG, &opt_hot_sort,
     "sort orders with a comparator that parses its keys (--sort-size)"},
    {"churn", SERVICE_OPT_FLAG, &opt_churn, "malloc and free the parse buffers per request"},
    {"pooled", SERVICE_OPT_FLAG, &opt_pooled, "reuse the parse buffers (instead of --churn)"},
    {"all", SERVICE_OPT_FLAG, &opt_all, "every mistake (the default when no flag is named)"},
    {NULL, 0, NULL, NULL},
};

/* Never signalled: what the leaked threads wait for. */
static pthread_mutex_t upstream_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t upstream_reply = PTHREAD_COND_INITIALIZER;

static int warned_fd, warned_thread, warned_memory; /* service_warn_once */

static const char *leaky_configure(void)
{
    if (opt_churn && opt_pooled)
        return "--churn and --pooled exclude each other";
    int none = !(opt_cache_leak || opt_thread_leak || opt_fd_leak || opt_hot_sort || opt_churn ||
                 opt_pooled);
    if (opt_all || none) {
        opt_cache_leak = opt_thread_leak = opt_fd_leak = opt_hot_sort = 1;
        opt_churn = !opt_pooled;
    }
    return NULL;
}

static void leaky_describe(FILE *out)
{
    const struct service_settings *s = &service_settings;
    if (opt_cache_leak)
        fprintf(out, "leaky_service: cache leak: %llu bytes/s into a cache that never evicts "
                     "(cache_insert)\n", (unsigned long long)s->leak_rate);
    if (opt_thread_leak)
        fprintf(out, "leaky_service: thread leak: %g threads/s blocked forever "
                     "(watch_upstream_forever, named upstream-watch)\n", s->thread_rate);
    if (opt_fd_leak)
        fprintf(out, "leaky_service: fd leak: %g files/s opened and never closed "
                     "(read_request_id, /dev/urandom)\n", s->fd_rate);
    if (opt_hot_sort)
        fprintf(out, "leaky_service: hot sort: %llu orders per request, keys parsed in the "
                     "comparator (compare_orders_by_user)\n", (unsigned long long)s->sort_size);
    fprintf(out, "leaky_service: parse buffers: %s\n",
            opt_churn ? "malloc and free per request (parse_request_churn)"
                      : "pooled per worker (parse_request_pooled)");
}

static NOINLINE void cache_insert(uint64_t key, size_t len)
{
    struct service_cache_entry *e = malloc(sizeof *e + len);
    if (!e) {
        service_warn_once(&warned_memory, "cache leak: malloc", ENOMEM);
        return;
    }
    e->key = key;
    e->len = len;
    memset(e->data, (int)(key & 0xff), len); /* a real response fills every page */
    service_cache_add(e, UINT64_MAX);         /* the mistake: no bound, nothing evicted */
}

static NOINLINE void *watch_upstream_forever(void *arg)
{
    pthread_setname_np(pthread_self(), "upstream-watch");
    pthread_mutex_lock(&upstream_mu);
    for (;;) /* the reply never comes, and there is no timeout */
        pthread_cond_wait(&upstream_reply, &upstream_mu);
    return arg;
}

static NOINLINE void start_upstream_watch(void)
{
    pthread_t t;
    int err = pthread_create(&t, NULL, watch_upstream_forever, NULL);
    if (err)
        service_warn_once(&warned_thread, "thread leak: pthread_create", err);
}

static NOINLINE uint64_t read_request_id(void)
{
    uint64_t id = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        service_warn_once(&warned_fd, "fd leak: open /dev/urandom", errno);
        return 0;
    }
    if (read(fd, &id, sizeof id) != (ssize_t)sizeof id)
        return 0; /* and fd leaks here as well */
    return id;     /* the mistake: fd is never closed */
}

static NOINLINE int compare_orders_by_user(const void *a, const void *b)
{
    const struct service_order *x = a, *y = b;
    /* The mistake: the numeric key is parsed out of the text, with sscanf,
     * on every comparison instead of once per order. */
    unsigned long ux = 0, uy = 0;
    if (sscanf(x->user, "user-%lu", &ux) != 1 || sscanf(y->user, "user-%lu", &uy) != 1)
        return strcmp(x->user, y->user);
    return (ux > uy) - (ux < uy);
}

static NOINLINE uint32_t sort_orders(struct service_worker *w)
{
    size_t n = service_settings.sort_size;
    struct service_order *orders = opt_churn ? malloc(n * sizeof *orders + 1) : w->orders;
    if (!orders)
        return 0;
    service_orders_fill(orders, n, &w->rng);
    qsort(orders, n, sizeof *orders, compare_orders_by_user);
    uint32_t first = n ? orders[0].amount : 0;
    if (opt_churn)
        free(orders);
    return first;
}

static NOINLINE uint64_t parse_request_churn(uint64_t seq)
{
    unsigned char *bufs[SERVICE_PARSE_BUFFERS];
    uint64_t sum = 0;
    int n = 0;
    for (; n < SERVICE_PARSE_BUFFERS; n++)
        if (!(bufs[n] = malloc(service_parse_sizes[n])))
            break;
    if (n == SERVICE_PARSE_BUFFERS)
        sum = service_parse(bufs, seq);
    while (n > 0)
        free(bufs[--n]);
    return sum;
}

static NOINLINE uint64_t parse_request_pooled(struct service_worker *w, uint64_t seq)
{
    return service_parse(w->scratch, seq);
}

static volatile uint64_t sink; /* keeps results of the work alive */

static void leaky_handle(struct service_worker *w, const struct service_request *req)
{
    uint64_t v = opt_churn ? parse_request_churn(req->seq) : parse_request_pooled(w, req->seq);
    if (opt_hot_sort && service_settings.sort_size)
        v += sort_orders(w);
    if (opt_fd_leak)
        for (unsigned i = 0; i < req->files; i++)
            v += read_request_id();
    if (opt_thread_leak)
        for (unsigned i = 0; i < req->watches; i++)
            start_upstream_watch();
    if (opt_cache_leak && req->cache_bytes)
        cache_insert(req->seq, req->cache_bytes);
    sink += v;
}

int main(int argc, char **argv)
{
    static const struct service leaky = {
        .name = "leaky_service",
        .opts = leaky_opts,
        .configure = leaky_configure,
        .describe = leaky_describe,
        .handle = leaky_handle,
    };
    return service_main(&leaky, argc, argv);
}
