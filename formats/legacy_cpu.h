/*
 * The legacy gperftools CPU profile (the binary format written by
 * gperftools' ProfilerStart and by Go's runtime/pprof before Go 1.9), read
 * into the profile model exactly as google/pprof's profile.ParseData does.
 */
#ifndef HEARTH_FORMATS_LEGACY_CPU_H
#define HEARTH_FORMATS_LEGACY_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/*
 * 1 if buf starts with the header of a C++/Go legacy CPU profile: the words
 * 0, 3, 0, period > 0, 0, in 32- or 64-bit words of either byte order; else
 * 0. Java's variant (third word 1) is not ours. Reads at most 40 bytes.
 */
int legacy_cpu_detect(const uint8_t *buf, size_t len);

/*
 * Decodes a legacy CPU profile: its samples, then the text memory map
 * (/proc/self/maps lines) that follows the end-of-data marker. Applies
 * pprof's clean-ups: the signal-handler frame removal, mapping merges and
 * main-binary heuristics, and the duplicate-leaf removal. The result has
 * sample types samples/count and cpu/nanoseconds and passes
 * profile_validate. Returns 0 and a new profile in *out (the caller's), or
 * HEARTH_EFORMAT (not a legacy CPU profile, or truncated/malformed: the
 * message names the sample and byte offset), HEARTH_ELIMIT (a memory map
 * whose $variable expansion exceeds fixed limits) or HEARTH_ENOMEM.
 * Never frees buf. Thread-safe; no global state.
 */
int legacy_cpu_read(profile **out, const uint8_t *buf, size_t len);

#endif
