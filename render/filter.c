/*
 * Filters as pprof applies them (profile/filter.go): a location matches when
 * one of its lines' function name or file name, or its binary, matches. A
 * sample is kept when some location is focused and none is ignored; hidden
 * lines leave their locations, and locations left empty leave the stacks.
 * Everything works on the profile in place, so the flame graph and the call
 * graph see the same filtered profile. Cost: one regexec per location per
 * pattern, then one pass over the samples.
 */
#include "filter.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"

typedef struct rx {
    regex_t re;
    bool set;
} rx;

static int rx_compile(rx *r, const char *pat, const char *opt)
{
    r->set = false;
    if (!pat)
        return 0;
    if (regcomp(&r->re, pat, REG_EXTENDED | REG_NOSUB))
        return hearth_error_set(HEARTH_EFORMAT,
                                "--%s: \"%.80s\" is not a valid regular expression",
                                opt, pat);
    r->set = true;
    return 0;
}

static void rx_free(rx *r)
{
    if (r->set)
        regfree(&r->re);
    r->set = false;
}

static bool rx_match(const rx *r, const char *s)
{
    return *s && regexec(&r->re, s, 0, NULL, 0) == 0;
}

static bool line_matches(const profile *p, const profile_line *ln, const rx *r)
{
    const profile_function *fn = profile_function_find(p, ln->function_id);
    return fn && (rx_match(r, profile_str(p, fn->name)) ||
                  rx_match(r, profile_str(p, fn->filename)));
}

static bool mapping_matches(const profile *p, const profile_location *loc, const rx *r)
{
    const profile_mapping *m = loc->mapping_id ? profile_mapping_find(p, loc->mapping_id) : NULL;
    return m && rx_match(r, profile_str(p, m->filename));
}

static bool location_matches(const profile *p, const profile_location *loc, const rx *r)
{
    for (uint32_t i = 0; i < loc->n_lines; i++)
        if (line_matches(p, &loc->lines[i], r))
            return true;
    return mapping_matches(p, loc, r);
}

/* Keeps the lines that match (keep == true) or do not match r, in order. */
static int filter_lines(profile *p, profile_location *loc, const rx *r, bool keep)
{
    profile_line *out = profile_alloc(p, loc->n_lines * sizeof *out);
    if (!out)
        return HEARTH_ENOMEM;
    uint32_t n = 0;
    for (uint32_t i = 0; i < loc->n_lines; i++)
        if (line_matches(p, &loc->lines[i], r) == keep)
            out[n++] = loc->lines[i];
    loc->lines = out;
    loc->n_lines = n;
    return 0;
}

int filter_check(const filter_options *o)
{
    rx r;
    const char *pats[] = {o->focus, o->ignore, o->hide, o->show_from};
    const char *names[] = {"focus", "ignore", "hide", "show-from"};
    for (int i = 0; i < 4; i++) {
        int rc = rx_compile(&r, pats[i], names[i]);
        if (rc)
            return rc;
        rx_free(&r);
    }
    if (o->tag && !strchr(o->tag, '='))
        return hearth_error_set(HEARTH_EFORMAT, "--tag: \"%.80s\" is not KEY=VALUE", o->tag);
    return 0;
}

/* Per location: 1 = focused, 2 = ignored; bit 4 = hidden (no lines left);
 * bit 8 = matched show-from. */
enum { LOC_FOCUS = 1, LOC_IGNORE = 2, LOC_HIDDEN = 4, LOC_SHOW_FROM = 8 };

static bool has_tag(const profile *p, const profile_sample *s, const char *key,
                    size_t key_len, const char *value)
{
    for (uint32_t i = 0; i < s->n_labels; i++) {
        const char *k = profile_str(p, s->labels[i].key);
        if (strlen(k) == key_len && !memcmp(k, key, key_len) &&
            s->labels[i].str && !strcmp(profile_str(p, s->labels[i].str), value))
            return true;
    }
    return false;
}

