/*
 * The bodies of the /debug/pprof/ endpoints: the index page, cmdline,
 * symbol, and the heap and allocation profiles (whole, as a delta over
 * ?seconds=N, or as debug=1 text). Profiles come from the same builder
 * and symbolizer as the dump files (dump.c), so a profile fetched over
 * HTTP and one written on a signal read the same. Nothing here knows
 * libmicrohttpd; each function fills an http_reply.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../formats/pprof.h"
#include "../formats/strbuf.h"
#include "cpu_control.h"
#include "dump.h"
#include "hearth.h"
#include "http.h"
#include "timeline.h"
#include "pprof_threads.h"
#include "sampler.h"

/* Most PCs one /symbol request may ask about (the body is bounded too). */
#define MAX_SYMBOL_PCS 4096

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void reply_take(http_reply *reply, strbuf *b, int status, const char *type)
{
    if (b->oom) {
        strbuf_fini(b);
        http_reply_error(reply, 500, "out of memory");
        return;
    }
    free(reply->body);
    memset(reply, 0, sizeof *reply);
    reply->status = status;
    reply->content_type = type;
    reply->body = b->len ? strbuf_take(b, &reply->len) : NULL;
    strbuf_fini(b);
}

/* Reads a small /proc file whole (at most max bytes); NULL on failure. */
static char *read_proc(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *buf = malloc(max + 1);
    size_t n = 0;
    ssize_t got;
    while (buf && n < max && (got = read(fd, buf + n, max - n)) > 0)
        n += (size_t)got;
    close(fd);
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

static void html_escape(strbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': strbuf_puts(b, "&lt;"); break;
        case '>': strbuf_puts(b, "&gt;"); break;
        case '&': strbuf_puts(b, "&amp;"); break;
        case '"': strbuf_puts(b, "&#34;"); break;
        case '\'': strbuf_puts(b, "&#39;"); break;
        default: strbuf_putc(b, *s);
        }
    }
}

static int count_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* Go's index page (net/http/pprof Index), listing what this server has. */
static void serve_index(http_reply *reply)
{
    int heap_n = atomic_load(&hearth_g.heap_on)
                     ? (int)atomic_load_explicit(&hearth_g.stacks.n_stacks, memory_order_relaxed)
                     : 0;
    struct { const char *name, *desc; int count; } rows[] = {
        {"allocs", "A sampling of all past memory allocations", heap_n},
        {"cmdline", "The command line invocation of the current program", 0},
        {"goroutine", "Stack traces of all current threads (the C analogue of goroutines)",
         count_threads()},
        {"heap", "A sampling of memory allocations of live objects. You can specify the "
                 "seconds GET parameter for the change over that many seconds.", heap_n},
        {"profile", "CPU profile. You can specify the duration in the seconds GET parameter. "
                    "After you get the profile file, use the go tool pprof command to "
                    "investigate the profile.", 0},
        {"threadcreate", "Stack traces that led to the creation of new OS threads", 0},
    };
    size_t n_rows = sizeof rows / sizeof *rows;
    size_t cmd_len = 0;
    char *cmd = read_proc("/proc/self/cmdline", 4096, &cmd_len);
    strbuf b;
    strbuf_init(&b);
    strbuf_puts(&b, "<html>\n<head>\n<title>/debug/pprof/</title>\n<style>\n.profile-name{\n"
                    "\tdisplay:inline-block;\n\twidth:6rem;\n}\n</style>\n</head>\n<body>\n"
                    "/debug/pprof/<br>\n<br>\n");
    strbuf_printf(&b, "hearth %s in ", hearth_version());
    html_escape(&b, cmd && cmd[0] ? cmd : "?");
    strbuf_printf(&b, " (pid %ld)<br>\n<br>\nTypes of profiles available:\n<table>\n"
                      "<thead><td>Count</td><td>Profile</td></thead>\n", (long)getpid());
    for (size_t i = 0; i < n_rows; i++)
        strbuf_printf(&b, "<tr><td>%d</td><td><a href='%s?debug=1'>%s</a></td></tr>\n",
                      rows[i].count, rows[i].name, rows[i].name);
    strbuf_puts(&b, "</table>\n<a href=\"goroutine?debug=2\">full thread stack dump</a>\n<br>\n"
                    "<p>\nProfile Descriptions:\n<ul>\n");
    for (size_t i = 0; i < n_rows; i++)
        strbuf_printf(&b, "<li><div class=profile-name>%s: </div> %s</li>\n", rows[i].name,
                      rows[i].desc);
    strbuf_puts(&b, "</ul>\n</p>\n<p>\nblock and mutex: not collected by hearth (404). "
                    "symbol: function names of program counters, for go tool pprof.\n</p>\n"
                    "</body>\n</html>");
    free(cmd);
    reply_take(reply, &b, 200, "text/html; charset=utf-8");
}

