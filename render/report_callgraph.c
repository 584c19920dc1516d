/*
 * The report's call graphs: what `hearth graph` draws (Graphviz) for the
 * heap and CPU profiles. Its own file so the report depends on the call
 * graph code in one place.
 */
#include "report_parts.h"

int report_callgraph_add(report_doc *doc, const report_profile *r, const char *sample,
                         const char *file, const char *title, const char *caption)
{
    /* No call graph renderer in this build: the report has flame graphs only. */
    (void)doc, (void)r, (void)sample, (void)file, (void)title, (void)caption;
    return 0;
}
