/*
 * Deferred samples (pprof_read_options.defer_samples): the flame graph's
 * path walks samples straight from the protobuf. Walking them must give
 * exactly the samples a full decode gives, undeferring must give an equal
 * profile, and a bad sample must fail with the message validation gives.
 */
#include <dirent.h>

#include "../../formats/error.h"
#include "../../formats/pprof.h"
#include "../../render/prune.h"
#include "../test.h"

/* memcmp of n elements; empty arrays may be NULL. */
static bool same_bytes(const void *a, const void *b, size_t n)
{
    return n == 0 || !memcmp(a, b, n);
}

static bool same_sample(const profile_sample *a, const profile_sample *b)
{
    return a->n_locations == b->n_locations && a->n_values == b->n_values &&
           a->n_labels == b->n_labels &&
           same_bytes(a->location_ids, b->location_ids, a->n_locations * sizeof *a->location_ids) &&
           same_bytes(a->values, b->values, a->n_values * sizeof *a->values) &&
           same_bytes(a->labels, b->labels, a->n_labels * sizeof *a->labels);
}

/* Reads buf both ways and compares; returns the number of samples. */
static size_t check_both_ways(const uint8_t *buf, size_t len, const char *name)
{
    profile *full = NULL, *def = NULL;
    pprof_read_options o = PPROF_READ_OPTIONS_INIT;
    if (pprof_read(&full, buf, len, &o)) {
        test_fail(__FILE__, __LINE__, "%s: %s", name, hearth_error_last());
        return 0;
    }
    o.defer_samples = true;
    if (pprof_read(&def, buf, len, &o)) {
        test_fail(__FILE__, __LINE__, "%s deferred: %s", name, hearth_error_last());
        profile_destroy(full);
        return 0;
    }
    /* Legacy CPU profiles are not protobuf: nothing to defer. */
    if (full->n_samples && def->n_samples == 0)
        CHECK_EQ_INT(def->n_deferred, full->n_samples);
    pprof_samples it;
    size_t n = 0;
    const profile_sample *s;
    int rc;
    if (pprof_samples_begin(&it, def)) {
        test_fail(__FILE__, __LINE__, "%s: out of memory", name);
        return 0;
    }
    while ((rc = pprof_samples_next(&it, &s)) > 0) {
        if (n >= full->n_samples || !same_sample(s, &full->samples[n]))
            test_fail(__FILE__, __LINE__, "%s: sample %zu differs", name, n);
        n++;
    }
    pprof_samples_end(&it);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(n, full->n_samples);
    char why[256];
    CHECK_EQ_INT(pprof_undefer_samples(def), 0);
    CHECK_EQ_INT(def->n_deferred, 0);
    if (!profile_equal(full, def, why, sizeof why))
        test_fail(__FILE__, __LINE__, "%s: undeferred differs: %s", name, why);
    profile_destroy(full);
    profile_destroy(def);
    return n;
}

TEST(deferred_samples_equal_decoded_ones_for_every_fixture)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/pprof", test_fixtures_dir());
    DIR *d = opendir(dir);
    REQUIRE(d);
    struct dirent *e;
    size_t files = 0, samples = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len;
        unsigned char *buf = test_read_file(path, &len);
        profile *probe = NULL;
        /* Only the fixtures that decode at all (some are malformed on
         * purpose, for the error tests). */
        if (pprof_read(&probe, buf, len, NULL) == 0) {
            samples += check_both_ways(buf, len, e->d_name);
            files++;
        }
        profile_destroy(probe);
        free(buf);
    }
    closedir(d);
    CHECK(files >= 10);
    CHECK(samples > 1000);
}

/* A raw profile with one sample type, one location (id 1), and samples
 * whose location ids and value counts are given. */
