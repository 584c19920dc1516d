/*
 * The pprof codec benchmark behind `make bench` (driven by tests/bench/run).
 * `gen` builds a large Go-heap-shaped profile with the builder API: 200,000
 * samples, ~20,000 functions with long Go and C++ names, ~50,000 locations
 * (a fifth with inlined lines), stacks 5-60 deep grown from a call graph so
 * that samples share prefixes as real call trees do, 98% of them distinct as
 * in Go's per-stack buckets; ~9 MB gzip'd, ~20 MB of protobuf (`gen OUT N`
 * grows the same shape to N samples: the flame benchmark uses 10^6). Every choice
 * comes from a fixed-seed PRNG, so every run and every machine benchmarks
 * the same bytes. `run` times pprof_read and pprof_write in-process; `once`
 * and `time-cmd` are the pieces the script interleaves with `gzip -dc` to
 * measure the foundation issue's target as a ratio (decode <= 3x gzip -dc
 * on the same file) on a shared, noisy machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../formats/error.h"
#include "../../formats/pprof.h"
#include "../../formats/profile.h"

/* --- shape of the generated profile --- */

#define GEN_SAMPLES 200000     /* default; `gen OUT N` for another count */
#define GEN_FUNCTIONS 23000     /* functions in the call graph */
#define GEN_LOCATIONS 62000     /* call sites; ~80% get used */
#define GEN_ENTRY_FUNCTIONS 24  /* goroutine / thread entry points */
#define GEN_HOT_FUNCTIONS 1500  /* library code called from everywhere */
#define GEN_MIN_DEPTH 5
#define GEN_MAX_DEPTH 60
#define GEN_RATE 524288         /* Go's default MemProfileRate */
#define GEN_SEED 0x6865617274680001ull

#define BENCH_NAME "bench_pprof"
#define BENCH_SEED GEN_SEED
#include "benchlib.h"

/* --- names: Go and C++ as they appear in real profiles --- */

static const char *const go_modules[] = {
    "github.com/acme/payments", "github.com/acme/ledger",
    "github.com/acme/platform/kit", "google.golang.org/grpc",
    "google.golang.org/protobuf", "github.com/prometheus/client_golang",
    "go.opentelemetry.io/otel/sdk", "github.com/jackc/pgx/v5",
    "k8s.io/client-go", "github.com/aws/aws-sdk-go-v2/service/s3",
    "github.com/klauspost/compress", "go.uber.org/zap",
};
static const char *const go_versions[] = {
    "v1.62.1", "v1.34.2", "v1.19.0", "v5.6.0", "v0.30.3", "v1.58.2",
    "v1.17.9", "v1.27.0",
};
static const char *const go_subpkgs[] = {
    "internal/ledger", "internal/rpc/server", "pkg/cache/lru",
    "internal/transport", "encoding/prototext", "internal/impl",
    "internal/settlement/batch", "pkg/store/postgres", "internal/grpcsync",
    "prometheus", "trace", "pgconn", "tools/cache", "zstd", "zapcore",
    "internal/fraud/scoring", "pkg/httpx/middleware", "internal/outbox",
};
static const char *const go_types[] = {
    "Store", "Server", "clientConn", "decodeState", "Batch", "ringBuffer",
    "Handler", "pool", "Tx", "http2Client", "MessageInfo", "Registry",
    "batchSpanProcessor", "PgConn", "Reflector", "Decoder", "ioEncoder",
    "Scorer", "settlementWorker", "outboxRelay", "lruShard", "codec",
};
static const char *const go_methods[] = {
    "applyBatch", "Get", "handleStream", "processUnaryRPC",
    "unmarshalPointer", "encodeHeader", "Flush", "ListAndWatch",
    "nextBlock", "Write", "Observe", "exportSpans", "receiveMessage",
    "scoreTransaction", "settle", "relayPending", "evictOldest", "Marshal",
    "readFrame", "execExtendedPrepared", "decodeRow", "WithContext",
    "consumeFieldValue", "appendStruct", "newStream", "operateHeaders",
};
static const char *const go_shapes[] = {
    "go.shape.string", "go.shape.int", "go.shape.*uint8",
    "go.shape.struct { Key string; Value []uint8 }", "go.shape.interface {}",
};

