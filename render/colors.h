/*
 * Frame colors for flame graphs: deterministic palettes keyed by name, and
 * the red/blue scale of differential graphs.
 */
#ifndef HEARTH_RENDER_COLORS_H
#define HEARTH_RENDER_COLORS_H

#include <stdint.h>

typedef enum color_palette {
    PALETTE_HOT,    /* reds and yellows: CPU and time */
    PALETTE_MEM,    /* greens and blues: bytes and objects */
    PALETTE_MODULE, /* one hue per binary or package */
} color_palette;

typedef struct rgb {
    uint8_t r, g, b;
} rgb;

/* Parses "hot", "mem", "module". Returns 0 or -1. */
int colors_palette_parse(color_palette *out, const char *s);

/* The color of a frame name; the same name always gets the same color. */
rgb colors_for_name(color_palette pal, const char *name);

/* The module palette's key for a frame: its binary when known, else the
 * package or namespace prefix of the name ("net/http", "std"). Writes at
 * most n bytes including the NUL. */
void colors_module_key(char *out, size_t n, const char *name, const char *binary);

/* Differential color: red when value grew over base, blue when it shrank,
 * white when equal; saturation grows with |delta| / max_delta. */
rgb colors_diff(int64_t value, int64_t base, int64_t max_delta);

#endif
