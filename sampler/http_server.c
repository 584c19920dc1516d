/*
 * The HTTP server thread inside the service: libmicrohttpd driven by our
 * own thread, plus one worker thread per profile being built.
 *
 * Why libmicrohttpd is dlopen'ed: Debian's libmicrohttpd.so.12 pulls in
 * GnuTLS, nettle, p11-kit and more (about 20 libraries). Linking it would
 * load all of them into every service that preloads libhearth, server or
 * not. So the library is opened only when HEARTH_HTTP is set, by the
 * server thread, and its functions are called through pointers typed from
 * microhttpd.h; if it is missing, one stderr line says so and the service
 * runs on.
 *
 * Why our own threads: the server's allocations must not be counted as the
 * service's. Every allocation of libmicrohttpd happens on a thread we
 * create and mark as the sampler's (heap_internal_begin), so the sampler
 * never records it: one event-loop thread (libmicrohttpd in external mode,
 * MHD_run_wait) and one worker per slow request (heap, symbol, profiles),
 * each suspending its connection until the reply is ready. A CPU profile
 * or delta therefore never blocks the other connections.
 *
 * Limits: 64 connections, 10 s idle timeout, 16 KiB of headers, 64 KiB of
 * body, 30 s to send a whole request body, 16 slow requests at once (more
 * get 503 with Retry-After). Nothing here can stop the service: failures
 * close a connection or turn into 5xx replies.
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http.h"
#include "http_listen.h"
#include "sampler.h"
#include "own_thread.h"

#define MAX_CONNECTIONS 64
#define IDLE_TIMEOUT_S 10
#define HEADER_BYTES (16 * 1024)
#define MAX_BODY_BYTES (64 * 1024)
#define MAX_URI_BYTES 8192
#define BODY_DEADLINE_NS (30 * (int64_t)1000000000)
#define MAX_SLOW 16

/* libmicrohttpd's functions, resolved once by the server thread before any
 * connection exists; read-only afterwards. */
static struct {
    void *lib;
    __typeof__(MHD_start_daemon) *start_daemon;
    __typeof__(MHD_run_wait) *run_wait;
    __typeof__(MHD_lookup_connection_value) *lookup;
    __typeof__(MHD_get_connection_info) *conn_info;
    __typeof__(MHD_create_response_from_buffer) *response_from_buffer;
    __typeof__(MHD_add_response_header) *add_header;
    __typeof__(MHD_queue_response) *queue;
    __typeof__(MHD_destroy_response) *destroy_response;
    __typeof__(MHD_suspend_connection) *suspend;
    __typeof__(MHD_resume_connection) *resume;
} mhd;

/* Settings of the running server: written by http_start before the server
 * thread starts, read-only afterwards. */
static int listen_fd = -1;
static char shown_addr[80];
/* Slow requests in progress (worker threads alive). */
static _Atomic int n_slow;


static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int mhd_load(void)
{
    mhd.lib = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
    if (!mhd.lib) {
        own_say("hearth: HEARTH_HTTP: cannot load libmicrohttpd.so.12 (%s); install libmicrohttpd12; "
            "the HTTP server is off", dlerror());
        return -1;
    }
    struct { void **fn; const char *name; } fns[] = {
        {(void **)&mhd.start_daemon, "MHD_start_daemon"},
        {(void **)&mhd.run_wait, "MHD_run_wait"},
        {(void **)&mhd.lookup, "MHD_lookup_connection_value"},
        {(void **)&mhd.conn_info, "MHD_get_connection_info"},
        {(void **)&mhd.response_from_buffer, "MHD_create_response_from_buffer"},
        {(void **)&mhd.add_header, "MHD_add_response_header"},
        {(void **)&mhd.queue, "MHD_queue_response"},
        {(void **)&mhd.destroy_response, "MHD_destroy_response"},
        {(void **)&mhd.suspend, "MHD_suspend_connection"},
        {(void **)&mhd.resume, "MHD_resume_connection"},
    };
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
        *fns[i].fn = dlsym(mhd.lib, fns[i].name);
        if (!*fns[i].fn) {
            own_say("hearth: HEARTH_HTTP: libmicrohttpd.so.12 has no %s (0.9.73 or later is needed); "
                "the HTTP server is off", fns[i].name);
            return -1;
        }
    }
    return 0;
}

enum { PHASE_HEADERS, PHASE_BODY, PHASE_SLOW };

/* One request, from its first line to its completion. Created by uri_log
 * on the server thread; owned by the server thread, except that between
 * suspend and resume only the worker touches req and reply. */