static const char *const cc_namespaces[] = {
    "acme::storage", "acme::rpc::internal", "acme::pricing::engine",
    "absl::lts_20230802::container_internal", "std", "std::__detail",
    "google::protobuf::internal", "folly::detail", "grpc_core", "rocksdb",
    "boost::asio::detail", "acme::index::btree",
};
static const char *const cc_classes[] = {
    "BlockBasedTable", "Arena", "MemTable", "WriteBatch", "Channel",
    "SubchannelCall", "ThreadPool", "RepeatedPtrFieldBase", "Codec",
    "LRUCache", "OrderBook", "PriceLevel", "epoll_reactor", "InlinedStringField",
    "ClientContext", "BTreeNode", "CompactionJob", "PosixWritableFile",
};
static const char *const cc_templates[] = {
    "raw_hash_set<absl::lts_20230802::container_internal::FlatHashMapPolicy"
    "<std::basic_string<char, std::char_traits<char>, std::allocator<char> >,"
    " acme::storage::Entry>, absl::lts_20230802::hash_internal::Hash<std::"
    "basic_string<char, std::char_traits<char>, std::allocator<char> > >, "
    "std::equal_to<std::basic_string<char, std::char_traits<char>, "
    "std::allocator<char> > >, std::allocator<std::pair<std::basic_string<"
    "char, std::char_traits<char>, std::allocator<char> > const, acme::"
    "storage::Entry> > >",
    "vector<acme::pricing::Quote, std::allocator<acme::pricing::Quote> >",
    "_Hashtable<unsigned long, std::pair<unsigned long const, acme::index::"
    "Posting>, std::allocator<std::pair<unsigned long const, acme::index::"
    "Posting> >, std::__detail::_Select1st, std::equal_to<unsigned long>, "
    "std::hash<unsigned long>, std::__detail::_Mod_range_hashing, std::"
    "__detail::_Default_ranged_hash, std::__detail::_Prime_rehash_policy, "
    "std::__detail::_Hashtable_traits<false, false, true> >",
    "unique_ptr<rocksdb::BlockBasedTable::Rep, std::default_delete<rocksdb::"
    "BlockBasedTable::Rep> >",
    "function<void (grpc_core::RefCountedPtr<grpc_core::Subchannel>)>",
    "map<std::basic_string<char, std::char_traits<char>, std::allocator<char>"
    " >, long, std::less<std::basic_string<char, std::char_traits<char>, std::"
    "allocator<char> > >, std::allocator<std::pair<std::basic_string<char, "
    "std::char_traits<char>, std::allocator<char> > const, long> > >",
};
static const char *const cc_methods[] = {
    "resize(unsigned long)", "Put(rocksdb::Slice const&, rocksdb::Slice const&)",
    "AllocateAligned(unsigned long)", "operator()(grpc_core::RefCountedPtr<"
    "grpc_core::Subchannel>) const", "_M_realloc_insert<acme::pricing::Quote "
    "const&>(__gnu_cxx::__normal_iterator<acme::pricing::Quote*, std::vector<"
    "acme::pricing::Quote, std::allocator<acme::pricing::Quote> > >, acme::"
    "pricing::Quote const&)", "Insert(unsigned long, acme::index::Posting&&)",
    "Run()", "StartCall(grpc_core::CallArgs)", "Add()", "Append(char const*, "
    "unsigned long)", "ProcessKeyValueCompaction(rocksdb::CompactionJob::"
    "SubcompactionState*)", "do_run_one(boost::asio::detail::conditionally_"
    "enabled_mutex::scoped_lock&, boost::asio::detail::scheduler_thread_info"
    "&, boost::system::error_code const&)", "Lookup(std::basic_string_view<"
    "char, std::char_traits<char> >) const", "Match(acme::pricing::Order "
    "const&)", "Split(int, acme::index::btree::BTreeNode*)",
    "_M_rehash(unsigned long, unsigned long const&)",
};
static const char *const cc_dirs[] = {
    "/build/src/acme/storage", "/build/src/acme/rpc", "/build/src/acme/pricing",
    "/usr/include/c++/12/bits", "/build/third_party/abseil-cpp/absl/container"
    "/internal", "/build/third_party/rocksdb/table/block_based",
    "/build/third_party/grpc/src/core/lib/surface", "/build/src/acme/index",
};

static void lower_copy(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (char)((src[i] >= 'A' && src[i] <= 'Z') ? src[i] + 32 : src[i]);
    dst[i] = '\0';
}

/* Appends "<len><name>" for each "::"-separated part of s, Itanium-style. */
static size_t mangle_parts(char *dst, size_t cap, size_t at, const char *s)
{
    while (*s && at < cap) {
        const char *e = strstr(s, "::");
        size_t n = e ? (size_t)(e - s) : strlen(s);
        const char *paren = memchr(s, '(', n);
        const char *angle = memchr(s, '<', n);
        if (paren)
            n = (size_t)(paren - s);
        if (angle && (size_t)(angle - s) < n)
            n = (size_t)(angle - s);
        at += (size_t)snprintf(dst + at, cap - at, "%zu%.*s", n, (int)n, s);
        if (!e || paren)
            break;
        s = e + 2;
    }
    return at < cap ? at : cap - 1;
}