int filter_apply(profile *p, const filter_options *o)
{
    rx focus, ignore, hide, show_from;
    int rc;
    memset(&focus, 0, sizeof focus);
    memset(&ignore, 0, sizeof ignore);
    memset(&hide, 0, sizeof hide);
    memset(&show_from, 0, sizeof show_from);
    unsigned char *mark = NULL;
    if ((rc = rx_compile(&focus, o->focus, "focus")) ||
        (rc = rx_compile(&ignore, o->ignore, "ignore")) ||
        (rc = rx_compile(&hide, o->hide, "hide")) ||
        (rc = rx_compile(&show_from, o->show_from, "show-from")))
        goto out;
    const char *tag_value = NULL;
    size_t tag_key_len = 0;
    if (o->tag) {
        tag_value = strchr(o->tag, '=');
        if (!tag_value) {
            rc = hearth_error_set(HEARTH_EFORMAT, "--tag: \"%.80s\" is not KEY=VALUE", o->tag);
            goto out;
        }
        tag_key_len = (size_t)(tag_value - o->tag);
        tag_value++;
    }
    if (!focus.set && !ignore.set && !hide.set && !show_from.set && !o->tag) {
        rc = 0;
        goto out;
    }
    mark = calloc(p->n_locations + 1, 1);
    if (!mark) {
        rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
        goto out;
    }
    bool any_hidden = false;
    for (size_t i = 0; i < p->n_locations; i++) {
        profile_location *loc = &p->locations[i];
        if (ignore.set && location_matches(p, loc, &ignore))
            mark[i] = LOC_IGNORE;
        else if (!focus.set || location_matches(p, loc, &focus))
            mark[i] = LOC_FOCUS;
        if (hide.set && location_matches(p, loc, &hide)) {
            if (filter_lines(p, loc, &hide, false)) {
                rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
                goto out;
            }
            if (loc->n_lines == 0) {
                mark[i] |= LOC_HIDDEN;
                any_hidden = true;
            }
        }
        if (show_from.set) {
            /* pprof: the binary matching keeps the location whole; else
             * keep the lines up to the outermost matching one. */
            if (mapping_matches(p, loc, &show_from)) {
                mark[i] |= LOC_SHOW_FROM;
            } else {
                for (uint32_t j = loc->n_lines; j-- > 0;)
                    if (line_matches(p, &loc->lines[j], &show_from)) {
                        loc->n_lines = j + 1;
                        mark[i] |= LOC_SHOW_FROM;
                        break;
                    }
            }
        }
    }
    size_t kept = 0;
    for (size_t s = 0; s < p->n_samples; s++) {
        profile_sample *sm = &p->samples[s];
        if (o->tag && !has_tag(p, sm, o->tag, tag_key_len, tag_value))
            continue;
        bool focused = false, ignored = false;
        for (uint32_t j = 0; j < sm->n_locations && !ignored; j++) {
            const profile_location *loc = profile_location_find(p, sm->location_ids[j]);
            unsigned char m = loc ? mark[loc - p->locations] : 0;
            focused |= (m & 3) == LOC_FOCUS;
            ignored |= (m & 3) == LOC_IGNORE;
        }
        if (!focused || ignored)
            continue;
        if (any_hidden) {
            uint64_t *ids = profile_alloc(p, sm->n_locations * sizeof *ids);
            if (!ids) {
                rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
                goto out;
            }
            uint32_t n = 0;
            for (uint32_t j = 0; j < sm->n_locations; j++) {
                const profile_location *loc = profile_location_find(p, sm->location_ids[j]);
                if (!loc || !(mark[loc - p->locations] & LOC_HIDDEN))
                    ids[n++] = sm->location_ids[j];
            }
            if (n == 0)
                continue;
            sm->location_ids = ids;
            sm->n_locations = n;
        }
        if (show_from.set) {
            /* Keep the stack from the leaf up to its rootmost match. */
            long cut = -1;
            for (long j = (long)sm->n_locations - 1; j >= 0; j--) {
                const profile_location *loc = profile_location_find(p, sm->location_ids[j]);
                if (loc && (mark[loc - p->locations] & LOC_SHOW_FROM)) {
                    cut = j;
                    break;
                }
            }
            if (cut < 0)
                continue;
            sm->n_locations = (uint32_t)cut + 1;
        }
        p->samples[kept++] = *sm;
    }
    p->n_samples = kept;
    rc = 0;
out:
    free(mark);
    rx_free(&focus);
    rx_free(&ignore);
    rx_free(&hide);
    rx_free(&show_from);
    return rc;
}
