/*
 * pprof's ShortenFunctionName (internal/graph), written as direct scans
 * instead of regular expressions: pprof's patterns use Go's leftmost-first
 * matching, lazy quantifiers and \w = [0-9A-Za-z_], which POSIX regcomp
 * cannot express. Each scan below names the pattern it implements and
 * follows its backtracking order, so that every node label equals pprof's.
 * Names are short (tens of bytes) and at most a few hundred are drawn, so
 * clarity wins over speed here.
 */
#include "graph_name.h"

#include <stdbool.h>
#include <string.h>

static bool is_word(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* End of the line that starts at i: Go's "." never matches a newline. */
static size_t line_end(const char *s, size_t n, size_t i)
{
    const char *nl = memchr(s + i, '\n', n - i);
    return nl ? (size_t)(nl - s) : n;
}

/*
 * `^(?:[\w\-\.]+\/)+(.+)`: the longest run of "segment/" prefixes that
 * leaves at least one character on the line. Sets the group and returns
 * true on a match.
 */
static bool match_go(const char *s, size_t n, size_t *g0, size_t *g1)
{
    size_t i = 0, best = 0;
    bool found = false;
    for (;;) {
        size_t j = i;
        while (j < n && (is_word(s[j]) || s[j] == '-' || s[j] == '.'))
            j++;
        if (j == i || j >= n || s[j] != '/')
            break;
        i = j + 1;
        if (i < n && s[i] != '\n') {
            best = i;
            found = true;
        }
    }
    if (!found)
        return false;
    *g0 = best;
    *g1 = line_end(s, n, best);
    return true;
}

/* From i: `[A-Z][\w\$]*\.(?:<init>|[a-z][\w\$]*(?:\$\d+)?)(?:\(|$)`. */
static bool match_java_tail(const char *s, size_t n, size_t i, size_t *end)
{
    if (i >= n || !is_upper(s[i]))
        return false;
    i++;
    while (i < n && (is_word(s[i]) || s[i] == '$'))
        i++;
    if (i >= n || s[i] != '.')
        return false;
    i++;
    size_t m;
    if (n - i >= 6 && !memcmp(s + i, "<init>", 6) && (i + 6 == n || s[i + 6] == '('))
        m = i + 6;
    else if (i < n && is_lower(s[i])) {
        /* [\w$]* is greedy and already takes any "$123" suffix, so only the
         * longest run can be followed by "(" or the end. */
        m = i + 1;
        while (m < n && (is_word(s[m]) || s[m] == '$'))
            m++;
        if (m != n && s[m] != '(')
            return false;
    } else
        return false;
    *end = m;
    return true;
}

/* `^(?:[a-z]\w*\.)*(CLASS.METHOD)(?:\(|$)`: the most package segments
 * first, as the greedy star backtracks. Segments hold no ".", so the
 * candidates are 0 and every position after a "." inside the chain. */
static bool match_java(const char *s, size_t n, size_t *g0, size_t *g1)
{
    size_t i = 0;
    while (i < n && is_lower(s[i])) {
        size_t j = i + 1;
        while (j < n && is_word(s[j]))
            j++;
        if (j >= n || s[j] != '.')
            break;
        i = j + 1;
    }
    for (size_t p = i + 1; p-- > 0;) {
        size_t end;
        if ((p == 0 || s[p - 1] == '.') && match_java_tail(s, n, p, &end)) {
            *g0 = p;
            *g1 = end;
            return true;
        }
    }
    return false;
}

/* From i: `_*[A-Z]\w*::~?[_a-zA-Z]\w*(?:<.*>)?`. */
static bool match_cpp_tail(const char *s, size_t n, size_t i, size_t *end)
{
    while (i < n && s[i] == '_')
        i++;
    if (i >= n || !is_upper(s[i]))
        return false;
    while (i < n && is_word(s[i]))
        i++;
    if (n - i < 2 || s[i] != ':' || s[i + 1] != ':')
        return false;
    i += 2;
    if (i < n && s[i] == '~')
        i++;
    if (i >= n || !(is_word(s[i]) && !is_digit(s[i])))
        return false;
    while (i < n && is_word(s[i]))
        i++;
    if (i < n && s[i] == '<') {
        size_t e = line_end(s, n, i);
        for (size_t k = e; k-- > i + 1;)
            if (s[k] == '>') {
                i = k + 1;
                break;
            }
    }
    *end = i;
    return true;
}

/* `^(?:[_a-zA-Z]\w*::)+(TAIL)`: at least one namespace, the most first.
 * Namespaces hold no ":", so the candidates are the positions after each
 * "::" inside the chain. */
static bool match_cpp(const char *s, size_t n, size_t *g0, size_t *g1)
{
    size_t i = 0;
    for (;;) {
        if (i >= n || !(is_word(s[i]) && !is_digit(s[i])))
            break;
        size_t j = i + 1;
        while (j < n && is_word(s[j]))
            j++;
        if (n - j < 2 || s[j] != ':' || s[j + 1] != ':')
            break;
        i = j + 2;
    }
    for (size_t p = i + 1; p-- > 2;) {
        size_t end;
        if (s[p - 1] == ':' && s[p - 2] == ':' && match_cpp_tail(s, n, p, &end)) {
            *g0 = p;
            *g1 = end;
            return true;
        }
    }
    return false;
}

/*
 * `^(.*?)/v(?:[2-9]|[1-9][0-9]+)([./].*)$` replaced by "$1$2": the first
 * "/vN" (N >= 2) followed by "." or "/". The pattern spans the whole
 * text, which "." cannot do across a newline. Returns the bytes removed
 * as [*cut0, *cut1), or false.
 */
static bool match_go_version(const char *s, size_t n, size_t *cut0, size_t *cut1)
{
    if (memchr(s, '\n', n))
        return false;
    for (size_t i = 0; i + 2 < n; i++) {
        if (s[i] != '/' || s[i + 1] != 'v')
            continue;
        size_t j = i + 2, k = j;
        while (k < n && is_digit(s[k]))
            k++;
        size_t digits = k - j;
        bool number = (digits == 1 && s[j] >= '2') || (digits >= 2 && s[j] != '0');
        if (number && k < n && (s[k] == '.' || s[k] == '/')) {
            *cut0 = i;
            *cut1 = k;
            return true;
        }
    }
    return false;
}

void graph_name_shorten(strbuf *out, const char *name, size_t n)
{
    static const char anon[] = "(anonymous namespace)::";
    if (n >= sizeof anon - 1 && !memcmp(name, anon, sizeof anon - 1)) {
        name += sizeof anon - 1;
        n -= sizeof anon - 1;
    }
    /* The version cut happens before the matchers see the name. */
    char small[512];
    strbuf tmp;
    strbuf_init(&tmp);
    size_t c0, c1;
    if (match_go_version(name, n, &c0, &c1)) {
        const char *s = name;
        if (n < sizeof small) {
            memcpy(small, s, c0);
            memcpy(small + c0, s + c1, n - c1);
            name = small;
        } else {
            strbuf_append(&tmp, s, c0);
            strbuf_append(&tmp, s + c1, n - c1);
            name = tmp.oom ? "" : tmp.buf;
        }
        n -= c1 - c0;
        if (tmp.oom)
            n = 0;
    }
    size_t g0, g1;
    if (match_go(name, n, &g0, &g1) || match_java(name, n, &g0, &g1) ||
        match_cpp(name, n, &g0, &g1))
        strbuf_append(out, name + g0, g1 - g0);
    else
        strbuf_append(out, name, n);
    strbuf_fini(&tmp);
}