/*
 * Fills one function's name, system name and file. Go functions (60%) use
 * their name as system name, as the Go runtime does; C++ ones carry a
 * mangled system name and a demangled name, as symbolizers write them.
 */
static void gen_function_name(char *name, char *sys, size_t cap, char *file,
                              size_t file_cap, uint32_t salt)
{
    if (rng_below(10) < 6) {
        const char *mod = PICK(go_modules), *sub = PICK(go_subpkgs);
        const char *typ = PICK(go_types), *meth = PICK(go_methods);
        char lt[64];
        lower_copy(lt, sizeof lt, typ);
        switch (rng_below(8)) {
        case 0: case 1: case 2: case 3:
            snprintf(name, cap, "%s/%s.(*%s).%s", mod, sub, typ, meth);
            break;
        case 4: case 5:
            snprintf(name, cap, "%s/%s.(*%s).%s.func%u", mod, sub, typ, meth,
                     1 + salt % 9);
            break;
        case 6:
            snprintf(name, cap, "%s/%s.%s%s", mod, sub, meth, typ);
            break;
        default:
            snprintf(name, cap, "%s/%s.%s[%s,%s]", mod, sub, meth,
                     PICK(go_shapes), PICK(go_shapes));
        }
        snprintf(sys, cap, "%s", name);
        if (strncmp(mod, "github.com/acme/", 16) == 0)
            snprintf(file, file_cap, "/src/%s/%s/%s.go", mod, sub, lt);
        else
            snprintf(file, file_cap, "/root/go/pkg/mod/%s@%s/%s/%s.go", mod,
                     PICK(go_versions), sub, lt);
        return;
    }
    const char *ns = PICK(cc_namespaces), *meth = PICK(cc_methods);
    char cls[1024];
    if (rng_below(3) == 0)
        snprintf(cls, sizeof cls, "%s", PICK(cc_templates));
    else
        snprintf(cls, sizeof cls, "%s", PICK(cc_classes));
    if (rng_below(4) == 0)
        snprintf(name, cap, "%s::%s::%s::{lambda(auto:1)#%u}::operator()"
                 "(auto:1) const", ns, cls, meth, 1 + salt % 7);
    else
        snprintf(name, cap, "%s::%s::%s", ns, cls, meth);
    size_t at = (size_t)snprintf(sys, cap, "_ZN");
    at = mangle_parts(sys, cap, at, name);
    snprintf(sys + at, cap - at, "E%s", rng_below(2) ? "m" : "RKNS_5SliceES3_");
    char lc[64];
    lower_copy(lc, sizeof lc, PICK(cc_classes));
    snprintf(file, file_cap, "%s/%s.%s", PICK(cc_dirs), lc,
             rng_below(5) ? "cc" : "h");
}

/* --- the call graph and the call tree grown from it --- */

typedef struct gen_loc {
    uint32_t fn;             /* outermost function (the call site's) */
    uint32_t inl[2];         /* inlined callees, innermost first */
    uint8_t n_inl;
    uint8_t mapping;         /* 0-based */
    uint32_t line[3];
    uint32_t callee[3];      /* functions this call site may call */
    uint8_t n_callee;
    uint32_t profile_id;     /* 0 until first used by a sample */
} gen_loc;

typedef struct gen_node {
    uint32_t loc;
    uint32_t first_child;    /* node index, 0 = none */
    uint32_t next_sibling;
    uint32_t taken;          /* times a walk stepped into this node */
    uint32_t down;           /* times a walk stepped on from it */
    uint32_t ended;          /* 1 if a sample's stack ends here */
} gen_node;

typedef struct gen {
    gen_loc *locs;
    uint32_t *fn_locs;       /* locations grouped by function */
    uint32_t *fn_loc_start;  /* [GEN_FUNCTIONS + 1] */
    uint32_t *fn_profile_id; /* 0 until first used */
    char (*fn_name)[1200];
    char (*fn_sys)[1200];
    char (*fn_file)[256];
    gen_node *nodes;
    size_t n_nodes, cap_nodes;
} gen;

