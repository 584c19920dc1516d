/*
 * Legacy gperftools CPU profiles: the Go fixture decodes to what Go's pprof
 * makes of it (counts, ids and addresses checked against `go tool pprof`),
 * hand-built files cover every word size and byte order, pprof's clean-ups
 * and its memory map heuristics, and damaged input fails with a position and
 * never crashes.
 */
#include "../../formats/error.h"
#include "../../formats/legacy_cpu.h"
#include "../test.h"

/* A growable buffer of words in one size and byte order. */
typedef struct words {
    uint8_t *buf;
    size_t len, cap;
    unsigned size;
    int big;
} words;

static void put_bytes(words *w, const void *p, size_t n)
{
    while (w->len + n > w->cap) {
        w->cap = w->cap ? w->cap * 2 : 256;
        w->buf = realloc(w->buf, w->cap);
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void put(words *w, uint64_t v)
{
    uint8_t b[8];
    for (unsigned i = 0; i < w->size; i++)
        b[w->big ? w->size - 1 - i : i] = (uint8_t)(v >> (8 * i));
    put_bytes(w, b, w->size);
}

static void put_header(words *w, uint64_t period_us)
{
    put(w, 0);
    put(w, 3);
    put(w, 0);
    put(w, period_us);
    put(w, 0);
}

static void put_sample(words *w, uint64_t count, size_t depth,
                       const uint64_t *pcs)
{
    put(w, count);
    put(w, depth);
    for (size_t i = 0; i < depth; i++)
        put(w, pcs[i]);
}

static void put_end(words *w)
{
    put(w, 0);
    put(w, 1);
    put(w, 0);
}

/* Three samples sharing frames; the same in every word format. */
static void put_small_profile(words *w)
{
    static const uint64_t a[] = {0x1010, 0x2005, 0x3005};
    static const uint64_t b[] = {0x1020, 0x2005, 0x3005};
    static const uint64_t c[] = {0x1010};
    put_header(w, 10000);
    put_sample(w, 5, 3, a);
    put_sample(w, 2, 3, b);
    put_sample(w, 1, 1, c);
    put_end(w);
}

static const char *str(const profile *p, int64_t i)
{
    return profile_str(p, i);
}

static void check_sample(const profile *p, size_t i, int64_t count,
                         const uint64_t *ids, uint32_t n)
{
    const profile_sample *s = &p->samples[i];
    CHECK_EQ_INT(s->n_values, 2);
    CHECK_EQ_INT(s->values[0], count);
    CHECK_EQ_INT(s->values[1], count * p->period);
    CHECK_EQ_INT(s->n_locations, n);
    for (uint32_t j = 0; j < n && j < s->n_locations; j++)
        CHECK_EQ_INT(s->location_ids[j], ids[j]);
}

TEST(test_legacy_cpu__fixture_decodes_as_go_pprof_does)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/pprof/pprof_go.crc32.cpu",
             test_fixtures_dir());
    size_t len;
    unsigned char *buf = test_read_file(path, &len);
    CHECK(legacy_cpu_detect(buf, len));
    profile *p = NULL;
    int rc = legacy_cpu_read(&p, buf, len);
    free(buf);
    if (rc)
        test_fail(__FILE__, __LINE__, "%s", hearth_error_last());
    REQUIRE(rc == 0);
    /* Numbers from Go's profile.ParseData on the same file. */
    CHECK_EQ_INT(p->n_samples, 69);
    CHECK_EQ_INT(p->n_locations, 11);
    CHECK_EQ_INT(p->n_mappings, 1);
    CHECK_EQ_INT(p->n_functions, 0);
    CHECK_EQ_INT(p->period, 10000000);
    CHECK_EQ_STR(str(p, p->period_type.type), "cpu");
    CHECK_EQ_STR(str(p, p->period_type.unit), "nanoseconds");
    REQUIRE(p->n_sample_types == 2);
    CHECK_EQ_STR(str(p, p->sample_types[0].type), "samples");
    CHECK_EQ_STR(str(p, p->sample_types[0].unit), "count");
    CHECK_EQ_STR(str(p, p->sample_types[1].type), "cpu");
    CHECK_EQ_STR(str(p, p->sample_types[1].unit), "nanoseconds");
    CHECK_EQ_STR(str(p, p->drop_frames),
                 "ProfileData::Add|ProfileData::prof_handler|CpuProfiler::"
                 "prof_handler|__pthread_sighandler|__restore");
    CHECK_EQ_INT(p->keep_frames, 0);
    /* Two signal-handler frames were removed from every 7-frame stack. */
    static const uint64_t first[] = {1, 2, 3, 4, 5};
    static const uint64_t second[] = {6, 2, 3, 4, 5};
    check_sample(p, 0, 1, first, 5);
    check_sample(p, 1, 2, second, 5);
    int64_t total = 0;
    for (size_t i = 0; i < p->n_samples; i++)
        total += p->samples[i].values[0];
    CHECK_EQ_INT(total, 17 + 19 + 26 + 19 + 85 + 21 + 24);
    static const uint64_t addrs[] = {0x430b93, 0x4317eb, 0x42a065, 0x42a31b,
                                     0x415d0f, 0x430baa, 0x430bb5, 0x430ba6,
                                     0x430bac, 0x430b9f, 0x430bb3};
    for (size_t i = 0; i < 11 && i < p->n_locations; i++) {
        CHECK_EQ_INT(p->locations[i].id, i + 1);
        CHECK_EQ_INT(p->locations[i].address, addrs[i]);
        CHECK_EQ_INT(p->locations[i].mapping_id, 1);
    }
    /* Go's legacy writer listed no mappings: one catch-all is made up. */
    CHECK_EQ_INT(p->mappings[0].memory_start, 0);
    CHECK_EQ_INT(p->mappings[0].memory_limit, UINT64_MAX);
    CHECK_EQ_STR(str(p, p->mappings[0].filename), "");
    CHECK_EQ_INT(profile_validate(p), 0);
    profile_destroy(p);
}

