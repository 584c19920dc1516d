/*
 * The allocation sampler's overhead benchmark, driven by tests/bench/run_alloc,
 * which runs every mode in fresh processes with and without
 * LD_PRELOAD=libhearth.so, interleaved, and takes medians. `pairs` times
 * malloc(size)+free loops on 1 or 2 threads: the issue's target is at most
 * 10 ns added per pair at the default rate (one sample per 512 KiB, so one
 * pair in 128 at 4096 bytes takes the sampled path). `churn` allocates from
 * up to 65,536 distinct call stacks into a live working set for as long as
 * asked and prints time, resident memory and the cost of a free() per phase:
 * the sampler's own memory must stay under 32 MiB whatever the run length.
 * `forks` times fork() with a child that exits or execs at once (no target:
 * what the sampler's fork handlers add to a service that forks).
 * `gen-sql` writes the SQL workload run through Debian's sqlite3, `gen-text`
 * the text perl chews on, and `time-cmd` times one command and reports its
 * peak RSS. Every input comes from a fixed-seed PRNG, so runs with and
 * without the sampler do the same work.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_NAME "bench_alloc"
#include "benchlib.h"

/* --- deterministic PRNG (splitmix64) --- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Log-uniform in [lo, hi]: as many 16-31 byte blocks as 2048-4095 ones,
 * roughly the shape of a C or C++ program's allocation sizes. */
static size_t log_uniform(uint64_t *s, double lo, double hi)
{
    double u = (double)(rng_next(s) >> 11) / 9007199254740992.0;
    return (size_t)exp(log(lo) + u * (log(hi) - log(lo)));
}

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- pairs: malloc(size) + free loops --- */

#define MIXED_SIZES 4096 /* a power of two */

typedef struct pair_job {
    size_t size;          /* 0 = mixed: walk `mixed` */
    const size_t *mixed;
    long iters;
    int depth;            /* extra frames between the thread and the loop */
    pthread_barrier_t *start;
    int64_t cpu_ns, wall_ns;
} pair_job;

__attribute__((noinline)) static void pair_loop(const pair_job *j, long n)
{
    if (j->size) {
        size_t size = j->size;
        for (long i = 0; i < n; i++) {
            void *p = malloc(size);
            /* The block escapes, so the compiler cannot drop the pair. */
            __asm__ volatile("" : : "r"(p) : "memory");
            free(p);
        }
    } else {
        const size_t *sizes = j->mixed;
        for (long i = 0; i < n; i++) {
            void *p = malloc(sizes[i & (MIXED_SIZES - 1)]);
            __asm__ volatile("" : : "r"(p) : "memory");
            free(p);
        }
    }
}

/* Calls pair_loop under `depth` more frames, so that the sampled path
 * unwinds a stack as deep as a real program's. */
__attribute__((noinline)) static int descend(const pair_job *j, long n, int depth)
{
    if (depth <= 0) {
        pair_loop(j, n);
        return 0;
    }
    int r = descend(j, n, depth - 1);
    __asm__ volatile("" : "+r"(r)); /* not a tail call: the frame stays */
    return r + 1;
}

/* Seconds the warm-up lasts at least (environment BENCH_WARMUP_S): the
 * sampler's one-time set-up, its unwind table built on its own thread
 * after its 1,024th sample, must be over before the timed loop when the
 * loop is to measure the steady state. */
static double warmup_s(void)
{
    const char *v = getenv("BENCH_WARMUP_S");
    return v ? atof(v) : 0;
}

static void *pair_thread(void *arg)
{
    pair_job *j = arg;
    /* Warm the allocator's per-thread caches and the sampler's state. */
    int64_t until = clock_ns(CLOCK_MONOTONIC) + (int64_t)(warmup_s() * 1e9);
    do
        descend(j, j->iters / 16 + 1, j->depth);
    while (clock_ns(CLOCK_MONOTONIC) < until);
    pthread_barrier_wait(j->start);
    int64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), w0 = clock_ns(CLOCK_MONOTONIC);
    descend(j, j->iters, j->depth);
    j->wall_ns = clock_ns(CLOCK_MONOTONIC) - w0;
    j->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
    return NULL;
}

/*
 * pairs THREADS SIZE|mixed ITERS [DEPTH [LIVE_MIB]]: every thread runs ITERS
 * pairs after a warm-up of ITERS/16 pairs, repeated until BENCH_WARMUP_S
 * seconds have passed. With LIVE_MIB, that many MiB stay allocated
 * in blocks of 64 B to 64 KiB during the loop, as in a service that holds
 * memory; under the sampler a few of those blocks are sampled, so every
 * free() looks in the live-sample set instead of stopping at its empty
 * count. Prints "CPU_NS_PER_PAIR WALL_NS_PER_PAIR": thread CPU time per
 * pair averaged over the threads (what the sampler adds; a neighbour's load
 * on a shared machine moves it little), and the slowest thread's wall time
 * per pair.
 */
