/*
 * Loading the CLI's inputs and writing its outputs. Inputs are recognised by
 * content, never by name, from their first 1 MiB: gzip magic or bytes that
 * cannot be text mean pprof; text means folded stacks. A command that can
 * take folded stacks line by line (flame: 150 MB files are common) gets them
 * streamed through that one block; the others get the whole file. Outputs
 * go through a temporary file and a rename so a failed run never leaves a
 * half-written file.
 */
#include "cli.h"
#include "gunzip_thread.h"
#include "fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../formats/error.h"
#include "../formats/folded.h"
#include "../formats/pprof.h"
#include "../formats/strbuf.h"
#include "termtext.h"

const char *cli_input_name(const char *path)
{
    if (!strcmp(path, "-"))
        return "<stdin>";
    const char *b = strrchr(path, '/');
    return fetch_skip_userinfo(path, b ? b + 1 : path);
}

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

int cli_max_input_arg(const char *cmd, const char *arg, size_t *out)
{
    if (!cli_parse_size(arg, out))
        return 0;
    fprintf(stderr, "hearth %s: --max-input: \"%s\" is not a size\n", cmd, arg);
    return -1;
}

/* Streaming reads go through one block of this size. */
#define BLOCK_BYTES ((size_t)1 << 20)

static int open_input(const char *path, size_t max_bytes)
{
    if (fetch_is_url(path))
        return fetch_url(path, max_bytes);
    int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
    if (fd < 0)
        return hearth_error_set(HEARTH_EFAIL, "cannot open: %s", strerror(errno));
    return fd;
}

static int limit_error(size_t max_bytes)
{
    return hearth_error_set(HEARTH_ELIMIT, "input exceeds the limit of %zu "
                            "bytes (see --max-input)", max_bytes);
}

/* Reads until buf holds cap bytes or the input ends; *n counts what is in
 * buf (the caller may have put some there). */
static int read_full(int fd, uint8_t *buf, size_t cap, size_t *n)
{
    while (*n < cap) {
        ssize_t got = read(fd, buf + *n, cap - *n);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return hearth_error_set(HEARTH_EFAIL, "read error: %s", strerror(errno));
        }
        if (got == 0)
            break;
        *n += (size_t)got;
    }
    return 0;
}

/* Reads the rest of fd after the n bytes already in *buf (capacity *cap),
 * doubling the buffer, at most max_bytes in all. */
static int read_rest(int fd, uint8_t **buf, size_t *cap, size_t *n, size_t max_bytes)
{
    for (;;) {
        if (*n == *cap) {
            if (*cap > max_bytes)
                return limit_error(max_bytes);
            uint8_t *nb = realloc(*buf, *cap * 2);
            if (!nb)
                return hearth_error_set(HEARTH_ENOMEM, "out of memory");
            *buf = nb;
            *cap *= 2;
        }
        int rc = read_full(fd, *buf, *cap, n);
        if (rc)
            return rc;
        if (*n < *cap)
            break; /* the end */
    }
    return *n > max_bytes ? limit_error(max_bytes) : 0;
}

int cli_read_file(uint8_t **out, size_t *len, const char *path, size_t max_bytes)
{
    int fd = open_input(path, max_bytes);
    if (fd < 0)
        return fd;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    int rc = buf ? read_rest(fd, &buf, &cap, &n, max_bytes)
                 : hearth_error_set(HEARTH_ENOMEM, "out of memory");
    if (!rc) {
        *out = buf;
        *len = n;
        buf = NULL;
    }
    free(buf);
    if (fd > 0)
        close(fd);
    return rc;
}

/* Text without control bytes but tab, CR and LF: what folded files nearly
 * always are. Any protobuf has some (its tags and lengths are small
 * numbers). */
static bool looks_like_text(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((b[i] < 0x20 && b[i] != '\t' && b[i] != '\n' && b[i] != '\r') ||
            b[i] == 0x7f)
            return false;
    return true;
}

/* One line (without its LF) is blank or "STACK COUNT". */
static bool folded_line_shape(const uint8_t *s, size_t n)
{
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    size_t start = 0;
    while (start < n && (s[start] == ' ' || s[start] == '\t'))
        start++;
    if (start == n)
        return true;
    size_t d = n;
    while (d > start && s[d - 1] >= '0' && s[d - 1] <= '9')
        d--;
    return d < n && d > start + 1 && (s[d - 1] == ' ' || s[d - 1] == '\t');
}

/*
 * Folded stacks whose names hold control bytes (perf prints what the
 * binary holds) are still text: no NUL, which every protobuf profile has
 * (string_table[0] is "", encoded 0x32 0x00), and every line of the block
 * "STACK COUNT" or blank; complete says whether the block's last line is
 * the input's last, else it may be cut.
 */
