/*
 * profile.proto <-> profile model. Decoding is the path every command takes,
 * so it makes one pass over the bytes, reuses scratch vectors across samples
 * and copies each sample's arrays once into the profile's arena. Go writes
 * the string table last, so string indexes are checked only at the end
 * (profile_validate). Error messages name the field path and byte offset of
 * the decompressed protobuf.
 */
#include "pprof.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "error.h"
#include "legacy_cpu.h"
#include "pb.h"

/* --- decoding --- */

typedef struct vec64 {
    uint64_t *v;
    size_t n, cap;
} vec64;

typedef struct dec {
    profile *p;
    vec64 locs, vals;       /* scratch for the current sample */
    profile_label *labels;  /* scratch for the current sample */
    size_t n_labels, cap_labels;
    profile_line *lines;    /* scratch for the current location */
    size_t n_lines, cap_lines;
    int saw_time;
    void *ga;               /* the input, still being inflated, or NULL */
    const pprof_inflater *inf; /* ga's */
    bool defer;             /* count sample messages, do not decode them */
} dec;

__attribute__((noinline)) static int vec_grow(vec64 *v)
{
    size_t nc = v->cap ? v->cap * 2 : 64;
    uint64_t *n = realloc(v->v, nc * sizeof *n);
    if (!n)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    v->v = n;
    v->cap = nc;
    return 0;
}

static inline int vec_push(vec64 *v, uint64_t x)
{
    if (__builtin_expect(v->n == v->cap, 0) && vec_grow(v))
        return HEARTH_ENOMEM;
    v->v[v->n++] = x;
    return 0;
}