static int cmd_pairs(int argc, char **argv)
{
    int threads = atoi(argv[0]);
    int mixed = !strcmp(argv[1], "mixed");
    long size = mixed ? 0 : atol(argv[1]);
    long iters = atol(argv[2]);
    int depth = argc > 3 ? atoi(argv[3]) : 0;
    long live_mib = argc > 4 ? atol(argv[4]) : 0;
    if (threads < 1 || threads > 64 || (!mixed && size < 1) || iters < 1 || depth < 0 ||
        depth > 1000 || live_mib < 0) {
        fprintf(stderr, "bench_alloc: pairs: bad arguments\n");
        return 2;
    }
    static size_t sizes[MIXED_SIZES];
    uint64_t seed = 0x616c6c6f63000001ull;
    for (int i = 0; i < MIXED_SIZES; i++)
        sizes[i] = log_uniform(&seed, 16, 4096);

    void **live = NULL;
    size_t n_live = 0;
    if (live_mib) {
        size_t want = (size_t)live_mib << 20, got = 0, cap = 1024;
        live = malloc(cap * sizeof *live);
        while (live && got < want) {
            if (n_live == cap) {
                void **nl = realloc(live, 2 * cap * sizeof *live);
                if (!nl)
                    break;
                live = nl;
                cap *= 2;
            }
            size_t n = log_uniform(&seed, 64, 65536);
            if (!(live[n_live] = malloc(n)))
                break;
            memset(live[n_live++], 1, n);
            got += n;
        }
    }

    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    pair_job jobs[64];
    pthread_t th[64];
    for (int i = 0; i < threads; i++) {
        jobs[i] = (pair_job){(size_t)size, sizes, iters, depth, &start, 0, 0};
        if (pthread_create(&th[i], NULL, pair_thread, &jobs[i])) {
            fprintf(stderr, "bench_alloc: pthread_create failed\n");
            return 1;
        }
    }
    double cpu = 0, wall = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        cpu += (double)jobs[i].cpu_ns / (double)iters / threads;
        if ((double)jobs[i].wall_ns / (double)iters > wall)
            wall = (double)jobs[i].wall_ns / (double)iters;
    }
    for (size_t i = 0; i < n_live; i++)
        free(live[i]);
    free(live);
    printf("%.3f %.3f\n", cpu, wall);
    return 0;
}

/* --- churn: many distinct stacks, a live working set, a long run --- */

/*
 * 16 functions that call each other four levels deep, picked by the bits
 * of `path`: 65,536 distinct call stacks (HEARTH_MAX_STACKS at the default),
 * times ~40 size classes, so the sampler's stack table fills up as it would
 * in a large service. Each function differs by its constant so that the
 * compiler cannot fold them into one.
 */
typedef void *(*churn_fn)(unsigned path, int level, size_t size);
static churn_fn churn_fns[16];

#define CHURN_FN(N)                                                           \
    __attribute__((noinline, noclone)) static void *churn_##N(unsigned path,  \
                                                              int level,      \
                                                              size_t size)    \
    {                                                                         \
        void *p;                                                              \
        if (level == 0) {                                                     \
            p = malloc(size);                                                 \
            if (p)                                                            \
                ((volatile unsigned char *)p)[0] = (unsigned char)(N);        \
        } else {                                                              \
            p = churn_fns[path & 15](path >> 4, level - 1, size);             \
        }                                                                     \
        __asm__ volatile("" : "+r"(p)); /* keep this frame: no tail call */   \
        return p;                                                             \
    }
CHURN_FN(0) CHURN_FN(1) CHURN_FN(2) CHURN_FN(3) CHURN_FN(4) CHURN_FN(5)
CHURN_FN(6) CHURN_FN(7) CHURN_FN(8) CHURN_FN(9) CHURN_FN(10) CHURN_FN(11)
CHURN_FN(12) CHURN_FN(13) CHURN_FN(14) CHURN_FN(15)

static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t n = strlen(key);
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, n) && line[n] == ':') {
            kb = atol(line + n + 1);
            break;
        }
    fclose(f);
    return kb;
}

