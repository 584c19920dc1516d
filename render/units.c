/*
 * pprof's unit tables and formatting rules (internal/measurement), followed
 * exactly: `hearth top` is checked number for number against
 * `go tool pprof -top`, so rounding and unit choice must match.
 */
#include "units.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <inttypes.h>
#include <string.h>

typedef struct unit_def {
    const char *name;
    const char *aliases[4];
    double factor;
} unit_def;

typedef struct unit_type {
    const unit_def *units;
    size_t n;
    unit_def def;
} unit_type;

static const unit_def memory_units[] = {
    {"B", {"b", "byte"}, 1},
    {"kB", {"kb", "kbyte", "kilobyte"}, 1024.0},
    {"MB", {"mb", "mbyte", "megabyte"}, 1048576.0},
    {"GB", {"gb", "gbyte", "gigabyte"}, 1073741824.0},
    {"TB", {"tb", "tbyte", "terabyte"}, 1099511627776.0},
    {"PB", {"pb", "pbyte", "petabyte"}, 1125899906842624.0},
};

static const unit_def time_units[] = {
    {"ns", {"ns", "nanosecond"}, 1},
    {"us", {"\xce\xbcs", "us", "microsecond"}, 1e3},
    {"ms", {"ms", "millisecond"}, 1e6},
    {"s", {"s", "sec", "second"}, 1e9},
    {"hrs", {"hour", "hr"}, 3600e9},
};

static const unit_def gcu_units[] = {
    {"n*GCU", {"nanogcu"}, 1e-9},
    {"u*GCU", {"microgcu"}, 1e-6},
    {"m*GCU", {"milligcu"}, 1e-3},
    {"GCU", {"gcu"}, 1},
    {"k*GCU", {"kilogcu"}, 1e3},
    {"M*GCU", {"megagcu"}, 1e6},
    {"G*GCU", {"gigagcu"}, 1e9},
    {"T*GCU", {"teragcu"}, 1e12},
    {"P*GCU", {"petagcu"}, 1e15},
};

static const unit_type unit_types[] = {
    {memory_units, sizeof memory_units / sizeof *memory_units, {"B", {0}, 1}},
    {time_units, sizeof time_units / sizeof *time_units, {"s", {0}, 1e9}},
    {gcu_units, sizeof gcu_units / sizeof *gcu_units, {"GCU", {0}, 1}},
};

/* pprof lower-cases the unit and drops one trailing "s" from names longer
 * than two characters ("bytes" -> "byte", "hrs" -> "hr"). */
static const unit_def *sniff(const unit_type *ut, const char *unit)
{
    char low[64];
    size_t n = strlen(unit);
    if (n >= sizeof low)
        return NULL;
    for (size_t i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)unit[i]);
    low[n] = '\0';
    if (n > 2 && low[n - 1] == 's')
        low[n - 1] = '\0';
    for (size_t i = 0; i < ut->n; i++)
        for (size_t a = 0; a < 4 && ut->units[i].aliases[a]; a++)
            if (strcmp(ut->units[i].aliases[a], low) == 0)
                return &ut->units[i];
    return NULL;
}

double units_scale(int64_t value, const char *from_unit, const char *to_unit,
                   const char **out_unit)
{
    if (value < 0 && value != INT64_MIN) {
        double v = units_scale(-value, from_unit, to_unit, out_unit);
        return -v;
    }
    for (size_t t = 0; t < sizeof unit_types / sizeof *unit_types; t++) {
        const unit_type *ut = &unit_types[t];
        const unit_def *from = sniff(ut, from_unit);
        if (!from)
            continue;
        double v = (double)value * from->factor;
        if (!strcmp(to_unit, "minimum") || !strcmp(to_unit, "auto")) {
            double f = 0;
            const char *name = NULL;
            for (size_t i = 0; i < ut->n; i++)
                if (ut->units[i].factor >= f && v / ut->units[i].factor >= 1.0) {
                    f = ut->units[i].factor;
                    name = ut->units[i].name;
                }
            if (name) {
                *out_unit = name;
                return v / f;
            }
            *out_unit = ut->def.name;
            return v / ut->def.factor;
        }
        const unit_def *to = sniff(ut, to_unit);
        if (!to) {
            *out_unit = ut->def.name;
            return v / ut->def.factor;
        }
        *out_unit = to->name;
        return v / to->factor;
    }
    if (!strcmp(to_unit, "count") || !strcmp(to_unit, "sample") ||
        !strcmp(to_unit, "unit") || !strcmp(to_unit, "minimum") ||
        !strcmp(to_unit, "auto"))
        *out_unit = "";
    else
        *out_unit = to_unit;
    return (double)value;
}

