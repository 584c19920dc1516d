/*
 * Paths and parameters of the /debug/pprof/ endpoints, with the meanings,
 * status codes and messages of Go's net/http/pprof, so go tool pprof,
 * curl scripts and the scrapers of Parca and Grafana Alloy behave as they
 * do against a Go service. Where Go silently ignores a malformed parameter
 * (debug=abc, profile?seconds=-1), this server answers 400: a typo should
 * not quietly give a 30-second profile. Pure functions of the request.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

#define PREFIX "/debug/pprof/"

void http_reply_error(http_reply *reply, int status, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    free(reply->body);
    memset(reply, 0, sizeof *reply);
    reply->status = status;
    reply->content_type = "text/plain; charset=utf-8";
    reply->go_error = true;
    reply->body = malloc((size_t)n);
    if (reply->body) {
        memcpy(reply->body, line, (size_t)n);
        reply->len = (size_t)n;
    }
}

/* strconv.ParseInt(s, 10, 64) within [lo, hi]: an optional sign, decimal
 * digits, nothing else. Returns 0 or -1. */
static int parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!*p)
        return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return -1;
    if (strlen(p) > 18)
        return -1;
    long long v = strtoll(s, NULL, 10);
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

typedef struct route {
    const char *name;
    int what;         /* pprof_what, or -1: not served, with why */
    int kind;         /* HTTP_ROUTE_QUICK or HTTP_ROUTE_SLOW */
    bool delta;       /* ?seconds=N gives a delta profile */
    const char *why;  /* for what == -1 */
} route;

static const route routes[] = {
    {"", PPROF_INDEX, HTTP_ROUTE_QUICK, false, NULL},
    {"cmdline", PPROF_CMDLINE, HTTP_ROUTE_QUICK, false, NULL},
    {"symbol", PPROF_SYMBOL, HTTP_ROUTE_SLOW, false, NULL},
    {"heap", PPROF_HEAP, HTTP_ROUTE_SLOW, true, NULL},
    {"allocs", PPROF_ALLOCS, HTTP_ROUTE_SLOW, true, NULL},
    {"profile", PPROF_PROFILE, HTTP_ROUTE_SLOW, false, NULL},
    {"goroutine", PPROF_GOROUTINE, HTTP_ROUTE_SLOW, true, NULL},
    {"threadcreate", PPROF_THREADCREATE, HTTP_ROUTE_SLOW, true, NULL},
    {"block", -1, 0, false,
     "block profile: not collected by hearth (a C service has no Go runtime recording blocking events)"},
    {"mutex", -1, 0, false,
     "mutex profile: not collected by hearth (a C service has no Go runtime recording lock contention)"},
    {"trace", -1, 0, false,
     "trace: Go execution traces do not exist for C services; use /debug/pprof/profile"},
};

int http_route(pprof_request *out, http_reply *reply, const char *method, const char *path,
               http_arg_fn arg, void *arg_ctx)
{
    memset(out, 0, sizeof *out);
    if (strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "POST")) {
        http_reply_error(reply, 405, "method %.16s not allowed: use GET, HEAD or POST", method);
        return HTTP_ROUTE_REPLY;
    }
    if (!strcmp(path, "/debug/pprof")) {
        /* Go's ServeMux redirects a subtree's name without the slash. */
        http_reply_error(reply, 301, "<a href=\"/debug/pprof/\">Moved Permanently</a>.");
        reply->content_type = "text/html; charset=utf-8";
        reply->go_error = false;
        reply->location = "/debug/pprof/";
        return HTTP_ROUTE_REPLY;
    }
    if (!strcmp(path, "/debug/hearth/timeline")) {
        out->what = PPROF_TIMELINE;
        return HTTP_ROUTE_QUICK;
    }
    if (strncmp(path, PREFIX, strlen(PREFIX)) != 0) {
        http_reply_error(reply, 404, "404 page not found");
        reply->go_error = false;
        return HTTP_ROUTE_REPLY;
    }
    const char *name = path + strlen(PREFIX);
    const route *r = NULL;
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++)
        if (!strcmp(name, routes[i].name))
            r = &routes[i];
    if (!r) {
        http_reply_error(reply, 404, "Unknown profile");
        return HTTP_ROUTE_REPLY;
    }
    if (r->what < 0) {
        http_reply_error(reply, 404, "%s", r->why);
        return HTTP_ROUTE_REPLY;
    }
    out->what = (pprof_what)r->what;

    const char *v = arg(arg_ctx, "debug");
    int64_t n;
    if (v && *v) {
        if (parse_int(v, -1000000, 1000000, &n)) {
            http_reply_error(reply, 400, "invalid value for \"debug\" - must be an integer");
            return HTTP_ROUTE_REPLY;
        }
        out->debug = (int)n;
    }
    v = arg(arg_ctx, "seconds");
    if (out->what == PPROF_PROFILE) {
        out->seconds = PPROF_DEFAULT_CPU_SECONDS;
        if (v && *v) {
            if (parse_int(v, 1, INT64_MAX, &n)) {
                http_reply_error(reply, 400, "invalid value for \"seconds\" - must be a positive integer");
                return HTTP_ROUTE_REPLY;
            }
            out->seconds = n;
        }
    } else if (v && *v) {
        if (parse_int(v, 1, INT64_MAX, &n)) {
            http_reply_error(reply, 400, "invalid value for \"seconds\" - must be a positive integer");
            return HTTP_ROUTE_REPLY;
        }
        if (!r->delta) {
            http_reply_error(reply, 400, "\"seconds\" parameter is not supported for this profile type");
            return HTTP_ROUTE_REPLY;
        }
        if (out->debug) {
            http_reply_error(reply, 400, "seconds and debug params are incompatible");
            return HTTP_ROUTE_REPLY;
        }
        out->seconds = n;
    }
    if (out->seconds > PPROF_MAX_SECONDS) {
        http_reply_error(reply, 400, "profile duration exceeds the server's limit of %d seconds",
                         PPROF_MAX_SECONDS);
        return HTTP_ROUTE_REPLY;
    }
    return r->kind;
}