/*
 * churn PHASES OPS [SLOTS [LEVELS]]: keeps SLOTS (default 8192) blocks of
 * 16 B to 64 KiB allocated (about 65 MB) and replaces a random one OPS times
 * per phase, each from a random one of 16^LEVELS stacks (LEVELS 1 to 4,
 * default 4: 65,536 stacks); at the default rate about one replacement in 70
 * is sampled. After each phase it times 1,000,000 free+malloc(64) pairs over
 * a ring of 4,096 blocks (thread CPU time): every free() of the service
 * looks its address up in the sampler's live-sample set, and this shows
 * what that costs, over many addresses, once the sampler has seen a long
 * run. It prints "PHASE NS_PER_OP NS_PER_PAIR VMRSS_KB VMHWM_KB". The same
 * seed every run, so a run under the sampler does exactly the work of a run
 * without it, phase by phase.
 */
#define RING 4096

static int cmd_churn(int argc, char **argv)
{
    long phases = atol(argv[0]), ops = atol(argv[1]);
    long n_slots = argc > 2 ? atol(argv[2]) : 8192;
    int levels = argc > 3 ? atoi(argv[3]) : 4;
    if (phases < 1 || ops < 1 || n_slots < 1 || levels < 1 || levels > 4) {
        fprintf(stderr, "bench_alloc: churn: bad arguments\n");
        return 2;
    }
    churn_fn fns[16] = {churn_0, churn_1, churn_2, churn_3, churn_4, churn_5,
                        churn_6, churn_7, churn_8, churn_9, churn_10, churn_11,
                        churn_12, churn_13, churn_14, churn_15};
    memcpy(churn_fns, fns, sizeof fns);
    void **slots = calloc((size_t)n_slots, sizeof *slots);
    static void *ring[RING];
    if (!slots)
        return 1;
    for (int i = 0; i < RING; i++)
        ring[i] = malloc(64);
    uint64_t seed = 0x636875726e000001ull;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (long ph = 1; ph <= phases; ph++) {
        int64_t t0 = clock_ns(CLOCK_MONOTONIC);
        for (long i = 0; i < ops; i++) {
            uint64_t r = rng_next(&seed);
            size_t k = (size_t)(r % (uint64_t)n_slots);
            unsigned path = (unsigned)(r >> 40) & 0xffff;
            free(slots[k]);
            slots[k] = churn_fns[path & 15](path >> 4, levels - 1, log_uniform(&seed, 16, 65536));
        }
        int64_t t1 = clock_ns(CLOCK_MONOTONIC);
        const long pairs = 1000000;
        int64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        for (long i = 0; i < pairs; i++) {
            free(ring[i & (RING - 1)]);
            ring[i & (RING - 1)] = malloc(64);
            __asm__ volatile("" : : : "memory");
        }
        int64_t c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        printf("%ld %.2f %.3f %ld %ld\n", ph, (double)(t1 - t0) / (double)ops,
               (double)(c1 - c0) / (double)pairs, status_kb("VmRSS"),
               status_kb("VmHWM"));
    }
    for (long i = 0; i < n_slots; i++)
        free(slots[i]);
    for (int i = 0; i < RING; i++)
        free(ring[i]);
    free(slots);
    return 0;
}

/* --- gen-sql: the sqlite3 workload --- */

static const char *const words[] = {
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
    "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa",
    "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey",
    "xray", "yankee", "zulu", "amber", "basalt", "cobalt", "dune", "ember",
    "fjord", "granite", "harbor", "iris", "jade", "kelp", "lagoon", "meadow",
    "nectar", "orchid", "prairie", "quartz", "reef", "summit", "tundra",
    "umber", "valley", "willow", "yarrow",
};
#define N_WORDS (sizeof words / sizeof *words)

static void put_words(FILE *f, uint64_t *s, int n, char sep)
{
    for (int i = 0; i < n; i++) {
        if (i)
            fputc(sep, f);
        fputs(words[rng_next(s) % N_WORDS], f);
    }
}

/*
 * gen-sql ROWS: a table of ROWS rows with text columns inserted one
 * statement at a time (the shell parses and prepares each: most of
 * sqlite's malloc traffic), then indexes, GROUP BYs with string functions,
 * a self-join, an UPDATE with replace(), a DELETE and a CREATE TABLE AS.
 * Everything runs in memory; the output is a few hundred lines.
 */
