/*
 * server/subs.h — live subscriptions of one database, on the database worker thread
 * (spec-client-protocol.md §2.7-2.10, spec-engine-semantics.md §3.4-3.7).
 *
 * Design:
 *   - One `subs` per open database holds the WebSocket clients that subscribed (keyed by the
 *     loop side's connection pointer, `owner`), their query sets, and one `subs_q` per compiled
 *     sub_query (sub/sub.h) with the list of (client, query set) subscribing to it. Query sets
 *     live here, not on the loop: a set is created by Subscribe, removed by Unsubscribe and
 *     freed with the client on DISCONNECT (subs_client_drop).
 *   - After every committed transaction host/db calls subs_on_commit (the host_db commit hook):
 *     sub_registry_eval_tx runs ONCE; each affected query's deletes and inserts are encoded ONCE
 *     as a TableUpdateRows and those bytes are copied into every subscriber's message, which
 *     differs only in framing and query set ids. A row update is a delete and an insert in the
 *     same message. Clients whose sets are unaffected get nothing. A client whose message
 *     carries one query set gets only a 9-byte head of its own; the tables part is one
 *     refcounted subs_shared per distinct list of hit queries, which the loop writes from the
 *     same memory to every such client (writev: [frame header + head, shared tail]).
 *   - Messages go into the running job's `subs_fan`: the loop sends them, in order, before the
 *     job's own reply, so each client sees transactions in commit order. The caller of a
 *     WebSocket reducer gets no TransactionUpdate: its own sets are kept aside (fan->caller)
 *     and go inside its ReducerResult (subs_put_reducer_ok).
 *   - Every message carries tx_end = the store's next tx offset when it was built: a client
 *     with confirmed reads receives it only once the log's durable end reaches tx_end.
 *   - Not thread-safe: only the worker thread touches a subs.
 */
#ifndef LC_SERVER_SUBS_H
#define LC_SERVER_SUBS_H

#include <stdatomic.h>

#include "base/buf.h"
#include "base/types.h"
#include "host/db.h"
#include "server/dbwork.h"

/* Bound on the rows of one SubscribeApplied / UnsubscribeApplied / OneOffQueryResult: a bigger
 * answer is refused with an error instead of a message no client can take (the reference has
 * a row_limit for the same reason). Below the loop's default per-client outq_max (16 MiB) so
 * an uncompressed answer is not mistaken for a slow client. */
#define SUBS_RESULT_BYTES_MAX (12u << 20)
/* Rows one one-off query may return. */
#define SUBS_ONE_OFF_ROWS_MAX 1000000u
/* Query sets one connection may hold, and queries per set (the decoder caps a Subscribe at
 * LC_PROTO_QUERIES_MAX). */
#define SUBS_SETS_PER_CLIENT_MAX 4096u

typedef struct subs subs;

/* Bytes shared by the messages of several connections (refcounted; the last release frees).
 * Made on the worker, then referenced by the fan and by the loop's socket writes. */
typedef struct subs_shared {
    _Atomic u32 refs;
    u32 len;
    /* The loop's compressed frame of [zhead, data] for compression zcomp (NULL until a
     * compressing client got it): every client with the same head reuses it, however many
     * transactions are queued. Touched by the loop thread only; freed with the tail. */
    u8 *zframe;
    u32 zframe_len;
    u8 zcomp, zhead_len;
    u8 zhead[14];
    u8 data[];
} subs_shared;

/* Shared tails start at this many bytes: below it a copy per client costs less than an extra
 * write buffer and a refcount. */
#define SUBS_SHARED_MIN 256u

void subs_shared_retain(subs_shared *sh);
void subs_shared_release(subs_shared *sh);

/* One message for one connection: the ServerMessage body is data[off, off+len) followed by
 * shared->data when shared is not NULL (a TransactionUpdate of one query set: the per-client
 * head is tag, set count 1 and the set id; the tail, its tables, is the same for every
 * client whose set had the same queries hit). */
typedef struct subs_fan_msg {
    void *owner;
    u64 tx_end;
    size_t off, len;
    subs_shared *shared;
} subs_fan_msg;

/* What the commits of one job produced. Owned by the job (dbjob_free -> subs_fan_free). */
typedef struct subs_fan {
    lc_buf data;
    subs_fan_msg *msgs;
    u32 count, cap;
    lc_buf caller;     /* the job's caller's QuerySetUpdates, concatenated (no count) */
    u32 caller_nsets;
} subs_fan;

/* cur points at the worker's "job being run"; the commit hook reads it to find where
 * messages go and who the caller is. A commit outside any job (scheduled reducers) makes a
 * DBJOB_TICK job there, which the worker must hand to the loop (dbwork.c tick_flush). db is
 * borrowed. */
int subs_create(host_db *db, dbjob **cur, subs **out) LC_MUST_USE;
void subs_destroy(subs *s);
void subs_fan_free(subs_fan *f);

/* The host_db commit hook (ctx = subs). */
void subs_on_commit(void *ctx, const store_txdata *td);

/* Runs a DBJOB_WS job (Subscribe, Unsubscribe or OneOffQuery in j->in): reply body in j->out,
 * j->tx_end set. s NULL: the connection has no database; every request gets its error reply.
 * A protocol violation (duplicate query set id, undecodable message) sets j->ok = false with
 * the reason in j->out: the loop closes the connection with 1011. */
void subs_ws_job(subs *s, dbjob *j);

/* Every query set ends with SubscriptionError{request_id: None} carrying `why` (a deleted
 * database, or a republish that breaks clients: the loop then closes their connections).
 * Messages go to the current job. */
void subs_reset(subs *s, const char *why);
/* Around a republish (compiled queries borrow row types and table ids a migration may
 * replace): subs_detach keeps every set's query texts and releases the compiled queries;
 * subs_reattach, after the publish whether it committed or was refused, compiles them again
 * for the same callers, so clients keep their connections and subscriptions without seeing
 * anything but the updates of later transactions. A set that no longer compiles ends with
 * SubscriptionError{request_id: None}. Every subs_detach is followed by subs_reattach or
 * subs_reset before any other job runs. */
void subs_detach(subs *s);
void subs_reattach(subs *s);

/* Forgets a connection: its sets, and the queries nobody else holds. */
void subs_client_drop(subs *s, const void *owner);

/* Appends ReducerResult{request_id, ts, Ok{ret_value: empty, the caller's updates}}. */
void subs_put_reducer_ok(lc_buf *out, u32 request_id, i64 timestamp_us, const subs_fan *f);

/* Introspection for tests: connections with at least one set, and live compiled queries. */
u32 subs_client_count(const subs *s);
u32 subs_query_count(const subs *s);

#endif
