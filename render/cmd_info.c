/*
 * `hearth info`: what a profile holds, at a glance, before drawing it.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../formats/error.h"
#include "../formats/pprof.h"
#include "../formats/strbuf.h"
#include "cli.h"
#include "termtext.h"
#include "units.h"

static const char info_usage[] =
    "usage: hearth info FILE [--max-input SIZE]\n"
    "Describes a profile: sample types and which is the default, period,\n"
    "time and duration, how many samples, locations, functions and mappings\n"
    "it has, and the total of each sample type. FILE is a pprof profile or\n"
    "folded stacks; - is stdin.\n"
    "\n"
    "  --max-input SIZE       refuse larger inputs (default 1G)\n"
    "  -h, --help             show this help\n";

static void describe(strbuf *o, const profile *p, const char *format)
{
    char v[64];
    int def = profile_default_sample_index(p);
    strbuf_printf(o, "format:        %s\n", format);
    strbuf_printf(o, "sample types: ");
    for (size_t i = 0; i < p->n_sample_types; i++)
        strbuf_printf(o, " %s/%s%s", profile_str(p, p->sample_types[i].type),
                      profile_str(p, p->sample_types[i].unit),
                      (int)i == def ? "*" : "");
    strbuf_printf(o, "%s\n", p->n_sample_types ? "  (* = default)" : " none");
    if (p->period_type.type || p->period_type.unit || p->period) {
        const char *unit = profile_str(p, p->period_type.unit);
        units_label(v, sizeof v, p->period, unit, "auto");
        strbuf_printf(o, "period:        %s/%s %" PRId64 " (%s)\n",
                      profile_str(p, p->period_type.type), unit, p->period, v);
    }
    if (p->time_nanos) {
        time_t t = (time_t)(p->time_nanos / 1000000000);
        struct tm tm;
        char when[64];
        if (gmtime_r(&t, &tm) && strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm))
            strbuf_printf(o, "time:          %s\n", when);
    }
    if (p->duration_nanos) {
        units_label(v, sizeof v, p->duration_nanos, "nanoseconds", "auto");
        strbuf_printf(o, "duration:      %s\n", v);
    }
    strbuf_printf(o, "samples:       %zu\n", p->n_samples);
    strbuf_printf(o, "locations:     %zu\n", p->n_locations);
    strbuf_printf(o, "functions:     %zu\n", p->n_functions);
    strbuf_printf(o, "mappings:      %zu\n", p->n_mappings);
    if (p->n_mappings) {
        const profile_mapping *m = &p->mappings[0];
        const char *bid = profile_str(p, m->build_id);
        strbuf_printf(o, "main binary:   %s%s%s\n", profile_str(p, m->filename),
                      *bid ? " build-id " : "", bid);
    }
    for (size_t i = 0; i < p->n_sample_types; i++) {
        int64_t total = 0;
        for (size_t s = 0; s < p->n_samples; s++) {
            if (i >= p->samples[s].n_values)
                continue;
            int64_t x = p->samples[s].values[i];
            if (__builtin_add_overflow(total, x, &total))
                total = x > 0 ? INT64_MAX : INT64_MIN;
        }
        const char *unit = profile_str(p, p->sample_types[i].unit);
        units_label(v, sizeof v, total, unit, "auto");
        strbuf_printf(o, "total %s: %" PRId64 " (%s)\n",
                      profile_str(p, p->sample_types[i].type), total, v);
    }
    if (p->drop_frames)
        strbuf_printf(o, "drop frames:   %s\n", profile_str(p, p->drop_frames));
    if (p->keep_frames)
        strbuf_printf(o, "keep frames:   %s\n", profile_str(p, p->keep_frames));
    for (size_t i = 0; i < p->n_comments; i++)
        strbuf_printf(o, "comment:       %s\n", profile_str(p, p->comments[i]));
    if (p->doc_url)
        strbuf_printf(o, "doc url:       %s\n", profile_str(p, p->doc_url));
}

int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        {"max-input", required_argument, 0, 'm'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    size_t max_input = PPROF_DEFAULT_MAX_BYTES;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (cli_max_input_arg("info", optarg, &max_input))
                return EXIT_USAGE;
            break;
        case 'h': fputs(info_usage, stdout); return EXIT_OK;
        default: fputs(info_usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs(info_usage, stderr);
        return EXIT_USAGE;
    }
    profile *p = NULL;
    input_kind kind;
    if (cli_load_profile(&p, &kind, argv[optind], max_input))
        return EXIT_BAD_INPUT;
    strbuf sb;
    strbuf_init(&sb);
    describe(&sb, p, kind == INPUT_FOLDED ? "folded stacks" : "pprof");
    strbuf shown;
    strbuf_init(&shown);
    termtext_append(&shown, sb.buf ? sb.buf : "", sb.len, true);
    int status = EXIT_BAD_INPUT;
    if (sb.oom || shown.oom)
        fprintf(stderr, "hearth: %s: out of memory\n", argv[optind]);
    else
        status = cli_write_output("-", shown.buf, shown.len) ? EXIT_BAD_INPUT : EXIT_OK;
    strbuf_fini(&shown);
    strbuf_fini(&sb);
    profile_destroy(p);
    return status;
}