static uint32_t gen_hot_or_any_function(void)
{
    if (rng_below(100) < 35) {
        double u = rng_unit();
        return GEN_ENTRY_FUNCTIONS + (uint32_t)(u * u * u * GEN_HOT_FUNCTIONS);
    }
    return GEN_ENTRY_FUNCTIONS + rng_below(GEN_FUNCTIONS - GEN_ENTRY_FUNCTIONS);
}

static void gen_model(gen *g, profile *names)
{
    g->locs = xcalloc(GEN_LOCATIONS, sizeof *g->locs);
    g->fn_locs = xcalloc(GEN_LOCATIONS, sizeof *g->fn_locs);
    g->fn_loc_start = xcalloc(GEN_FUNCTIONS + 1, sizeof *g->fn_loc_start);
    g->fn_profile_id = xcalloc(GEN_FUNCTIONS, sizeof *g->fn_profile_id);
    g->fn_name = xcalloc(GEN_FUNCTIONS, sizeof *g->fn_name);
    g->fn_sys = xcalloc(GEN_FUNCTIONS, sizeof *g->fn_sys);
    g->fn_file = xcalloc(GEN_FUNCTIONS, sizeof *g->fn_file);

    /* Unique names: a scratch profile's function interning spots repeats. */
    for (uint32_t f = 0; f < GEN_FUNCTIONS; f++) {
        for (uint32_t salt = f;; salt += 7) {
            gen_function_name(g->fn_name[f], g->fn_sys[f],
                              sizeof g->fn_name[f], g->fn_file[f],
                              sizeof g->fn_file[f], salt);
            size_t before = names->n_functions;
            if (profile_function_intern(names, g->fn_name[f], g->fn_sys[f],
                                        g->fn_file[f], 0) < 0) {
                fprintf(stderr, "bench_pprof: %s\n", hearth_error_last());
                exit(1);
            }
            if (names->n_functions > before)
                break;
        }
    }

    /* Every function has at least one call site, a hot few have many. */
    for (uint32_t i = 0; i < GEN_LOCATIONS; i++) {
        gen_loc *l = &g->locs[i];
        l->fn = i < GEN_FUNCTIONS ? i : gen_hot_or_any_function();
        uint32_t r = rng_below(100);
        l->n_inl = r < 78 ? 0 : r < 94 ? 1 : 2;
        for (int k = 0; k < l->n_inl; k++)
            l->inl[k] = gen_hot_or_any_function();
        for (int k = 0; k <= l->n_inl; k++)
            l->line[k] = 12 + rng_below(2400);
        l->mapping = rng_below(10) < 8 ? 0 : (uint8_t)(1 + rng_below(3));
        /* Direct calls mostly; interface and virtual calls fan out. */
        r = rng_below(100);
        l->n_callee = r < 80 ? 1 : r < 95 ? 2 : 3;
        for (int k = 0; k < l->n_callee; k++)
            l->callee[k] = gen_hot_or_any_function();
    }
    for (uint32_t i = 0; i < GEN_LOCATIONS; i++)
        g->fn_loc_start[g->locs[i].fn + 1]++;
    for (uint32_t f = 0; f < GEN_FUNCTIONS; f++)
        g->fn_loc_start[f + 1] += g->fn_loc_start[f];
    uint32_t *fill = xcalloc(GEN_FUNCTIONS, sizeof *fill);
    for (uint32_t i = 0; i < GEN_LOCATIONS; i++) {
        uint32_t f = g->locs[i].fn;
        g->fn_locs[g->fn_loc_start[f] + fill[f]++] = i;
    }
    free(fill);
}

static uint32_t gen_new_node(gen *g, uint32_t loc)
{
    if (g->n_nodes == g->cap_nodes) {
        g->cap_nodes = g->cap_nodes ? g->cap_nodes * 2 : 1 << 16;
        g->nodes = realloc(g->nodes, g->cap_nodes * sizeof *g->nodes);
        if (!g->nodes) {
            fprintf(stderr, "bench_pprof: out of memory\n");
            exit(1);
        }
    }
    gen_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->loc = loc;
    return (uint32_t)g->n_nodes++;
}

/* A call site of function f, the first ones more often. */
static uint32_t gen_site_of(const gen *g, uint32_t f)
{
    uint32_t a = g->fn_loc_start[f], n = g->fn_loc_start[f + 1] - a;
    double u = rng_unit();
    return g->fn_locs[a + (uint32_t)(u * u * n)];
}

/*
 * One step down the call tree, Chinese-restaurant style: a frame left
 * `down` times before takes an existing child in proportion to its visits,
 * or (with weight alpha) a call site of one of its callees, new or not.
 * Small alpha near the root gives the few, heavily shared prefixes of real
 * trees; larger alpha deeper gives their bushy leaves.
 */
