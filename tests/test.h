/*
 * A tiny test harness. TEST(name) defines and registers a test; CHECK and
 * friends record a failure with its file and line and go on; REQUIRE stops
 * the test. The runner prints "PASS name" / "FAIL name" lines and closes
 * with "N passed, N failed", which tests/run sums over every suite.
 */
#ifndef HEARTH_TESTS_TEST_H
#define HEARTH_TESTS_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct test_case {
    const char *name;
    void (*fn)(void);
    struct test_case *next;
} test_case;

void test_register(test_case *t);
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Directory of ../shared/fixtures, from HEARTH_FIXTURES or the default. */
const char *test_fixtures_dir(void);
/* Reads a whole file into a malloc'd buffer; aborts the test run on error. */
unsigned char *test_read_file(const char *path, size_t *len);
/* raw as one gzip member at zlib level (memLevel 9), or NULL. malloc'd. */
uint8_t *test_gzip(const uint8_t *raw, size_t raw_len, int level, size_t *out_len);
extern int test_failed_now;

#define TEST(name)                                                             \
    static void name(void);                                                    \
    static test_case name##_case = {#name, name, NULL};                        \
    __attribute__((constructor)) static void name##_register(void)             \
    {                                                                          \
        test_register(&name##_case);                                           \
    }                                                                          \
    static void name(void)

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                 \
    } while (0)

#define REQUIRE(cond)                                                          \
    do {                                                                       \
        if (!(cond)) {                                                         \
            test_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond);               \
            return;                                                            \
        }                                                                      \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                     \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ != b_)                                                          \
            test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b,    \
                      a_, b_);                                                 \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                     \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                 \
            test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a,    \
                      #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");             \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                            \
    do {                                                                       \
        const char *h_ = (hay), *n_ = (needle);                                \
        if (!h_ || !strstr(h_, n_))                                            \
            test_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"",    \
                      h_ ? h_ : "(null)", n_);                                 \
    } while (0)

#endif
