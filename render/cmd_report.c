/*
 * `hearth report`: profiles, timelines and capture folders in, a folder
 * for an incident ticket out (summary.md, index.html, SVG and PNG charts)
 * and the same as FOLDER.tar.gz.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/pprof.h"
#include "cli.h"
#include "report.h"

static const char report_usage[] =
    "usage: hearth report INPUT... [--base OLD_HEAP] [--timeline FILE]... -o DIR\n"
    "Writes an incident report into DIR and DIR.tar.gz: summary.md (markdown\n"
    "for a ticket), index.html (one self-contained page), and each chart as\n"
    "SVG and PNG. INPUTs are profiles (files or http:// URLs: heap, allocs,\n"
    "CPU, goroutine/threads, threadcreate, by their sample types), timeline\n"
    "files, or folders written by `hearth capture`.\n"
    "\n"
    "  -o, --output DIR       the report's folder (created if missing)\n"
    "  --base OLD_HEAP        the heap profile (or capture folder) to compare\n"
    "                         with; default: the earliest of several heap\n"
    "                         profiles among the inputs\n"
    "  --timeline FILE        a timeline or GC log to chart (repeatable)\n"
    "  -n, --top N            rows of each table (default 10)\n"
    "  --no-png               SVG charts only\n"
    "  --max-input SIZE       refuse larger inputs (default 1G)\n"
    "  -h, --help             show this help\n";

enum { OPT_BASE = 256, OPT_TIMELINE, OPT_NO_PNG, OPT_MAX_INPUT };

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'},
        {"base", required_argument, 0, OPT_BASE},
        {"timeline", required_argument, 0, OPT_TIMELINE},
        {"top", required_argument, 0, 'n'},
        {"no-png", no_argument, 0, OPT_NO_PNG},
        {"max-input", required_argument, 0, OPT_MAX_INPUT},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *dir = NULL, *base = NULL;
    const char **timelines = calloc((size_t)argc + 1, sizeof *timelines);
    size_t n_timelines = 0, max_input = PPROF_DEFAULT_MAX_BYTES;
    report_options o = REPORT_OPTIONS_INIT;
    int status = EXIT_USAGE, c;
    char *end;
    if (!timelines) {
        fputs("hearth: out of memory\n", stderr);
        return EXIT_BAD_INPUT;
    }
    while ((c = getopt_long(argc, argv, "o:n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': dir = optarg; break;
        case OPT_BASE: base = optarg; break;
        case OPT_TIMELINE: timelines[n_timelines++] = optarg; break;
        case 'n': {
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 1000) {
                fprintf(stderr, "hearth report: --top: \"%s\" is not a count in 1..1000\n", optarg);
                goto out;
            }
            o.top_n = (size_t)v;
            break;
        }
        case OPT_NO_PNG: o.png = false; break;
        case OPT_MAX_INPUT:
            if (cli_max_input_arg("report", optarg, &max_input))
                goto out;
            break;
        case 'h': fputs(report_usage, stdout); status = EXIT_OK; goto out;
        default: fputs(report_usage, stderr); goto out;
        }
    }
    if (!dir || (optind == argc && !n_timelines)) {
        fputs(report_usage, stderr);
        goto out;
    }
    status = report_run(dir, (const char *const *)argv + optind, (size_t)(argc - optind), base,
                        timelines, n_timelines, max_input, &o);
out:
    free(timelines);
    return status;
}
