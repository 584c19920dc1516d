/*
 * The flame graph benchmark behind `make bench` (driven by tests/bench/run).
 * `gen-folded` writes the flame-graph issue's folded input: 200,000 distinct
 * stacks, mean depth 30 (5 to 55), about 5,000 function names (C, kernel,
 * C++, Java and Go, as perf and async-profiler print them, ~24 bytes on
 * average), about 150 MB. Stacks are grown from a call graph the way
 * bench_pprof grows its call tree, so they share prefixes as real ones do,
 * and the lines come out in walk order, not sorted: the reader must not
 * depend on neighbouring lines sharing prefixes. Every choice comes from a
 * fixed-seed PRNG, so every machine benchmarks the same bytes. `time-cmd`
 * runs one command and prints its wall time and peak RSS, which the script
 * interleaves with `wc -l` and `gzip -dc` to measure the targets as ratios
 * on a shared, noisy machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* --- shape of the generated file --- */

#define GEN_STACKS 200000
#define GEN_FUNCTIONS 5000
#define GEN_ENTRY_FUNCTIONS 16   /* thread entry points */
#define GEN_HOT_FUNCTIONS 600    /* library code called from everywhere */
#define GEN_MIN_DEPTH 5
#define GEN_MAX_DEPTH 55
#define GEN_MAX_CALLEES 8
#define GEN_SEED 0x666c616d65000001ull

#define BENCH_NAME "bench_flame"
#define BENCH_SEED GEN_SEED
#include "benchlib.h"

/* --- names, as stackcollapse-perf.pl and async-profiler print them --- */

static const char *const c_prefixes[] = {
    "tcp_", "ext4_", "do_", "__x64_sys_", "mem", "ngx_http_", "pg_", "ssl3_",
    "ep_", "sock_", "vfs_", "blk_mq_", "json_", "zstd_", "lz4_", "redis",
    "sqlite3", "btree_", "hash_", "evbuffer_", "uv__", "ares_",
};
static const char *const c_words[] = {
    "read", "write", "send", "recv", "alloc", "free", "lookup", "insert",
    "flush", "poll", "wait", "copy", "parse", "encode", "decode", "commit",
    "scan", "merge", "split", "handle", "process", "dispatch", "compress",
    "update", "open", "close", "init", "finish", "queue", "submit",
};
static const char *const c_suffixes[] = {
    "", "", "", "_msg", "_page", "_iter", "_locked", "_slow", "_fast", "_v2",
    "_internal", "_one", "_all",
};
static const char *const cc_namespaces[] = {
    "acme::rpc", "acme::store", "std", "absl", "folly", "rocksdb", "grpc",
    "boost::asio",
};
static const char *const cc_classes[] = {
    "Server", "Table", "Arena", "Channel", "Codec", "Cache", "Batch",
    "Reactor", "Stream", "Buffer", "Pool", "Index",
};
static const char *const java_packages[] = {
    "org/apache/kafka/clients", "io/netty/channel", "java/util/concurrent",
    "com/acme/orders", "org/springframework/web", "java/lang",
    "io/grpc/internal", "com/fasterxml/jackson/core",
};
static const char *const go_packages[] = {
    "main", "net/http", "runtime", "encoding/json", "github.com/acme/api",
    "google.golang.org/grpc", "database/sql", "bufio",
};

static void cap_first(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
    if (dst[0] >= 'a' && dst[0] <= 'z')
        dst[0] = (char)(dst[0] - 32);
}