static int cmd_gen_sql(int argc, char **argv)
{
    long rows = atol(argv[0]);
    (void)argc;
    if (rows < 1) {
        fprintf(stderr, "bench_alloc: gen-sql: bad row count\n");
        return 2;
    }
    uint64_t s = 0x73716c0000000001ull;
    FILE *f = stdout;
    fputs("CREATE TABLE person(id INTEGER PRIMARY KEY, name TEXT, city TEXT,\n"
          "  email TEXT, note TEXT, score INTEGER, balance REAL);\n"
          "CREATE TABLE city(name TEXT PRIMARY KEY, region TEXT);\n"
          "BEGIN;\n", f);
    for (size_t i = 0; i < N_WORDS; i++)
        fprintf(f, "INSERT INTO city VALUES('%s-%s', '%s');\n", words[i],
                words[(i * 7) % N_WORDS], words[(i * 3) % 5]);
    for (long i = 1; i <= rows; i++) {
        fprintf(f, "INSERT INTO person(name, city, email, note, score, balance) VALUES('");
        put_words(f, &s, 2, ' ');
        uint64_t c = rng_next(&s) % N_WORDS;
        fprintf(f, " %ld', '%s-%s', '", i, words[c], words[(c * 7) % N_WORDS]);
        put_words(f, &s, 1, '.');
        fprintf(f, "%lu@", (unsigned long)(rng_next(&s) % 100000));
        put_words(f, &s, 1, '.');
        fputs(".example', '", f);
        put_words(f, &s, 3 + (int)(rng_next(&s) % 12), ' ');
        fprintf(f, "', %lu, %lu.%02lu);\n", (unsigned long)(rng_next(&s) % 1000),
                (unsigned long)(rng_next(&s) % 100000), (unsigned long)(rng_next(&s) % 100));
    }
    fputs("COMMIT;\n"
          "CREATE INDEX person_city ON person(city, score);\n"
          "CREATE INDEX person_name ON person(name);\n"
          "SELECT city, count(*), sum(score), avg(length(note)), max(upper(name))\n"
          "  FROM person GROUP BY city ORDER BY 2 DESC, 1;\n"
          "SELECT c.region, count(*), group_concat(DISTINCT substr(p.email, 1, 3))\n"
          "  FROM person p JOIN city c ON c.name = p.city GROUP BY c.region ORDER BY 1;\n"
          "SELECT substr(name, 1, instr(name, ' ') - 1) AS first, count(*),\n"
          "  min(lower(city)), max(length(replace(note, ' ', '')))\n"
          "  FROM person GROUP BY first ORDER BY 2 DESC, 1;\n"
          "UPDATE person SET note = replace(note, 'a', 'AA') || ' (' || upper(city) || ')'\n"
          "  WHERE score % 3 = 0;\n"
          "SELECT count(*), sum(length(note)) FROM person WHERE note LIKE '%AA%zulu%';\n"
          "CREATE TABLE tally AS SELECT city, substr(email, instr(email, '@') + 1) AS host,\n"
          "  count(*) AS n, sum(balance) AS total FROM person GROUP BY 1, 2;\n"
          "SELECT host, count(*), printf('%.2f', sum(total)) FROM tally GROUP BY host\n"
          "  ORDER BY 3 DESC LIMIT 20;\n"
          "SELECT a.city, count(*) FROM person a JOIN person b\n"
          "  ON b.city = a.city AND b.score = a.score AND b.id > a.id\n"
          "  GROUP BY a.city ORDER BY 2 DESC LIMIT 10;\n"
          "DELETE FROM person WHERE score % 5 = 0;\n"
          "SELECT count(*), count(DISTINCT name), total(balance) FROM person;\n", f);
    return ferror(f) ? 1 : 0;
}

/* --- gen-text: input for the perl job --- */

/* gen-text LINES: log-like lines of words, numbers and key=value pairs. */
static int cmd_gen_text(int argc, char **argv)
{
    long lines = atol(argv[0]);
    (void)argc;
    if (lines < 1) {
        fprintf(stderr, "bench_alloc: gen-text: bad line count\n");
        return 2;
    }
    uint64_t s = 0x7465787400000001ull;
    for (long i = 0; i < lines; i++) {
        uint64_t r = rng_next(&s);
        printf("2026-11-%02lu %02lu:%02lu:%02lu host%lu %s[%lu]: ", 1 + r % 28,
               (r >> 8) % 24, (r >> 16) % 60, (r >> 24) % 60, (r >> 32) % 16,
               words[(r >> 40) % 8], (r >> 44) % 30000);
        put_words(stdout, &s, 2 + (int)(rng_next(&s) % 10), ' ');
        printf(" user=%s%lu status=%lu bytes=%lu\n", words[rng_next(&s) % N_WORDS],
               (unsigned long)(rng_next(&s) % 500), 200 + (unsigned long)(rng_next(&s) % 4) * 100,
               (unsigned long)(rng_next(&s) % 1000000));
    }
    return ferror(stdout) ? 1 : 0;
}

