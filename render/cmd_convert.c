/*
 * `hearth convert`: any input we read, written as a gzip'd pprof profile
 * (or folded stacks), so every pprof-speaking tool can open it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"
#include "../formats/folded.h"
#include "../formats/pprof.h"
#include "cli.h"

static const char convert_usage[] =
    "usage: hearth convert IN -o OUT [options]\n"
    "Converts IN (pprof, gzip'd or raw, or folded stacks; - is stdin) to a\n"
    "pprof profile, gzip-compressed like Go's runtime/pprof writes it.\n"
    "OUT - is stdout.\n"
    "\n"
    "  -o, --output OUT       where to write (required)\n"
    "  --to pprof|raw|folded  output format: gzip'd pprof (default), raw\n"
    "                         protobuf, or folded stacks\n"
    "  --sample-index NAME|N  with --to folded: which value to write\n"
    "  --max-input SIZE       refuse larger inputs (default 1G)\n"
    "  -h, --help             show this help\n";

int cmd_convert(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'},
        {"to", required_argument, 0, 't'},
        {"sample-index", required_argument, 0, 's'},
        {"max-input", required_argument, 0, 'm'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *output = NULL, *to = "pprof", *sample_arg = NULL;
    size_t max_input = PPROF_DEFAULT_MAX_BYTES;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 't': to = optarg; break;
        case 's': sample_arg = optarg; break;
        case 'm':
            if (cli_max_input_arg("convert", optarg, &max_input))
                return EXIT_USAGE;
            break;
        case 'h': fputs(convert_usage, stdout); return EXIT_OK;
        default: fputs(convert_usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !output) {
        fputs(convert_usage, stderr);
        return EXIT_USAGE;
    }
    if (strcmp(to, "pprof") && strcmp(to, "raw") && strcmp(to, "folded")) {
        fprintf(stderr, "hearth convert: --to: unknown format \"%s\"\n", to);
        return EXIT_USAGE;
    }
    const char *path = argv[optind];
    profile *p = NULL;
    if (cli_load_profile(&p, NULL, path, max_input))
        return EXIT_BAD_INPUT;
    int status = EXIT_BAD_INPUT, rc;
    uint8_t *data = NULL;
    size_t len = 0;
    if (!strcmp(to, "folded")) {
        int si = cli_sample_index(p, sample_arg, path);
        if (si < 0)
            goto out;
        rc = folded_write((char **)&data, &len, p, si);
    } else if (!strcmp(to, "raw")) {
        rc = pprof_encode(&data, &len, p);
    } else {
        rc = pprof_write(&data, &len, p);
    }
    if (rc) {
        fprintf(stderr, "hearth: %s: %s\n", path, hearth_error_last());
        goto out;
    }
    status = cli_write_output(output, data, len) ? EXIT_BAD_INPUT : EXIT_OK;
out:
    free(data);
    profile_destroy(p);
    return status;
}
