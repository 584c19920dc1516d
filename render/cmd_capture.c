/*
 * `hearth capture URL -o DIR`: everything an incident ticket needs from a
 * running service (hearth's or Go's /debug/pprof/ endpoints), then the
 * report of it in the same folder and DIR.tar.gz.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../formats/pprof.h"
#include "capture.h"
#include "cli.h"
#include "report.h"

static const char capture_usage[] =
    "usage: hearth capture URL [--seconds N] [--base DIR] -o DIR\n"
    "Pulls heap, allocs, goroutine, threadcreate, the command line, the\n"
    "timeline (when served) and an N-second CPU profile from a service's\n"
    "/debug/pprof/ endpoints (libhearth's HEARTH_HTTP or Go's net/http/pprof)\n"
    "into DIR, saving each as it arrives, then writes the report there\n"
    "(summary.md, index.html, charts) and DIR.tar.gz.\n"
    "\n"
    "  -o, --output DIR       where to save the profiles and the report\n"
    "  --seconds N            CPU profile length (default 10; 0 = none)\n"
    "  --base DIR             an earlier capture to compare with\n"
    "  --no-report            only save the profiles\n"
    "  --no-png               SVG charts only\n"
    "  --max-input SIZE       refuse larger replies (default 1G)\n"
    "  -h, --help             show this help\n";

enum { OPT_SECONDS = 256, OPT_BASE, OPT_NO_REPORT, OPT_NO_PNG, OPT_MAX_INPUT };

int cmd_capture(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'},
        {"seconds", required_argument, 0, OPT_SECONDS},
        {"base", required_argument, 0, OPT_BASE},
        {"no-report", no_argument, 0, OPT_NO_REPORT},
        {"no-png", no_argument, 0, OPT_NO_PNG},
        {"max-input", required_argument, 0, OPT_MAX_INPUT},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *dir = NULL, *base = NULL;
    capture_options co = {10, PPROF_DEFAULT_MAX_BYTES};
    report_options ro = REPORT_OPTIONS_INIT;
    bool report = true;
    char *end;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': dir = optarg; break;
        case OPT_SECONDS:
            co.cpu_seconds = strtol(optarg, &end, 10);
            if (*end || co.cpu_seconds < 0 || co.cpu_seconds > 3600) {
                fprintf(stderr, "hearth capture: --seconds: \"%s\" is not a number of seconds in 0..3600\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_BASE: base = optarg; break;
        case OPT_NO_REPORT: report = false; break;
        case OPT_NO_PNG: ro.png = false; break;
        case OPT_MAX_INPUT:
            if (cli_max_input_arg("capture", optarg, &co.max_bytes))
                return EXIT_USAGE;
            break;
        case 'h': fputs(capture_usage, stdout); return EXIT_OK;
        default: fputs(capture_usage, stderr); return EXIT_USAGE;
        }
    }
    if (!dir || optind != argc - 1) {
        fputs(capture_usage, stderr);
        return EXIT_USAGE;
    }
    if (capture_run(argv[optind], dir, &co))
        return EXIT_BAD_INPUT;
    if (!report)
        return EXIT_OK;
    const char *inputs[1] = {dir};
    int status = report_run(dir, inputs, 1, base, NULL, 0, co.max_bytes, &ro);
    if (status == EXIT_OK && isatty(2))
        fprintf(stderr, "capture: report in %s/index.html, %s/summary.md and %s.tar.gz\n",
                dir, dir, dir);
    return status;
}
