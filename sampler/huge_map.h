/*
 * Memory the CPU signal handler reads at every sample, mapped so the
 * kernel can back it with 2 MiB pages.
 */
#ifndef HEARTH_SAMPLER_HUGE_MAP_H
#define HEARTH_SAMPLER_HUGE_MAP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Maps at least `bytes` of zeroed, private, read-write memory, aligned to
 * 2 MiB, and asks for transparent huge pages (MADV_HUGEPAGE; where the
 * kernel gives none it stays 4 KiB pages, resident as touched). With
 * whole, the length rounds up to 2 MiB so even a small region gets one
 * huge page (and 2 MiB resident); without, the tail past the last whole
 * huge page stays in small pages. *out_len is the mapped length, for
 * huge_unmap. Returns NULL when the mapping fails. Not async-signal-safe.
 */
void *huge_map(size_t bytes, bool whole, size_t *out_len);

/* Unmaps what huge_map returned; NULL is a no-op. */
void huge_unmap(void *p, size_t len);

#endif
