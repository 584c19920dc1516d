/*
 * Flame graphs: a call tree laid out as nested rectangles in one
 * self-contained, interactive SVG (flamegraph.pl's interaction, pprof's
 * profiles).
 */
#ifndef HEARTH_RENDER_FLAME_H
#define HEARTH_RENDER_FLAME_H

#include <stdbool.h>

#include "../formats/strbuf.h"
#include "calltree.h"
#include "colors.h"

typedef struct flame_options {
    const char *title;        /* default "Flame Graph" / "Icicle Graph" */
    const char *subtitle;     /* caller-built description; may be NULL */
    const char *unit;         /* the sample type's unit, e.g. "bytes" */
    const char *sample_type;  /* e.g. "inuse_space" */
    color_palette palette;
    bool inverted;            /* icicle: root at the top */
    bool diff;                /* color by total - base_total */
    bool script;              /* embed the interactive script */
    double width_px;          /* image width (default 1200) */
    double min_width_px;      /* frames narrower than this are not drawn */
} flame_options;

#define FLAME_OPTIONS_INIT                                                     \
    { NULL, NULL, "", "", PALETTE_HOT, false, false, true, 1200, 0.1 }

/*
 * Appends the SVG for t (sorted as the caller wants) to out. Returns 0 or
 * HEARTH_ENOMEM. The output depends only on t and o: equal inputs give
 * byte-identical files.
 */
int flame_write(strbuf *out, const calltree *t, const flame_options *o);

/* The number of frames flame_write left out for being narrower than
 * min_width_px, computed the same way. */
size_t flame_count_narrow(const calltree *t, const flame_options *o);

#endif
