/*
 * The report's inputs: profile files and URLs, timeline files, and capture
 * folders, loaded and told apart by content (a profile's sample types) and,
 * for folder entries only, by name. A capture folder holds at most a few
 * dozen files, so they are all loaded; each profile is the size of one
 * `hearth top` input.
 */
#include "report.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../formats/error.h"
#include "cli.h"
#include "fetch.h"
#include "prune.h"
#include "report_parts.h"

static bool has_type(const profile *p, const char *type, const char *unit)
{
    for (size_t i = 0; i < p->n_sample_types; i++)
        if (!strcmp(profile_str(p, p->sample_types[i].type), type) &&
            (!unit || !strcmp(profile_str(p, p->sample_types[i].unit), unit)))
            return true;
    return false;
}

report_kind report_classify(const profile *p)
{
    if (has_type(p, "inuse_space", NULL) || has_type(p, "alloc_space", NULL)) {
        const char *def = profile_str(p, p->default_sample_type);
        if (!strncmp(def, "alloc_", 6) || !has_type(p, "inuse_space", NULL))
            return REPORT_ALLOCS;
        return REPORT_HEAP;
    }
    if (has_type(p, "cpu", "nanoseconds"))
        return REPORT_CPU;
    if (p->n_sample_types == 1 && (has_type(p, "goroutine", "count") ||
                                   has_type(p, "threads", "count")))
        return REPORT_GOROUTINE;
    if (p->n_sample_types == 1 && has_type(p, "threadcreate", "count"))
        return REPORT_THREADCREATE;
    return REPORT_OTHER;
}

const char *report_kind_name(report_kind k)
{
    switch (k) {
    case REPORT_HEAP: return "heap";
    case REPORT_ALLOCS: return "allocs";
    case REPORT_CPU: return "CPU";
    case REPORT_GOROUTINE: return "threads";
    case REPORT_THREADCREATE: return "threadcreate";
    case REPORT_OTHER: break;
    }
    return "other";
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d) {
        fputs("hearth: out of memory\n", stderr);
        exit(EXIT_BAD_INPUT);
    }
    return d;
}

const char *report_base_name(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    const char *b = path + n;
    while (b > path && b[-1] != '/')
        b--;
    return b;
}

/* libhearth names dumps PREFIX.PID.SEQ.KIND.pb.gz: the first of two
 * all-digit dot-separated parts is the pid. */
static long pid_from_name(const char *name)
{
    const char *s = name;
    while ((s = strchr(s, '.'))) {
        s++;
        const char *d = s;
        while (isdigit((unsigned char)*d))
            d++;
        if (d == s || *d != '.')
            continue;
        const char *e = d + 1;
        while (isdigit((unsigned char)*e))
            e++;
        if (e > d + 1 && *e == '.')
            return strtol(s, NULL, 10);
    }
    return 0;
}

/* "2026-11-26T12:00:00.123Z" -> nanoseconds since 1970, or 0. */
static int64_t parse_time(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!e)
        return 0;
    int64_t ns = (int64_t)timegm(&tm) * 1000000000;
    if (*e == '.') {
        int64_t frac = 0, scale = 100000000;
        for (e++; isdigit((unsigned char)*e); e++, scale /= 10)
            frac += (*e - '0') * scale;
        ns += frac;
    }
    return ns;
}

/* When capture.txt says name was saved ("file: NAME TIME" lines). */
static int64_t meta_file_time(const report_meta *m, const char *name)
{
    size_t n = strlen(name);
    for (const char *l = m->files; l && *l;) {
        const char *nl = strchr(l, '\n');
        if (!strncmp(l, name, n) && l[n] == ' ')
            return parse_time(l + n + 1);
        l = nl ? nl + 1 : l + strlen(l);
    }
    return 0;
}

static int meta_load(report_meta *m, const char *path)
{
    uint8_t *buf;
    size_t len;
    if (cli_read_file(&buf, &len, path, 1 << 20)) {
        fprintf(stderr, "hearth: %s: %s\n", path, hearth_error_last());
        return -1;
    }
    /* cli_read_file's buffer has no NUL after the data. */
    char *t = malloc(len + 1), *save = NULL;
    if (t) {
        memcpy(t, buf, len);
        t[len] = 0;
    }
    free(buf);
    if (!t) {
        fputs("hearth: out of memory\n", stderr);
        return -1;
    }
    strbuf files;
    strbuf_init(&files);
    for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *colon = strstr(l, ": ");
        if (!colon)
            continue;
        *colon = 0;
        const char *v = colon + 2;
        if (!strcmp(l, "url") && !m->url)
            m->url = xstrdup(v);
        else if (!strcmp(l, "cmdline") && !m->cmdline)
            m->cmdline = xstrdup(v);
        else if (!strcmp(l, "time") && !m->time)
            m->time = xstrdup(v);
        else if (!strcmp(l, "host") && !m->host)
            m->host = xstrdup(v);
        else if (!strcmp(l, "seconds"))
            m->seconds = strtol(v, NULL, 10);
        else if (!strcmp(l, "file")) {
            strbuf_puts(&files, v);
            strbuf_putc(&files, '\n');
        }
    }
    free(t);
    free(m->files);
    m->files = files.len ? strbuf_take(&files, NULL) : NULL;
    strbuf_fini(&files);
    return 0;
}

