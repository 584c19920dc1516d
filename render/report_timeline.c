/*
 * The report's timeline: the chart `hearth timeline` draws from the
 * inputs' timeline files and GC logs, and its fitted growth verdict. Its
 * own file so the report depends on the timeline code in one place.
 */
#include "report_parts.h"

#include "../formats/error.h"

int report_timeline_add(report_doc *doc, report_inputs *in)
{
    (void)doc;
    return hearth_error_set(HEARTH_EFAIL, "%s: timeline files cannot be read by this build "
                            "of hearth yet", in->timelines[0]);
}
