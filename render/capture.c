/*
 * `hearth capture`'s download loop. Endpoints are pulled one at a time, the
 * quick ones first and the CPU profile (which takes --seconds to answer)
 * last, and each file is saved as soon as it is complete, so a service
 * that dies during the CPU profile still leaves its heap profiles behind.
 * capture.txt is rewritten after every file: it always lists exactly the
 * files that are there.
 */
#include "capture.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../formats/error.h"
#include "../formats/pprof.h"
#include "../formats/strbuf.h"
#include "../formats/timeline.h"
#include "cli.h"
#include "fetch.h"

#define CMDLINE_MAX ((size_t)64 << 10)

typedef enum body_kind { BODY_PROFILE, BODY_TEXT, BODY_CMDLINE } body_kind;

typedef struct endpoint {
    const char *path;     /* after the base URL; "/" = from the host's root */
    const char *file;     /* saved as */
    body_kind kind;
    bool required;
} endpoint;

static const endpoint endpoints[] = {
    {"cmdline", NULL, BODY_CMDLINE, false},
    /* gc=1: Go publishes in-use figures at the end of a GC cycle, so
     * without one the heap profile can be minutes old; hearth ignores it. */
    {"heap?gc=1", "heap.pb.gz", BODY_PROFILE, true},
    {"allocs", "allocs.pb.gz", BODY_PROFILE, false},
    {"goroutine", "goroutine.pb.gz", BODY_PROFILE, false},
    {"threadcreate", "threadcreate.pb.gz", BODY_PROFILE, false},
    {"/debug/hearth/timeline", "hearth.timeline", BODY_TEXT, false},
    {"profile?seconds=", "cpu.pb.gz", BODY_PROFILE, false},
};

typedef struct capture {
    const char *dir;
    char *base;           /* ".../debug/pprof/" */
    char *root;           /* "scheme://host:port" */
    strbuf meta_head;     /* url, host, time, seconds, cmdline lines */
    strbuf files;         /* "file: NAME TIME" lines */
    strbuf kept;          /* "heap.pb.gz, allocs.pb.gz" for the error line */
} capture;

static void now_rfc3339(char *buf, size_t n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char s[32];
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, n, "%s.%03ldZ", s, ts.tv_nsec / 1000000);
}

/* Splits url into the pprof base ("…/debug/pprof/") and the root
 * ("scheme://host:port"); a URL without /debug/pprof gets it appended. */
static int split_url(capture *c, const char *url)
{
    const char *hostp = strstr(url, "://") + 3;
    size_t root_len = (size_t)(hostp - url) + strcspn(hostp, "/?#");
    c->root = strndup(url, root_len);
    size_t path_len = strcspn(url, "?#");
    const char *dp = memmem(url, path_len, "/debug/pprof", strlen("/debug/pprof"));
    strbuf b;
    strbuf_init(&b);
    if (dp)
        strbuf_append(&b, url, (size_t)(dp - url));
    else {
        strbuf_append(&b, url, path_len);
        while (b.len && b.buf[b.len - 1] == '/')
            b.buf[--b.len] = 0;
    }
    strbuf_puts(&b, "/debug/pprof/");
    c->base = b.oom ? NULL : strbuf_take(&b, NULL);
    strbuf_fini(&b);
    return c->root && c->base ? 0 : -1;
}

/* Text for capture.txt: one line, no control characters. */
static void put_line_text(strbuf *out, const char *s, size_t n, char nul_as)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == 0)
            strbuf_putc(out, nul_as);
        else if (ch < 0x20 || ch == 0x7f)
            strbuf_putc(out, ' ');
        else
            strbuf_putc(out, (char)ch);
    }
}

static int write_meta(const capture *c)
{
    strbuf m;
    strbuf_init(&m);
    if (c->meta_head.len)
        strbuf_append(&m, c->meta_head.buf, c->meta_head.len);
    if (c->files.len)
        strbuf_append(&m, c->files.buf, c->files.len);
    char path[4096];
    snprintf(path, sizeof path, "%s/capture.txt", c->dir);
    int rc = m.oom ? -1 : cli_write_output(path, m.buf, m.len);
    strbuf_fini(&m);
    return rc;
}

static void progress(const char *fmt, const char *a, const char *b)
{
    if (isatty(2)) {
        fprintf(stderr, fmt, a, b);
        fputc('\n', stderr);
    }
}

