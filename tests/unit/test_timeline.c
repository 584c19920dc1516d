/*
 * The timeline file format: what the writer helpers produce reads back the
 * same; columns are mapped by name; a truncated last line is ignored; bad
 * lines are named; and the trend fit finds a known slope.
 */
#include <math.h>

#include "../../formats/error.h"
#include "../../formats/timeline.h"
#include "../../render/timeline_fit.h"
#include "../test.h"

static size_t header(char *buf, size_t n)
{
    return timeline_format_header(buf, n, 42, 1, 1700000000000000000ll, 0.5, "/usr/bin/my\tservice");
}

TEST(test_timeline__written_lines_read_back_equal)
{
    char buf[8192];
    size_t len = header(buf, sizeof buf);
    REQUIRE(len > 0);
    timeline_tick t = {1.25, {0}};
    for (int i = 0; i < TL_NCOLS; i++)
        t.v[i] = 1000 + i;
    t.v[TL_FDS] = -1;
    len += timeline_format_tick(buf + len, sizeof buf - len, &t);
    len += timeline_format_event(buf + len, sizeof buf - len, 2.5, "mark", "deploy\tv2\nnow \\ \x01");
    timeline *tl = NULL;
    REQUIRE(timeline_read(&tl, buf, len) == 0);
    CHECK_EQ_INT(tl->source, TIMELINE_HEARTH);
    CHECK_EQ_INT(tl->pid, 42);
    CHECK_EQ_INT(tl->ppid, 1);
    CHECK_EQ_INT(tl->start_unix_ns, 1700000000000000000ll);
    CHECK(tl->interval_s == 0.5);
    CHECK_EQ_STR(tl->exe, "/usr/bin/my\tservice");
    REQUIRE(tl->n_ticks == 1);
    CHECK(tl->ticks[0].t_s == 1.25);
    CHECK_EQ_INT(tl->ticks[0].v[TL_HEAP_BYTES], 1000);
    CHECK_EQ_INT(tl->ticks[0].v[TL_CPU_SYS_US], 1000 + TL_CPU_SYS_US);
    CHECK_EQ_INT(tl->ticks[0].v[TL_FDS], -1);
    REQUIRE(tl->n_events == 1);
    CHECK_EQ_STR(tl->events[0].kind, "mark");
    CHECK_EQ_STR(tl->events[0].detail, "deploy\tv2\nnow \\ \x01");
    CHECK(!tl->truncated_last_line);
    timeline_destroy(tl);
}

TEST(test_timeline__truncated_last_line_is_ignored)
{
    const char *s = "hearth-timeline\t1\ncolumn\tt\tseconds\tx\ncolumn\theap_bytes\tbytes\tx\n"
                    "tick\t1.0\t10\ntick\t2.0\t20\ntick\t3.0\t3";
    timeline *tl = NULL;
    REQUIRE(timeline_read(&tl, s, strlen(s)) == 0);
    CHECK_EQ_INT(tl->n_ticks, 2);
    CHECK(tl->truncated_last_line);
    CHECK_EQ_INT(tl->ticks[1].v[TL_HEAP_BYTES], 20);
    CHECK_EQ_INT(tl->ticks[1].v[TL_RSS_BYTES], -1);
    timeline_destroy(tl);
}

TEST(test_timeline__columns_map_by_name_and_unknown_ones_are_skipped)
{
    const char *s = "hearth-timeline\t1\ncolumn\tt\tseconds\tx\ncolumn\tfuture\tcount\tx\n"
                    "column\trss_bytes\tbytes\tx\nfuture_record\tabc\ntick\t1.5\t7\t4096\n";
    timeline *tl = NULL;
    REQUIRE(timeline_read(&tl, s, strlen(s)) == 0);
    REQUIRE(tl->n_ticks == 1);
    CHECK_EQ_INT(tl->ticks[0].v[TL_RSS_BYTES], 4096);
    CHECK_EQ_INT(tl->ticks[0].v[TL_HEAP_BYTES], -1);
    CHECK_EQ_INT(tl->skipped_lines, 1);
    timeline_destroy(tl);
}

