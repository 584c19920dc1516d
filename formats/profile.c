/*
 * The pprof Profile model: growable arrays of plain structs, one arena for
 * everything hanging off them, an intern table built only when a builder
 * first asks (decoders append the file's string table verbatim), and id maps
 * with a fast path for the dense ids (1..N) that nearly every writer emits.
 */
#include "profile.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    if (nc > SIZE_MAX / elem)
        return HEARTH_ENOMEM;
    void *a = realloc(*arr, nc * elem);
    if (!a)
        return HEARTH_ENOMEM;
    memset((char *)a + *cap * elem, 0, (nc - *cap) * elem);
    *arr = a;
    *cap = nc;
    return 0;
}

#define PUSH(p, arr, n, cap)                                                   \
    (grow((void **)&(p)->arr, &(p)->cap, (p)->n, sizeof *(p)->arr)             \
         ? NULL                                                                \
         : &(p)->arr[(p)->n++])

int profile_create(profile **out)
{
    profile *p = calloc(1, sizeof *p);
    if (!p)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    arena_init(&p->arena);
    if (profile_string_append(p, "", 0) < 0) {
        profile_destroy(p);
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    *out = p;
    return 0;
}

static void id_map_free(profile_id_map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

void profile_destroy(profile *p)
{
    if (!p)
        return;
    free(p->sample_types);
    free(p->samples);
    free(p->deferred);
    free(p->mappings);
    free(p->locations);
    free(p->functions);
    free(p->strings);
    free(p->string_lens);
    free(p->comments);
    free(p->intern);
    free(p->fn_intern);
    id_map_free(&p->mapping_map);
    id_map_free(&p->location_map);
    id_map_free(&p->function_map);
    arena_fini(&p->arena);
    free(p);
}

void *profile_alloc(profile *p, size_t bytes)
{
    return arena_alloc(&p->arena, bytes);
}

/* --- strings --- */

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static void intern_insert(profile *p, uint32_t idx)
{
    size_t mask = p->intern_cap - 1;
    size_t h = hash_bytes(p->strings[idx], p->string_lens[idx]) & mask;
    while (p->intern[h]) {
        uint32_t o = p->intern[h] - 1;
        /* Keep the first index of duplicate strings: lookups find it. */
        if (p->string_lens[o] == p->string_lens[idx] &&
            memcmp(p->strings[o], p->strings[idx], p->string_lens[idx]) == 0)
            return;
        h = (h + 1) & mask;
    }
    p->intern[h] = idx + 1;
}

static int intern_rebuild(profile *p, size_t cap)
{
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t)
        return HEARTH_ENOMEM;
    free(p->intern);
    p->intern = t;
    p->intern_cap = cap;
    for (size_t i = 0; i < p->n_strings; i++)
        intern_insert(p, (uint32_t)i);
    return 0;
}

int64_t profile_string_append(profile *p, const char *s, size_t len)
{
    if (len > UINT32_MAX || p->n_strings >= UINT32_MAX - 1)
        return hearth_error_set(HEARTH_ELIMIT, "string table too large");
    if (grow((void **)&p->strings, &p->cap_strings, p->n_strings,
             sizeof *p->strings))
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    size_t lens_cap = p->cap_strings;
    uint32_t *lens = realloc(p->string_lens, lens_cap * sizeof *lens);
    if (!lens)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    p->string_lens = lens;
    char *copy = arena_strndup(&p->arena, s, len);
    if (!copy)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    size_t idx = p->n_strings++;
    p->strings[idx] = copy;
    p->string_lens[idx] = (uint32_t)len;
    if (p->intern) {
        if (p->n_strings * 2 > p->intern_cap) {
            if (intern_rebuild(p, p->intern_cap * 2))
                return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        } else {
            intern_insert(p, (uint32_t)idx);
        }
    }
    return (int64_t)idx;
}

int64_t profile_intern_n(profile *p, const char *s, size_t len)
{
    if (!p->intern) {
        size_t cap = 64;
        while (cap < p->n_strings * 2 + 2)
            cap *= 2;
        if (intern_rebuild(p, cap))
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    size_t mask = p->intern_cap - 1;
    size_t h = hash_bytes(s, len) & mask;
    while (p->intern[h]) {
        uint32_t o = p->intern[h] - 1;
        if (p->string_lens[o] == len && memcmp(p->strings[o], s, len) == 0)
            return o;
        h = (h + 1) & mask;
    }
    return profile_string_append(p, s, len);
}

int64_t profile_intern(profile *p, const char *s)
{
    return profile_intern_n(p, s ? s : "", s ? strlen(s) : 0);
}

/* --- raw appends --- */

profile_sample *profile_push_sample(profile *p)
{
    return PUSH(p, samples, n_samples, cap_samples);
}

profile_mapping *profile_push_mapping(profile *p)
{
    return PUSH(p, mappings, n_mappings, cap_mappings);
}

profile_location *profile_push_location(profile *p)
{
    return PUSH(p, locations, n_locations, cap_locations);
}

profile_function *profile_push_function(profile *p)
{
    return PUSH(p, functions, n_functions, cap_functions);
}

profile_value_type *profile_push_sample_type(profile *p)
{
    return PUSH(p, sample_types, n_sample_types, cap_sample_types);
}

int profile_push_comment(profile *p, int64_t string_index)
{
    int64_t *c = PUSH(p, comments, n_comments, cap_comments);
    if (!c)
        return HEARTH_ENOMEM;
    *c = string_index;
    return 0;
}

/* --- builder --- */

int profile_add_sample_type(profile *p, const char *type, const char *unit)
{
    int64_t t = profile_intern(p, type), u = profile_intern(p, unit);
    if (t < 0 || u < 0)
        return HEARTH_ENOMEM;
    profile_value_type *vt = profile_push_sample_type(p);
    if (!vt)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    vt->type = t;
    vt->unit = u;
    return (int)(p->n_sample_types - 1);
}

int profile_add_comment(profile *p, const char *comment)
{
    int64_t c = profile_intern(p, comment);
    if (c < 0)
        return (int)c;
    if (profile_push_comment(p, c))
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    return 0;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

/* --- id maps --- */

/* Sorted (id, position) pairs searched by bisection: O(n log n) to build
 * and O(log n) to look up whatever the ids are, so hostile ids cannot make
 * decoding quadratic the way colliding keys could in a hash table. Dense
 * ids (the common case) never get here: see FIND below. */
typedef struct id_pair {
    uint64_t key;
    uint32_t val;
} id_pair;

static int cmp_pair(const void *a, const void *b)
{
    const id_pair *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->val < y->val ? -1 : x->val > y->val;
}

static int id_map_get(const profile_id_map *m, uint64_t key, uint32_t *val)
{
    size_t lo = 0, hi = m->cap;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->keys[mid] < key)
            lo = mid + 1;
        else if (m->keys[mid] > key)
            hi = mid;
        else {
            *val = m->vals[mid];
            return 1;
        }
    }
    return 0;
}

/*
 * Builds one map. Returns 0, ENOMEM, or the 1-based position of the first
 * object whose id is 0 or repeats (as a positive number).
 */
static long id_map_build(profile_id_map *m, const void *arr, size_t n,
                         size_t stride)
{
    id_map_free(m);
    id_pair *pairs = malloc((n + 1) * sizeof *pairs);
    if (!pairs)
        return HEARTH_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        /* Every object struct starts with its uint64_t id. */
        pairs[i].key = *(const uint64_t *)((const char *)arr + i * stride);
        pairs[i].val = (uint32_t)i;
        if (pairs[i].key == 0) {
            free(pairs);
            return (long)i + 1;
        }
    }
    qsort(pairs, n, sizeof *pairs, cmp_pair);
    long bad = 0;
    for (size_t i = 1; i < n; i++)
        if (pairs[i].key == pairs[i - 1].key) {
            /* Report the later of the two, as a reader of the file meets it. */
            long pos = (long)pairs[i].val + 1;
            if (!bad || pos < bad)
                bad = pos;
        }
    if (bad) {
        free(pairs);
        return bad;
    }
    m->keys = malloc((n + 1) * sizeof *m->keys);
    m->vals = malloc((n + 1) * sizeof *m->vals);
    if (!m->keys || !m->vals) {
        free(pairs);
        id_map_free(m);
        return HEARTH_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        m->keys[i] = pairs[i].key;
        m->vals[i] = pairs[i].val;
    }
    m->cap = n;
    free(pairs);
    return 0;
}

