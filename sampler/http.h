/*
 * The in-service /debug/pprof/ server: the server (http_server.c), its
 * routes and parameters (http_routes.c) and the bodies of the endpoints
 * (pprof_endpoints.c), which know nothing of libmicrohttpd.
 */
#ifndef HEARTH_SAMPLER_HTTP_H
#define HEARTH_SAMPLER_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../formats/error.h"

/* Starts the server when HEARTH_HTTP is set: checks the address and the
 * loopback policy, binds, and starts the server thread, which loads
 * libmicrohttpd. Returns 0 (also when HEARTH_HTTP is unset) or -1 after one
 * stderr line; the service runs on either way. Called once by sampler_init. */
int http_start(void);

/* Longest CPU profile or delta interval a request may ask for, seconds. */
#define PPROF_MAX_SECONDS 300
/* Default CPU profile length, as net/http/pprof. */
#define PPROF_DEFAULT_CPU_SECONDS 30

typedef enum pprof_what {
    PPROF_INDEX,
    PPROF_CMDLINE,
    PPROF_SYMBOL,
    PPROF_HEAP,
    PPROF_ALLOCS,
    PPROF_PROFILE,
    PPROF_GOROUTINE,
    PPROF_THREADCREATE,
    PPROF_TIMELINE,      /* /debug/hearth/timeline */
} pprof_what;

/* What an endpoint answers. The server sends it and frees body. */
typedef struct http_reply {
    int status;
    const char *content_type;  /* static */
    char filename[32];         /* Content-Disposition: attachment; "" = none */
    const char *location;      /* Location header of a redirect, static */
    char *body;                /* malloc'd */
    size_t len;
    bool go_error;             /* X-Go-Pprof: 1 (pprof shows the body as the error) */
    int retry_after_s;         /* Retry-After, 0 = none */
} http_reply;

/* A request that routing accepted, with its parameters checked. */
typedef struct pprof_request {
    pprof_what what;
    int64_t seconds;           /* delta or CPU interval; 0 = not asked */
    int debug;                 /* ?debug=N */
    const char *args;          /* /symbol: the raw query or the POST body */
    size_t args_len;
    /* Sleeps up to ns nanoseconds while watching the client; returns false
     * as soon as the client has gone (the work is then abandoned). */
    bool (*wait)(void *ctx, int64_t ns);
    void *wait_ctx;
} pprof_request;

/* A request parameter's value (decoded), or NULL when absent. */
typedef const char *(*http_arg_fn)(void *ctx, const char *name);

/* Routing results. */
#define HTTP_ROUTE_REPLY 0 /* reply is filled in: an error or a redirect */
#define HTTP_ROUTE_QUICK 1 /* serve on the server thread: no waiting, no locks */
#define HTTP_ROUTE_SLOW 2  /* serve on a worker thread: it builds profiles or waits */

/*
 * Maps a request to an endpoint with net/http/pprof's paths, parameters,
 * status codes and messages: 301 from /debug/pprof to /debug/pprof/, 404
 * for unknown paths and for block, mutex and trace (with why), 400 for bad
 * parameters, 405 for methods other than GET, HEAD and POST. args is the
 * raw query (GET) or the body (POST), for /symbol. Returns an
 * HTTP_ROUTE_* value.
 */
int http_route(pprof_request *out, http_reply *reply, const char *method, const char *path,
               http_arg_fn arg, void *arg_ctx);

/* Fills reply with a one-line plain-text error in net/http/pprof's style. */
void http_reply_error(http_reply *reply, int status, const char *fmt, ...) HEARTH_PRINTF(3, 4);

/* Builds the reply to an accepted request. Runs on the server thread for
 * quick endpoints, on a worker thread for slow ones; may block for
 * req->seconds. Never fails: errors become 4xx/5xx replies. */
void pprof_serve(http_reply *reply, const pprof_request *req);

#endif
