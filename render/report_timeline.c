/*
 * The report's timeline: the chart `hearth timeline` draws from the
 * inputs' timeline files and GC logs (all on one axis, by wall clock when
 * every input has one), and the verdict of each one's growth fit over its
 * whole run ("live heap grows 12.3 MiB/h ... (R^2 0.97)") among the
 * findings. Its own file so the report depends on the timeline code in
 * one place.
 */
#include "report_parts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"
#include "../formats/timeline.h"
#include "cli.h"
#include "fetch.h"
#include "timeline_draw.h"
#include "timeline_fit.h"

int report_timeline_add(report_doc *doc, report_inputs *in)
{
    size_t n = in->n_timelines;
    tl_input *tin = calloc(n, sizeof *tin);
    timeline **tls = calloc(n, sizeof *tls);
    int rc = tin && tls ? 0 : hearth_error_set(HEARTH_ENOMEM, "out of memory");
    bool wall = true;
    for (size_t i = 0; i < n && !rc; i++) {
        const char *path = in->timelines[i];
        uint8_t *buf = NULL;
        size_t len = 0;
        rc = cli_read_file(&buf, &len, path, in->max_input);
        if (!rc)
            rc = timeline_read(&tls[i], (const char *)buf, len);
        free(buf);
        if (!rc)
            rc = tl_fit_timeline(&tin[i].fit, tls[i], 0);
        if (rc) {
            hearth_error_wrap(rc, "%s", path);
            break;
        }
        tin[i].t = tls[i];
        tin[i].name = fetch_skip_userinfo(path, report_base_name(path));
        tl_fit_verdict(tin[i].verdict, sizeof tin[i].verdict, &tin[i].fit, 0);
        wall &= tls[i]->start_unix_ns != 0;
        rc = report_doc_verdict(doc, "Timeline %s: %s.", tin[i].name, tin[i].verdict);
    }
    if (!rc && wall && n > 1) {
        int64_t first = tls[0]->start_unix_ns;
        for (size_t i = 1; i < n; i++)
            if (tls[i]->start_unix_ns < first)
                first = tls[i]->start_unix_ns;
        for (size_t i = 0; i < n; i++) {
            /* Start times are the files' own: far apart, they overflow. */
            int64_t d;
            tin[i].offset_s = __builtin_sub_overflow(tls[i]->start_unix_ns, first, &d)
                                 ? ((double)tls[i]->start_unix_ns - (double)first) / 1e9
                                 : (double)d / 1e9;
        }
    }
    if (!rc) {
        report_chart *c = report_chart_add(doc, "timeline", "Memory timeline",
                                           "In-use heap, RSS, allocation rate, GC pauses, threads "
                                           "and file descriptors over time, with the fitted trend");
        tl_draw_options o = TL_DRAW_OPTIONS_INIT;
        rc = c ? tl_draw_svg(&c->svg, tin, n, &o) : hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    for (size_t i = 0; tls && i < n; i++)
        timeline_destroy(tls[i]);
    free(tls);
    free(tin);
    return rc;
}
