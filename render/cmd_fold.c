/*
 * `hearth fold`: a profile as folded stacks, for flamegraph.pl, inferno and
 * speedscope.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"
#include "../formats/folded.h"
#include "../formats/pprof.h"
#include "cli.h"
#include "prune.h"

static const char fold_usage[] =
    "usage: hearth fold FILE [-o OUT] [options]\n"
    "Writes the profile as folded stacks (\"root;caller;leaf COUNT\" per line,\n"
    "identical stacks summed, sorted). FILE is a pprof profile or folded\n"
    "stacks; - is stdin. OUT defaults to stdout. The profile's own\n"
    "drop_frames/keep_frames apply, as in go tool pprof.\n"
    "\n"
    "  --sample-index NAME|N  which value to write (default: the profile's\n"
    "                         default sample type, else the last one)\n"
    "  -o, --output OUT       write to OUT instead of stdout\n"
    "  --max-input SIZE       refuse larger inputs (default 1G)\n"
    "  -h, --help             show this help\n";

int cmd_fold(int argc, char **argv)
{
    static const struct option opts[] = {
        {"sample-index", required_argument, 0, 's'},
        {"output", required_argument, 0, 'o'},
        {"max-input", required_argument, 0, 'm'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *sample_arg = NULL, *output = "-";
    size_t max_input = PPROF_DEFAULT_MAX_BYTES;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': sample_arg = optarg; break;
        case 'o': output = optarg; break;
        case 'm':
            if (cli_max_input_arg("fold", optarg, &max_input))
                return EXIT_USAGE;
            break;
        case 'h': fputs(fold_usage, stdout); return EXIT_OK;
        default: fputs(fold_usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs(fold_usage, stderr);
        return EXIT_USAGE;
    }
    const char *path = argv[optind];
    profile *p = NULL;
    if (cli_load_profile(&p, NULL, path, max_input))
        return EXIT_BAD_INPUT;
    int status = EXIT_BAD_INPUT;
    int si = cli_sample_index(p, sample_arg, path);
    char *text = NULL;
    size_t len;
    if (si < 0)
        goto out;
    /* The profile's own drop_frames apply, as in every pprof view. */
    if (prune_uninteresting(p)) {
        fprintf(stderr, "hearth: %s: %s\n", path, hearth_error_last());
        goto out;
    }
    if (folded_write(&text, &len, p, si)) {
        fprintf(stderr, "hearth: %s: %s\n", path, hearth_error_last());
        goto out;
    }
    status = cli_write_output(output, text, len) ? EXIT_BAD_INPUT : EXIT_OK;
out:
    free(text);
    profile_destroy(p);
    return status;
}
