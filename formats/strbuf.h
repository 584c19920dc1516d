/*
 * A growable byte buffer for building text output (folded stacks, tables,
 * later SVG). Allocation failure is sticky: check .oom once at the end.
 */
#ifndef HEARTH_FORMATS_STRBUF_H
#define HEARTH_FORMATS_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

#include "error.h"

typedef struct strbuf {
    char *buf;  /* NUL-terminated when len > 0 */
    size_t len;
    size_t cap;
    int oom;
} strbuf;

void strbuf_init(strbuf *b);
void strbuf_fini(strbuf *b);
int strbuf_reserve(strbuf *b, size_t extra);
void strbuf_append(strbuf *b, const char *s, size_t n);
void strbuf_puts(strbuf *b, const char *s);
void strbuf_putc(strbuf *b, char c);
void strbuf_printf(strbuf *b, const char *fmt, ...) HEARTH_PRINTF(2, 3);
/* Hands the buffer to the caller (free it) and resets b. Never NULL unless
 * oom is set. */
char *strbuf_take(strbuf *b, size_t *len);

#endif