static int index_one(profile_id_map *m, const void *arr, size_t n,
                     size_t stride, const char *what)
{
    long bad = id_map_build(m, arr, n, stride);
    if (bad < 0)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    if (bad > 0) {
        uint64_t id = *(const uint64_t *)((const char *)arr +
                                          (size_t)(bad - 1) * stride);
        id_map_free(m);
        if (id == 0)
            return hearth_error_set(HEARTH_EFORMAT, "profile.%s[%ld].id: is 0",
                                    what, bad - 1);
        return hearth_error_set(HEARTH_EFORMAT,
                                "profile.%s[%ld].id: %" PRIu64
                                " is used twice", what, bad - 1, id);
    }
    return 0;
}

int profile_index(profile *p)
{
    if (p->n_mappings > UINT32_MAX || p->n_locations > UINT32_MAX ||
        p->n_functions > UINT32_MAX)
        return hearth_error_set(HEARTH_ELIMIT, "profile too large");
    int rc = index_one(&p->mapping_map, p->mappings, p->n_mappings,
                       sizeof *p->mappings, "mapping");
    if (!rc)
        rc = index_one(&p->location_map, p->locations, p->n_locations,
                       sizeof *p->locations, "location");
    if (!rc)
        rc = index_one(&p->function_map, p->functions, p->n_functions,
                       sizeof *p->functions, "function");
    return rc;
}

