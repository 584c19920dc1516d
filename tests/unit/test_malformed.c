/*
 * Malformed input: the decoders are the first thing untrusted bytes reach,
 * so every way a file can be cut short, corrupted or subtly invalid must end
 * in a negative code and one line that says where, never a crash. Covers
 * every prefix of real profiles (gzip'd and raw), seeded random bit flips,
 * one hand-built profile per invariant that `go tool pprof` enforces, the
 * wire-format failures of formats/pb.c, gzip bombs against
 * pprof_read_options.max_bytes, and folded stacks with bad lines.
 */
#include <time.h>
#include <zlib.h>

#include "../../formats/error.h"
#include "../../formats/folded.h"
#include "../../formats/pb.h"
#include "../../formats/pprof.h"
#include "../test.h"

/* --- helpers --- */

static unsigned char *load_fixture(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/pprof/%s", test_fixtures_dir(), name);
    return test_read_file(path, len);
}

/* The decompressed protobuf of a gzip'd fixture. */
static uint8_t *load_raw_fixture(const char *name, size_t *len)
{
    size_t gz_len;
    unsigned char *gz = load_fixture(name, &gz_len);
    uint8_t *raw = NULL;
    if (pprof_gunzip(&raw, len, gz, gz_len, PPROF_DEFAULT_MAX_BYTES)) {
        test_fail(__FILE__, __LINE__, "%s: %s", name, hearth_error_last());
        raw = NULL;
    }
    free(gz);
    return raw;
}

/* A copy of exactly n bytes, so AddressSanitizer sees any read past them. */
static uint8_t *exact_copy(const uint8_t *buf, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    if (!c) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    if (n)
        memcpy(c, buf, n);
    return c;
}

/* A pprof failure message says where: a field path or a byte offset. */
static int names_a_place(const char *msg)
{
    return strstr(msg, "offset") || strstr(msg, "profile.");
}

/* Decodes buf; on success checks that the profile re-encodes to an equal
 * one. Returns pprof_read's code. On failure checks the message and, the
 * first time something is wrong, reports it with label and at. */
static int decode_checked(const uint8_t *buf, size_t len, const char *label,
                          size_t at, int *reported)
{
    uint8_t *copy = exact_copy(buf, len);
    profile *p = NULL, *q = NULL;
    uint8_t *enc = NULL;
    size_t enc_len;
    char why[256];
    hearth_error_clear();
    int rc = pprof_read(&p, copy, len, NULL);
    const char *msg = hearth_error_last();
    if (rc == 0) {
        if (pprof_encode(&enc, &enc_len, p) || pprof_read(&q, enc, enc_len, NULL)) {
            if (!(*reported)++)
                test_fail(__FILE__, __LINE__, "%s %zu: re-decode failed: %s",
                          label, at, hearth_error_last());
        } else if (!profile_equal(p, q, why, sizeof why)) {
            if (!(*reported)++)
                test_fail(__FILE__, __LINE__, "%s %zu: roundtrip differs: %s",
                          label, at, why);
        }
    } else if (rc != HEARTH_EFORMAT || hearth_error_code() != rc ||
               !msg[0] || strchr(msg, '\n') || !names_a_place(msg)) {
        if (!(*reported)++)
            test_fail(__FILE__, __LINE__, "%s %zu: rc %d (code %d), message \"%s\"",
                      label, at, rc, hearth_error_code(), msg);
    }
    profile_destroy(p);
    profile_destroy(q);
    free(enc);
    free(copy);
    return rc;
}

/* --- truncation at every byte --- */

static void truncate_gzip_everywhere(const char *name)
{
    size_t len;
    unsigned char *gz = load_fixture(name, &len);
    int reported = 0;
    for (size_t n = 0; n < len; n++) {
        int rc = decode_checked(gz, n, name, n, &reported);
        /* A gzip stream cut anywhere, trailer included, is incomplete. */
        if (rc == 0 && !reported++)
            test_fail(__FILE__, __LINE__, "%s: prefix of %zu of %zu bytes accepted",
                      name, n, len);
    }
    CHECK_EQ_INT(decode_checked(gz, len, name, len, &reported), 0);
    CHECK_EQ_INT(reported, 0);
    free(gz);
}

static void truncate_raw_everywhere(const char *name)
{
    size_t len;
    uint8_t *raw = load_raw_fixture(name, &len);
    if (!raw)
        return;
    int reported = 0, accepted = 0;
    for (size_t n = 0; n < len; n++)
        accepted += decode_checked(raw, n, name, n, &reported) == 0;
    CHECK_EQ_INT(decode_checked(raw, len, name, len, &reported), 0);
    CHECK_EQ_INT(reported, 0);
    /* Field boundaries near the end (time, period, comments) may be valid
     * ends; most prefixes miss the string table or cut a field. */
    CHECK(accepted < (int)(len / 10));
    free(raw);
}

TEST(test_malformed__every_prefix_of_a_gzipd_profile_fails_cleanly)
{
    truncate_gzip_everywhere("pprof_sample.cpu");
    truncate_gzip_everywhere("parca_query_two-stacks.pb.gz");
    truncate_gzip_everywhere("pprof_go.nomappings.crash");
}

TEST(test_malformed__every_prefix_of_a_raw_profile_fails_or_decodes)
{
    truncate_raw_everywhere("pprof_sample.cpu");
    truncate_raw_everywhere("parca_query_two-stacks.pb.gz");
    truncate_raw_everywhere("pprof_go.nomappings.crash");
}