/* The arguments separated by NUL bytes, as Go joins os.Args. */
static void serve_cmdline(http_reply *reply)
{
    size_t len = 0;
    char *cmd = read_proc("/proc/self/cmdline", 1 << 20, &len);
    if (!cmd) {
        http_reply_error(reply, 500, "cannot read /proc/self/cmdline");
        return;
    }
    if (len && cmd[len - 1] == '\0')
        len--;
    free(reply->body);
    memset(reply, 0, sizeof *reply);
    reply->status = 200;
    reply->content_type = "text/plain; charset=utf-8";
    reply->body = cmd;
    reply->len = len;
}

/* The timeline recorded so far: the file as it is now (the ticker appends
 * whole lines, and readers ignore a cut last line). Bounded, since the
 * copy is made inside the service. */
#define MAX_TIMELINE_BYTES ((size_t)64 << 20)
static void serve_timeline(http_reply *reply)
{
    char path[4200];
    if (timeline_path(path, sizeof path)) {
        http_reply_error(reply, 404, "no timeline is being recorded (HEARTH_TIMELINE_INTERVAL=0, or its file could not be created)");
        return;
    }
    size_t len = 0;
    char *body = read_proc(path, MAX_TIMELINE_BYTES + 1, &len);
    if (!body) {
        http_reply_error(reply, 500, "cannot read the timeline");
        return;
    }
    if (len > MAX_TIMELINE_BYTES) {
        free(body);
        http_reply_error(reply, 500, "the timeline is larger than 64 MiB: read its file instead");
        return;
    }
    free(reply->body);
    memset(reply, 0, sizeof *reply);
    reply->status = 200;
    reply->content_type = "text/tab-separated-values; charset=utf-8";
    snprintf(reply->filename, sizeof reply->filename, "timeline");
    reply->body = body;
    reply->len = len;
}

/* Go's Symbol handler: "num_symbols: 1", then "0xPC name" for each PC of
 * the '+'-separated list (strconv.ParseUint base 0) that has a name. */
static void serve_symbol(http_reply *reply, const pprof_request *req)
{
    uint64_t *pcs = malloc(MAX_SYMBOL_PCS * sizeof *pcs);
    char **names = calloc(MAX_SYMBOL_PCS, sizeof *names);
    size_t n = 0;
    strbuf b;
    strbuf_init(&b);
    if (!pcs || !names) {
        http_reply_error(reply, 500, "out of memory");
        goto out;
    }
    const char *s = req->args, *end = req->args + req->args_len;
    while (s < end && n < MAX_SYMBOL_PCS) {
        const char *plus = memchr(s, '+', (size_t)(end - s));
        const char *w_end = plus ? plus : end;
        char word[32];
        size_t wl = (size_t)(w_end - s);
        if (wl < sizeof word) {
            memcpy(word, s, wl);
            word[wl] = '\0';
            char *e;
            unsigned long long pc = strtoull(word, &e, 0);
            if (wl && !*e && word[0] != '-' && pc)
                pcs[n++] = pc;
        }
        s = plus ? plus + 1 : end;
    }
    if (n && dump_pc_names(names, pcs, n)) {
        http_reply_error(reply, 500, "symbolization failed");
        goto out;
    }
    strbuf_puts(&b, "num_symbols: 1\n");
    for (size_t i = 0; i < n; i++)
        if (names[i])
            strbuf_printf(&b, "%#llx %s\n", (unsigned long long)pcs[i], names[i]);
    reply_take(reply, &b, 200, "text/plain; charset=utf-8");
out:
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    free(pcs);
    strbuf_fini(&b);
}

