/*
 * A large gzip'd profile is decoded while a second thread inflates it
 * (formats/gunzip.c). These tests make inputs big enough to take that path
 * and check that it gives exactly what inflating in one go gives: the same
 * profile, or the same error code and message, for truncated, corrupted,
 * padded, multi-member and oversized inputs.
 */
#include <zlib.h>

#include "../../formats/error.h"
#include "../../render/gunzip_thread.h"
#include "../../formats/pprof.h"
#include "../test.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A profile whose gzip'd encoding is a few MiB: random function names do
 * not compress. */
static profile *big_profile(void)
{
    profile *p;
    if (profile_create(&p))
        return NULL;
    profile_add_sample_type(p, "alloc_space", "bytes");
    profile_add_sample_type(p, "inuse_space", "bytes");
    enum { FUNCS = 60000, SAMPLES = 60000 };
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.";
    for (int i = 0; i < FUNCS; i++) {
        char name[48];
        for (int j = 0; j < 40; j++)
            name[j] = abc[next_rand() % 64];
        name[40] = 0;
        int64_t fn = profile_function_intern(p, name, name, "f.c", i);
        profile_line line = {(uint64_t)fn, i % 1000, 0};
        profile_add_location(p, 0, 0x1000 + (uint64_t)i * 16, &line, 1);
    }
    for (int i = 0; i < SAMPLES; i++) {
        uint64_t locs[24];
        size_t n = 1 + next_rand() % 24;
        for (size_t j = 0; j < n; j++)
            locs[j] = 1 + next_rand() % FUNCS;
        int64_t vals[2] = {(int64_t)(next_rand() % 100000), (int64_t)(next_rand() % 3)};
        profile_add_sample(p, locs, n, vals, 2, NULL, 0);
    }
    return p;
}

/* The reference: inflate in one go, then decode the raw bytes. */
static int read_in_one_go(profile **out, const uint8_t *gz, size_t len, size_t max_bytes,
                          char *msg, size_t msg_len)
{
    uint8_t *raw = NULL;
    size_t raw_len;
    *out = NULL;
    hearth_error_clear();
    int rc = pprof_gunzip(&raw, &raw_len, gz, len, max_bytes);
    if (!rc) {
        pprof_read_options o = {max_bytes, false, NULL};
        rc = pprof_read(out, raw, raw_len, &o);
    }
    snprintf(msg, msg_len, "%s", rc ? hearth_error_last() : "");
    free(raw);
    return rc;
}

/* pprof_read on gz (which takes the threaded path when it can) equals the
 * reference: same code, same message, equal profiles. */
static void check_same(const uint8_t *gz, size_t len, size_t max_bytes, const char *what)
{
    char want_msg[512], why[256];
    profile *want, *got = NULL;
    int want_rc = read_in_one_go(&want, gz, len, max_bytes, want_msg, sizeof want_msg);
    uint8_t *copy = malloc(len);
    memcpy(copy, gz, len);
    hearth_error_clear();
    pprof_read_options o = {max_bytes, false, &gunzip_thread};
    int rc = pprof_read(&got, copy, len, &o);
    const char *msg = rc ? hearth_error_last() : "";
    if (rc != want_rc || strcmp(msg, want_msg))
        test_fail(__FILE__, __LINE__, "%s: got %d \"%s\", in one go %d \"%s\"", what, rc, msg,
                  want_rc, want_msg);
    else if (!rc && !profile_equal(want, got, why, sizeof why))
        test_fail(__FILE__, __LINE__, "%s: profiles differ: %s", what, why);
    profile_destroy(want);
    profile_destroy(got);
    free(copy);
}

static uint8_t *raw_big(size_t *len)
{
    profile *p = big_profile();
    uint8_t *raw = NULL;
    if (!p || pprof_encode(&raw, len, p))
        raw = NULL;
    profile_destroy(p);
    return raw;
}

