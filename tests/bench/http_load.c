/*
 * Load generator for the in-service /debug/pprof/ server, plain sockets:
 *   http_load PORT SECONDS CLIENTS [TOKEN]
 * CLIENTS threads on 127.0.0.1 for SECONDS, each looping over a mix of
 * valid requests (index, cmdline, heap, allocs, debug=1, symbol, goroutine,
 * threadcreate, 1-second CPU profiles),
 * bad ones (unknown paths, bad parameters, block/mutex, a wrong method,
 * a garbage request line, an oversized URI and body), slow ones (the
 * request sent a byte every 40 ms) and aborted ones (closed at once, after
 * half a request, or 100 ms into a 3-second delta profile). Every request
 * that should get an answer must get one with an expected status within
 * 30 s. Prints per-status counts and "unexpected N" / "unanswered N";
 * exits 1 when either is nonzero.
 *   http_load hold PORT N SECONDS
 * opens N connections that send nothing and prints how many the server
 * closed within 1 s (beyond its connection limit) and within SECONDS (its
 * idle timeout): "closed_1s K", "closed K", "open K".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int port;
static const char *token;
static double deadline;
static _Atomic long by_status[600];
static _Atomic long unexpected, unanswered, aborted, total;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads the reply to its end (the request said Connection: close) and
 * returns its status, or -1 if none came. */