static uint32_t gen_step(gen *g, uint32_t node, int depth)
{
    double alpha = depth < 2 ? 0.1 : depth < 8 ? 0.2 : 0.4;
    gen_node *n = &g->nodes[node];
    double u = rng_unit() * (n->down + alpha);
    uint32_t child = 0;
    if (u >= alpha) {
        u -= alpha;
        for (uint32_t c = n->first_child; c; c = g->nodes[c].next_sibling) {
            child = c;
            if (u < g->nodes[c].taken)
                break;
            u -= g->nodes[c].taken;
        }
    } else {
        uint32_t loc;
        if (node == 0) {
            loc = gen_site_of(g, rng_below(GEN_ENTRY_FUNCTIONS));
        } else {
            const gen_loc *l = &g->locs[n->loc];
            loc = gen_site_of(g, l->callee[rng_below(l->n_callee)]);
        }
        for (child = n->first_child; child; child = g->nodes[child].next_sibling)
            if (g->nodes[child].loc == loc)
                break;
        if (!child) {
            child = gen_new_node(g, loc);
            n = &g->nodes[node]; /* gen_new_node may move the array */
            g->nodes[child].next_sibling = n->first_child;
            n->first_child = child;
        }
    }
    g->nodes[node].down++;
    g->nodes[child].taken++;
    return child;
}

static uint64_t gen_function_id(gen *g, profile *p, uint32_t f)
{
    if (!g->fn_profile_id[f]) {
        int64_t id = profile_function_intern(p, g->fn_name[f], g->fn_sys[f],
                                             g->fn_file[f],
                                             1 + (int64_t)(f % 997));
        if (id < 0) {
            fprintf(stderr, "bench_pprof: %s\n", hearth_error_last());
            exit(1);
        }
        g->fn_profile_id[f] = (uint32_t)id;
    }
    return g->fn_profile_id[f];
}

/* Locations and functions enter the profile in order of first use, as Go's
 * profile builder adds them. */
static uint64_t gen_location_id(gen *g, profile *p, uint32_t i)
{
    gen_loc *l = &g->locs[i];
    if (!l->profile_id) {
        profile_line lines[3];
        for (int k = 0; k < l->n_inl; k++) {
            lines[k].function_id = gen_function_id(g, p, l->inl[k]);
            lines[k].line = l->line[k];
            lines[k].column = 0;
        }
        lines[l->n_inl].function_id = gen_function_id(g, p, l->fn);
        lines[l->n_inl].line = l->line[l->n_inl];
        lines[l->n_inl].column = 0;
        uint64_t base = 0x400000ull + 0x7f0000000000ull * l->mapping;
        int64_t id = profile_add_location(p, l->mapping + 1,
                                          base + 0x1000 + 16ull * i +
                                              rng_below(16),
                                          lines, (size_t)l->n_inl + 1);
        if (id < 0) {
            fprintf(stderr, "bench_pprof: %s\n", hearth_error_last());
            exit(1);
        }
        l->profile_id = (uint32_t)id;
    }
    return l->profile_id;
}

static void gen_mappings(profile *p)
{
    static const char *const files[] = {
        "/usr/local/bin/payments-server",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30",
        "/usr/lib/x86_64-linux-gnu/librocksdb.so.7.8",
    };
    for (int i = 0; i < 4; i++) {
        char bid[41];
        for (int k = 0; k < 40; k++)
            bid[k] = "0123456789abcdef"[rng_below(16)];
        bid[40] = '\0';
        profile_mapping m;
        memset(&m, 0, sizeof m);
        m.memory_start = 0x400000ull + 0x7f0000000000ull * (uint64_t)i;
        m.memory_limit = m.memory_start + 0x4000000;
        m.file_offset = i ? 0x1000 : 0;
        m.filename = profile_intern(p, files[i]);
        m.build_id = profile_intern(p, bid);
        m.has_functions = m.has_filenames = m.has_line_numbers =
            m.has_inline_frames = true;
        if (m.filename < 0 || m.build_id < 0 || profile_add_mapping(p, &m) < 0) {
            fprintf(stderr, "bench_pprof: %s\n", hearth_error_last());
            exit(1);
        }
    }
}

/* Go's runtime/pprof unsampling of `count` sampled blocks of `size` bytes. */
static void gen_scale(int64_t *objects, int64_t *bytes, int64_t count,
                      int64_t size)
{
    double scale = 1.0 / (1.0 - exp(-(double)size / GEN_RATE));
    *objects = (int64_t)((double)count * scale);
    *bytes = (int64_t)((double)(count * size) * scale);
}

