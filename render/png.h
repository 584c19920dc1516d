/*
 * SVG to PNG in-process (librsvg + cairo), for issue trackers that show
 * images but not SVG.
 */
#ifndef HEARTH_RENDER_PNG_H
#define HEARTH_RENDER_PNG_H

#include <stddef.h>

#include "../formats/strbuf.h"

/* The largest side of a PNG, in pixels: a 40,000-frame-deep flame graph
 * is scaled down to fit rather than allocating gigabytes of pixels. */
#define PNG_MAX_SIDE_PX 8192

/*
 * Renders the SVG document svg[0..len) at its own size (scaled down so
 * neither side passes PNG_MAX_SIDE_PX) on a white background and appends
 * the PNG file to out. Scripts in the SVG do not run. Returns 0, or
 * HEARTH_EFORMAT when librsvg cannot read the SVG or it has no size,
 * HEARTH_ENOMEM, HEARTH_EFAIL; the message says which.
 */
int png_from_svg(strbuf *out, const char *svg, size_t len);

#endif