static bool looks_like_folded(const uint8_t *b, size_t n, bool complete)
{
    if (looks_like_text(b, n))
        return true;
    if (memchr(b, '\0', n))
        return false;
    size_t pos = 0;
    while (pos < n) {
        const uint8_t *nl = memchr(b + pos, '\n', n - pos);
        if (!nl && !complete)
            break;
        size_t end = nl ? (size_t)(nl - b) : n;
        if (!folded_line_shape(b + pos, end - pos))
            return false;
        pos = end + 1;
    }
    return true;
}

/* Streams folded text from fd into fn, the first n bytes already in buf. */
static int stream_folded(int fd, uint8_t *buf, size_t n, bool eof,
                         size_t max_bytes, folded_line_fn fn, void *arg)
{
    folded_parser fp;
    folded_parser_init(&fp, fn, arg);
    size_t total = n;
    int rc;
    for (;;) {
        if ((rc = folded_parser_feed(&fp, (const char *)buf, n)))
            goto out;
        if (eof)
            break;
        n = 0;
        if ((rc = read_full(fd, buf, BLOCK_BYTES, &n)))
            goto out;
        eof = n < BLOCK_BYTES;
        total += n;
        if (total > max_bytes) {
            rc = limit_error(max_bytes);
            goto out;
        }
    }
    rc = folded_parser_finish(&fp);
out:
    folded_parser_fini(&fp);
    return rc;
}

/* What folded_read makes of a file with no lines: the sample type alone. */
static int folded_stub(profile **out)
{
    int rc = profile_create(out);
    if (rc)
        return rc;
    if (profile_add_sample_type(*out, "samples", "count") < 0) {
        profile_destroy(*out);
        *out = NULL;
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    return 0;
}

int cli_load_input(profile **out, input_kind *kind, const char *path,
                   size_t max_bytes, folded_line_fn fn, void *arg)
{
    const char *name = strcmp(path, "-") ? path : "<stdin>";
    uint8_t *buf = NULL;
    size_t cap = BLOCK_BYTES, len = 0;
    int fd = open_input(path, max_bytes), rc;
    *out = NULL;
    if (fd < 0) {
        rc = fd;
        goto fail;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > max_bytes) {
        rc = limit_error(max_bytes);
        goto fail;
    }
    buf = malloc(cap);
    if (!buf) {
        rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
        goto fail;
    }
    /* The first block tells the kind. */
    if ((rc = read_full(fd, buf, cap, &len)))
        goto fail;
    if (len == 0) {
        rc = hearth_error_set(HEARTH_EFORMAT, "empty input");
        goto fail;
    }
    if (len > max_bytes) {
        rc = limit_error(max_bytes);
        goto fail;
    }
    bool folded = !pprof_is_gzip(buf, len) && looks_like_folded(buf, len, len < cap);
    if (fn && folded) {
        if (kind)
            *kind = INPUT_FOLDED;
        if ((rc = folded_stub(out)) ||
            (rc = stream_folded(fd, buf, len, len < cap, max_bytes, fn, arg)))
            goto fail;
        goto done;
    }
    if ((rc = read_rest(fd, &buf, &cap, &len, max_bytes)))
        goto fail;
    if (folded) {
        rc = folded_read(out, (const char *)buf, len);
        if (kind)
            *kind = INPUT_FOLDED;
    } else {
        pprof_read_options o = PPROF_READ_OPTIONS_INIT;
        o.max_bytes = max_bytes;
        o.defer_samples = fn != NULL;
        o.inflater = &gunzip_thread;
        rc = pprof_read(out, buf, len, &o);
        if (kind)
            *kind = INPUT_PPROF;
    }
    if (rc)
        goto fail;
done:
    free(buf);
    if (fd > 0)
        close(fd);
    return 0;
fail:
    free(buf);
    if (fd > 0)
        close(fd);
    profile_destroy(*out);
    *out = NULL;
    fprintf(stderr, "hearth: %s: %s\n", name, hearth_error_last());
    return rc;
}

int cli_load_profile(profile **out, input_kind *kind, const char *path,
                     size_t max_bytes)
{
    return cli_load_input(out, kind, path, max_bytes, NULL, NULL);
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
    /* A name nobody else holds: O_EXCL never follows a planted symlink or
     * truncates someone's file, and a stale one from a crash is skipped. */
    int fd = -1;
    for (unsigned i = 0; fd < 0 && i < 100; i++) {
        snprintf(tmp, n + 32, "%s.tmp.%ld.%u", path, (long)getpid(), i);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
            break;
    }
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
    strbuf line;
    strbuf_init(&line);
    strbuf_printf(&line, "hearth: %s: no sample type \"%s\"; it has:", name, arg);
    for (size_t i = 0; i < p->n_sample_types; i++) {
        const char *type = profile_str(p, p->sample_types[i].type);
        strbuf_putc(&line, ' ');
        termtext_append(&line, type, strlen(type), false);
    }
    strbuf_putc(&line, '\n');
    if (!line.oom)
        fputs(line.buf, stderr);
    else
        fprintf(stderr, "hearth: %s: no sample type \"%s\"\n", name, arg);
    strbuf_fini(&line);
    return -1;
}