static void gen_name(char *out, size_t cap, uint32_t salt)
{
    char w[32];
    uint32_t r = rng_below(100);
    if (r < 33) {          /* C, user space */
        snprintf(out, cap, "%s%s_%s%s", PICK(c_prefixes), PICK(c_words),
                 PICK(c_words), PICK(c_suffixes));
    } else if (r < 47) {   /* kernel, annotated as stackcollapse-perf does */
        snprintf(out, cap, "%s%s%s_[k]", PICK(c_prefixes), PICK(c_words),
                 PICK(c_suffixes));
    } else if (r < 70) {   /* C++ */
        cap_first(w, sizeof w, PICK(c_words));
        snprintf(out, cap, "%s::%s::%s", PICK(cc_namespaces), PICK(cc_classes),
                 w);
    } else if (r < 86) {   /* Java */
        cap_first(w, sizeof w, PICK(c_words));
        snprintf(out, cap, "%s/%s%s.%s", PICK(java_packages), PICK(cc_classes),
                 w, PICK(c_words));
    } else {               /* Go */
        cap_first(w, sizeof w, PICK(c_words));
        snprintf(out, cap, "%s.(*%s).%s", PICK(go_packages), PICK(cc_classes),
                 w);
    }
    if (salt) {
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%u", salt);
    }
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* --- the call graph and the call tree grown from it --- */

typedef struct gen_fn {
    char name[96];
    uint32_t callee[GEN_MAX_CALLEES];
    uint32_t n_callee;
} gen_fn;

typedef struct gen_node {
    uint32_t fn;
    uint32_t first_child;    /* node index, 0 = none */
    uint32_t next_sibling;
    uint32_t taken;          /* times a walk stepped into this node */
    uint32_t down;           /* times a walk stepped on from it */
    uint32_t ended;          /* 1 if a stack ends here */
} gen_node;

typedef struct gen {
    gen_fn *fns;
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

static void gen_model(gen *g)
{
    static const char *const entries[GEN_ENTRY_FUNCTIONS] = {
        "[unknown]", "start_thread", "__libc_start_main", "_start",
        "java/lang/Thread.run", "runtime.goexit", "ret_from_fork_[k]",
        "entry_SYSCALL_64_after_hwframe_[k]", "clone3", "worker_thread_[k]",
        "main", "uv_run", "ngx_worker_process_cycle", "PostgresMain",
        "thread_start", "io_uring_sqpoll_[k]",
    };
    g->fns = xcalloc(GEN_FUNCTIONS, sizeof *g->fns);
    size_t cap = 16384;
    uint32_t *seen = xcalloc(cap, sizeof *seen); /* function index + 1 */
    for (uint32_t f = 0; f < GEN_FUNCTIONS; f++) {
        for (uint32_t salt = 0;; salt++) {
            if (f < GEN_ENTRY_FUNCTIONS)
                snprintf(g->fns[f].name, sizeof g->fns[f].name, "%s", entries[f]);
            else
                gen_name(g->fns[f].name, sizeof g->fns[f].name, salt);
            size_t h = hash_str(g->fns[f].name) & (cap - 1);
            while (seen[h] && strcmp(g->fns[seen[h] - 1].name, g->fns[f].name))
                h = (h + 1) & (cap - 1);
            if (!seen[h]) {
                seen[h] = f + 1;
                break;
            }
        }
        /* Direct calls mostly; dispatchers fan out. */
        uint32_t r = rng_below(100);
        g->fns[f].n_callee = r < 50 ? 2 : r < 80 ? 4 : GEN_MAX_CALLEES;
        for (uint32_t k = 0; k < g->fns[f].n_callee; k++)
            g->fns[f].callee[k] = gen_hot_or_any_function();
    }
    free(seen);
}

static uint32_t gen_new_node(gen *g, uint32_t fn)
{
    if (g->n_nodes == g->cap_nodes) {
        g->cap_nodes = g->cap_nodes ? g->cap_nodes * 2 : 1 << 16;
        g->nodes = realloc(g->nodes, g->cap_nodes * sizeof *g->nodes);
        if (!g->nodes) {
            fprintf(stderr, "bench_flame: out of memory\n");
            exit(1);
        }
    }
    gen_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->fn = fn;
    return (uint32_t)g->n_nodes++;
}

/* One step down the call tree, Chinese-restaurant style (see bench_pprof):
 * an existing child in proportion to its visits, or with weight alpha one
 * of the function's callees, new or not. */
static uint32_t gen_step(gen *g, uint32_t node, int depth, int tries)
{
    double alpha = (depth < 2 ? 0.1 : depth < 8 ? 0.3 : 0.6) * (1 + tries);
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
        uint32_t fn;
        if (node == 0) {
            fn = rng_below(GEN_ENTRY_FUNCTIONS);
        } else {
            const gen_fn *f = &g->fns[n->fn];
            fn = f->callee[rng_below(f->n_callee)];
        }
        for (child = n->first_child; child; child = g->nodes[child].next_sibling)
            if (g->nodes[child].fn == fn)
                break;
        if (!child) {
            child = gen_new_node(g, fn);
            n = &g->nodes[node]; /* gen_new_node may move the array */
            g->nodes[child].next_sibling = n->first_child;
            n->first_child = child;
        }
    }
    g->nodes[node].down++;
    g->nodes[child].taken++;
    return child;
}

static int cmd_gen_folded(const char *out)
{
    gen g;
    memset(&g, 0, sizeof g);
    gen_model(&g);
    gen_new_node(&g, UINT32_MAX); /* the root above every entry point */

    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        fprintf(stderr, "bench_flame: %s: %s\n", tmp, strerror(errno));
        return 1;
    }
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    uint32_t path[GEN_MAX_DEPTH];
    uint64_t frames = 0, bytes = 0, total = 0;
    for (uint32_t s = 0; s < GEN_STACKS; s++) {
        /* Depth 5..55, centred on 30 (sum of three uniforms). */
        double u = (rng_unit() + rng_unit() + rng_unit()) / 3.0;
        int depth = GEN_MIN_DEPTH +
                    (int)(u * (GEN_MAX_DEPTH - GEN_MIN_DEPTH + 1));
        if (depth > GEN_MAX_DEPTH)
            depth = GEN_MAX_DEPTH;
        /* Every stack is distinct: walk again until it is new, leaving the
         * beaten path more readily each time, and one frame deeper every
         * 20 walks (short stacks of a call graph run out). */
        uint32_t node = 0;
        int tries;
        for (tries = 0; tries == 0 || (g.nodes[node].ended && tries < 1000);
             tries++) {
            if (tries && tries % 20 == 0 && depth < GEN_MAX_DEPTH)
                depth++;
            node = 0;
            for (int d = 0; d < depth; d++) {
                node = gen_step(&g, node, d, tries);
                path[d] = g.nodes[node].fn;
            }
        }
        if (g.nodes[node].ended) {
            fprintf(stderr, "bench_flame: no new stack after %d walks\n", tries);
            return 1;
        }
        g.nodes[node].ended = 1;
        /* Sample counts: mostly small, a long tail, as perf's are. */
        uint64_t count = 1 + (uint64_t)(-log(1.0 - rng_unit()) * 4.0);
        if (rng_below(100) == 0)
            count *= 100;
        for (int d = 0; d < depth; d++) {
            if (d)
                putc(';', f);
            fputs(g.fns[path[d]].name, f);
            bytes += strlen(g.fns[path[d]].name) + (d != 0);
        }
        bytes += (uint64_t)fprintf(f, " %llu\n", (unsigned long long)count);
        frames += (uint64_t)depth;
        total += count;
    }
    int bad = ferror(f) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, out) != 0) {
        fprintf(stderr, "bench_flame: %s: %s\n", out, strerror(errno));
        remove(tmp);
        return 1;
    }
    printf("%s: %u stacks, %llu frames (mean depth %.1f), %u function names, "
           "%zu call-tree nodes, total count %llu, %.1f MB\n", out, GEN_STACKS,
           (unsigned long long)frames, (double)frames / GEN_STACKS,
           GEN_FUNCTIONS, g.n_nodes - 1, (unsigned long long)total,
           (double)bytes / 1e6);
    free(g.fns);
    free(g.nodes);
    return 0;
}