TEST(test_legacy_cpu__detects_each_word_size_and_byte_order)
{
    for (unsigned size = 4; size <= 8; size += 4) {
        for (int big = 0; big <= 1; big++) {
            words w = {NULL, 0, 0, size, big};
            put_header(&w, 100);
            CHECK(legacy_cpu_detect(w.buf, w.len));
            CHECK(!legacy_cpu_detect(w.buf, w.len - 1));
            free(w.buf);
            /* Java's variant, a zero period and a nonzero pad are not. */
            static const uint64_t bad[][5] = {
                {0, 3, 1, 100, 0}, {0, 3, 0, 0, 0}, {0, 3, 0, 100, 1},
                {1, 3, 0, 100, 0}, {0, 2, 0, 100, 0}};
            for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                words v = {NULL, 0, 0, size, big};
                for (int j = 0; j < 5; j++)
                    put(&v, bad[i][j]);
                CHECK(!legacy_cpu_detect(v.buf, v.len));
                profile *p = NULL;
                CHECK_EQ_INT(legacy_cpu_read(&p, v.buf, v.len), HEARTH_EFORMAT);
                free(v.buf);
            }
        }
    }
    static const uint8_t gz[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(!legacy_cpu_detect(gz, sizeof gz));
    CHECK(!legacy_cpu_detect(NULL, 0));
}

TEST(test_legacy_cpu__reads_32_and_64_bit_in_both_byte_orders_alike)
{
    profile *ref = NULL;
    for (unsigned size = 4; size <= 8; size += 4) {
        for (int big = 0; big <= 1; big++) {
            words w = {NULL, 0, 0, size, big};
            put_small_profile(&w);
            profile *p = NULL;
            int rc = legacy_cpu_read(&p, w.buf, w.len);
            free(w.buf);
            if (rc)
                test_fail(__FILE__, __LINE__, "size %u big %d: %s", size, big,
                          hearth_error_last());
            REQUIRE(rc == 0);
            CHECK_EQ_INT(p->period, 10000000);
            REQUIRE(p->n_samples == 3 && p->n_locations == 4);
            /* Callers step back one byte into the call; leaves do not. */
            CHECK_EQ_INT(p->locations[0].address, 0x1010);
            CHECK_EQ_INT(p->locations[1].address, 0x2004);
            CHECK_EQ_INT(p->locations[2].address, 0x3004);
            CHECK_EQ_INT(p->locations[3].address, 0x1020);
            static const uint64_t a[] = {1, 2, 3}, b[] = {4, 2, 3}, c[] = {1};
            check_sample(p, 0, 5, a, 3);
            check_sample(p, 1, 2, b, 3);
            check_sample(p, 2, 1, c, 1);
            CHECK_EQ_INT(profile_validate(p), 0);
            if (!ref) {
                ref = p;
                continue;
            }
            char why[256];
            if (!profile_equal(ref, p, why, sizeof why))
                test_fail(__FILE__, __LINE__, "size %u big %d differs: %s",
                          size, big, why);
            profile_destroy(p);
        }
    }
    profile_destroy(ref);
}

