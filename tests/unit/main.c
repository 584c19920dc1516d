/*
 * The unit test runner: runs every registered test (or those whose name
 * contains argv[1]) in registration order and prints the closing line.
 */
#include <stdarg.h>

#include <zlib.h>

#include "../test.h"

static test_case *head, **tail = &head;
int test_failed_now;

void test_register(test_case *t)
{
    *tail = t;
    tail = &t->next;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stdout, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    test_failed_now = 1;
}

const char *test_fixtures_dir(void)
{
    const char *d = getenv("HEARTH_FIXTURES");
    return d && *d ? d : "../shared/fixtures";
}

unsigned char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "out of memory reading %s\n", path);
        exit(2);
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (test_case *t = head; t; t = t->next) {
        if (argc > 1 && !strstr(t->name, argv[1]))
            continue;
        test_failed_now = 0;
        t->fn();
        printf("%s %s\n", test_failed_now ? "FAIL" : "PASS", t->name);
        if (test_failed_now)
            failed++;
        else
            passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

uint8_t *test_gzip(const uint8_t *raw, size_t raw_len, int level,
                           size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&zs, raw_len) + 64;
    uint8_t *out = malloc(cap);
    if (!out) {
        deflateEnd(&zs);
        return NULL;
    }
    zs.next_in = (Bytef *)raw;
    zs.avail_in = (uInt)raw_len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    int z = deflate(&zs, Z_FINISH);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    if (z != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}