/* --- time-cmd --- */

/*
 * time-cmd [-i STDIN] CMD [ARGS...]: runs CMD with stdout on /dev/null and
 * prints "WALL_NS MAXRSS_KB CPU_NS": wall time from fork to exit, the peak
 * resident set of the child and the descendants it waited for, and their
 * user + system CPU time (wait4). On a loaded machine CPU time moves much
 * less than wall time, which includes the time spent waiting for a CPU.
 */
static int cmd_time(char **argv)
{
    const char *in = NULL;
    if (argv[0] && !strcmp(argv[0], "-i") && argv[1]) {
        in = argv[1];
        argv += 2;
    }
    if (!argv[0]) {
        fprintf(stderr, "bench_alloc: time-cmd: no command\n");
        return 2;
    }
    int64_t wall;
    struct rusage ru;
    if (bench_spawn(argv, in, &wall, &ru))
        return 1;
    int64_t cpu_ns = ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
                     ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
    printf("%lld %ld %lld\n", (long long)wall, ru.ru_maxrss, (long long)cpu_ns);
    return 0;
}

/*
 * forks N [exec]: N rounds of fork, a child that calls _exit(0) at once (or
 * execs /bin/true with an empty environment, so that the new program runs
 * without the sampler and only the fork is ours), and waitpid; prints the
 * mean wall microseconds per round. The parent first keeps 16 MiB in 256
 * blocks, so that a fork copies a heap's page tables.
 */
static int cmd_forks(int argc, char **argv)
{
    long n = atol(argv[0]);
    int exec = argc > 1 && !strcmp(argv[1], "exec");
    if (argc > 1 && !exec) {
        fprintf(stderr, "bench_alloc: forks: the second argument can only be exec: %s\n", argv[1]);
        return 2;
    }
    if (n <= 0) {
        fprintf(stderr, "bench_alloc: forks: not a positive count: %s\n", argv[0]);
        return 2;
    }
    static void *keep[256];
    for (int i = 0; i < 256; i++) {
        keep[i] = malloc(64 << 10);
        if (!keep[i])
            return 1;
        memset(keep[i], 1, 64 << 10);
    }
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("bench_alloc: fork");
            return 1;
        }
        if (pid == 0) {
            if (exec) {
                char *av[] = {"/bin/true", NULL}, *ev[] = {NULL};
                execve(av[0], av, ev);
            }
            _exit(exec ? 127 : 0);
        }
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "bench_alloc: forks: child %d failed\n", (int)pid);
            return 1;
        }
    }
    printf("%.1f\n", (double)(bench_now_ns() - t0) / (double)n / 1e3);
    return 0;
}

static const char usage[] =
    "usage: bench_alloc pairs THREADS SIZE|mixed ITERS [DEPTH [LIVE_MIB]]\n"
    "       bench_alloc churn PHASES OPS [SLOTS [LEVELS]]\n"
    "       bench_alloc gen-sql ROWS\n"
    "       bench_alloc gen-text LINES\n"
    "       bench_alloc time-cmd [-i STDIN] CMD [ARGS...]\n"
    "       bench_alloc forks N [exec]\n"
    "pairs prints CPU and wall ns per malloc+free pair; churn prints\n"
    "\"PHASE NS_PER_OP NS_PER_PAIR VMRSS_KB VMHWM_KB\" per phase; gen-* write a workload\n"
    "to stdout; time-cmd prints wall ns, peak RSS in KiB and CPU ns; forks prints\n"
    "microseconds per fork and wait.\n";

int main(int argc, char **argv)
{
    if (argc >= 5 && !strcmp(argv[1], "pairs"))
        return cmd_pairs(argc - 2, argv + 2);
    if (argc >= 4 && !strcmp(argv[1], "churn"))
        return cmd_churn(argc - 2, argv + 2);
    if (argc == 3 && !strcmp(argv[1], "gen-sql"))
        return cmd_gen_sql(argc - 2, argv + 2);
    if (argc == 3 && !strcmp(argv[1], "gen-text"))
        return cmd_gen_text(argc - 2, argv + 2);
    if ((argc == 3 || argc == 4) && !strcmp(argv[1], "forks"))
        return cmd_forks(argc - 2, argv + 2);
    if (argc >= 3 && !strcmp(argv[1], "time-cmd"))
        return cmd_time(argv + 2);
    fputs(usage, stderr);
    return 2;
}
