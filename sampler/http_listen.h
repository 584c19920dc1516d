/*
 * HEARTH_HTTP's HOST:PORT: parsing, the loopback-only policy and the
 * listening socket.
 */
#ifndef HEARTH_SAMPLER_HTTP_LISTEN_H
#define HEARTH_SAMPLER_HTTP_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

typedef struct http_addr {
    struct sockaddr_storage sa;
    socklen_t len;
    bool loopback; /* 127.0.0.0/8 or ::1 */
} http_addr;

/*
 * Parses "HOST:PORT": HOST is an IPv4 address, "[IPv6]", "localhost"
 * (127.0.0.1) or empty (every interface, as Go's ":6060"); PORT 0..65535
 * (0 = any free port). Names are not resolved: a lookup could block the
 * service's start-up. Returns 0, or -1 with the reason in why.
 */
int http_addr_parse(http_addr *out, const char *s, char *why, size_t why_len);

/*
 * A listening TCP socket (close-on-exec, non-blocking) bound to a, and the
 * address it got ("127.0.0.1:43567", "[::1]:6060") in shown. Returns the
 * fd, or -1 with the reason in why.
 */
int http_listen(const http_addr *a, char *shown, size_t shown_len, char *why, size_t why_len);

#endif
