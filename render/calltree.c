/*
 * Profile or folded stacks -> call tree. Every sample walks from the root,
 * one (parent node, frame) -> child step per frame: a 10^6-sample heap
 * profile is 2*10^7 steps (10^6 * 32 deep, less its zero samples), a 150 MB
 * folded file 6*10^6, into a tree of 10^6..10^7 nodes that is far bigger
 * than the caches, so a step costs what its memory accesses cost:
 *  - a cache per location (per frame name for folded input) remembers its
 *    last step; it serves the shared upper part of the stacks (~2/3 of the
 *    steps) from a few hundred KB;
 *  - a stack's new nodes are numbered in a row, so "the next node" is
 *    tried before the child table;
 *  - the rest are child table lookups, overlapped over 16 stacks in flight
 *    (prefetch, then serve another stack), which is 2x faster than one
 *    stack at a time here;
 *  - no node is touched on the way down: self values only, totals and
 *    child lists in one pass at the end (a parent's index is below its
 *    children's).
 * Node numbers follow the order in which samples first reach them, as one
 * stack at a time would number them: that is the order the SVG lists
 * frames in.
 */
#include "calltree.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../formats/error.h"
#include "sample_feed.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* One child table slot: key = parent << 32 | frame; node 0 = empty. */
typedef struct ct_slot {
    uint64_t key;
    uint32_t node;
    uint32_t unused;
} ct_slot;

#define NO_NODE UINT32_MAX
#define NO_FRAME UINT32_MAX

/* A raw folded frame name, interned before naming: its bytes -> its frame. */
typedef struct ct_raw {
    uint64_t hash;
    size_t off;            /* into ct_folded.names */
    uint32_t len;
    uint32_t frame;
} ct_raw;

typedef struct ct_folded ct_folded;
static void folded_free(ct_folded *f);

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Eight bytes at a time: folded names are hashed once per frame. The
 * last word overlaps the one before rather than being assembled from bytes,
 * which would stall on store forwarding. */
static inline uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w = 0;
    if (n < 8) {
        memcpy(&w, s, n);
    } else {
        const char *last = s + n - 8;
        for (; s < last; s += 8) {
            memcpy(&w, s, 8);
            h = (h ^ w) * 0xff51afd7ed558ccdull;
            h ^= h >> 32;
        }
        memcpy(&w, last, 8);
    }
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

