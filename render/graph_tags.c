/*
 * Tags of call-graph nodes, as pprof's graph.addSample keeps them: each
 * sample's string labels, sorted and joined, name a label tag; each value
 * of its numeric "bytes" label (formatted, so 1024 and 1030 bytes are both
 * "1kB") names a numeric tag under that label tag. A sample adds its value
 * to the cum of the tags of every distinct node on its stack and to the
 * flat of its leaf's. Labels are read once per sample; the walk over the
 * stacks runs only for samples that have labels, so unlabelled profiles
 * (CPU, folded) pay nothing. A Go heap profile has one "bytes" value per
 * sample and a few hundred distinct sizes.
 */
#include "graph_tags.h"

#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"
#include "../formats/strbuf.h"
#include "units.h"

typedef struct tag_key {
    uint32_t node, labels, name;
    bool numeric;
} tag_key;

typedef struct num_label {
    uint32_t name;  /* interned formatted value */
    int64_t value;
} num_label;

struct graph_tags {
    const profile *p;
    int sample_index;
    const char *unit;
    /* Interned strings; id 0 is "". */
    char **strs;
    size_t n_strs, cap_strs;
    uint32_t *str_table;     /* id + 1, open addressing */
    size_t str_cap;
    /* Per sample: its label tag and its numeric tags. */
    uint32_t *s_labels;
    uint32_t *s_num_off, *s_num_n;
    num_label *nums;
    size_t n_nums, cap_nums;
    bool any;
    /* The tags of the current graph. */
    graph_tag *tags;
    tag_key *keys;
    bool *alive;
    size_t n_tags, cap_tags;
    uint32_t *tag_table;     /* tag index + 1 */
    size_t tag_cap;
    /* Per node, the live tags (built on demand by graph_tags_of). */
    const graph_tag **by_node;
    size_t *node_off;
    size_t n_nodes;
    bool indexed;
    /* Walk scratch: node -> last sample that saw it. */
    uint32_t *seen;
    size_t seen_cap;
    uint32_t stamp;
};

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Returns the id of s, adding it; UINT32_MAX on ENOMEM. */
static uint32_t intern(graph_tags *t, const char *s, size_t n)
{
    if ((t->n_strs + 1) * 2 > t->str_cap) {
        size_t cap = t->str_cap ? t->str_cap * 2 : 256;
        uint32_t *tab = calloc(cap, sizeof *tab);
        if (!tab)
            return UINT32_MAX;
        for (size_t i = 0; i < t->n_strs; i++) {
            size_t h = hash_bytes(t->strs[i], strlen(t->strs[i])) & (cap - 1);
            while (tab[h])
                h = (h + 1) & (cap - 1);
            tab[h] = (uint32_t)i + 1;
        }
        free(t->str_table);
        t->str_table = tab;
        t->str_cap = cap;
    }
    size_t h = hash_bytes(s, n) & (t->str_cap - 1);
    while (t->str_table[h]) {
        uint32_t i = t->str_table[h] - 1;
        if (strlen(t->strs[i]) == n && !memcmp(t->strs[i], s, n))
            return i;
        h = (h + 1) & (t->str_cap - 1);
    }
    if (t->n_strs == t->cap_strs) {
        size_t cap = t->cap_strs ? t->cap_strs * 2 : 64;
        char **a = realloc(t->strs, cap * sizeof *a);
        if (!a)
            return UINT32_MAX;
        t->strs = a;
        t->cap_strs = cap;
    }
    char *c = malloc(n + 1);
    if (!c)
        return UINT32_MAX;
    memcpy(c, s, n);
    c[n] = '\0';
    t->strs[t->n_strs] = c;
    t->str_table[h] = (uint32_t)++t->n_strs;
    return (uint32_t)(t->n_strs - 1);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* pprof's NumLabelUnits for "bytes": the first unit given, else "bytes". */
static const char *bytes_unit(const profile *p)
{
    for (size_t s = 0; s < p->n_samples; s++)
        for (uint32_t i = 0; i < p->samples[s].n_labels; i++) {
            const profile_label *l = &p->samples[s].labels[i];
            if (!l->str && l->num_unit && !strcmp(profile_str(p, l->key), "bytes") &&
                *profile_str(p, l->num_unit))
                return profile_str(p, l->num_unit);
        }
    return "bytes";
}

/* Reads one sample's labels: its label tag (joinLabels) and the values of
 * its numeric "bytes" label, as pprof decodes them (a numeric label with
 * neither value nor unit does not exist). */
static int read_sample(graph_tags *t, size_t s, strbuf *sb, const char ***parts,
                       size_t *cap_parts)
{
    const profile *p = t->p;
    const profile_sample *sm = &p->samples[s];
    size_t np = 0;
    t->s_num_off[s] = (uint32_t)t->n_nums;
    for (uint32_t i = 0; i < sm->n_labels; i++) {
        const profile_label *l = &sm->labels[i];
        const char *key = profile_str(p, l->key);
        if (l->str) {
            /* pprof removes the label that marks a diff base's samples. */
            if (!strcmp(key, "pprof::base"))
                continue;
            if (np == *cap_parts) {
                size_t cap = *cap_parts ? *cap_parts * 2 : 8;
                const char **a = realloc(*parts, cap * sizeof *a);
                if (!a)
                    return HEARTH_ENOMEM;
                *parts = a;
                *cap_parts = cap;
            }
            /* Each "key:value" is built in sb and kept as an id. */
            sb->len = 0;
            strbuf_puts(sb, key);
            strbuf_putc(sb, ':');
            strbuf_puts(sb, profile_str(p, l->str));
            if (sb->oom)
                return HEARTH_ENOMEM;
            uint32_t id = intern(t, sb->buf, sb->len);
            if (id == UINT32_MAX)
                return HEARTH_ENOMEM;
            (*parts)[np++] = t->strs[id];
        } else if ((l->num || l->num_unit) && !strcmp(key, "bytes")) {
            char buf[64];
            units_label(buf, sizeof buf, l->num, t->unit, "minimum");
            uint32_t id = intern(t, buf, strlen(buf));
            if (id == UINT32_MAX)
                return HEARTH_ENOMEM;
            if (t->n_nums == t->cap_nums) {
                size_t cap = t->cap_nums ? t->cap_nums * 2 : 1024;
                num_label *a = realloc(t->nums, cap * sizeof *a);
                if (!a)
                    return HEARTH_ENOMEM;
                t->nums = a;
                t->cap_nums = cap;
            }
            t->nums[t->n_nums++] = (num_label){id, l->num};
        }
    }
    t->s_num_n[s] = (uint32_t)(t->n_nums - t->s_num_off[s]);
    t->s_labels[s] = 0;
    if (np) {
        qsort(*parts, np, sizeof **parts, cmp_str);
        sb->len = 0;
        for (size_t i = 0; i < np; i++) {
            if (i)
                strbuf_puts(sb, "\\n");
            strbuf_puts(sb, (*parts)[i]);
        }
        if (sb->oom)
            return HEARTH_ENOMEM;
        uint32_t id = intern(t, sb->buf, sb->len);
        if (id == UINT32_MAX)
            return HEARTH_ENOMEM;
        t->s_labels[s] = id;
    }
    if (np || t->s_num_n[s])
        t->any = true;
    return 0;
}

int graph_tags_create(graph_tags **out, const profile *p, int sample_index)
{
    graph_tags *t = calloc(1, sizeof *t);
    strbuf sb;
    strbuf_init(&sb);
    const char **parts = NULL;
    size_t cap_parts = 0;
    int rc = HEARTH_ENOMEM;
    if (!t)
        goto out;
    t->p = p;
    t->sample_index = sample_index;
    t->unit = bytes_unit(p);
    if (intern(t, "", 0) != 0)
        goto out;
    t->s_labels = calloc(p->n_samples + 1, sizeof *t->s_labels);
    t->s_num_off = calloc(p->n_samples + 1, sizeof *t->s_num_off);
    t->s_num_n = calloc(p->n_samples + 1, sizeof *t->s_num_n);
    if (!t->s_labels || !t->s_num_off || !t->s_num_n)
        goto out;
    for (size_t s = 0; s < p->n_samples; s++)
        if (p->samples[s].n_labels && (rc = read_sample(t, s, &sb, &parts, &cap_parts)))
            goto out;
    rc = 0;
out:
    free(parts);
    strbuf_fini(&sb);
    if (rc) {
        graph_tags_destroy(t);
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    *out = t;
    return 0;
}

void graph_tags_destroy(graph_tags *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_strs; i++)
        free(t->strs[i]);
    free(t->strs);
    free(t->str_table);
    free(t->s_labels);
    free(t->s_num_off);
    free(t->s_num_n);
    free(t->nums);
    free(t->tags);
    free(t->keys);
    free(t->alive);
    free(t->tag_table);
    free(t->by_node);
    free(t->node_off);
    free(t->seen);
    free(t);
}

static size_t key_hash(const tag_key *k, size_t cap)
{
    uint64_t h = ((uint64_t)k->node * 0x9e3779b97f4a7c15ull) ^
                 ((uint64_t)k->labels * 0xc2b2ae3d27d4eb4full) ^
                 ((uint64_t)k->name * 0x165667b19e3779f9ull) ^ k->numeric;
    return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

/* Adds w to the flat or cum of one tag, creating it with value v. */
static int add_tag(graph_tags *t, const tag_key *k, int64_t v, int64_t w, bool flat)
{
    if ((t->n_tags + 1) * 2 > t->tag_cap) {
        size_t cap = t->tag_cap ? t->tag_cap * 2 : 1024;
        uint32_t *tab = calloc(cap, sizeof *tab);
        if (!tab)
            return HEARTH_ENOMEM;
        for (size_t i = 0; i < t->n_tags; i++) {
            size_t h = key_hash(&t->keys[i], cap);
            while (tab[h])
                h = (h + 1) & (cap - 1);
            tab[h] = (uint32_t)i + 1;
        }
        free(t->tag_table);
        t->tag_table = tab;
        t->tag_cap = cap;
    }
    size_t h = key_hash(k, t->tag_cap);
    graph_tag *g = NULL;
    while (t->tag_table[h]) {
        const tag_key *o = &t->keys[t->tag_table[h] - 1];
        if (o->node == k->node && o->labels == k->labels && o->name == k->name &&
            o->numeric == k->numeric) {
            g = &t->tags[t->tag_table[h] - 1];
            break;
        }
        h = (h + 1) & (t->tag_cap - 1);
    }
    if (!g) {
        if (t->n_tags == t->cap_tags) {
            size_t cap = t->cap_tags ? t->cap_tags * 2 : 256;
            graph_tag *a = realloc(t->tags, cap * sizeof *a);
            if (!a)
                return HEARTH_ENOMEM;
            t->tags = a;
            tag_key *b = realloc(t->keys, cap * sizeof *b);
            if (!b)
                return HEARTH_ENOMEM;
            t->keys = b;
            bool *c = realloc(t->alive, cap * sizeof *c);
            if (!c)
                return HEARTH_ENOMEM;
            t->alive = c;
            t->cap_tags = cap;
        }
        g = &t->tags[t->n_tags];
        *g = (graph_tag){t->strs[k->name], t->strs[k->labels], k->numeric, v, 0, 0};
        t->keys[t->n_tags] = *k;
        t->alive[t->n_tags] = true;
        t->tag_table[h] = (uint32_t)++t->n_tags;
    }
    /* Values are untrusted: saturate rather than overflow. */
    int64_t *dst = flat ? &g->flat : &g->cum, r;
    *dst = __builtin_add_overflow(*dst, w, &r) ? (w > 0 ? INT64_MAX : INT64_MIN) : r;
    return 0;
}

static int add_sample_tags(graph_tags *t, size_t s, uint32_t node, int64_t w, bool flat)
{
    int rc = 0;
    uint32_t labels = t->s_labels[s];
    if (labels) {
        tag_key k = {node, labels, labels, false};
        rc = add_tag(t, &k, 0, w, flat);
    }
    for (uint32_t i = 0; !rc && i < t->s_num_n[s]; i++) {
        const num_label *nl = &t->nums[t->s_num_off[s] + i];
        tag_key k = {node, labels, nl->name, true};
        rc = add_tag(t, &k, nl->value, w, flat);
    }
    return rc;
}

int graph_tags_accumulate(graph_tags *t, const node_graph *ng)
{
    t->n_tags = 0;
    t->indexed = false;
    if (t->tag_table)
        memset(t->tag_table, 0, t->tag_cap * sizeof *t->tag_table);
    if (!t->any)
        return 0;
    const profile *p = t->p;
    const graph_node *nodes = node_graph_nodes(ng);
    size_t n_nodes = node_graph_count(ng);
    if (n_nodes + 1 > t->seen_cap) {
        free(t->seen);
        t->seen = calloc(n_nodes + 1, sizeof *t->seen);
        if (!t->seen) {
            t->seen_cap = 0;
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        }
        t->seen_cap = n_nodes + 1;
    } else {
        memset(t->seen, 0, t->seen_cap * sizeof *t->seen);
    }
    t->stamp = 0;
    for (size_t s = 0; s < p->n_samples; s++) {
        const profile_sample *sm = &p->samples[s];
        int64_t w = sm->values[t->sample_index];
        if (w == 0 || (!t->s_labels[s] && !t->s_num_n[s]))
            continue;
        t->stamp++;
        int64_t parent = -1;
        bool residual = false;
        /* The same walk as nodes.c: root to leaf, outermost line first. */
        for (size_t i = sm->n_locations; i-- > 0;) {
            const profile_location *loc = profile_location_find(p, sm->location_ids[i]);
            uint32_t n;
            const uint32_t *ln = node_graph_location_nodes(ng, (size_t)(loc - p->locations), &n);
            for (size_t ni = n; ni-- > 0;) {
                uint32_t node = ln[ni];
                if (!nodes[node].kept) {
                    residual = true;
                    continue;
                }
                if (t->seen[node] != t->stamp) {
                    t->seen[node] = t->stamp;
                    if (add_sample_tags(t, s, node, w, false))
                        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
                }
                parent = node;
                residual = false;
            }
        }
        if (parent >= 0 && !residual &&
            add_sample_tags(t, s, (uint32_t)parent, w, true))
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    t->n_nodes = n_nodes;
    return 0;
}

static int64_t abs64(int64_t v)
{
    return v == INT64_MIN ? INT64_MAX : (v < 0 ? -v : v);
}

void graph_tags_trim(graph_tags *t, int64_t cutoff)
{
    for (size_t i = 0; i < t->n_tags; i++)
        if (abs64(t->tags[i].flat) < cutoff && abs64(t->tags[i].cum) < cutoff)
            t->alive[i] = false;
    t->indexed = false;
}

/* Groups the live tags by node: a counting sort. */
static int index_tags(graph_tags *t)
{
    free(t->by_node);
    free(t->node_off);
    t->by_node = malloc((t->n_tags + 1) * sizeof *t->by_node);
    t->node_off = calloc(t->n_nodes + 2, sizeof *t->node_off);
    if (!t->by_node || !t->node_off)
        return HEARTH_ENOMEM;
    for (size_t i = 0; i < t->n_tags; i++)
        if (t->alive[i])
            t->node_off[t->keys[i].node + 1]++;
    for (size_t i = 0; i < t->n_nodes; i++)
        t->node_off[i + 1] += t->node_off[i];
    for (size_t i = 0; i < t->n_tags; i++)
        if (t->alive[i])
            t->by_node[t->node_off[t->keys[i].node]++] = &t->tags[i];
    for (size_t i = t->n_nodes; i > 0; i--)
        t->node_off[i] = t->node_off[i - 1];
    t->node_off[0] = 0;
    t->indexed = true;
    return 0;
}

size_t graph_tags_of(graph_tags *t, uint32_t node, const graph_tag *const **out)
{
    if (!t->n_tags || node >= t->n_nodes)
        return 0;
    if (!t->indexed && index_tags(t))
        return 0;
    *out = t->by_node + t->node_off[node];
    return t->node_off[node + 1] - t->node_off[node];
}

size_t graph_tags_count(graph_tags *t, uint32_t node)
{
    const graph_tag *const *tags;
    size_t n = graph_tags_of(t, node, &tags), k = 0;
    for (size_t i = 0; i < n; i++)
        if (tags[i]->flat != 0)
            k++;
    return k;
}

const char *graph_tags_unit(const graph_tags *t)
{
    return t->unit;
}