/* --- random bit flips --- */

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: fixed seed, so a failure reproduces. */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

static void flip_bits(const uint8_t *orig, size_t len, int variants,
                      uint64_t seed, const char *label, int *accepted)
{
    uint8_t *buf = exact_copy(orig, len);
    uint64_t s = seed;
    int reported = 0;
    *accepted = 0;
    for (int v = 0; v < variants; v++) {
        memcpy(buf, orig, len);
        int flips = 1 + (int)(rng_next(&s) % 3);
        for (int k = 0; k < flips; k++) {
            uint64_t bit = rng_next(&s) % (len * 8);
            buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        *accepted += decode_checked(buf, len, label, (size_t)v, &reported) == 0;
    }
    CHECK_EQ_INT(reported, 0);
    free(buf);
}

TEST(test_malformed__random_bit_flips_in_raw_protobuf_fail_cleanly)
{
    size_t len;
    uint8_t *raw = load_raw_fixture("pprof_sample.cpu", &len);
    REQUIRE(raw);
    int accepted;
    flip_bits(raw, len, 4000, 0x5eed1234abcdull, "raw flip variant", &accepted);
    /* Flips inside string bytes and values keep the file valid, so some
     * variants decode, but most break an index, a length or a tag. */
    CHECK(accepted > 0);
    CHECK(accepted < 4000);
    free(raw);
}

TEST(test_malformed__random_bit_flips_in_gzip_fail_cleanly)
{
    size_t len;
    unsigned char *gz = load_fixture("pprof_sample.cpu", &len);
    int accepted;
    flip_bits(gz, len, 1000, 0xfeedfacecafeull, "gzip flip variant", &accepted);
    /* The CRC catches flips in the data; only header bytes (mtime, OS)
     * can change without notice. */
    CHECK(accepted < 100);
    free(gz);
}

/* --- hand-built profiles, one broken invariant each --- */

enum {
    S_EMPTY, S_SAMPLES, S_COUNT, S_THREAD, S_MAIN_THREAD, S_BINARY, S_MAIN,
    S_SOURCE, S_COMMENT, N_STRINGS
};

static const char *const spec_strings[N_STRINGS] = {
    "", "samples", "count", "thread", "main-thread", "/bin/app", "main",
    "main.c", "a comment",
};

/* A valid profile with two of each object, and the knobs that break it.
 * Object 0 of each kind is the one a test breaks; object 1 stays valid. */
typedef struct spec {
    const char *string0;       /* string_table[0] */
    int n_sample_types;        /* 1 */
    int64_t sample_type_type;  /* S_SAMPLES */
    int n_values;              /* values in each sample: 1 */
    uint64_t sample_location;  /* sample[0].location_id[0]: 1 */
    int64_t label_key;         /* sample[0].label[0].key: S_THREAD */
    uint64_t mapping_id[2];    /* 1, 2 */
    int64_t mapping_filename;  /* mapping[0].filename: S_BINARY */
    uint64_t location_id[2];   /* 1, 2 */
    uint64_t location_mapping; /* location[0].mapping_id: 1 */
    uint64_t line_function;    /* location[0].line[0].function_id: 1 */
    uint64_t function_id[2];   /* 1, 2 */
    int64_t function_name;     /* function[0].name: S_MAIN */
    int64_t comment;           /* comment[0]: S_COMMENT */
    int time_nanos_twice;      /* 0 */
} spec;

static spec spec_valid(void)
{
    spec s = {
        .string0 = "",
        .n_sample_types = 1,
        .sample_type_type = S_SAMPLES,
        .n_values = 1,
        .sample_location = 1,
        .label_key = S_THREAD,
        .mapping_id = {1, 2},
        .mapping_filename = S_BINARY,
        .location_id = {1, 2},
        .location_mapping = 1,
        .line_function = 1,
        .function_id = {1, 2},
        .function_name = S_MAIN,
        .comment = S_COMMENT,
    };
    return s;
}

/* Writes s with pb.h's writer; *second_time_end is the offset just past a
 * second time_nanos field when there is one. */
static void spec_write(pb_writer *w, const spec *s, size_t *second_time_end)
{
    pb_writer_init(w);
    for (int i = 0; i < s->n_sample_types; i++) {
        size_t m = pb_begin(w, 1);
        pb_put_int64(w, 1, s->sample_type_type);
        pb_put_int64(w, 2, S_COUNT);
        pb_end(w, m);
    }
    static const int64_t values[] = {7, 8, 9, 10};
    for (int i = 0; i < 2; i++) {
        uint64_t loc = i == 0 ? s->sample_location : 2;
        size_t m = pb_begin(w, 2);
        pb_put_packed_u64(w, 1, &loc, 1);
        pb_put_packed_i64(w, 2, values, (size_t)s->n_values);
        size_t lm = pb_begin(w, 3);
        pb_put_int64(w, 1, i == 0 ? s->label_key : S_THREAD);
        pb_put_int64(w, 2, S_MAIN_THREAD);
        pb_end(w, lm);
        pb_end(w, m);
    }
    for (int i = 0; i < 2; i++) {
        size_t m = pb_begin(w, 3);
        pb_put_uint64(w, 1, s->mapping_id[i]);
        pb_put_uint64(w, 2, 0x400000 + 0x100000 * (uint64_t)i);
        pb_put_uint64(w, 3, 0x4fffff + 0x100000 * (uint64_t)i);
        pb_put_int64(w, 5, i == 0 ? s->mapping_filename : S_BINARY);
        pb_put_bool(w, 7, 1);
        pb_end(w, m);
    }
    for (int i = 0; i < 2; i++) {
        size_t m = pb_begin(w, 4);
        pb_put_uint64(w, 1, s->location_id[i]);
        pb_put_uint64(w, 2, i == 0 ? s->location_mapping : 2);
        pb_put_uint64(w, 3, 0x401000 + 0x100000 * (uint64_t)i);
        size_t lm = pb_begin(w, 4);
        pb_put_uint64(w, 1, i == 0 ? s->line_function : 2);
        pb_put_int64(w, 2, 10 + i);
        pb_end(w, lm);
        pb_end(w, m);
    }
    for (int i = 0; i < 2; i++) {
        size_t m = pb_begin(w, 5);
        pb_put_uint64(w, 1, s->function_id[i]);
        pb_put_int64(w, 2, i == 0 ? s->function_name : S_MAIN);
        pb_put_int64(w, 3, S_MAIN);
        pb_put_int64(w, 4, S_SOURCE);
        pb_end(w, m);
    }
    pb_put_bytes(w, 6, s->string0, strlen(s->string0));
    for (int i = 1; i < N_STRINGS; i++)
        pb_put_bytes(w, 6, spec_strings[i], strlen(spec_strings[i]));
    pb_put_int64(w, 9, 1000);
    if (s->time_nanos_twice) {
        pb_put_int64(w, 9, 2000);
        if (second_time_end)
            *second_time_end = w->len;
    }
    pb_put_packed_i64(w, 13, &s->comment, 1);
}

/* Decodes s and returns the code; *msg gets the message. */
static int spec_read(const spec *s, char *msg, size_t msg_len)
{
    pb_writer w;
    spec_write(&w, s, NULL);
    if (w.oom) {
        snprintf(msg, msg_len, "writer out of memory");
        pb_writer_fini(&w);
        return 1;
    }
    profile *p = NULL;
    hearth_error_clear();
    int rc = pprof_read(&p, w.buf, w.len, NULL);
    snprintf(msg, msg_len, "%s", hearth_error_last());
    if (rc)
        CHECK_EQ_INT(hearth_error_code(), rc);
    profile_destroy(p);
    pb_writer_fini(&w);
    return rc;
}

#define CHECK_SPEC_FAILS(s, expect)                                            \
    do {                                                                       \
        char m_[512];                                                          \
        CHECK_EQ_INT(spec_read(&(s), m_, sizeof m_), HEARTH_EFORMAT);          \
        CHECK_EQ_STR(m_, (expect));                                            \
    } while (0)

#define CHECK_SPEC_OK(s)                                                       \
    do {                                                                       \
        char m_[512];                                                          \
        int rc_ = spec_read(&(s), m_, sizeof m_);                              \
        if (rc_)                                                               \
            test_fail(__FILE__, __LINE__, "rejected (%d): %s", rc_, m_);       \
    } while (0)

TEST(test_malformed__hand_built_valid_profile_decodes)
{
    spec s = spec_valid();
    CHECK_SPEC_OK(s);
}

TEST(test_malformed__string_table_0_not_empty_is_rejected)
{
    spec s = spec_valid();
    s.string0 = "x";
    CHECK_SPEC_FAILS(s, "profile.string_table[0]: must be \"\"");
}

TEST(test_malformed__missing_string_table_is_rejected)
{
    /* An empty buffer is a valid, empty message without a string table. */
    profile *p = NULL;
    uint8_t byte = 0;
    CHECK_EQ_INT(pprof_read(&p, &byte, 0, NULL), HEARTH_EFORMAT);
    CHECK_EQ_STR(hearth_error_last(), "profile.string_table: missing");
    profile_destroy(p);
}

TEST(test_malformed__string_index_out_of_range_names_the_field)
{
    spec s = spec_valid();
    s.sample_type_type = 99;
    CHECK_SPEC_FAILS(s, "profile.sample_type[0].type: string index 99 out of "
                        "range (table has 9)");
    s = spec_valid();
    s.function_name = 9;
    CHECK_SPEC_FAILS(s, "profile.function[0].name: string index 9 out of "
                        "range (table has 9)");
    s = spec_valid();
    s.label_key = 1000000;
    CHECK_SPEC_FAILS(s, "profile.sample[0].label[0].key: string index 1000000 "
                        "out of range (table has 9)");
    s = spec_valid();
    s.mapping_filename = 42;
    CHECK_SPEC_FAILS(s, "profile.mapping[0].filename: string index 42 out of "
                        "range (table has 9)");
    s = spec_valid();
    s.comment = 10;
    CHECK_SPEC_FAILS(s, "profile.comment[0]: string index 10 out of range "
                        "(table has 9)");
    /* A negative index arrives as a 10-byte varint. */
    s = spec_valid();
    s.function_name = -1;
    CHECK_SPEC_FAILS(s, "profile.function[0].name: string index -1 out of "
                        "range (table has 9)");
}

TEST(test_malformed__sample_value_count_must_match_sample_types)
{
    spec s = spec_valid();
    s.n_values = 2;
    CHECK_SPEC_FAILS(s, "profile.sample[0].value: has 2 values, sample_type has 1");
    s.n_values = 0;
    CHECK_SPEC_FAILS(s, "profile.sample[0].value: has 0 values, sample_type has 1");
}

TEST(test_malformed__samples_without_sample_type_are_rejected)
{
    spec s = spec_valid();
    s.n_sample_types = 0;
    CHECK_SPEC_FAILS(s, "profile.sample_type: missing, but the profile has 2 samples");
}

TEST(test_malformed__sample_location_must_exist)
{
    spec s = spec_valid();
    s.sample_location = 42;
    CHECK_SPEC_FAILS(s, "profile.sample[0].location_id[0]: location 42 does not exist");
}

TEST(test_malformed__ids_must_be_nonzero_and_unique)
{
    spec s = spec_valid();
    s.location_id[0] = 0;
    CHECK_SPEC_FAILS(s, "profile.location[0].id: is 0");
    s = spec_valid();
    s.location_id[1] = 1;
    CHECK_SPEC_FAILS(s, "profile.location[1].id: 1 is used twice");
    s = spec_valid();
    s.function_id[0] = 0;
    CHECK_SPEC_FAILS(s, "profile.function[0].id: is 0");
    s = spec_valid();
    s.function_id[1] = 1;
    CHECK_SPEC_FAILS(s, "profile.function[1].id: 1 is used twice");
    s = spec_valid();
    s.mapping_id[0] = 0;
    CHECK_SPEC_FAILS(s, "profile.mapping[0].id: is 0");
    s = spec_valid();
    s.mapping_id[1] = 1;
    CHECK_SPEC_FAILS(s, "profile.mapping[1].id: 1 is used twice");
    /* Sparse, unordered ids are fine. */
    s = spec_valid();
    s.location_id[0] = 1000;
    s.location_id[1] = 2;
    s.sample_location = 1000;
    s.function_id[0] = 77;
    s.line_function = 77;
    CHECK_SPEC_OK(s);
}

TEST(test_malformed__line_function_must_exist)
{
    spec s = spec_valid();
    s.line_function = 42;
    CHECK_SPEC_FAILS(s, "profile.location[0].line[0].function_id: function 42 "
                        "does not exist");
}

TEST(test_malformed__time_nanos_twice_is_rejected)
{
    spec s = spec_valid();
    s.time_nanos_twice = 1;
    pb_writer w;
    size_t end = 0;
    spec_write(&w, &s, &end);
    REQUIRE(!w.oom);
    profile *p = NULL;
    CHECK_EQ_INT(pprof_read(&p, w.buf, w.len, NULL), HEARTH_EFORMAT);
    char expect[160];
    snprintf(expect, sizeof expect, "profile.time_nanos: appears twice at "
             "offset %zu (concatenated profiles?)", end);
    CHECK_EQ_STR(hearth_error_last(), expect);
    profile_destroy(p);
    pb_writer_fini(&w);
}

TEST(test_malformed__missing_mapping_is_accepted)
{
    spec s = spec_valid();
    s.location_mapping = 42;
    CHECK_SPEC_OK(s);
    s.location_mapping = 0;
    CHECK_SPEC_OK(s);
}

/* --- hash flooding --- */

static uint64_t xorshift33(uint64_t x)
{
    return x ^ (x >> 33);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

TEST(test_malformed__colliding_ids_do_not_make_decoding_quadratic)
{
    /* Ids chosen so that profile.c's id hash (x ^= x >> 33; x *= C;
     * x ^= x >> 33, invertible) gives all of them the same low 32 bits:
     * one probe chain for any table size. 100,000 locations (1.2 MB) must
     * index in well under a second, as random ids do; a linear-probing
     * table takes ~5e9 probes. If the hash changes, these are just sparse
     * ids and the test still holds. */
    const uint64_t c = 0xff51afd7ed558ccdull;
    uint64_t c_inv = c; /* Newton's iteration for the inverse mod 2^64 */
    for (int i = 0; i < 5; i++)
        c_inv *= 2 - c * c_inv;
    REQUIRE(c * c_inv == 1);
    enum { N = 100000 };
    pb_writer w;
    pb_writer_init(&w);
    for (uint64_t k = 1; k <= N; k++) {
        uint64_t id = xorshift33(xorshift33((k << 32) | 12345) * c_inv);
        size_t m = pb_begin(&w, 4);
        pb_put_uint64(&w, 1, id);
        pb_end(&w, m);
    }
    pb_put_bytes(&w, 6, "", 0);
    REQUIRE(!w.oom);
    profile *p = NULL;
    double t0 = now_seconds();
    CHECK_EQ_INT(pprof_read(&p, w.buf, w.len, NULL), 0);
    double took = now_seconds() - t0;
    if (took > 1.0)
        test_fail(__FILE__, __LINE__, "%d colliding location ids took %.1f s "
                  "to decode", N, took);
    profile_destroy(p);
    pb_writer_fini(&w);
}

/* --- wire format --- */

/* Decodes the bytes and checks the code and exact message. */
static void check_bytes(const char *file, int line, const uint8_t *bytes,
                        size_t len, int want_rc, const char *want_msg)
{
    uint8_t *copy = exact_copy(bytes, len);
    profile *p = NULL;
    hearth_error_clear();
    int rc = pprof_read(&p, copy, len, NULL);
    if (rc != want_rc)
        test_fail(file, line, "rc %d, want %d (%s)", rc, want_rc, hearth_error_last());
    else if (want_msg && strcmp(hearth_error_last(), want_msg) != 0)
        test_fail(file, line, "message \"%s\", want \"%s\"", hearth_error_last(), want_msg);
    profile_destroy(p);
    free(copy);
}

#define CHECK_BYTES(want_rc, want_msg, ...)                                    \
    do {                                                                       \
        static const uint8_t b_[] = {__VA_ARGS__};                             \
        check_bytes(__FILE__, __LINE__, b_, sizeof b_, (want_rc), (want_msg)); \
    } while (0)

/* 0x32 0x00 is string_table[0] = "", the smallest valid profile. */
TEST(test_malformed__smallest_valid_profile_decodes)
{
    CHECK_BYTES(0, NULL, 0x32, 0x00);
    /* time_nanos = -1: the largest valid varint (10 bytes). */
    CHECK_BYTES(0, NULL, 0x32, 0x00, 0x48, 0xff, 0xff, 0xff, 0xff, 0xff,
                0xff, 0xff, 0xff, 0xff, 0x01);
    /* Unknown fields of every wire type are skipped. */
    CHECK_BYTES(0, NULL, 0x32, 0x00, 0xa0, 0x06, 0x05, 0xa9, 0x06, 1, 2, 3, 4,
                5, 6, 7, 8, 0xa2, 0x06, 0x01, 0x00, 0xad, 0x06, 1, 2, 3, 4);
}

TEST(test_malformed__wrong_wire_type_for_a_known_field)
{
    CHECK_BYTES(HEARTH_EFORMAT, "profile.sample_type[0]: wire type 0, expected "
                "length-delimited at offset 1", 0x08, 0x01, 0x32, 0x00);
    CHECK_BYTES(HEARTH_EFORMAT, "profile.time_nanos: wire type 2, expected "
                "varint at offset 3", 0x32, 0x00, 0x4a, 0x01, 0x00);
    CHECK_BYTES(HEARTH_EFORMAT, "profile.function[0].name: wire type 2, "
                "expected varint at offset 5", 0x2a, 0x04, 0x08, 0x01, 0x12, 0x00);
    CHECK_BYTES(HEARTH_EFORMAT, "profile.sample[0].location_id: wire type 1, "
                "expected varint at offset 3", 0x12, 0x09, 0x09, 1, 2, 3, 4, 5,
                6, 7, 8);
    CHECK_BYTES(HEARTH_EFORMAT, "profile.string_table[1]: wire type 0, "
                "expected length-delimited at offset 3", 0x32, 0x00, 0x30, 0x00);
}

TEST(test_malformed__group_wire_types_and_field_zero_are_rejected)
{
    CHECK_BYTES(HEARTH_EFORMAT, "profile: unsupported wire type at offset 2",
                0x32, 0x00, 0x0b, 0x0c);
    CHECK_BYTES(HEARTH_EFORMAT, "profile: unsupported wire type at offset 0", 0x0f);
    CHECK_BYTES(HEARTH_EFORMAT, "profile: invalid field number at offset 0",
                0x00, 0x32, 0x00);
    CHECK_BYTES(HEARTH_EFORMAT, "profile.sample[0]: invalid field number at "
                "offset 2", 0x12, 0x01, 0x02);
}

TEST(test_malformed__truncated_varint_names_field_and_offset)
{
    CHECK_BYTES(HEARTH_EFORMAT, "profile.time_nanos: truncated varint at offset 3",
                0x32, 0x00, 0x48, 0x80);
    CHECK_BYTES(HEARTH_EFORMAT, "profile: truncated varint at offset 2",
                0x32, 0x00, 0xc8);
    /* Inside a submessage: the varint runs off the end of the sample,
     * though the file goes on. */
    CHECK_BYTES(HEARTH_EFORMAT, "profile.sample[0].location_id: truncated "
                "varint at offset 3", 0x12, 0x02, 0x08, 0x80, 0x01, 0x32, 0x00);
    /* Inside a packed run. */
    CHECK_BYTES(HEARTH_EFORMAT, "profile.sample[0].value: truncated varint at "
                "offset 6", 0x12, 0x05, 0x12, 0x03, 0x01, 0x02, 0x80, 0x32, 0x00);
    CHECK_BYTES(HEARTH_EFORMAT, "profile.string_table[1]: truncated varint at "
                "offset 3", 0x32, 0x00, 0x32, 0x80);
}

TEST(test_malformed__varint_longer_than_10_bytes_is_rejected)
{
    CHECK_BYTES(HEARTH_EFORMAT, "profile.time_nanos: varint longer than 10 "
                "bytes at offset 3", 0x32, 0x00, 0x48, 0x80, 0x80, 0x80, 0x80,
                0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
    CHECK_BYTES(HEARTH_EFORMAT, "profile.function[0].id: varint longer than "
                "10 bytes at offset 3", 0x2a, 0x0c, 0x08, 0xff, 0xff, 0xff,
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x32, 0x00);
    /* Ten bytes whose last one carries more than bit 63. */
    CHECK_BYTES(HEARTH_EFORMAT, NULL, 0x32, 0x00, 0x48, 0xff, 0xff, 0xff,
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02);
}

TEST(test_malformed__length_past_end_is_rejected)
{
    CHECK_BYTES(HEARTH_EFORMAT, "profile.string_table[0]: field runs past the "
                "end of its message at offset 1", 0x32, 0x05, 'a', 'b');
    /* The label's length fits the file but not its sample. */
    CHECK_BYTES(HEARTH_EFORMAT, "profile.sample[0].label: field runs past the "
                "end of its message at offset 3", 0x12, 0x02, 0x1a, 0x05, 0x08,
                0x01, 0x10, 0x01, 0x32, 0x00);
    /* A length near 2^64 must not wrap a pointer. */
    CHECK_BYTES(HEARTH_EFORMAT, "profile.mapping: field runs past the end of "
                "its message at offset 1", 0x1a, 0xff, 0xff, 0xff, 0xff, 0xff,
                0xff, 0xff, 0xff, 0xff, 0x01);
    CHECK_BYTES(HEARTH_EFORMAT, "profile.sample[0].location_id: field runs "
                "past the end of its message at offset 3", 0x12, 0x03, 0x0a,
                0x7f, 0x01, 0x32, 0x00);
}

/* --- gzip --- */

/* One gzip member of zero_bytes zeros, streamed a megabyte at a time. */
static uint8_t *gzip_zeros(size_t zero_bytes, size_t *out_len)
{
    static const uint8_t zeros[1 << 20];
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = zero_bytes / 512 + 4096; /* deflate's best is ~1:1032 */
    uint8_t *out = malloc(cap);
    if (!out) {
        deflateEnd(&zs);
        return NULL;
    }
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    size_t left = zero_bytes;
    int z = Z_OK;
    while (z == Z_OK) {
        size_t n = left < sizeof zeros ? left : sizeof zeros;
        zs.next_in = (Bytef *)zeros;
        zs.avail_in = (uInt)n;
        left -= n;
        z = deflate(&zs, left ? Z_NO_FLUSH : Z_FINISH);
        if (left && z == Z_OK && zs.avail_in == 0)
            continue;
        if (!left)
            while (z == Z_OK)
                z = deflate(&zs, Z_FINISH);
    }
    *out_len = zs.total_out;
    deflateEnd(&zs);
    if (z != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

/* n copies of one gzip member: a multi-member stream, as `cat a.gz b.gz`. */
static uint8_t *repeat(const uint8_t *member, size_t len, size_t n, size_t *out_len)
{
    uint8_t *out = malloc(len * n);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++)
        memcpy(out + i * len, member, len);
    *out_len = len * n;
    return out;
}

TEST(test_malformed__gzip_bomb_hits_the_limit)
{
    /* 64 MiB of zeros in one member (about 64 KiB), against a 16 MiB limit. */
    size_t len;
    uint8_t *bomb = gzip_zeros((size_t)64 << 20, &len);
    REQUIRE(bomb);
    CHECK(len < 100000);
    pprof_read_options o = PPROF_READ_OPTIONS_INIT;
    o.max_bytes = (size_t)16 << 20;
    profile *p = NULL;
    CHECK_EQ_INT(pprof_read(&p, bomb, len, &o), HEARTH_ELIMIT);
    CHECK_EQ_STR(hearth_error_last(), "gzip: decompressed size exceeds the "
                 "limit of 16777216 bytes");
    CHECK(p == NULL);

    /* 2 GiB of zeros as 32 members of 64 MiB (about 2 MiB), against a
     * 64 MiB limit: members add up. */
    size_t big_len;
    uint8_t *big = repeat(bomb, len, 32, &big_len);
    REQUIRE(big);
    o.max_bytes = (size_t)64 << 20;
    CHECK_EQ_INT(pprof_read(&p, big, big_len, &o), HEARTH_ELIMIT);
    CHECK_EQ_STR(hearth_error_last(), "gzip: decompressed size exceeds the "
                 "limit of 67108864 bytes");
    CHECK(p == NULL);
    free(big);
    free(bomb);
}

TEST(test_malformed__limit_is_exact)
{
    spec s = spec_valid();
    pb_writer w;
    spec_write(&w, &s, NULL);
    REQUIRE(!w.oom);
    size_t gz_len;
    uint8_t *gz = test_gzip(w.buf, w.len, 6, &gz_len);
    REQUIRE(gz);
    pprof_read_options o = PPROF_READ_OPTIONS_INIT;
    profile *p = NULL;
    o.max_bytes = w.len;
    CHECK_EQ_INT(pprof_read(&p, gz, gz_len, &o), 0);
    profile_destroy(p);
    p = NULL;
    CHECK_EQ_INT(pprof_read(&p, w.buf, w.len, &o), 0);
    profile_destroy(p);
    p = NULL;
    o.max_bytes = w.len - 1;
    CHECK_EQ_INT(pprof_read(&p, gz, gz_len, &o), HEARTH_ELIMIT);
    CHECK_CONTAINS(hearth_error_last(), "exceeds the limit");
    CHECK_EQ_INT(pprof_read(&p, w.buf, w.len, &o), HEARTH_ELIMIT);
    CHECK_CONTAINS(hearth_error_last(), "exceeds the limit");
    CHECK(p == NULL);
    free(gz);
    pb_writer_fini(&w);
}

TEST(test_malformed__gzip_framing_errors_name_an_offset)
{
    spec s = spec_valid();
    pb_writer w;
    spec_write(&w, &s, NULL);
    REQUIRE(!w.oom);
    size_t gz_len;
    uint8_t *gz = test_gzip(w.buf, w.len, 6, &gz_len);
    REQUIRE(gz);
    size_t half = w.len / 2;
    size_t g1_len, g2_len;
    uint8_t *g1 = test_gzip(w.buf, half, 6, &g1_len);
    uint8_t *g2 = test_gzip(w.buf + half, w.len - half, 6, &g2_len);
    REQUIRE(g1 && g2);
    uint8_t *buf = malloc(g1_len + g2_len + gz_len + 16);
    REQUIRE(buf);
    profile *p = NULL;

    /* Two members, then zero padding: one profile, as gzip -d sees it. */
    memcpy(buf, g1, g1_len);
    memcpy(buf + g1_len, g2, g2_len);
    memset(buf + g1_len + g2_len, 0, 8);
    CHECK_EQ_INT(pprof_read(&p, buf, g1_len + g2_len + 8, NULL), 0);
    profile_destroy(p);
    p = NULL;

    /* Trailing garbage. */
    memcpy(buf, gz, gz_len);
    memcpy(buf + gz_len, "junk", 4);
    CHECK_EQ_INT(pprof_read(&p, buf, gz_len + 4, NULL), HEARTH_EFORMAT);
    char expect[128];
    snprintf(expect, sizeof expect, "gzip: trailing garbage at offset %zu", gz_len);
    CHECK_EQ_STR(hearth_error_last(), expect);

    /* A corrupted CRC. */
    memcpy(buf, gz, gz_len);
    buf[gz_len - 8] ^= 0xff;
    CHECK_EQ_INT(pprof_read(&p, buf, gz_len, NULL), HEARTH_EFORMAT);
    CHECK_CONTAINS(hearth_error_last(), "gzip: incorrect data check at offset");

    /* The magic alone. */
    CHECK_EQ_INT(pprof_read(&p, gz, 2, NULL), HEARTH_EFORMAT);
    CHECK_EQ_STR(hearth_error_last(), "gzip: truncated stream at offset 2");

    /* gzip of nothing: a valid stream holding an empty message. */
    size_t empty_len;
    uint8_t *empty = test_gzip((const uint8_t *)"", 0, 6, &empty_len);
    REQUIRE(empty);
    CHECK_EQ_INT(pprof_read(&p, empty, empty_len, NULL), HEARTH_EFORMAT);
    CHECK_EQ_STR(hearth_error_last(), "profile.string_table: missing");
    CHECK(p == NULL);

    free(empty);
    free(g1);
    free(g2);
    free(buf);
    free(gz);
    pb_writer_fini(&w);
}

/* --- folded stacks --- */

static int folded(profile **out, const char *text)
{
    hearth_error_clear();
    return folded_read(out, text, strlen(text));
}

#define CHECK_FOLDED_FAILS(text, expect)                                       \
    do {                                                                       \
        profile *p_ = NULL;                                                    \
        CHECK_EQ_INT(folded(&p_, (text)), HEARTH_EFORMAT);                     \
        CHECK_EQ_INT(hearth_error_code(), HEARTH_EFORMAT);                     \
        CHECK_EQ_STR(hearth_error_last(), (expect));                           \
        CHECK(p_ == NULL);                                                     \
        profile_destroy(p_);                                                   \
    } while (0)

/* Checks the message's "line N: " prefix and that it mentions what. */
#define CHECK_FOLDED_FAILS_AT(text, line, what)                                \
    do {                                                                       \
        profile *p_ = NULL;                                                    \
        char want_[32];                                                        \
        snprintf(want_, sizeof want_, "line %d: ", (line));                    \
        CHECK_EQ_INT(folded(&p_, (text)), HEARTH_EFORMAT);                     \
        CHECK(strncmp(hearth_error_last(), want_, strlen(want_)) == 0);        \
        CHECK_CONTAINS(hearth_error_last(), (what));                           \
        profile_destroy(p_);                                                   \
    } while (0)

TEST(test_malformed__folded_line_without_count)
{
    CHECK_FOLDED_FAILS("a;b 1\nmain;work\n", "line 2: no count after the stack");
    CHECK_FOLDED_FAILS("a;b 1\r\n\r\nmain;work\r\nc 1\r\n",
                       "line 3: no count after the stack");
}

TEST(test_malformed__folded_non_numeric_count)
{
    CHECK_FOLDED_FAILS("a 1\n\nb x\n", "line 3: \"x\" is not a count (a whole number)");
    CHECK_FOLDED_FAILS("a -1\n", "line 1: \"-1\" is not a count (a whole number)");
    CHECK_FOLDED_FAILS("a 1.5\n", "line 1: \"1.5\" is not a count (a whole number)");
    CHECK_FOLDED_FAILS("a 0x10\n", "line 1: \"0x10\" is not a count (a whole number)");
    CHECK_FOLDED_FAILS("a +1\n", "line 1: \"+1\" is not a count (a whole number)");
}

TEST(test_malformed__folded_count_above_int64_max)
{
    profile *p = NULL;
    REQUIRE(folded(&p, "a 9223372036854775807\n") == 0);
    CHECK_EQ_INT(p->samples[0].values[0], INT64_MAX);
    profile_destroy(p);
    CHECK_FOLDED_FAILS("a 1\nb 9223372036854775808\n", "line 2: count exceeds 2^63-1");
    CHECK_FOLDED_FAILS("a 18446744073709551615\n", "line 1: count exceeds 2^63-1");
    CHECK_FOLDED_FAILS("a 18446744073709551616\n", "line 1: count exceeds 2^63-1");
    CHECK_FOLDED_FAILS("a 99999999999999999999999\n", "line 1: count exceeds 2^63-1");
    /* 2*10^19 wraps uint64 arithmetic back below 2^63 (to 1553255926290448384)
     * if the overflow check comes after the multiplication. */
    CHECK_FOLDED_FAILS("a 20000000000000000000\n", "line 1: count exceeds 2^63-1");
    CHECK_FOLDED_FAILS("a 27000000000000000000\n", "line 1: count exceeds 2^63-1");
}

TEST(test_malformed__folded_empty_stack)
{
    CHECK_FOLDED_FAILS_AT("a 1\n5\n", 2, "stack");
    CHECK_FOLDED_FAILS_AT("a 1\n  5\n", 2, "stack");
    CHECK_FOLDED_FAILS_AT("a 1\n\t 7\r\n", 2, "stack");
    /* The message should say what is missing: the stack, not the count. */
    CHECK_FOLDED_FAILS_AT("a 1\n5\n", 2, "no stack");
}

TEST(test_malformed__folded_nul_byte)
{
    static const char text[] = "a 1\nb\0c 2\n";
    profile *p = NULL;
    CHECK_EQ_INT(folded_read(&p, text, sizeof text - 1), HEARTH_EFORMAT);
    CHECK_EQ_STR(hearth_error_last(), "line 2: NUL byte in text");
    profile_destroy(p);
}

TEST(test_malformed__folded_merge_overflow)
{
    CHECK_FOLDED_FAILS("a;b 9223372036854775807\nx 1\na;b 1\n",
                       "line 3: total count of this stack overflows 2^63-1");
    /* Different stacks may sum past it: each sample still fits. */
    profile *p = NULL;
    CHECK_EQ_INT(folded(&p, "a 9223372036854775807\nb 9223372036854775807\n"), 0);
    profile_destroy(p);
}

TEST(test_malformed__folded_crlf_blank_lines_and_spaces_are_accepted)
{
    profile *p = NULL;
    REQUIRE(folded(&p, "\r\n\nmain;my func (int);leaf 3\r\n   \n\t\n"
                       "main;other thing 4\r\nmain;my func (int);leaf 2\n"
                       "  main\t1") == 0);
    CHECK_EQ_INT(p->n_samples, 3);
    CHECK_EQ_INT(p->samples[0].n_locations, 3);
    CHECK_EQ_INT(p->samples[0].values[0], 5);
    CHECK_EQ_INT(p->samples[1].values[0], 4);
    CHECK_EQ_INT(p->samples[2].values[0], 1);
    /* Leaf first; names exact: no CR, inner spaces kept. */
    const profile_location *leaf = profile_location_find(p, p->samples[0].location_ids[0]);
    const profile_location *mid = profile_location_find(p, p->samples[0].location_ids[1]);
    const profile_location *other = profile_location_find(p, p->samples[1].location_ids[0]);
    const profile_location *root = profile_location_find(p, p->samples[2].location_ids[0]);
    REQUIRE(leaf && mid && other && root);
    CHECK_EQ_STR(profile_str(p, profile_function_find(p, leaf->lines[0].function_id)->name), "leaf");
    CHECK_EQ_STR(profile_str(p, profile_function_find(p, mid->lines[0].function_id)->name), "my func (int)");
    CHECK_EQ_STR(profile_str(p, profile_function_find(p, other->lines[0].function_id)->name), "other thing");
    CHECK_EQ_STR(profile_str(p, profile_function_find(p, root->lines[0].function_id)->name), "main");
    profile_destroy(p);

    /* Only blank lines, or nothing: an empty profile, not an error. */
    CHECK_EQ_INT(folded(&p, ""), 0);
    CHECK_EQ_INT(p->n_samples, 0);
    profile_destroy(p);
    CHECK_EQ_INT(folded(&p, "\r\n\n  \n"), 0);
    CHECK_EQ_INT(p->n_samples, 0);
    profile_destroy(p);
}

TEST(test_malformed__folded_write_output_reads_back)
{
    /* A CR inside a frame becomes a space on output; that must not turn
     * the line into one that cannot be read again. */
    static const char *const inputs[] = {
        "\r 5\n", "\ra;b 5\n", "a;\r 5\n", "a; 5\n", " ;a 3\n",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        profile *p = NULL, *q = NULL;
        char *text = NULL;
        size_t len;
        if (folded(&p, inputs[i])) {
            test_fail(__FILE__, __LINE__, "input %zu: %s", i, hearth_error_last());
            continue;
        }
        if (folded_write(&text, &len, p, 0) == 0 && folded_read(&q, text, len))
            test_fail(__FILE__, __LINE__, "input %zu: output \"%s\" does not "
                      "read back: %s", i, text, hearth_error_last());
        free(text);
        profile_destroy(p);
        profile_destroy(q);
    }
}

TEST(test_malformed__folded_write_of_an_empty_profile_is_empty)
{
    /* No samples, or only zero counts: nothing to sort, nothing to write. */
    static const char *const inputs[] = {"", "\n \r\n", "a 0\nb;c 0\n"};
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        profile *p = NULL;
        char *text = NULL;
        size_t len = 1;
        REQUIRE(folded(&p, inputs[i]) == 0);
        CHECK_EQ_INT(folded_write(&text, &len, p, 0), 0);
        CHECK_EQ_INT(len, 0);
        CHECK(text && text[0] == '\0');
        free(text);
        profile_destroy(p);
    }
}
