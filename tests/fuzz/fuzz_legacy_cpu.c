/*
 * libFuzzer target for the legacy gperftools CPU profile reader
 * (formats/legacy_cpu.c): any bytes either fail with a negative HEARTH_E*
 * code and one line that starts "legacy cpu profile: " and, for a file with
 * a header, names an offset within the input or a memory map line; or give
 * a profile that passes profile_validate, has exactly the sample types
 * samples/count and cpu/nanoseconds with cpu = samples x period (wrapping,
 * as Go's int64 does), locations whose mapping ids exist, and that survives
 * a pprof roundtrip and folded_write. legacy_cpu_detect agrees with what
 * the reader accepts. tests/fuzz/replay.c runs it over
 * tests/fuzz/corpus/legacy_cpu in `make test`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../formats/error.h"
#include "../../formats/folded.h"
#include "../../formats/legacy_cpu.h"
#include "../../formats/pprof.h"
#include "fuzz.h"

#define LC "legacy cpu profile: "

static void check_failure(int rc, int detected, size_t size)
{
    const char *msg = hearth_error_last();
    FUZZ_ASSERT(rc == HEARTH_EFORMAT || rc == HEARTH_ELIMIT || rc == HEARTH_ENOMEM,
                "rc %d: %s", rc, msg);
    FUZZ_ASSERT(hearth_error_code() == rc, "code %d, rc %d", hearth_error_code(), rc);
    FUZZ_ASSERT(msg[0] != '\0', "empty message for rc %d", rc);
    FUZZ_ASSERT(!strchr(msg, '\n'), "message is not one line: %s", msg);
    if (rc == HEARTH_ENOMEM)
        return;
    FUZZ_ASSERT(strncmp(msg, LC, strlen(LC)) == 0, "message does not say what: %s", msg);
    if (!detected) {
        FUZZ_ASSERT(rc == HEARTH_EFORMAT, "no header, rc %d: %s", rc, msg);
        return;
    }
    const char *at = strstr(msg, "offset ");
    if (at) {
        unsigned long long off = strtoull(at + strlen("offset "), NULL, 10);
        FUZZ_ASSERT(off <= size, "offset %llu of %zu: %s", off, size, msg);
    } else {
        FUZZ_ASSERT(strstr(msg, "memory map line "), "message names no offset or line: %s",
                    msg);
    }
}

static void check_profile(const profile *p)
{
    FUZZ_ASSERT(p->n_sample_types == 2, "%zu sample types", p->n_sample_types);
    FUZZ_ASSERT(strcmp(profile_str(p, p->sample_types[0].type), "samples") == 0 &&
                    strcmp(profile_str(p, p->sample_types[0].unit), "count") == 0 &&
                    strcmp(profile_str(p, p->sample_types[1].type), "cpu") == 0 &&
                    strcmp(profile_str(p, p->sample_types[1].unit), "nanoseconds") == 0,
                "sample types %s/%s %s/%s", profile_str(p, p->sample_types[0].type),
                profile_str(p, p->sample_types[0].unit), profile_str(p, p->sample_types[1].type),
                profile_str(p, p->sample_types[1].unit));
    FUZZ_ASSERT(strcmp(profile_str(p, p->period_type.type), "cpu") == 0 &&
                    strcmp(profile_str(p, p->period_type.unit), "nanoseconds") == 0,
                "period type");
    for (size_t i = 0; i < p->n_samples; i++) {
        const profile_sample *s = &p->samples[i];
        FUZZ_ASSERT(s->n_values == 2, "sample %zu: %u values", i, s->n_values);
        uint64_t cpu = (uint64_t)s->values[0] * (uint64_t)p->period;
        FUZZ_ASSERT((uint64_t)s->values[1] == cpu, "sample %zu: cpu %lld, count %lld x %lld",
                    i, (long long)s->values[1], (long long)s->values[0],
                    (long long)p->period);
        FUZZ_ASSERT(s->n_labels == 0, "sample %zu: labels", i);
    }
    for (size_t i = 0; i < p->n_locations; i++) {
        const profile_location *l = &p->locations[i];
        FUZZ_ASSERT(l->mapping_id <= p->n_mappings &&
                        (!l->mapping_id || profile_mapping_find(p, l->mapping_id)),
                    "location %zu: mapping %llu of %zu", i,
                    (unsigned long long)l->mapping_id, p->n_mappings);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    profile *p = NULL, *q = NULL;
    uint8_t *gz = NULL;
    size_t gz_len = 0;
    char why[256];

    int detected = legacy_cpu_detect(data, size);
    FUZZ_ASSERT(detected == 0 || detected == 1, "detect %d", detected);
    hearth_error_clear();
    int rc = legacy_cpu_read(&p, data, size);
    if (rc) {
        FUZZ_ASSERT(rc < 0, "rc %d", rc);
        check_failure(rc, detected, size);
        return 0;
    }
    FUZZ_ASSERT(p != NULL, "success without a profile");
    FUZZ_ASSERT(detected, "read a profile that legacy_cpu_detect rejects");
    rc = profile_validate(p);
    FUZZ_ASSERT(rc == 0, "profile_validate: %s", hearth_error_last());
    check_profile(p);

    rc = pprof_write(&gz, &gz_len, p);
    FUZZ_ASSERT(rc == 0, "pprof_write: %s", hearth_error_last());
    rc = pprof_read(&q, gz, gz_len, NULL);
    FUZZ_ASSERT(rc == 0, "pprof re-decode: %s", hearth_error_last());
    FUZZ_ASSERT(profile_equal(p, q, why, sizeof why), "pprof roundtrip: %s", why);

    for (int i = 0; i < 2; i++) {
        char *text = NULL;
        size_t text_len = 0;
        rc = folded_write(&text, &text_len, p, i);
        FUZZ_ASSERT(rc == 0, "folded_write(%d): %s", i, hearth_error_last());
        FUZZ_ASSERT(text && strlen(text) == text_len, "folded_write(%d): length", i);
        free(text);
    }

    profile_destroy(p);
    profile_destroy(q);
    free(gz);
    return 0;
}