TEST(test_legacy_cpu__strips_a_signal_frame_shared_by_nearly_all_samples)
{
    /* 33 samples: margin 33/32 = 1, so 32 sharing a second frame is
     * enough, then the next frame is shared by all and goes too. */
    words w = {NULL, 0, 0, 8, 0};
    put_header(&w, 1);
    for (int i = 0; i < 33; i++) {
        uint64_t pcs[] = {0x1000 + (uint64_t)i, i ? 0x9001 : 0x8001, 0x7001,
                          0x6001};
        put_sample(&w, 1, 4, pcs);
    }
    put_end(&w);
    profile *p = NULL;
    REQUIRE(legacy_cpu_read(&p, w.buf, w.len) == 0);
    const profile_sample *s0 = &p->samples[0], *s1 = &p->samples[1];
    /* Sample 0 keeps its odd 0x8000 and the 0x7000 behind it; the others
     * lose 0x9000, then 0x7000, which became their shared second frame. */
    REQUIRE(s0->n_locations == 4 && s1->n_locations == 2);
    CHECK_EQ_INT(profile_location_find(p, s0->location_ids[1])->address, 0x8000);
    CHECK_EQ_INT(profile_location_find(p, s0->location_ids[2])->address, 0x7000);
    CHECK_EQ_INT(profile_location_find(p, s1->location_ids[1])->address, 0x6000);
    /* Locations no sample uses any more are gone. */
    for (size_t i = 0; i < p->n_locations; i++)
        CHECK(p->locations[i].address != 0x9000);
    CHECK_EQ_INT(p->n_locations, 33 + 3);
    profile_destroy(p);
    free(w.buf);

    /* Two different ones among 33 is too many: nothing is removed. */
    words v = {NULL, 0, 0, 8, 0};
    put_header(&v, 1);
    for (int i = 0; i < 33; i++) {
        uint64_t pcs[] = {0x1000, i < 2 ? 0x8001 : 0x9001};
        put_sample(&v, 1, 2, pcs);
    }
    put_end(&v);
    REQUIRE(legacy_cpu_read(&p, v.buf, v.len) == 0);
    for (size_t i = 0; i < p->n_samples; i++)
        CHECK_EQ_INT(p->samples[i].n_locations, 2);
    profile_destroy(p);
    free(v.buf);
}

TEST(test_legacy_cpu__drops_a_leaf_repeated_from_unwinding)
{
    words w = {NULL, 0, 0, 4, 1};
    put_header(&w, 1);
    static const uint64_t dup[] = {0x5000, 0x5000, 0x6001};
    static const uint64_t other[] = {0x5000, 0x7001, 0x6001};
    put_sample(&w, 1, 3, dup);
    put_sample(&w, 1, 3, other);
    put_sample(&w, 1, 3, other);
    put_end(&w);
    profile *p = NULL;
    REQUIRE(legacy_cpu_read(&p, w.buf, w.len) == 0);
    REQUIRE(p->n_samples == 3);
    static const uint64_t s0[] = {1, 3}, s1[] = {1, 4, 3};
    check_sample(p, 0, 1, s0, 2);
    check_sample(p, 1, 1, s1, 3);
    /* Like pprof, the dropped copy (0x4fff) stays in the location table. */
    REQUIRE(p->n_locations == 4);
    CHECK_EQ_INT(p->locations[1].address, 0x4fff);
    CHECK_EQ_INT(profile_validate(p), 0);
    profile_destroy(p);
    free(w.buf);
}

