/*
 * `hearth graph`: a profile's call graph, as `go tool pprof -svg` draws it,
 * laid out in this process by Graphviz (no `dot` program needed). The
 * steps and their order are pprof's: drop_frames, the base subtracted,
 * the total taken, then the filters, the graph cut (graph.c), DOT
 * (graph_dot.c) and the layout (gv.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"
#include "../formats/pprof.h"
#include "cli.h"
#include "filter.h"
#include "graph.h"
#include "graph_base.h"
#include "graph_dot.h"
#include "graph_svg.h"
#include "gv.h"
#include "prune.h"

static const char graph_usage[] =
    "usage: hearth graph INPUT [-o OUT] [--format svg|dot|png] [options]\n"
    "Draws the call graph of INPUT (pprof, gzip'd or raw, or folded stacks;\n"
    "- is stdin) as `go tool pprof -svg` does: one box per function with its\n"
    "flat and cumulative value, arrows from callers to callees weighted by\n"
    "the value that flows through them, dotted where dropped nodes were\n"
    "bypassed. OUT defaults to stdout; the format to OUT's extension\n"
    "(.svg, .dot, .gv, .png), else svg.\n"
    "\n"
    "  -o, --output OUT         where to write the graph\n"
    "  --format svg|dot|png     output format\n"
    "  --sample-index NAME|N    which value (default: the profile's default)\n"
    "  --granularity G          functions (default), filefunctions, files,\n"
    "                           lines, addresses\n"
    "  -n, --nodecount N        draw at most N nodes (default 80; 0 = all)\n"
    "  --nodefraction F         drop nodes below F of the total (0.005)\n"
    "  --edgefraction F         drop edges below F of the total (0.001)\n"
    "  --focus RE               keep samples with a frame matching RE\n"
    "  --ignore RE              drop samples with a frame matching RE\n"
    "  --hide RE                remove frames matching RE from stacks\n"
    "  --show-from RE           drop frames above the rootmost match of RE\n"
    "  --tag KEY=VALUE          keep samples carrying that label\n"
    "  --base BASE              draw the change from BASE: values are INPUT\n"
    "                           minus BASE, red where they grew, green where\n"
    "                           they shrank\n"
    "  --no-js                  SVG without the script that zooms (wheel)\n"
    "                           and pans (drag)\n"
    "  --max-input SIZE         refuse larger inputs (default 1G)\n"
    "  -h, --help               show this help\n";

enum {
    OPT_FORMAT = 256, OPT_SAMPLE, OPT_GRAN, OPT_NODEFRACTION, OPT_EDGEFRACTION,
    OPT_FOCUS, OPT_IGNORE, OPT_HIDE, OPT_SHOW_FROM, OPT_TAG, OPT_BASE, OPT_NO_JS,
    OPT_MAX_INPUT,
};

static const char *display(const char *path)
{
    return strcmp(path, "-") ? path : "<stdin>";
}

/* The format named by OUT's extension, or NULL. */
static const char *format_of(const char *output)
{
    const char *dot = strrchr(output, '.');
    if (!dot || strchr(dot, '/'))
        return NULL;
    if (!strcmp(dot, ".svg"))
        return "svg";
    if (!strcmp(dot, ".dot") || !strcmp(dot, ".gv"))
        return "dot";
    if (!strcmp(dot, ".png"))
        return "png";
    return NULL;
}

static int parse_fraction(const char *arg, const char *opt, double *out)
{
    char *end;
    *out = strtod(arg, &end);
    if (*end || end == arg || !(*out >= 0 && *out <= 1)) {
        fprintf(stderr, "hearth graph: --%s: \"%s\" is not a fraction in [0,1]\n", opt, arg);
        return -1;
    }
    return 0;
}

/* Loads, prunes and (for the base) checks one input. */
static int load(profile **out, int *si, const char *path, size_t max_input,
                const char *sample_arg)
{
    if (cli_load_profile(out, NULL, path, max_input))
        return -1;
    *si = cli_sample_index(*out, sample_arg, path);
    if (*si < 0)
        return -1;
    if (prune_uninteresting(*out)) {
        fprintf(stderr, "hearth: %s: %s\n", display(path), hearth_error_last());
        return -1;
    }
    return 0;
}