typedef struct conn_state {
    int phase;
    int64_t start_ns;
    char *query;          /* raw query string (after '?'), for /symbol */
    bool uri_too_long;
    char *body;
    size_t body_len;
    bool body_too_big;
    struct MHD_Connection *conn;
    int fd;               /* the client socket, watched for hang-ups */
    pprof_request req;
    http_reply reply;
} conn_state;

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    conn_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->start_ns = mono_ns();
    st->fd = -1;
    size_t n = strlen(uri);
    if (n > MAX_URI_BYTES) {
        st->uri_too_long = true;
        return st;
    }
    const char *q = strchr(uri, '?');
    st->query = strdup(q ? q + 1 : "");
    if (!st->query) {
        free(st);
        return NULL;
    }
    return st;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    conn_state *st = *con_cls;
    if (!st)
        return;
    free(st->query);
    free(st->body);
    free(st->reply.body);
    free(st);
    *con_cls = NULL;
}

static enum MHD_Result send_reply(struct MHD_Connection *c, http_reply *r)
{
    struct MHD_Response *resp;
    if (r->body)
        resp = mhd.response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    else
        resp = mhd.response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    r->body = NULL; /* the response owns it now */
    mhd.add_header(resp, "Content-Type", r->content_type ? r->content_type : "text/plain; charset=utf-8");
    mhd.add_header(resp, "X-Content-Type-Options", "nosniff");
    if (r->filename[0]) {
        char cd[80];
        snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", r->filename);
        mhd.add_header(resp, "Content-Disposition", cd);
    }
    if (r->go_error)
        mhd.add_header(resp, "X-Go-Pprof", "1");
    if (r->location)
        mhd.add_header(resp, "Location", r->location);
    if (r->status == 405)
        mhd.add_header(resp, "Allow", "GET, HEAD, POST");
    if (r->status == 401)
        mhd.add_header(resp, "WWW-Authenticate", "Bearer realm=\"hearth\"");
    if (r->retry_after_s) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", r->retry_after_s);
        mhd.add_header(resp, "Retry-After", ra);
    }
    enum MHD_Result ret = mhd.queue(c, (unsigned)r->status, resp);
    mhd.destroy_response(resp);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, conn_state *st, int status,
                                  const char *msg)
{
    http_reply_error(&st->reply, status, "%s", msg);
    st->reply.go_error = false;
    return send_reply(c, &st->reply);
}

/* Compares the Authorization header with "Bearer <token>" in time that
 * depends only on the token's length, so response times reveal nothing
 * of how much of a guess was right. */
static bool authorized(struct MHD_Connection *c)
{
    const char *want = hearth_g.cfg.http_token;
    if (!want[0])
        return true;
    const char *given = mhd.lookup(c, MHD_HEADER_KIND, "Authorization");
    if (!given || strncasecmp(given, "Bearer ", 7) != 0)
        return false;
    given += 7;
    size_t want_len = strlen(want), given_len = strlen(given);
    unsigned diff = given_len != want_len;
    for (size_t i = 0; i < want_len; i++)
        diff |= (unsigned char)want[i] ^ (unsigned char)(i < given_len ? given[i] : 0);
    return diff == 0;
}

static const char *get_arg(void *ctx, const char *name)
{
    return mhd.lookup((struct MHD_Connection *)ctx, MHD_GET_ARGUMENT_KIND, name);
}

/* pprof_request.wait for a worker: sleeps in slices while polling the
 * suspended connection's socket for a hang-up (libmicrohttpd does not
 * watch suspended connections). */
