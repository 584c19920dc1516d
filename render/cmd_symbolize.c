/*
 * `hearth symbolize`: fills in function names, files, lines and inlined
 * frames of a profile that holds only addresses (a sampler run with
 * symbolization off, or a profile taken on a host without debug info), from
 * the binaries on this machine or the ones named with --binary.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"
#include "../formats/pprof.h"
#include "../formats/symbols.h"
#include "cli.h"

static const char symbolize_usage[] =
    "usage: hearth symbolize IN -o OUT [--binary PATH ...] [options]\n"
    "Symbolizes the addresses of IN (a pprof profile; - is stdin) from ELF\n"
    "symbol tables and DWARF, and writes it to OUT as a gzip'd pprof profile\n"
    "(- is stdout). Each mapping uses the --binary with its build ID, else the\n"
    "--binary with its file name, else its own file if that exists here and\n"
    "its build ID matches. Debug files under /usr/lib/debug/.build-id are\n"
    "used when a binary has no DWARF. Locations already symbolized and\n"
    "addresses that cannot be resolved are left as they are. Prints one line\n"
    "\"symbolized N of M locations\" to stderr.\n"
    "\n"
    "  -o, --output OUT   where to write (required)\n"
    "  --binary PATH      a binary (or debug file) to use; repeatable\n"
    "  --no-dwarf         use ELF symbols only: names, no files or lines\n"
    "  --max-input SIZE   refuse larger inputs (default 1G)\n"
    "  -h, --help         show this help\n";

/* Locations that profile_symbolize would try: no lines, a mapping. */
static size_t unsymbolized(const profile *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_locations; i++)
        n += !p->locations[i].n_lines && p->locations[i].mapping_id;
    return n;
}

int cmd_symbolize(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'},
        {"binary", required_argument, 0, 'b'},
        {"no-dwarf", no_argument, 0, 'n'},
        {"max-input", required_argument, 0, 'm'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *output = NULL;
    size_t max_input = PPROF_DEFAULT_MAX_BYTES;
    bool dwarf = true;
    const char **binaries = calloc((size_t)argc + 1, sizeof *binaries);
    size_t n_binaries = 0;
    if (!binaries) {
        fputs("hearth symbolize: out of memory\n", stderr);
        return EXIT_BAD_INPUT;
    }
    int status = EXIT_USAGE, c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 'b': binaries[n_binaries++] = optarg; break;
        case 'n': dwarf = false; break;
        case 'm':
            if (cli_max_input_arg("symbolize", optarg, &max_input))
                goto done;
            break;
        case 'h':
            fputs(symbolize_usage, stdout);
            status = EXIT_OK;
            goto done;
        default: fputs(symbolize_usage, stderr); goto done;
        }
    }
    if (optind != argc - 1 || !output) {
        fputs(symbolize_usage, stderr);
        goto done;
    }
    status = EXIT_BAD_INPUT;
    const char *path = argv[optind];
    symbolizer *s = NULL;
    profile *p = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    if (symbolizer_create(&s, NULL)) {
        fprintf(stderr, "hearth: %s\n", hearth_error_last());
        goto done;
    }
    /* A --binary that is not a readable ELF file is a mistake worth
     * stopping for, before reading a possibly large profile. */
    for (size_t i = 0; i < n_binaries; i++) {
        symbol_binary *b;
        if (symbolizer_open(s, binaries[i], &b)) {
            fprintf(stderr, "hearth: %s: %s\n", binaries[i], hearth_error_last());
            goto out;
        }
    }
    if (cli_load_profile(&p, NULL, path, max_input))
        goto out;
    size_t before = unsymbolized(p);
    symbolize_options so = SYMBOLIZE_OPTIONS_INIT;
    so.binaries = binaries;
    so.n_binaries = n_binaries;
    so.flags = dwarf ? SYMBOLIZE_DWARF : 0;
    if (profile_symbolize(p, s, &so) || pprof_write(&data, &len, p)) {
        fprintf(stderr, "hearth: %s: %s\n", strcmp(path, "-") ? path : "<stdin>",
                hearth_error_last());
        goto out;
    }
    if (cli_write_output(output, data, len))
        goto out;
    fprintf(stderr, "hearth symbolize: symbolized %zu of %zu locations\n",
            before - unsymbolized(p), before);
    status = EXIT_OK;
out:
    free(data);
    profile_destroy(p);
    symbolizer_destroy(s);
done:
    free(binaries);
    return status;
}