TEST(test_legacy_cpu__applies_the_memory_map_as_go_pprof_does)
{
    words w = {NULL, 0, 0, 4, 0};
    put_header(&w, 10000);
    static const uint64_t a[] = {0x401010, 0x7f001001};
    static const uint64_t b[] = {0x7f000500, 0x402001, 0x1};
    static const uint64_t c[] = {0x90000000};
    static const uint64_t d[] = {0x0};
    put_sample(&w, 1, 2, a);
    put_sample(&w, 2, 3, b);
    put_sample(&w, 3, 1, c);
    put_sample(&w, 1, 1, d);
    put_end(&w);
    static const char text[] =
        "--- Memory map: ---\n"
        "7f000000-7f001000 r-xp 00000000 08:01 100 /lib/libc.so.6\n"
        "7f001000-7f002000 r-xp 00001000 08:01 100 /lib/libc.so.6\r\n"
        "7f002000-7f003000 rw-p 00002000 08:01 100 /lib/libc.so.6\n"
        "I0101 00:00:00.000 1 main.cc:10] 00400000-00403000 r-xp 00000000 "
        "08:01 200 $bin\n"
        "bin = /usr/bin/server\n"
        "00400000-00403000 r-xp 00000000 08:01 200 $bin\n";
    put_bytes(&w, text, sizeof text - 1);
    profile *p = NULL;
    int rc = legacy_cpu_read(&p, w.buf, w.len);
    free(w.buf);
    if (rc)
        test_fail(__FILE__, __LINE__, "%s", hearth_error_last());
    REQUIRE(rc == 0);
    /* Expected values are Go's profile.ParseData output for this file:
     * the two libc halves merge, the rw-p line is skipped, the glog prefix
     * is cut, "$bin" is replaced only after it is defined, the first
     * non-library moves to the front, and an address no mapping covers
     * gets the catch-all appended last. Address 0 gets no mapping. */
    REQUIRE(p->n_mappings == 4);
    static const struct {
        uint64_t start, limit;
        const char *file;
    } maps[] = {
        {0x400000, 0x403000, "$bin"},
        {0x7f000000, 0x7f002000, "/lib/libc.so.6"},
        {0x400000, 0x403000, "/usr/bin/server"},
        {0, UINT64_MAX, ""},
    };
    for (size_t i = 0; i < 4; i++) {
        CHECK_EQ_INT(p->mappings[i].id, i + 1);
        CHECK_EQ_INT(p->mappings[i].memory_start, maps[i].start);
        CHECK_EQ_INT(p->mappings[i].memory_limit, maps[i].limit);
        CHECK_EQ_INT(p->mappings[i].file_offset, 0);
        CHECK_EQ_STR(str(p, p->mappings[i].filename), maps[i].file);
    }
    static const struct {
        uint64_t addr, mapping;
    } locs[] = {{0x401010, 1}, {0x7f001000, 2}, {0x7f000500, 2},
                {0x402000, 1}, {0x0, 0},        {0x90000000, 4}};
    REQUIRE(p->n_locations == 6);
    for (size_t i = 0; i < 6; i++) {
        CHECK_EQ_INT(p->locations[i].address, locs[i].addr);
        CHECK_EQ_INT(p->locations[i].mapping_id, locs[i].mapping);
    }
    static const uint64_t s1[] = {3, 4, 5}, s3[] = {5};
    check_sample(p, 1, 2, s1, 3);
    check_sample(p, 3, 1, s3, 1);
    profile_destroy(p);
}

