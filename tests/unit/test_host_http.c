/*
 * tests/unit/test_host_http.c — procedures reaching outside the database
 * (procedure_http_request, procedure_sleep_until; host/http_out.c) through
 * tests/host/modules/proctest and a tiny HTTP server on a loopback port run by the test:
 * GET and POST with their bodies, the status and body reaching the module, a chunked reply,
 * malformed status, chunk and truncated or oversized answers, connection refused, a timeout,
 * TLS to a plain server, loopback refused unless allowed, HTTP refused inside a
 * transaction, a bad URI, and sleep_until waking at its time.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "harness.h"
#include "host/db.h"
#include "host/host_test_util.h"

/* ---- the test's HTTP server: one request per connection ---- */

typedef struct tsrv {
    int fd;
    u16 port;
    pthread_t th;
    _Atomic bool stop;
    char last_req[4096];
} tsrv;

/* Reads one request (head + Content-Length body) and answers by path. */
static void tsrv_serve(tsrv *s, int c)
{
    char buf[4096];
    size_t n = 0;
    ssize_t r;
    char *end = NULL;
    while (!end && n < sizeof buf - 1 && (r = read(c, buf + n, sizeof buf - 1 - n)) > 0) {
        n += (size_t)r;
        buf[n] = 0;
        end = strstr(buf, "\r\n\r\n");
    }
    if (!end) return;
    const char *cl = strcasestr(buf, "content-length: ");
    size_t want = cl ? (size_t)atoi(cl + 16) : 0, have = n - (size_t)(end + 4 - buf);
    while (have < want && n < sizeof buf - 1 && (r = read(c, buf + n, sizeof buf - 1 - n)) > 0) {
        n += (size_t)r;
        have += (size_t)r;
    }
    buf[n] = 0;
    snprintf(s->last_req, sizeof s->last_req, "%s", buf);
    char out[1024];
    int on;
    if (strncmp(buf, "GET /hello ", 11) == 0) {
        on = snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                      "X-Test: yes\r\n\r\nworld");
    } else if (strncmp(buf, "POST /echo ", 11) == 0) {
        on = snprintf(out, sizeof out, "HTTP/1.1 201 Created\r\nContent-Length: %zu\r\n\r\n%s",
                      want, end + 4);
    } else if (strncmp(buf, "GET /chunked ", 13) == 0) {
        on = snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
    } else if (strncmp(buf, "GET /badstatus ", 15) == 0) {
        on = snprintf(out, sizeof out, "HTTQ/9 what\r\n\r\n");
    } else if (strncmp(buf, "GET /badchunk ", 14) == 0) {
        on = snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "zz\r\nabc\r\n0\r\n\r\n");
    } else if (strncmp(buf, "GET /short ", 11) == 0) {
        on = snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello");
    } else if (strncmp(buf, "GET /bighead ", 13) == 0) { /* a head over HOST_HTTP_HEAD_MAX */
        static char big[80 * 1024];
        memcpy(big, "HTTP/1.1 200 OK\r\n", 17);
        size_t n = 17;
        while (n + 4100 < sizeof big - 4) { /* 4 KB headers: few, but too many bytes */
            memcpy(big + n, "X-Pad: ", 7);
            memset(big + n + 7, 'a', 4000);
            memcpy(big + n + 4007, "\r\n", 2);
            n += 4009;
        }
        memcpy(big + n, "\r\n", 2);
        n += 2;
        if (send(c, big, n, MSG_NOSIGNAL) != (ssize_t)n) return; /* the client may go first */
        return;
    } else if (strncmp(buf, "GET /slow ", 10) == 0) {
        usleep(1500 * 1000); /* longer than the caller's timeout */
        on = snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    } else {
        on = snprintf(out, sizeof out, "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope");
    }
    if (send(c, out, (size_t)on, MSG_NOSIGNAL) != on) return;
}

static void *tsrv_main(void *arg)
{
    tsrv *s = arg;
    while (!atomic_load(&s->stop)) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0) continue;
        tsrv_serve(s, c);
        close(c);
    }
    return NULL;
}

static bool tsrv_start(tsrv *s)
{
    memset(s, 0, sizeof *s);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof a) || listen(s->fd, 8) ||
        getsockname(s->fd, (struct sockaddr *)&a, &al))
        return false;
    s->port = ntohs(a.sin_port);
    return pthread_create(&s->th, NULL, tsrv_main, s) == 0;
}

static void tsrv_stop(tsrv *s)
{
    atomic_store(&s->stop, true);
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    pthread_join(s->th, NULL);
}

/* ---- calling the module ---- */

static host_db *open_proctest(bool allow_private)
{
    host_db_opts o;
    memset(&o, 0, sizeof o);
    o.http_allow_private = allow_private;
    return host_test_db_with("proctest", &o);
}

/* Calls procedure fetch(method, uri, body, timeout_ms); its String result into out. */
static bool fetch(host_db *db, const char *method, const char *uri, const char *body,
                  unsigned timeout_ms, char *out, size_t cap)
{
    char json[1024];
    snprintf(json, sizeof json, "[\"%s\", \"%s\", \"%s\", %u]", method, uri, body, timeout_ms);
    host_caller c;
    memset(&c, 0, sizeof c);
    c.identity[0] = 7;
    lc_buf res;
    lc_buf_init(&res);
    host_outcome o;
    lc_errbuf eb;
    bool ok = host_db_call_procedure_json(db, "fetch", json, strlen(json), &c, &res, &o, &eb) ==
                  0 && o.kind == HOST_OUTCOME_COMMITTED && res.len >= 4 &&
              lc_load_u32(res.data) == res.len - 4;
    snprintf(out, cap, "%.*s", ok ? (int)(res.len - 4) : 0, ok ? (const char *)res.data + 4 : "");
    lc_buf_deinit(&res);
    return ok;
}

