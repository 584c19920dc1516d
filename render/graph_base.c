/*
 * The difference of two profiles for the call graph, as `go tool pprof
 * -base` builds it: the base's samples join the profile with negated
 * values (profile.Scale(-1)), then profile.Merge combines samples with
 * equal keys (locations by mapping, offset in it, and lines; then the
 * stack and the labels) and drops those that sum to zero. The merge
 * matters even though node values are sums: a stack present in both
 * profiles leaves no edges and counts in the total by its difference.
 * Sorting, not hashing, does the grouping, so hostile inputs cannot make
 * it quadratic.
 */
#include "graph_base.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"
#include "../formats/strbuf.h"

static bool same_type(const profile *a, profile_value_type x, const profile *b,
                      profile_value_type y)
{
    return !strcmp(profile_str(a, x.type), profile_str(b, y.type)) &&
           !strcmp(profile_str(a, x.unit), profile_str(b, y.unit));
}

static int check_compatible(const profile *p, const profile *b)
{
    bool ok = p->n_sample_types == b->n_sample_types &&
              same_type(p, p->period_type, b, b->period_type);
    for (size_t i = 0; ok && i < p->n_sample_types; i++)
        ok = same_type(p, p->sample_types[i], b, b->sample_types[i]);
    if (ok)
        return 0;
    strbuf want, got;
    strbuf_init(&want);
    strbuf_init(&got);
    for (size_t i = 0; i < p->n_sample_types; i++)
        strbuf_printf(&want, "%s%s/%s", i ? " " : "", profile_str(p, p->sample_types[i].type),
                      profile_str(p, p->sample_types[i].unit));
    for (size_t i = 0; i < b->n_sample_types; i++)
        strbuf_printf(&got, "%s%s/%s", i ? " " : "", profile_str(b, b->sample_types[i].type),
                      profile_str(b, b->sample_types[i].unit));
    int rc = hearth_error_set(HEARTH_EFORMAT, "sample types differ from the input's: "
                              "%.200s (period %s/%s) vs %.200s (period %s/%s)",
                              got.buf ? got.buf : "", profile_str(b, b->period_type.type),
                              profile_str(b, b->period_type.unit), want.buf ? want.buf : "",
                              profile_str(p, p->period_type.type),
                              profile_str(p, p->period_type.unit));
    strbuf_fini(&want);
    strbuf_fini(&got);
    return rc;
}

static int64_t intern_from(profile *p, const profile *b, int64_t idx)
{
    if (idx <= 0)
        return 0;
    return profile_intern_n(p, profile_str(b, idx),
                            (uint64_t)idx < b->n_strings ? b->string_lens[idx] : 0);
}

/* The header fields as Merge combines them: the earlier time (unless the
 * input has none), durations added, the longer period, the comments of
 * both, the input's default sample type or else the base's. */
static int merge_header(profile *p, const profile *b)
{
    if (p->time_nanos == 0 || b->time_nanos < p->time_nanos)
        p->time_nanos = b->time_nanos;
    if (__builtin_add_overflow(p->duration_nanos, b->duration_nanos, &p->duration_nanos))
        p->duration_nanos = INT64_MAX;
    if (p->period == 0 || p->period < b->period)
        p->period = b->period;
    size_t n_own = p->n_comments;
    for (size_t i = 0; i < b->n_comments; i++) {
        const char *c = profile_str(b, b->comments[i]);
        bool seen = false;
        for (size_t j = 0; j < n_own && !seen; j++)
            seen = !strcmp(profile_str(p, p->comments[j]), c);
        if (!seen && profile_add_comment(p, c) < 0)
            return HEARTH_ENOMEM;
    }
    if (!*profile_str(p, p->default_sample_type) && b->default_sample_type) {
        int64_t t = intern_from(p, b, b->default_sample_type);
        if (t < 0)
            return HEARTH_ENOMEM;
        p->default_sample_type = t;
    }
    return 0;
}

static int merge_samples(profile *p);

