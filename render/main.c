/*
 * The hearth command line: dispatches to one subcommand per file
 * (cmd_*.c). Exit status: 0 ok, 1 bad input, 2 usage.
 */
#include <stdio.h>
#include <string.h>

#include "../sampler/hearth.h"
#include "cli.h"

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"info", cmd_info, "describe a profile: types, period, counts, totals"},
    {"top", cmd_top, "flat/cum table of the heaviest functions (pprof -top)"},
    {"flame", cmd_flame, "draw an interactive SVG flame graph"},
    {"graph", cmd_graph, "draw the call graph (pprof -svg), laid out by Graphviz"},
    {"fold", cmd_fold, "write a profile as folded stacks"},
    {"convert", cmd_convert, "convert folded stacks or pprof to pprof"},
    {"symbolize", cmd_symbolize, "add function names, files and lines from binaries"},
    {"timeline", cmd_timeline, "draw memory, allocation and GC over time (hearth, Go, JVM)"},
    {"report", cmd_report, "incident report: summary.md, index.html, charts, .tar.gz"},
    {"capture", cmd_capture, "pull profiles from a running service, then report"},
};

static void usage(FILE *f)
{
    fputs("usage: hearth COMMAND [options] [args]\n\n"
          "hearth reads pprof profiles (gzip'd or raw, from any tool) and\n"
          "folded stacks, and draws and tabulates them.\n\ncommands:\n", f);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fputs("\n`hearth COMMAND --help` describes each command.\n", f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("hearth %d.%d.%d\n", HEARTH_VERSION_MAJOR, HEARTH_VERSION_MINOR,
               HEARTH_VERSION_PATCH);
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            /* getopt names argv[0] in its messages: "hearth top: ...". */
            char name[64];
            snprintf(name, sizeof name, "hearth %s", commands[i].name);
            argv[1] = name;
            return commands[i].run(argc - 1, argv + 1);
        }
    fprintf(stderr, "hearth: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