TEST(test_legacy_cpu__main_binary_heuristics)
{
    /* From Go's output for the same file: a leading /anon_hugepage that
     * touches the next mapping is dropped; the main binary's start -
     * offset is 0x400000, so it starts there with offset 0; an address just
     * below a mapping with an offset extends that mapping down. */
    words w = {NULL, 0, 0, 8, 0};
    put_header(&w, 1);
    static const uint64_t a[] = {0x400100, 0x7f000ff1};
    static const uint64_t b[] = {0x400200, 0x401001};
    put_sample(&w, 1, 2, a);
    put_sample(&w, 1, 2, b);
    put_end(&w);
    static const char text[] =
        "00400000-00401000 r-xp 00000000 00:00 0 /anon_hugepage\n"
        "00401000-00500000 r-xp 00001000 08:01 7 /srv/app(deleted)\n"
        "7f001000-7f002000 r-xp 00001000 08:01 8 /lib/libm.so.6\n";
    put_bytes(&w, text, sizeof text - 1);
    profile *p = NULL;
    REQUIRE(legacy_cpu_read(&p, w.buf, w.len) == 0);
    free(w.buf);
    REQUIRE(p->n_mappings == 2);
    CHECK_EQ_STR(str(p, p->mappings[0].filename), "/srv/app(deleted)");
    CHECK_EQ_INT(p->mappings[0].memory_start, 0x400000);
    CHECK_EQ_INT(p->mappings[0].memory_limit, 0x500000);
    CHECK_EQ_INT(p->mappings[0].file_offset, 0);
    CHECK_EQ_INT(p->mappings[1].memory_start, 0x7f000000);
    CHECK_EQ_INT(p->mappings[1].file_offset, 0);
    REQUIRE(p->n_locations == 4);
    CHECK_EQ_INT(p->locations[1].address, 0x7f000ff0);
    CHECK_EQ_INT(p->locations[1].mapping_id, 2);
    CHECK_EQ_INT(p->locations[3].mapping_id, 1);
    profile_destroy(p);

    /* The main binary is the first name that, without "(deleted)" and
     * Unicode spaces, is neither a shared library nor "[...]". */
    words v = {NULL, 0, 0, 8, 0};
    put_header(&v, 1);
    put_sample(&v, 1, 2, a);
    put_sample(&v, 1, 2, b);
    put_end(&v);
    static const char text2[] =
        "7f001000-7f002000 r-xp 00001000 08:01 8 /lib/libm.so.6\n"
        "7f003000-7f004000 r-xp 00001000 08:01 8 (deleted)\n"
        "7f005000-7f006000 r-xp 00001000 08:01 8 [vdso]\n"
        "7f007000-7f008000 r-xp 00001000 08:01 8 \xc2\xa0/opt/x.so_2\n"
        "7f009000-7f00a000 r-xp 00001000 08:01 8 /opt/y(deleted)\xc2\xa0\n";
    put_bytes(&v, text2, sizeof text2 - 1);
    REQUIRE(legacy_cpu_read(&p, v.buf, v.len) == 0);
    free(v.buf);
    REQUIRE(p->n_mappings == 6);
    CHECK_EQ_STR(str(p, p->mappings[0].filename), "/opt/y(deleted)\xc2\xa0");
    CHECK_EQ_STR(str(p, p->mappings[4].filename), "/lib/libm.so.6");
    CHECK_EQ_INT(p->mappings[5].memory_limit, UINT64_MAX);
    profile_destroy(p);
}

/* Every proper prefix of a file that ends at its end-of-data marker. */
static void check_every_prefix_fails(const uint8_t *buf, size_t len)
{
    for (size_t n = 0; n < len; n++) {
        profile *p = NULL;
        int rc = legacy_cpu_read(&p, buf, n);
        if (rc != HEARTH_EFORMAT) {
            test_fail(__FILE__, __LINE__, "prefix of %zu/%zu bytes: rc %d",
                      n, len, rc);
            profile_destroy(p);
            return;
        }
        if (!strstr(hearth_error_last(), "legacy cpu profile: ")) {
            test_fail(__FILE__, __LINE__, "prefix %zu: message \"%s\"", n,
                      hearth_error_last());
            return;
        }
    }
    profile *p = NULL;
    CHECK_EQ_INT(legacy_cpu_read(&p, buf, len), 0);
    profile_destroy(p);
}

TEST(test_legacy_cpu__truncated_at_every_offset_fails)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/pprof/pprof_go.crc32.cpu",
             test_fixtures_dir());
    size_t len;
    unsigned char *buf = test_read_file(path, &len);
    check_every_prefix_fails(buf, len);
    free(buf);
    for (unsigned size = 4; size <= 8; size += 4) {
        words w = {NULL, 0, 0, size, 1};
        put_small_profile(&w);
        check_every_prefix_fails(w.buf, w.len);
        free(w.buf);
    }
}

TEST(test_legacy_cpu__truncated_memory_map_never_crashes)
{
    words w = {NULL, 0, 0, 8, 0};
    put_small_profile(&w);
    size_t binary = w.len;
    static const char text[] =
        "00001000-00004000 r-xp 00000000 08:01 9 /usr/bin/a\n"
        "x=/lib\n"
        "0x2000 0x4000 r-xp $x/libq.so.1 (@1000) 0badc0de\n";
    put_bytes(&w, text, sizeof text - 1);
    for (size_t n = binary; n <= w.len; n++) {
        profile *p = NULL;
        int rc = legacy_cpu_read(&p, w.buf, n);
        if (rc || profile_validate(p)) {
            test_fail(__FILE__, __LINE__, "prefix %zu: %s", n,
                      hearth_error_last());
            profile_destroy(p);
            break;
        }
        CHECK(p->n_mappings >= 1);
        profile_destroy(p);
    }
    free(w.buf);
}

