/*
 * pprof's filters on a small hand-built profile: focus, ignore, hide,
 * show-from and tag, each checked against the stacks that must remain.
 */
#include "../../formats/error.h"
#include "../../formats/folded.h"
#include "../../render/filter.h"
#include "../test.h"

static profile *make(void)
{
    const char *text = "main;serve;parse;malloc 10\n"
                       "main;serve;render;malloc 20\n"
                       "main;gc;sweep 5\n"
                       "main;serve;render 7\n";
    profile *p = NULL;
    if (folded_read(&p, text, strlen(text)))
        return NULL;
    return p;
}

static char *apply(const filter_options *o)
{
    profile *p = make();
    if (!p)
        return NULL;
    char *out = NULL;
    size_t n;
    if (filter_apply(p, o) == 0)
        folded_write(&out, &n, p, 0);
    else
        printf("  %s\n", hearth_error_last());
    profile_destroy(p);
    return out;
}

TEST(test_filter__focus_keeps_samples_through_a_match)
{
    filter_options o = FILTER_OPTIONS_INIT;
    o.focus = "render";
    char *s = apply(&o);
    CHECK_EQ_STR(s, "main;serve;render 7\nmain;serve;render;malloc 20\n");
    free(s);
}

TEST(test_filter__ignore_wins_over_focus)
{
    filter_options o = FILTER_OPTIONS_INIT;
    o.focus = "serve";
    o.ignore = "parse";
    char *s = apply(&o);
    CHECK_EQ_STR(s, "main;serve;render 7\nmain;serve;render;malloc 20\n");
    free(s);
}

TEST(test_filter__hide_removes_frames_but_keeps_samples)
{
    filter_options o = FILTER_OPTIONS_INIT;
    o.hide = "^serve$|malloc";
    char *s = apply(&o);
    CHECK_EQ_STR(s, "main;gc;sweep 5\nmain;parse 10\nmain;render 27\n");
    free(s);
}

TEST(test_filter__show_from_drops_frames_above_the_rootmost_match)
{
    filter_options o = FILTER_OPTIONS_INIT;
    o.show_from = "serve";
    char *s = apply(&o);
    CHECK_EQ_STR(s, "serve;parse;malloc 10\nserve;render 7\nserve;render;malloc 20\n");
    free(s);
}

TEST(test_filter__bad_patterns_and_tags_are_errors)
{
    filter_options o = FILTER_OPTIONS_INIT;
    o.focus = "(";
    CHECK_EQ_INT(filter_check(&o), HEARTH_EFORMAT);
    CHECK_CONTAINS(hearth_error_last(), "--focus");
    o.focus = NULL;
    o.tag = "novalue";
    CHECK_EQ_INT(filter_check(&o), HEARTH_EFORMAT);
    CHECK_CONTAINS(hearth_error_last(), "KEY=VALUE");
}

TEST(test_filter__tag_keeps_samples_with_that_label)
{
    profile *p = NULL;
    REQUIRE(profile_create(&p) == 0);
    profile_add_sample_type(p, "samples", "count");
    int64_t f = profile_function_intern(p, "work", NULL, "", 0);
    profile_line l = {(uint64_t)f, 0, 0};
    uint64_t loc = (uint64_t)profile_add_location(p, 0, 0, &l, 1);
    profile_label a = {profile_intern(p, "thread"), profile_intern(p, "io"), 0, 0};
    profile_label b = {profile_intern(p, "thread"), profile_intern(p, "cpu"), 0, 0};
    int64_t v1 = 3, v2 = 4;
    profile_add_sample(p, &loc, 1, &v1, 1, &a, 1);
    profile_add_sample(p, &loc, 1, &v2, 1, &b, 1);
    REQUIRE(profile_validate(p) == 0);
    filter_options o = FILTER_OPTIONS_INIT;
    o.tag = "thread=cpu";
    REQUIRE(filter_apply(p, &o) == 0);
    CHECK_EQ_INT(p->n_samples, 1);
    CHECK_EQ_INT(p->samples[0].values[0], 4);
    profile_destroy(p);
}