#define FIND(p, arr, n, map, id)                                               \
    do {                                                                       \
        uint32_t v_;                                                           \
        if ((id) - 1 < (p)->n && (p)->arr[(id) - 1].id == (id))                \
            return &(p)->arr[(id) - 1];                                        \
        if (id_map_get(&(p)->map, (id), &v_) && v_ < (p)->n)                   \
            return &(p)->arr[v_];                                              \
        return NULL;                                                           \
    } while (0)

const profile_location *profile_location_find(const profile *p, uint64_t id)
{
    FIND(p, locations, n_locations, location_map, id);
}

const profile_function *profile_function_find(const profile *p, uint64_t id)
{
    FIND(p, functions, n_functions, function_map, id);
}

const profile_mapping *profile_mapping_find(const profile *p, uint64_t id)
{
    FIND(p, mappings, n_mappings, mapping_map, id);
}

/* --- builder objects with ids --- */

/* The builder's next id for kind k (0 mappings, 1 locations, 2 functions):
 * one more than the largest id present, so objects added to a decoded
 * profile whose ids are sparse never repeat one. */
static uint64_t next_id(profile *p, int k)
{
    if (!p->next_ids[k]) {
        uint64_t max = 0;
        size_t n = k == 0 ? p->n_mappings : k == 1 ? p->n_locations : p->n_functions;
        for (size_t i = 0; i < n; i++) {
            uint64_t id = k == 0 ? p->mappings[i].id : k == 1 ? p->locations[i].id
                                                              : p->functions[i].id;
            if (id > max)
                max = id;
        }
        p->next_ids[k] = max + 1;
    }
    return p->next_ids[k]++;
}

static uint64_t function_key_hash(int64_t n, int64_t s, int64_t f, int64_t line)
{
    return mix64((uint64_t)n * 31 + mix64((uint64_t)s * 17 + mix64((uint64_t)f + mix64((uint64_t)line))));
}

static void fn_intern_insert(profile *p, uint32_t idx)
{
    const profile_function *fn = &p->functions[idx];
    size_t mask = p->fn_intern_cap - 1;
    size_t h = function_key_hash(fn->name, fn->system_name, fn->filename,
                                 fn->start_line) & mask;
    while (p->fn_intern[h])
        h = (h + 1) & mask;
    p->fn_intern[h] = idx + 1;
}

