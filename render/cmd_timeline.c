/*
 * `hearth timeline`: hearth recordings and Go/JVM GC logs on one time axis
 * as an SVG, a text summary of each input's heap trend, or CSV of the
 * parsed records (for spreadsheets, and for tests that check the parsers
 * against the log itself). Inputs are judged by content, like profiles.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"
#include "../formats/pprof.h"
#include "../formats/timeline.h"
#include "cli.h"
#include "timeline_draw.h"
#include "timeline_fit.h"

static const char timeline_usage[] =
    "usage: hearth timeline INPUT... [-o OUT] [options]\n"
    "Draws hearth timelines (PREFIX.PID.timeline) and Go (GODEBUG=gctrace=1)\n"
    "or JVM (-Xlog:gc) GC logs on one time axis: memory, allocation rate, GC\n"
    "pauses, threads and fds, events; fits a trend line to the live heap.\n"
    "OUT defaults to stdout.\n"
    "\n"
    "  -o, --output OUT         where to write\n"
    "  --format svg|text|csv    the chart (default), a summary with the trend\n"
    "                           of each input, or the parsed records\n"
    "  --records gc|ticks|events  which records --format csv writes (default:\n"
    "                           gc when an input is a GC log, else ticks)\n"
    "  --fit-window DURATION    fit the trend over each input's last DURATION\n"
    "                           (e.g. 90s, 30m, 2h; default: the whole run)\n"
    "  --align start|wall       t = 0 at each input's start (default), or\n"
    "                           inputs placed by their wall-clock start\n"
    "  --title TEXT             the title (default \"Memory timeline\")\n"
    "  --width PX               image width (default 1200)\n"
    "  --no-js                  a static SVG without the cursor script\n"
    "  --max-input SIZE         refuse larger inputs (default 1G)\n"
    "  -h, --help               show this help\n";

enum { OPT_FORMAT = 256, OPT_RECORDS, OPT_WINDOW, OPT_ALIGN, OPT_TITLE, OPT_WIDTH, OPT_NO_JS, OPT_MAX_INPUT };

/* "90", "90s", "30m", "2h", "1d" -> seconds; "all" -> 0. */
static int parse_duration(const char *s, double *out)
{
    if (!strcmp(s, "all")) {
        *out = 0;
        return 0;
    }
    char *end;
    double v = strtod(s, &end);
    double mul = 1;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        mul = 60, end++;
    else if (*end == 'h')
        mul = 3600, end++;
    else if (*end == 'd')
        mul = 86400, end++;
    if (end == s || *end || !(v > 0) || v * mul > 1e9)
        return -1;
    *out = v * mul;
    return 0;
}

/* A CSV number: empty when unknown. */
static void csv_num(strbuf *o, double v, bool known)
{
    if (known)
        strbuf_printf(o, ",%.9g", v);
    else
        strbuf_putc(o, ',');
}

/* A CSV integer: empty when unknown (negative). */
static void csv_int(strbuf *o, int64_t v)
{
    if (v >= 0)
        strbuf_printf(o, ",%" PRId64, v);
    else
        strbuf_putc(o, ',');
}

static void csv_quoted(strbuf *o, const char *s)
{
    strbuf_putc(o, '"');
    for (; *s; s++) {
        if (*s == '"')
            strbuf_putc(o, '"');
        strbuf_putc(o, *s);
    }
    strbuf_putc(o, '"');
}

static void csv_str(strbuf *o, const char *s)
{
    strbuf_putc(o, ',');
    csv_quoted(o, s);
}

