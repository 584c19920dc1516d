/*
 * Profile -> call tree. Frame names are computed once per location line and
 * interned, so each sample costs one hash probe per frame: (parent node,
 * frame) -> child. A 10^6-sample profile with stacks 30 deep is 3*10^7
 * probes, which is why the table is a flat open-addressed array of node
 * indexes and the frames of a location are cached, not recomputed.
 */
#include "calltree.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t hash_pair(uint32_t parent, uint32_t frame)
{
    uint64_t x = ((uint64_t)parent << 32) | frame;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

int calltree_create(calltree **out)
{
    calltree *t = calloc(1, sizeof *t);
    if (!t)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    t->cap_nodes = 1024;
    t->nodes = calloc(t->cap_nodes, sizeof *t->nodes);
    if (!t->nodes) {
        free(t);
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    t->n_nodes = 1; /* the root */
    *out = t;
    return 0;
}

void calltree_destroy(calltree *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_frames; i++) {
        free(t->frames[i].name);
        free(t->frames[i].module);
    }
    free(t->frames);
    free(t->nodes);
    free(t->child_table);
    free(t->frame_table);
    free(t);
}

void calltree_frame_name(strbuf *out, const profile *p,
                         const profile_location *loc, const profile_line *line,
                         nodes_granularity gran)
{
    const profile_function *fn = line ? profile_function_find(p, line->function_id) : NULL;
    const char *name = fn ? profile_str(p, fn->name) : "";
    const char *file = fn ? profile_str(p, fn->filename) : "";
    out->len = 0;
    if (gran == GRAN_FILES) {
        strbuf_puts(out, *file ? file : (*name ? name : ""));
        if (out->len == 0)
            strbuf_printf(out, "0x%" PRIx64, loc->address);
        return;
    }
    if (*name)
        strbuf_puts(out, name);
    else
        strbuf_printf(out, "0x%" PRIx64, loc->address);
    if (gran == GRAN_FILEFUNCTIONS && *file)
        strbuf_printf(out, " %s", file);
    if (gran == GRAN_LINES && line)
        strbuf_printf(out, " %s:%" PRId64, file, line->line);
    if (gran == GRAN_ADDRESSES) {
        if (line && *file)
            strbuf_printf(out, " %s:%" PRId64, file, line->line);
        if (*name)
            strbuf_printf(out, " 0x%" PRIx64, loc->address);
    }
    /* Folded text and SVG both treat line breaks as structure. */
    for (size_t i = 0; i < out->len; i++)
        if (out->buf[i] == '\n' || out->buf[i] == '\r')
            out->buf[i] = ' ';
}

static int frame_intern(calltree *t, const char *name, size_t len,
                        const char *module, uint32_t *out)
{
    if ((t->n_frames + 1) * 2 > t->frame_cap) {
        size_t cap = t->frame_cap ? t->frame_cap * 2 : 1024;
        uint32_t *tab = calloc(cap, sizeof *tab);
        if (!tab)
            return HEARTH_ENOMEM;
        for (size_t i = 0; i < t->n_frames; i++) {
            size_t h = hash_str(t->frames[i].name, strlen(t->frames[i].name)) & (cap - 1);
            while (tab[h])
                h = (h + 1) & (cap - 1);
            tab[h] = (uint32_t)i + 1;
        }
        free(t->frame_table);
        t->frame_table = tab;
        t->frame_cap = cap;
    }
    size_t mask = t->frame_cap - 1;
    size_t h = hash_str(name, len) & mask;
    while (t->frame_table[h]) {
        uint32_t i = t->frame_table[h] - 1;
        if (!strncmp(t->frames[i].name, name, len) && t->frames[i].name[len] == '\0') {
            *out = i;
            return 0;
        }
        h = (h + 1) & mask;
    }
    if (t->n_frames == t->cap_frames) {
        size_t cap = t->cap_frames ? t->cap_frames * 2 : 256;
        ct_frame *f = realloc(t->frames, cap * sizeof *f);
        if (!f)
            return HEARTH_ENOMEM;
        t->frames = f;
        t->cap_frames = cap;
    }
    char *n = malloc(len + 1), *m = strdup(module);
    if (!n || !m) {
        free(n);
        free(m);
        return HEARTH_ENOMEM;
    }
    memcpy(n, name, len);
    n[len] = '\0';
    t->frames[t->n_frames] = (ct_frame){n, m};
    *out = (uint32_t)t->n_frames++;
    t->frame_table[h] = *out + 1;
    return 0;
}

static int child_table_grow(calltree *t)
{
    size_t cap = t->child_cap ? t->child_cap * 2 : 4096;
    uint32_t *tab = calloc(cap, sizeof *tab);
    if (!tab)
        return HEARTH_ENOMEM;
    for (size_t i = 1; i < t->n_nodes; i++) {
        size_t h = hash_pair(t->nodes[i].parent, t->nodes[i].frame) & (cap - 1);
        while (tab[h])
            h = (h + 1) & (cap - 1);
        tab[h] = (uint32_t)i;
    }
    free(t->child_table);
    t->child_table = tab;
    t->child_cap = cap;
    return 0;
}

/* The child of parent for frame, created if absent. Returns the index or 0
 * on ENOMEM (0 is the root, never a child). */
static uint32_t child_of(calltree *t, uint32_t parent, uint32_t frame, bool is_inline)
{
    if ((t->n_nodes + 1) * 2 > t->child_cap && child_table_grow(t))
        return 0;
    size_t mask = t->child_cap - 1;
    size_t h = hash_pair(parent, frame) & mask;
    while (t->child_table[h]) {
        uint32_t i = t->child_table[h];
        if (t->nodes[i].parent == parent && t->nodes[i].frame == frame)
            return i;
        h = (h + 1) & mask;
    }
    if (t->n_nodes == t->cap_nodes) {
        if (t->n_nodes >= UINT32_MAX / 2)
            return 0;
        ct_node *n = realloc(t->nodes, t->cap_nodes * 2 * sizeof *n);
        if (!n)
            return 0;
        t->nodes = n;
        t->cap_nodes *= 2;
    }
    uint32_t i = (uint32_t)t->n_nodes++;
    ct_node *n = &t->nodes[i];
    memset(n, 0, sizeof *n);
    n->frame = frame;
    n->parent = parent;
    n->depth = (uint16_t)(t->nodes[parent].depth < UINT16_MAX ? t->nodes[parent].depth + 1 : UINT16_MAX);
    n->is_inline = is_inline;
    n->next_sibling = t->nodes[parent].first_child;
    t->nodes[parent].first_child = i;
    if (n->depth > t->max_depth)
        t->max_depth = n->depth;
    t->child_table[h] = i;
    return i;
}

/* Frames of one location, outermost line first, with inline flags. */
typedef struct loc_frames {
    uint32_t *frames;
    uint8_t *inl;
    uint32_t n;
} loc_frames;

static const char *module_of(const profile *p, const profile_location *loc)
{
    const profile_mapping *m = loc->mapping_id ? profile_mapping_find(p, loc->mapping_id) : NULL;
    const char *f = m ? profile_str(p, m->filename) : "";
    const char *b = strrchr(f, '/');
    return b ? b + 1 : f;
}

int calltree_add_profile(calltree *t, const profile *p, int sample_index,
                         const calltree_options *o, bool base)
{
    int rc = HEARTH_ENOMEM;
    loc_frames *lf = calloc(p->n_locations + 1, sizeof *lf);
    uint32_t *stack = NULL;
    uint8_t *stack_inl = NULL;
    size_t stack_cap = 0;
    strbuf name;
    strbuf_init(&name);
    if (!lf)
        goto out;
    for (size_t i = 0; i < p->n_locations; i++) {
        const profile_location *loc = &p->locations[i];
        uint32_t n = loc->n_lines ? loc->n_lines : 1;
        lf[i].frames = malloc(n * sizeof *lf[i].frames);
        lf[i].inl = malloc(n);
        if (!lf[i].frames || !lf[i].inl)
            goto out;
        lf[i].n = n;
        const char *module = module_of(p, loc);
        for (uint32_t j = 0; j < n; j++) {
            /* lines[n-1] is the outermost caller: it comes first. */
            const profile_line *line = loc->n_lines ? &loc->lines[n - 1 - j] : NULL;
            calltree_frame_name(&name, p, loc, line, o->granularity);
            if (name.oom || frame_intern(t, name.buf ? name.buf : "", name.len, module, &lf[i].frames[j]))
                goto out;
            lf[i].inl[j] = j != 0;
        }
    }
    for (size_t s = 0; s < p->n_samples; s++) {
        const profile_sample *sm = &p->samples[s];
        int64_t v = sm->values[sample_index];
        if (v == 0)
            continue;
        /* Collect the stack root first. */
        size_t depth = 0;
        for (size_t j = sm->n_locations; j-- > 0;) {
            const profile_location *loc = profile_location_find(p, sm->location_ids[j]);
            const loc_frames *f = &lf[loc - p->locations];
            if (depth + f->n > stack_cap) {
                size_t cap = (depth + f->n) * 2 + 64;
                uint32_t *ns = realloc(stack, cap * sizeof *ns);
                if (!ns)
                    goto out;
                stack = ns;
                uint8_t *ni = realloc(stack_inl, cap);
                if (!ni)
                    goto out;
                stack_inl = ni;
                stack_cap = cap;
            }
            for (uint32_t k = 0; k < f->n; k++) {
                if (o->collapse_recursion && depth && stack[depth - 1] == f->frames[k])
                    continue;
                stack[depth] = f->frames[k];
                stack_inl[depth++] = f->inl[k];
            }
        }
        if (o->reverse) {
            for (size_t a = 0, b = depth; a + 1 < b; a++, b--) {
                uint32_t x = stack[a];
                stack[a] = stack[b - 1];
                stack[b - 1] = x;
                uint8_t y = stack_inl[a];
                stack_inl[a] = stack_inl[b - 1];
                stack_inl[b - 1] = y;
            }
        }
        uint32_t node = 0;
        if (base)
            t->nodes[0].base_total += v;
        else
            t->nodes[0].total += v;
        for (size_t d = 0; d < depth; d++) {
            node = child_of(t, node, stack[d], !o->reverse && stack_inl[d]);
            if (!node)
                goto out;
            if (base)
                t->nodes[node].base_total += v;
            else
                t->nodes[node].total += v;
        }
        if (base)
            t->nodes[node].base_self += v;
        else
            t->nodes[node].self += v;
    }
    t->total = t->nodes[0].total;
    t->base_total = t->nodes[0].base_total;
    rc = 0;
out:
    if (lf)
        for (size_t i = 0; i < p->n_locations; i++) {
            free(lf[i].frames);
            free(lf[i].inl);
        }
    free(lf);
    free(stack);
    free(stack_inl);
    strbuf_fini(&name);
    return rc ? hearth_error_set(rc, "out of memory") : 0;
}

void calltree_scale_base(calltree *t, int64_t num, int64_t den)
{
    if (den == 0)
        return;
    for (size_t i = 0; i < t->n_nodes; i++) {
        t->nodes[i].base_total = (int64_t)((double)t->nodes[i].base_total * (double)num / (double)den);
        t->nodes[i].base_self = (int64_t)((double)t->nodes[i].base_self * (double)num / (double)den);
    }
    t->base_total = t->nodes[0].base_total;
}

typedef struct sort_ctx {
    const calltree *t;
    bool by_size;
} sort_ctx;

static int cmp_children(const void *a, const void *b, void *arg)
{
    const sort_ctx *c = arg;
    const ct_node *x = &c->t->nodes[*(const uint32_t *)a];
    const ct_node *y = &c->t->nodes[*(const uint32_t *)b];
    if (c->by_size && x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return strcmp(c->t->frames[x->frame].name, c->t->frames[y->frame].name);
}

int calltree_sort(calltree *t, bool by_size)
{
    uint32_t *kids = NULL;
    size_t cap = 0;
    sort_ctx ctx = {t, by_size};
    for (size_t i = 0; i < t->n_nodes; i++) {
        size_t n = 0;
        for (uint32_t c = t->nodes[i].first_child; c; c = t->nodes[c].next_sibling) {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                uint32_t *k = realloc(kids, cap * sizeof *k);
                if (!k) {
                    free(kids);
                    return hearth_error_set(HEARTH_ENOMEM, "out of memory");
                }
                kids = k;
            }
            kids[n++] = c;
        }
        if (n < 2)
            continue;
        qsort_r(kids, n, sizeof *kids, cmp_children, &ctx);
        t->nodes[i].first_child = kids[0];
        for (size_t k = 0; k + 1 < n; k++)
            t->nodes[kids[k]].next_sibling = kids[k + 1];
        t->nodes[kids[n - 1]].next_sibling = 0;
    }
    free(kids);
    return 0;
}