int64_t profile_function_intern(profile *p, const char *name,
                                const char *system_name, const char *filename,
                                int64_t start_line)
{
    int64_t n = profile_intern(p, name);
    int64_t s = profile_intern(p, system_name ? system_name : name);
    int64_t f = profile_intern(p, filename);
    if (n < 0 || s < 0 || f < 0)
        return HEARTH_ENOMEM;
    if (p->fn_intern_cap) {
        size_t mask = p->fn_intern_cap - 1;
        size_t h = function_key_hash(n, s, f, start_line) & mask;
        while (p->fn_intern[h]) {
            const profile_function *fn = &p->functions[p->fn_intern[h] - 1];
            if (fn->name == n && fn->system_name == s && fn->filename == f &&
                fn->start_line == start_line)
                return (int64_t)fn->id;
            h = (h + 1) & mask;
        }
    }
    profile_function *fn = profile_push_function(p);
    if (!fn)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    fn->id = next_id(p, 2);
    fn->name = n;
    fn->system_name = s;
    fn->filename = f;
    fn->start_line = start_line;
    if (p->n_functions * 2 > p->fn_intern_cap) {
        size_t cap = p->fn_intern_cap ? p->fn_intern_cap * 2 : 64;
        /* A decoded profile joins with all its functions at once. */
        while (cap < p->n_functions * 2)
            cap *= 2;
        uint32_t *t = calloc(cap, sizeof *t);
        if (!t)
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        free(p->fn_intern);
        p->fn_intern = t;
        p->fn_intern_cap = cap;
        /* Functions appended by a decoder join the table too. */
        for (size_t i = 0; i < p->n_functions; i++)
            fn_intern_insert(p, (uint32_t)i);
    } else {
        fn_intern_insert(p, (uint32_t)(p->n_functions - 1));
    }
    return (int64_t)fn->id;
}

int64_t profile_add_mapping(profile *p, const profile_mapping *m)
{
    profile_mapping *nm = profile_push_mapping(p);
    if (!nm)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    uint64_t id = next_id(p, 0);
    *nm = *m;
    nm->id = id;
    return (int64_t)nm->id;
}

int64_t profile_add_location(profile *p, uint64_t mapping_id, uint64_t address,
                             const profile_line *lines, size_t n_lines)
{
    profile_line *copy = NULL;
    if (n_lines) {
        copy = arena_alloc(&p->arena, n_lines * sizeof *copy);
        if (!copy)
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        memcpy(copy, lines, n_lines * sizeof *copy);
    }
    uint64_t id = next_id(p, 1);
    profile_location *l = profile_push_location(p);
    if (!l)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    l->id = id;
    l->mapping_id = mapping_id;
    l->address = address;
    l->lines = copy;
    l->n_lines = (uint32_t)n_lines;
    return (int64_t)l->id;
}

int profile_add_sample(profile *p, const uint64_t *location_ids, size_t n_loc,
                       const int64_t *values, size_t n_values,
                       const profile_label *labels, size_t n_labels)
{
    assert(n_values == p->n_sample_types);
    if (n_loc > UINT32_MAX || n_labels > UINT32_MAX)
        return hearth_error_set(HEARTH_ELIMIT, "sample too large");
    uint64_t *locs = arena_alloc(&p->arena, n_loc * sizeof *locs);
    int64_t *vals = arena_alloc(&p->arena, n_values * sizeof *vals);
    profile_label *labs = arena_alloc(&p->arena, n_labels * sizeof *labs);
    profile_sample *s = (locs && vals && labs) ? profile_push_sample(p) : NULL;
    if (!s)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    if (n_loc)
        memcpy(locs, location_ids, n_loc * sizeof *locs);
    if (n_values)
        memcpy(vals, values, n_values * sizeof *vals);
    if (n_labels)
        memcpy(labs, labels, n_labels * sizeof *labs);
    s->location_ids = locs;
    s->n_locations = (uint32_t)n_loc;
    s->values = vals;
    s->n_values = (uint32_t)n_values;
    s->labels = labs;
    s->n_labels = (uint32_t)n_labels;
    return 0;
}

/* --- validation --- */