static void write_csv(strbuf *o, const tl_input *in, size_t n, const char *records)
{
    if (!strcmp(records, "gc")) {
        strbuf_puts(o, "input,line,id,t_s,kind,pause_ms,stw1_ms,concurrent_ms,stw2_ms,cpu_ms,"
                       "percent,heap_before,heap_after,heap_live,heap_goal,heap_capacity,"
                       "stacks,globals,procs,forced\n");
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < in[i].t->n_gcs; k++) {
                const timeline_gc *g = &in[i].t->gcs[k];
                csv_quoted(o, in[i].name);
                strbuf_printf(o, ",%zu,%" PRId64 ",%.9g", g->line, g->id, g->t_s + in[i].offset_s);
                csv_str(o, g->kind);
                csv_num(o, g->pause_ms, g->pause_ms >= 0);
                csv_num(o, g->stw1_ms, g->stw1_ms >= 0 && in[i].t->source == TIMELINE_GO);
                csv_num(o, g->concurrent_ms, g->concurrent_ms >= 0);
                csv_num(o, g->stw2_ms, g->stw2_ms >= 0 && in[i].t->source == TIMELINE_GO);
                csv_num(o, g->cpu_ms, g->cpu_ms >= 0 && in[i].t->source == TIMELINE_GO);
                csv_num(o, g->percent, g->percent >= 0 && in[i].t->source == TIMELINE_GO);
                csv_int(o, g->heap_before);
                csv_int(o, g->heap_after);
                csv_int(o, g->heap_live);
                csv_int(o, g->heap_goal);
                csv_int(o, g->heap_capacity);
                csv_int(o, g->stacks);
                csv_int(o, g->globals);
                csv_int(o, g->procs);
                strbuf_printf(o, ",%d\n", g->forced);
            }
    } else if (!strcmp(records, "ticks")) {
        strbuf_puts(o, "input,t_s");
        for (int c = 0; c < TL_NCOLS; c++)
            strbuf_printf(o, ",%s", timeline_columns[c].name);
        strbuf_putc(o, '\n');
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < in[i].t->n_ticks; k++) {
                const timeline_tick *t = &in[i].t->ticks[k];
                csv_quoted(o, in[i].name);
                strbuf_printf(o, ",%.6f", t->t_s + in[i].offset_s);
                for (int c = 0; c < TL_NCOLS; c++)
                    csv_int(o, t->v[c]);
                strbuf_putc(o, '\n');
            }
    } else {
        strbuf_puts(o, "input,t_s,kind,detail\n");
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < in[i].t->n_events; k++) {
                const timeline_event_rec *e = &in[i].t->events[k];
                csv_quoted(o, in[i].name);
                strbuf_printf(o, ",%.6f", e->t_s + in[i].offset_s);
                csv_str(o, e->kind);
                csv_str(o, e->detail);
                strbuf_putc(o, '\n');
            }
    }
}

static void write_text(strbuf *o, const tl_input *in, size_t n)
{
    static const char *const src_names[] = {"hearth timeline", "Go gctrace", "JVM GC log"};
    for (size_t i = 0; i < n; i++) {
        const timeline *t = in[i].t;
        strbuf_printf(o, "%s: %s, ", in[i].name, src_names[t->source]);
        if (t->source == TIMELINE_HEARTH)
            strbuf_printf(o, "pid %" PRId64 ", %zu ticks, %zu events", t->pid, t->n_ticks, t->n_events);
        else
            strbuf_printf(o, "%zu collections", t->n_gcs);
        strbuf_printf(o, ", %zu lines, %zu skipped%s%s\n", t->lines, t->skipped_lines,
                      t->truncated_last_line ? ", truncated last line ignored" : "",
                      t->no_time ? ", no time decorations (t = GC number)" : "");
        strbuf_printf(o, "  trend: %s\n", in[i].verdict);
        const tl_fit *f = &in[i].fit;
        if (f->ok)
            strbuf_printf(o, "  fit: %zu points from %.3f s to %.3f s, slope %.3f B/s, "
                             "intercept %.0f B, R^2 %.4f\n",
                          f->n, f->t0, f->t1, f->slope, f->intercept, f->r2);
    }
}

