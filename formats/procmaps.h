/*
 * /proc/PID/maps: the memory mappings of a process, for a profile's
 * Mapping table.
 */
#ifndef HEARTH_FORMATS_PROCMAPS_H
#define HEARTH_FORMATS_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct procmap {
    uint64_t start, end, offset;
    bool exec;
    bool write;
    char path[512];  /* "" for anonymous mappings; "[vdso]" etc. kept */
} procmap;

/*
 * Parses maps text into out (at most max entries). Returns the number of
 * entries, keeping only executable ones when exec_only. Malformed lines are
 * skipped. Never allocates.
 */
size_t procmaps_parse(procmap *out, size_t max, const char *text, size_t len,
                      bool exec_only);

/* Reads a whole maps file (e.g. "/proc/self/maps") into a malloc'd buffer
 * the caller frees, its length in *len. NULL when it cannot be read. */
char *procmaps_read(const char *path, size_t *len);

/* The entry containing addr, or NULL. Entries are sorted by start, as the
 * kernel writes them. */
const procmap *procmaps_find(const procmap *maps, size_t n, uint64_t addr);

#endif