TEST(test_legacy_cpu__huge_stack_depth_is_an_error_not_an_allocation)
{
    words w = {NULL, 0, 0, 8, 0};
    put_header(&w, 1);
    put(&w, 1);
    put(&w, (uint64_t)1 << 63);
    put(&w, 0x1234);
    profile *p = NULL;
    CHECK_EQ_INT(legacy_cpu_read(&p, w.buf, w.len), HEARTH_EFORMAT);
    CHECK_EQ_STR(hearth_error_last(),
                 "legacy cpu profile: sample 0 at offset 40: stack depth "
                 "9223372036854775808 exceeds remaining data");
    free(w.buf);

    /* A 64-bit stack one word short: pprof would pad it with zeros. */
    words v = {NULL, 0, 0, 8, 1};
    put_header(&v, 1);
    static const uint64_t ok[] = {0x10, 0x20};
    put_sample(&v, 1, 2, ok);
    put(&v, 1);
    put(&v, 3);
    put(&v, 0x10);
    put(&v, 0x20);
    put_end(&v);
    v.len -= 3 * 8; /* the end marker: 16 bytes left for 3 pcs */
    CHECK_EQ_INT(legacy_cpu_read(&p, v.buf, v.len), HEARTH_EFORMAT);
    CHECK_CONTAINS(hearth_error_last(), "sample 1 at offset 72: stack depth 3");
    free(v.buf);
}

TEST(test_legacy_cpu__missing_end_marker_is_an_error)
{
    words w = {NULL, 0, 0, 4, 0};
    put_header(&w, 1);
    static const uint64_t pcs[] = {0x10};
    put_sample(&w, 1, 1, pcs);
    profile *p = NULL;
    CHECK_EQ_INT(legacy_cpu_read(&p, w.buf, w.len), HEARTH_EFORMAT);
    CHECK_EQ_STR(hearth_error_last(),
                 "legacy cpu profile: sample 1 at offset 32: no end-of-data "
                 "marker (truncated file?)");
    free(w.buf);
}

TEST(test_legacy_cpu__map_lines_over_pprofs_scanner_limit_fail)
{
    for (size_t n = 65534; n <= 65536; n++) {
        words w = {NULL, 0, 0, 4, 0};
        put_small_profile(&w);
        char *line = malloc(n);
        memset(line, 'a', n);
        put_bytes(&w, line, n);
        put_bytes(&w, "\n", 1);
        free(line);
        profile *p = NULL;
        int rc = legacy_cpu_read(&p, w.buf, w.len);
        if (n < 65536) {
            CHECK_EQ_INT(rc, 0);
        } else {
            CHECK_EQ_INT(rc, HEARTH_EFORMAT);
            CHECK_CONTAINS(hearth_error_last(), "memory map line 1 at offset");
        }
        profile_destroy(p);
        free(w.buf);
    }
}

TEST(test_legacy_cpu__runaway_substitution_hits_a_limit)
{
    words w = {NULL, 0, 0, 4, 0};
    put_small_profile(&w);
    /* Each variable is its predecessor three times over. (Names are not
     * prefixes of each other: with "$v1" defined, "$v10" reads as "$v1"
     * followed by "0", as in Go's strings.Replacer.) */
    char line[64];
    put_bytes(&w, "a=abcdefgh\n", 11);
    for (char c = 'b'; c <= 'z'; c++) {
        int n = snprintf(line, sizeof line, "%c=$%c$%c$%c\n", c, c - 1,
                         c - 1, c - 1);
        put_bytes(&w, line, (size_t)n);
    }
    profile *p = NULL;
    CHECK_EQ_INT(legacy_cpu_read(&p, w.buf, w.len), HEARTH_ELIMIT);
    CHECK_CONTAINS(hearth_error_last(), "substitution");
    free(w.buf);
}

TEST(test_legacy_cpu__random_damage_never_crashes)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/pprof/pprof_go.crc32.cpu",
             test_fixtures_dir());
    size_t len;
    unsigned char *orig = test_read_file(path, &len);
    unsigned char *buf = malloc(len);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int ok = 0;
    for (int round = 0; round < 2000; round++) {
        memcpy(buf, orig, len);
        for (int k = 0; k < 1 + round % 4; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t at = 40 + (size_t)(x % (len - 40));
            buf[at] = (uint8_t)(x >> 32);
        }
        profile *p = NULL;
        if (legacy_cpu_read(&p, buf, len) == 0) {
            ok++;
            CHECK_EQ_INT(profile_validate(p), 0);
        }
        profile_destroy(p);
    }
    CHECK(ok > 0);
    free(buf);
    free(orig);
}