static void meta_fini(report_meta *m)
{
    free(m->url);
    free(m->cmdline);
    free(m->time);
    free(m->host);
    free(m->files);
    memset(m, 0, sizeof *m);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

static bool is_timeline_name(const char *name)
{
    return ends_with(name, ".timeline") || strstr(name, "gctrace") ||
           ends_with(name, ".gclog") || ends_with(name, "gc.log");
}

/* Folder entries that are profiles: what capture saves and what pprof
 * tools name their files. */
static bool is_profile_name(const char *name)
{
    return ends_with(name, ".pb.gz") || ends_with(name, ".pb") ||
           ends_with(name, ".pprof") || ends_with(name, ".prof");
}

static int add_profile(report_profile **arr, size_t *n, const char *path,
                       size_t max_input, const report_meta *meta)
{
    profile *p;
    if (cli_load_profile(&p, NULL, path, max_input))
        return -1;
    if (prune_uninteresting(p)) {
        fprintf(stderr, "hearth: %s: %s\n", path, hearth_error_last());
        profile_destroy(p);
        return -1;
    }
    report_profile *na = realloc(*arr, (*n + 1) * sizeof **arr);
    if (!na) {
        profile_destroy(p);
        fputs("hearth: out of memory\n", stderr);
        return -1;
    }
    *arr = na;
    report_profile *r = &na[*n];
    memset(r, 0, sizeof *r);
    r->path = xstrdup(path);
    if (fetch_is_url(path)) {
        char *shown = fetch_shown_name(path);
        r->name = xstrdup(shown ? shown : "?");
        free(shown);
    } else {
        r->name = xstrdup(report_base_name(path));
    }
    r->p = p;
    r->kind = report_classify(p);
    r->time_ns = p->time_nanos;
    if (!r->time_ns && meta)
        r->time_ns = meta_file_time(meta, r->name);
    r->pid = fetch_is_url(path) ? 0 : pid_from_name(r->name);
    r->order = (*n)++;
    return 0;
}

static int add_timeline(report_inputs *in, const char *path)
{
    char **nt = realloc(in->timelines, (in->n_timelines + 1) * sizeof *nt);
    if (!nt)
        return -1;
    in->timelines = nt;
    nt[in->n_timelines++] = xstrdup(path);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every entry of a folder, sorted, as full paths (free each and the
 * array). */
static int list_dir(char ***out, size_t *n, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "hearth: %s: cannot open: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t cnt = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp."))
            continue;
        char **nn = realloc(names, (cnt + 1) * sizeof *nn);
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *full = malloc(len);
        if (!nn || !full) {
            free(full);
            names = nn ? nn : names;
            for (size_t i = 0; i < cnt; i++)
                free(names[i]);
            free(names);
            closedir(d);
            fputs("hearth: out of memory\n", stderr);
            return -1;
        }
        names = nn;
        snprintf(full, len, "%s/%s", dir, e->d_name);
        names[cnt++] = full;
    }
    closedir(d);
    if (cnt)
        qsort(names, cnt, sizeof *names, cmp_str);
    *out = names;
    *n = cnt;
    return 0;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return !fetch_is_url(path) && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Loads a folder's capture.txt (if any), profiles and timelines. */
static int load_dir(report_inputs *in, report_profile **arr, size_t *n, bool timelines,
                    const char *dir, size_t max_input, report_meta *meta)
{
    char **names;
    size_t cnt;
    if (list_dir(&names, &cnt, dir))
        return -1;
    int rc = 0;
    for (size_t i = 0; i < cnt && !rc; i++)
        if (!strcmp(report_base_name(names[i]), "capture.txt"))
            rc = meta_load(meta, names[i]);
    for (size_t i = 0; i < cnt && !rc; i++) {
        struct stat st;
        if (stat(names[i], &st) || !S_ISREG(st.st_mode))
            continue;
        const char *b = report_base_name(names[i]);
        if (is_profile_name(b))
            rc = add_profile(arr, n, names[i], max_input, meta);
        else if (timelines && is_timeline_name(b))
            rc = add_timeline(in, names[i]);
    }
    for (size_t i = 0; i < cnt; i++)
        free(names[i]);
    free(names);
    return rc;
}

