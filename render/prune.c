/*
 * drop_frames / keep_frames (pprof's Profile.Prune). For each location, the
 * outermost line matching drop (and not keep) marks it: the location loses
 * the lines inside that one, or is dropped whole if the match is its
 * outermost line. Each sample, scanned from the root, is cut at the first
 * marked location after its first unmarked one, so a stack never empties.
 */
#include "prune.h"

#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"
#include "../formats/pprof.h"

static int compile(regex_t *re, const profile *p, int64_t idx, const char *what)
{
    const char *pat = profile_str(p, idx);
    size_t n = strlen(pat);
    char *full = malloc(n + 5);
    if (!full)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    memcpy(full, "^(", 2);
    memcpy(full + 2, pat, n);
    memcpy(full + 2 + n, ")$", 3);
    int rc = regcomp(re, full, REG_EXTENDED | REG_NOSUB);
    free(full);
    if (rc)
        return hearth_error_set(HEARTH_EFORMAT,
                                "profile.%s: cannot compile pattern \"%.80s\"",
                                what, pat);
    return 0;
}

int prune_uninteresting(profile *p)
{
    if (!p->drop_frames || !*profile_str(p, p->drop_frames))
        return 0;
    /* Samples are cut here: they must be decoded. */
    int rc = pprof_undefer_samples(p);
    if (rc)
        return rc;
    regex_t drop, keep;
    bool have_keep = false;
    rc = compile(&drop, p, p->drop_frames, "drop_frames");
    if (rc)
        return rc;
    if (p->keep_frames && *profile_str(p, p->keep_frames)) {
        rc = compile(&keep, p, p->keep_frames, "keep_frames");
        if (rc) {
            regfree(&drop);
            return rc;
        }
        have_keep = true;
    }
    /* 1 = prune the whole location, 2 = prune beneath it. */
    unsigned char *mark = calloc(p->n_locations + 1, 1);
    if (!mark) {
        rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < p->n_locations; i++) {
        profile_location *loc = &p->locations[i];
        long j;
        for (j = (long)loc->n_lines - 1; j >= 0; j--) {
            const profile_function *fn = profile_function_find(p, loc->lines[j].function_id);
            const char *name = fn ? profile_str(p, fn->name) : "";
            if (!*name)
                continue;
            /* pprof strips the leading '.' of PPC ELF v1 ABI names. */
            if (name[0] == '.')
                name++;
            if (regexec(&drop, name, 0, NULL, 0) == 0 &&
                (!have_keep || regexec(&keep, name, 0, NULL, 0) != 0))
                break;
        }
        if (j >= 0) {
            if (j == (long)loc->n_lines - 1) {
                mark[i] = 1;
            } else {
                mark[i] = 2;
                loc->lines += j + 1;
                loc->n_lines -= (uint32_t)(j + 1);
            }
        }
    }
    for (size_t s = 0; s < p->n_samples; s++) {
        profile_sample *sm = &p->samples[s];
        bool found_user = false;
        for (size_t i = sm->n_locations; i-- > 0;) {
            const profile_location *loc = profile_location_find(p, sm->location_ids[i]);
            unsigned char m = loc ? mark[loc - p->locations] : 0;
            if (!m) {
                found_user = true;
                continue;
            }
            if (!found_user)
                continue;
            size_t cut = m == 1 ? i + 1 : i;
            sm->location_ids += cut;
            sm->n_locations -= (uint32_t)cut;
            break;
        }
    }
    rc = 0;
out:
    free(mark);
    regfree(&drop);
    if (have_keep)
        regfree(&keep);
    return rc;
}