TEST(gunzip_async_takes_large_inputs_and_inflates_them_exactly)
{
    size_t raw_len, gz_len;
    uint8_t *raw = raw_big(&raw_len);
    REQUIRE(raw);
    uint8_t *gz = test_gzip(raw, raw_len, 1, &gz_len);
    REQUIRE(gz);
    /* Big enough for the thread (1 MiB compressed), or this tests nothing. */
    CHECK(gz_len > (2u << 20));
    gunzip_async *a = gunzip_async_start(gz, gz_len, PPROF_DEFAULT_MAX_BYTES);
    REQUIRE(a);
    bool done = false;
    size_t last = 0, n = 0;
    while (!done) {
        n = gunzip_async_wait(a, last + 1, &done);
        CHECK(n >= last);
        last = n;
    }
    size_t total;
    CHECK_EQ_INT(gunzip_async_finish(a, &total), 0);
    CHECK_EQ_INT(total, raw_len);
    CHECK(memcmp(gunzip_async_data(a), raw, raw_len) == 0);
    gunzip_async_free(a);
    /* Small inputs and a trailer promising more than the limit stay in
     * one go. */
    CHECK(!gunzip_async_start(gz, 1000, PPROF_DEFAULT_MAX_BYTES));
    CHECK(!gunzip_async_start(gz, gz_len, raw_len - 1));
    check_same(gz, gz_len, PPROF_DEFAULT_MAX_BYTES, "whole");
    free(gz);
    free(raw);
}

TEST(gunzip_async_errors_equal_inflating_in_one_go)
{
    size_t raw_len, gz_len;
    uint8_t *raw = raw_big(&raw_len);
    REQUIRE(raw);
    uint8_t *gz = test_gzip(raw, raw_len, 1, &gz_len);
    REQUIRE(gz);
    char what[64];
    /* Cut short: inside the deflate data, inside the trailer. */
    size_t cuts[] = {gz_len / 3, gz_len - 9, gz_len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        snprintf(what, sizeof what, "cut at %zu", cuts[i]);
        check_same(gz, cuts[i], PPROF_DEFAULT_MAX_BYTES, what);
    }
    /* Corrupted deflate data, early and late. */
    size_t flips[] = {gz_len / 10, gz_len / 2, gz_len - 100};
    for (size_t i = 0; i < sizeof flips / sizeof *flips; i++) {
        uint8_t *c = malloc(gz_len);
        memcpy(c, gz, gz_len);
        c[flips[i]] ^= 0x5a;
        snprintf(what, sizeof what, "flip at %zu", flips[i]);
        check_same(c, gz_len, PPROF_DEFAULT_MAX_BYTES, what);
        free(c);
    }
    /* The trailer's size (the hint) wrong: zlib's length check fails. */
    uint8_t *c = malloc(gz_len + gz_len + 16);
    memcpy(c, gz, gz_len);
    c[gz_len - 4] ^= 1;
    check_same(c, gz_len, PPROF_DEFAULT_MAX_BYTES, "isize + 1");
    c[gz_len - 4] ^= 1;
    /* Zero padding is ignored; other trailing bytes are an error. */
    memset(c + gz_len, 0, 16);
    check_same(c, gz_len + 16, PPROF_DEFAULT_MAX_BYTES, "zero padding");
    c[gz_len + 8] = 7;
    check_same(c, gz_len + 16, PPROF_DEFAULT_MAX_BYTES, "trailing garbage");
    /* Two members: more than the last member's size says. Decoded as one
     * stream, like gzip -d and Go; the profile is two concatenated, whose
     * decoding fails the same way both times (time_nanos twice, or fine). */
    memcpy(c + gz_len, gz, gz_len);
    check_same(c, 2 * gz_len, PPROF_DEFAULT_MAX_BYTES, "two members");
    /* Limits just below and at the size. */
    check_same(gz, gz_len, raw_len - 1, "limit below");
    check_same(gz, gz_len, raw_len, "limit at");
    free(c);
    free(gz);
    /* Malformed protobuf inside good gzip: a length running past the end,
     * and a bad byte in the middle of the samples. */
    uint8_t *bad = malloc(raw_len);
    memcpy(bad, raw, raw_len);
    bad[raw_len / 2] = 0xff;
    bad[raw_len / 2 + 1] = 0xff;
    gz = test_gzip(bad, raw_len, 1, &gz_len);
    check_same(gz, gz_len, PPROF_DEFAULT_MAX_BYTES, "bad protobuf in the middle");
    free(gz);
    gz = test_gzip(raw, raw_len - 3, 1, &gz_len);
    check_same(gz, gz_len, PPROF_DEFAULT_MAX_BYTES, "protobuf cut short");
    free(gz);
    free(bad);
    free(raw);
}
