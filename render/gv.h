/*
 * The one way into Graphviz (cgraph + gvc): DOT text in, a laid-out
 * picture out, in this process. Graphviz keeps global state (its parser,
 * its error handler, the plugin context) and is not thread-safe, so every
 * call goes through this module and its lock.
 */
#ifndef HEARTH_RENDER_GV_H
#define HEARTH_RENDER_GV_H

#include "../formats/strbuf.h"

/*
 * Parses dot (a NUL-terminated DOT graph), lays it out with the dot
 * engine and appends the rendering in format ("svg", "png") to out.
 * Thread-safe: callers are serialized on one lock, and the Graphviz
 * context is created on first use, once per process, and freed at exit.
 * Returns 0, or HEARTH_EFORMAT with Graphviz's message (bad DOT, unknown
 * format) or HEARTH_ENOMEM.
 */
int gv_render(strbuf *out, const char *dot, const char *format);

#endif