int graph_base_subtract(profile *p, const profile *b)
{
    int rc = check_compatible(p, b);
    if (rc)
        return rc;
    rc = HEARTH_ENOMEM;
    uint64_t *map_ids = calloc(b->n_mappings + 1, sizeof *map_ids);
    uint64_t *fn_ids = calloc(b->n_functions + 1, sizeof *fn_ids);
    uint64_t *loc_ids = calloc(b->n_locations + 1, sizeof *loc_ids);
    uint64_t *stack = NULL;
    int64_t *values = calloc(b->n_sample_types + 1, sizeof *values);
    profile_line *lines = NULL;
    profile_label *labels = NULL;
    size_t cap_stack = 0, cap_lines = 0, cap_labels = 0;
    if (!map_ids || !fn_ids || !loc_ids || !values || merge_header(p, b))
        goto out;
    for (size_t i = 0; i < b->n_mappings; i++) {
        profile_mapping m = b->mappings[i];
        m.filename = intern_from(p, b, m.filename);
        m.build_id = intern_from(p, b, m.build_id);
        int64_t id = profile_add_mapping(p, &m);
        if (id < 0 || m.filename < 0 || m.build_id < 0)
            goto out;
        map_ids[i] = (uint64_t)id;
    }
    for (size_t i = 0; i < b->n_functions; i++) {
        const profile_function *f = &b->functions[i];
        int64_t id = profile_function_intern(p, profile_str(b, f->name),
                                             profile_str(b, f->system_name),
                                             profile_str(b, f->filename), f->start_line);
        if (id < 0)
            goto out;
        fn_ids[i] = (uint64_t)id;
    }
    for (size_t i = 0; i < b->n_locations; i++) {
        const profile_location *l = &b->locations[i];
        if (l->n_lines > cap_lines) {
            free(lines);
            cap_lines = l->n_lines;
            lines = malloc(cap_lines * sizeof *lines);
            if (!lines)
                goto out;
        }
        for (uint32_t j = 0; j < l->n_lines; j++) {
            const profile_function *f = profile_function_find(b, l->lines[j].function_id);
            lines[j] = l->lines[j];
            lines[j].function_id = f ? fn_ids[f - b->functions] : 0;
        }
        const profile_mapping *m = l->mapping_id ? profile_mapping_find(b, l->mapping_id) : NULL;
        int64_t id = profile_add_location(p, m ? map_ids[m - b->mappings] : 0, l->address,
                                          lines, l->n_lines);
        if (id < 0)
            goto out;
        p->locations[p->n_locations - 1].is_folded = l->is_folded;
        loc_ids[i] = (uint64_t)id;
    }
    for (size_t s = 0; s < b->n_samples; s++) {
        const profile_sample *sm = &b->samples[s];
        if (sm->n_locations > cap_stack) {
            free(stack);
            cap_stack = sm->n_locations;
            stack = malloc(cap_stack * sizeof *stack);
            if (!stack)
                goto out;
        }
        if (sm->n_labels > cap_labels) {
            free(labels);
            cap_labels = sm->n_labels;
            labels = malloc(cap_labels * sizeof *labels);
            if (!labels)
                goto out;
        }
        for (uint32_t j = 0; j < sm->n_locations; j++) {
            const profile_location *l = profile_location_find(b, sm->location_ids[j]);
            stack[j] = loc_ids[l - b->locations];
        }
        for (uint32_t j = 0; j < sm->n_labels; j++) {
            labels[j] = sm->labels[j];
            labels[j].key = intern_from(p, b, labels[j].key);
            labels[j].str = intern_from(p, b, labels[j].str);
            labels[j].num_unit = intern_from(p, b, labels[j].num_unit);
            if (labels[j].key < 0 || labels[j].str < 0 || labels[j].num_unit < 0)
                goto out;
        }
        for (size_t v = 0; v < b->n_sample_types; v++)
            values[v] = sm->values[v] == INT64_MIN ? INT64_MAX : -sm->values[v];
        if (profile_add_sample(p, stack, sm->n_locations, values, b->n_sample_types,
                               labels, sm->n_labels))
            goto out;
    }
    rc = profile_index(p);
    if (!rc)
        rc = merge_samples(p);
out:
    free(map_ids);
    free(fn_ids);
    free(loc_ids);
    free(stack);
    free(values);
    free(lines);
    free(labels);
    return rc == HEARTH_ENOMEM ? hearth_error_set(rc, "out of memory") : rc;
}

