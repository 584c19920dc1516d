/*
 * Inputs given as http:// or https:// URLs, as `go tool pprof` takes them:
 * the body is downloaded (libcurl) into an anonymous in-memory file whose
 * descriptor then reads like any input file, so every reader (streaming
 * folded text, pprof, timelines) works on URLs unchanged, and a failed
 * download is reported before anything is parsed.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../formats/error.h"
#include "fetch.h"

bool fetch_is_url(const char *path)
{
    return !strncmp(path, "http://", 7) || !strncmp(path, "https://", 8);
}

/* The `seconds` query parameter of a profile URL, or 0: a CPU profile over
 * N seconds takes N seconds to answer, so the timeout must allow for it. */
static long url_seconds(const char *url)
{
    const char *q = strchr(url, '?');
    while (q) {
        q++;
        if (!strncmp(q, "seconds=", 8)) {
            long v = strtol(q + 8, NULL, 10);
            return v > 0 && v < 86400 ? v : 0;
        }
        q = strchr(q, '&');
    }
    return 0;
}

/* In a URL, where its host part starts (*host) and where its
 * "user:password@" ends: NULL when it has none, or path is no URL. */
static const char *userinfo_end(const char *path, const char **host)
{
    if (!fetch_is_url(path))
        return NULL;
    const char *h = strstr(path, "://") + 3;
    const char *end = h + strcspn(h, "/?#");
    const char *at = memrchr(h, '@', (size_t)(end - h));
    *host = h;
    return at ? at + 1 : NULL;
}

char *fetch_shown_name(const char *path)
{
    const char *h, *after = userinfo_end(path, &h);
    if (!after)
        return strdup(path);
    size_t pre = (size_t)(h - path), n = strlen(after);
    char *r = malloc(pre + n + 1);
    if (r) {
        memcpy(r, path, pre);
        memcpy(r + pre, after, n + 1);
    }
    return r;
}

const char *fetch_skip_userinfo(const char *path, const char *name)
{
    const char *h, *after = userinfo_end(path, &h);
    return after && name < after ? after : name;
}

typedef struct sink {
    CURL *curl;
    int fd;
    size_t got, max_bytes;
    int err;            /* errno of a failed write, or -1 over the limit */
    char first[160];    /* the start of the body, for error messages */
    size_t n_first;
} sink;

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
    sink *s = arg;
    size_t len = size * n;
    long status = 0;
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        /* An error page: only its start is kept, for the message. */
        size_t k = sizeof s->first - 1 - s->n_first;
        if (k > len)
            k = len;
        memcpy(s->first + s->n_first, data, k);
        s->n_first += k;
        return s->n_first < sizeof s->first - 1 ? len : 0;
    }
    if (s->got + len > s->max_bytes) {
        s->err = -1;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    if (s->n_first < sizeof s->first - 1) {
        size_t k = sizeof s->first - 1 - s->n_first;
        if (k > len)
            k = len;
        memcpy(s->first + s->n_first, data, k);
        s->n_first += k;
    }
    for (size_t off = 0; off < len;) {
        ssize_t w = write(s->fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            s->err = errno;
            return 0;
        }
        off += (size_t)w;
    }
    s->got += len;
    return len;
}

/* Progress on a terminal only: a capture of a 30 s CPU profile should not
 * look hung, and logs should not fill with progress lines. */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal;
    (void)ultotal;
    (void)ulnow;
    const char *url = arg;
    static time_t last;
    time_t now = time(NULL);
    if (now != last) {
        last = now;
        fprintf(stderr, "\r%s: %lld bytes", url, (long long)dlnow);
    }
    return 0;
}

/* The first line of an error body, printable ASCII only: servers put the
 * reason there ("profile duration exceeds server's WriteTimeout"), but it
 * is untrusted text landing on a terminal. */
static void first_line(const sink *s, char *out, size_t cap)
{
    size_t w = 0;
    for (size_t i = 0; i < s->n_first && w + 1 < cap; i++) {
        unsigned char c = (unsigned char)s->first[i];
        if (c == '\n' || c == '\r')
            break;
        out[w++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    out[w] = 0;
}

static bool curl_ready;

/* The last reply's status, for callers that treat 404 as "not served". */
static __thread long last_status;

long fetch_last_status(void)
{
    return last_status;
}

int fetch_url(const char *url, size_t max_bytes)
{
    last_status = 0;
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT))
            return hearth_error_set(HEARTH_EFAIL, "cannot initialise libcurl");
        curl_ready = true;
    }
    int fd = memfd_create("hearth-fetch", MFD_CLOEXEC);
    if (fd < 0)
        return hearth_error_set(HEARTH_EFAIL, "cannot buffer the download: %s",
                                strerror(errno));
    CURL *c = curl_easy_init();
    if (!c) {
        close(fd);
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    sink s = {.curl = c, .fd = fd, .max_bytes = max_bytes};
    char curl_err[CURL_ERROR_SIZE] = "";
    long timeout = 60 + url_seconds(url);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "hearth");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    bool tty = isatty(2);
    if (tty) {
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)url);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }
    /* HEARTH_HTTP_TOKEN is what a service protected by a token expects. */
    struct curl_slist *hdr = NULL;
    const char *token = getenv("HEARTH_HTTP_TOKEN");
    if (token && *token) {
        size_t n = strlen(token) + 32;
        char *h = malloc(n);
        if (h) {
            snprintf(h, n, "Authorization: Bearer %s", token);
            hdr = curl_slist_append(NULL, h);
            free(h);
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
        }
    }
    CURLcode rc = curl_easy_perform(c);
    if (tty)
        fputs("\r\033[K", stderr);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    last_status = status;
    curl_easy_cleanup(c);
    curl_slist_free_all(hdr);
    int err = 0;
    if (s.err == -1)
        err = hearth_error_set(HEARTH_ELIMIT, "download exceeds the limit of %zu bytes "
                               "(see --max-input)", max_bytes);
    else if (s.err > 0)
        err = hearth_error_set(HEARTH_EFAIL, "cannot buffer the download: %s",
                               strerror(s.err));
    /* An error page stops at its first bytes (on_data): its status, not
     * curl's write error, is what went wrong. */
    else if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && (status < 200 || status > 299)))
        err = hearth_error_set(HEARTH_EFAIL, "%s", *curl_err ? curl_err : curl_easy_strerror(rc));
    else if (status < 200 || status > 299) {
        char line[128];
        first_line(&s, line, sizeof line);
        err = hearth_error_set(HEARTH_EFAIL, "HTTP status %ld%s%s", status,
                               *line ? ": " : "", line);
    } else if (lseek(fd, 0, SEEK_SET) != 0)
        err = hearth_error_set(HEARTH_EFAIL, "cannot rewind the download: %s",
                               strerror(errno));
    if (err) {
        close(fd);
        return err;
    }
    return fd;
}
