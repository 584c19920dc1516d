/*
 * SVG -> PNG with librsvg and cairo, in-process: the report converts every
 * chart it draws (a handful, each a few hundred KiB of SVG), so starting
 * rsvg-convert per chart, or depending on it being installed, is not worth
 * it. Own file because it is the only user of librsvg, glib and cairo.
 */
#include "png.h"

#include <cairo.h>
#include <librsvg/rsvg.h>
#include <math.h>

#include "../formats/error.h"

static cairo_status_t on_png_bytes(void *arg, const unsigned char *data, unsigned int n)
{
    strbuf *out = arg;
    strbuf_append(out, (const char *)data, n);
    return out->oom ? CAIRO_STATUS_NO_MEMORY : CAIRO_STATUS_SUCCESS;
}

int png_from_svg(strbuf *out, const char *svg, size_t len)
{
    GError *gerr = NULL;
    cairo_surface_t *surface = NULL;
    cairo_t *cr = NULL;
    int rc = HEARTH_EFAIL;
    RsvgHandle *h = rsvg_handle_new_from_data((const guint8 *)svg, len, &gerr);
    if (!h) {
        rc = hearth_error_set(HEARTH_EFORMAT, "SVG to PNG: %s",
                              gerr ? gerr->message : "librsvg cannot read the SVG");
        goto out;
    }
    gdouble w = 0, hgt = 0;
    if (!rsvg_handle_get_intrinsic_size_in_pixels(h, &w, &hgt) || !(w >= 1) || !(hgt >= 1)) {
        rc = hearth_error_set(HEARTH_EFORMAT, "SVG to PNG: the SVG has no width and height in pixels");
        goto out;
    }
    double scale = 1;
    if (w > PNG_MAX_SIDE_PX || hgt > PNG_MAX_SIDE_PX)
        scale = PNG_MAX_SIDE_PX / fmax(w, hgt);
    int wpx = (int)ceil(w * scale), hpx = (int)ceil(hgt * scale);
    surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, wpx, hpx);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        rc = hearth_error_set(HEARTH_ENOMEM, "SVG to PNG: no memory for %dx%d pixels", wpx, hpx);
        goto out;
    }
    cr = cairo_create(surface);
    /* Trackers show PNGs on white or dark pages; a transparent flame graph
     * background would read badly on dark ones. */
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, scale, scale);
    RsvgRectangle viewport = {0, 0, w, hgt};
    if (!rsvg_handle_render_document(h, cr, &viewport, &gerr)) {
        rc = hearth_error_set(HEARTH_EFORMAT, "SVG to PNG: %s",
                              gerr ? gerr->message : "librsvg cannot draw the SVG");
        goto out;
    }
    cairo_surface_flush(surface);
    size_t before = out->len;
    if (cairo_surface_write_to_png_stream(surface, on_png_bytes, out) != CAIRO_STATUS_SUCCESS) {
        out->len = before;
        rc = out->oom ? hearth_error_set(HEARTH_ENOMEM, "out of memory")
                      : hearth_error_set(HEARTH_EFAIL, "SVG to PNG: cannot encode the PNG");
        goto out;
    }
    rc = 0;
out:
    if (gerr)
        g_error_free(gerr);
    if (cr)
        cairo_destroy(cr);
    if (surface)
        cairo_surface_destroy(surface);
    if (h)
        g_object_unref(h);
    return rc;
}
