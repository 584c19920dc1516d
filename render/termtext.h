/*
 * Profile text bound for a terminal (`hearth top`, `hearth info`, error
 * lines): names are untrusted, and an escape sequence in one would move
 * the cursor, clear the screen or retitle the window of whoever reads the
 * table.
 */
#ifndef HEARTH_RENDER_TERMTEXT_H
#define HEARTH_RENDER_TERMTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "../formats/strbuf.h"

/*
 * Appends n bytes of s with every control character (C0 except tab, DEL,
 * and C1 written as UTF-8) and every byte that is not valid UTF-8 replaced
 * by U+FFFD. Newlines are kept when keep_newlines (a whole table), else
 * replaced too (one line of an error).
 */
void termtext_append(strbuf *out, const char *s, size_t n, bool keep_newlines);

#endif
