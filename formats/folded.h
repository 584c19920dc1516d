/*
 * Folded stacks, the text format of flamegraph.pl, inferno and perf tooling:
 * one line per stack, "root;frame;...;leaf COUNT".
 */
#ifndef HEARTH_FORMATS_FOLDED_H
#define HEARTH_FORMATS_FOLDED_H

#include <stddef.h>

#include "profile.h"

/*
 * Parses folded stacks into a profile with one sample type ("samples",
 * "count"), one function and one location per distinct frame name, and
 * identical stacks merged. Accepts LF or CRLF, blank lines, frames with
 * spaces (the count is the last space-separated field), counts up to
 * 2^63-1. Returns 0 and *out (the caller's), or HEARTH_EFORMAT naming the
 * line ("line 12: no count after the stack").
 */
int folded_read(profile **out, const char *buf, size_t len);

/*
 * Writes p's samples as folded stacks of the sample type at sample_index:
 * root to leaf, inlined frames expanded (outermost first), identical stacks
 * summed, zero totals left out, lines sorted bytewise. A frame is the
 * function name, or "0x<address>" where there is none; newlines inside names
 * become spaces. Returns 0 and a malloc'd NUL-terminated buffer, or ENOMEM.
 */
int folded_write(char **out, size_t *out_len, const profile *p,
                 int sample_index);

#endif
