/*
 * Error reporting shared by every module: a negative code returned up the
 * stack, and one line of text in a per-thread buffer saying what went wrong
 * and where ("profile.sample[12].location_id: truncated varint at offset 812").
 */
#ifndef HEARTH_FORMATS_ERROR_H
#define HEARTH_FORMATS_ERROR_H

#include <stdarg.h>

/* Return codes: 0 is success, every failure is negative. */
#define HEARTH_OK        0
#define HEARTH_EFAIL    -1 /* anything else: I/O, internal */
#define HEARTH_EFORMAT  -2 /* the input is malformed */
#define HEARTH_ENOMEM   -3 /* out of memory */
#define HEARTH_ELIMIT   -4 /* the input exceeds a configured limit */

#if defined(__GNUC__)
#define HEARTH_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define HEARTH_PRINTF(f, a)
#endif

/*
 * Records the message for the calling thread and returns code, so a failing
 * function can end with "return hearth_error_set(HEARTH_EFORMAT, ...)".
 * The message is truncated to the buffer's size; it never allocates.
 */
int hearth_error_set(int code, const char *fmt, ...) HEARTH_PRINTF(2, 3);
int hearth_error_vset(int code, const char *fmt, va_list ap);

/*
 * Prefixes the current message with "prefix: " to add context the callee
 * could not know (a file name). Returns code.
 */
int hearth_error_wrap(int code, const char *fmt, ...) HEARTH_PRINTF(2, 3);

/* The calling thread's last message ("" if none). Borrowed; valid until the
 * thread's next hearth_error_set. */
const char *hearth_error_last(void);

/* The calling thread's last code (0 if none). */
int hearth_error_code(void);

void hearth_error_clear(void);

#endif
