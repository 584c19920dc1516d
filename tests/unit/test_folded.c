/*
 * Folded stacks: reading merges identical stacks and keeps frame names with
 * spaces; writing sums, sorts and expands inlined frames.
 */
#include "../../formats/error.h"
#include "../../formats/folded.h"
#include "../test.h"

static profile *parse(const char *text)
{
    profile *p = NULL;
    if (folded_read(&p, text, strlen(text))) {
        test_fail(__FILE__, __LINE__, "folded_read: %s", hearth_error_last());
        return NULL;
    }
    return p;
}

static char *fold(const profile *p)
{
    char *out = NULL;
    size_t n;
    if (folded_write(&out, &n, p, 0))
        test_fail(__FILE__, __LINE__, "folded_write: %s", hearth_error_last());
    return out;
}

TEST(test_folded__merges_identical_stacks)
{
    profile *p = parse("main;a;b 3\nmain;a;b 4\nmain;c 1\n");
    REQUIRE(p);
    CHECK_EQ_INT(p->n_samples, 2);
    CHECK_EQ_INT(p->n_functions, 4);
    CHECK_EQ_INT(p->n_locations, 4);
    CHECK_EQ_STR(profile_str(p, p->sample_types[0].type), "samples");
    CHECK_EQ_STR(profile_str(p, p->sample_types[0].unit), "count");
    char *out = fold(p);
    CHECK_EQ_STR(out, "main;a;b 7\nmain;c 1\n");
    free(out);
    profile_destroy(p);
}

TEST(test_folded__keeps_stacks_leaf_first_in_the_model)
{
    profile *p = parse("root;mid;leaf 5\n");
    REQUIRE(p);
    REQUIRE(p->n_samples == 1 && p->samples[0].n_locations == 3);
    const profile_location *leaf = profile_location_find(p, p->samples[0].location_ids[0]);
    REQUIRE(leaf);
    const profile_function *fn = profile_function_find(p, leaf->lines[0].function_id);
    REQUIRE(fn);
    CHECK_EQ_STR(profile_str(p, fn->name), "leaf");
    profile_destroy(p);
}

TEST(test_folded__accepts_crlf_blank_lines_and_frames_with_spaces)
{
    profile *p = parse("\r\n  \nstd::map<int, int>::find(int const&);operator new 10\r\n\n"
                       "a b c;d e 9223372036854775807\n");
    REQUIRE(p);
    char *out = fold(p);
    CHECK_EQ_STR(out, "a b c;d e 9223372036854775807\n"
                      "std::map<int, int>::find(int const&);operator new 10\n");
    free(out);
    profile_destroy(p);
}

TEST(test_folded__rejects_bad_lines_with_their_line_number)
{
    static const struct {
        const char *text;
        const char *msg;
    } cases[] = {
        {"a;b 1\na;b\n", "line 2: no count after the stack"},
        {"a;b 1\n\na;b x1\n", "line 3: \"x1\" is not a count"},
        {"a;b 1.5\n", "line 1: \"1.5\" is not a count"},
        {"a 9223372036854775808\n", "line 1: count exceeds 2^63-1"},
        {"   7\n", "line 1: no stack before the count"},
        {"a 9223372036854775807\na 1\n", "line 2: total count of this stack overflows"},
        {"a -3\n", "line 1: \"-3\" is not a count"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        profile *p = NULL;
        int rc = folded_read(&p, cases[i].text, strlen(cases[i].text));
        CHECK_EQ_INT(rc, HEARTH_EFORMAT);
        CHECK(p == NULL);
        CHECK_CONTAINS(hearth_error_last(), cases[i].msg);
    }
    profile *p = NULL;
    CHECK_EQ_INT(folded_read(&p, "a\0b 1\n", 6), HEARTH_EFORMAT);
    CHECK_CONTAINS(hearth_error_last(), "line 1: NUL byte");
}

TEST(test_folded__write_expands_inlined_frames_outermost_first)
{
    profile *p = NULL;
    REQUIRE(profile_create(&p) == 0);
    profile_add_sample_type(p, "cpu", "nanoseconds");
    int64_t fmain = profile_function_intern(p, "main", NULL, "m.c", 1);
    int64_t fouter = profile_function_intern(p, "outer", NULL, "m.c", 10);
    int64_t finl = profile_function_intern(p, "inlined", NULL, "m.c", 20);
    profile_line l1 = {(uint64_t)fmain, 5, 0};
    profile_line l2[2] = {{(uint64_t)finl, 21, 0}, {(uint64_t)fouter, 12, 0}};
    int64_t loc_main = profile_add_location(p, 0, 0x1000, &l1, 1);
    int64_t loc_leaf = profile_add_location(p, 0, 0x2000, l2, 2);
    int64_t loc_bare = profile_add_location(p, 0, 0xbeef, NULL, 0);
    uint64_t stack1[] = {(uint64_t)loc_leaf, (uint64_t)loc_main};
    uint64_t stack2[] = {(uint64_t)loc_bare, (uint64_t)loc_main};
    int64_t v1 = 30, v2 = 12, v0 = 0;
    profile_add_sample(p, stack1, 2, &v1, 1, NULL, 0);
    profile_add_sample(p, stack2, 2, &v2, 1, NULL, 0);
    profile_add_sample(p, stack1, 2, &v0, 1, NULL, 0);
    REQUIRE(profile_validate(p) == 0);
    char *out = fold(p);
    CHECK_EQ_STR(out, "main;0xbeef 12\nmain;outer;inlined 30\n");
    free(out);
    profile_destroy(p);
}

TEST(test_folded__newlines_in_names_cannot_break_lines)
{
    profile *p = NULL;
    REQUIRE(profile_create(&p) == 0);
    profile_add_sample_type(p, "samples", "count");
    int64_t f = profile_function_intern(p, "evil\nname 99", NULL, "", 0);
    profile_line l = {(uint64_t)f, 0, 0};
    uint64_t loc = (uint64_t)profile_add_location(p, 0, 0, &l, 1);
    int64_t v = 1;
    profile_add_sample(p, &loc, 1, &v, 1, NULL, 0);
    char *out = fold(p);
    CHECK_EQ_STR(out, "evil name 99 1\n");
    free(out);
    profile_destroy(p);
}

TEST(test_folded__semicolons_in_names_cannot_split_frames)
{
    profile *p = NULL;
    REQUIRE(profile_create(&p) == 0);
    profile_add_sample_type(p, "samples", "count");
    int64_t fmain = profile_function_intern(p, "main", NULL, "", 0);
    int64_t f = profile_function_intern(p, "<[u8; 32] as core::fmt::Debug>::fmt", NULL, "", 0);
    profile_line lm = {(uint64_t)fmain, 0, 0}, lf = {(uint64_t)f, 0, 0};
    uint64_t stack[] = {(uint64_t)profile_add_location(p, 0, 0, &lf, 1),
                        (uint64_t)profile_add_location(p, 0, 0, &lm, 1)};
    int64_t v = 7;
    profile_add_sample(p, stack, 2, &v, 1, NULL, 0);
    char *out = fold(p);
    CHECK_EQ_STR(out, "main;<[u8: 32] as core::fmt::Debug>::fmt 7\n");
    /* And it reads back as the same two frames. */
    profile *q = out ? parse(out) : NULL;
    if (q) {
        CHECK_EQ_INT(q->n_samples, 1);
        CHECK_EQ_INT(q->samples[0].n_locations, 2);
    }
    profile_destroy(q);
    free(out);
    profile_destroy(p);
}