static int read_status(int fd)
{
    char buf[65536];
    char head[16] = {0};
    size_t got = 0;
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0)
            break;
        if (got < sizeof head - 1) {
            size_t k = (size_t)r < sizeof head - 1 - got ? (size_t)r : sizeof head - 1 - got;
            memcpy(head + got, buf, k);
        }
        got += (size_t)r;
    }
    int status;
    if (got < 12 || sscanf(head, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    return status;
}

static void record(int status, const int *ok)
{
    atomic_fetch_add(&total, 1);
    if (status < 0) {
        atomic_fetch_add(&unanswered, 1);
        return;
    }
    if (status < 600)
        atomic_fetch_add(&by_status[status], 1);
    for (; *ok; ok++)
        if (*ok == status)
            return;
    atomic_fetch_add(&unexpected, 1);
    fprintf(stderr, "http_load: unexpected status %d\n", status);
}

/* One request: method, target, body; slow = a byte every 40 ms. */
static void request(const char *method, const char *target, const char *body, size_t body_len,
                    int slow, const int *ok)
{
    int fd = dial();
    if (fd < 0) {
        record(-1, ok);
        struct timespec ts = {0, 100000000}; /* never spin on a dead server */
        nanosleep(&ts, NULL);
        return;
    }
    char auth[300] = "";
    if (token)
        snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", token);
    size_t cap = strlen(target) + body_len + 512;
    char *req = malloc(cap);
    int n = snprintf(req, cap, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n"
                     "Content-Length: %zu\r\n\r\n", method, target, auth, body_len);
    memcpy(req + n, body, body_len);
    size_t len = (size_t)n + body_len;
    int rc = 0;
    if (slow) {
        for (size_t i = 0; i < len && !rc; i++) {
            rc = send_all(fd, req + i, 1);
            struct timespec ts = {0, 40000000};
            nanosleep(&ts, NULL);
        }
    } else {
        rc = send_all(fd, req, len);
    }
    free(req);
    record(rc ? -1 : read_status(fd), ok);
    close(fd);
}

static void abort_one(int how)
{
    int fd = dial();
    atomic_fetch_add(&aborted, 1);
    if (fd < 0)
        return;
    if (how == 1)
        send_all(fd, "GET /debug/pprof/heap HTTP/1.1\r\nHo", 34);
    if (how == 2) {
        const char *r = "GET /debug/pprof/heap?seconds=3 HTTP/1.1\r\nHost: x\r\n";
        send_all(fd, r, strlen(r));
        if (token) {
            char auth[300];
            snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", token);
            send_all(fd, auth, strlen(auth));
        }
        send_all(fd, "\r\n", 2);
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    /* RST instead of FIN for the first kind: the rudest client. */
    if (how == 0) {
        struct linger lg = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(fd);
}

static void *client(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u;
    /* 503: too many slow requests at once; 429: a CPU profile runs. */
    static const int ok200[] = {200, 429, 503, 0};
    static const int ok404[] = {404, 0};
    static const int ok400[] = {400, 0};
    static const int ok405[] = {405, 0};
    static const int ok413[] = {413, 0};
    static const int ok414[] = {414, 0};
    static const char *valid[] = {
        "/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap", "/debug/pprof/allocs",
        "/debug/pprof/heap?debug=1", "/debug/pprof/symbol?0x1000+0x2000", "/debug/pprof/goroutine",
        "/debug/pprof/threadcreate", "/debug/pprof/profile?seconds=1",
    };
    char *big = malloc(100001);
    memset(big, 'a', 100000);
    big[100000] = '\0';
    memcpy(big, "/debug/pprof/", 13);
    while (now_s() < deadline) {
        int r = (int)(rand_r(&seed) % 100);
        if (r < 50) {
            request("GET", valid[rand_r(&seed) % (sizeof valid / sizeof *valid)], "", 0, 0, ok200);
        } else if (r < 56) {
            request("GET", "/no/such/path", "", 0, 0, ok404);
        } else if (r < 60) {
            request("GET", "/debug/pprof/heap?seconds=abc", "", 0, 0, ok400);
        } else if (r < 64) {
            request("GET", rand_r(&seed) % 2 ? "/debug/pprof/block" : "/debug/pprof/mutex", "", 0, 0, ok404);
        } else if (r < 67) {
            request("DELETE", "/debug/pprof/heap", "", 0, 0, ok405);
        } else if (r < 70) {
            static const int any4xx[] = {400, 0};
            int fd = dial();
            if (fd >= 0) {
                send_all(fd, "GARBAGE\r\n\r\n", 11);
                int st = read_status(fd);
                /* A closed connection is an answer to garbage too. */
                record(st < 0 ? 400 : st, any4xx);
                close(fd);
            }
        } else if (r < 73) {
            big[10000] = '\0';
            request("GET", big, "", 0, 0, ok414);
            big[10000] = 'a';
        } else if (r < 76) {
            request("POST", "/debug/pprof/symbol", big, 100000, 0, ok413);
        } else if (r < 86) {
            request("GET", "/debug/pprof/cmdline", "", 0, 1, ok200);
        } else {
            abort_one(rand_r(&seed) % 3);
        }
    }
    free(big);
    return NULL;
}

static int hold(int n, double seconds)
{
    struct pollfd *p = calloc((size_t)n, sizeof *p);
    int opened = 0, closed_1s = 0, closed = 0;
    double start = now_s();
    for (int i = 0; i < n; i++) {
        p[i].fd = dial();
        p[i].events = POLLIN;
        opened += p[i].fd >= 0;
    }
    while (closed < opened && now_s() - start < seconds) {
        if (poll(p, (nfds_t)n, 100) <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            char c;
            if (p[i].fd < 0 || !p[i].revents)
                continue;
            if (recv(p[i].fd, &c, 1, MSG_DONTWAIT) > 0)
                continue;
            close(p[i].fd);
            p[i].fd = -1;
            closed++;
            if (now_s() - start < 1.0)
                closed_1s++;
        }
    }
    printf("opened %d\nclosed_1s %d\nclosed %d\nopen %d\nafter %.1f\n", opened, closed_1s, closed,
           opened - closed, now_s() - start);
    for (int i = 0; i < n; i++)
        if (p[i].fd >= 0)
            close(p[i].fd);
    free(p);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "hold")) {
        port = atoi(argv[2]);
        return hold(atoi(argv[3]), atof(argv[4]));
    }
    if (argc < 4) {
        fprintf(stderr, "usage: http_load PORT SECONDS CLIENTS [TOKEN]\n");
        return 2;
    }
    port = atoi(argv[1]);
    double seconds = atof(argv[2]);
    int clients = atoi(argv[3]);
    token = argc > 4 ? argv[4] : NULL;
    deadline = now_s() + seconds;
    pthread_t th[256];
    if (clients > 256)
        clients = 256;
    for (int i = 0; i < clients; i++)
        pthread_create(&th[i], NULL, client, (void *)(uintptr_t)(i + 1));
    for (int i = 0; i < clients; i++)
        pthread_join(th[i], NULL);
    printf("requests %ld\naborted %ld\n", atomic_load(&total), atomic_load(&aborted));
    for (int s = 0; s < 600; s++)
        if (atomic_load(&by_status[s]))
            printf("status %d %ld\n", s, atomic_load(&by_status[s]));
    printf("unexpected %ld\nunanswered %ld\n", atomic_load(&unexpected), atomic_load(&unanswered));
    return atomic_load(&unexpected) || atomic_load(&unanswered) ? 1 : 0;
}