static bool wait_client(void *ctx, int64_t ns)
{
    const conn_state *st = ctx;
    int64_t end = mono_ns() + ns;
    for (;;) {
        int64_t left = end - mono_ns();
        if (left <= 0)
            return true;
        int ms = left > 200000000 ? 200 : (int)((left + 999999) / 1000000);
        if (st->fd < 0) {
            struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        struct pollfd pfd = {st->fd, POLLRDHUP, 0};
        int r = poll(&pfd, 1, ms);
        if (r > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
            return false;
    }
}

static void *worker_main(void *arg)
{
    heap_internal_begin(); /* this thread's allocations are the sampler's */
    own_thread_begin("hearth-http-w");
    conn_state *st = arg;
    pprof_serve(&st->reply, &st->req);
    atomic_fetch_sub(&n_slow, 1);
    /* The last touch of st: after resume the server thread owns it. */
    mhd.resume(st->conn);
    return NULL;
}

static enum MHD_Result start_slow(struct MHD_Connection *c, conn_state *st)
{
    if (atomic_fetch_add(&n_slow, 1) >= MAX_SLOW) {
        atomic_fetch_sub(&n_slow, 1);
        http_reply_error(&st->reply, 503, "too many profile requests in progress (%d); retry later",
                         MAX_SLOW);
        st->reply.retry_after_s = 1;
        return send_reply(c, &st->reply);
    }
    const union MHD_ConnectionInfo *ci = mhd.conn_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    st->fd = ci ? ci->connect_fd : -1;
    st->req.wait = wait_client;
    st->req.wait_ctx = st;
    st->conn = c;
    st->phase = PHASE_SLOW;
    /* Suspend first: the worker may finish and resume at once. */
    mhd.suspend(c);
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&th, &attr, worker_main, st);
    pthread_attr_destroy(&attr);
    if (rc) {
        atomic_fetch_sub(&n_slow, 1);
        http_reply_error(&st->reply, 503, "cannot start a worker thread: %s", strerror(rc));
        st->reply.retry_after_s = 1;
        mhd.resume(c);
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    conn_state *st = *con_cls;
    if (!st)
        return MHD_NO;
    switch (st->phase) {
    case PHASE_HEADERS:
        st->phase = PHASE_BODY;
        if (!authorized(c))
            return send_error(c, st, 401, "unauthorized: send Authorization: Bearer <HEARTH_HTTP_TOKEN>");
        if (st->uri_too_long)
            return send_error(c, st, 414, "request URI too long");
        const char *cl = mhd.lookup(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > MAX_BODY_BYTES)
            return send_error(c, st, 413, "request body too large (at most 65536 bytes)");
        return MHD_YES;
    case PHASE_BODY:
        if (*upload_size) {
            if (mono_ns() - st->start_ns > BODY_DEADLINE_NS)
                return MHD_NO; /* a trickling body: drop the connection */
            size_t n = *upload_size;
            *upload_size = 0;
            if (st->body_too_big || st->body_len + n > MAX_BODY_BYTES) {
                st->body_too_big = true;
                return MHD_YES;
            }
            char *nb = realloc(st->body, st->body_len + n + 1);
            if (!nb)
                return MHD_NO;
            memcpy(nb + st->body_len, upload_data, n);
            st->body = nb;
            st->body_len += n;
            st->body[st->body_len] = '\0';
            return MHD_YES;
        }
        if (st->body_too_big)
            return send_error(c, st, 413, "request body too large (at most 65536 bytes)");
        int kind = http_route(&st->req, &st->reply, method, url, get_arg, c);
        if (!strcmp(method, "POST")) {
            st->req.args = st->body ? st->body : "";
            st->req.args_len = st->body_len;
        } else {
            st->req.args = st->query;
            st->req.args_len = strlen(st->query);
        }
        if (kind == HTTP_ROUTE_SLOW)
            return start_slow(c, st);
        if (kind == HTTP_ROUTE_QUICK)
            pprof_serve(&st->reply, &st->req);
        return send_reply(c, &st->reply);
    case PHASE_SLOW:
        /* Resumed by the worker: the reply is ready. */
        return send_reply(c, &st->reply);
    }
    return MHD_NO;
}

static void *server_main(void *arg)
{
    (void)arg;
    heap_internal_begin(); /* libmicrohttpd's allocations are the sampler's */
    own_thread_begin("hearth-http");
    if (mhd_load()) {
        close(listen_fd);
        return NULL;
    }
    struct MHD_Daemon *d = mhd.start_daemon(
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, on_request, NULL,
        MHD_OPTION_LISTEN_SOCKET, listen_fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_BYTES,
        MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_END);
    if (!d) {
        own_say("hearth: HEARTH_HTTP=%s: libmicrohttpd did not start; the HTTP server is off",
            hearth_g.cfg.http_addr);
        close(listen_fd);
        return NULL;
    }
    own_say("hearth: serving http://%s/debug/pprof/ (pid %ld)", shown_addr, (long)getpid());
    for (;;)
        if (mhd.run_wait(d, 1000) != MHD_YES) {
            /* Should not happen; never spin if it does. */
            struct timespec ts = {0, 100000000};
            nanosleep(&ts, NULL);
        }
    return NULL;
}

int http_start(void)
{
    const config *cfg = &hearth_g.cfg;
    if (!cfg->http_addr[0])
        return 0;
    http_addr a;
    char why[160];
    if (http_addr_parse(&a, cfg->http_addr, why, sizeof why)) {
        own_say("hearth: HEARTH_HTTP=%s: %s; the HTTP server is off", cfg->http_addr, why);
        return -1;
    }
    if (!a.loopback && !cfg->http_token[0]) {
        own_say("hearth: HEARTH_HTTP=%s: not a loopback address and HEARTH_HTTP_TOKEN is not set; "
            "the HTTP server is off", cfg->http_addr);
        return -1;
    }
    listen_fd = http_listen(&a, shown_addr, sizeof shown_addr, why, sizeof why);
    if (listen_fd < 0) {
        own_say("hearth: HEARTH_HTTP=%s: %s; the HTTP server is off", cfg->http_addr, why);
        return -1;
    }
    /* Workers inherit the server thread's mask: no service signals. */
    int rc = own_thread_start(server_main, NULL);
    if (rc) {
        own_say("hearth: HEARTH_HTTP: cannot start the server thread: %s; the HTTP server is off",
            strerror(rc));
        close(listen_fd);
        return -1;
    }
    return 0;
}