static inline uint64_t hash_key(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

int calltree_create(calltree **out)
{
    calltree *t = calloc(1, sizeof *t);
    if (!t)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    t->cap_nodes = 1024;
    t->nodes = calloc(t->cap_nodes, sizeof *t->nodes);
    t->keys = calloc(t->cap_nodes, sizeof *t->keys);
    if (!t->nodes || !t->keys) {
        free(t->nodes);
        free(t->keys);
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
    free(t->keys);
    free(t->child_table);
    free(t->frame_table);
    folded_free(t->folded);
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
    } else {
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

/* --- the tree: (parent, frame) -> child --- */

/* Maps the pages of [p, p + len) in one call (Linux 5.14+; a no-op where
 * unsupported) rather than one page fault per 4 KiB, which on this VM costs
 * more than clearing the page: ~8% of a folded file's time. */
static void prefault(void *p, size_t len)
{
    uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
    uintptr_t e = ((uintptr_t)p + len) & ~(uintptr_t)4095;
    if (e > a)
        madvise((void *)a, e - a, MADV_POPULATE_WRITE);
}

static int child_table_grow(calltree *t)
{
    size_t cap = t->child_cap ? t->child_cap * 2 : 4096;
    /* Zeroed by hand, not calloc: lookups read a slot before inserts write
     * it, and a fresh zero page that is read and then written faults twice. */
    ct_slot *tab = malloc(cap * sizeof *tab);
    if (!tab)
        return HEARTH_ENOMEM;
    prefault(tab, cap * sizeof *tab);
    memset(tab, 0, cap * sizeof *tab);
    for (size_t i = 0; i < t->child_cap; i++) {
        const ct_slot *s = &t->child_table[i];
        if (!s->node)
            continue;
        size_t h = hash_key(s->key) & (cap - 1);
        while (tab[h].node)
            h = (h + 1) & (cap - 1);
        tab[h] = *s;
    }
    free(t->child_table);
    t->child_table = tab;
    t->child_cap = cap;
    return 0;
}

/* Adds v to the self value of node: the only per-sample write to a node. */
static void add_self(calltree *t, uint32_t node, int64_t v, bool base)
{
    ct_node *n = &t->nodes[node];
    if (base)
        n->base_self = sat_add(n->base_self, v);
    else
        n->self = sat_add(n->self, v);
}

/*
 * After the samples: depths, child lists and totals, from each node's parent
 * and self values (a node's total is its self plus its children's totals),
 * in one pass up and one down, as parents always come before their
 * children. Sums past the int64 range stop at its ends instead of wrapping.
 * Children are listed in node order here; calltree_sort orders them.
 */
static void tree_finish(calltree *t)
{
    ct_node *nodes = t->nodes;
    t->max_depth = 0;
    nodes[0].total = nodes[0].self;
    nodes[0].base_total = nodes[0].base_self;
    nodes[0].first_child = 0;
    for (size_t i = 1; i < t->n_nodes; i++) {
        ct_node *n = &nodes[i];
        uint16_t d = nodes[n->parent].depth;
        n->depth = (uint16_t)(d < UINT16_MAX ? d + 1 : UINT16_MAX);
        if (n->depth > t->max_depth)
            t->max_depth = n->depth;
        n->total = n->self;
        n->base_total = n->base_self;
        n->first_child = 0;
    }
    for (size_t i = t->n_nodes; i-- > 1;) {
        ct_node *n = &nodes[i], *p = &nodes[n->parent];
        p->total = sat_add(p->total, n->total);
        p->base_total = sat_add(p->base_total, n->base_total);
        n->next_sibling = p->first_child;
        p->first_child = (uint32_t)i;
    }
    t->total = nodes[0].total;
    t->base_total = nodes[0].base_total;
}

/* --- walking stacks, several at a time --- */

/*
 * A stack is a path of units, each a location (its lines' frames) or, for
 * folded input, one frame. Each step the step cache does not know is a probe
 * of the child table, a cache miss more often than not; one stack's probes
 * depend on each other, so the walker keeps WALK_WINDOW stacks in flight and
 * prefetches each one's next slot while it serves the others. Only lookups
 * overlap: the oldest stack alone creates nodes, so nodes are numbered
 * exactly as walking the stacks one by one would number them.
 */
#define WALK_WINDOW 16
#define PENDING_MAX 32

/* One unit, with the last step taken through it: from node entry to node
 * exit, whose frame is exit_frame (entry == NO_NODE: none yet). One small
 * record, so that a step the cache knows costs one load. */
typedef struct ct_unit {
    uint32_t entry, exit, exit_frame;
    uint32_t n;            /* frames: a location's lines, outermost first */
    uint32_t first;        /* n == 1: the frame; else its first frame's
                              index in ct_walker.frames */
} ct_unit;

enum { C_FREE, C_RUN, C_PROBE, C_PARKED, C_DONE };

typedef struct ct_cursor {
    uint32_t *path;        /* units in walk order */
    size_t cap;
    uint32_t n, j, k;      /* units; units done; frames of unit j done */
    uint32_t entry;        /* the node unit j started from */
    uint32_t node, frame;  /* where the walk is, and that node's frame */
    int64_t v;
    uint64_t key;          /* C_PROBE: the (node, frame) looked up */
    size_t h, cap_seen;    /* its slot, in a table of cap_seen slots */
    bool fresh;            /* node is new: it has no children yet */
    bool chain;            /* keys[node + 1] is likely in cache */
    int state;
} ct_cursor;

typedef struct ct_walker {
    calltree *t;
    calltree_options o;
    bool base;
    ct_unit *units;
    const uint32_t *frames; /* the frames of units with n > 1 */
    ct_cursor cur[WALK_WINDOW];
    size_t head, count;    /* a ring: the oldest stack at head */
    ct_slot pending[PENDING_MAX]; /* new nodes not yet in the child table */
    size_t n_pending;
} ct_walker;

static int walker_init(ct_walker *w, calltree *t, const calltree_options *o,
                       bool base, ct_unit *units, const uint32_t *frames)
{
    memset(w, 0, sizeof *w);
    w->t = t;
    w->o = *o;
    w->base = base;
    w->units = units;
    w->frames = frames;
    return t->child_cap ? 0 : child_table_grow(t);
}

/* Puts the new nodes into the child table; their slots were prefetched
 * when the nodes were made. */
static void pending_flush(ct_walker *w)
{
    calltree *t = w->t;
    size_t mask = t->child_cap - 1;
    for (size_t i = 0; i < w->n_pending; i++) {
        size_t h = hash_key(w->pending[i].key) & mask;
        while (t->child_table[h].node)
            h = (h + 1) & mask;
        t->child_table[h] = w->pending[i];
    }
    w->n_pending = 0;
}

/* The child for key = (parent, frame), or 0: the table, then the nodes
 * made since the last flush. */
static uint32_t child_find(ct_walker *w, uint64_t key)
{
    calltree *t = w->t;
    uint32_t next = (uint32_t)(key >> 32) + 1;
    if (next < t->n_nodes && t->keys[next] == key)
        return next;
    size_t mask = t->child_cap - 1;
    for (size_t h = hash_key(key) & mask;; h = (h + 1) & mask) {
        const ct_slot *s = &t->child_table[h];
        if (!s->node)
            break;
        if (s->key == key)
            return s->node;
    }
    for (size_t i = 0; i < w->n_pending; i++)
        if (w->pending[i].key == key)
            return w->pending[i].node;
    return 0;
}

/* A new node for key = (parent, frame). Only the node is written now; its
 * table slot is prefetched and filled by a later flush, so making a run of
 * nodes does not wait on memory once per node. Its parent is not touched:
 * depths and child lists wait for tree_finish. Returns the index, or 0 on
 * ENOMEM (0 is the root, never a child). */
static uint32_t node_new(ct_walker *w, uint64_t key, bool is_inline)
{
    calltree *t = w->t;
    if ((t->n_nodes + 1) * 2 > t->child_cap) {
        pending_flush(w);
        if (child_table_grow(t))
            return 0;
    }
    if (t->n_nodes == t->cap_nodes) {
        if (t->n_nodes >= UINT32_MAX / 2)
            return 0;
        ct_node *n = realloc(t->nodes, t->cap_nodes * 2 * sizeof *n);
        if (!n)
            return 0;
        t->nodes = n;
        uint64_t *k = realloc(t->keys, t->cap_nodes * 2 * sizeof *k);
        if (!k)
            return 0;
        t->keys = k;
        t->cap_nodes *= 2;
    }
    if (w->n_pending == PENDING_MAX)
        pending_flush(w);
    if (t->n_nodes >= t->populated) {
        /* The next 64 Ki nodes, not the whole doubled array: RSS stays
         * what is used. */
        size_t end = t->n_nodes + 65536 < t->cap_nodes ? t->n_nodes + 65536 : t->cap_nodes;
        prefault(&t->nodes[t->n_nodes], (end - t->n_nodes) * sizeof *t->nodes);
        prefault(&t->keys[t->n_nodes], (end - t->n_nodes) * sizeof *t->keys);
        t->populated = end;
    }
    uint32_t i = (uint32_t)t->n_nodes++;
    ct_node *n = &t->nodes[i];
    memset(n, 0, sizeof *n);
    n->parent = (uint32_t)(key >> 32);
    n->frame = (uint32_t)key;
    n->is_inline = is_inline;
    t->keys[i] = key;
    w->pending[w->n_pending++] = (ct_slot){key, i, 0};
    __builtin_prefetch(&t->child_table[hash_key(key) & (t->child_cap - 1)], 1);
    return i;
}

static void walker_fini(ct_walker *w)
{
    for (size_t i = 0; i < WALK_WINDOW; i++)
        free(w->cur[i].path);
}

/* Walks c as far as it can. Without create, stops at the first step that
 * needs the child table, its slot prefetched (C_PROBE), or parks where a
 * node is missing (C_PARKED); with create, adds the missing nodes and
 * finishes. Returns 0 or HEARTH_ENOMEM. */
static int cursor_walk(ct_walker *w, ct_cursor *c, bool create)
{
    /* The cursor's fields live in locals while it walks: stores to the
     * unit records could alias them, which would make every step wait on
     * the last one's stores. */
    calltree *t = w->t;
    ct_unit *units = w->units;
    const uint32_t *path = c->path;
    uint32_t j = c->j, k = c->k, n_path = c->n, node = c->node, frame = c->frame;
    uint32_t entry = c->entry;
    bool fresh = c->fresh, chain = c->chain;
    bool reverse = w->o.reverse, collapse = w->o.collapse_recursion;
    int rc = 0;
    while (j < n_path) {
        ct_unit *x = &units[path[j]];
        if (k == 0) {
            /* A unit always leads from one node to the same node, and most
             * stacks share their upper part: the last step is usually it. */
            if (likely(x->entry == node)) {
                node = x->exit;
                frame = x->exit_frame;
                fresh = chain = false;
                j++;
                continue;
            }
            entry = node;
        }
        uint32_t n = x->n;
        while (k < n) {
            /* Every line but a location's outermost is inlined. */
            uint32_t i = reverse ? n - 1 - k : k;
            uint32_t fr = n == 1 ? x->first : w->frames[x->first + i];
            if (collapse && node != 0 && frame == fr) {
                k++;
                continue;
            }
            uint64_t key = ((uint64_t)node << 32) | fr;
            /* The nodes one stack made in one go are numbered in a row, so
             * the child wanted is often the next node: following such a
             * chain reads memory in order instead of probing the table. */
            uint32_t next = node + 1;
            if (chain && next < t->n_nodes && t->keys[next] == key) {
                node = next;
                frame = fr;
                k++;
                continue;
            }
            if (!create) {
                c->key = key;
                c->cap_seen = t->child_cap;
                c->h = hash_key(key) & (t->child_cap - 1);
                __builtin_prefetch(&t->child_table[c->h]);
                __builtin_prefetch(&t->keys[next]);
                c->state = C_PROBE;
                goto out;
            }
            /* Below a new node, everything is new. */
            next = fresh ? 0 : child_find(w, key);
            if (!next) {
                next = node_new(w, key, !reverse && i != 0);
                if (!next) {
                    rc = HEARTH_ENOMEM;
                    goto out;
                }
                fresh = true;
            }
            node = next;
            frame = fr;
            k++;
        }
        x->entry = entry;
        x->exit = node;
        x->exit_frame = frame;
        j++;
        k = 0;
    }
    c->state = C_DONE;
    __builtin_prefetch(&t->nodes[node], 1); /* for add_self */
out:
    c->j = j;
    c->k = k;
    c->node = node;
    c->frame = frame;
    c->entry = entry;
    c->fresh = fresh;
    c->chain = chain;
    return rc;
}

/* Looks up c's pending step, whose slot should be in cache by now. */
static void cursor_probe(ct_walker *w, ct_cursor *c)
{
    calltree *t = w->t;
    uint32_t next = c->node + 1;
    if (next < t->n_nodes && t->keys[next] == c->key) {
        c->node = next;
        c->frame = (uint32_t)c->key;
        c->chain = true;
        c->k++;
        c->state = C_RUN;
        return;
    }
    size_t mask = t->child_cap - 1;
    size_t h = c->cap_seen == t->child_cap ? c->h : hash_key(c->key) & mask;
    for (;;) {
        const ct_slot *s = &t->child_table[h];
        if (!s->node) {
            c->state = C_PARKED;
            return;
        }
        if (s->key == c->key) {
            c->node = s->node;
            c->frame = (uint32_t)c->key;
            c->chain = false;
            c->k++;
            c->state = C_RUN;
            return;
        }
        h = (h + 1) & mask;
    }
}

/* Serves every stack in flight once, then retires the finished ones in
 * order, the oldest creating what it still misses. */
static int walker_round(ct_walker *w)
{
    for (size_t i = 0; i < w->count; i++) {
        ct_cursor *c = &w->cur[(w->head + i) % WALK_WINDOW];
        if (c->state == C_PROBE)
            cursor_probe(w, c);
        if (c->state == C_RUN)
            cursor_walk(w, c, false);
    }
    while (w->count) {
        ct_cursor *c = &w->cur[w->head];
        if (c->state == C_PARKED) {
            int rc = cursor_walk(w, c, true);
            if (rc)
                return rc;
        }
        if (c->state != C_DONE)
            break;
        add_self(w->t, c->node, c->v, w->base);
        c->state = C_FREE;
        w->head = (w->head + 1) % WALK_WINDOW;
        w->count--;
    }
    return 0;
}

/* A free cursor for a path of n units, waiting for one if need be. Fill
 * its path, then walker_start it. NULL on ENOMEM. */
static ct_cursor *walker_slot(ct_walker *w, size_t n)
{
    while (w->count == WALK_WINDOW)
        if (walker_round(w))
            return NULL;
    ct_cursor *c = &w->cur[(w->head + w->count) % WALK_WINDOW];
    if (n > c->cap) {
        size_t cap = n < 64 ? 64 : n * 2;
        uint32_t *p = realloc(c->path, cap * sizeof *p);
        if (!p)
            return NULL;
        c->path = p;
        c->cap = cap;
    }
    c->n = (uint32_t)n;
    return c;
}

static void walker_start(ct_walker *w, ct_cursor *c, int64_t v)
{
    c->j = c->k = 0;
    c->node = 0;
    c->frame = NO_FRAME;
    c->fresh = false;
    c->chain = false;
    c->v = v;
    c->state = C_RUN;
    w->count++;
    /* The walk starts next round, when its units' records are in cache:
     * each step waits on one, and they are spread over a megabyte. */
    for (uint32_t i = 0; i < c->n; i++)
        __builtin_prefetch(&w->units[c->path[i]]);
}

static int walker_drain(ct_walker *w)
{
    while (w->count) {
        int rc = walker_round(w);
        if (rc)
            return rc;
    }
    pending_flush(w);
    return 0;
}

/* --- profiles --- */

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
    ct_unit *units = malloc((p->n_locations + 1) * sizeof *units);
    uint32_t *frames = NULL;
    size_t n_frames = 0, cap_frames = 0;
    ct_walker w;
    bool have_walker = false;
    sample_feed feed;
    strbuf name;
    strbuf_init(&name);
    if (sample_feed_start(&feed, p, sample_index, o->reverse)) {
        free(units);
        return HEARTH_ENOMEM;
    }
    if (!units)
        goto out;
    for (size_t i = 0; i < p->n_locations; i++) {
        const profile_location *loc = &p->locations[i];
        uint32_t n = loc->n_lines ? loc->n_lines : 1;
        units[i] = (ct_unit){NO_NODE, 0, 0, n, (uint32_t)n_frames};
        if (n > 1 && n_frames + n > cap_frames) {
            size_t cap = cap_frames ? cap_frames * 2 : 1024;
            while (cap < n_frames + n)
                cap *= 2;
            uint32_t *f = realloc(frames, cap * sizeof *f);
            if (!f)
                goto out;
            frames = f;
            cap_frames = cap;
        }
        const char *module = module_of(p, loc);
        for (uint32_t j = 0; j < n; j++) {
            /* lines[n-1] is the outermost caller: it comes first. */
            const profile_line *line = loc->n_lines ? &loc->lines[n - 1 - j] : NULL;
            uint32_t fr;
            calltree_frame_name(&name, p, loc, line, o->granularity);
            if (name.oom || frame_intern(t, name.buf ? name.buf : "", name.len, module, &fr))
                goto out;
            if (n == 1)
                units[i].first = fr;
            else
                frames[n_frames++] = fr;
        }
    }
    if (walker_init(&w, t, o, base, units, frames))
        goto out;
    have_walker = true;
    int64_t v;
    const uint32_t *path;
    size_t n;
    int more;
    while ((more = sample_feed_next(&feed, &v, &path, &n)) > 0) {
        ct_cursor *c = walker_slot(&w, n);
        if (!c)
            goto out;
        if (n) /* a sample may have no locations: path may then be NULL */
            memcpy(c->path, path, n * sizeof *path);
        walker_start(&w, c, v);
    }
    if (more < 0) {
        rc = more;
        goto out;
    }
    if (walker_drain(&w))
        goto out;
    tree_finish(t);
    rc = 0;
out:
    if (have_walker)
        walker_fini(&w);
    sample_feed_stop(&feed);
    free(units);
    free(frames);
    strbuf_fini(&name);
    if (rc == HEARTH_ENOMEM)
        return hearth_error_set(rc, "out of memory");
    return rc; /* a deferred sample's error has its message */
}

/* --- folded stacks, line by line --- */

struct ct_folded {
    nodes_granularity gran; /* the naming the raw table was built with */
    ct_raw *raw;
    size_t n_raw, cap_raw;
    uint32_t *table;        /* open addressing: raw index + 1 */
    size_t table_cap;
    char *names;            /* the raw names, back to back */
    size_t names_len, names_cap;
    ct_unit *units;         /* per frame (calltree.frames index) */
    size_t cap_units;
    strbuf name;
    ct_walker walker;       /* lines in flight, while open */
    bool open;              /* between the first line and calltree_end_folded */
    bool serial;            /* counts passed 2^63-1: one line at a time */
    int64_t sum;            /* of the counts so far, while !serial */
};

static void folded_free(ct_folded *f)
{
    if (!f)
        return;
    free(f->raw);
    free(f->table);
    free(f->names);
    free(f->units);
    strbuf_fini(&f->name);
    if (f->open)
        walker_fini(&f->walker);
    free(f);
}

/*
 * The name calltree_frame_name gives the frame that folded_read makes of a
 * folded frame: a function with this name and no file, on line 0 of a
 * location at address 0 in no mapping.
 */
static void folded_frame_name(strbuf *out, const char *name, size_t len,
                              nodes_granularity gran)
{
    out->len = 0;
    if (len)
        strbuf_append(out, name, len);
    else
        strbuf_puts(out, "0x0");
    if (gran == GRAN_LINES)
        strbuf_puts(out, " :0");
    if (gran == GRAN_ADDRESSES && len)
        strbuf_puts(out, " 0x0");
    for (size_t i = 0; i < out->len; i++)
        if (out->buf[i] == '\n' || out->buf[i] == '\r')
            out->buf[i] = ' ';
}

static int raw_table_grow(ct_folded *f)
{
    size_t cap = f->table_cap ? f->table_cap * 2 : 4096;
    uint32_t *tab = calloc(cap, sizeof *tab);
    if (!tab)
        return HEARTH_ENOMEM;
    for (size_t i = 0; i < f->n_raw; i++) {
        size_t h = f->raw[i].hash & (cap - 1);
        while (tab[h])
            h = (h + 1) & (cap - 1);
        tab[h] = (uint32_t)i + 1;
    }
    free(f->table);
    f->table = tab;
    f->table_cap = cap;
    return 0;
}

/* A new raw name: names it, interns the frame and makes room for its unit. */
static __attribute__((noinline)) int raw_add(calltree *t, ct_folded *f,
                                             const char *s, size_t len,
                                             uint64_t hash, size_t h,
                                             uint32_t *frame)
{
    if (len > UINT32_MAX)
        return HEARTH_ENOMEM;
    if (f->n_raw == f->cap_raw) {
        size_t cap = f->cap_raw ? f->cap_raw * 2 : 1024;
        ct_raw *r = realloc(f->raw, cap * sizeof *r);
        if (!r)
            return HEARTH_ENOMEM;
        f->raw = r;
        f->cap_raw = cap;
    }
    if (f->names_len + len > f->names_cap) {
        size_t cap = f->names_cap ? f->names_cap : 65536;
        while (cap < f->names_len + len)
            cap *= 2;
        char *nn = realloc(f->names, cap);
        if (!nn)
            return HEARTH_ENOMEM;
        f->names = nn;
        f->names_cap = cap;
    }
    folded_frame_name(&f->name, s, len, f->gran);
    if (f->name.oom || frame_intern(t, f->name.buf, f->name.len, "", frame))
        return HEARTH_ENOMEM;
    if (*frame >= f->cap_units) {
        size_t cap = f->cap_units ? f->cap_units * 2 : 1024;
        while (cap <= *frame)
            cap *= 2;
        ct_unit *u = realloc(f->units, cap * sizeof *u);
        if (!u)
            return HEARTH_ENOMEM;
        for (size_t i = f->cap_units; i < cap; i++)
            u[i] = (ct_unit){NO_NODE, 0, 0, 1, (uint32_t)i};
        f->units = u;
        f->cap_units = cap;
        f->walker.units = u;
    }
    if (len)
        memcpy(f->names + f->names_len, s, len);
    f->raw[f->n_raw] = (ct_raw){hash, f->names_len, (uint32_t)len, *frame};
    f->names_len += len;
    f->table[h] = (uint32_t)++f->n_raw;
    return 0;
}

/* The frame of a raw folded name. Returns 0 or HEARTH_ENOMEM. */
static inline int raw_frame(calltree *t, ct_folded *f, const char *s,
                            size_t len, uint32_t *frame)
{
    if (unlikely((f->n_raw + 1) * 2 > f->table_cap) && raw_table_grow(f))
        return HEARTH_ENOMEM;
    uint64_t hash = hash_bytes(s, len);
    size_t mask = f->table_cap - 1, h = hash & mask;
    for (;;) {
        uint32_t i = f->table[h];
        if (!i)
            return raw_add(t, f, s, len, hash, h, frame);
        const ct_raw *r = &f->raw[i - 1];
        if (r->hash == hash && r->len == len &&
            memcmp(f->names + r->off, s, len) == 0) {
            *frame = r->frame;
            return 0;
        }
        h = (h + 1) & mask;
    }
}

/* The folded state for o, created with the first line. Raw names map to
 * frames by o's granularity. */
static int folded_begin(calltree *t, const calltree_options *o, bool base)
{
    ct_folded *f = t->folded;
    if (f && f->open)
        return 0;
    if (f && f->gran != o->granularity) {
        folded_free(f);
        f = t->folded = NULL;
    }
    if (!f) {
        f = t->folded = calloc(1, sizeof *f);
        if (!f)
            return HEARTH_ENOMEM;
        f->gran = o->granularity;
        strbuf_init(&f->name);
    }
    /* Steps learned from an earlier input still hold: they are facts
     * about the tree, which only grows. */
    int rc = walker_init(&f->walker, t, o, base, f->units, NULL);
    if (rc)
        return rc;
    f->open = true;
    f->sum = 0;
    f->serial = false;
    return 0;
}

int calltree_add_folded(calltree *t, const folded_frame *frames, size_t n,
                        int64_t count, const calltree_options *o, bool base)
{
    if (folded_begin(t, o, base))
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    if (count == 0)
        return 0; /* as calltree_add_profile skips a zero sample */
    ct_folded *f = t->folded;
    ct_walker *w = &f->walker;
    /* While the counts so far add up within int64, no stack's total can
     * overflow. Past that, lines go one at a time so that the first stack
     * that does overflow is the one reported, as folded_read reports it. */
    if (!f->serial && __builtin_add_overflow(f->sum, count, &f->sum)) {
        if (walker_drain(w))
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        f->serial = true;
    }
    ct_cursor *c = walker_slot(w, n);
    if (!c)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const folded_frame *fr = &frames[o->reverse ? n - 1 - i : i];
        if (raw_frame(t, f, fr->name, fr->len, &c->path[i]))
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    if (!f->serial) {
        walker_start(w, c, count);
        return 0;
    }
    /* One line alone: walk it, check, then add. */
    walker_start(w, c, 0);
    if (walker_drain(w))
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    ct_node *end = &t->nodes[c->node];
    int64_t *self = base ? &end->base_self : &end->self;
    if (*self > INT64_MAX - count)
        return hearth_error_set(HEARTH_ELIMIT,
                                "total count of this stack overflows 2^63-1");
    *self += count;
    return 0;
}

int calltree_end_folded(calltree *t)
{
    ct_folded *f = t->folded;
    if (f && f->open) {
        int rc = walker_drain(&f->walker);
        walker_fini(&f->walker);
        f->open = false;
        if (rc)
            return hearth_error_set(rc, "out of memory");
    }
    tree_finish(t);
    return 0;
}

/* --- after the samples --- */

/* v * num / den in int64, stopping at its ends: a double past them does not
 * convert. */
static int64_t scale_value(int64_t v, int64_t num, int64_t den)
{
    double x = (double)v * (double)num / (double)den;
    if (x >= 9223372036854775807.0)
        return INT64_MAX;
    if (x <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)x;
}

void calltree_scale_base(calltree *t, int64_t num, int64_t den)
{
    if (den == 0)
        return;
    for (size_t i = 0; i < t->n_nodes; i++) {
        t->nodes[i].base_total = scale_value(t->nodes[i].base_total, num, den);
        t->nodes[i].base_self = scale_value(t->nodes[i].base_self, num, den);
    }
    t->base_total = t->nodes[0].base_total;
}

/* Children are sorted by comparing frame ranks, not names: the rank of a
 * frame is its place in bytewise name order, computed once. */
typedef struct sort_key {
    int64_t total;
    uint32_t rank;
    uint32_t node;
} sort_key;

static int cmp_frame_names(const void *a, const void *b, void *arg)
{
    const ct_frame *frames = arg;
    return strcmp(frames[*(const uint32_t *)a].name, frames[*(const uint32_t *)b].name);
}

static int cmp_by_name(const void *a, const void *b)
{
    const sort_key *x = a, *y = b;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static int cmp_by_size(const void *a, const void *b)
{
    const sort_key *x = a, *y = b;
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

int calltree_sort(calltree *t, bool by_size)
{
    /* Siblings have distinct frames, so ranks order them exactly as names
     * do and every sort gives the same order. */
    uint32_t *order = malloc((t->n_frames + 1) * sizeof *order);
    uint32_t *rank = malloc((t->n_frames + 1) * sizeof *rank);
    sort_key *kids = NULL;
    size_t cap = 0;
    int rc = HEARTH_ENOMEM;
    if (!order || !rank)
        goto out;
    for (size_t i = 0; i < t->n_frames; i++)
        order[i] = (uint32_t)i;
    qsort_r(order, t->n_frames, sizeof *order, cmp_frame_names, t->frames);
    for (size_t i = 0; i < t->n_frames; i++)
        rank[order[i]] = (uint32_t)i;
    int (*cmp)(const void *, const void *) = by_size ? cmp_by_size : cmp_by_name;
    for (size_t i = 0; i < t->n_nodes; i++) {
        uint32_t c = t->nodes[i].first_child;
        if (!c || !t->nodes[c].next_sibling)
            continue;
        size_t n = 0;
        for (; c; c = t->nodes[c].next_sibling) {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                sort_key *k = realloc(kids, cap * sizeof *k);
                if (!k)
                    goto out;
                kids = k;
            }
            kids[n++] = (sort_key){t->nodes[c].total, rank[t->nodes[c].frame], c};
        }
        qsort(kids, n, sizeof *kids, cmp);
        t->nodes[i].first_child = kids[0].node;
        for (size_t k = 0; k + 1 < n; k++)
            t->nodes[kids[k].node].next_sibling = kids[k + 1].node;
        t->nodes[kids[n - 1].node].next_sibling = 0;
    }
    rc = 0;
out:
    free(order);
    free(rank);
    free(kids);
    return rc ? hearth_error_set(rc, "out of memory") : 0;
}
