/*
 * A .tar.gz writer (POSIX ustar inside gzip) for the report's archive: the
 * one file an incident ticket takes, unpacked by any tar.
 */
#ifndef HEARTH_RENDER_TARBALL_H
#define HEARTH_RENDER_TARBALL_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "../formats/strbuf.h"

typedef struct tarball {
    z_stream z;
    strbuf *out;  /* the compressed archive grows here */
    int64_t mtime_s;
    int started, failed;
} tarball;

/* Starts an archive whose gzip bytes are appended to out; every entry gets
 * modification time mtime_s (seconds since 1970). Returns 0 or
 * HEARTH_ENOMEM. */
int tarball_init(tarball *t, strbuf *out, int64_t mtime_s);

/* Adds a directory entry ("name/", mode 0755). name is a relative path
 * without a trailing slash, at most 255 bytes, split at a '/' into ustar's
 * prefix and name fields when longer than 100. Returns 0, HEARTH_ELIMIT
 * (name too long) or HEARTH_ENOMEM. */
int tarball_add_dir(tarball *t, const char *name);

/* Adds a regular file (mode 0644) holding data[0..len). Same errors. */
int tarball_add_file(tarball *t, const char *name, const void *data, size_t len);

/* Writes the two zero blocks that end a tar file and finishes the gzip
 * stream. Returns 0 or the first error of the archive. */
int tarball_finish(tarball *t);

/* Frees the compressor; the output stays in out. Safe after a failure. */
void tarball_fini(tarball *t);

#endif