int cmd_graph(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'},
        {"format", required_argument, 0, OPT_FORMAT},
        {"sample-index", required_argument, 0, OPT_SAMPLE},
        {"granularity", required_argument, 0, OPT_GRAN},
        {"nodecount", required_argument, 0, 'n'},
        {"nodefraction", required_argument, 0, OPT_NODEFRACTION},
        {"edgefraction", required_argument, 0, OPT_EDGEFRACTION},
        {"focus", required_argument, 0, OPT_FOCUS},
        {"ignore", required_argument, 0, OPT_IGNORE},
        {"hide", required_argument, 0, OPT_HIDE},
        {"show-from", required_argument, 0, OPT_SHOW_FROM},
        {"tag", required_argument, 0, OPT_TAG},
        {"base", required_argument, 0, OPT_BASE},
        {"no-js", no_argument, 0, OPT_NO_JS},
        {"max-input", required_argument, 0, OPT_MAX_INPUT},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *output = "-", *format = NULL, *sample_arg = NULL, *base_path = NULL;
    graph_options go = GRAPH_OPTIONS_INIT;
    filter_options fo = FILTER_OPTIONS_INIT;
    size_t max_input = PPROF_DEFAULT_MAX_BYTES;
    bool script = true;
    char *end;
    int c;
    while ((c = getopt_long(argc, argv, "o:n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "svg") && strcmp(optarg, "dot") && strcmp(optarg, "png")) {
                fprintf(stderr, "hearth graph: --format: expected svg, dot or png, not \"%s\"\n",
                        optarg);
                return EXIT_USAGE;
            }
            format = optarg;
            break;
        case OPT_SAMPLE: sample_arg = optarg; break;
        case OPT_GRAN:
            if (nodes_granularity_parse(&go.granularity, optarg)) {
                fprintf(stderr, "hearth graph: --granularity: unknown \"%s\"\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'n':
            go.node_count = strtol(optarg, &end, 10);
            if (*end || end == optarg || go.node_count < 0) {
                fprintf(stderr, "hearth graph: --nodecount: \"%s\" is not a count\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_NODEFRACTION:
            if (parse_fraction(optarg, "nodefraction", &go.node_fraction))
                return EXIT_USAGE;
            break;
        case OPT_EDGEFRACTION:
            if (parse_fraction(optarg, "edgefraction", &go.edge_fraction))
                return EXIT_USAGE;
            break;
        case OPT_FOCUS: fo.focus = optarg; break;
        case OPT_IGNORE: fo.ignore = optarg; break;
        case OPT_HIDE: fo.hide = optarg; break;
        case OPT_SHOW_FROM: fo.show_from = optarg; break;
        case OPT_TAG: fo.tag = optarg; break;
        case OPT_BASE: base_path = optarg; break;
        case OPT_NO_JS: script = false; break;
        case OPT_MAX_INPUT:
            if (cli_max_input_arg("graph", optarg, &max_input))
                return EXIT_USAGE;
            break;
        case 'h': fputs(graph_usage, stdout); return EXIT_OK;
        default: fputs(graph_usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs(graph_usage, stderr);
        return EXIT_USAGE;
    }
    if (filter_check(&fo)) {
        fprintf(stderr, "hearth graph: %s\n", hearth_error_last());
        return EXIT_USAGE;
    }
    if (!format)
        format = format_of(output);
    if (!format)
        format = "svg";

    const char *path = argv[optind];
    profile *p = NULL, *b = NULL;
    graph *g = NULL;
    strbuf dot, img, svg;
    strbuf_init(&dot);
    strbuf_init(&img);
    strbuf_init(&svg);
    int status = EXIT_BAD_INPUT, bsi;
    int64_t total;
    if (load(&p, &go.sample_index, path, max_input, sample_arg))
        goto out;
    if (base_path) {
        /* The base is read with the input's sample type, by name. */
        const char *type = profile_str(p, p->sample_types[go.sample_index].type);
        if (load(&b, &bsi, base_path, max_input, sample_arg ? sample_arg : type))
            goto out;
        if (graph_base_subtract(p, b)) {
            fprintf(stderr, "hearth: %s: %s\n", display(base_path), hearth_error_last());
            goto out;
        }
        /* Without an input default, the base's default type is used. */
        if (!sample_arg && (go.sample_index = cli_sample_index(p, NULL, path)) < 0)
            goto out;
    }
    /* pprof's percentages are of the total before any filter. */
    total = graph_base_total(p, go.sample_index);
    if (filter_apply(p, &fo) || graph_build(&g, p, &go)) {
        fprintf(stderr, "hearth: %s: %s\n", display(path), hearth_error_last());
        goto out;
    }
    /* The legend names the filters as pprof's does. */
    char flt[5][1100];
    const char *filters[5];
    size_t n_filters = 0;
    const char *names[5] = {"focus", "ignore", "hide", "show_from", "tagfocus"};
    const char *vals[5] = {fo.focus, fo.ignore, fo.hide, fo.show_from, fo.tag};
    for (int i = 0; i < 5; i++)
        if (vals[i] && *vals[i]) {
            snprintf(flt[n_filters], sizeof flt[n_filters], "%s=%.1000s", names[i], vals[i]);
            filters[n_filters] = flt[n_filters];
            n_filters++;
        }
    graph_report r = {p, go.sample_index, total, filters, n_filters, go.node_fraction,
                      go.edge_fraction};
    if (graph_dot_write(&dot, g, &r)) {
        fprintf(stderr, "hearth: %s: %s\n", display(path), hearth_error_last());
        goto out;
    }
    if (!strcmp(format, "dot")) {
        status = cli_write_output(output, dot.buf, dot.len) ? EXIT_BAD_INPUT : EXIT_OK;
        goto out;
    }
    if (gv_render(&img, dot.buf, format) ||
        (!strcmp(format, "svg") && graph_svg_finish(&svg, img.buf, img.len, script))) {
        fprintf(stderr, "hearth: %s: %s\n", display(path), hearth_error_last());
        goto out;
    }
    const strbuf *res = strcmp(format, "svg") ? &img : &svg;
    status = cli_write_output(output, res->buf, res->len) ? EXIT_BAD_INPUT : EXIT_OK;
out:
    strbuf_fini(&dot);
    strbuf_fini(&img);
    strbuf_fini(&svg);
    graph_destroy(g);
    profile_destroy(p);
    profile_destroy(b);
    return status;
}