/* --- timing --- */

/*
 * Runs argv with stdout on /dev/null (or stdin from a file with `-i FILE`
 * before the command) and prints "WALL_NS MAXRSS_KB": the wall time from
 * fork to exit, and the child's peak resident set (wait4).
 */
static int cmd_time(char **argv)
{
    const char *in = NULL;
    if (argv[0] && !strcmp(argv[0], "-i") && argv[1]) {
        in = argv[1];
        argv += 2;
    }
    if (!argv[0]) {
        fprintf(stderr, "bench_flame: time-cmd: no command\n");
        return 2;
    }
    int64_t wall;
    struct rusage ru;
    if (bench_spawn(argv, in, &wall, &ru))
        return 1;
    printf("%lld %ld\n", (long long)wall, ru.ru_maxrss);
    return 0;
}

static const char usage[] =
    "usage: bench_flame gen-folded OUT\n"
    "       bench_flame time-cmd [-i STDIN] CMD [ARGS...]\n"
    "gen-folded writes the benchmark's folded stacks (200,000 distinct\n"
    "stacks, ~150 MB); time-cmd runs CMD with stdout discarded and prints\n"
    "its wall time in nanoseconds and its peak RSS in KiB.\n";

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "gen-folded") == 0)
        return cmd_gen_folded(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "time-cmd") == 0)
        return cmd_time(argv + 2);
    fputs(usage, stderr);
    return 2;
}
