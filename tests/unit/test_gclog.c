/*
 * The GC log importers on lines as the runtimes print them: Go's gctrace
 * (with and without stacks/globals, forced, after other output) and the
 * JVM's unified logging (G1, Parallel, ZGC, Shenandoah shapes; decorations
 * in any order, including none).
 */
#include "../../formats/error.h"
#include "../../formats/timeline.h"
#include "../test.h"

static int go(timeline_gc *g, const char *line)
{
    return gclog_go_parse_line(g, line, strlen(line));
}

TEST(test_gclog__go_line_with_every_field)
{
    timeline_gc g;
    REQUIRE(go(&g, "gc 7 @1.234s 3%: 0.011+1.2+0.020 ms clock, 0.045+0.3/1.1/0.2+0.08 ms cpu, "
                   "4->5->2 MB, 6 MB goal, 1 MB stacks, 0 MB globals, 8 P (forced)") == 1);
    CHECK_EQ_INT(g.id, 7);
    CHECK(g.t_s == 1.234);
    CHECK_EQ_INT(g.percent, 3);
    CHECK(g.stw1_ms == 0.011 && g.concurrent_ms == 1.2 && g.stw2_ms == 0.020);
    CHECK(g.pause_ms == 0.011 + 0.020);
    CHECK_EQ_INT(g.heap_before, 4 << 20);
    CHECK_EQ_INT(g.heap_after, 5 << 20);
    CHECK_EQ_INT(g.heap_live, 2 << 20);
    CHECK_EQ_INT(g.heap_goal, 6 << 20);
    CHECK_EQ_INT(g.stacks, 1 << 20);
    CHECK_EQ_INT(g.globals, 0);
    CHECK_EQ_INT(g.procs, 8);
    CHECK(g.forced);
}

TEST(test_gclog__go_old_format_and_text_before_the_record)
{
    timeline_gc g;
    REQUIRE(go(&g, "server: listening... gc 12 @30.5s 1%: 0.1+2+0.05 ms clock, 0.4+0.1/1/3+0.2 ms cpu, "
                   "120->130->60 MB, 125 MB goal, 4 P") == 1);
    CHECK_EQ_INT(g.id, 12);
    CHECK_EQ_INT(g.stacks, -1);
    CHECK_EQ_INT(g.procs, 4);
    CHECK(!g.forced);
    CHECK_EQ_INT(g.heap_live, 60ll << 20);
    CHECK_EQ_INT(go(&g, "scvg: 0 MB released"), 0);
    CHECK_EQ_INT(go(&g, "gc 1 @0.1s 0%: cut"), 0);
    CHECK_EQ_INT(go(&g, "gcc is a compiler"), 0);
}

static int jvm(timeline_gc *g, int64_t *wall, const char **kind, size_t *kn, const char *line)
{
    bool has_time;
    return gclog_jvm_parse_line(g, wall, &has_time, kind, kn, line, strlen(line));
}

TEST(test_gclog__jvm_shapes)
{
    timeline_gc g;
    int64_t wall;
    const char *k;
    size_t kn;
    REQUIRE(jvm(&g, &wall, &k, &kn, "[0.051s][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 6M->1M(64M) 1.172ms") == 1);
    CHECK(g.t_s == 0.051);
    CHECK_EQ_INT(g.id, 0);
    CHECK_EQ_INT(g.heap_before, 6 << 20);
    CHECK_EQ_INT(g.heap_after, 1 << 20);
    CHECK_EQ_INT(g.heap_capacity, 64 << 20);
    CHECK(g.pause_ms == 1.172);
    CHECK(kn == strlen("Pause Young (Normal) (G1 Evacuation Pause)") && !memcmp(k, "Pause Young", 11));
    REQUIRE(jvm(&g, &wall, &k, &kn, "[2024-01-15T10:20:30.123+0100][info][gc] GC(5) Pause Full (System.gc()) 1023K->512K(2G) 0.25s") == 1);
    CHECK_EQ_INT(wall, 1705310430123000000ll);
    CHECK_EQ_INT(g.heap_before, 1023 * 1024);
    CHECK_EQ_INT(g.heap_capacity, 2ll << 30);
    CHECK(g.pause_ms == 250);
    REQUIRE(jvm(&g, &wall, &k, &kn, "[1795695126189ms][host] GC(3) Garbage Collection (Warmup) 28M(11%)->18M(7%)") == 1);
    CHECK_EQ_INT(wall, 1795695126189000000ll);
    CHECK_EQ_INT(g.heap_after, 18 << 20);
    CHECK_EQ_INT(g.heap_capacity, -1);
    CHECK(g.pause_ms < 0);
    REQUIRE(jvm(&g, &wall, &k, &kn, "[12.5s][info][gc] GC(9) Concurrent cleanup 100M->50M(256M) 0.512ms") == 1);
    CHECK(g.pause_ms < 0 && g.concurrent_ms == 0.512);
    REQUIRE(jvm(&g, &wall, &k, &kn, "GC(2) Pause Remark 20M->20M(256M) 1.000ms") == 1);
    CHECK_EQ_INT(g.id, 2);
    CHECK_EQ_INT(jvm(&g, &wall, &k, &kn, "[0.003s][info][gc] Using G1"), 0);
    CHECK_EQ_INT(jvm(&g, &wall, &k, &kn, "[0.5s][info][gc] GC(4) Concurrent Mark Cycle 12.3ms"), 0);
    CHECK_EQ_INT(jvm(&g, &wall, &k, &kn, "GC(4) Pause Young 6M->1M(64M) soon"), 0);
}

TEST(test_gclog__jvm_log_without_time_is_drawn_by_gc_number)
{
    const char *s = "GC(0) Pause Young (Normal) 6M->1M(64M) 1.0ms\nhello\nGC(1) Pause Young (Normal) 9M->2M(64M) 1.5ms\n";
    timeline *t = NULL;
    REQUIRE(timeline_read(&t, s, strlen(s)) == 0);
    CHECK_EQ_INT(t->source, TIMELINE_JVM);
    CHECK(t->no_time);
    REQUIRE(t->n_gcs == 2);
    CHECK(t->gcs[1].t_s == 1);
    CHECK_EQ_INT(t->skipped_lines, 1);
    CHECK_EQ_INT(t->gcs[1].line, 3);
    timeline_destroy(t);
}

TEST(test_gclog__wall_time_only_is_relative_to_the_first_collection)
{
    const char *s = "[2024-01-15T10:20:30.000+0000][info][gc] GC(0) Pause Young (Normal) 6M->1M(64M) 1.0ms\n"
                    "[2024-01-15T10:20:32.500+0000][info][gc] GC(1) Pause Young (Normal) 9M->2M(64M) 1.5ms\n";
    timeline *t = NULL;
    REQUIRE(timeline_read(&t, s, strlen(s)) == 0);
    CHECK(!t->no_time);
    CHECK(t->gcs[0].t_s == 0 && t->gcs[1].t_s == 2.5);
    CHECK_EQ_INT(t->start_unix_ns, 1705314030000000000ll);
    timeline_destroy(t);
}

TEST(test_gclog__other_text_is_not_a_gc_log)
{
    const char *s = "hello\nworld\n";
    timeline *t = NULL;
    CHECK_EQ_INT(timeline_read(&t, s, strlen(s)), HEARTH_EFORMAT);
    CHECK_CONTAINS(hearth_error_last(), "neither a hearth timeline");
}
