/*
 * `hearth top`: the flat/cum table of a profile, like `go tool pprof -top`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"
#include "../formats/pprof.h"
#include "cli.h"
#include "prune.h"
#include "termtext.h"
#include "top.h"

static const char top_usage[] =
    "usage: hearth top FILE [options]\n"
    "Prints the functions with the most flat (or cumulative) value, with the\n"
    "columns of `go tool pprof -top`: flat, flat%, sum%, cum, cum%.\n"
    "FILE is a pprof profile (gzip'd or not) or folded stacks; - is stdin.\n"
    "\n"
    "  --sample-index NAME|N  which value to show (default: the profile's\n"
    "                         default sample type, else the last one)\n"
    "  -n, --nodecount N      show at most N rows (default: all)\n"
    "  --cum                  sort by cumulative value\n"
    "  --nodefraction F       hide rows whose cum is below F of the total\n"
    "                         (default 0.005, as pprof)\n"
    "  --granularity G        functions (default), filefunctions, files,\n"
    "                         lines or addresses\n"
    "  --no-headers           omit the profile description above the table\n"
    "  --max-input SIZE       refuse inputs larger than SIZE bytes once\n"
    "                         decompressed (default 1G; K, M, G suffixes)\n"
    "  -h, --help             show this help\n";

int cmd_top(int argc, char **argv)
{
    static const struct option opts[] = {
        {"sample-index", required_argument, 0, 's'},
        {"nodecount", required_argument, 0, 'n'},
        {"cum", no_argument, 0, 'c'},
        {"nodefraction", required_argument, 0, 'f'},
        {"granularity", required_argument, 0, 'g'},
        {"no-headers", no_argument, 0, 'H'},
        {"max-input", required_argument, 0, 'm'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    top_options o = TOP_OPTIONS_INIT;
    const char *sample_arg = NULL;
    size_t max_input = PPROF_DEFAULT_MAX_BYTES;
    char *end;
    int c;
    while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': sample_arg = optarg; break;
        case 'n':
            o.node_count = strtol(optarg, &end, 10);
            if (*end || o.node_count < 0) {
                fprintf(stderr, "hearth top: --nodecount: \"%s\" is not a count\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'c': o.cum_sort = true; break;
        case 'f':
            o.node_fraction = strtod(optarg, &end);
            if (*end || o.node_fraction < 0 || o.node_fraction > 1) {
                fprintf(stderr, "hearth top: --nodefraction: \"%s\" is not a fraction in [0,1]\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'g':
            if (nodes_granularity_parse(&o.granularity, optarg)) {
                fprintf(stderr, "hearth top: --granularity: unknown \"%s\"\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'H': o.headers = false; break;
        case 'm':
            if (cli_max_input_arg("top", optarg, &max_input))
                return EXIT_USAGE;
            break;
        case 'h': fputs(top_usage, stdout); return EXIT_OK;
        default: fputs(top_usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs(top_usage, stderr);
        return EXIT_USAGE;
    }
    const char *path = argv[optind];
    profile *p = NULL;
    if (cli_load_profile(&p, NULL, path, max_input))
        return EXIT_BAD_INPUT;
    int status = EXIT_BAD_INPUT;
    o.sample_index = cli_sample_index(p, sample_arg, path);
    if (o.sample_index < 0)
        goto out;
    if (prune_uninteresting(p)) {
        fprintf(stderr, "hearth: %s: %s\n", path, hearth_error_last());
        goto out;
    }
    strbuf sb;
    strbuf_init(&sb);
    if (top_write(&sb, p, &o)) {
        fprintf(stderr, "hearth: %s: %s\n", path, hearth_error_last());
        strbuf_fini(&sb);
        goto out;
    }
    strbuf shown;
    strbuf_init(&shown);
    termtext_append(&shown, sb.buf ? sb.buf : "", sb.len, true);
    if (shown.oom)
        fprintf(stderr, "hearth: %s: out of memory\n", path);
    else
        status = cli_write_output("-", shown.buf, shown.len) ? EXIT_BAD_INPUT : EXIT_OK;
    strbuf_fini(&shown);
    strbuf_fini(&sb);
out:
    profile_destroy(p);
    return status;
}
