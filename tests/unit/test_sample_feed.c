/*
 * render/sample_feed.c: a large profile's samples are decoded on a second
 * thread in batches. The feed must give exactly the nonzero samples, in
 * order, with their paths root first (leaf first for --reverse), for
 * decoded and deferred profiles alike; stop early without hanging; and
 * pass a bad deferred sample's error through with its message.
 */
#include "../../formats/error.h"
#include "../../formats/pprof.h"
#include "../../render/sample_feed.h"
#include "../test.h"

enum { LOCS = 500, SAMPLES = 50000 };

/* A raw profile of SAMPLES samples (every third with value 0 in type 1);
 * sample bad (if any) names a location that does not exist. */
static uint8_t *make_raw(size_t *len, size_t bad)
{
    profile *p;
    if (profile_create(&p))
        return NULL;
    profile_add_sample_type(p, "a", "count");
    profile_add_sample_type(p, "b", "count");
    for (int i = 0; i < LOCS; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%d", i);
        int64_t fn = profile_function_intern(p, name, name, "x.c", 1);
        profile_line line = {(uint64_t)fn, i, 0};
        profile_add_location(p, 0, 0x1000 + (uint64_t)i, &line, 1);
    }
    uint64_t r = 12345;
    for (size_t s = 0; s < SAMPLES; s++) {
        uint64_t ids[64];
        size_t n = 1 + s % 64;
        for (size_t j = 0; j < n; j++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            ids[j] = 1 + (r >> 33) % LOCS;
        }
        if (s == bad)
            ids[n - 1] = LOCS + 7;
        int64_t v[2] = {(int64_t)s + 1, s % 3 ? (int64_t)s : 0};
        profile_add_sample(p, ids, n, v, 2, NULL, 0);
    }
    uint8_t *out = NULL;
    if (pprof_encode(&out, len, p))
        out = NULL;
    profile_destroy(p);
    return out;
}

/* Feeds p and compares with the decoded reference ref. */
static void check_feed(const profile *p, const profile *ref, int si, bool reverse)
{
    sample_feed f;
    REQUIRE(!sample_feed_start(&f, p, si, reverse));
    size_t s = 0, got = 0, bad = 0;
    int64_t v;
    const uint32_t *path;
    size_t n;
    int rc;
    while ((rc = sample_feed_next(&f, &v, &path, &n)) > 0) {
        while (s < ref->n_samples && ref->samples[s].values[si] == 0)
            s++;
        if (s == ref->n_samples) {
            bad++;
            break;
        }
        const profile_sample *want = &ref->samples[s++];
        bool same = v == want->values[si] && n == want->n_locations;
        for (size_t i = 0; same && i < n; i++) {
            uint64_t id = want->location_ids[reverse ? i : n - 1 - i];
            same = path[i] == id - 1;
        }
        bad += !same;
        got++;
    }
    sample_feed_stop(&f);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(bad, 0);
    size_t want = 0;
    for (size_t i = 0; i < ref->n_samples; i++)
        want += ref->samples[i].values[si] != 0;
    CHECK_EQ_INT(got, want);
}

TEST(sample_feed_gives_every_nonzero_sample_in_order)
{
    size_t len;
    uint8_t *raw = make_raw(&len, SIZE_MAX);
    REQUIRE(raw);
    profile *full = NULL, *def = NULL;
    pprof_read_options o = PPROF_READ_OPTIONS_INIT;
    REQUIRE(!pprof_read(&full, raw, len, &o));
    o.defer_samples = true;
    REQUIRE(!pprof_read(&def, raw, len, &o));
    for (int si = 0; si < 2; si++) {
        check_feed(full, full, si, false);
        check_feed(def, full, si, false);
        check_feed(def, full, si, true);
    }
    /* Stopping after a few samples, with the producer batches ahead. */
    sample_feed f;
    REQUIRE(!sample_feed_start(&f, def, 0, false));
    int64_t v;
    const uint32_t *path;
    size_t n;
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT(sample_feed_next(&f, &v, &path, &n), 1);
    sample_feed_stop(&f);
    profile_destroy(full);
    profile_destroy(def);
    free(raw);
}

TEST(sample_feed_passes_a_deferred_error_through)
{
    size_t len;
    uint8_t *raw = make_raw(&len, 30000);
    REQUIRE(raw);
    profile *def = NULL;
    pprof_read_options o = PPROF_READ_OPTIONS_INIT;
    o.defer_samples = true;
    REQUIRE(!pprof_read(&def, raw, len, &o));
    sample_feed f;
    REQUIRE(!sample_feed_start(&f, def, 0, false));
    int64_t v;
    const uint32_t *path;
    size_t n, got = 0;
    int rc;
    while ((rc = sample_feed_next(&f, &v, &path, &n)) > 0)
        got++;
    CHECK_EQ_INT(rc, HEARTH_EFORMAT);
    CHECK_EQ_INT(got, 30000);
    CHECK_CONTAINS(hearth_error_last(), "profile.sample[30000].location_id[");
    CHECK_CONTAINS(hearth_error_last(), "location 507 does not exist");
    /* Asking again gives the same end. */
    CHECK_EQ_INT(sample_feed_next(&f, &v, &path, &n), HEARTH_EFORMAT);
    sample_feed_stop(&f);
    profile_destroy(def);
    free(raw);
}
