/*
 * Writing text into SVG, HTML and XML attributes safely: profiles are
 * untrusted, so every string from one goes through these.
 */
#ifndef HEARTH_RENDER_SVG_H
#define HEARTH_RENDER_SVG_H

#include <stddef.h>
#include <stdint.h>

#include "../formats/strbuf.h"

/*
 * Appends s XML-escaped (& < > " ' as entities), with invalid UTF-8 and
 * control characters (and U+FFFE/FFFF) replaced by U+FFFD, so the result is
 * valid in element content and in quoted attributes of SVG, XHTML and HTML.
 */
void svg_escape(strbuf *out, const char *s);
void svg_escape_n(strbuf *out, const char *s, size_t n);

/*
 * Appends at most max_chars characters of s, escaped; a longer name is cut
 * and ends with "..". max_chars < 3 appends nothing. Counts UTF-8
 * characters, not bytes, and never splits one.
 */
void svg_escape_fit(strbuf *out, const char *s, size_t max_chars);

/* Decodes one UTF-8 character at s (n > 0 bytes left): returns its length
 * and sets *cp, or returns 1 with *cp = 0xFFFD for an invalid sequence.
 * Shared with the other escapers (markdown). */
size_t svg_utf8_next(const unsigned char *s, size_t n, uint32_t *cp);

/* Number of characters (valid UTF-8 sequences or replaced bytes) in s. */
size_t svg_char_count(const char *s);

#endif
