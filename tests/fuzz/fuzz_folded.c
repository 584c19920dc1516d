/*
 * libFuzzer target for the folded-stacks reader (formats/folded.c): any
 * bytes either fail with HEARTH_EFORMAT and one line naming a line that
 * exists ("line 12: ..."), or give a profile whose folded_write output reads
 * back with the same total and writes the same text again (the writer's
 * output is a fixed point), and which survives a pprof roundtrip.
 * tests/fuzz/replay.c runs it over tests/fuzz/corpus/folded in `make test`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../formats/error.h"
#include "../../formats/folded.h"
#include "../../formats/pprof.h"
#include "fuzz.h"

/* Sum of the only sample type; *overflow set when it does not fit. */
static int64_t total_of(const profile *p, int *overflow)
{
    int64_t t = 0;
    *overflow = 0;
    for (size_t i = 0; i < p->n_samples; i++)
        if (__builtin_add_overflow(t, p->samples[i].values[0], &t))
            *overflow = 1;
    return t;
}

static void check_failure(int rc, const uint8_t *data, size_t size)
{
    const char *msg = hearth_error_last();
    FUZZ_ASSERT(rc == HEARTH_EFORMAT || rc == HEARTH_ENOMEM ||
                rc == HEARTH_ELIMIT, "rc %d: %s", rc, msg);
    FUZZ_ASSERT(hearth_error_code() == rc, "code %d, rc %d", hearth_error_code(), rc);
    FUZZ_ASSERT(msg[0] != '\0', "empty message for rc %d", rc);
    FUZZ_ASSERT(!strchr(msg, '\n'), "message is not one line: %s", msg);
    if (rc != HEARTH_EFORMAT)
        return;
    unsigned long line = 0;
    FUZZ_ASSERT(sscanf(msg, "line %lu: ", &line) == 1 && line >= 1,
                "message names no line: %s", msg);
    size_t lines = 1;
    for (size_t i = 0; i + 1 < size; i++)
        lines += data[i] == '\n';
    FUZZ_ASSERT(line <= lines, "line %lu of %zu: %s", line, lines, msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    profile *p = NULL, *q = NULL, *r = NULL;
    char *text = NULL, *text2 = NULL;
    size_t text_len = 0, text2_len = 0;
    uint8_t *gz = NULL;
    size_t gz_len = 0;
    char why[256];
    int of1, of2;

    hearth_error_clear();
    int rc = folded_read(&p, (const char *)data, size);
    if (rc) {
        check_failure(rc, data, size);
        return 0;
    }
    FUZZ_ASSERT(p && p->n_sample_types == 1, "sample types");
    int64_t total = total_of(p, &of1);

    rc = folded_write(&text, &text_len, p, 0);
    FUZZ_ASSERT(rc == 0, "folded_write: %s", hearth_error_last());
    rc = folded_read(&q, text, text_len);
    FUZZ_ASSERT(rc == 0, "re-read of folded_write output: %s\n--- output:\n%s",
                hearth_error_last(), text);
    int64_t total2 = total_of(q, &of2);
    FUZZ_ASSERT(of1 || of2 || total == total2,
                "total %lld became %lld", (long long)total, (long long)total2);
    rc = folded_write(&text2, &text2_len, q, 0);
    FUZZ_ASSERT(rc == 0, "folded_write: %s", hearth_error_last());
    FUZZ_ASSERT(text_len == text2_len && memcmp(text, text2, text_len) == 0,
                "write(read(output)) differs from output:\n%s--- vs\n%s",
                text, text2);

    rc = pprof_write(&gz, &gz_len, p);
    FUZZ_ASSERT(rc == 0, "pprof_write: %s", hearth_error_last());
    rc = pprof_read(&r, gz, gz_len, NULL);
    FUZZ_ASSERT(rc == 0, "pprof re-decode: %s", hearth_error_last());
    FUZZ_ASSERT(profile_equal(p, r, why, sizeof why), "pprof roundtrip: %s", why);

    profile_destroy(p);
    profile_destroy(q);
    profile_destroy(r);
    free(text);
    free(text2);
    free(gz);
    return 0;
}