/* runtime/pprof's " 0x.. 0x.." end of a record's first line. */
static void print_pcs(strbuf *b, const profile *p, const profile_sample *s)
{
    for (uint32_t k = 0; k < s->n_locations; k++) {
        const profile_location *l = profile_location_find(p, s->location_ids[k]);
        strbuf_printf(b, " %#llx", (unsigned long long)(l ? l->address : 0));
    }
    strbuf_putc(b, '\n');
}

/* runtime/pprof's "#\tPC\tfunction\tfile:line" lines (inlined frames each
 * on a line of their own), then a blank line. */
static void print_frames(strbuf *b, const profile *p, const profile_sample *s)
{
    for (uint32_t k = 0; k < s->n_locations; k++) {
        const profile_location *l = profile_location_find(p, s->location_ids[k]);
        if (!l)
            continue;
        if (!l->n_lines)
            strbuf_printf(b, "#\t%#llx\n", (unsigned long long)l->address);
        for (uint32_t j = 0; j < l->n_lines; j++) {
            const profile_function *f = profile_function_find(p, l->lines[j].function_id);
            const char *file = f ? profile_str(p, f->filename) : "";
            strbuf_printf(b, "#\t%#llx\t%s", (unsigned long long)l->address,
                          f ? profile_str(p, f->name) : "?");
            if (*file)
                strbuf_printf(b, "\t%s:%lld", file, (long long)l->lines[j].line);
            strbuf_putc(b, '\n');
        }
    }
    strbuf_putc(b, '\n');
}

static int cmp_inuse_desc(const void *a, const void *b)
{
    const profile_sample *x = *(profile_sample *const *)a, *y = *(profile_sample *const *)b;
    return x->values[3] < y->values[3] ? 1 : x->values[3] > y->values[3] ? -1 : 0;
}

/*
 * runtime/pprof's debug=1 heap text, which go tool pprof also reads. The
 * numbers are the unsampled estimates of the protobuf form, so the header
 * says heap/2 (a rate of 1: nothing left to scale) and both forms give the
 * same totals; Go prints raw sample counts with heap/(2*rate) instead,
 * which the reader unsamples the same way.
 */
static void heap_text(strbuf *b, profile *p)
{
    profile_sample **order = malloc((p->n_samples + 1) * sizeof *order);
    if (!order) {
        b->oom = 1;
        return;
    }
    int64_t t[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < p->n_samples; i++) {
        order[i] = &p->samples[i];
        for (int k = 0; k < 4; k++)
            t[k] += p->samples[i].values[k];
    }
    qsort(order, p->n_samples, sizeof *order, cmp_inuse_desc);
    strbuf_printf(b, "heap profile: %lld: %lld [%lld: %lld] @ heap/2\n", (long long)t[2],
                  (long long)t[3], (long long)t[0], (long long)t[1]);
    for (size_t i = 0; i < p->n_samples; i++) {
        const profile_sample *s = order[i];
        strbuf_printf(b, "%lld: %lld [%lld: %lld] @", (long long)s->values[2],
                      (long long)s->values[3], (long long)s->values[0], (long long)s->values[1]);
        print_pcs(b, p, s);
        print_frames(b, p, s);
    }
    strbuf_printf(b, "# hearth %s\n# values are estimates unsampled from one sample per "
                     "%lld bytes allocated on average\n",
                  hearth_version(), (long long)p->period);
    for (size_t i = 0; i < p->n_comments; i++)
        strbuf_printf(b, "# %s\n", profile_str(p, p->comments[i]));
    free(order);
}

static void reply_profile(http_reply *reply, const profile *p, const char *filename)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (pprof_write(&data, &len, p)) {
        http_reply_error(reply, 500, "failed to encode profile");
        return;
    }
    free(reply->body);
    memset(reply, 0, sizeof *reply);
    reply->status = 200;
    reply->content_type = "application/octet-stream";
    snprintf(reply->filename, sizeof reply->filename, "%s", filename);
    reply->body = (char *)data;
    reply->len = len;
}

