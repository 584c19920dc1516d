/*
 * Growable text buffer: doubling growth, one NUL kept after the data so the
 * buffer is always a C string.
 */
#include "strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_init(strbuf *b)
{
    memset(b, 0, sizeof *b);
}

void strbuf_fini(strbuf *b)
{
    free(b->buf);
    memset(b, 0, sizeof *b);
}

int strbuf_reserve(strbuf *b, size_t extra)
{
    if (b->oom)
        return -1;
    if (extra >= SIZE_MAX - b->len - 1) {
        b->oom = 1;
        return -1;
    }
    if (b->cap - b->len > extra)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len <= extra) {
        if (cap > SIZE_MAX / 2) {
            b->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    char *n = realloc(b->buf, cap);
    if (!n) {
        b->oom = 1;
        return -1;
    }
    b->buf = n;
    b->cap = cap;
    return 0;
}

void strbuf_append(strbuf *b, const char *s, size_t n)
{
    if (strbuf_reserve(b, n))
        return;
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

void strbuf_puts(strbuf *b, const char *s)
{
    strbuf_append(b, s, strlen(s));
}

void strbuf_putc(strbuf *b, char c)
{
    strbuf_append(b, &c, 1);
}

void strbuf_printf(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        strbuf_append(b, small, (size_t)n);
        return;
    }
    if (strbuf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *strbuf_take(strbuf *b, size_t *len)
{
    if (b->oom)
        return NULL;
    if (!b->buf && strbuf_reserve(b, 0))
        return NULL;
    b->buf[b->len] = '\0';
    char *s = b->buf;
    if (len)
        *len = b->len;
    memset(b, 0, sizeof *b);
    return s;
}
