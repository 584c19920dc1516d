/*
 * libFuzzer target for the pprof decoder (formats/pprof.c over pb.c, with
 * profile_validate): any bytes, gzip'd or raw, either fail with a negative
 * HEARTH_E* code and a one-line message that says where, or give a profile
 * that re-encodes (gzip'd and raw) to bytes that decode to an equal profile,
 * encodes deterministically, and can be written as folded stacks.
 * tests/fuzz/replay.c runs it over tests/fuzz/corpus/pprof in `make test`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../formats/error.h"
#include "../../formats/folded.h"
#include "../../formats/pprof.h"
#include "fuzz.h"

/* Small enough that a 64 KiB gzip bomb hits it quickly; large enough for
 * any real profile in the corpus. */
#define FUZZ_MAX_BYTES ((size_t)16 << 20)

/* At most this many sample types get a folded_write each. */
#define FUZZ_MAX_FOLDS 4

/* A failure: a known code, the same code recorded, and one line that names
 * a field path or an offset. */
static void check_failure(int rc)
{
    const char *msg = hearth_error_last();
    FUZZ_ASSERT(rc == HEARTH_EFORMAT || rc == HEARTH_ELIMIT ||
                rc == HEARTH_ENOMEM, "rc %d: %s", rc, msg);
    FUZZ_ASSERT(hearth_error_code() == rc, "code %d, rc %d", hearth_error_code(), rc);
    FUZZ_ASSERT(msg[0] != '\0', "empty message for rc %d", rc);
    FUZZ_ASSERT(!strchr(msg, '\n'), "message is not one line: %s", msg);
    if (rc == HEARTH_EFORMAT)
        FUZZ_ASSERT(strstr(msg, "offset") || strstr(msg, "profile"),
                    "message names no field or offset: %s", msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pprof_read_options opts = PPROF_READ_OPTIONS_INIT;
    opts.max_bytes = FUZZ_MAX_BYTES;
    profile *a = NULL, *b = NULL, *c = NULL;
    uint8_t *gz = NULL, *raw = NULL, *raw2 = NULL;
    size_t gz_len = 0, raw_len = 0, raw2_len = 0;
    char why[256];

    hearth_error_clear();
    int rc = pprof_read(&a, data, size, &opts);
    if (rc) {
        FUZZ_ASSERT(rc < 0, "rc %d", rc);
        check_failure(rc);
        return 0;
    }
    FUZZ_ASSERT(a != NULL, "success without a profile");

    /* gzip'd, as `hearth convert` writes it. */
    rc = pprof_write(&gz, &gz_len, a);
    FUZZ_ASSERT(rc == 0, "pprof_write: %s", hearth_error_last());
    rc = pprof_read(&b, gz, gz_len, NULL);
    FUZZ_ASSERT(rc == 0, "re-decode of gzip'd output: %s", hearth_error_last());
    FUZZ_ASSERT(profile_equal(a, b, why, sizeof why), "gzip roundtrip: %s", why);

    /* Raw, and deterministic: the copy encodes to the same bytes. */
    rc = pprof_encode(&raw, &raw_len, a);
    FUZZ_ASSERT(rc == 0, "pprof_encode: %s", hearth_error_last());
    rc = pprof_read(&c, raw, raw_len, NULL);
    FUZZ_ASSERT(rc == 0, "re-decode of raw output: %s", hearth_error_last());
    FUZZ_ASSERT(profile_equal(a, c, why, sizeof why), "raw roundtrip: %s", why);
    rc = pprof_encode(&raw2, &raw2_len, b);
    FUZZ_ASSERT(rc == 0, "pprof_encode: %s", hearth_error_last());
    FUZZ_ASSERT(raw_len == raw2_len && memcmp(raw, raw2, raw_len) == 0,
                "equal profiles encode to different bytes (%zu vs %zu)",
                raw_len, raw2_len);

    /* Every validated profile can be folded (names and lines are untrusted). */
    for (size_t i = 0; i < a->n_sample_types && i < FUZZ_MAX_FOLDS; i++) {
        char *text = NULL;
        size_t text_len = 0;
        rc = folded_write(&text, &text_len, a, (int)i);
        FUZZ_ASSERT(rc == 0, "folded_write(%zu): %s", i, hearth_error_last());
        FUZZ_ASSERT(text && strlen(text) == text_len, "folded_write(%zu): length", i);
        free(text);
    }
    profile_default_sample_index(a);

    profile_destroy(a);
    profile_destroy(b);
    profile_destroy(c);
    free(gz);
    free(raw);
    free(raw2);
    return 0;
}
