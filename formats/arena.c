/*
 * Chunked bump allocation for the profile model. Chunks double from 64 KiB
 * up to 16 MiB, so a profile of N bytes costs O(log N) mallocs and wastes at
 * most one partly used chunk; a request larger than a chunk gets its own.
 */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
    arena_chunk *next;
    size_t size;
    _Alignas(16) unsigned char data[];
};

#define ARENA_MIN_CHUNK (64u << 10)
#define ARENA_MAX_CHUNK (16u << 20)

void arena_init(arena *a)
{
    memset(a, 0, sizeof *a);
}

void arena_fini(arena *a)
{
    arena_chunk *c = a->head;
    while (c) {
        arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    arena_init(a);
}

void *arena_alloc(arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (n < 8)
        n = 8;
    if (!a->head || a->cap - a->used < n) {
        size_t size = a->head ? a->head->size * 2 : ARENA_MIN_CHUNK;
        if (size > ARENA_MAX_CHUNK)
            size = ARENA_MAX_CHUNK;
        if (size < n)
            size = n;
        if (size > SIZE_MAX - sizeof(arena_chunk))
            return NULL;
        arena_chunk *c = malloc(sizeof(arena_chunk) + size);
        if (!c)
            return NULL;
        c->size = size;
        c->next = a->head;
        a->head = c;
        a->used = 0;
        a->cap = size;
        a->total += size;
    }
    void *p = a->head->data + a->used;
    a->used += n;
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
