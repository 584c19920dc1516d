/*
 * Values with units as pprof prints them: 1.50s, 512.05kB, 12ms, 3 (counts).
 */
#ifndef HEARTH_RENDER_UNITS_H
#define HEARTH_RENDER_UNITS_H

#include <stddef.h>
#include <stdint.h>

/*
 * pprof's measurement.Scale: converts value in from_unit to to_unit, where
 * to_unit may be "minimum"/"auto" (the largest unit the value reaches).
 * Returns the scaled value; *out_unit gets the unit's canonical name ("" for
 * counts). Static storage, or to_unit itself.
 */
double units_scale(int64_t value, const char *from_unit, const char *to_unit,
                   const char **out_unit);
/* pprof's ScaledLabel: "%.2f" without a trailing ".00", then the unit. */
void units_label(char *buf, size_t n, int64_t value, const char *from_unit,
                 const char *to_unit);
/* pprof's Percentage: "  100%", "12.34%", " 0.12%", "0.0012%". */
void units_percent(char *buf, size_t n, int64_t value, int64_t total);
/*
 * pprof's report unit choice: the unit of the smallest nonzero value, or of
 * 100x it when the total is more than 100x larger in another unit.
 * Returns a unit name to pass as to_unit (static storage or sample_unit).
 */
const char *units_pick(int64_t min_value, int64_t total, const char *sample_unit);

/*
 * A value for people, as flame graphs show it: bytes in B/KiB/MiB/GiB/TiB,
 * nanoseconds (and other time units) in ns/us/ms/s, anything else as a plain
 * number with the unit name after it unless it is "count" or empty.
 * Returns a unit kind: 'b' bytes, 't' time, 'n' other.
 */
int units_human(char *buf, size_t n, int64_t value, const char *unit);

#endif