/* Formats "PATH: reason at offset N" from a failed reader. */
HEARTH_PRINTF(2, 3)
static int fail_pb(const pb_reader *r, const char *fmt, ...)
{
    char path[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    return hearth_error_set(HEARTH_EFORMAT, "%s: %s at offset %zu", path,
                            pb_strerror(r->err), r->err_offset);
}

HEARTH_PRINTF(4, 5)
static int fail_wire(const pb_reader *r, int wire, const char *want,
                     const char *fmt, ...)
{
    char path[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    return hearth_error_set(HEARTH_EFORMAT,
                            "%s: wire type %d, expected %s at offset %zu",
                            path, wire, want, pb_offset(r));
}

/* Path arguments are passed as a format and its values so that nothing is
 * formatted unless the read fails. */
#define READ_VARINT(r, wire, out, ...)                                         \
    do {                                                                       \
        if ((wire) != PB_VARINT)                                               \
            return fail_wire((r), (wire), "varint", __VA_ARGS__);              \
        if (pb_read_varint((r), (out)))                                        \
            return fail_pb((r), __VA_ARGS__);                                  \
    } while (0)

#define READ_LEN(r, wire, sub, ...)                                            \
    do {                                                                       \
        const uint8_t *d_;                                                     \
        size_t n_;                                                             \
        if ((wire) != PB_LEN)                                                  \
            return fail_wire((r), (wire), "length-delimited", __VA_ARGS__);    \
        if (pb_read_len((r), &d_, &n_))                                        \
            return fail_pb((r), __VA_ARGS__);                                  \
        pb_reader_sub((sub), (r), d_, n_);                                     \
    } while (0)

#define READ_TAG(r, field, wire, ...)                                          \
    do {                                                                       \
        if (pb_read_tag((r), (field), (wire)))                                 \
            return fail_pb((r), __VA_ARGS__);                                  \
    } while (0)

#define SKIP(r, wire, ...)                                                     \
    do {                                                                       \
        if (pb_skip((r), (wire)))                                              \
            return fail_pb((r), __VA_ARGS__);                                  \
    } while (0)

/* A repeated varint field, packed or not. */
#define READ_REPEATED(r, wire, vec, ...)                                       \
    do {                                                                       \
        uint64_t x_;                                                           \
        if ((wire) == PB_LEN) {                                                \
            pb_reader s_;                                                      \
            READ_LEN((r), (wire), &s_, __VA_ARGS__);                           \
            while (!pb_eof(&s_)) {                                             \
                if (pb_read_varint(&s_, &x_))                                  \
                    return fail_pb(&s_, __VA_ARGS__);                          \
                if (vec_push((vec), x_))                                       \
                    return HEARTH_ENOMEM;                                      \
            }                                                                  \
        } else {                                                               \
            READ_VARINT((r), (wire), &x_, __VA_ARGS__);                        \
            if (vec_push((vec), x_))                                           \
                return HEARTH_ENOMEM;                                          \
        }                                                                      \
    } while (0)

static void dec_free(dec *d)
{
    free(d->locs.v);
    free(d->vals.v);
    free(d->labels);
    free(d->lines);
}

static int read_value_type(pb_reader *r, profile_value_type *vt,
                           const char *what, size_t idx)
{
    while (!pb_eof(r)) {
        uint32_t f;
        int w;
        uint64_t v;
        READ_TAG(r, &f, &w, "profile.%s[%zu]", what, idx);
        switch (f) {
        case 1: READ_VARINT(r, w, &v, "profile.%s[%zu].type", what, idx); vt->type = (int64_t)v; break;
        case 2: READ_VARINT(r, w, &v, "profile.%s[%zu].unit", what, idx); vt->unit = (int64_t)v; break;
        default: SKIP(r, w, "profile.%s[%zu]", what, idx);
        }
    }
    return 0;
}

static int read_label(dec *d, pb_reader *r, size_t si)
{
    if (d->n_labels == d->cap_labels) {
        size_t nc = d->cap_labels ? d->cap_labels * 2 : 8;
        profile_label *n = realloc(d->labels, nc * sizeof *n);
        if (!n)
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        d->labels = n;
        d->cap_labels = nc;
    }
    size_t li = d->n_labels;
    profile_label *l = &d->labels[d->n_labels++];
    memset(l, 0, sizeof *l);
    while (!pb_eof(r)) {
        uint32_t f;
        int w;
        uint64_t v;
        READ_TAG(r, &f, &w, "profile.sample[%zu].label[%zu]", si, li);
        switch (f) {
        case 1: READ_VARINT(r, w, &v, "profile.sample[%zu].label[%zu].key", si, li); l->key = (int64_t)v; break;
        case 2: READ_VARINT(r, w, &v, "profile.sample[%zu].label[%zu].str", si, li); l->str = (int64_t)v; break;
        case 3: READ_VARINT(r, w, &v, "profile.sample[%zu].label[%zu].num", si, li); l->num = (int64_t)v; break;
        case 4: READ_VARINT(r, w, &v, "profile.sample[%zu].label[%zu].num_unit", si, li); l->num_unit = (int64_t)v; break;
        default: SKIP(r, w, "profile.sample[%zu].label[%zu]", si, li);
        }
    }
    return 0;
}

/* Sample si's fields into the scratch vectors. */
static int parse_sample(dec *d, pb_reader *r, size_t si)
{
    d->locs.n = d->vals.n = d->n_labels = 0;
    while (!pb_eof(r)) {
        uint32_t f;
        int w;
        READ_TAG(r, &f, &w, "profile.sample[%zu]", si);
        switch (f) {
        case 1: READ_REPEATED(r, w, &d->locs, "profile.sample[%zu].location_id", si); break;
        case 2: READ_REPEATED(r, w, &d->vals, "profile.sample[%zu].value", si); break;
        case 3: {
            pb_reader sub;
            READ_LEN(r, w, &sub, "profile.sample[%zu].label", si);
            int rc = read_label(d, &sub, si);
            if (rc)
                return rc;
            break;
        }
        default: SKIP(r, w, "profile.sample[%zu]", si);
        }
    }
    if (d->locs.n > UINT32_MAX || d->vals.n > UINT32_MAX)
        return hearth_error_set(HEARTH_ELIMIT, "profile.sample[%zu]: too large", si);
    return 0;
}

static int read_sample(dec *d, pb_reader *r)
{
    int rc = parse_sample(d, r, d->p->n_samples);
    if (rc)
        return rc;
    profile *p = d->p;
    uint64_t *locs = profile_alloc(p, d->locs.n * sizeof *locs);
    int64_t *vals = profile_alloc(p, d->vals.n * sizeof *vals);
    profile_label *labs = profile_alloc(p, d->n_labels * sizeof *labs);
    profile_sample *s = (locs && vals && labs) ? profile_push_sample(p) : NULL;
    if (!s)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    if (d->locs.n)
        memcpy(locs, d->locs.v, d->locs.n * sizeof *locs);
    if (d->vals.n)
        memcpy(vals, d->vals.v, d->vals.n * sizeof *vals);
    if (d->n_labels)
        memcpy(labs, d->labels, d->n_labels * sizeof *labs);
    s->location_ids = locs;
    s->n_locations = (uint32_t)d->locs.n;
    s->values = vals;
    s->n_values = (uint32_t)d->vals.n;
    s->labels = labs;
    s->n_labels = (uint32_t)d->n_labels;
    return 0;
}

static int read_mapping(dec *d, pb_reader *r)
{
    size_t mi = d->p->n_mappings;
    profile_mapping *m = profile_push_mapping(d->p);
    if (!m)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    while (!pb_eof(r)) {
        uint32_t f;
        int w;
        uint64_t v;
        READ_TAG(r, &f, &w, "profile.mapping[%zu]", mi);
        switch (f) {
        case 1: READ_VARINT(r, w, &v, "profile.mapping[%zu].id", mi); m->id = v; break;
        case 2: READ_VARINT(r, w, &v, "profile.mapping[%zu].memory_start", mi); m->memory_start = v; break;
        case 3: READ_VARINT(r, w, &v, "profile.mapping[%zu].memory_limit", mi); m->memory_limit = v; break;
        case 4: READ_VARINT(r, w, &v, "profile.mapping[%zu].file_offset", mi); m->file_offset = v; break;
        case 5: READ_VARINT(r, w, &v, "profile.mapping[%zu].filename", mi); m->filename = (int64_t)v; break;
        case 6: READ_VARINT(r, w, &v, "profile.mapping[%zu].build_id", mi); m->build_id = (int64_t)v; break;
        case 7: READ_VARINT(r, w, &v, "profile.mapping[%zu].has_functions", mi); m->has_functions = v != 0; break;
        case 8: READ_VARINT(r, w, &v, "profile.mapping[%zu].has_filenames", mi); m->has_filenames = v != 0; break;
        case 9: READ_VARINT(r, w, &v, "profile.mapping[%zu].has_line_numbers", mi); m->has_line_numbers = v != 0; break;
        case 10: READ_VARINT(r, w, &v, "profile.mapping[%zu].has_inline_frames", mi); m->has_inline_frames = v != 0; break;
        default: SKIP(r, w, "profile.mapping[%zu]", mi);
        }
    }
    return 0;
}

static int read_line(dec *d, pb_reader *r, size_t li)
{
    if (d->n_lines == d->cap_lines) {
        size_t nc = d->cap_lines ? d->cap_lines * 2 : 8;
        profile_line *n = realloc(d->lines, nc * sizeof *n);
        if (!n)
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        d->lines = n;
        d->cap_lines = nc;
    }
    size_t ni = d->n_lines;
    profile_line *l = &d->lines[d->n_lines++];
    memset(l, 0, sizeof *l);
    while (!pb_eof(r)) {
        uint32_t f;
        int w;
        uint64_t v;
        READ_TAG(r, &f, &w, "profile.location[%zu].line[%zu]", li, ni);
        switch (f) {
        case 1: READ_VARINT(r, w, &v, "profile.location[%zu].line[%zu].function_id", li, ni); l->function_id = v; break;
        case 2: READ_VARINT(r, w, &v, "profile.location[%zu].line[%zu].line", li, ni); l->line = (int64_t)v; break;
        case 3: READ_VARINT(r, w, &v, "profile.location[%zu].line[%zu].column", li, ni); l->column = (int64_t)v; break;
        default: SKIP(r, w, "profile.location[%zu].line[%zu]", li, ni);
        }
    }
    return 0;
}

static int read_location(dec *d, pb_reader *r)
{
    size_t li = d->p->n_locations;
    profile_location loc;
    memset(&loc, 0, sizeof loc);
    d->n_lines = 0;
    while (!pb_eof(r)) {
        uint32_t f;
        int w;
        uint64_t v;
        READ_TAG(r, &f, &w, "profile.location[%zu]", li);
        switch (f) {
        case 1: READ_VARINT(r, w, &v, "profile.location[%zu].id", li); loc.id = v; break;
        case 2: READ_VARINT(r, w, &v, "profile.location[%zu].mapping_id", li); loc.mapping_id = v; break;
        case 3: READ_VARINT(r, w, &v, "profile.location[%zu].address", li); loc.address = v; break;
        case 4: {
            pb_reader sub;
            READ_LEN(r, w, &sub, "profile.location[%zu].line", li);
            int rc = read_line(d, &sub, li);
            if (rc)
                return rc;
            break;
        }
        case 5: READ_VARINT(r, w, &v, "profile.location[%zu].is_folded", li); loc.is_folded = v != 0; break;
        default: SKIP(r, w, "profile.location[%zu]", li);
        }
    }
    if (d->n_lines > UINT32_MAX)
        return hearth_error_set(HEARTH_ELIMIT, "profile.location[%zu]: too many lines", li);
    loc.lines = profile_alloc(d->p, d->n_lines * sizeof *loc.lines);
    profile_location *l = loc.lines ? profile_push_location(d->p) : NULL;
    if (!l)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    if (d->n_lines)
        memcpy(loc.lines, d->lines, d->n_lines * sizeof *loc.lines);
    loc.n_lines = (uint32_t)d->n_lines;
    *l = loc;
    return 0;
}

static int read_function(dec *d, pb_reader *r)
{
    size_t fi = d->p->n_functions;
    profile_function *fn = profile_push_function(d->p);
    if (!fn)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    while (!pb_eof(r)) {
        uint32_t f;
        int w;
        uint64_t v;
        READ_TAG(r, &f, &w, "profile.function[%zu]", fi);
        switch (f) {
        case 1: READ_VARINT(r, w, &v, "profile.function[%zu].id", fi); fn->id = v; break;
        case 2: READ_VARINT(r, w, &v, "profile.function[%zu].name", fi); fn->name = (int64_t)v; break;
        case 3: READ_VARINT(r, w, &v, "profile.function[%zu].system_name", fi); fn->system_name = (int64_t)v; break;
        case 4: READ_VARINT(r, w, &v, "profile.function[%zu].filename", fi); fn->filename = (int64_t)v; break;
        case 5: READ_VARINT(r, w, &v, "profile.function[%zu].start_line", fi); fn->start_line = (int64_t)v; break;
        default: SKIP(r, w, "profile.function[%zu]", fi);
        }
    }
    return 0;
}

static int read_comments(pb_reader *r, int w, vec64 *out)
{
    READ_REPEATED(r, w, out, "profile.comment");
    return 0;
}

/* Moves r's end to what the inflater has finished, waiting for at least
 * want bytes from the start; false when it has stopped. */
static bool wait_input(dec *d, pb_reader *r, size_t want)
{
    bool done;
    size_t avail = d->inf->wait(d->ga, want, &done);
    r->end = r->base + avail;
    return !done && avail >= want;
}

/*
 * Whether another top-level field follows. While the input is still being
 * inflated, first waits until the whole field is there: its tag, its length
 * and, when length-delimited, its bytes (a varint or fixed field fits in 16
 * bytes). Anything unusual waits for the whole input, so that every error
 * is found on the same bytes as when the input was inflated in one go.
 */
static bool field_ready(dec *d, pb_reader *r)
{
    if (!d->ga)
        return !pb_eof(r);
    size_t pos = pb_offset(r);
    if (wait_input(d, r, pos + 16)) {
        pb_reader peek = *r;
        uint32_t f;
        int w;
        uint64_t n;
        if (!pb_read_tag(&peek, &f, &w)) {
            if (w == PB_VARINT || w == PB_FIXED64 || w == PB_FIXED32)
                return true;
            if (w == PB_LEN && !pb_read_varint(&peek, &n) &&
                n <= SIZE_MAX - pb_offset(&peek) && wait_input(d, r, pb_offset(&peek) + n))
                return true;
        }
    }
    wait_input(d, r, SIZE_MAX);
    return !pb_eof(r);
}

static int read_profile(dec *d, pb_reader *r)
{
    profile *p = d->p;
    vec64 comments = {0};
    int rc = 0;
    /* The model starts with "" at index 0; the file's table replaces it. */
    p->n_strings = 0;
    while (field_ready(d, r)) {
        uint32_t f;
        int w;
        uint64_t v;
        pb_reader sub;
        if (pb_read_tag(r, &f, &w)) {
            rc = fail_pb(r, "profile");
            goto out;
        }
        switch (f) {
        case 1: {
            size_t i = p->n_sample_types;
            profile_value_type *vt = profile_push_sample_type(p);
            if (!vt) { rc = hearth_error_set(HEARTH_ENOMEM, "out of memory"); goto out; }
            const uint8_t *data;
            size_t n;
            if (w != PB_LEN) { rc = fail_wire(r, w, "length-delimited", "profile.sample_type[%zu]", i); goto out; }
            if (pb_read_len(r, &data, &n)) { rc = fail_pb(r, "profile.sample_type[%zu]", i); goto out; }
            pb_reader_sub(&sub, r, data, n);
            rc = read_value_type(&sub, vt, "sample_type", i);
            break;
        }
        case 2: case 3: case 4: case 5: {
            static const char *const names[] = {"", "", "sample", "mapping", "location", "function"};
            const uint8_t *data;
            size_t n;
            if (w != PB_LEN) { rc = fail_wire(r, w, "length-delimited", "profile.%s", names[f]); goto out; }
            if (pb_read_len(r, &data, &n)) { rc = fail_pb(r, "profile.%s", names[f]); goto out; }
            pb_reader_sub(&sub, r, data, n);
            if (f == 2 && d->defer) {
                p->n_deferred++;
                break;
            }
            rc = f == 2 ? read_sample(d, &sub) : f == 3 ? read_mapping(d, &sub)
               : f == 4 ? read_location(d, &sub) : read_function(d, &sub);
            break;
        }
        case 6: {
            const uint8_t *data;
            size_t n;
            if (w != PB_LEN) { rc = fail_wire(r, w, "length-delimited", "profile.string_table[%zu]", p->n_strings); goto out; }
            if (pb_read_len(r, &data, &n)) { rc = fail_pb(r, "profile.string_table[%zu]", p->n_strings); goto out; }
            if (profile_string_append(p, (const char *)data, n) < 0)
                rc = hearth_error_code();
            break;
        }
        case 7: case 8: case 9: case 10: case 12: case 14: case 15: {
            static const char *const names[] = {"", "", "", "", "", "", "", "drop_frames", "keep_frames",
                "time_nanos", "duration_nanos", "", "period", "", "default_sample_type", "doc_url"};
            if (w != PB_VARINT) { rc = fail_wire(r, w, "varint", "profile.%s", names[f]); goto out; }
            if (pb_read_varint(r, &v)) { rc = fail_pb(r, "profile.%s", names[f]); goto out; }
            int64_t x = (int64_t)v;
            switch (f) {
            case 7: p->drop_frames = x; break;
            case 8: p->keep_frames = x; break;
            case 9:
                /* Go's decoder treats a second time_nanos as two profiles
                 * concatenated into one file, and so do we. */
                if (d->saw_time && p->time_nanos != 0) {
                    rc = hearth_error_set(HEARTH_EFORMAT,
                                          "profile.time_nanos: appears twice "
                                          "at offset %zu (concatenated profiles?)",
                                          pb_offset(r));
                    goto out;
                }
                d->saw_time = 1;
                p->time_nanos = x;
                break;
            case 10: p->duration_nanos = x; break;
            case 12: p->period = x; break;
            case 14: p->default_sample_type = x; break;
            case 15: p->doc_url = x; break;
            }
            break;
        }
        case 11: {
            if (w != PB_LEN) { rc = fail_wire(r, w, "length-delimited", "profile.period_type"); goto out; }
            const uint8_t *data;
            size_t n;
            if (pb_read_len(r, &data, &n)) { rc = fail_pb(r, "profile.period_type"); goto out; }
            pb_reader_sub(&sub, r, data, n);
            memset(&p->period_type, 0, sizeof p->period_type);
            rc = read_value_type(&sub, &p->period_type, "period_type", 0);
            break;
        }
        case 13:
            rc = read_comments(r, w, &comments);
            break;
        default:
            if (pb_skip(r, w))
                rc = fail_pb(r, "profile");
        }
        if (rc)
            goto out;
    }
    for (size_t i = 0; i < comments.n; i++)
        if (profile_push_comment(p, (int64_t)comments.v[i])) {
            rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
            goto out;
        }
out:
    free(comments.v);
    return rc;
}

/* Decodes raw protobuf bytes (or a legacy CPU profile), from data[0, len)
 * or, with ga, from the buffer ga is still inflating. */
static int decode(profile **out, const uint8_t *data, size_t len, const pprof_inflater *inf,
                  void *ga, bool defer)
{
    profile *p = NULL;
    dec d;
    memset(&d, 0, sizeof d);
    d.ga = ga;
    d.inf = inf;
    d.defer = defer;
    pb_reader r;
    pb_reader_init(&r, data, len);
    /* gperftools' binary CPU profiles, read as pprof does, after gunzip. A
     * protobuf cannot start with the zero word of their header, which is
     * at most 40 bytes long. */
    if (ga)
        wait_input(&d, &r, 40);
    if (legacy_cpu_detect(data, (size_t)(r.end - r.base))) {
        if (ga)
            wait_input(&d, &r, SIZE_MAX);
        return legacy_cpu_read(out, data, (size_t)(r.end - r.base));
    }
    int rc = profile_create(&p);
    if (rc)
        goto out;
    d.p = p;
    rc = read_profile(&d, &r);
    if (!rc)
        rc = profile_validate(p);
    if (!rc) {
        *out = p;
        p = NULL;
    }
out:
    profile_destroy(p);
    dec_free(&d);
    return rc;
}

/* A profile with deferred samples keeps the protobuf they are in: *owned
 * when the caller can give it up, else a copy. */
static int keep_deferred(profile *p, uint8_t **owned, const uint8_t *data, size_t len)
{
    if (!p->n_deferred)
        return 0;
    if (*owned) {
        p->deferred = *owned;
        *owned = NULL;
    } else if (!(p->deferred = malloc(len ? len : 1))) {
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    } else {
        memcpy(p->deferred, data, len);
    }
    p->deferred_len = len;
    return 0;
}

int pprof_read(profile **out, const uint8_t *buf, size_t len,
               const pprof_read_options *opts)
{
    pprof_read_options def = PPROF_READ_OPTIONS_INIT;
    if (!opts)
        opts = &def;
    profile *p = NULL;
    uint8_t *raw = NULL;
    size_t raw_len;
    int rc;
    if (!pprof_is_gzip(buf, len)) {
        if (len > opts->max_bytes)
            return hearth_error_set(HEARTH_ELIMIT, "profile of %zu bytes exceeds "
                                    "the limit of %zu bytes", len, opts->max_bytes);
        rc = decode(&p, buf, len, NULL, NULL, opts->defer_samples);
        if (!rc)
            rc = keep_deferred(p, &raw, buf, len);
        goto out;
    }
    /* A large profile is decoded while a second thread inflates it. If the
     * inflater fails, everything starts again in one go, which reports the
     * gzip error (or succeeds, when the trailer's size was only wrong). */
    const pprof_inflater *inf = opts->inflater;
    void *ga = inf ? inf->start(buf, len, opts->max_bytes) : NULL;
    if (ga) {
        rc = decode(&p, inf->data(ga), 0, inf, ga, opts->defer_samples);
        if (inf->finish(ga, &raw_len) == 0) {
            raw = inf->take(ga);
            inf->release(ga);
            if (!rc)
                rc = keep_deferred(p, &raw, raw, raw_len);
            goto out;
        }
        profile_destroy(p);
        p = NULL;
        inf->release(ga);
    }
    rc = pprof_gunzip(&raw, &raw_len, buf, len, opts->max_bytes);
    if (rc)
        return rc;
    rc = decode(&p, raw, raw_len, NULL, NULL, opts->defer_samples);
    if (!rc)
        rc = keep_deferred(p, &raw, raw, raw_len);
out:
    free(raw);
    if (rc) {
        profile_destroy(p);
        return rc;
    }
    *out = p;
    return 0;
}

/* --- deferred samples --- */

int pprof_samples_begin(pprof_samples *it, const profile *p)
{
    memset(it, 0, sizeof *it);
    it->p = p;
    it->dense = profile_locations_dense(p);
    if (p->n_deferred) {
        dec *d = calloc(1, sizeof *d);
        if (!d)
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        it->dec = d;
        it->pos = p->deferred;
    }
    return 0;
}

/* The next sample message of the deferred protobuf, as a reader over its
 * bytes; false after the last. The top level was read once already, so it
 * cannot fail here. */
static bool next_sample_message(pprof_samples *it, pb_reader *sub)
{
    const profile *p = it->p;
    pb_reader r;
    pb_reader_init(&r, p->deferred, p->deferred_len);
    r.p = it->pos;
    while (!pb_eof(&r)) {
        uint32_t f;
        int w;
        const uint8_t *data;
        size_t n;
        if (pb_read_tag(&r, &f, &w))
            return false;
        if (f == 2 && w == PB_LEN) {
            if (pb_read_len(&r, &data, &n))
                return false;
            pb_reader_sub(sub, &r, data, n);
            it->pos = r.p;
            return true;
        }
        if (pb_skip(&r, w))
            return false;
    }
    it->pos = r.p;
    return false;
}

int pprof_samples_next(pprof_samples *it, const profile_sample **out)
{
    const profile *p = it->p;
    size_t i = it->next;
    if (!it->dec) {
        if (i >= p->n_samples)
            return 0;
        if (i + 8 < p->n_samples && p->samples[i + 8].n_locations) {
            /* The samples' arrays are read in order, but among a caller's
             * random loads that stream is easily lost. */
            const profile_sample *ahead = &p->samples[i + 8];
            __builtin_prefetch(&ahead->values[0]);
            __builtin_prefetch(&ahead->location_ids[0]);
            __builtin_prefetch(&ahead->location_ids[ahead->n_locations - 1]);
        }
        *out = &p->samples[it->next++];
        return 1;
    }
    pb_reader sub;
    if (i >= p->n_deferred || !next_sample_message(it, &sub))
        return 0;
    dec *d = it->dec;
    d->p = (profile *)p; /* parse_sample only reads it */
    int rc = parse_sample(d, &sub, i);
    if (rc)
        return rc;
    profile_sample *s = &it->cur;
    s->location_ids = d->locs.v;
    s->n_locations = (uint32_t)d->locs.n;
    s->values = (int64_t *)d->vals.v;
    s->n_values = (uint32_t)d->vals.n;
    s->labels = d->labels;
    s->n_labels = (uint32_t)d->n_labels;
    if ((rc = profile_check_sample(p, i, s, it->dense)))
        return rc;
    it->next++;
    *out = s;
    return 1;
}

void pprof_samples_end(pprof_samples *it)
{
    if (it->dec) {
        dec_free(it->dec);
        free(it->dec);
    }
    memset(it, 0, sizeof *it);
}

int pprof_undefer_samples(profile *p)
{
    if (!p->n_deferred)
        return 0;
    dec d;
    memset(&d, 0, sizeof d);
    d.p = p;
    pprof_samples it;
    int rc = pprof_samples_begin(&it, p);
    pb_reader sub;
    bool dense = it.dense;
    while (!rc && next_sample_message(&it, &sub)) {
        size_t i = p->n_samples;
        if (!(rc = read_sample(&d, &sub)))
            rc = profile_check_sample(p, i, &p->samples[i], dense);
    }
    pprof_samples_end(&it);
    dec_free(&d);
    if (rc)
        return rc;
    free(p->deferred);
    p->deferred = NULL;
    p->deferred_len = 0;
    p->n_deferred = 0;
    return 0;
}

/* --- encoding --- */

static void put_value_type(pb_writer *w, uint32_t field, const profile_value_type *vt)
{
    size_t m = pb_begin(w, field);
    pb_put_int64(w, 1, vt->type);
    pb_put_int64(w, 2, vt->unit);
    pb_end(w, m);
}

int pprof_encode(uint8_t **out, size_t *out_len, const profile *p)
{
    pb_writer w;
    pb_writer_init(&w);
    for (size_t i = 0; i < p->n_sample_types; i++)
        put_value_type(&w, 1, &p->sample_types[i]);
    for (size_t i = 0; i < p->n_samples; i++) {
        const profile_sample *s = &p->samples[i];
        size_t m = pb_begin(&w, 2);
        pb_put_packed_u64(&w, 1, s->location_ids, s->n_locations);
        pb_put_packed_i64(&w, 2, s->values, s->n_values);
        for (uint32_t j = 0; j < s->n_labels; j++) {
            const profile_label *l = &s->labels[j];
            size_t lm = pb_begin(&w, 3);
            pb_put_int64(&w, 1, l->key);
            pb_put_int64(&w, 2, l->str);
            pb_put_int64(&w, 3, l->num);
            pb_put_int64(&w, 4, l->num_unit);
            pb_end(&w, lm);
        }
        pb_end(&w, m);
    }
    for (size_t i = 0; i < p->n_mappings; i++) {
        const profile_mapping *mp = &p->mappings[i];
        size_t m = pb_begin(&w, 3);
        pb_put_uint64(&w, 1, mp->id);
        pb_put_uint64(&w, 2, mp->memory_start);
        pb_put_uint64(&w, 3, mp->memory_limit);
        pb_put_uint64(&w, 4, mp->file_offset);
        pb_put_int64(&w, 5, mp->filename);
        pb_put_int64(&w, 6, mp->build_id);
        pb_put_bool(&w, 7, mp->has_functions);
        pb_put_bool(&w, 8, mp->has_filenames);
        pb_put_bool(&w, 9, mp->has_line_numbers);
        pb_put_bool(&w, 10, mp->has_inline_frames);
        pb_end(&w, m);
    }
    for (size_t i = 0; i < p->n_locations; i++) {
        const profile_location *l = &p->locations[i];
        size_t m = pb_begin(&w, 4);
        pb_put_uint64(&w, 1, l->id);
        pb_put_uint64(&w, 2, l->mapping_id);
        pb_put_uint64(&w, 3, l->address);
        for (uint32_t j = 0; j < l->n_lines; j++) {
            size_t lm = pb_begin(&w, 4);
            pb_put_uint64(&w, 1, l->lines[j].function_id);
            pb_put_int64(&w, 2, l->lines[j].line);
            pb_put_int64(&w, 3, l->lines[j].column);
            pb_end(&w, lm);
        }
        pb_put_bool(&w, 5, l->is_folded);
        pb_end(&w, m);
    }
    for (size_t i = 0; i < p->n_functions; i++) {
        const profile_function *f = &p->functions[i];
        size_t m = pb_begin(&w, 5);
        pb_put_uint64(&w, 1, f->id);
        pb_put_int64(&w, 2, f->name);
        pb_put_int64(&w, 3, f->system_name);
        pb_put_int64(&w, 4, f->filename);
        pb_put_int64(&w, 5, f->start_line);
        pb_end(&w, m);
    }
    for (size_t i = 0; i < p->n_strings; i++)
        pb_put_bytes(&w, 6, p->strings[i], p->string_lens[i]);
    pb_put_int64(&w, 7, p->drop_frames);
    pb_put_int64(&w, 8, p->keep_frames);
    pb_put_int64(&w, 9, p->time_nanos);
    pb_put_int64(&w, 10, p->duration_nanos);
    if (p->period_type.type || p->period_type.unit)
        put_value_type(&w, 11, &p->period_type);
    pb_put_int64(&w, 12, p->period);
    pb_put_packed_i64(&w, 13, p->comments, p->n_comments);
    pb_put_int64(&w, 14, p->default_sample_type);
    pb_put_int64(&w, 15, p->doc_url);
    if (w.oom) {
        pb_writer_fini(&w);
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    *out = w.buf;
    *out_len = w.len;
    return 0;
}

int pprof_write(uint8_t **out, size_t *out_len, const profile *p)
{
    uint8_t *raw;
    size_t raw_len;
    int rc = pprof_encode(&raw, &raw_len, p);
    if (rc)
        return rc;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(raw);
        return hearth_error_set(HEARTH_ENOMEM, "gzip: cannot initialise zlib");
    }
    size_t cap = deflateBound(&zs, raw_len) + 64;
    uint8_t *dst = malloc(cap);
    if (!dst) {
        deflateEnd(&zs);
        free(raw);
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    zs.next_in = raw;
    zs.next_out = dst;
    int z = Z_OK;
    /* avail_in/out are 32-bit: feed very large profiles in slices. */
    while (z == Z_OK) {
        size_t in_left = raw_len - (size_t)(zs.next_in - raw);
        size_t out_left = cap - (size_t)(zs.next_out - dst);
        zs.avail_in = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
        zs.avail_out = out_left > (1u << 30) ? (1u << 30) : (uInt)out_left;
        z = deflate(&zs, zs.avail_in == in_left ? Z_FINISH : Z_NO_FLUSH);
    }
    size_t n = (size_t)(zs.next_out - dst);
    deflateEnd(&zs);
    free(raw);
    if (z != Z_STREAM_END) {
        free(dst);
        return hearth_error_set(HEARTH_EFAIL, "gzip: compression failed");
    }
    *out = dst;
    *out_len = n;
    return 0;
}