void units_label(char *buf, size_t n, int64_t value, const char *from_unit,
                 const char *to_unit)
{
    const char *u;
    double v = units_scale(value, from_unit, to_unit, &u);
    char num[64];
    snprintf(num, sizeof num, "%.2f", v);
    size_t len = strlen(num);
    if (len >= 3 && strcmp(num + len - 3, ".00") == 0)
        num[len - 3] = '\0';
    if (!strcmp(num, "0") || !strcmp(num, "-0")) {
        snprintf(buf, n, "0");
        return;
    }
    snprintf(buf, n, "%s%s", num, u);
}

void units_percent(char *buf, size_t n, int64_t value, int64_t total)
{
    double ratio = 0;
    if (total != 0)
        ratio = fabs((double)value / (double)total) * 100;
    if (ratio >= 99.95 && ratio <= 100.05)
        snprintf(buf, n, "  100%%");
    else if (ratio >= 1.0)
        snprintf(buf, n, "%5.2f%%", ratio);
    else
        snprintf(buf, n, "%5.2g%%", ratio);
}

const char *units_pick(int64_t min_value, int64_t total, const char *sample_unit)
{
    const char *min_unit, *max_unit, *unit;
    int64_t max_value = total;
    if (min_value == 0)
        min_value = max_value;
    units_scale(min_value, sample_unit, "minimum", &min_unit);
    units_scale(max_value, sample_unit, "minimum", &max_unit);
    unit = min_unit;
    if (strcmp(min_unit, max_unit) != 0 &&
        (double)min_value * 100 < (double)max_value)
        units_scale(100 * min_value, sample_unit, "minimum", &unit);
    return *unit ? unit : sample_unit;
}

int units_human(char *buf, size_t n, int64_t value, const char *unit)
{
    const char *u;
    /* Bytes: binary prefixes, as people size memory. */
    /* Ask for a unit no table has: a known unit comes back as its type's
     * default ("B", "s"), an unknown one as "?". */
    units_scale(1, unit, "?", &u);
    if (!strcmp(u, "B")) {
        static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double bytes = units_scale(value, unit, "B", &u);
        double ab = bytes < 0 ? -bytes : bytes;
        int i = 0;
        while (ab >= 1024 && i < 5) {
            ab /= 1024;
            bytes /= 1024;
            i++;
        }
        if (i == 0)
            snprintf(buf, n, "%" PRId64 " B", value);
        else
            snprintf(buf, n, "%.2f %s", bytes, names[i]);
        return 'b';
    }
    if (!strcmp(u, "s")) {
        double ns = units_scale(value, unit, "ns", &u);
        double an = ns < 0 ? -ns : ns;
        if (an >= 1e9)
            snprintf(buf, n, "%.2f s", ns / 1e9);
        else if (an >= 1e6)
            snprintf(buf, n, "%.2f ms", ns / 1e6);
        else if (an >= 1e3)
            snprintf(buf, n, "%.2f us", ns / 1e3);
        else
            snprintf(buf, n, "%.0f ns", ns);
        return 't';
    }
    if (!unit[0] || !strcmp(unit, "count") || !strcmp(unit, "samples"))
        snprintf(buf, n, "%" PRId64, value);
    else
        snprintf(buf, n, "%" PRId64 " %s", value, unit);
    return 'n';
}