static int write_file_atomic(const char *path, const uint8_t *buf, size_t len)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        fprintf(stderr, "bench_pprof: %s: %s\n", tmp, strerror(errno));
        return 1;
    }
    int bad = fwrite(buf, 1, len, f) != len;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        fprintf(stderr, "bench_pprof: %s: %s\n", path, strerror(errno));
        remove(tmp);
        return 1;
    }
    return 0;
}

static int cmd_gen(const char *out, uint32_t n_samples)
{
    static const int64_t size_classes[] = {
        8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 160, 192, 256, 288, 352,
        416, 512, 640, 768, 1024, 1280, 1536, 2048, 3072, 4096, 6144, 8192,
        10240, 16384, 32768, 65536, 262144, 1048576,
    };
    profile *names = NULL, *p = NULL;
    if (profile_create(&names) || profile_create(&p)) {
        fprintf(stderr, "bench_pprof: %s\n", hearth_error_last());
        return 1;
    }
    gen g;
    memset(&g, 0, sizeof g);
    gen_model(&g, names);
    profile_destroy(names);
    gen_new_node(&g, UINT32_MAX); /* the root above every entry point */

    if (profile_add_sample_type(p, "alloc_objects", "count") < 0 ||
        profile_add_sample_type(p, "alloc_space", "bytes") < 0 ||
        profile_add_sample_type(p, "inuse_objects", "count") < 0 ||
        profile_add_sample_type(p, "inuse_space", "bytes") < 0) {
        fprintf(stderr, "bench_pprof: %s\n", hearth_error_last());
        return 1;
    }
    p->period_type.type = profile_intern(p, "space");
    p->period_type.unit = profile_intern(p, "bytes");
    p->period = GEN_RATE;
    p->time_nanos = 1717171717000000000ll;
    gen_mappings(p);
    int64_t bytes_key = profile_intern(p, "bytes");

    uint32_t path[GEN_MAX_DEPTH];
    uint64_t ids[GEN_MAX_DEPTH];
    for (uint32_t s = 0; s < n_samples; s++) {
        /* Depth 5..60, centred near 30 (sum of three uniforms). */
        double u = (rng_unit() + rng_unit() + rng_unit()) / 3.0;
        int depth = GEN_MIN_DEPTH +
                    (int)(u * (GEN_MAX_DEPTH - GEN_MIN_DEPTH + 1));
        if (depth > GEN_MAX_DEPTH)
            depth = GEN_MAX_DEPTH;
        /* Go keeps one sample per distinct stack: walk again until the
         * stack is new (the first walks of a deep tree always are). */
        uint32_t node = 0;
        for (int tries = 0; tries == 0 || (g.nodes[node].ended && tries < 1000);
             tries++) {
            node = 0;
            for (int d = 0; d < depth; d++) {
                node = gen_step(&g, node, d);
                path[d] = g.nodes[node].loc;
            }
        }
        g.nodes[node].ended = 1;
        for (int d = 0; d < depth; d++) /* leaf first */
            ids[d] = gen_location_id(&g, p, path[depth - 1 - d]);

        /* Small blocks dominate, as in real heaps. */
        double v = rng_unit();
        int64_t size = size_classes[(int)(v * v * (double)(sizeof size_classes /
                                                         sizeof *size_classes))];
        int64_t count = 1 + (int64_t)(-log(1.0 - rng_unit()) * 3.0);
        int64_t live = rng_below(10) < 4 ? 0 : 1 + rng_below((uint32_t)count);
        int64_t vals[4];
        gen_scale(&vals[0], &vals[1], count, size);
        gen_scale(&vals[2], &vals[3], live, size);
        profile_label lab = {bytes_key, 0, size, 0};
        if (profile_add_sample(p, ids, (size_t)depth, vals, 4, &lab, 1)) {
            fprintf(stderr, "bench_pprof: %s\n", hearth_error_last());
            return 1;
        }
    }

    uint8_t *buf;
    size_t len;
    if (pprof_write(&buf, &len, p)) {
        fprintf(stderr, "bench_pprof: %s\n", hearth_error_last());
        return 1;
    }
    int rc = write_file_atomic(out, buf, len);
    if (!rc)
        printf("%s: %zu samples, %zu locations, %zu functions, %zu strings, "
               "%zu call-tree nodes, %zu bytes gzip'd\n", out, p->n_samples,
               p->n_locations, p->n_functions, p->n_strings, g.n_nodes - 1, len);
    free(buf);
    profile_destroy(p);
    free(g.locs);
    free(g.fn_locs);
    free(g.fn_loc_start);
    free(g.fn_profile_id);
    free(g.fn_name);
    free(g.fn_sys);
    free(g.fn_file);
    free(g.nodes);
    return rc;
}