#define CHECK_STR(idx, ...)                                                    \
    do {                                                                       \
        if ((idx) < 0 || (uint64_t)(idx) >= p->n_strings) {                    \
            char where_[160];                                                  \
            snprintf(where_, sizeof where_, __VA_ARGS__);                      \
            return hearth_error_set(HEARTH_EFORMAT,                            \
                                    "%s: string index %" PRId64                \
                                    " out of range (table has %zu)",           \
                                    where_, (int64_t)(idx), p->n_strings);     \
        }                                                                      \
    } while (0)

bool profile_locations_dense(const profile *p)
{
    for (size_t i = 0; i < p->n_locations; i++)
        if (p->locations[i].id != i + 1)
            return false;
    return true;
}

int profile_check_sample(const profile *p, size_t i, const profile_sample *s, bool dense)
{
    if (s->n_values != p->n_sample_types)
        return hearth_error_set(HEARTH_EFORMAT,
                                "profile.sample[%zu].value: has %u values, "
                                "sample_type has %zu", i, s->n_values,
                                p->n_sample_types);
    for (uint32_t j = 0; j < s->n_locations; j++)
        if (dense ? s->location_ids[j] - 1 >= p->n_locations
                  : !profile_location_find(p, s->location_ids[j]))
            return hearth_error_set(HEARTH_EFORMAT,
                                    "profile.sample[%zu].location_id[%u]: "
                                    "location %" PRIu64 " does not exist",
                                    i, j, s->location_ids[j]);
    for (uint32_t j = 0; j < s->n_labels; j++) {
        const profile_label *l = &s->labels[j];
        CHECK_STR(l->key, "profile.sample[%zu].label[%u].key", i, j);
        CHECK_STR(l->str, "profile.sample[%zu].label[%u].str", i, j);
        CHECK_STR(l->num_unit, "profile.sample[%zu].label[%u].num_unit", i, j);
    }
    return 0;
}

int profile_validate(profile *p)
{
    if (p->n_strings == 0)
        return hearth_error_set(HEARTH_EFORMAT, "profile.string_table: missing");
    if (p->string_lens[0] != 0)
        return hearth_error_set(HEARTH_EFORMAT,
                                "profile.string_table[0]: must be \"\"");
    int rc = profile_index(p);
    if (rc)
        return rc;

    for (size_t i = 0; i < p->n_sample_types; i++) {
        CHECK_STR(p->sample_types[i].type, "profile.sample_type[%zu].type", i);
        CHECK_STR(p->sample_types[i].unit, "profile.sample_type[%zu].unit", i);
    }
    CHECK_STR(p->period_type.type, "profile.period_type.type");
    CHECK_STR(p->period_type.unit, "profile.period_type.unit");
    CHECK_STR(p->drop_frames, "profile.drop_frames");
    CHECK_STR(p->keep_frames, "profile.keep_frames");
    CHECK_STR(p->default_sample_type, "profile.default_sample_type");
    CHECK_STR(p->doc_url, "profile.doc_url");
    for (size_t i = 0; i < p->n_comments; i++)
        CHECK_STR(p->comments[i], "profile.comment[%zu]", i);

    if ((p->n_samples || p->n_deferred) && !p->n_sample_types)
        return hearth_error_set(HEARTH_EFORMAT,
                                "profile.sample_type: missing, but the profile "
                                "has %zu samples", p->n_samples + p->n_deferred);
    bool dense = profile_locations_dense(p);
    for (size_t i = 0; i < p->n_samples; i++)
        if ((rc = profile_check_sample(p, i, &p->samples[i], dense)))
            return rc;
    for (size_t i = 0; i < p->n_mappings; i++) {
        CHECK_STR(p->mappings[i].filename, "profile.mapping[%zu].filename", i);
        CHECK_STR(p->mappings[i].build_id, "profile.mapping[%zu].build_id", i);
    }
    for (size_t i = 0; i < p->n_locations; i++) {
        const profile_location *l = &p->locations[i];
        for (uint32_t j = 0; j < l->n_lines; j++)
            if (!profile_function_find(p, l->lines[j].function_id))
                return hearth_error_set(HEARTH_EFORMAT,
                                        "profile.location[%zu].line[%u]."
                                        "function_id: function %" PRIu64
                                        " does not exist", i, j,
                                        l->lines[j].function_id);
    }
    for (size_t i = 0; i < p->n_functions; i++) {
        const profile_function *f = &p->functions[i];
        CHECK_STR(f->name, "profile.function[%zu].name", i);
        CHECK_STR(f->system_name, "profile.function[%zu].system_name", i);
        CHECK_STR(f->filename, "profile.function[%zu].filename", i);
    }
    return 0;
}