static int get(capture *c, const endpoint *e, const capture_options *o)
{
    char url[4096];
    if (e->path[0] == '/')
        snprintf(url, sizeof url, "%s%s", c->root, e->path);
    else if (!strcmp(e->path, "profile?seconds="))
        snprintf(url, sizeof url, "%s%s%ld", c->base, e->path, o->cpu_seconds);
    else
        snprintf(url, sizeof url, "%s%s", c->base, e->path);
    progress("capture: %s%s", url, !strncmp(e->path, "profile", 7) ? " (waiting for the CPU profile)" : "");
    uint8_t *body = NULL;
    size_t len = 0;
    int rc = cli_read_file(&body, &len, url, o->max_bytes);
    if (rc) {
        if (fetch_last_status() == 404 && !e->required) {
            progress("capture: %s: not served%s", url, "");
            return 0;
        }
        fprintf(stderr, "hearth: %s: %s; kept in %s: %s\n", url, hearth_error_last(), c->dir,
                c->kept.len ? c->kept.buf : "nothing");
        return -1;
    }
    char when[64];
    now_rfc3339(when, sizeof when);
    if (e->kind == BODY_CMDLINE) {
        /* Go joins os.Args with NULs; a service may end it with one. */
        while (len && (body[len - 1] == 0 || body[len - 1] == '\n'))
            len--;
        /* report reads capture.txt with a 1 MiB limit. */
        bool cut = len > CMDLINE_MAX;
        strbuf_puts(&c->meta_head, "cmdline: ");
        put_line_text(&c->meta_head, (const char *)body, cut ? CMDLINE_MAX : len, ' ');
        if (cut)
            strbuf_puts(&c->meta_head, " ...");
        strbuf_putc(&c->meta_head, '\n');
        free(body);
        return write_meta(c);
    }
    if (e->kind == BODY_TEXT) {
        /* A catch-all handler (Go's "/") answers 200 for any path: a body
         * that is no timeline at all means the endpoint is not served. A
         * timeline that is damaged is kept, for the report to say so. */
        timeline_source src;
        if (timeline_detect(&src, (const char *)body, len)) {
            progress("capture: %s: not a timeline, skipped%s", url, "");
            free(body);
            return 0;
        }
    }
    if (e->kind == BODY_PROFILE) {
        /* A login page or an error served with status 200 is caught here,
         * not later in the report. */
        profile *p;
        pprof_read_options ro = PPROF_READ_OPTIONS_INIT;
        ro.max_bytes = o->max_bytes;
        if (pprof_read(&p, body, len, &ro)) {
            fprintf(stderr, "hearth: %s: not a pprof profile: %s; kept in %s: %s\n", url,
                    hearth_error_last(), c->dir, c->kept.len ? c->kept.buf : "nothing");
            free(body);
            return -1;
        }
        profile_destroy(p);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", c->dir, e->file);
    rc = cli_write_output(path, body, len);
    free(body);
    if (rc)
        return -1;
    strbuf_printf(&c->files, "file: %s %s\n", e->file, when);
    if (c->kept.len)
        strbuf_puts(&c->kept, ", ");
    strbuf_puts(&c->kept, e->file);
    return write_meta(c);
}

int capture_run(const char *url, const char *dir, const capture_options *o)
{
    if (!fetch_is_url(url)) {
        fprintf(stderr, "hearth capture: \"%s\" is not an http:// or https:// URL\n", url);
        return -1;
    }
    /* Endpoint URLs and file paths are built in fixed buffers. */
    if (strlen(url) > 2048 || strlen(dir) > 2048) {
        fputs("hearth capture: the URL or the folder's name is too long\n", stderr);
        return -1;
    }
    capture c;
    memset(&c, 0, sizeof c);
    c.dir = dir;
    strbuf_init(&c.meta_head);
    strbuf_init(&c.files);
    strbuf_init(&c.kept);
    int rc = -1;
    if (split_url(&c, url)) {
        fputs("hearth: out of memory\n", stderr);
        goto out;
    }
    if (mkdir(dir, 0755)) {
        /* Files of another capture would mix with this one's in the
         * report: a capture goes into a new or empty folder. */
        DIR *d = errno == EEXIST ? opendir(dir) : NULL;
        struct dirent *e = NULL;
        while (d && (e = readdir(d)) && (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")))
            ;
        if (d)
            closedir(d);
        if (!d || e) {
            fprintf(stderr, "hearth: %s: %s\n", dir, d ? "the folder is not empty; capture into a new one"
                                                      : strerror(errno));
            goto out;
        }
    }
    char when[64];
    now_rfc3339(when, sizeof when);
    char *shown = fetch_shown_name(c.base);
    if (!shown) {
        fputs("hearth: out of memory\n", stderr);
        goto out;
    }
    strbuf_puts(&c.meta_head, "url: ");
    put_line_text(&c.meta_head, shown, strlen(shown), ' ');
    strbuf_puts(&c.meta_head, "\nhost: ");
    const char *h = strstr(shown, "://") + 3;
    put_line_text(&c.meta_head, h, strcspn(h, "/"), ' ');
    free(shown);
    strbuf_printf(&c.meta_head, "\ntime: %s\nseconds: %ld\n", when, o->cpu_seconds);
    if (write_meta(&c))
        goto out;
    for (size_t i = 0; i < sizeof endpoints / sizeof *endpoints; i++) {
        if (!strncmp(endpoints[i].path, "profile", 7) && o->cpu_seconds <= 0)
            continue;
        if (get(&c, &endpoints[i], o))
            goto out;
    }
    rc = 0;
out:
    free(c.base);
    free(c.root);
    strbuf_fini(&c.meta_head);
    strbuf_fini(&c.files);
    strbuf_fini(&c.kept);
    return rc;
}