/* --- timing --- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts t and returns the median (the lower one for even n). */
static int64_t median(int64_t *t, size_t n)
{
    qsort(t, n, sizeof *t, cmp_i64);
    return t[(n - 1) / 2];
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bench_pprof: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = xcalloc(cap, 1);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                fprintf(stderr, "bench_pprof: out of memory\n");
                exit(1);
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "bench_pprof: %s: read error\n", path);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static void die_hearth(const char *what)
{
    fprintf(stderr, "bench_pprof: %s: %s\n", what, hearth_error_last());
    exit(1);
}

/* Prints one row: best and median time, and throughputs at the median. */
static void print_row(const char *what, int64_t *t, size_t n, size_t gz_len,
                      size_t pb_len, size_t samples)
{
    int64_t med = median(t, n), best = t[0];
    double s = (double)med / 1e9;
    printf("%-28s %9.1f %9.1f", what, (double)best / 1e6, (double)med / 1e6);
    if (gz_len)
        printf(" %9.1f", (double)gz_len / 1e6 / s);
    else
        printf(" %9s", "-");
    printf(" %9.1f", (double)pb_len / 1e6 / s);
    if (samples)
        printf(" %11.0f\n", (double)samples / s);
    else
        printf(" %11s\n", "-");
}

/*
 * In-process timings on a warm heap, REPS of each step interleaved: gunzip
 * alone, the whole decode (gunzip + parse + validate), parse + validate of
 * the already-inflated bytes, validate alone, encode alone and encode + gzip.
 */
static int cmd_run(const char *path, int reps)
{
    size_t gz_len, pb_len;
    uint8_t *gz = read_file(path, &gz_len), *pb;
    if (!gz)
        return 1;
    if (!pprof_is_gzip(gz, gz_len)) {
        fprintf(stderr, "bench_pprof: %s: not gzip'd\n", path);
        return 1;
    }
    if (pprof_gunzip(&pb, &pb_len, gz, gz_len, PPROF_DEFAULT_MAX_BYTES))
        die_hearth(path);
    profile *p;
    if (pprof_read(&p, gz, gz_len, NULL))
        die_hearth(path);
    size_t ns = p->n_samples;
    printf("file:     %s\n", path);
    printf("size:     %.2f MB gzip'd, %.2f MB protobuf (MB = 10^6 bytes)\n",
           (double)gz_len / 1e6, (double)pb_len / 1e6);
    printf("profile:  %zu samples, %zu locations, %zu functions, "
           "%zu mappings, %zu strings\n", ns, p->n_locations, p->n_functions,
           p->n_mappings, p->n_strings);

    enum { T_GUNZIP, T_DECODE, T_PARSE, T_VALIDATE, T_ENCODE, T_WRITE, T_N };
    int64_t *t[T_N];
    for (int k = 0; k < T_N; k++)
        t[k] = xcalloc((size_t)reps, sizeof *t[k]);
    uint8_t *enc = NULL;
    size_t enc_len = 0;
    for (int r = 0; r < reps; r++) {
        uint8_t *tmp;
        size_t tmp_len;
        profile *q;
        int64_t t0 = bench_now_ns();
        if (pprof_gunzip(&tmp, &tmp_len, gz, gz_len, PPROF_DEFAULT_MAX_BYTES))
            die_hearth("gunzip");
        int64_t t1 = bench_now_ns();
        free(tmp);
        t[T_GUNZIP][r] = t1 - t0;

        t0 = bench_now_ns();
        if (pprof_read(&q, gz, gz_len, NULL))
            die_hearth("decode");
        t1 = bench_now_ns();
        profile_destroy(q);
        t[T_DECODE][r] = t1 - t0;

        t0 = bench_now_ns();
        if (pprof_read(&q, pb, pb_len, NULL))
            die_hearth("parse");
        t1 = bench_now_ns();
        t[T_PARSE][r] = t1 - t0;
        t0 = bench_now_ns();
        if (profile_validate(q))
            die_hearth("validate");
        t1 = bench_now_ns();
        profile_destroy(q);
        t[T_VALIDATE][r] = t1 - t0;

        t0 = bench_now_ns();
        if (pprof_encode(&tmp, &tmp_len, p))
            die_hearth("encode");
        t1 = bench_now_ns();
        free(tmp);
        t[T_ENCODE][r] = t1 - t0;

        free(enc);
        t0 = bench_now_ns();
        if (pprof_write(&enc, &enc_len, p))
            die_hearth("encode");
        t1 = bench_now_ns();
        t[T_WRITE][r] = t1 - t0;
    }
    printf("reps:     %d per row, interleaved, in one process (warm heap)\n\n",
           reps);
    printf("%-28s %9s %9s %9s %9s %11s\n", "step", "best ms", "median ms",
           "gz MB/s", "pb MB/s", "samples/s");
    print_row("gunzip alone (zlib)", t[T_GUNZIP], (size_t)reps, gz_len, pb_len, 0);
    print_row("decode: pprof_read of .gz", t[T_DECODE], (size_t)reps, gz_len,
              pb_len, ns);
    print_row("  parse+validate, raw pb", t[T_PARSE], (size_t)reps, 0, pb_len, ns);
    print_row("  validate alone", t[T_VALIDATE], (size_t)reps, 0, pb_len, ns);
    print_row("encode: pprof_encode", t[T_ENCODE], (size_t)reps, 0, pb_len, ns);
    print_row("encode+gzip: pprof_write", t[T_WRITE], (size_t)reps, enc_len,
              pb_len, ns);
    printf("\ndecode / gunzip alone (medians): %.2fx\n",
           (double)median(t[T_DECODE], (size_t)reps) /
               (double)median(t[T_GUNZIP], (size_t)reps));

    /* The re-encoded file must decode to the same profile. */
    profile *back;
    char why[256];
    if (pprof_read(&back, enc, enc_len, NULL))
        die_hearth("re-decode");
    int same = profile_equal(p, back, why, sizeof why);
    printf("round trip: %s (re-encoded: %.2f MB gzip'd)\n",
           same ? "equal" : why, (double)enc_len / 1e6);
    profile_destroy(back);
    profile_destroy(p);
    for (int k = 0; k < T_N; k++)
        free(t[k]);
    free(enc);
    free(pb);
    free(gz);
    return same ? 0 : 1;
}