int profile_find_sample_index(const profile *p, const char *name)
{
    char *end;
    long n = strtol(name, &end, 10);
    if (*name && !*end)
        return (n >= 0 && (size_t)n < p->n_sample_types) ? (int)n : -1;
    /* pprof also accepts a "sample_index=..." value by type name. */
    for (size_t i = 0; i < p->n_sample_types; i++)
        if (strcmp(profile_str(p, p->sample_types[i].type), name) == 0)
            return (int)i;
    return -1;
}

int profile_default_sample_index(const profile *p)
{
    if (p->n_sample_types == 0)
        return -1;
    if (p->default_sample_type) {
        const char *want = profile_str(p, p->default_sample_type);
        for (size_t i = 0; i < p->n_sample_types; i++)
            if (strcmp(profile_str(p, p->sample_types[i].type), want) == 0)
                return (int)i;
    }
    return (int)p->n_sample_types - 1;
}

/* --- equality --- */

static int str_eq(const profile *a, int64_t ia, const profile *b, int64_t ib)
{
    const char *sa = profile_str(a, ia), *sb = profile_str(b, ib);
    size_t la = (ia >= 0 && (uint64_t)ia < a->n_strings) ? a->string_lens[ia] : 0;
    size_t lb = (ib >= 0 && (uint64_t)ib < b->n_strings) ? b->string_lens[ib] : 0;
    return la == lb && memcmp(sa, sb, la) == 0;
}

#define DIFF(...)                                                              \
    do {                                                                       \
        if (why)                                                               \
            snprintf(why, why_len, __VA_ARGS__);                               \
        return 0;                                                              \
    } while (0)

#define EQ_INT(x, y, ...)                                                      \
    do {                                                                       \
        if ((x) != (y))                                                        \
            DIFF(__VA_ARGS__);                                                 \
    } while (0)

#define EQ_STR(x, y, ...)                                                      \
    do {                                                                       \
        if (!str_eq(a, (x), b, (y)))                                           \
            DIFF(__VA_ARGS__);                                                 \
    } while (0)

