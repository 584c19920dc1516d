/*
 * The call graph's pieces that tests/cli/graph.sh cannot reach one by one:
 * pprof's name shortening (a table whose expected column was printed by
 * Go 1.19's pprof, graph.ShortenFunctionName), pprof's colors, the DOT
 * escaping of hostile names, pprof's cuts on a small hand-made profile,
 * and the Graphviz module under concurrent use.
 */
#include <pthread.h>

#include "../../formats/error.h"
#include "../../formats/folded.h"
#include "../../render/graph.h"
#include "../../render/graph_dot.h"
#include "../../render/graph_name.h"
#include "../../render/gv.h"
#include "../test.h"

static const char *const shorten_cases[][2] = {
    {"github.com/google/pprof/internal/graph.ShortenFunctionName", "graph.ShortenFunctionName"},
    {"github.com/foo/bar/v2.(*Type).Method", "bar.(*Type).Method"},
    {"main.main", "main.main"},
    {"java.util.concurrent.ThreadPoolExecutor$Worker.run", "ThreadPoolExecutor$Worker.run"},
    {"com.google.Foo.bar(int)", "Foo.bar"},
    {"Foo.<init>", "Foo.<init>"},
    {"org.Foo.<init>(I)V", "Foo.<init>"},
    {"std::vector<int>::push_back", "std::vector<int>::push_back"},
    {"(anonymous namespace)::Foo::Bar", "Foo::Bar"},
    {"(anonymous namespace)::ns::Foo::bar", "Foo::bar"},
    {"ns1::ns2::Class::method", "Class::method"},
    {"ns::Class::~Class", "Class::~Class"},
    {"ns::Class::method<int, std::string>(args)", "Class::method<int, std::string>"},
    {"ns::_Class::m", "_Class::m"},
    {"ns::__Foo::m", "__Foo::m"},
    {"github.com/a/b/v10/c.F", "c.F"},
    {"github.com/a/b/v1/c.F", "c.F"},
    {"github.com/a/b/v02/c.F", "c.F"},
    {"gopkg.in/yaml.v2.Unmarshal", "yaml.v2.Unmarshal"},
    {"a/b/", "b/"},
    {"a/b/\nc", "b/"},
    {"x/y.z\nw/q", "y.z"},
    {"foo/v1.Bar", "v1.Bar"},
    {"net/http.(*conn).serve.func1", "http.(*conn).serve.func1"},
    {"main.F[...]", "main.F[...]"},
    {"a.b.C.d$1", "C.d$1"},
    {"a.b.C.d$1x", "C.d$1x"},
    {"A::b", "A::b"},
    {"a1::B::c", "B::c"},
    {"1a::B::c", "1a::B::c"},
    {"ns::C::d<x", "C::d"},
    {"ns::C::d<x>y>z", "C::d<x>y>"},
    {"", ""},
};

TEST(test_graph__shortens_names_as_pprof)
{
    for (size_t i = 0; i < sizeof shorten_cases / sizeof *shorten_cases; i++) {
        strbuf b;
        strbuf_init(&b);
        graph_name_shorten(&b, shorten_cases[i][0], strlen(shorten_cases[i][0]));
        CHECK_EQ_STR(b.len ? b.buf : "", shorten_cases[i][1]);
        strbuf_fini(&b);
    }
}

/* Colors pprof printed for these shares of the total. */
TEST(test_graph__colors_match_pprof)
{
    char c[8];
    graph_dot_color(c, 1.0, 0);
    CHECK_EQ_STR(c, "#b20000");
    graph_dot_color(c, 1.0, 1);
    CHECK_EQ_STR(c, "#edd5d5");
    graph_dot_color(c, -29.5 / 30.22, 0);
    CHECK_EQ_STR(c, "#01b200");
    graph_dot_color(c, -29.5 / 30.22, 1);
    CHECK_EQ_STR(c, "#d5edd5");
    graph_dot_color(c, 0.0, 0);
    CHECK_EQ_STR(c, "#b2b2b2");
    graph_dot_color(c, 5.0, 0); /* a diff can exceed the total */
    CHECK_EQ_STR(c, "#b20000");
}

static graph *build(profile **p, const char *folded, const graph_options *o)
{
    graph *g = NULL;
    *p = NULL;
    if (folded_read(p, folded, strlen(folded)) || graph_build(&g, *p, o)) {
        printf("  %s\n", hearth_error_last());
        return NULL;
    }
    return g;
}

static const graph_node *drawn(const graph *g, size_t i)
{
    return &g->nodes[g->drawn[i]];
}

/* main -> a -> tiny -> leaf: tiny (cum 3) falls under the 5% node cut,
 * so a reaches leaf through a dotted (residual) edge; b -> leaf is a real
 * call. */
