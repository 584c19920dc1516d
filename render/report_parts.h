/*
 * Pieces of the report shared between its files, and the two charts drawn
 * by other renderers: the timeline (report_timeline.c) and call graphs
 * (report_callgraph.c).
 */
#ifndef HEARTH_RENDER_REPORT_PARTS_H
#define HEARTH_RENDER_REPORT_PARTS_H

#include "report.h"

/* The last component of path (trailing slashes ignored). Borrowed. */
const char *report_base_name(const char *path);

/* Whether stem (a file name without .svg/.png) is one the report's charts
 * are written as: heap-inuse, cpu, other-3, ... */
bool report_chart_name(const char *stem);

/* Appends an empty chart to doc (its strings copied). NULL on ENOMEM. */
report_chart *report_chart_add(report_doc *doc, const char *file, const char *title,
                               const char *caption);

/* Appends a finding to doc. Returns 0 or HEARTH_ENOMEM. */
int report_doc_verdict(report_doc *doc, const char *fmt, ...) HEARTH_PRINTF(2, 3);

/* Reads in's timeline files, adds the timeline chart and the verdict of
 * its growth fit ("live heap grows 12.3 MiB/h ... (R^2 0.97)"). Returns 0,
 * or an error naming the file. */
int report_timeline_add(report_doc *doc, report_inputs *in);

/* Adds the call graph (SVG, and its PNG when png) of r's sample type
 * named sample (NULL: the default) as chart file. Returns 0 or an error
 * naming r. */
int report_callgraph_add(report_doc *doc, const report_profile *r, const char *sample,
                         const char *file, const char *title, const char *caption, bool png);

#endif
