/*
 * Control characters and bad UTF-8 out of text shown on a terminal.
 */
#include "termtext.h"

#include <stdint.h>

#include "svg.h"

void termtext_append(strbuf *out, const char *s, size_t n, bool keep_newlines)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        /* The common case: a run of printable ASCII, copied at once. */
        size_t j = i;
        while (j < n && u[j] >= 0x20 && u[j] < 0x7f)
            j++;
        strbuf_append(out, s + i, j - i);
        if (j == n)
            break;
        i = j;
        uint32_t cp;
        size_t len = svg_utf8_next(u + i, n - i, &cp);
        if ((cp == '\n' && keep_newlines) || cp == '\t')
            strbuf_putc(out, (char)cp);
        else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0xfffd)
            strbuf_puts(out, "\xef\xbf\xbd");
        else
            strbuf_append(out, s + i, len);
        i += len;
    }
}
