/*
 * Palettes after flamegraph.pl's, with its random jitter replaced by a hash
 * of the name, so that the same function has the same color in every graph
 * and every run (pictures in a ticket can be compared side by side).
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "colors.h"

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* Three independent values in [0, 1) from a name. */
static void name_fractions(const char *name, double v[3])
{
    uint64_t h = fnv(name);
    for (int i = 0; i < 3; i++) {
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ull;
        h ^= h >> 32;
        v[i] = (double)(h & 0xffff) / 65536.0;
    }
}

int colors_palette_parse(color_palette *out, const char *s)
{
    if (!strcmp(s, "hot"))
        *out = PALETTE_HOT;
    else if (!strcmp(s, "mem"))
        *out = PALETTE_MEM;
    else if (!strcmp(s, "module"))
        *out = PALETTE_MODULE;
    else
        return -1;
    return 0;
}

/* HSL with fixed saturation and lightness, for the module palette. */
static rgb hue_color(double hue)
{
    const double sat = 0.55, light = 0.62;
    double c = (1 - fabs(2 * light - 1)) * sat;
    double hp = hue * 6;
    double x = c * (1 - fabs(fmod(hp, 2) - 1));
    double r = 0, g = 0, b = 0;
    switch ((int)hp) {
    case 0: r = c, g = x; break;
    case 1: r = x, g = c; break;
    case 2: g = c, b = x; break;
    case 3: g = x, b = c; break;
    case 4: r = x, b = c; break;
    default: r = c, b = x; break;
    }
    double m = light - c / 2;
    return (rgb){(uint8_t)((r + m) * 255), (uint8_t)((g + m) * 255),
                 (uint8_t)((b + m) * 255)};
}

rgb colors_for_name(color_palette pal, const char *name)
{
    double v[3];
    name_fractions(name, v);
    switch (pal) {
    case PALETTE_MEM:
        return (rgb){0, (uint8_t)(190 + 50 * v[1]), (uint8_t)(210 * v[0])};
    case PALETTE_MODULE:
        return hue_color(v[0]);
    case PALETTE_HOT:
    default:
        return (rgb){(uint8_t)(205 + 50 * v[2]), (uint8_t)(230 * v[0]), (uint8_t)(55 * v[1])};
    }
}

void colors_module_key(char *out, size_t n, const char *name, const char *binary)
{
    if (n == 0)
        return;
    const char *src = name;
    size_t len;
    if (binary && *binary) {
        src = binary;
        len = strlen(binary);
    } else {
        /* Go: "net/http.(*Server).Serve" -> "net/http"; C++: "std::vector<..>::x"
         * -> "std"; C: the whole name is its own module. */
        const char *slash = strrchr(name, '/');
        const char *from = slash ? slash + 1 : name;
        const char *dot = strchr(from, '.');
        const char *colons = strstr(name, "::");
        if (colons && (!dot || colons < dot))
            len = (size_t)(colons - name);
        else if (dot)
            len = (size_t)(dot - name);
        else
            len = strlen(name);
    }
    if (len >= n)
        len = n - 1;
    memcpy(out, src, len);
    out[len] = '\0';
}

rgb colors_diff(int64_t value, int64_t base, int64_t max_delta)
{
    int64_t d;
    if (__builtin_sub_overflow(value, base, &d))
        d = value >= base ? INT64_MAX : INT64_MIN + 1;
    if (d == INT64_MIN)
        d++;
    if (d == 0 || max_delta <= 0)
        return (rgb){235, 235, 235};
    double f = (double)(d < 0 ? -d : d) / (double)max_delta;
    if (f > 1)
        f = 1;
    /* Keep a floor of color so a small change is still visible. */
    uint8_t fade = (uint8_t)(215 - 175 * f);
    return d > 0 ? (rgb){255, fade, fade} : (rgb){fade, fade, 255};
}
