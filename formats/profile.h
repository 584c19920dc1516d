/*
 * The in-memory model of pprof's Profile (google/pprof proto/profile.proto),
 * with every field of the format, one string table, and a builder used by the
 * decoders, the importers and the samplers.
 *
 * Strings are referenced by index into the string table, exactly as in the
 * file, so decode -> encode reproduces the table. All arrays of samples,
 * lines and labels and all strings live in the profile's arena and die with it.
 */
#ifndef HEARTH_FORMATS_PROFILE_H
#define HEARTH_FORMATS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

typedef struct profile_value_type {
    int64_t type; /* string index */
    int64_t unit; /* string index */
} profile_value_type;

typedef struct profile_label {
    int64_t key;      /* string index */
    int64_t str;      /* string index, or 0 */
    int64_t num;
    int64_t num_unit; /* string index, or 0 */
} profile_label;

typedef struct profile_sample {
    uint64_t *location_ids; /* leaf first */
    int64_t *values;        /* one per sample type */
    profile_label *labels;
    uint32_t n_locations;
    uint32_t n_values;
    uint32_t n_labels;
} profile_sample;

typedef struct profile_mapping {
    uint64_t id;
    uint64_t memory_start;
    uint64_t memory_limit;
    uint64_t file_offset;
    int64_t filename; /* string index */
    int64_t build_id; /* string index */
    bool has_functions;
    bool has_filenames;
    bool has_line_numbers;
    bool has_inline_frames;
} profile_mapping;

typedef struct profile_line {
    uint64_t function_id;
    int64_t line;
    int64_t column;
} profile_line;

typedef struct profile_location {
    uint64_t id;
    uint64_t mapping_id; /* 0 = none */
    uint64_t address;
    profile_line *lines; /* lines[0] is the innermost (inlined) frame, the
                            last line the outermost caller */
    uint32_t n_lines;
    bool is_folded;
} profile_location;

typedef struct profile_function {
    uint64_t id;
    int64_t name;        /* string index */
    int64_t system_name; /* string index */
    int64_t filename;    /* string index */
    int64_t start_line;
} profile_function;

/* An id -> array index map for one kind of object, built by profile_index:
 * ids sorted, with their positions. */
typedef struct profile_id_map {
    uint64_t *keys;
    uint32_t *vals;
    size_t cap; /* number of ids */
} profile_id_map;

typedef struct profile {
    profile_value_type *sample_types;
    size_t n_sample_types;
    profile_sample *samples;
    size_t n_samples;
    profile_mapping *mappings;
    size_t n_mappings;
    profile_location *locations;
    size_t n_locations;
    profile_function *functions;
    size_t n_functions;

    char **strings;         /* strings[i] is NUL-terminated */
    uint32_t *string_lens;  /* exact length, strings may hold NULs */
    size_t n_strings;

    int64_t drop_frames;    /* string index */
    int64_t keep_frames;    /* string index */
    int64_t time_nanos;
    int64_t duration_nanos;
    profile_value_type period_type;
    int64_t period;
    int64_t *comments;      /* string indexes */
    size_t n_comments;
    int64_t default_sample_type; /* string index */
    int64_t doc_url;             /* string index */

    /* Samples left encoded (pprof_read_options.defer_samples): samples is
     * empty and these n_deferred sample messages are still in the decoded
     * protobuf held here; pprof_samples_next decodes and checks them one
     * at a time, pprof_undefer_samples into samples. */
    uint8_t *deferred;
    size_t deferred_len, n_deferred;

    /* Private: capacities, the arena, the string intern table and id maps. */
    size_t cap_sample_types, cap_samples, cap_mappings, cap_locations,
        cap_functions, cap_strings, cap_comments;
    arena arena;
    uint32_t *intern;       /* open addressing over string indexes + 1 */
    size_t intern_cap;
    uint64_t next_ids[3];   /* builder: next mapping, location, function id
                               (0 = not yet computed from the objects) */
    uint32_t *fn_intern;    /* functions by content, for the builder */
    size_t fn_intern_cap;
    profile_id_map mapping_map, location_map, function_map;
} profile;

/* Creates an empty profile whose string table holds "" at index 0.
 * Returns 0 or HEARTH_ENOMEM. */
