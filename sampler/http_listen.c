/*
 * Where the /debug/pprof/ server listens. Its own file because the policy
 * lives here: profiles show a service's code and data, so by default only
 * loopback addresses are accepted (the caller refuses anything else without
 * a token). The socket is created here rather than by libmicrohttpd so a
 * bad or busy address is reported in one clear line before any library is
 * loaded, and so port 0 (any free port) can be reported as the real port.
 */
#include "http_listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(char *why, size_t why_len, const char *msg)
{
    snprintf(why, why_len, "%s", msg);
    return -1;
}

int http_addr_parse(http_addr *out, const char *s, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    const char *colon = strrchr(s, ':');
    if (!colon)
        return fail(why, why_len, "not HOST:PORT (e.g. 127.0.0.1:6060)");
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || port < 0 || port > 65535)
        return fail(why, why_len, "port is not a number in 0..65535");
    size_t host_len = (size_t)(colon - s);
    char host[64];
    if (host_len >= sizeof host)
        return fail(why, why_len, "host too long");
    memcpy(host, s, host_len);
    host[host_len] = '\0';

    struct sockaddr_in *in4 = (struct sockaddr_in *)&out->sa;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->sa;
    if (host[0] == '[') {
        if (host_len < 3 || host[host_len - 1] != ']')
            return fail(why, why_len, "IPv6 host must be in brackets, e.g. [::1]:6060");
        host[host_len - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
            return fail(why, why_len, "not an IPv6 address");
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        out->len = sizeof *in6;
        out->loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
        return 0;
    }
    if (strchr(host, ':'))
        return fail(why, why_len, "IPv6 host must be in brackets, e.g. [::1]:6060");
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)port);
    out->len = sizeof *in4;
    if (!host[0]) {
        in4->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (!strcmp(host, "localhost")) {
        in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else if (inet_pton(AF_INET, host, &in4->sin_addr) != 1) {
        return fail(why, why_len, "host is not a numeric address, [IPv6] or localhost");
    }
    out->loopback = (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
    return 0;
}

int http_listen(const http_addr *a, char *shown, size_t shown_len, char *why, size_t why_len)
{
    int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(why, why_len, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (a->sa.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)&a->sa, a->len) || listen(fd, 64)) {
        snprintf(why, why_len, "cannot listen: %s", strerror(errno));
        close(fd);
        return -1;
    }
    struct sockaddr_storage got;
    socklen_t got_len = sizeof got;
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getsockname(fd, (struct sockaddr *)&got, &got_len) == 0) {
        if (got.ss_family == AF_INET6) {
            const struct sockaddr_in6 *g = (const struct sockaddr_in6 *)&got;
            inet_ntop(AF_INET6, &g->sin6_addr, host, sizeof host);
            port = ntohs(g->sin6_port);
        } else {
            const struct sockaddr_in *g = (const struct sockaddr_in *)&got;
            inet_ntop(AF_INET, &g->sin_addr, host, sizeof host);
            port = ntohs(g->sin_port);
        }
    }
    snprintf(shown, shown_len, got.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
    return fd;
}