TEST(test_timeline__bad_lines_are_named)
{
    static const struct { const char *text, *msg; } cases[] = {
        {"hearth-timeline\t1\ncolumn\tt\ts\tx\ncolumn\theap_bytes\tbytes\tx\ntick\t1.0\t1\t2\n",
         "line 4: tick has 3 values, the header names 2"},
        {"hearth-timeline\t1\ncolumn\tt\ts\tx\ncolumn\theap_bytes\tbytes\tx\ntick\t1.0\tlots\n",
         "line 4: value 2 is not a count"},
        {"hearth-timeline\t1\ntick\t1.0\t1\n", "line 2: tick before the column lines"},
        {"hearth-timeline\t2\n", "line 1: version 2 is newer than this reader's (1)"},
        {"hearth-timeline\t1\ncolumn\tx\ts\tx\n", "line 2: the first column must be t"},
        {"hearth-timeline\t1\ncolumn\tt\ts\tx\ntick\t-1\n", "line 3: bad time \"-1\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        timeline *tl = NULL;
        int rc = timeline_read(&tl, cases[i].text, strlen(cases[i].text));
        CHECK_EQ_INT(rc, HEARTH_EFORMAT);
        CHECK_EQ_STR(hearth_error_last(), cases[i].msg);
        CHECK(tl == NULL);
    }
}

TEST(test_timeline__writer_reports_a_line_that_does_not_fit)
{
    char small[16];
    timeline_tick t = {1, {0}};
    CHECK_EQ_INT(timeline_format_tick(small, sizeof small, &t), 0);
    CHECK_EQ_INT(timeline_format_event(small, sizeof small, 1, "mark", "a long label here"), 0);
}

TEST(test_timeline__fit_finds_a_known_slope)
{
    /* y = 1000 + 250 t with +-40 of alternating noise, 101 ticks. */
    char buf[1 << 16];
    size_t len = header(buf, sizeof buf);
    for (int i = 0; i <= 100; i++) {
        timeline_tick t = {(double)i, {0}};
        for (int c = 0; c < TL_NCOLS; c++)
            t.v[c] = -1;
        t.v[TL_HEAP_BYTES] = 1000 + 250 * i + (i % 2 ? 40 : -40);
        len += timeline_format_tick(buf + len, sizeof buf - len, &t);
    }
    timeline *tl = NULL;
    REQUIRE(timeline_read(&tl, buf, len) == 0);
    tl_fit f;
    REQUIRE(tl_fit_timeline(&f, tl, 0) == 0);
    CHECK(f.ok);
    CHECK_EQ_INT(f.n, 101);
    CHECK(fabs(f.slope - 250) < 1);
    CHECK(f.r2 > 0.99);
    char v[256];
    tl_fit_verdict(v, sizeof v, &f, 0);
    CHECK_EQ_STR(v, "in-use heap grows 878.9 KiB/h over the whole run (100.0 s) (R^2 1.00)");
    /* The last 10 s: 11 points. */
    REQUIRE(tl_fit_timeline(&f, tl, 10) == 0);
    CHECK_EQ_INT(f.n, 11);
    tl_fit_verdict(v, sizeof v, &f, 10);
    CHECK_CONTAINS(v, "over the last 10.0 s");
    timeline_destroy(tl);
}

TEST(test_timeline__flat_series_is_called_flat)
{
    char buf[1 << 14];
    size_t len = header(buf, sizeof buf);
    for (int i = 0; i < 20; i++) {
        timeline_tick t = {(double)i, {0}};
        for (int c = 0; c < TL_NCOLS; c++)
            t.v[c] = -1;
        t.v[TL_HEAP_BYTES] = 5000000 + (i % 3) * 100;
        len += timeline_format_tick(buf + len, sizeof buf - len, &t);
    }
    timeline *tl = NULL;
    REQUIRE(timeline_read(&tl, buf, len) == 0);
    tl_fit f;
    REQUIRE(tl_fit_timeline(&f, tl, 0) == 0);
    char v[256];
    tl_fit_verdict(v, sizeof v, &f, 0);
    CHECK_CONTAINS(v, "in-use heap is flat");
    timeline_destroy(tl);
}
