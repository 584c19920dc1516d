/*
 * `hearth flame`: a profile or folded stacks as an interactive SVG flame
 * graph, optionally against a base profile (the leak view). Folded stacks go
 * into the call tree line by line as they are read, unless a filter needs
 * the whole profile: a 150 MB file then costs its tree, not 150 MB plus a
 * profile model.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../formats/error.h"
#include "../formats/pprof.h"
#include "calltree.h"
#include "cli.h"
#include "filter.h"
#include "flame.h"
#include "prune.h"
#include "units.h"

static const char flame_usage[] =
    "usage: hearth flame INPUT [-o OUT.svg] [options]\n"
    "Draws a flame graph of INPUT (pprof, gzip'd or raw, or folded stacks;\n"
    "- is stdin) as one self-contained SVG: hover for details, click to zoom,\n"
    "Ctrl-F to search. OUT defaults to stdout.\n"
    "\n"
    "  -o, --output OUT         where to write the SVG\n"
    "  --sample-index NAME|N    which value (default: the profile's default)\n"
    "  --inverted               icicle graph: roots at the top\n"
    "  --sort name|size         children by name (default, merges like\n"
    "                           flamegraph.pl) or widest first\n"
    "  --reverse                caller view: leaf functions become the roots\n"
    "  --granularity G          functions (default), filefunctions, files,\n"
    "                           lines, addresses\n"
    "  --focus RE               keep samples with a frame matching RE\n"
    "  --ignore RE              drop samples with a frame matching RE\n"
    "  --hide RE                remove frames matching RE from stacks\n"
    "  --show-from RE           drop frames above the rootmost match of RE\n"
    "  --tag KEY=VALUE          keep samples carrying that label\n"
    "  --collapse-recursion     fold f;f;f into f\n"
    "  --min-width PX           do not draw frames narrower than PX (0.1)\n"
    "  --base BASE              differential: color by change against BASE\n"
    "                           (red grew, blue shrank)\n"
    "  --normalize              scale BASE to INPUT's total first\n"
    "  --palette hot|mem|module colors (default: mem for bytes and objects,\n"
    "                           hot otherwise; module: by binary or package)\n"
    "  --title TEXT             the title (default \"Flame Graph\")\n"
    "  --width PX               image width (default 1200)\n"
    "  --no-js                  a static SVG without the script\n"
    "  --max-input SIZE         refuse larger inputs (default 1G)\n"
    "  -h, --help               show this help\n";

enum {
    OPT_SAMPLE = 256, OPT_INVERTED, OPT_SORT, OPT_REVERSE, OPT_GRAN, OPT_FOCUS,
    OPT_IGNORE, OPT_HIDE, OPT_SHOW_FROM, OPT_TAG, OPT_COLLAPSE, OPT_MIN_WIDTH,
    OPT_BASE, OPT_NORMALIZE, OPT_PALETTE, OPT_TITLE, OPT_WIDTH, OPT_NO_JS,
    OPT_MAX_INPUT,
};

/* "inuse_space · total 1.50 MiB · 2026-11-26 10:00:00 UTC · 30.00 s · heap.pb.gz" */
static void subtitle(char *buf, size_t n, const profile *p, int si, int64_t total,
                     const char *path, const char *base_path)
{
    char v[64], when[64] = "", dur[64] = "";
    const char *unit = profile_str(p, p->sample_types[si].unit);
    units_human(v, sizeof v, total, unit);
    if (p->time_nanos) {
        time_t t = (time_t)(p->time_nanos / 1000000000);
        struct tm tm;
        if (gmtime_r(&t, &tm))
            strftime(when, sizeof when, " \xc2\xb7 %Y-%m-%d %H:%M:%S UTC", &tm);
    }
    if (p->duration_nanos) {
        char d[48];
        units_human(d, sizeof d, p->duration_nanos, "nanoseconds");
        snprintf(dur, sizeof dur, " \xc2\xb7 %s", d);
    }
    snprintf(buf, n, "%s \xc2\xb7 total %s%s%s \xc2\xb7 %s%s%s",
             profile_str(p, p->sample_types[si].type), v, when, dur,
             cli_input_name(path), base_path ? " vs " : "", base_path ? cli_input_name(base_path) : "");
}

typedef struct flame_feed {
    calltree *t;
    const calltree_options *co;
    bool base;
} flame_feed;