int profile_equal(const profile *a, const profile *b, char *why, size_t why_len)
{
    EQ_INT(a->n_sample_types, b->n_sample_types, "sample_type count");
    for (size_t i = 0; i < a->n_sample_types; i++) {
        EQ_STR(a->sample_types[i].type, b->sample_types[i].type, "sample_type[%zu].type", i);
        EQ_STR(a->sample_types[i].unit, b->sample_types[i].unit, "sample_type[%zu].unit", i);
    }
    EQ_INT(a->n_samples, b->n_samples, "sample count %zu vs %zu", a->n_samples, b->n_samples);
    for (size_t i = 0; i < a->n_samples; i++) {
        const profile_sample *x = &a->samples[i], *y = &b->samples[i];
        EQ_INT(x->n_locations, y->n_locations, "sample[%zu] location count", i);
        EQ_INT(x->n_values, y->n_values, "sample[%zu] value count", i);
        EQ_INT(x->n_labels, y->n_labels, "sample[%zu] label count", i);
        for (uint32_t j = 0; j < x->n_locations; j++)
            EQ_INT(x->location_ids[j], y->location_ids[j], "sample[%zu].location_id[%u]", i, j);
        for (uint32_t j = 0; j < x->n_values; j++)
            EQ_INT(x->values[j], y->values[j], "sample[%zu].value[%u]", i, j);
        for (uint32_t j = 0; j < x->n_labels; j++) {
            const profile_label *l = &x->labels[j], *m = &y->labels[j];
            EQ_STR(l->key, m->key, "sample[%zu].label[%u].key", i, j);
            EQ_STR(l->str, m->str, "sample[%zu].label[%u].str", i, j);
            EQ_INT(l->num, m->num, "sample[%zu].label[%u].num", i, j);
            EQ_STR(l->num_unit, m->num_unit, "sample[%zu].label[%u].num_unit", i, j);
        }
    }
    EQ_INT(a->n_mappings, b->n_mappings, "mapping count");
    for (size_t i = 0; i < a->n_mappings; i++) {
        const profile_mapping *x = &a->mappings[i], *y = &b->mappings[i];
        EQ_INT(x->id, y->id, "mapping[%zu].id", i);
        EQ_INT(x->memory_start, y->memory_start, "mapping[%zu].memory_start", i);
        EQ_INT(x->memory_limit, y->memory_limit, "mapping[%zu].memory_limit", i);
        EQ_INT(x->file_offset, y->file_offset, "mapping[%zu].file_offset", i);
        EQ_STR(x->filename, y->filename, "mapping[%zu].filename", i);
        EQ_STR(x->build_id, y->build_id, "mapping[%zu].build_id", i);
        EQ_INT(x->has_functions, y->has_functions, "mapping[%zu].has_functions", i);
        EQ_INT(x->has_filenames, y->has_filenames, "mapping[%zu].has_filenames", i);
        EQ_INT(x->has_line_numbers, y->has_line_numbers, "mapping[%zu].has_line_numbers", i);
        EQ_INT(x->has_inline_frames, y->has_inline_frames, "mapping[%zu].has_inline_frames", i);
    }
    EQ_INT(a->n_locations, b->n_locations, "location count");
    for (size_t i = 0; i < a->n_locations; i++) {
        const profile_location *x = &a->locations[i], *y = &b->locations[i];
        EQ_INT(x->id, y->id, "location[%zu].id", i);
        EQ_INT(x->mapping_id, y->mapping_id, "location[%zu].mapping_id", i);
        EQ_INT(x->address, y->address, "location[%zu].address", i);
        EQ_INT(x->is_folded, y->is_folded, "location[%zu].is_folded", i);
        EQ_INT(x->n_lines, y->n_lines, "location[%zu] line count", i);
        for (uint32_t j = 0; j < x->n_lines; j++) {
            EQ_INT(x->lines[j].function_id, y->lines[j].function_id, "location[%zu].line[%u].function_id", i, j);
            EQ_INT(x->lines[j].line, y->lines[j].line, "location[%zu].line[%u].line", i, j);
            EQ_INT(x->lines[j].column, y->lines[j].column, "location[%zu].line[%u].column", i, j);
        }
    }
    EQ_INT(a->n_functions, b->n_functions, "function count");
    for (size_t i = 0; i < a->n_functions; i++) {
        const profile_function *x = &a->functions[i], *y = &b->functions[i];
        EQ_INT(x->id, y->id, "function[%zu].id", i);
        EQ_STR(x->name, y->name, "function[%zu].name", i);
        EQ_STR(x->system_name, y->system_name, "function[%zu].system_name", i);
        EQ_STR(x->filename, y->filename, "function[%zu].filename", i);
        EQ_INT(x->start_line, y->start_line, "function[%zu].start_line", i);
    }
    EQ_STR(a->drop_frames, b->drop_frames, "drop_frames");
    EQ_STR(a->keep_frames, b->keep_frames, "keep_frames");
    EQ_INT(a->time_nanos, b->time_nanos, "time_nanos");
    EQ_INT(a->duration_nanos, b->duration_nanos, "duration_nanos");
    EQ_STR(a->period_type.type, b->period_type.type, "period_type.type");
    EQ_STR(a->period_type.unit, b->period_type.unit, "period_type.unit");
    EQ_INT(a->period, b->period, "period");
    EQ_INT(a->n_comments, b->n_comments, "comment count");
    for (size_t i = 0; i < a->n_comments; i++)
        EQ_STR(a->comments[i], b->comments[i], "comment[%zu]", i);
    EQ_STR(a->default_sample_type, b->default_sample_type, "default_sample_type");
    EQ_STR(a->doc_url, b->doc_url, "doc_url");
    return 1;
}
