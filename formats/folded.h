/*
 * Folded stacks, the text format of flamegraph.pl, inferno and perf tooling:
 * one line per stack, "root;frame;...;leaf COUNT".
 */
#ifndef HEARTH_FORMATS_FOLDED_H
#define HEARTH_FORMATS_FOLDED_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/* One frame of a parsed line: a pointer into the parser's input or its
 * carry buffer and a length. The name is not NUL-terminated; it is borrowed
 * until the callback returns. */
typedef struct folded_frame {
    const char *name;
    size_t len;
} folded_frame;

/*
 * Called once per stack line (blank lines are skipped) with its frames,
 * root first (n_frames >= 1), its count (0 .. 2^63-1) and its 1-based line
 * number. Returns 0 to go on, or a negative HEARTH_E* code (with the message
 * set) that the parser passes up.
 */
typedef int (*folded_line_fn)(void *arg, const folded_frame *frames,
                              size_t n_frames, int64_t count, size_t lineno);

/*
 * A push parser for folded stacks: feed it the input in blocks of any size,
 * it calls back once per complete line. Only a line cut by a block boundary
 * is copied (into carry), so memory is one line plus the frame array of
 * the longest line, whatever the input's size. folded_read uses it too:
 * both apply the same line rules and report the same line numbers.
 * Caller's storage; not thread-safe.
 */
typedef struct folded_parser {
    folded_line_fn fn;
    void *arg;
    size_t lineno;          /* lines finished so far */
    char *carry;            /* the unfinished line of the last block */
    size_t carry_len, carry_cap;
    folded_frame *frames;   /* scratch: the current line's frames */
    size_t frames_cap;
} folded_parser;

void folded_parser_init(folded_parser *fp, folded_line_fn fn, void *arg);
/* Parses every line that ends in buf and keeps the unfinished rest. Returns
 * 0, HEARTH_EFORMAT naming the line ("line 12: no count after the stack"),
 * HEARTH_ENOMEM, or the callback's error. */
int folded_parser_feed(folded_parser *fp, const char *buf, size_t len);
/* Parses the last line when the input does not end with a newline. Returns
 * as folded_parser_feed. */
int folded_parser_finish(folded_parser *fp);
void folded_parser_fini(folded_parser *fp);

/*
 * Parses folded stacks into a profile with one sample type ("samples",
 * "count"), one function and one location per distinct frame name, and
 * identical stacks merged. Accepts LF or CRLF, blank lines, frames with
 * spaces (the count is the last space-separated field), counts up to
 * 2^63-1. Returns 0 and *out (the caller's), or HEARTH_EFORMAT naming the
 * line ("line 12: no count after the stack").
 */
int folded_read(profile **out, const char *buf, size_t len);

/*
 * Writes p's samples as folded stacks of the sample type at sample_index:
 * root to leaf, inlined frames expanded (outermost first), identical stacks
 * summed, zero totals left out, lines sorted bytewise. A frame is the
 * function name, or "0x<address>" where there is none; newlines inside names
 * become spaces. Returns 0 and a malloc'd NUL-terminated buffer, or ENOMEM.
 */
int folded_write(char **out, size_t *out_len, const profile *p,
                 int sample_index);

#endif