TEST(test_graph__cut_nodes_leave_residual_edges)
{
    profile *p;
    graph_options o = GRAPH_OPTIONS_INIT;
    o.node_fraction = 0.05;
    graph *g = build(&p, "main;a;other 10\nmain;a;tiny;leaf 2\nmain;b;leaf 88\n"
                         "main;a;tiny 1\n", &o);
    REQUIRE(g);
    CHECK_EQ_INT(g->dropped_nodes, 1);
    CHECK_EQ_INT(g->n_drawn, 5);
    bool residual = false, call = false;
    for (size_t i = 0; i < g->n_edges; i++) {
        const graph_dedge *e = &g->edges[i];
        const char *from = drawn(g, e->from)->name, *to = drawn(g, e->to)->name;
        if (!strcmp(from, "a") && !strcmp(to, "leaf")) {
            residual = e->residual;
            CHECK_EQ_INT(e->weight, 2);
        }
        if (!strcmp(from, "b") && !strcmp(to, "leaf"))
            call = !e->residual;
    }
    CHECK(residual);
    CHECK(call);
    /* The flat of the dropped node's own sample is lost, as in pprof. */
    CHECK_EQ_INT(g->flat_sum, 100);
    graph_destroy(g);
    profile_destroy(p);
}

/* With room for two nodes, the entry and the leaf that carry the
 * information win over a pass-through node. */
TEST(test_graph__node_count_keeps_best_entropy)
{
    profile *p;
    graph_options o = GRAPH_OPTIONS_INIT;
    o.node_count = 2;
    graph *g = build(&p, "main;pass;x 60\nmain;pass;y 40\n", &o);
    REQUIRE(g);
    CHECK_EQ_INT(g->orig_count, 4);
    CHECK_EQ_INT(g->n_drawn, 2);
    for (size_t i = 0; i < g->n_drawn; i++)
        CHECK(strcmp(drawn(g, i)->name, "pass") != 0);
    graph_destroy(g);
    profile_destroy(p);
}

/* Names that would break DOT or the SVG Graphviz writes from it. */
TEST(test_graph__dot_escapes_hostile_names)
{
    profile *p;
    graph_options o = GRAPH_OPTIONS_INIT;
    graph *g = build(&p, "m\"q;b\\s;&lt&x;c\x01t;bad\xff;t\tab 10\n", &o);
    REQUIRE(g);
    strbuf b;
    strbuf_init(&b);
    graph_report r = {p, 0, 10, NULL, 0, o.node_fraction, o.edge_fraction};
    REQUIRE(graph_dot_write(&b, g, &r) == 0);
    CHECK_CONTAINS(b.buf, "tooltip=\"m\\\"q (10)\"");
    /* In labels a backslash is doubled; in tooltips, which Graphviz reads
     * twice, it is written four times. */
    CHECK_CONTAINS(b.buf, "label=\"b\\\\s\\n");
    CHECK_CONTAINS(b.buf, "tooltip=\"b\\\\\\\\s (10)\"");
    CHECK_CONTAINS(b.buf, "tooltip=\"&amp;lt&amp;x (10)\"");
    CHECK_CONTAINS(b.buf, "tooltip=\"c\xef\xbf\xbdt (10)\"");
    CHECK_CONTAINS(b.buf, "tooltip=\"bad\xef\xbf\xbd (10)\"");
    CHECK_CONTAINS(b.buf, "tooltip=\"t\tab (10)\"");
    CHECK(!strchr(b.buf, '\x01'));
    strbuf_fini(&b);
    graph_destroy(g);
    profile_destroy(p);
}

static const char *const small_dot =
    "digraph \"t\" { node [shape=box] a [label=\"a&amp;b <c>\"] a -> b [label=\" 5\"] }";

typedef struct render_job {
    strbuf out;
    int rc;
} render_job;

static void *render_thread(void *arg)
{
    render_job *j = arg;
    for (int i = 0; i < 20 && !j->rc; i++) {
        j->out.len = 0;
        j->rc = gv_render(&j->out, small_dot, "svg");
    }
    return NULL;
}

/* Graphviz is not thread-safe; gv_render serializes callers, so renders
 * from several threads at once all succeed and agree. */
TEST(test_graph__gv_render_is_safe_from_threads)
{
    strbuf want;
    strbuf_init(&want);
    REQUIRE(gv_render(&want, small_dot, "svg") == 0);
    CHECK_CONTAINS(want.buf, "a&amp;b &lt;c&gt;");
    render_job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        strbuf_init(&jobs[i].out);
        jobs[i].rc = 0;
        REQUIRE(pthread_create(&th[i], NULL, render_thread, &jobs[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(jobs[i].rc, 0);
        CHECK(jobs[i].out.len == want.len && !memcmp(jobs[i].out.buf, want.buf, want.len));
        strbuf_fini(&jobs[i].out);
    }
    strbuf_fini(&want);
}

TEST(test_graph__gv_render_reports_bad_dot_and_format)
{
    strbuf out;
    strbuf_init(&out);
    CHECK_EQ_INT(gv_render(&out, "digraph { a -> }", "svg"), HEARTH_EFORMAT);
    CHECK_CONTAINS(hearth_error_last(), "syntax error");
    CHECK_EQ_INT(gv_render(&out, small_dot, "no-such-format"), HEARTH_EFORMAT);
    CHECK_CONTAINS(hearth_error_last(), "graphviz");
    CHECK_EQ_INT(out.len, 0);
    strbuf_fini(&out);
}