static uint8_t *tiny(size_t *len, uint64_t bad_loc, int n_values)
{
    profile *p;
    if (profile_create(&p))
        return NULL;
    profile_add_sample_type(p, "samples", "count");
    int64_t fn = profile_function_intern(p, "main", "main", "m.c", 1);
    profile_line line = {(uint64_t)fn, 3, 0};
    profile_add_location(p, 0, 0x1000, &line, 1);
    uint64_t ok = 1;
    int64_t v[2] = {5, 6};
    profile_add_sample(p, &ok, 1, v, 1, NULL, 0);
    /* The second sample, written raw so it can break the rules. */
    profile_sample *s = profile_push_sample(p);
    uint64_t *ids = profile_alloc(p, 2 * sizeof *ids);
    int64_t *vals = profile_alloc(p, 2 * sizeof *vals);
    ids[0] = 1;
    ids[1] = bad_loc;
    vals[0] = 7;
    vals[1] = 8;
    s->location_ids = ids;
    s->n_locations = 2;
    s->values = vals;
    s->n_values = (uint32_t)n_values;
    uint8_t *out = NULL;
    if (pprof_encode(&out, len, p))
        out = NULL;
    profile_destroy(p);
    return out;
}

static void check_bad(uint64_t bad_loc, int n_values, const char *want)
{
    size_t len;
    uint8_t *raw = tiny(&len, bad_loc, n_values);
    REQUIRE(raw);
    profile *p = NULL;
    CHECK_EQ_INT(pprof_read(&p, raw, len, NULL), HEARTH_EFORMAT);
    CHECK_CONTAINS(hearth_error_last(), want);
    pprof_read_options o = PPROF_READ_OPTIONS_INIT;
    o.defer_samples = true;
    REQUIRE(pprof_read(&p, raw, len, &o) == 0);
    pprof_samples it;
    const profile_sample *s;
    REQUIRE(!pprof_samples_begin(&it, p));
    CHECK_EQ_INT(pprof_samples_next(&it, &s), 1);
    CHECK_EQ_INT(s->values[0], 5);
    CHECK_EQ_INT(pprof_samples_next(&it, &s), HEARTH_EFORMAT);
    CHECK_CONTAINS(hearth_error_last(), want);
    pprof_samples_end(&it);
    CHECK_EQ_INT(pprof_undefer_samples(p), HEARTH_EFORMAT);
    CHECK_CONTAINS(hearth_error_last(), want);
    profile_destroy(p);
    free(raw);
}

TEST(deferred_samples_fail_like_validation)
{
    check_bad(9, 1, "profile.sample[1].location_id[1]: location 9 does not exist");
    check_bad(1, 2, "profile.sample[1].value: has 2 values, sample_type has 1");
}

/* drop_frames cuts samples, so pruning a deferred profile decodes them
 * first; the result equals pruning a fully decoded one. */
TEST(deferred_samples_are_pruned_like_decoded_ones)
{
    profile *p;
    REQUIRE(!profile_create(&p));
    profile_add_sample_type(p, "samples", "count");
    const char *names[] = {"main", "run", "drop_me", "leaf"};
    for (int i = 0; i < 4; i++) {
        int64_t fn = profile_function_intern(p, names[i], names[i], "m.c", 1);
        profile_line line = {(uint64_t)fn, 3, 0};
        profile_add_location(p, 0, 0x1000 + (uint64_t)i, &line, 1);
    }
    p->drop_frames = profile_intern(p, "drop_.*");
    uint64_t a[] = {4, 3, 2, 1}, b[] = {2, 1};
    int64_t v = 3;
    profile_add_sample(p, a, 4, &v, 1, NULL, 0);
    profile_add_sample(p, b, 2, &v, 1, NULL, 0);
    uint8_t *raw = NULL;
    size_t len;
    REQUIRE(!pprof_encode(&raw, &len, p));
    profile_destroy(p);
    profile *full = NULL, *def = NULL;
    pprof_read_options o = PPROF_READ_OPTIONS_INIT;
    REQUIRE(!pprof_read(&full, raw, len, &o));
    o.defer_samples = true;
    REQUIRE(!pprof_read(&def, raw, len, &o));
    CHECK_EQ_INT(def->n_deferred, 2);
    CHECK_EQ_INT(prune_uninteresting(full), 0);
    CHECK_EQ_INT(prune_uninteresting(def), 0);
    CHECK_EQ_INT(def->n_deferred, 0);
    CHECK_EQ_INT(full->samples[0].n_locations, 2); /* leaf, drop_me gone */
    char why[256];
    if (!profile_equal(full, def, why, sizeof why))
        test_fail(__FILE__, __LINE__, "pruned profiles differ: %s", why);
    profile_destroy(full);
    profile_destroy(def);
    free(raw);
}
