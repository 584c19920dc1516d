/*
 * XML-safe text: escaping, invalid UTF-8 and control bytes, and cutting
 * long names with "..".
 */
#include "../../render/svg.h"
#include "../test.h"

static char *esc(const char *s)
{
    strbuf b;
    strbuf_init(&b);
    svg_escape(&b, s);
    return strbuf_take(&b, NULL);
}

static char *fit(const char *s, size_t n)
{
    strbuf b;
    strbuf_init(&b);
    svg_escape_fit(&b, s, n);
    return strbuf_take(&b, NULL);
}

TEST(test_svg__escapes_markup_characters)
{
    char *s = esc("<script>alert(\"x\" & 'y')</script>]]>");
    CHECK_EQ_STR(s, "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;]]&gt;");
    free(s);
}

TEST(test_svg__replaces_invalid_utf8_and_control_bytes)
{
    char *s = esc("a\x01" "b\xff" "c\xc3" "d\xed\xa0\x80" "e\xef\xbf\xbe" "f\x7f" "g\tz");
    CHECK_EQ_STR(s, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd" "d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                    "e\xef\xbf\xbd" "f\xef\xbf\xbd" "g\tz");
    free(s);
    /* Valid multi-byte characters pass through. */
    s = esc("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5");
    CHECK_EQ_STR(s, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5");
    free(s);
}

TEST(test_svg__fit_cuts_long_names_with_two_dots_on_character_boundaries)
{
    char *s = fit("runtime.mallocgc", 16);
    CHECK_EQ_STR(s, "runtime.mallocgc");
    free(s);
    s = fit("runtime.mallocgc", 9);
    CHECK_EQ_STR(s, "runtime..");
    free(s);
    s = fit("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 4);
    CHECK_EQ_STR(s, "\xc3\xa9\xc3\xa9..");
    free(s);
    s = fit("<<<<<<", 5);
    CHECK_EQ_STR(s, "&lt;&lt;&lt;..");
    free(s);
    s = fit("abcdef", 2);
    CHECK_EQ_STR(s, "");
    free(s);
    CHECK_EQ_INT(svg_char_count("\xc3\xa9x\xff"), 3);
}
