/*
 * The profile model: interning, the builder, lookups, defaults, and a
 * roundtrip through the codec of a profile that sets every field of
 * profile.proto.
 */
#include "../../formats/error.h"
#include "../../formats/pb.h"
#include "../../formats/pprof.h"
#include "../test.h"

static profile *every_field_profile(void)
{
    profile *p = NULL;
    if (profile_create(&p))
        return NULL;
    profile_add_sample_type(p, "alloc_space", "bytes");
    profile_add_sample_type(p, "inuse_space", "bytes");
    profile_mapping m = {0};
    m.memory_start = 0x400000;
    m.memory_limit = 0x500000;
    m.file_offset = 0x1000;
    m.filename = profile_intern(p, "/usr/bin/service");
    m.build_id = profile_intern(p, "abcdef0123");
    m.has_functions = m.has_filenames = m.has_line_numbers = m.has_inline_frames = true;
    int64_t mid = profile_add_mapping(p, &m);
    int64_t f1 = profile_function_intern(p, "main", "_main", "main.c", 3);
    int64_t f2 = profile_function_intern(p, "helper", NULL, "h.c", 40);
    profile_line lines[2] = {{(uint64_t)f2, 44, 7}, {(uint64_t)f1, 9, 2}};
    int64_t l1 = profile_add_location(p, (uint64_t)mid, 0x401234, lines, 2);
    p->locations[l1 - 1].is_folded = true;
    int64_t l2 = profile_add_location(p, (uint64_t)mid, 0x401000, &lines[1], 1);
    uint64_t stack[] = {(uint64_t)l1, (uint64_t)l2};
    int64_t values[] = {-5, 1ll << 40};
    profile_label labels[2] = {
        {profile_intern(p, "thread"), profile_intern(p, "worker-1"), 0, 0},
        {profile_intern(p, "bytes"), 0, 4096, profile_intern(p, "bytes")},
    };
    profile_add_sample(p, stack, 2, values, 2, labels, 2);
    p->drop_frames = profile_intern(p, "malloc|free");
    p->keep_frames = profile_intern(p, "keep_me");
    p->time_nanos = 1700000000123456789ll;
    p->duration_nanos = 30000000000ll;
    p->period_type.type = profile_intern(p, "space");
    p->period_type.unit = profile_intern(p, "bytes");
    p->period = 524288;
    profile_add_comment(p, "dropped 3 samples");
    profile_add_comment(p, "# hidden");
    p->default_sample_type = profile_intern(p, "inuse_space");
    p->doc_url = profile_intern(p, "https://example.invalid/doc");
    return p;
}

TEST(test_profile__every_field_survives_encode_and_decode)
{
    profile *p = every_field_profile(), *q = NULL;
    REQUIRE(p);
    REQUIRE(profile_validate(p) == 0);
    uint8_t *raw;
    size_t len;
    REQUIRE(pprof_encode(&raw, &len, p) == 0);
    CHECK_EQ_INT(pprof_read(&q, raw, len, NULL), 0);
    char why[200] = "";
    CHECK(q && profile_equal(p, q, why, sizeof why));
    if (why[0])
        printf("  differs: %s\n", why);
    if (q) {
        CHECK_EQ_INT(q->locations[0].lines[0].column, 7);
        CHECK(q->locations[0].is_folded);
        CHECK(q->mappings[0].has_inline_frames);
        CHECK_EQ_INT(q->samples[0].values[0], -5);
        CHECK_EQ_STR(profile_str(q, q->samples[0].labels[1].num_unit), "bytes");
        CHECK_EQ_INT(profile_default_sample_index(q), 1);
    }
    /* A second encode of the decoded copy is byte-identical. */
    uint8_t *raw2;
    size_t len2;
    REQUIRE(q && pprof_encode(&raw2, &len2, q) == 0);
    CHECK(len == len2 && memcmp(raw, raw2, len) == 0);
    free(raw);
    free(raw2);
    profile_destroy(p);
    profile_destroy(q);
}

TEST(test_profile__equal_detects_a_changed_value)
{
    profile *p = every_field_profile(), *q = every_field_profile();
    REQUIRE(p && q);
    char why[200];
    CHECK(profile_equal(p, q, why, sizeof why));
    q->samples[0].values[1]++;
    CHECK(!profile_equal(p, q, why, sizeof why));
    CHECK_EQ_STR(why, "sample[0].value[1]");
    profile_destroy(p);
    profile_destroy(q);
}

TEST(test_profile__intern_returns_one_index_per_string)
{
    profile *p = NULL;
    REQUIRE(profile_create(&p) == 0);
    CHECK_EQ_INT(profile_intern(p, ""), 0);
    int64_t a = profile_intern(p, "alpha");
    char name[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "s%d", i);
        CHECK(profile_intern(p, name) > 0);
    }
    CHECK_EQ_INT(profile_intern(p, "alpha"), a);
    CHECK_EQ_INT(profile_intern(p, "s4999"), profile_intern(p, "s4999"));
    CHECK_EQ_INT(p->n_strings, 5002);
    CHECK_EQ_INT(profile_intern_n(p, "a\0b", 3), 5002);
    CHECK_EQ_INT(p->string_lens[5002], 3);
    profile_destroy(p);
}