/* One folded line, straight into the tree. */
static int feed_line(void *arg, const folded_frame *frames, size_t n,
                     int64_t count, size_t lineno)
{
    const flame_feed *f = arg;
    int rc = calltree_add_folded(f->t, frames, n, count, f->co, f->base);
    if (rc == HEARTH_ELIMIT)
        return hearth_error_set(HEARTH_EFORMAT, "line %zu: total count of "
                                "this stack overflows 2^63-1", lineno);
    return rc;
}

/* Loads, prunes and filters one input and adds it to t. Folded text is fed
 * to t as it is read when no filter needs the whole profile; *out then holds
 * only its sample type. */
static int prepare(profile **out, int *si, calltree *t, const calltree_options *co,
                   bool base, const char *path, size_t max_input,
                   const char *sample_arg, const filter_options *fo)
{
    bool stream = !fo->focus && !fo->ignore && !fo->hide && !fo->show_from && !fo->tag;
    flame_feed feed = {t, co, base};
    input_kind kind;
    if (cli_load_input(out, &kind, path, max_input, stream ? feed_line : NULL, &feed))
        return -1;
    *si = cli_sample_index(*out, sample_arg, path);
    if (*si < 0)
        return -1;
    if (stream && kind == INPUT_FOLDED) {
        if (calltree_end_folded(t)) {
            fprintf(stderr, "hearth: %s: %s\n", path, hearth_error_last());
            return -1;
        }
        return 0;
    }
    if (prune_uninteresting(*out) || filter_apply(*out, fo)) {
        fprintf(stderr, "hearth: %s: %s\n", strcmp(path, "-") ? path : "<stdin>",
                hearth_error_last());
        return -1;
    }
    if (calltree_add_profile(t, *out, *si, co, base)) {
        fprintf(stderr, "hearth: %s: %s\n", path, hearth_error_last());
        return -1;
    }
    return 0;
}

