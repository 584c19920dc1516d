/*
 * The request loop shared by the example services (leaky_service.c and
 * steady_service.c): options, a paced dispatcher, a pool of worker threads,
 * the once-a-second status line, the cache's list and clean shutdown. Each
 * service supplies only how one request is handled, so the two differ in
 * exactly the mistakes and nothing else.
 */
#ifndef EXAMPLES_SERVICE_H
#define EXAMPLES_SERVICE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NOINLINE __attribute__((noinline))

/* What one request asks of its handler. The dispatcher spreads every rate
 * over the requests so that the first N requests together carry exactly
 * floor(rate * N / rps) of each: a test can compare what it measures with
 * the configured rate. */
struct service_request {
    uint64_t seq;       /* 1, 2, 3, ... in dispatch order */
    size_t cache_bytes; /* bytes this request puts into the cache */
    unsigned files;     /* files it opens (the fd leak's rate) */
    unsigned watches;   /* upstream watches it starts (the thread leak's rate) */
};

/* The buffers one request is parsed in: sizes in bytes. Churn allocates
 * them per request; the pooled variants reuse one set per worker. */
#define SERVICE_PARSE_BUFFERS 8
extern const size_t service_parse_sizes[SERVICE_PARSE_BUFFERS];

/* One order of the sort workload: the user id is text, as it came in. */
struct service_order {
    char user[16]; /* "user-" and ten digits */
    uint32_t amount;
};

/* An order's key, parsed once, and the order it came from. */
struct service_order_key {
    unsigned long user;
    size_t idx;
};

/* A worker thread's own state; only that thread touches it. */
struct service_worker {
    int id;
    uint32_t rng;
    unsigned char *scratch[SERVICE_PARSE_BUFFERS]; /* the pooled buffers */
    struct service_order *orders;                  /* sort_size orders, pooled */
    struct service_order_key *keys;                /* sort_size keys, pooled */
};

/* Settings every service takes (see --help); fixed once parsing is done. */
struct service_settings {
    double duration_s;     /* 0 = until SIGTERM or SIGINT */
    double rps;            /* requests dispatched per second */
    uint64_t workers;      /* worker threads */
    uint64_t leak_rate;    /* bytes per second put into the cache */
    double thread_rate;    /* upstream watches started per second */
    double fd_rate;        /* files opened per second */
    uint64_t sort_size;    /* orders sorted per request (0 = no sort) */
};
extern struct service_settings service_settings;

enum service_opt_kind { SERVICE_OPT_FLAG, SERVICE_OPT_BYTES, SERVICE_OPT_COUNT, SERVICE_OPT_NUMBER };

/* One command-line option: --NAME, or --NAME VALUE / --NAME=VALUE. */
struct service_opt {
    const char *name;
    enum service_opt_kind kind;
    void *target; /* int, uint64_t, uint64_t or double, by kind */
    const char *help;
};

struct service {
    const char *name;
    const struct service_opt *opts; /* its own options, ended by {NULL} */
    /* After parsing: checks option combinations (returns a one-line error
     * or NULL) and may adjust them. */
    const char *(*configure)(void);
    /* Prints what the service will do, a line per behaviour. */
    void (*describe)(FILE *out);
    /* Handles one request on worker `w`; called concurrently. */
    void (*handle)(struct service_worker *w, const struct service_request *req);
};

/* A cached response. The services allocate entries themselves, so the
 * allocation's stack is theirs (cache_insert), and keep them in the one
 * list service.c holds, which it frees at exit. */
struct service_cache_entry {
    struct service_cache_entry *next, *prev; /* newer, older: under the list's lock */
    uint64_t key;
    size_t len;
    unsigned char data[];
};

/* Links e in as the newest entry, then unlinks the oldest ones (never e)
 * while the cache holds more than max_bytes. Returns those, chained by
 * next, for the caller to free; NULL when none. Thread-safe. */
struct service_cache_entry *service_cache_add(struct service_cache_entry *e, uint64_t max_bytes);

/* Runs the service: parses argv (exit 2 with one line on a bad option),
 * prints what it does, dispatches requests until the duration ends or
 * SIGTERM/SIGINT arrives, and returns the exit status (0). */
int service_main(const struct service *svc, int argc, char **argv);

/* Parse work on the given buffers (sizes service_parse_sizes); returns a
 * checksum so the work cannot be optimized away. */
uint64_t service_parse(unsigned char *const bufs[SERVICE_PARSE_BUFFERS], uint64_t seq);

/* Fills n orders with pseudo-random users and amounts from *rng. */
void service_orders_fill(struct service_order *orders, size_t n, uint32_t *rng);

/* Prints "NAME: what" plus the errno text once per process and key; for
 * failures that stop one behaviour (an fd limit, a thread limit). */
void service_warn_once(int *once, const char *what, int err);

#endif