int profile_create(profile **out);
void profile_destroy(profile *p);

/* --- strings --- */

/* The string at index i, or "" when i is out of range (validated profiles
 * never are). Borrowed. */
static inline const char *profile_str(const profile *p, int64_t i)
{
    return (i >= 0 && (uint64_t)i < p->n_strings) ? p->strings[i] : "";
}

/* Appends s to the string table without interning (decoders keep the
 * table's order and duplicates). Returns the index or a negative error. */
int64_t profile_string_append(profile *p, const char *s, size_t len);
/* Returns the index of s, adding it if absent. Negative on ENOMEM. */
int64_t profile_intern(profile *p, const char *s);
int64_t profile_intern_n(profile *p, const char *s, size_t len);

/* --- builder: each returns the new object's id (or index), or a negative
 * error code on ENOMEM. Ids are assigned densely from 1. --- */

int profile_add_sample_type(profile *p, const char *type, const char *unit);
int profile_add_comment(profile *p, const char *comment);
/* Adds a function, or returns the id of an equal one already added through
 * this call. */
int64_t profile_function_intern(profile *p, const char *name,
                                const char *system_name, const char *filename,
                                int64_t start_line);
int64_t profile_add_mapping(profile *p, const profile_mapping *m);
/* Copies lines. */
int64_t profile_add_location(profile *p, uint64_t mapping_id, uint64_t address,
                             const profile_line *lines, size_t n_lines);
/* Copies every array. n_values must equal n_sample_types (asserted). */
int profile_add_sample(profile *p, const uint64_t *location_ids, size_t n_loc,
                       const int64_t *values, size_t n_values,
                       const profile_label *labels, size_t n_labels);

/* Raw appends used by the decoder: the new zeroed element, or NULL. */
profile_sample *profile_push_sample(profile *p);
profile_mapping *profile_push_mapping(profile *p);
profile_location *profile_push_location(profile *p);
profile_function *profile_push_function(profile *p);
profile_value_type *profile_push_sample_type(profile *p);
int profile_push_comment(profile *p, int64_t string_index);
/* Memory from the profile's arena, for arrays hung off its objects. */
void *profile_alloc(profile *p, size_t bytes);

/* --- lookups --- */

/* (Re)builds the id maps; profile_validate calls it. Returns 0 or ENOMEM. */
int profile_index(profile *p);
/* The object with that id, or NULL. Needs a current index, except that
 * dense ids (id == position + 1) resolve without one. Borrowed. */
const profile_location *profile_location_find(const profile *p, uint64_t id);
const profile_function *profile_function_find(const profile *p, uint64_t id);
const profile_mapping *profile_mapping_find(const profile *p, uint64_t id);

/*
 * Checks the invariants that `go tool pprof` enforces and indexes the ids:
 * string_table[0] == "", every string index in range, samples need sample
 * types and exactly one value per type, ids nonzero and unique, every
 * sample location and line function exists. A missing mapping is allowed.
 * Returns 0, or HEARTH_EFORMAT with a message naming the field
 * ("profile.sample[3].location_id[1]: location 42 does not exist").
 */
int profile_validate(profile *p);
/* The checks profile_validate makes of sample i: its values, that its
 * locations exist (dense: the locations are numbered 1..N), the string
 * indexes of its labels. For samples checked after validation. */
int profile_check_sample(const profile *p, size_t i, const profile_sample *s, bool dense);
/* Whether the locations are numbered 1..N, which nearly every writer does:
 * then a location exists iff its id is in range, with no lookup. */
bool profile_locations_dense(const profile *p);

/* Index of the sample type named by the profile's default_sample_type, else
 * the last one (pprof's rule); -1 when there are no sample types. */
int profile_default_sample_index(const profile *p);
/* Index of the sample type named name, or of number name ("0", "1"), as
 * pprof's -sample_index takes it; -1 if none. */
int profile_find_sample_index(const profile *p, const char *name);

/* 1 if a and b are equal field by field (strings by content), else 0 with a
 * description of the first difference in why (if non-NULL). */
int profile_equal(const profile *a, const profile *b, char *why, size_t why_len);

#endif
