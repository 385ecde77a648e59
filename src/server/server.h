/*
 * server/server.h — the Lightcone network core: an HTTP/1.1 server on a libuv loop.
 *
 * server_start binds 127.0.0.1:port (port 0 = any free port, read back with server_port) and
 * runs the event loop on a thread of its own; server_stop wakes the loop through a uv_async_t,
 * closes every connection and joins the thread. Requests are parsed by net/http.h (its size
 * limits give 413/414/431/400) and answered by server_route (routes.c), a pure function of
 * the request so routes are unit-testable without sockets. Keep-alive and pipelining are
 * supported; an idle connection is closed after SERVER_IDLE_MS.
 *
 * Databases (server/dbwork.h): POST|PUT /v1/database/:name publishes, POST
 * /v1/database/:name/call/:reducer calls (JSON args); WebSocket CallReducer calls with BSATN
 * args; a WebSocket open/close runs client_connected/disconnected (the 101 is held until
 * client_connected commits; a refusal answers 403 instead). All of it runs on the one
 * database worker thread; an HTTP connection waiting on it pauses reading, so pipelined
 * responses stay in order.
 *
 * Subscriptions (server/subs.h): Subscribe / Unsubscribe / OneOffQuery run on the worker;
 * every committed transaction is evaluated once and fanned out (the caller's own updates
 * inside its ReducerResult). ?confirmed=true (the default) holds a client's messages until
 * the transaction is durable in the log; ?confirmed=false sends at once. v3 clients get every
 * message of one loop drain coalesced into one frame.
 */
#ifndef LC_SERVER_SERVER_H
#define LC_SERVER_SERVER_H

#include "base/buf.h"
#include "base/error.h"
#include "base/types.h"
#include "clog/clog.h"
#include "net/http.h"
#include "net/token.h"

/* Reported by GET /v1/health and `lightcone version`. */
#define LIGHTCONE_SERVER_VERSION "0.1.0-dev"

/* An idle keep-alive connection (no bytes received) is closed after this long. */
#define SERVER_IDLE_MS 30000

/* Default bound on a connection's unsent output: a client that stops reading is disconnected
 * instead of growing server memory (the reference closes slow clients likewise). 16 MiB holds
 * a large initial subscription plus some updates. */
#define SERVER_OUTQ_MAX (16u << 20)

typedef struct server_config {
    const char *host;   /* "127.0.0.1" if NULL */
    u16 port;           /* 0 = pick a free port */
    net_keys *keys;     /* borrowed; signs and verifies tokens */
    const char *issuer; /* JWT iss of minted tokens, e.g. "localhost" */
    size_t outq_max;    /* bytes queued unsent to one client before it is dropped as too slow;
                         * 0 = SERVER_OUTQ_MAX */
    const char *data_dir; /* databases live in <data_dir>/<name>; NULL = in memory */
    const char *web_root; /* GET/HEAD outside /v1/ serve static files from here; NULL = 404 */
    bool http_allow_private; /* procedures' outbound HTTP may reach loopback/private hosts */
    const clog_options *clog; /* every database's log options (sync policy, test I/O hooks);
                               * NULL = defaults. on_durable is the server's own. */
} server_config;

typedef struct server server;

int server_start(const server_config *cfg, server **out, lc_errbuf *eb) LC_MUST_USE;
/* The bound port (useful with port 0). */
u16 server_port(const server *s);
/* How many clients were dropped for not reading (outq_max exceeded); any thread. */
u64 server_slow_drops(const server *s);
/* Compressed frame bodies taken from the compress-once cache (hits) and compressed (misses)
 * since start (any thread; tests and metrics). */
void server_compress_stats(const server *s, u64 *hits, u64 *misses);
/* Stops the loop, closes connections, joins the loop thread and frees s. */
void server_stop(server *s);

/* Answers one request into out (a full HTTP response). Returns true if the connection may
 * stay open afterwards. now_s is the wall clock for token iat/exp. */
bool server_route(const server_config *cfg, const net_http_request *req, i64 now_s, lc_buf *out);

#endif
