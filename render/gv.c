/*
 * Graphviz behind one lock. cgraph's parser, its error callback and gvc's
 * plugin context are process-wide state in Graphviz 2.42 (Debian 12), so
 * one mutex covers every call from parse to freeing the layout, and one
 * context lives for the whole process (loading the plugins costs more than
 * a small layout). Graphviz reports errors through a callback, in pieces;
 * they are gathered into one line for the caller. The renderer plugins
 * themselves (pango, cairo, fontconfig) keep caches that they never free;
 * tests/valgrind/graphviz.supp lists them for valgrind, and
 * __lsan_default_suppressions below for AddressSanitizer builds.
 */
#include "gv.h"

#include <gvc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"

/*
 * LeakSanitizer (make check) asks for this at exit: the libraries' own
 * leaks. Its stacks stop at the first library built without frame
 * pointers, so the patterns name libraries, not functions: Graphviz's
 * layout and renderer (libgvc and its plugins), pango, fontconfig.
 * libcgraph is not listed, so a graph we forget to close still shows, and
 * neither is our code; valgrind (tests/valgrind/graphviz.supp) checks the
 * rest precisely. Unused in builds without the sanitizer.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libgvc.so\n"
           "leak:libgvplugin_\n"
           "leak:libfontconfig.so\n"
           "leak:libpango-1.0.so\n"
           "leak:libpangoft2-1.0.so\n";
}

/* The list above is expected to match: no report of it on stderr, which
 * the CLI keeps to one line per error. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}

/* Written and read only with gv_lock held. */
static pthread_mutex_t gv_lock = PTHREAD_MUTEX_INITIALIZER;
static GVC_t *gv_context;
static char gv_err[512];
static size_t gv_err_len;

/* Graphviz's error callback: collects the message, newlines as spaces. */
static int gv_collect(char *msg)
{
    for (const char *s = msg; *s && gv_err_len + 1 < sizeof gv_err; s++)
        gv_err[gv_err_len++] = (*s == '\n' || *s == '\r') ? ' ' : *s;
    gv_err[gv_err_len] = '\0';
    return 0;
}

static void gv_free_context(void)
{
    pthread_mutex_lock(&gv_lock);
    if (gv_context)
        gvFreeContext(gv_context);
    gv_context = NULL;
    pthread_mutex_unlock(&gv_lock);
}

static int gv_fail(int code, const char *what)
{
    while (gv_err_len && gv_err[gv_err_len - 1] == ' ')
        gv_err[--gv_err_len] = '\0';
    return hearth_error_set(code, "graphviz: %s%s%s", what, gv_err_len ? ": " : "", gv_err);
}

int gv_render(strbuf *out, const char *dot, const char *format)
{
    int rc = 0;
    pthread_mutex_lock(&gv_lock);
    gv_err_len = 0;
    gv_err[0] = '\0';
    agseterrf(gv_collect);
    /* Warnings would go to the callback too; only errors matter here. */
    agseterr(AGERR);
    if (!gv_context) {
        gv_context = gvContext();
        if (!gv_context) {
            rc = gv_fail(HEARTH_ENOMEM, "cannot create a context");
            goto out;
        }
        atexit(gv_free_context);
    }
    Agraph_t *g = agmemread(dot);
    if (!g) {
        rc = gv_fail(HEARTH_EFORMAT, "cannot parse the graph");
        goto out;
    }
    if (gvLayout(gv_context, g, "dot") != 0) {
        rc = gv_fail(HEARTH_EFORMAT, "layout failed");
        agclose(g);
        goto out;
    }
    char *data = NULL;
    unsigned int len = 0;
    if (gvRenderData(gv_context, g, format, &data, &len) != 0 || !data) {
        rc = gv_fail(HEARTH_EFORMAT, "cannot render");
    } else {
        strbuf_append(out, data, len);
        if (out->oom)
            rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    gvFreeRenderData(data);
    gvFreeLayout(gv_context, g);
    agclose(g);
out:
    pthread_mutex_unlock(&gv_lock);
    return rc;
}