TEST(host_http_procedure_requests)
{
    static tsrv s;
    CHECK(tsrv_start(&s));
    host_db *db = open_proctest(true);
    CHECK(db != NULL);
    if (!db) {
        tsrv_stop(&s);
        return;
    }
    char uri[128], out[512];
    snprintf(uri, sizeof uri, "http://127.0.0.1:%u/hello", s.port);
    CHECK(fetch(db, "GET", uri, "", 0, out, sizeof out));
    CHECK_STR(out, "200 world");
    CHECK(strstr(s.last_req, "GET /hello HTTP/1.1\r\n") != NULL);
    CHECK(strstr(s.last_req, "Host: 127.0.0.1:") != NULL);

    snprintf(uri, sizeof uri, "http://127.0.0.1:%u/echo", s.port);
    CHECK(fetch(db, "POST", uri, "ping-body", 0, out, sizeof out));
    CHECK_STR(out, "201 ping-body");
    CHECK(strstr(s.last_req, "Content-Length: 9\r\n") != NULL);

    snprintf(uri, sizeof uri, "http://127.0.0.1:%u/chunked", s.port);
    CHECK(fetch(db, "GET", uri, "", 0, out, sizeof out));
    CHECK_STR(out, "200 abcdefg");

    snprintf(uri, sizeof uri, "http://127.0.0.1:%u/missing", s.port);
    CHECK(fetch(db, "GET", uri, "", 0, out, sizeof out));
    CHECK_STR(out, "404 nope"); /* any status is a response, not a transport error */

    i64 t0 = lc_now_micros();
    snprintf(uri, sizeof uri, "http://127.0.0.1:%u/slow", s.port);
    CHECK(fetch(db, "GET", uri, "", 300, out, sizeof out));
    CHECK(strstr(out, "error: timed out") != NULL);
    CHECK(lc_now_micros() - t0 < 1400 * 1000); /* the 300 ms deadline, not the server's 1.5 s */

    snprintf(uri, sizeof uri, "https://127.0.0.1:%u/hello", s.port); /* not a TLS server */
    CHECK(fetch(db, "GET", uri, "", 2000, out, sizeof out));
    CHECK(strstr(out, "error: TLS handshake with 127.0.0.1 failed") != NULL);

    /* malformed or truncated answers are errors, not guesses */
    static const char *const bad[][2] = {{"badstatus", "malformed status line"},
                                         {"badchunk", "bad chunk size"},
                                         {"short", "ended early"},
                                         {"bighead", "larger than"}};
    for (int i = 0; i < 4; i++) {
        snprintf(uri, sizeof uri, "http://127.0.0.1:%u/%s", s.port, bad[i][0]);
        CHECK(fetch(db, "GET", uri, "", 2000, out, sizeof out));
        CHECK(strncmp(out, "error: ", 7) == 0 && strstr(out, bad[i][1]) != NULL);
    }

    CHECK(fetch(db, "GET", "http://127.0.0.1:1/", "", 0, out, sizeof out));
    CHECK(strstr(out, "error: cannot connect") != NULL);
    CHECK(fetch(db, "GET", "ftp://127.0.0.1/x", "", 0, out, sizeof out));
    CHECK(strstr(out, "error: only http:// and https://") != NULL);
    CHECK(fetch(db, "GET", "http://no such host/", "", 0, out, sizeof out));
    CHECK(strstr(out, "error:") != NULL);

    /* HTTP with a transaction open: WOULD_BLOCK_TRANSACTION (17) */
    host_caller c;
    memset(&c, 0, sizeof c);
    lc_buf res;
    lc_buf_init(&res);
    host_outcome o;
    lc_errbuf eb;
    CHECK_OK(host_db_call_procedure(db, "fetch_in_tx", NULL, 0, &c, &res, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_EQ(res.len, 4);
    CHECK_EQ(lc_load_u32(res.data), 17);
    lc_buf_deinit(&res);
    CHECK_OK(host_db_close(db));

    /* the default refuses loopback and private addresses, as the reference host does */
    db = open_proctest(false);
    CHECK(db != NULL);
    snprintf(uri, sizeof uri, "http://127.0.0.1:%u/hello", s.port);
    CHECK(db && fetch(db, "GET", uri, "", 0, out, sizeof out));
    CHECK(strstr(out, "private or loopback") != NULL);
    if (db) CHECK_OK(host_db_close(db));
    tsrv_stop(&s);
}

TEST(host_http_sleep_until)
{
    host_db *db = open_proctest(false);
    CHECK(db != NULL);
    if (!db) return;
    host_caller c;
    memset(&c, 0, sizeof c);
    lc_buf res;
    lc_buf_init(&res);
    host_outcome o;
    lc_errbuf eb;
    i64 t0 = lc_now_micros(), wake = t0 + 200 * 1000;
    char json[64];
    snprintf(json, sizeof json, "[%lld]", (long long)wake);
    CHECK_OK(host_db_call_procedure_json(db, "nap_until", json, strlen(json), &c, &res, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_EQ(res.len, 8);
    i64 woke = (i64)lc_load_u64(res.data);
    CHECK(woke >= wake);
    CHECK(lc_now_micros() - t0 >= 200 * 1000);
    lc_buf_reset(&res);
    CHECK_OK(host_db_call_procedure_json(db, "nap_until", "[-5]", 4, &c, &res, &o, &eb));
    CHECK_EQ(res.len, 8); /* the past: at once */
    lc_buf_deinit(&res);
    CHECK_OK(host_db_close(db));
}