/* --- Merge --- */

/* Merge's locationKey, as text: mapping (rounded size, offset, build id
 * or file), address relative to the mapping, folded flag, lines. */
static void location_key(strbuf *k, const profile *p, const profile_location *l)
{
    const profile_mapping *m = l->mapping_id ? profile_mapping_find(p, l->mapping_id) : NULL;
    uint64_t addr = l->address;
    if (m) {
        uint64_t size = m->memory_limit - m->memory_start;
        size = size + 0xfff;
        size -= size % 0x1000;
        const char *id = profile_str(p, m->build_id);
        if (!*id)
            id = profile_str(p, m->filename);
        strbuf_printf(k, "M%" PRIx64 ",%" PRIx64 ",%zu:%s", size, m->file_offset,
                      strlen(id), id);
        addr -= m->memory_start;
    }
    strbuf_printf(k, "A%" PRIx64 "F%d", addr, l->is_folded);
    for (uint32_t i = 0; i < l->n_lines; i++) {
        const profile_function *f = profile_function_find(p, l->lines[i].function_id);
        if (f) {
            const char *s[3] = {profile_str(p, f->name), profile_str(p, f->system_name),
                                profile_str(p, f->filename)};
            strbuf_printf(k, "L%" PRId64, f->start_line);
            for (int j = 0; j < 3; j++)
                strbuf_printf(k, ",%zu:%s", strlen(s[j]), s[j]);
        }
        strbuf_printf(k, "@%" PRId64, l->lines[i].line);
    }
}

/* A sample's labels in a canonical order: string labels before numeric
 * ones, by key, the values of one key in their order. */
typedef struct ordered_label {
    profile_label l;
    uint32_t pos;
} ordered_label;