static report_profile *pick(report_profile *arr, size_t n, report_kind k, bool latest)
{
    report_profile *best = NULL;
    for (size_t i = 0; i < n; i++) {
        report_profile *r = &arr[i];
        if (r->kind != k)
            continue;
        if (!best) {
            best = r;
            continue;
        }
        bool later = r->time_ns != best->time_ns ? r->time_ns > best->time_ns
                                                  : r->order > best->order;
        if (later == latest)
            best = r;
    }
    return best;
}

report_profile *report_latest(report_inputs *in, report_kind k)
{
    return pick(in->profiles, in->n_profiles, k, true);
}

report_profile *report_earliest(report_inputs *in, report_kind k)
{
    report_profile *first = pick(in->profiles, in->n_profiles, k, false);
    return first && first != pick(in->profiles, in->n_profiles, k, true) ? first : NULL;
}

static int load_base(report_inputs *in, const char *base, size_t max_input)
{
    report_meta bmeta;
    memset(&bmeta, 0, sizeof bmeta);
    int rc;
    if (is_dir(base))
        rc = load_dir(in, &in->base_extra, &in->n_base_extra, false, base, max_input, &bmeta);
    else
        rc = add_profile(&in->base_extra, &in->n_base_extra, base, max_input, NULL);
    meta_fini(&bmeta);
    if (rc)
        return -1;
    /* Base files are named with their folder: a capture's heap.pb.gz
     * and its base's heap.pb.gz must read apart in the tables. */
    if (is_dir(base))
        for (size_t i = 0; i < in->n_base_extra; i++) {
            report_profile *r = &in->base_extra[i];
            size_t n = strlen(base) + strlen(r->name) + 2;
            char *named = malloc(n);
            if (!named) {
                fputs("hearth: out of memory\n", stderr);
                return -1;
            }
            const char *dir = report_base_name(base);
            size_t dl = strlen(dir);
            while (dl > 1 && dir[dl - 1] == '/')
                dl--;
            snprintf(named, n, "%.*s/%s", (int)dl, dir, r->name);
            free(r->name);
            r->name = named;
        }
    in->base_heap = pick(in->base_extra, in->n_base_extra, REPORT_HEAP, true);
    in->base_threads = pick(in->base_extra, in->n_base_extra, REPORT_GOROUTINE, true);
    if (!in->base_heap) {
        fprintf(stderr, "hearth: %s: --base: no heap profile there (inuse_space)\n", base);
        return -1;
    }
    return 0;
}

int report_inputs_load(report_inputs *in, const char *const *paths, size_t n_paths,
                       const char *base, const char *const *timelines,
                       size_t n_timelines, size_t max_input)
{
    memset(in, 0, sizeof *in);
    in->max_input = max_input;
    for (size_t i = 0; i < n_paths; i++) {
        int rc;
        if (is_dir(paths[i]))
            rc = load_dir(in, &in->profiles, &in->n_profiles, true, paths[i], max_input, &in->meta);
        else if (!fetch_is_url(paths[i]) && is_timeline_name(report_base_name(paths[i])))
            rc = add_timeline(in, paths[i]);
        else
            rc = add_profile(&in->profiles, &in->n_profiles, paths[i], max_input,
                             in->meta.files ? &in->meta : NULL);
        if (rc)
            return -1;
    }
    for (size_t i = 0; i < n_timelines; i++)
        if (add_timeline(in, timelines[i]))
            return -1;
    if (!in->n_profiles && !in->n_timelines) {
        if (n_paths + n_timelines == 1)
            fprintf(stderr, "hearth: %s: no profiles or timelines there\n",
                    n_paths ? paths[0] : timelines[0]);
        else
            fputs("hearth report: no profiles or timelines among the inputs\n", stderr);
        return -1;
    }
    if (base && load_base(in, base, max_input))
        return -1;
    return 0;
}

static void profiles_free(report_profile *arr, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(arr[i].path);
        free(arr[i].name);
        profile_destroy(arr[i].p);
    }
    free(arr);
}

void report_inputs_fini(report_inputs *in)
{
    profiles_free(in->profiles, in->n_profiles);
    profiles_free(in->base_extra, in->n_base_extra);
    for (size_t i = 0; i < in->n_timelines; i++)
        free(in->timelines[i]);
    free(in->timelines);
    meta_fini(&in->meta);
    memset(in, 0, sizeof *in);
}
