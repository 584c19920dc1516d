/*
 * `hearth report` from start to end: load, analyze, draw every chart and
 * its PNG, write summary.md, index.html and the charts into the folder,
 * then pack the folder into FOLDER.tar.gz. Everything is drawn in memory
 * before the first file is written (a report is a few MiB), so a bad input
 * or a failed drawing leaves the folder as it was; every file goes through
 * a temporary name and a rename.
 */
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../formats/error.h"
#include "cli.h"
#include "png.h"
#include "report_parts.h"
#include "tarball.h"

static int write_in(const char *dir, const char *name, const char *ext, const void *data,
                    size_t len)
{
    size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
    char *path = malloc(n);
    if (!path) {
        fputs("hearth: out of memory\n", stderr);
        return -1;
    }
    snprintf(path, n, "%s/%s%s", dir, name, ext);
    int rc = cli_write_output(path, data, len);
    free(path);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* DIR.tar.gz: every regular file of dir (not temporary ones), sorted, under
 * the folder's own name. */
static int write_tarball(const char *dir)
{
    size_t dn = strlen(dir);
    while (dn > 1 && dir[dn - 1] == '/')
        dn--;
    char *top = strndup(dir, dn);
    char *tgz = malloc(dn + 8);
    if (!top || !tgz) {
        free(top);
        free(tgz);
        fputs("hearth: out of memory\n", stderr);
        return -1;
    }
    snprintf(tgz, dn + 8, "%s.tar.gz", top);
    const char *base = strrchr(top, '/') ? strrchr(top, '/') + 1 : top;
    int rc = -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    strbuf gz;
    strbuf_init(&gz);
    tarball t;
    int trc = tarball_init(&t, &gz, (int64_t)time(NULL));
    DIR *d = opendir(top);
    if (!d) {
        fprintf(stderr, "hearth: %s: cannot open: %s\n", top, strerror(errno));
        goto out;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp."))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
        }
        if (!(names[n] = strdup(e->d_name)))
            break;
        n++;
    }
    closedir(d);
    if (e) {
        fputs("hearth: out of memory\n", stderr);
        goto out;
    }
    qsort(names, n, sizeof *names, cmp_str);
    if (!trc)
        trc = tarball_add_dir(&t, base);
    for (size_t i = 0; i < n && !trc; i++) {
        char path[4096], entry[512];
        snprintf(path, sizeof path, "%s/%s", top, names[i]);
        struct stat st;
        if (stat(path, &st) || !S_ISREG(st.st_mode))
            continue;
        uint8_t *data;
        size_t len;
        if (cli_read_file(&data, &len, path, (size_t)1 << 31)) {
            fprintf(stderr, "hearth: %s: %s\n", path, hearth_error_last());
            goto out;
        }
        if (snprintf(entry, sizeof entry, "%s/%s", base, names[i]) >= (int)sizeof entry)
            trc = hearth_error_set(HEARTH_ELIMIT, "%s/%s: name too long for a tar archive", base, names[i]);
        else
            trc = tarball_add_file(&t, entry, data, len);
        free(data);
    }
    if (!trc)
        trc = tarball_finish(&t);
    if (trc) {
        fprintf(stderr, "hearth: %s: %s\n", tgz, hearth_error_last());
        goto out;
    }
    rc = cli_write_output(tgz, gz.buf, gz.len);
out:
    tarball_fini(&t);
    strbuf_fini(&gz);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(top);
    free(tgz);
    return rc;
}

/* Charts of an earlier report into the same folder that this one does not
 * draw (a CPU flame graph when there is no CPU profile now) would be
 * stale, and packed into the archive: remove them. Only files named as
 * the report names its charts are touched. */
static int remove_stale(const char *dir, const report_doc *doc)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) && !rc) {
        char stem[256];
        size_t n = strlen(e->d_name);
        if (n < 5 || n >= sizeof stem || (strcmp(e->d_name + n - 4, ".svg") &&
                                          strcmp(e->d_name + n - 4, ".png")))
            continue;
        memcpy(stem, e->d_name, n - 4);
        stem[n - 4] = 0;
        if (!report_chart_name(stem))
            continue;
        bool drawn = false;
        for (size_t i = 0; i < doc->n_charts && !drawn; i++)
            drawn = !strcmp(doc->charts[i].file, stem) &&
                    (e->d_name[n - 3] == 's' || doc->charts[i].png.len);
        if (drawn)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) && errno != ENOENT) {
            fprintf(stderr, "hearth: %s: cannot remove the stale chart: %s\n", path, strerror(errno));
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

int report_run(const char *dir, const char *const *paths, size_t n_paths,
               const char *base, const char *const *timelines, size_t n_timelines,
               size_t max_input, const report_options *o)
{
    if (strlen(dir) > 2048) {
        fprintf(stderr, "hearth report: the output folder's name is too long\n");
        return EXIT_USAGE;
    }
    report_inputs in;
    report_doc doc;
    memset(&doc, 0, sizeof doc);
    strbuf md, html;
    strbuf_init(&md);
    strbuf_init(&html);
    int status = EXIT_BAD_INPUT;
    if (report_inputs_load(&in, paths, n_paths, base, timelines, n_timelines, max_input))
        goto out;
    int rc = report_analyze(&doc, &in, o);
    if (!rc)
        rc = report_charts_draw(&doc, &in, o);
    /* Charts that drew their own PNG (call graphs) keep it. */
    for (size_t i = 0; i < doc.n_charts && !rc && o->png; i++) {
        if (doc.charts[i].png.len)
            continue;
        rc = png_from_svg(&doc.charts[i].png, doc.charts[i].svg.buf, doc.charts[i].svg.len);
        if (rc)
            hearth_error_wrap(rc, "%s.svg", doc.charts[i].file);
    }
    if (!rc)
        rc = report_md_write(&md, &doc);
    if (!rc)
        rc = report_html_write(&html, &doc);
    if (rc) {
        fprintf(stderr, "hearth: %s\n", hearth_error_last());
        goto out;
    }
    struct stat st;
    if (mkdir(dir, 0755) && errno != EEXIST) {
        fprintf(stderr, "hearth: %s: cannot create the folder: %s\n", dir, strerror(errno));
        goto out;
    }
    if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "hearth: %s: exists and is not a folder\n", dir);
        goto out;
    }
    if (remove_stale(dir, &doc))
        goto out;
    for (size_t i = 0; i < doc.n_charts; i++) {
        const report_chart *c = &doc.charts[i];
        if (write_in(dir, c->file, ".svg", c->svg.buf, c->svg.len) ||
            (c->png.len && write_in(dir, c->file, ".png", c->png.buf, c->png.len)))
            goto out;
    }
    if (write_in(dir, "summary", ".md", md.buf, md.len) ||
        write_in(dir, "index", ".html", html.buf, html.len) || write_tarball(dir))
        goto out;
    status = EXIT_OK;
out:
    strbuf_fini(&md);
    strbuf_fini(&html);
    report_doc_fini(&doc);
    report_inputs_fini(&in);
    return status;
}
