/*
 * Node names as pprof's call graph prints them: function names shortened
 * (package paths, Java packages and C++ namespaces dropped) and split over
 * lines at "::" and ".".
 */
#ifndef HEARTH_RENDER_GRAPH_NAME_H
#define HEARTH_RENDER_GRAPH_NAME_H

#include <stddef.h>

#include "../formats/strbuf.h"

/*
 * Appends pprof's ShortenFunctionName of the n bytes at name: "(anonymous
 * namespace)::" and Go module versions ("/v2") removed, then the first of
 * these that matches: a Go name loses its package path
 * ("github.com/a/b.(*T).m" -> "b.(*T).m"), a Java name its package and
 * arguments ("java.util.List.add(I)" -> "List.add"), a C++ name its
 * namespaces ("ns::Class::method" -> "Class::method"). Other names are
 * appended unchanged.
 */
void graph_name_shorten(strbuf *out, const char *name, size_t n);

#endif
