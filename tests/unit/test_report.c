/*
 * Pieces of the report checked alone: markdown escaping, the tar writer
 * (read back with zlib and the ustar layout), profile classification and
 * SVG -> PNG.
 */
#include <zlib.h>

#include "../../render/png.h"
#include "../../render/report.h"
#include "../../render/tarball.h"
#include "../test.h"

static char *md(const char *s)
{
    strbuf b;
    strbuf_init(&b);
    report_md_escape(&b, s);
    return strbuf_take(&b, NULL);
}

TEST(test_report__md_escape_makes_syntax_literal)
{
    char *s = md("a|b `c` *d* _e_ [f](g) <h> #i &j; ~k~ $l$ !m \\n");
    CHECK_EQ_STR(s, "a\\|b \\`c\\` \\*d\\* \\_e\\_ \\[f\\](g) \\<h\\> \\#i \\&j; \\~k\\~ \\$l\\$ \\!m \\\\n");
    free(s);
}

TEST(test_report__md_escape_replaces_breaks_controls_and_bad_utf8)
{
    char *s = md("x\ny\r\tz\x01\x7f\xc2\x85\xff \xe2\x82\xac");
    CHECK_EQ_STR(s, "x y  z\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xe2\x82\xac");
    free(s);
}

/* Inflates a gzip archive into a new buffer. */
static unsigned char *gunzip(const strbuf *gz, size_t *n)
{
    size_t cap = 1 << 20;
    unsigned char *out = malloc(cap);
    z_stream z;
    memset(&z, 0, sizeof z);
    inflateInit2(&z, 15 + 16);
    z.next_in = (unsigned char *)gz->buf;
    z.avail_in = (uInt)gz->len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = inflate(&z, Z_FINISH);
    *n = rc == Z_STREAM_END ? z.total_out : 0;
    inflateEnd(&z);
    return out;
}

TEST(test_report__tarball_writes_ustar_in_gzip)
{
    strbuf gz;
    strbuf_init(&gz);
    tarball t;
    REQUIRE(tarball_init(&t, &gz, 1700000000) == 0);
    char longname[200];
    memset(longname, 'd', 120);
    snprintf(longname + 120, sizeof longname - 120, "/file.txt");
    CHECK(tarball_add_dir(&t, "rep") == 0);
    CHECK(tarball_add_file(&t, "rep/a.txt", "hello", 5) == 0);
    CHECK(tarball_add_file(&t, longname, "", 0) == 0);
    CHECK(tarball_finish(&t) == 0);
    tarball_fini(&t);
    size_t n;
    unsigned char *tar = gunzip(&gz, &n);
    /* dir header, file header + 1 data block, long-name header, 2 end blocks */
    CHECK_EQ_INT(n, 6 * 512);
    CHECK_EQ_STR((char *)tar, "rep/");
    CHECK(tar[156] == '5');
    CHECK_EQ_STR((char *)tar + 512, "rep/a.txt");
    CHECK(!memcmp(tar + 512 + 124, "00000000005", 11));
    CHECK(!memcmp(tar + 1024, "hello", 5));
    CHECK(!memcmp(tar + 512 + 257, "ustar", 6));
    /* The long name is split at its '/' into prefix and name. */
    CHECK_EQ_STR((char *)tar + 1536, "file.txt");
    CHECK(!memcmp(tar + 1536 + 345, longname, 120) && tar[1536 + 345 + 120] == 0);
    /* Checksums: the header's bytes with the field as spaces. */
    for (size_t h = 0; h < 3; h++) {
        size_t off = h == 0 ? 0 : h == 1 ? 512 : 1536;
        unsigned sum = 0;
        for (size_t i = 0; i < 512; i++)
            sum += (i >= 148 && i < 156) ? ' ' : tar[off + i];
        CHECK_EQ_INT(strtoul((char *)tar + off + 148, NULL, 8), sum);
    }
    for (size_t i = 4 * 512; i < n; i++)
        if (tar[i]) {
            CHECK(!"end blocks are zero");
            break;
        }
    free(tar);
    strbuf_fini(&gz);
}

TEST(test_report__tarball_refuses_names_it_cannot_store)
{
    strbuf gz;
    strbuf_init(&gz);
    tarball t;
    REQUIRE(tarball_init(&t, &gz, 0) == 0);
    char name[300];
    memset(name, 'x', 299);
    name[299] = 0;
    CHECK(tarball_add_file(&t, name, "x", 1) == HEARTH_ELIMIT);
    CHECK(tarball_finish(&t) == HEARTH_ELIMIT);
    tarball_fini(&t);
    strbuf_fini(&gz);
}

static profile *typed(const char *const *types, size_t n, const char *dflt)
{
    profile *p;
    if (profile_create(&p))
        return NULL;
    for (size_t i = 0; i < n; i += 2)
        profile_add_sample_type(p, types[i], types[i + 1]);
    if (dflt)
        p->default_sample_type = profile_intern(p, dflt);
    return p;
}

TEST(test_report__classifies_by_sample_types)
{
    static const char *const heap[] = {"alloc_objects", "count", "alloc_space", "bytes",
                                       "inuse_objects", "count", "inuse_space", "bytes"};
    static const char *const cpu[] = {"samples", "count", "cpu", "nanoseconds"};
    static const char *const gor[] = {"goroutine", "count"};
    static const char *const tc[] = {"threadcreate", "count"};
    static const char *const blk[] = {"contentions", "count", "delay", "nanoseconds"};
    struct { const char *const *t; size_t n; const char *d; report_kind want; } cases[] = {
        {heap, 8, "inuse_space", REPORT_HEAP},
        {heap, 8, NULL, REPORT_HEAP},
        {heap, 8, "alloc_space", REPORT_ALLOCS},
        {cpu, 4, NULL, REPORT_CPU},
        {gor, 2, NULL, REPORT_GOROUTINE},
        {tc, 2, NULL, REPORT_THREADCREATE},
        {blk, 4, NULL, REPORT_OTHER},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        profile *p = typed(cases[i].t, cases[i].n, cases[i].d);
        REQUIRE(p);
        CHECK_EQ_INT(report_classify(p), cases[i].want);
        profile_destroy(p);
    }
}

TEST(test_report__png_of_an_svg_and_of_garbage)
{
    static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" height=\"20\">"
                              "<rect width=\"20\" height=\"20\" fill=\"red\"/></svg>";
    strbuf b;
    strbuf_init(&b);
    CHECK(png_from_svg(&b, svg, sizeof svg - 1) == 0);
    REQUIRE(b.len > 33);
    CHECK(!memcmp(b.buf, "\x89PNG\r\n\x1a\n", 8));
    /* IHDR: width 40, height 20. */
    CHECK(!memcmp(b.buf + 16, "\0\0\0\x28\0\0\0\x14", 8));
    b.len = 0;
    CHECK(png_from_svg(&b, "not svg", 7) == HEARTH_EFORMAT);
    CHECK_EQ_INT(b.len, 0);
    strbuf_fini(&b);
}
