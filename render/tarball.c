/*
 * tar.gz without a tar program: 512-byte ustar headers and file bodies
 * padded to 512 bytes, deflated as they come into one gzip member. A
 * report is a few MiB, so the archive is built in memory and written once
 * with a rename; nothing half-written is ever seen under its name.
 */
#include "tarball.h"

#include <stdio.h>
#include <string.h>

#include "../formats/error.h"

#define BLOCK 512

/* Deflates data into t->out (flush = Z_NO_FLUSH or Z_FINISH). */
static int feed(tarball *t, const void *data, size_t len, int flush)
{
    if (t->failed)
        return t->failed;
    /* avail_in is a uInt; bodies are fed in pieces that fit. */
    size_t left = len;
    do {
        size_t piece = left > (1u << 30) ? (1u << 30) : left;
        t->z.next_in = (Bytef *)data + (len - left);
        t->z.avail_in = (uInt)piece;
        left -= piece;
        int f = left ? Z_NO_FLUSH : flush;
        int zr;
        do {
            if (strbuf_reserve(t->out, 65536)) {
                t->failed = hearth_error_set(HEARTH_ENOMEM, "out of memory");
                return t->failed;
            }
            t->z.next_out = (Bytef *)t->out->buf + t->out->len;
            t->z.avail_out = (uInt)(t->out->cap - t->out->len - 1);
            uInt before = t->z.avail_out;
            zr = deflate(&t->z, f);
            t->out->len += before - t->z.avail_out;
            if (zr == Z_STREAM_ERROR) {
                t->failed = hearth_error_set(HEARTH_EFAIL, "gzip: deflate failed");
                return t->failed;
            }
        } while (t->z.avail_out == 0 || t->z.avail_in > 0 || (f == Z_FINISH && zr != Z_STREAM_END));
    } while (left);
    return 0;
}

int tarball_init(tarball *t, strbuf *out, int64_t mtime_s)
{
    memset(t, 0, sizeof *t);
    t->out = out;
    t->mtime_s = mtime_s < 0 ? 0 : mtime_s;
    /* 15 + 16: a gzip wrapper, as gzip(1) writes; level 6 is its default. */
    if (deflateInit2(&t->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return hearth_error_set(HEARTH_ENOMEM, "gzip: cannot start the compressor");
    t->started = 1;
    return 0;
}

/* An octal field of width w: w-1 digits and a NUL, as GNU tar writes. */
static void octal(char *field, size_t w, uint64_t v)
{
    field[w - 1] = 0;
    for (size_t i = w - 1; i-- > 0;) {
        field[i] = (char)('0' + (v & 7));
        v >>= 3;
    }
}

static int header(tarball *t, const char *name, char type, uint64_t size, unsigned mode)
{
    char h[BLOCK];
    memset(h, 0, sizeof h);
    size_t n = strlen(name);
    const char *base = name;
    if (n > 100) {
        /* ustar: prefix (155) + "/" + name (100). */
        const char *cut = NULL;
        for (const char *s = name; *s; s++)
            if (*s == '/' && (size_t)(s - name) <= 155 && n - (size_t)(s - name) - 1 <= 100)
                cut = s;
        if (!cut || n > 256)
            return t->failed = hearth_error_set(HEARTH_ELIMIT, "%s: name too long for a tar archive", name);
        memcpy(h + 345, name, (size_t)(cut - name));
        base = cut + 1;
    }
    memcpy(h, base, strlen(base));
    octal(h + 100, 8, mode);
    octal(h + 108, 8, 0);
    octal(h + 116, 8, 0);
    octal(h + 124, 12, size);
    octal(h + 136, 12, (uint64_t)t->mtime_s);
    h[156] = type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    /* The checksum is computed with its own field as spaces. */
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < BLOCK; i++)
        sum += (unsigned char)h[i];
    snprintf(h + 148, 8, "%06o", sum);
    h[155] = ' ';
    return feed(t, h, BLOCK, Z_NO_FLUSH);
}

int tarball_add_dir(tarball *t, const char *name)
{
    char full[300];
    if (snprintf(full, sizeof full, "%s/", name) >= (int)sizeof full)
        return t->failed = hearth_error_set(HEARTH_ELIMIT, "%s: name too long for a tar archive", name);
    return header(t, full, '5', 0, 0755);
}

int tarball_add_file(tarball *t, const char *name, const void *data, size_t len)
{
    static const char zeros[BLOCK];
    int rc = header(t, name, '0', len, 0644);
    if (!rc)
        rc = feed(t, data, len, Z_NO_FLUSH);
    if (!rc && len % BLOCK)
        rc = feed(t, zeros, BLOCK - len % BLOCK, Z_NO_FLUSH);
    return rc;
}

int tarball_finish(tarball *t)
{
    static const char end[2 * BLOCK];
    return feed(t, end, sizeof end, Z_FINISH);
}

void tarball_fini(tarball *t)
{
    if (t->started)
        deflateEnd(&t->z);
    t->started = 0;
}
