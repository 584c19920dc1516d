/*
 * Per-thread error messages. One fixed buffer per thread, in initial-exec TLS
 * so that a library loaded with LD_PRELOAD never allocates for it lazily (the
 * sampler may report errors from threads it does not own).
 */
#include "error.h"

#include <stdio.h>
#include <string.h>

#define ERROR_BUF_BYTES 512

static __thread char error_buf[ERROR_BUF_BYTES]
    __attribute__((tls_model("initial-exec")));
static __thread int error_code __attribute__((tls_model("initial-exec")));

/*
 * A message is one line for a person, and often quotes the input it
 * stopped at (a folded line, a name): control characters become '?', so
 * that no input breaks the line or sends a terminal an escape sequence.
 * C1 controls count too, as UTF-8 writes them (0xC2 0x80-0x9F).
 */
static void one_line(char *s)
{
    for (unsigned char *u = (unsigned char *)s; *u; u++) {
        if (*u < 0x20 || *u == 0x7f)
            *u = '?';
        else if (*u == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)
            u[0] = u[1] = '?';
    }
}

int hearth_error_vset(int code, const char *fmt, va_list ap)
{
    vsnprintf(error_buf, sizeof error_buf, fmt, ap);
    one_line(error_buf);
    error_code = code;
    return code;
}

int hearth_error_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hearth_error_vset(code, fmt, ap);
    va_end(ap);
    return code;
}

int hearth_error_wrap(int code, const char *fmt, ...)
{
    char prefix[256];
    char old[ERROR_BUF_BYTES];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, error_buf, sizeof old);
    /* Truncation is acceptable: the message is one line for a person. */
    size_t n = strlen(prefix);
    if (n > sizeof error_buf - 3)
        n = sizeof error_buf - 3;
    memcpy(error_buf, prefix, n);
    memcpy(error_buf + n, ": ", 2);
    size_t rest = sizeof error_buf - n - 3;
    size_t m = strnlen(old, rest);
    memcpy(error_buf + n + 2, old, m);
    error_buf[n + 2 + m] = '\0';
    one_line(error_buf);
    error_code = code;
    return code;
}

const char *hearth_error_last(void)
{
    return error_buf;
}

int hearth_error_code(void)
{
    return error_code;
}

void hearth_error_clear(void)
{
    error_buf[0] = '\0';
    error_code = 0;
}
