/*
 * XML-safe text. Names come from profiles written by anyone; a name like
 * "</text><script>" or a stray byte 0x01 must neither run nor make the file
 * invalid XML (browsers refuse to render an SVG with one bad byte). So text
 * is decoded as UTF-8 and every character is either passed, escaped, or
 * replaced with U+FFFD.
 */
#include "svg.h"

#include <stdint.h>
#include <string.h>

/* Decodes one UTF-8 character at s (n bytes left). Returns its length and
 * sets *cp, or returns 1 with *cp = 0xFFFD for an invalid sequence. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    return svg_utf8_next(s, n, cp);
}

size_t svg_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        *cp = 0xfffd;
        return 1;
    }
    if (len > n) {
        *cp = 0xfffd;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        *cp = 0xfffd;
        return 1;
    }
    *cp = v;
    return len;
}

static int xml_allowed(uint32_t cp)
{
    if (cp < 0x20)
        return cp == '\t';
    if (cp >= 0x7f && cp <= 0x9f)
        return 0;
    return cp != 0xfffe && cp != 0xffff;
}

static void put_char(strbuf *out, const unsigned char *s, size_t len, uint32_t cp)
{
    if (!xml_allowed(cp) || cp == 0xfffd) {
        strbuf_puts(out, "\xef\xbf\xbd");
        return;
    }
    switch (cp) {
    case '&': strbuf_puts(out, "&amp;"); break;
    case '<': strbuf_puts(out, "&lt;"); break;
    case '>': strbuf_puts(out, "&gt;"); break;
    case '"': strbuf_puts(out, "&quot;"); break;
    case '\'': strbuf_puts(out, "&#39;"); break;
    default: strbuf_append(out, (const char *)s, len);
    }
}

void svg_escape_n(strbuf *out, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = utf8_next(s + i, n - i, &cp);
        put_char(out, s + i, len, cp);
        i += len;
    }
}

void svg_escape(strbuf *out, const char *s)
{
    svg_escape_n(out, s, strlen(s));
}

size_t svg_char_count(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str), i = 0, count = 0;
    while (i < n) {
        uint32_t cp;
        i += utf8_next(s + i, n - i, &cp);
        count++;
    }
    return count;
}

void svg_escape_fit(strbuf *out, const char *str, size_t max_chars)
{
    if (max_chars < 3)
        return;
    size_t total = svg_char_count(str);
    if (total <= max_chars) {
        svg_escape(out, str);
        return;
    }
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str), i = 0, count = 0;
    while (i < n && count < max_chars - 2) {
        uint32_t cp;
        size_t len = utf8_next(s + i, n - i, &cp);
        put_char(out, s + i, len, cp);
        i += len;
        count++;
    }
    strbuf_puts(out, "..");
}