/* One decode and one encode + gzip in a fresh process, as the CLI pays them:
 * prints "DECODE_NS ENCODE_NS". */
static int cmd_once(const char *path)
{
    size_t len;
    uint8_t *buf = read_file(path, &len);
    if (!buf)
        return 1;
    profile *p;
    int64_t t0 = bench_now_ns();
    if (pprof_read(&p, buf, len, NULL))
        die_hearth(path);
    int64_t t1 = bench_now_ns();
    uint8_t *enc;
    size_t enc_len;
    if (pprof_write(&enc, &enc_len, p))
        die_hearth("encode");
    int64_t t2 = bench_now_ns();
    printf("%lld %lld\n", (long long)(t1 - t0), (long long)(t2 - t1));
    free(enc);
    profile_destroy(p);
    free(buf);
    return 0;
}

/* Runs argv with stdout on /dev/null and prints its wall time in ns. */
static int cmd_time(char **argv)
{
    int64_t wall;
    struct rusage ru;
    if (bench_spawn(argv, NULL, &wall, &ru))
        return 1;
    printf("%lld\n", (long long)wall);
    return 0;
}

static const char usage[] =
    "usage: bench_pprof gen OUT.pb.gz [SAMPLES]\n"
    "       bench_pprof run FILE [REPS]\n"
    "       bench_pprof once FILE\n"
    "       bench_pprof time-cmd CMD [ARGS...]\n"
    "gen writes the benchmark profile (200,000 samples unless SAMPLES says);\n"
    "run times decode and encode in-process (best and median of REPS,\n"
    "default 10); once prints one cold decode's and\n"
    "encode's nanoseconds; time-cmd prints CMD's wall time in nanoseconds,\n"
    "its stdout discarded.\n";

int main(int argc, char **argv)
{
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "gen") == 0) {
        long n = argc == 4 ? atol(argv[3]) : GEN_SAMPLES;
        if (n < 1 || n > 100000000) {
            fputs(usage, stderr);
            return 2;
        }
        return cmd_gen(argv[2], (uint32_t)n);
    }
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "run") == 0) {
        int reps = argc == 4 ? atoi(argv[3]) : 10;
        if (reps < 1) {
            fputs(usage, stderr);
            return 2;
        }
        return cmd_run(argv[2], reps);
    }
    if (argc == 3 && strcmp(argv[1], "once") == 0)
        return cmd_once(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "time-cmd") == 0)
        return cmd_time(argv + 2);
    fputs(usage, stderr);
    return 2;
}