int cmd_timeline(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'},
        {"format", required_argument, 0, OPT_FORMAT},
        {"records", required_argument, 0, OPT_RECORDS},
        {"fit-window", required_argument, 0, OPT_WINDOW},
        {"align", required_argument, 0, OPT_ALIGN},
        {"title", required_argument, 0, OPT_TITLE},
        {"width", required_argument, 0, OPT_WIDTH},
        {"no-js", no_argument, 0, OPT_NO_JS},
        {"max-input", required_argument, 0, OPT_MAX_INPUT},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *output = "-", *format = "svg", *records = NULL;
    double window_s = 0;
    bool wall = false;
    tl_draw_options o = TL_DRAW_OPTIONS_INIT;
    size_t max_input = PPROF_DEFAULT_MAX_BYTES;
    char *end;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "svg") && strcmp(optarg, "text") && strcmp(optarg, "csv")) {
                fprintf(stderr, "hearth timeline: --format: expected svg, text or csv, not \"%s\"\n", optarg);
                return EXIT_USAGE;
            }
            format = optarg;
            break;
        case OPT_RECORDS:
            if (strcmp(optarg, "gc") && strcmp(optarg, "ticks") && strcmp(optarg, "events")) {
                fprintf(stderr, "hearth timeline: --records: expected gc, ticks or events, not \"%s\"\n", optarg);
                return EXIT_USAGE;
            }
            records = optarg;
            break;
        case OPT_WINDOW:
            if (parse_duration(optarg, &window_s)) {
                fprintf(stderr, "hearth timeline: --fit-window: \"%s\" is not a duration (90s, 30m, 2h, all)\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_ALIGN:
            if (strcmp(optarg, "start") && strcmp(optarg, "wall")) {
                fprintf(stderr, "hearth timeline: --align: expected start or wall, not \"%s\"\n", optarg);
                return EXIT_USAGE;
            }
            wall = !strcmp(optarg, "wall");
            break;
        case OPT_TITLE: o.title = optarg; break;
        case OPT_WIDTH:
            o.width_px = strtod(optarg, &end);
            if (*end || !(o.width_px >= 400 && o.width_px <= 100000)) {
                fprintf(stderr, "hearth timeline: --width: \"%s\" is not a width in 400..100000\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_NO_JS: o.script = false; break;
        case OPT_MAX_INPUT:
            if (cli_max_input_arg("timeline", optarg, &max_input))
                return EXIT_USAGE;
            break;
        case 'h': fputs(timeline_usage, stdout); return EXIT_OK;
        default: fputs(timeline_usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fputs(timeline_usage, stderr);
        return EXIT_USAGE;
    }
    size_t n = (size_t)(argc - optind);
    tl_input *in = calloc(n, sizeof *in);
    timeline **tls = calloc(n, sizeof *tls);
    strbuf out;
    strbuf_init(&out);
    int status = EXIT_BAD_INPUT;
    if (!in || !tls) {
        fprintf(stderr, "hearth timeline: out of memory\n");
        goto done;
    }
    bool any_gc = false;
    for (size_t i = 0; i < n; i++) {
        const char *path = argv[optind + (int)i];
        uint8_t *buf = NULL;
        size_t len = 0;
        int rc = cli_read_file(&buf, &len, path, max_input);
        if (!rc)
            rc = timeline_read(&tls[i], (const char *)buf, len);
        free(buf);
        if (rc) {
            fprintf(stderr, "hearth: %s: %s\n", strcmp(path, "-") ? path : "<stdin>", hearth_error_last());
            goto done;
        }
        in[i].t = tls[i];
        in[i].name = cli_input_name(path);
        any_gc |= tls[i]->source != TIMELINE_HEARTH;
        if (wall && !tls[i]->start_unix_ns) {
            fprintf(stderr, "hearth: %s: --align wall: the input has no wall-clock time\n", path);
            goto done;
        }
        if (tl_fit_timeline(&in[i].fit, tls[i], window_s)) {
            fprintf(stderr, "hearth: %s: %s\n", path, hearth_error_last());
            goto done;
        }
        tl_fit_verdict(in[i].verdict, sizeof in[i].verdict, &in[i].fit, window_s);
    }
    if (wall) {
        int64_t first = tls[0]->start_unix_ns;
        for (size_t i = 1; i < n; i++)
            if (tls[i]->start_unix_ns < first)
                first = tls[i]->start_unix_ns;
        for (size_t i = 0; i < n; i++) {
            /* Start times are the files' own: far apart, they overflow. */
            int64_t d;
            in[i].offset_s = __builtin_sub_overflow(tls[i]->start_unix_ns, first, &d)
                                 ? ((double)tls[i]->start_unix_ns - (double)first) / 1e9
                                 : (double)d / 1e9;
        }
    }
    if (!strcmp(format, "csv"))
        write_csv(&out, in, n, records ? records : any_gc ? "gc" : "ticks");
    else if (!strcmp(format, "text"))
        write_text(&out, in, n);
    else if (tl_draw_svg(&out, in, n, &o)) {
        fprintf(stderr, "hearth timeline: %s\n", hearth_error_last());
        goto done;
    }
    if (out.oom) {
        fprintf(stderr, "hearth timeline: out of memory\n");
        goto done;
    }
    status = cli_write_output(output, out.buf ? out.buf : "", out.len) ? EXIT_BAD_INPUT : EXIT_OK;
done:
    strbuf_fini(&out);
    for (size_t i = 0; tls && i < n; i++)
        timeline_destroy(tls[i]);
    free(tls);
    free(in);
    return status;
}
