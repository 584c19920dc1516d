/*
 * A bump allocator that frees everything at once. The profile model keeps
 * every sample's arrays and every string here: a 200,000-sample profile
 * would otherwise cost 600,000 malloc calls to load and as many to free.
 */
#ifndef HEARTH_FORMATS_ARENA_H
#define HEARTH_FORMATS_ARENA_H

#include <stddef.h>

typedef struct arena_chunk arena_chunk;

typedef struct arena {
    arena_chunk *head; /* newest chunk; older ones follow ->next */
    size_t used;       /* bytes used in head */
    size_t cap;        /* bytes available in head */
    size_t total;      /* bytes of all chunks, for memory accounting */
} arena;

void arena_init(arena *a);
/* Frees every chunk; the arena can be used again afterwards. */
void arena_fini(arena *a);
/* Returns n bytes aligned to 8, or NULL when out of memory. Never moves
 * earlier allocations. n == 0 returns a valid non-NULL pointer. */
void *arena_alloc(arena *a, size_t n);
/* Copies n bytes into the arena and appends a NUL. */
char *arena_strndup(arena *a, const char *s, size_t n);

#endif
