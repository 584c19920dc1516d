/*
 * Drawing timelines: several inputs (hearth recordings, Go and JVM GC
 * logs) on one time axis, as one self-contained SVG of stacked panels.
 */
#ifndef HEARTH_RENDER_TIMELINE_DRAW_H
#define HEARTH_RENDER_TIMELINE_DRAW_H

#include <stdbool.h>

#include "../formats/strbuf.h"
#include "../formats/timeline.h"
#include "timeline_fit.h"

typedef struct tl_input {
    const timeline *t;
    const char *name;      /* the file's base name, for legends */
    double offset_s;       /* added to every time of t on the shared axis */
    tl_fit fit;
    char verdict[256];
} tl_input;

typedef struct tl_draw_options {
    const char *title;     /* default "Memory timeline" */
    double width_px;       /* default 1200 */
    bool script;           /* the cursor script; false = static SVG */
} tl_draw_options;

#define TL_DRAW_OPTIONS_INIT { NULL, 1200, true }

/*
 * Appends the SVG: a memory panel (in-use heap and RSS; heap before and
 * after each collection and the goal or committed size: the sawtooth;
 * the fitted trend), allocation rate, GC pauses (a bar per collection),
 * threads and file descriptors, and event markers across all panels;
 * every point and bar has a tooltip with exact values. A panel that no
 * input has data for is left out. Series are reduced to first/min/max/last
 * per pixel column, so the output grows with the width, not the run.
 * Deterministic: equal inputs give equal bytes. Returns 0 or HEARTH_ENOMEM.
 */
int tl_draw_svg(strbuf *out, const tl_input *in, size_t n, const tl_draw_options *o);

#endif