int cmd_flame(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'},
        {"sample-index", required_argument, 0, OPT_SAMPLE},
        {"inverted", no_argument, 0, OPT_INVERTED},
        {"sort", required_argument, 0, OPT_SORT},
        {"reverse", no_argument, 0, OPT_REVERSE},
        {"granularity", required_argument, 0, OPT_GRAN},
        {"focus", required_argument, 0, OPT_FOCUS},
        {"ignore", required_argument, 0, OPT_IGNORE},
        {"hide", required_argument, 0, OPT_HIDE},
        {"show-from", required_argument, 0, OPT_SHOW_FROM},
        {"tag", required_argument, 0, OPT_TAG},
        {"collapse-recursion", no_argument, 0, OPT_COLLAPSE},
        {"min-width", required_argument, 0, OPT_MIN_WIDTH},
        {"base", required_argument, 0, OPT_BASE},
        {"normalize", no_argument, 0, OPT_NORMALIZE},
        {"palette", required_argument, 0, OPT_PALETTE},
        {"title", required_argument, 0, OPT_TITLE},
        {"width", required_argument, 0, OPT_WIDTH},
        {"no-js", no_argument, 0, OPT_NO_JS},
        {"max-input", required_argument, 0, OPT_MAX_INPUT},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *output = "-", *sample_arg = NULL, *base_path = NULL;
    const char *palette_arg = NULL;
    bool by_size = false, normalize = false;
    calltree_options co = CALLTREE_OPTIONS_INIT;
    filter_options fo = FILTER_OPTIONS_INIT;
    flame_options o = FLAME_OPTIONS_INIT;
    size_t max_input = PPROF_DEFAULT_MAX_BYTES;
    char *end;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case OPT_SAMPLE: sample_arg = optarg; break;
        case OPT_INVERTED: o.inverted = true; break;
        case OPT_SORT:
            if (strcmp(optarg, "name") && strcmp(optarg, "size")) {
                fprintf(stderr, "hearth flame: --sort: expected name or size, not \"%s\"\n", optarg);
                return EXIT_USAGE;
            }
            by_size = !strcmp(optarg, "size");
            break;
        case OPT_REVERSE: co.reverse = true; break;
        case OPT_GRAN:
            if (nodes_granularity_parse(&co.granularity, optarg)) {
                fprintf(stderr, "hearth flame: --granularity: unknown \"%s\"\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_FOCUS: fo.focus = optarg; break;
        case OPT_IGNORE: fo.ignore = optarg; break;
        case OPT_HIDE: fo.hide = optarg; break;
        case OPT_SHOW_FROM: fo.show_from = optarg; break;
        case OPT_TAG: fo.tag = optarg; break;
        case OPT_COLLAPSE: co.collapse_recursion = true; break;
        case OPT_MIN_WIDTH:
            o.min_width_px = strtod(optarg, &end);
            if (*end || !(o.min_width_px >= 0)) {
                fprintf(stderr, "hearth flame: --min-width: \"%s\" is not a width\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_BASE: base_path = optarg; break;
        case OPT_NORMALIZE: normalize = true; break;
        case OPT_PALETTE: palette_arg = optarg; break;
        case OPT_TITLE: o.title = optarg; break;
        case OPT_WIDTH:
            o.width_px = strtod(optarg, &end);
            if (*end || !(o.width_px >= 100 && o.width_px <= 100000)) {
                fprintf(stderr, "hearth flame: --width: \"%s\" is not a width in 100..100000\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_NO_JS: o.script = false; break;
        case OPT_MAX_INPUT:
            if (cli_max_input_arg("flame", optarg, &max_input))
                return EXIT_USAGE;
            break;
        case 'h': fputs(flame_usage, stdout); return EXIT_OK;
        default: fputs(flame_usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs(flame_usage, stderr);
        return EXIT_USAGE;
    }
    if (palette_arg && colors_palette_parse(&o.palette, palette_arg)) {
        fprintf(stderr, "hearth flame: --palette: expected hot, mem or module, not \"%s\"\n", palette_arg);
        return EXIT_USAGE;
    }
    if (normalize && !base_path) {
        fprintf(stderr, "hearth flame: --normalize needs --base\n");
        return EXIT_USAGE;
    }
    if (filter_check(&fo)) {
        fprintf(stderr, "hearth flame: %s\n", hearth_error_last());
        return EXIT_USAGE;
    }
    const char *path = argv[optind];
    profile *p = NULL, *b = NULL;
    calltree *t = NULL;
    strbuf svg;
    strbuf_init(&svg);
    int status = EXIT_BAD_INPUT, si, bsi = 0;
    if (calltree_create(&t)) {
        fprintf(stderr, "hearth: %s: %s\n", path, hearth_error_last());
        goto out;
    }
    /* The input's samples go into the tree before the base's: frames are
     * numbered, and drawn, in the order samples first reach them. */
    if (prepare(&p, &si, t, &co, false, path, max_input, sample_arg, &fo))
        goto out;
    if (base_path) {
        /* The base is read with the same sample type name as the input. */
        const char *type = profile_str(p, p->sample_types[si].type);
        if (prepare(&b, &bsi, t, &co, true, base_path, max_input,
                    sample_arg ? sample_arg : type, &fo))
            goto out;
    }
    if (calltree_sort(t, by_size)) {
        fprintf(stderr, "hearth: %s: %s\n", path, hearth_error_last());
        goto out;
    }
    if (b && normalize)
        calltree_scale_base(t, t->total, t->base_total);
    const char *unit = profile_str(p, p->sample_types[si].unit);
    if (!palette_arg) {
        const char *k;
        units_scale(1, unit, "?", &k); /* "B" only for byte units */
        const char *type = profile_str(p, p->sample_types[si].type);
        o.palette = (!strcmp(k, "B") || strstr(type, "objects") || strstr(type, "alloc") ||
                     strstr(type, "inuse")) ? PALETTE_MEM : PALETTE_HOT;
    }
    o.unit = unit;
    o.sample_type = profile_str(p, p->sample_types[si].type);
    o.diff = b != NULL;
    char sub[512];
    subtitle(sub, sizeof sub, p, si, t->total, path, base_path);
    o.subtitle = sub;
    if (flame_write(&svg, t, &o)) {
        fprintf(stderr, "hearth: %s: %s\n", path, hearth_error_last());
        goto out;
    }
    status = cli_write_output(output, svg.buf, svg.len) ? EXIT_BAD_INPUT : EXIT_OK;
out:
    strbuf_fini(&svg);
    calltree_destroy(t);
    profile_destroy(p);
    profile_destroy(b);
    return status;
}