static void serve_heap(http_reply *reply, const pprof_request *req)
{
    const char *name = req->what == PPROF_ALLOCS ? "allocs" : "heap";
    if (!atomic_load(&hearth_g.heap_on)) {
        http_reply_error(reply, 404, "%s profile: allocation sampling is off (HEARTH_ALLOC_RATE=0, "
                                     "or it failed to start)", name);
        return;
    }
    heap_snapshot base = {0};
    profile *p = NULL;
    if (req->seconds) {
        if (heap_snapshot_take(&base, &hearth_g, now_ns())) {
            http_reply_error(reply, 500, "failed to collect profile");
            return;
        }
        if (!req->wait(req->wait_ctx, req->seconds * 1000000000)) {
            http_reply_error(reply, 500, "context canceled");
            goto out;
        }
    }
    if (dump_heap_profile(&p, req->seconds ? &base : NULL)) {
        http_reply_error(reply, 500, "failed to collect profile");
        goto out;
    }
    if (req->what == PPROF_ALLOCS)
        p->default_sample_type = profile_intern(p, "alloc_space");
    if (req->debug) {
        strbuf b;
        strbuf_init(&b);
        heap_text(&b, p);
        reply_take(reply, &b, 200, "text/plain; charset=utf-8");
        goto out;
    }
    char filename[32];
    snprintf(filename, sizeof filename, "%s%s", name, req->seconds ? "-delta" : "");
    if (p->default_sample_type < 0)
        http_reply_error(reply, 500, "out of memory");
    else
        reply_profile(reply, p, filename);
out:
    heap_snapshot_fini(&base);
    profile_destroy(p);
}

static int cmp_count_desc(const void *a, const void *b)
{
    const profile_sample *x = *(profile_sample *const *)a, *y = *(profile_sample *const *)b;
    return x->values[0] < y->values[0] ? 1 : x->values[0] > y->values[0] ? -1 : 0;
}

/* runtime/pprof's debug=1 form of a count profile (printCountProfile):
 * "NAME profile: total N", then per stack "COUNT @ PCS", its labels and
 * its frames, most frequent first. */
static void count_text(strbuf *b, const profile *p, const char *name)
{
    const profile_sample **order = malloc((p->n_samples + 1) * sizeof *order);
    if (!order) {
        b->oom = 1;
        return;
    }
    int64_t total = 0;
    for (size_t i = 0; i < p->n_samples; i++) {
        order[i] = &p->samples[i];
        total += p->samples[i].values[0];
    }
    qsort(order, p->n_samples, sizeof *order, cmp_count_desc);
    strbuf_printf(b, "%s profile: total %lld\n", name, (long long)total);
    for (size_t i = 0; i < p->n_samples; i++) {
        const profile_sample *s = order[i];
        strbuf_printf(b, "%lld @", (long long)s->values[0]);
        print_pcs(b, p, s);
        /* Go's labels line: # labels: {"key":"value"} */
        for (uint32_t k = 0; k < s->n_labels; k++)
            if (s->labels[k].str)
                strbuf_printf(b, "# labels: {\"%s\":\"%s\"}\n", profile_str(p, s->labels[k].key),
                              profile_str(p, s->labels[k].str));
        print_frames(b, p, s);
    }
    for (size_t i = 0; i < p->n_comments; i++)
        strbuf_printf(b, "# %s\n", profile_str(p, p->comments[i]));
    free(order);
}

/* Go's debug=2 goroutine dump, per thread: "thread TID [NAME]:", then one
 * "function" and "\tfile:line" pair per frame, innermost first. */
static void thread_dump(strbuf *b, const profile *p, const thread_stack *st, size_t n)
{
    for (size_t i = 0; i < p->n_samples && i < n; i++) {
        const profile_sample *s = &p->samples[i];
        strbuf_printf(b, "thread %d [%s]:\n", (int)st[i].tid, st[i].name);
        for (uint32_t k = 0; k < s->n_locations; k++) {
            const profile_location *l = profile_location_find(p, s->location_ids[k]);
            if (!l)
                continue;
            if (!l->n_lines)
                strbuf_printf(b, "%#llx\n\t?\n", (unsigned long long)l->address);
            for (uint32_t j = 0; j < l->n_lines; j++) {
                const profile_function *f = profile_function_find(p, l->lines[j].function_id);
                const char *file = f ? profile_str(p, f->filename) : "";
                strbuf_printf(b, "%s\n\t%s:%lld\n", f ? profile_str(p, f->name) : "?",
                              *file ? file : "?", (long long)l->lines[j].line);
            }
        }
        strbuf_putc(b, '\n');
    }
}