TEST(test_profile__function_intern_deduplicates_by_content)
{
    profile *p = NULL;
    REQUIRE(profile_create(&p) == 0);
    int64_t a = profile_function_intern(p, "f", NULL, "x.c", 1);
    int64_t b = profile_function_intern(p, "f", NULL, "y.c", 1);
    CHECK(a != b);
    CHECK_EQ_INT(profile_function_intern(p, "f", NULL, "x.c", 1), a);
    char name[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof name, "fn%d", i);
        profile_function_intern(p, name, NULL, "", 0);
    }
    CHECK_EQ_INT(profile_function_intern(p, "fn1234", NULL, "", 0), 1234 + 3);
    CHECK_EQ_INT(p->n_functions, 3002);
    profile_destroy(p);
}

TEST(test_profile__lookups_work_for_sparse_ids)
{
    profile *p = NULL;
    REQUIRE(profile_create(&p) == 0);
    for (int i = 0; i < 100; i++) {
        profile_location *l = profile_push_location(p);
        REQUIRE(l);
        l->id = 1000 + (uint64_t)i * 7;
    }
    REQUIRE(profile_validate(p) == 0);
    const profile_location *l = profile_location_find(p, 1000 + 42 * 7);
    REQUIRE(l);
    CHECK_EQ_INT(l - p->locations, 42);
    CHECK(profile_location_find(p, 1001) == NULL);
    CHECK(profile_location_find(p, 0) == NULL);
    profile_destroy(p);
}

TEST(test_profile__sample_index_by_name_number_and_default)
{
    profile *p = NULL;
    REQUIRE(profile_create(&p) == 0);
    CHECK_EQ_INT(profile_default_sample_index(p), -1);
    profile_add_sample_type(p, "samples", "count");
    profile_add_sample_type(p, "cpu", "nanoseconds");
    CHECK_EQ_INT(profile_default_sample_index(p), 1);
    p->default_sample_type = profile_intern(p, "samples");
    CHECK_EQ_INT(profile_default_sample_index(p), 0);
    CHECK_EQ_INT(profile_find_sample_index(p, "cpu"), 1);
    CHECK_EQ_INT(profile_find_sample_index(p, "1"), 1);
    CHECK_EQ_INT(profile_find_sample_index(p, "2"), -1);
    CHECK_EQ_INT(profile_find_sample_index(p, "bogus"), -1);
    profile_destroy(p);
}

/* Hand-built wire bytes: unpacked repeated fields, unknown fields of every
 * wire type, and the string table before everything else. */
TEST(test_profile__decoder_accepts_unpacked_fields_and_skips_unknown_ones)
{
    pb_writer w;
    pb_writer_init(&w);
    pb_put_bytes(&w, 6, "", 0);
    pb_put_bytes(&w, 6, "samples", 7);
    pb_put_bytes(&w, 6, "count", 5);
    pb_put_bytes(&w, 6, "f", 1);
    size_t m = pb_begin(&w, 1);
    pb_put_int64(&w, 1, 1);
    pb_put_int64(&w, 2, 2);
    pb_end(&w, m);
    pb_put_tag(&w, 99, PB_FIXED32);
    pb_put_varint(&w, 0); pb_put_varint(&w, 0); pb_put_varint(&w, 0); pb_put_varint(&w, 0);
    m = pb_begin(&w, 2);
    pb_put_uint64(&w, 1, 1); /* unpacked location ids */
    pb_put_uint64(&w, 1, 1);
    pb_put_uint64(&w, 2, 42); /* unpacked value */
    pb_put_bytes(&w, 77, "junk", 4);
    pb_end(&w, m);
    m = pb_begin(&w, 4);
    pb_put_uint64(&w, 1, 1);
    size_t lm = pb_begin(&w, 4);
    pb_put_uint64(&w, 1, 1);
    pb_end(&w, lm);
    pb_end(&w, m);
    m = pb_begin(&w, 5);
    pb_put_uint64(&w, 1, 1);
    pb_put_int64(&w, 2, 3);
    pb_end(&w, m);
    pb_put_uint64(&w, 13, 3); /* unpacked comment */
    REQUIRE(!w.oom);
    profile *p = NULL;
    CHECK_EQ_INT(pprof_read(&p, w.buf, w.len, NULL), 0);
    if (p) {
        CHECK_EQ_INT(p->n_samples, 1);
        CHECK_EQ_INT(p->samples[0].n_locations, 2);
        CHECK_EQ_INT(p->samples[0].values[0], 42);
        CHECK_EQ_INT(p->n_comments, 1);
        CHECK_EQ_STR(profile_str(p, p->comments[0]), "f");
    } else {
        printf("  %s\n", hearth_error_last());
    }
    profile_destroy(p);
    pb_writer_fini(&w);
}

TEST(test_profile__decode_errors_name_the_field_path_and_offset)
{
    /* sample[0] whose location_id varint is cut short. */
    uint8_t b[] = {0x32, 0x00, 0x12, 0x02, 0x08, 0x96};
    profile *p = NULL;
    CHECK_EQ_INT(pprof_read(&p, b, sizeof b, NULL), HEARTH_EFORMAT);
    CHECK_EQ_STR(hearth_error_last(),
                 "profile.sample[0].location_id: truncated varint at offset 5");
}