static int cmp_label(const void *a, const void *b, void *arg)
{
    const profile *p = arg;
    const ordered_label *x = a, *y = b;
    if ((x->l.str != 0) != (y->l.str != 0))
        return x->l.str ? -1 : 1;
    int c = strcmp(profile_str(p, x->l.key), profile_str(p, y->l.key));
    if (c)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Sets *out to the sample's labels as one string, or NULL when it has
 * none that pprof keeps. Returns 0 or HEARTH_ENOMEM. */
static int labels_key(char **out, const profile *p, const profile_sample *s)
{
    *out = NULL;
    if (!s->n_labels)
        return 0;
    ordered_label *l = malloc(s->n_labels * sizeof *l);
    if (!l)
        return HEARTH_ENOMEM;
    for (uint32_t i = 0; i < s->n_labels; i++)
        l[i] = (ordered_label){s->labels[i], i};
    qsort_r(l, s->n_labels, sizeof *l, cmp_label, (void *)p);
    strbuf k;
    strbuf_init(&k);
    for (uint32_t i = 0; i < s->n_labels; i++) {
        const char *key = profile_str(p, l[i].l.key);
        if (l[i].l.str) {
            const char *v = profile_str(p, l[i].l.str);
            strbuf_printf(&k, "S%zu:%s%zu:%s", strlen(key), key, strlen(v), v);
        } else if (l[i].l.num || l[i].l.num_unit) {
            const char *u = profile_str(p, l[i].l.num_unit);
            strbuf_printf(&k, "N%zu:%s%" PRId64 ",%zu:%s", strlen(key), key, l[i].l.num,
                          strlen(u), u);
        }
    }
    free(l);
    if (k.oom) {
        strbuf_fini(&k);
        return HEARTH_ENOMEM;
    }
    if (k.len)
        *out = strbuf_take(&k, NULL);
    strbuf_fini(&k);
    return 0;
}

typedef struct sample_ref {
    const uint32_t *locs;
    uint32_t n;
    uint32_t idx;       /* position in the profile */
    const char *labels;
} sample_ref;

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

static int cmp_key(const sample_ref *x, const sample_ref *y)
{
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    for (uint32_t i = 0; i < x->n; i++)
        if (x->locs[i] != y->locs[i])
            return x->locs[i] < y->locs[i] ? -1 : 1;
    if (!x->labels || !y->labels)
        return (x->labels != NULL) - (y->labels != NULL);
    return strcmp(x->labels, y->labels);
}

/* By key, then by position: the first of a group is its earliest. */
static int cmp_sample(const void *a, const void *b)
{
    const sample_ref *x = a, *y = b;
    int c = cmp_key(x, y);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static int64_t sat_abs(int64_t v)
{
    return v == INT64_MIN ? INT64_MAX : (v < 0 ? -v : v);
}

/*
 * profile.Merge on p's samples: samples with equal keys become one, the
 * earliest, holding their sums; samples whose values are all zero go.
 * The survivors keep their order.
 */
static int merge_samples(profile *p)
{
    int rc = HEARTH_ENOMEM;
    size_t n_samples = p->n_samples, n_frames = 0;
    for (size_t s = 0; s < p->n_samples; s++)
        n_frames += p->samples[s].n_locations;
    char **keys = calloc(p->n_locations + 1, sizeof *keys);
    char ***order = malloc((p->n_locations + 1) * sizeof *order);
    uint32_t *loc_group = malloc((p->n_locations + 1) * sizeof *loc_group);
    uint32_t *frames = malloc((n_frames + 1) * sizeof *frames);
    sample_ref *refs = calloc(p->n_samples + 1, sizeof *refs);
    bool *gone = calloc(p->n_samples + 1, sizeof *gone);
    strbuf k;
    strbuf_init(&k);
    if (!keys || !order || !loc_group || !frames || !refs || !gone)
        goto out;
    /* Locations with equal keys form one group. */
    for (size_t i = 0; i < p->n_locations; i++) {
        k.len = 0;
        location_key(&k, p, &p->locations[i]);
        strbuf_putc(&k, '\0');
        if (k.oom || !(keys[i] = strdup(k.buf)))
            goto out;
        order[i] = &keys[i];
    }
    qsort(order, p->n_locations, sizeof *order, cmp_strp);
    uint32_t group = 0;
    for (size_t i = 0; i < p->n_locations; i++) {
        if (i && strcmp(*order[i], *order[i - 1]))
            group++;
        loc_group[order[i] - keys] = group;
    }
    size_t f = 0;
    for (size_t s = 0; s < p->n_samples; s++) {
        const profile_sample *sm = &p->samples[s];
        refs[s].locs = frames + f;
        refs[s].n = sm->n_locations;
        refs[s].idx = (uint32_t)s;
        for (uint32_t j = 0; j < sm->n_locations; j++) {
            const profile_location *l = profile_location_find(p, sm->location_ids[j]);
            frames[f++] = loc_group[l - p->locations];
        }
        char *lk;
        if (labels_key(&lk, p, sm))
            goto out;
        refs[s].labels = lk;
    }
    qsort(refs, p->n_samples, sizeof *refs, cmp_sample);
    for (size_t s = 0; s < p->n_samples;) {
        profile_sample *first = &p->samples[refs[s].idx];
        size_t e = s + 1;
        for (; e < p->n_samples && !cmp_key(&refs[s], &refs[e]); e++) {
            const profile_sample *o = &p->samples[refs[e].idx];
            for (uint32_t v = 0; v < first->n_values; v++)
                first->values[v] = sat_add(first->values[v], o->values[v]);
            gone[refs[e].idx] = true;
        }
        bool zero = true;
        for (uint32_t v = 0; v < first->n_values && zero; v++)
            zero = first->values[v] == 0;
        gone[refs[s].idx] |= zero;
        s = e;
    }
    size_t kept = 0;
    for (size_t s = 0; s < p->n_samples; s++)
        if (!gone[s])
            p->samples[kept++] = p->samples[s];
    p->n_samples = kept;
    rc = 0;
out:
    if (keys)
        for (size_t i = 0; i < p->n_locations; i++)
            free(keys[i]);
    if (refs)
        for (size_t s = 0; s < n_samples; s++)
            free((char *)refs[s].labels);
    free(keys);
    free(order);
    free(loc_group);
    free(frames);
    free(refs);
    free(gone);
    strbuf_fini(&k);
    return rc;
}

int64_t graph_base_total(const profile *p, int si)
{
    int64_t total = 0;
    for (size_t s = 0; s < p->n_samples; s++)
        total = sat_add(total, sat_abs(p->samples[s].values[si]));
    return total;
}