static void serve_goroutine(http_reply *reply, const pprof_request *req)
{
    thread_stack *st = NULL;
    size_t n = 0;
    char why[160];
    profile *p = NULL;
    if (thread_stacks_capture(&st, &n, why, sizeof why)) {
        http_reply_error(reply, 500, "goroutine profile: %s", why);
        return;
    }
    goroutine_arg g = {st, n, req->debug >= 2};
    if (dump_profile_build(&p, "goroutine", goroutine_profile_build, &g)) {
        http_reply_error(reply, 500, "failed to collect profile");
        goto out;
    }
    strbuf b;
    strbuf_init(&b);
    if (req->debug >= 2) {
        thread_dump(&b, p, st, n);
        reply_take(reply, &b, 200, "text/plain; charset=utf-8");
    } else if (req->debug) {
        count_text(&b, p, "goroutine");
        reply_take(reply, &b, 200, "text/plain; charset=utf-8");
    } else {
        reply_profile(reply, p, "goroutine");
    }
out:
    profile_destroy(p);
    free(st);
}

static void serve_threadcreate(http_reply *reply, const pprof_request *req)
{
    profile *p = NULL;
    if (dump_profile_build(&p, "threadcreate", threadcreate_profile_build, NULL)) {
        http_reply_error(reply, 500, "failed to collect profile");
        return;
    }
    if (req->debug) {
        strbuf b;
        strbuf_init(&b);
        count_text(&b, p, "threadcreate");
        reply_take(reply, &b, 200, "text/plain; charset=utf-8");
    } else {
        reply_profile(reply, p, "threadcreate");
    }
    profile_destroy(p);
}

/* One CPU profile over HTTP at a time; set while one is collected. */
static _Atomic int cpu_busy;

static void serve_cpu(http_reply *reply, const pprof_request *req)
{
    if (atomic_exchange(&cpu_busy, 1)) {
        http_reply_error(reply, 429, "profile: another CPU profile is being collected; retry when it ends");
        reply->retry_after_s = 1;
        return;
    }
    profile *p = NULL;
    if (cpu_running()) {
        http_reply_error(reply, 429, "profile: a CPU profile is already running in the service "
                                     "(HEARTH_CPU, the dump signal or hearth_cpu_start)");
        reply->retry_after_s = 1;
        goto out;
    }
    if (cpu_start(0, "HTTP /debug/pprof/profile")) {
        http_reply_error(reply, 500, "Could not enable CPU profiling (the service's stderr says why)");
        goto out;
    }
    bool stayed = req->wait(req->wait_ctx, req->seconds * 1000000000);
    if (cpu_stop_profile(&p)) {
        http_reply_error(reply, 500, "failed to collect profile");
        goto out;
    }
    if (!stayed)
        http_reply_error(reply, 500, "context canceled");
    else
        reply_profile(reply, p, "profile");
out:
    profile_destroy(p);
    atomic_store(&cpu_busy, 0);
}

void pprof_serve(http_reply *reply, const pprof_request *req)
{
    switch (req->what) {
    case PPROF_INDEX:
        serve_index(reply);
        return;
    case PPROF_CMDLINE:
        serve_cmdline(reply);
        return;
    case PPROF_SYMBOL:
        serve_symbol(reply, req);
        return;
    case PPROF_HEAP:
    case PPROF_ALLOCS:
        serve_heap(reply, req);
        return;
    case PPROF_PROFILE:
        serve_cpu(reply, req);
        return;
    case PPROF_GOROUTINE:
        serve_goroutine(reply, req);
        return;
    case PPROF_THREADCREATE:
        serve_threadcreate(reply, req);
        return;
    case PPROF_TIMELINE:
        serve_timeline(reply);
        return;
    }
    http_reply_error(reply, 404, "Unknown profile");
}
