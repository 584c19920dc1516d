/*
 * Loading the CLI's inputs and writing its outputs. Inputs are recognised by
 * content, never by name: gzip magic or bytes that cannot be text mean
 * pprof; printable text means folded stacks. Outputs go through a temporary
 * file and a rename so a failed run never leaves a half-written file.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../formats/error.h"
#include "../formats/folded.h"
#include "../formats/pprof.h"

int cli_parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return -1;
    unsigned long long mul = 1;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': mul = 1ull << 10; end++; break;
    case 'm': case 'M': mul = 1ull << 20; end++; break;
    case 'g': case 'G': mul = 1ull << 30; end++; break;
    default: return -1;
    }
    if (*end || v > SIZE_MAX / mul)
        return -1;
    *out = (size_t)(v * mul);
    return 0;
}

int cli_read_file(uint8_t **out, size_t *len, const char *path, size_t max_bytes)
{
    int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
    if (fd < 0)
        return hearth_error_set(HEARTH_EFAIL, "cannot open: %s", strerror(errno));
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    int rc = 0;
    if (!buf) {
        rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
        goto out;
    }
    for (;;) {
        if (n == cap) {
            if (cap > max_bytes) {
                rc = hearth_error_set(HEARTH_ELIMIT,
                                      "input exceeds the limit of %zu bytes "
                                      "(see --max-input)", max_bytes);
                goto out;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
                goto out;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            rc = hearth_error_set(HEARTH_EFAIL, "read error: %s", strerror(errno));
            goto out;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    if (n > max_bytes) {
        rc = hearth_error_set(HEARTH_ELIMIT, "input exceeds the limit of %zu "
                              "bytes (see --max-input)", max_bytes);
        goto out;
    }
    *out = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    if (fd > 0)
        close(fd);
    return rc;
}

/* Text is what folded files are: no control bytes but tab, CR and LF. Any
 * protobuf has some (its tags and lengths are small numbers). */
static int looks_like_text(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((b[i] < 0x20 && b[i] != '\t' && b[i] != '\n' && b[i] != '\r') ||
            b[i] == 0x7f)
            return 0;
    return 1;
}

int cli_load_profile(profile **out, input_kind *kind, const char *path,
                     size_t max_bytes)
{
    const char *name = strcmp(path, "-") ? path : "<stdin>";
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = cli_read_file(&buf, &len, path, max_bytes);
    if (rc)
        goto fail;
    if (len == 0) {
        rc = hearth_error_set(HEARTH_EFORMAT, "empty input");
        goto fail;
    }
    if (!pprof_is_gzip(buf, len) && looks_like_text(buf, len)) {
        rc = folded_read(out, (const char *)buf, len);
        if (kind)
            *kind = INPUT_FOLDED;
    } else {
        pprof_read_options o = PPROF_READ_OPTIONS_INIT;
        o.max_bytes = max_bytes;
        rc = pprof_read(out, buf, len, &o);
        if (kind)
            *kind = INPUT_PPROF;
    }
    if (rc)
        goto fail;
    free(buf);
    return 0;
fail:
    free(buf);
    fprintf(stderr, "hearth: %s: %s\n", name, hearth_error_last());
    return rc;
}

int cli_write_output(const char *path, const void *data, size_t len)
{
    if (!strcmp(path, "-")) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout)) {
            fprintf(stderr, "hearth: <stdout>: write error: %s\n", strerror(errno));
            return -1;
        }
        return 0;
    }
    size_t n = strlen(path);
    char *tmp = malloc(n + 32);
    if (!tmp) {
        fprintf(stderr, "hearth: %s: out of memory\n", path);
        return -1;
    }
    snprintf(tmp, n + 32, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "hearth: %s: cannot create: %s\n", path, strerror(errno));
        free(tmp);
        return -1;
    }
    const uint8_t *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            fprintf(stderr, "hearth: %s: write error: %s\n", path,
                    w < 0 ? strerror(errno) : "short write");
            close(fd);
            unlink(tmp);
            free(tmp);
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    if (close(fd) || rename(tmp, path)) {
        fprintf(stderr, "hearth: %s: cannot write: %s\n", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

int cli_sample_index(const profile *p, const char *arg, const char *path)
{
    int si = arg ? profile_find_sample_index(p, arg) : profile_default_sample_index(p);
    if (si >= 0)
        return si;
    const char *name = strcmp(path, "-") ? path : "<stdin>";
    if (!arg) {
        fprintf(stderr, "hearth: %s: profile has no sample types\n", name);
        return -1;
    }
    fprintf(stderr, "hearth: %s: no sample type \"%s\"; it has:", name, arg);
    for (size_t i = 0; i < p->n_sample_types; i++)
        fprintf(stderr, " %s", profile_str(p, p->sample_types[i].type));
    fputc('\n', stderr);
    return -1;
}
