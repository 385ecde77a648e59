/*
 * host/db.c — a database: store + commit log + module + scheduler + module log (see db.h).
 *
 * Every write goes through db_commit: store_txn_commit, then (1) timers armed for rows
 * inserted into schedule tables, read from the TxData, and (2) the TxData appended to the
 * commit log with the call's inputs (caller identity ++ connection id ++ timestamp ++ args,
 * spec-engine-semantics §2.3) when the database has a directory.
 */
#include "host/db.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/limits.h"
#include "base/log.h"
#include "clog/clog_store.h"
#include "host/migrate.h"
#include "host/schema.h"
#include "host/sched.h"

typedef struct db_sched_table {
    u32 table_id;
    u32 pk_index;    /* unique index on the primary key (the timer key) */
    u16 pk_col, at_col;
    i32 reducer_id;   /* the schedule's function: a reducer, or else */
    i32 procedure_id; /* a procedure (-1 when none) */
    const lc_type *row_type;
} db_sched_table;

struct host_db {
    bool has_dir;
    clog_store_db cs;
    store *s;
    host_module *m;
    host_sched sched;
    host_modlog log;
    host_db_opts o;
    u8 db_identity[32];
    u8 owner[32];           /* st_module's owner_identity (valid when m != NULL) */
    u64 publish_count;      /* successful publishes since open (schema may have changed) */
    bool last_breaks_clients; /* the last publish requires every client to reconnect */
    store_txn proc_txn;     /* the transaction a running procedure opened */
    bool proc_txn_open;
    u32 sched_table_count;
    db_sched_table *sched_tables;
    lc_buf scratch;
    host_commit_fn on_commit; /* host_db_set_commit_hook */
    void *on_commit_ctx;
};

static i64 db_now(const host_db *db)
{
    return db->o.clock ? db->o.clock(db->o.clock_user) : lc_now_micros();
}

/* Byte span of column `col` in a row of product type rt. */
static bool db_col_span(const lc_type *rt, const u8 *row, size_t len, u16 col, size_t *off,
                        size_t *clen)
{
    lc_rd rd;
    lc_rd_init(&rd, row, len);
    for (u16 i = 0; i < col && i < rt->elem_count; i++) lc_bsatn_skip(rt->elems[i].type, &rd);
    if (col >= rt->elem_count || rd.err) return false;
    const u8 *start = rd.p;
    lc_bsatn_skip(rt->elems[col].type, &rd);
    if (rd.err) return false;
    *off = (size_t)(start - row);
    *clen = (size_t)(rd.p - start);
    return true;
}

static const db_sched_table *db_sched_table_of(const host_db *db, u32 table_id)
{
    for (u32 i = 0; i < db->sched_table_count; i++)
        if (db->sched_tables[i].table_id == table_id) return &db->sched_tables[i];
    return NULL;
}

/* Arms the timer of one schedule row (committed). */
static void db_arm_row(host_db *db, const db_sched_table *st, const u8 *row, size_t len,
                       i64 now)
{
    size_t ko, kl, ao, al;
    i64 due, interval;
    if (!db_col_span(st->row_type, row, len, st->pk_col, &ko, &kl) ||
        !db_col_span(st->row_type, row, len, st->at_col, &ao, &al))
        return;
    if (host_sched_at_decode(row + ao, al, now, &due, &interval) != 0) return;
    if (host_sched_arm(&db->sched, st->table_id, row + ko, kl, due, interval) != 0)
        LC_LOG_W("host", "cannot arm a timer (key of %zu bytes)", kl);
}

/* abi hook: refuses a schedule row whose delay is too long (before it is written). */
static int db_sched_check(void *user, u32 table_id, const u8 *row, size_t len)
{
    host_db *db = user;
    const db_sched_table *st = db_sched_table_of(db, table_id);
    if (!st) return 0;
    size_t ao, al;
    i64 due, interval;
    if (!db_col_span(st->row_type, row, len, st->at_col, &ao, &al)) return 0;
    if (host_sched_at_decode(row + ao, al, db_now(db), &due, &interval) == LC_ERANGE)
        return HOST_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG;
    return 0;
}

static void db_arm_txdata(host_db *db, const store_txdata *td)
{
    if (!td || db->sched_table_count == 0) return;
    i64 now = db_now(db);
    for (u32 i = 0; i < td->table_count; i++) {
        const store_txdata_table *tt = &td->tables[i];
        const db_sched_table *st = db_sched_table_of(db, tt->table_id);
        if (!st) continue;
        for (u32 r = 0; r < tt->inserts.count; r++) {
            const u8 *row = tt->inserts.bytes + tt->inserts.offs[r];
            db_arm_row(db, st, row, tt->inserts.offs[r + 1] - tt->inserts.offs[r], now);
        }
    }
}

static int db_log(host_db *db, const store_txdata *td, const char *name, const host_caller *c,
                  const u8 *args, size_t args_len, lc_errbuf *eb);

/* Commits txn, arms timers, logs with inputs (name may be NULL: no inputs), then tells the
 * commit hook (subscriptions) while the TxData is still valid. */
static int db_commit(host_db *db, store_txn *txn, const char *name, const host_caller *c,
                     const u8 *args, size_t args_len, lc_errbuf *eb)
{
    const store_txdata *td = NULL;
    int rc = store_txn_commit(txn, &td);
    if (rc) return lc_errf(eb, rc, "commit: %s", lc_strerror(rc));
    db_arm_txdata(db, td);
    rc = db_log(db, td, name, c, args, args_len, eb);
    if (!rc && db->on_commit && td) db->on_commit(db->on_commit_ctx, td);
    return rc;
}

/* Appends a committed TxData to the log with the call's inputs (no-op in memory). */
static int db_log(host_db *db, const store_txdata *td, const char *name, const host_caller *c,
                  const u8 *args, size_t args_len, lc_errbuf *eb)
{
    if (!db->has_dir || !td || !td->has_offset) return 0;
    lc_buf *in = &db->scratch;
    lc_buf_reset(in);
    store_inputs inputs = {0};
    if (name && c) {
        lc_buf_put(in, c->identity, 32);
        lc_buf_put(in, c->connection_id, 16);
        lc_buf_put_u64(in, (u64)c->timestamp_micros);
        if (args_len) lc_buf_put(in, args, args_len);
        if (in->err) return lc_errf(eb, in->err, "inputs too large");
        size_t nl = strlen(name);
        inputs = (store_inputs){name, (u32)(nl > 255 ? 255 : nl), in->data, (u32)in->len};
    }
    lc_buf_reset(&db->cs.enc);
    store_txdata_encode(td, name ? &inputs : NULL, &db->cs.enc);
    if (db->cs.enc.err) return lc_errf(eb, db->cs.enc.err, "encoding a transaction");
    return clog_append(db->cs.log, td->tx_offset, db->cs.enc.data, db->cs.enc.len, eb);
}

/* ---------------------------------------------------------------- module attach ---------- */

static int db_sched_tables_build(host_db *db, store_txn *txn)
{
    const host_moddef *def = host_module_def(db->m);
    lc_free(db->sched_tables);
    db->sched_tables = lc_calloc(def->table_count ? def->table_count : 1,
                                 sizeof *db->sched_tables);
    db->sched_table_count = 0;
    if (!db->sched_tables) return LC_ENOMEM;
    store_txn *tp = txn;
    for (u32 i = 0; i < def->table_count; i++) {
        const host_table_def *td = &def->tables[i];
        if (!td->schedule_function || td->pk_col < 0) continue;
        db_sched_table *st = &db->sched_tables[db->sched_table_count];
        if (store_table_id_from_name(tp, td->name, strlen(td->name), &st->table_id) != 0)
            continue;
        st->pk_index = UINT32_MAX;
        for (u32 k = 0; k < td->index_count; k++) {
            const host_index_def *x = &td->indexes[k];
            if (x->col_count == 1 && x->cols[0] == (u16)td->pk_col &&
                store_index_id_from_name(tp, x->name, strlen(x->name), &st->pk_index) == 0)
                break;
        }
        if (st->pk_index == UINT32_MAX) continue;
        st->pk_col = (u16)td->pk_col;
        st->at_col = td->schedule_at_col;
        st->row_type = td->row_type;
        st->reducer_id = host_moddef_reducer_id(def, td->schedule_function,
                                                strlen(td->schedule_function));
        st->procedure_id = -1;
        for (u32 k = 0; st->reducer_id < 0 && k < def->procedure_count; k++)
            if (strcmp(def->procedures[k].name, td->schedule_function) == 0)
                st->procedure_id = (i32)k;
        db->sched_table_count++;
    }
    return 0;
}

static int db_sched_tables_rebuild(host_db *db)
{
    store_txn t;
    store_read_begin(&t, db->s);
    int rc = db_sched_tables_build(db, &t);
    store_read_end(&t);
    return rc;
}

/* After a restart: every row of every schedule table is armed again. */
static void db_sched_rearm(host_db *db)
{
    store_txn t;
    store_read_begin(&t, db->s);
    i64 now = db_now(db);
    for (u32 i = 0; i < db->sched_table_count; i++) {
        store_iter it;
        if (store_scan(&t, db->sched_tables[i].table_id, &it) != 0) continue;
        const u8 *row;
        u32 len;
        while (store_iter_next(&it, &row, &len)) db_arm_row(db, &db->sched_tables[i], row, len, now);
        store_iter_close(&it);
    }
    store_read_end(&t);
}

static int db_commit(host_db *db, store_txn *txn, const char *name, const host_caller *c,
                     const u8 *args, size_t args_len, lc_errbuf *eb);

/* abi hook: the transactions of a procedure (procedure_start/commit/abort_mut_tx). Each is an
 * ordinary write transaction, committed (logged, timers armed) on its own. */
static int db_proc_tx(void *user, int op, store_txn **io_txn, i64 *out_ts)
{
    host_db *db = user;
    if (op == HOST_PROC_TX_BEGIN) {
        if (db->proc_txn_open) return LC_ESTATE;
        store_txn_begin(&db->proc_txn, db->s);
        db->proc_txn_open = true;
        *io_txn = &db->proc_txn;
        if (out_ts) *out_ts = db_now(db);
        return 0;
    }
    if (!db->proc_txn_open || *io_txn != &db->proc_txn) return LC_ESTATE;
    db->proc_txn_open = false;
    if (op == HOST_PROC_TX_ABORT) {
        store_txn_abort(&db->proc_txn);
        return 0;
    }
    lc_errbuf eb;
    int rc = db_commit(db, &db->proc_txn, NULL, NULL, NULL, 0, &eb);
    if (rc) LC_LOG_W("host", "procedure transaction: %s", eb.msg);
    return rc;
}

static void db_attach(host_db *db, host_module *m)
{
    db->m = m;
    host_abi *a = host_module_abi(m);
    memcpy(a->db_identity, db->db_identity, 32);
    a->log_fn = host_modlog_append;
    a->log_user = &db->log;
    a->sched_fn = db_sched_check;
    a->sched_user = db;
    a->proc_tx_fn = db_proc_tx;
    a->proc_tx_user = db;
    a->http_allow_private = db->o.http_allow_private;
}

static void db_log_host(host_db *db, u8 level, const char *function, const char *msg)
{
    host_log_record r = {
        .ts_micros = db_now(db), .level = level, .target = "__spacetimedb__", .target_len = 15,
        .filename = "__spacetimedb__", .filename_len = 15, .line = 0xFFFFFFFFu,
        .function = function, .message = msg, .message_len = (u32)strlen(msg),
    };
    host_modlog_append(&db->log, &r);
}

/* ---------------------------------------------------------------- open / close ----------- */

static int db_mkdir(const char *path, lc_errbuf *eb)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return lc_errf(eb, LC_EIO, "cannot create %s: %s", path, strerror(errno));
    return 0;
}

/* Loads the module stored in st_module (restart). */
static int db_load_stored(host_db *db, lc_errbuf *eb)
{
    store_txn t;
    store_read_begin(&t, db->s);
    const u8 *w;
    u32 n;
    u8 owner[32];
    int rc = host_schema_get_module(&t, &w, &n, db->db_identity, owner);
    if (rc == 0) memcpy(db->owner, owner, 32);
    lc_buf_reset(&db->scratch);
    if (rc == 0) lc_buf_put(&db->scratch, w, n);
    store_read_end(&t);
    if (rc == LC_ENOTFOUND) return 0;
    if (rc || db->scratch.err) return lc_errf(eb, rc ? rc : db->scratch.err, "st_module unreadable");
    host_module_opts mo = {db->o.fuel_budget, 0};
    host_module *m;
    rc = host_module_load(db->scratch.data, db->scratch.len, &mo, &m, eb);
    if (rc) return rc;
    db_attach(db, m);
    store_read_begin(&t, db->s);
    rc = db_sched_tables_build(db, &t);
    store_read_end(&t);
    if (rc) return lc_errf(eb, rc, "scheduler tables");
    db_sched_rearm(db);
    return 0;
}

/* Clients left in st_client by a crash or shutdown get their disconnect reducer (§4.6). */
static int db_disconnect_leftovers(host_db *db, lc_errbuf *eb)
{
    lc_buf rows;
    lc_buf_init(&rows);
    store_txn t;
    store_read_begin(&t, db->s);
    store_iter it;
    if (store_scan(&t, STORE_ST_CLIENT, &it) == 0) {
        const u8 *row;
        u32 len;
        while (store_iter_next(&it, &row, &len))
            if (len == 48) lc_buf_put(&rows, row, 48);
        store_iter_close(&it);
    }
    store_read_end(&t);
    int rc = rows.err;
    for (size_t off = 0; rc == 0 && off + 48 <= rows.len; off += 48) {
        host_outcome o;
        rc = host_db_disconnect(db, rows.data + off, rows.data + off + 32, &o, eb);
    }
    lc_buf_deinit(&rows);
    return rc;
}

int host_db_open(const char *dir, const host_db_opts *opts, host_db **out, lc_errbuf *eb)
{
    *out = NULL;
    host_db *db = lc_calloc(1, sizeof *db);
    if (!db) return lc_errf(eb, LC_ENOMEM, "out of memory");
    if (opts) db->o = *opts;
    memcpy(db->db_identity, db->o.db_identity, 32);
    host_sched_init(&db->sched);
    lc_buf_init(&db->scratch);
    int rc = 0;
    if (dir) {
        char p[600];
        snprintf(p, sizeof p, "%s/clog", dir);
        rc = db_mkdir(dir, eb);
        if (rc == 0) rc = db_mkdir(p, eb);
        if (rc == 0) rc = clog_store_open(p, &db->o.clog, &db->cs, NULL, eb);
        if (rc == 0) {
            db->has_dir = true;
            db->s = db->cs.s;
        }
    } else {
        rc = store_create(&db->s);
        if (rc) lc_errf(eb, rc, "store_create");
    }
    if (rc == 0) rc = host_modlog_open(&db->log, dir, db->o.modlog_file_max, eb);
    if (rc == 0) rc = db_load_stored(db, eb);
    if (rc == 0 && db->m) rc = db_disconnect_leftovers(db, eb);
    if (rc) {
        host_db_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

int host_db_close(host_db *db)
{
    if (!db) return 0;
    int rc = 0;
    host_module_destroy(db->m);
    host_sched_deinit(&db->sched);
    host_modlog_close(&db->log);
    if (db->has_dir) rc = clog_store_close(&db->cs);
    else if (db->s) store_destroy(db->s);
    lc_free(db->sched_tables);
    lc_buf_deinit(&db->scratch);
    lc_free(db);
    return rc;
}

bool host_db_last_publish_breaks_clients(const host_db *db) { return db->last_breaks_clients; }
u64 host_db_publish_count(const host_db *db) { return db->publish_count; }

int host_db_owner(const host_db *db, u8 out[32])
{
    if (!db->m) return LC_ENOTFOUND;
    memcpy(out, db->owner, 32);
    return 0;
}

store *host_db_store(host_db *db) { return db->s; }

void host_db_set_commit_hook(host_db *db, host_commit_fn fn, void *ctx)
{
    db->on_commit = fn;
    db->on_commit_ctx = ctx;
}

u64 host_db_durable_end(const host_db *db)
{
    return db->has_dir ? clog_durable_end(db->cs.log) : UINT64_MAX;
}
host_module *host_db_module(host_db *db) { return db->m; }
host_modlog *host_db_modlog(host_db *db) { return &db->log; }
i64 host_db_next_due(const host_db *db) { return host_sched_next_due(&db->sched); }

/* ---------------------------------------------------------------- publish ---------------- */

static void caller_system(host_caller *c, const u8 identity[32], i64 now)
{
    memset(c, 0, sizeof *c);
    memcpy(c->identity, identity, 32);
    c->timestamp_micros = now;
}

static int db_publish_first(host_db *db, host_module *m, const u8 *wasm, size_t len,
                            const u8 owner[32], host_outcome *out, lc_errbuf *eb)
{
    const host_moddef *def = host_module_def(m);
    db_attach(db, m);
    store_txn t;
    store_txn_begin(&t, db->s);
    int rc = host_schema_create(&t, def, eb);
    if (rc == 0) rc = host_schema_set_module(&t, db->db_identity, owner, wasm, len, eb);
    if (rc == 0) rc = db_sched_tables_build(db, &t);
    host_caller c;
    caller_system(&c, owner, db_now(db));
    i32 init = def->lifecycle_reducer[HOST_LIFECYCLE_INIT];
    if (rc == 0 && init >= 0) {
        rc = host_module_call_reducer(m, &t, (u32)init, &c, NULL, 0, out);
        if (rc == 0 && out->kind != HOST_OUTCOME_COMMITTED)
            rc = lc_errf(eb, LC_EINVALID, "init failed: %s", out->message);
    }
    if (rc) {
        store_txn_abort(&t);
        db->m = NULL;
        db->sched_table_count = 0;
        return rc;
    }
    return db_commit(db, &t, def->reducers && init >= 0 ? def->reducers[init].name : NULL, &c,
                     NULL, 0, eb);
}

/* Republish (spec-engine-semantics §5.4): host/migrate plans the change against the running
 * module; a refused plan or a step the store cannot apply yet refuses the publish and the old
 * module keeps running. Schema steps, st_module and the module swap are one transaction. */
static int db_publish_update(host_db *db, host_module *m, const u8 *wasm, size_t len,
                             const u8 owner[32], lc_errbuf *eb)
{
    const host_moddef *old = host_module_def(db->m), *nw = host_module_def(m);
    host_migrate_plan plan;
    int rc = host_migrate_plan_make(old, nw, &plan, eb);
    if (rc) {
        host_migrate_plan_free(&plan);
        return rc;
    }
    store_txn t;
    store_txn_begin(&t, db->s);
    rc = host_migrate_apply(&t, &plan, old, nw, eb);
    bool disconnect_all = plan.breaks_clients;
    host_migrate_plan_free(&plan);
    if (rc == 0) rc = host_schema_set_module(&t, db->db_identity, owner, wasm, len, eb);
    host_module *prev = db->m;
    if (rc == 0) {
        db_attach(db, m);
        rc = db_sched_tables_build(db, &t);
    }
    if (rc) {
        store_txn_abort(&t);
        db_attach(db, prev);
        if (db_sched_tables_rebuild(db) != 0) LC_LOG_W("host", "scheduler tables not rebuilt");
        return rc;
    }
    host_module_destroy(prev);
    rc = db_commit(db, &t, NULL, NULL, NULL, 0, eb);
    if (rc) return rc;
    /* a new scheduler, re-armed from the tables (§5.5): schedule tables may have been added,
     * removed or rebuilt under new ids */
    host_sched_deinit(&db->sched);
    host_sched_init(&db->sched);
    db_sched_rearm(db);
    db->last_breaks_clients = disconnect_all;
    if (disconnect_all) LC_LOG_W("host", "republish breaks clients: they must reconnect");
    return 0;
}

/* publish -c (spec-engine-semantics §5.4 "--delete-data"): in ONE logged transaction every
 * table of the running module is dropped with its rows, the new module's schema created, its
 * st_module row written and its `init` run, exactly as a first publish. Unlike the reference
 * (which deletes the log and snapshots) the history stays in the log, so replay and recovery
 * need nothing special; the database identity is kept. */
static int db_publish_clear(host_db *db, host_module *m, const u8 *wasm, size_t len,
                            const u8 owner[32], host_outcome *out, lc_errbuf *eb)
{
    const host_moddef *old = host_module_def(db->m), *def = host_module_def(m);
    host_module *prev = db->m;
    db_attach(db, m);
    store_txn t;
    store_txn_begin(&t, db->s);
    int rc = 0;
    for (u32 i = 0; rc == 0 && i < old->table_count; i++) {
        u32 id = 0;
        const char *nm = old->tables[i].name;
        if (store_table_id_from_name(&t, nm, strlen(nm), &id) == 0)
            rc = store_table_drop(&t, id, eb);
    }
    if (rc == 0) rc = host_schema_create(&t, def, eb);
    if (rc == 0) rc = host_schema_set_module(&t, db->db_identity, owner, wasm, len, eb);
    if (rc == 0) rc = db_sched_tables_build(db, &t);
    host_caller c;
    caller_system(&c, owner, db_now(db));
    i32 init = def->lifecycle_reducer[HOST_LIFECYCLE_INIT];
    if (rc == 0 && init >= 0) {
        rc = host_module_call_reducer(m, &t, (u32)init, &c, NULL, 0, out);
        if (rc == 0 && out->kind != HOST_OUTCOME_COMMITTED)
            rc = lc_errf(eb, LC_EINVALID, "init failed: %s", out->message);
    }
    if (rc) {
        store_txn_abort(&t);
        db_attach(db, prev);
        if (db_sched_tables_rebuild(db) != 0) LC_LOG_W("host", "scheduler tables not rebuilt");
        return rc;
    }
    host_module_destroy(prev);
    rc = db_commit(db, &t, init >= 0 ? def->reducers[init].name : NULL, &c, NULL, 0, eb);
    host_sched_deinit(&db->sched);
    host_sched_init(&db->sched);
    db_sched_rearm(db);
    return rc;
}

int host_db_publish_opts(host_db *db, const u8 *wasm, size_t len, const u8 owner[32],
                         const host_publish_opts *opts, host_outcome *out, lc_errbuf *eb)
{
    host_outcome local;
    if (!out) out = &local;
    memset(out, 0, sizeof *out);
    if (db->m && memcmp(owner, db->owner, 32) != 0)
        return lc_errf(eb, LC_EPERM, "only the database owner may publish to this database");
    host_module_opts mo = {db->o.fuel_budget, 0};
    host_module *m;
    int rc = host_module_load(wasm, len, &mo, &m, eb);
    if (rc) return rc;
    bool is_clear = opts && opts->clear, is_first = !db->m;
    if (is_first) rc = db_publish_first(db, m, wasm, len, owner, out, eb);
    else if (is_clear) rc = db_publish_clear(db, m, wasm, len, owner, out, eb);
    else rc = db_publish_update(db, m, wasm, len, owner, eb);
    if (rc && db->m != m) host_module_destroy(m);
    if (rc) return rc;
    if (is_first || is_clear) db->last_breaks_clients = is_clear; /* first: no clients yet */
    db->publish_count++;
    memcpy(db->owner, owner, 32);
    db_log_host(db, HOST_LOG_INFO, "__spacetimedb__",
                is_clear ? "module published (data cleared)" : "module published");
    return 0;
}

int host_db_publish(host_db *db, const u8 *wasm, size_t len, const u8 owner[32],
                    host_outcome *out, lc_errbuf *eb)
{
    return host_db_publish_opts(db, wasm, len, owner, NULL, out, eb);
}

/* ---------------------------------------------------------------- calls ------------------ */

/* Runs reducer `id` in a fresh transaction; commits (logging `name` + inputs) or rolls back. */
static int db_run(host_db *db, u32 id, const host_caller *c, const u8 *args, size_t len,
                  host_outcome *out, lc_errbuf *eb)
{
    const host_reducer_def *r = &host_module_def(db->m)->reducers[id];
    store_txn t;
    store_txn_begin(&t, db->s);
    int rc = host_module_call_reducer(db->m, &t, id, c, args, len, out);
    if (rc) {
        store_txn_abort(&t);
        return lc_errf(eb, rc, "%s: %s", r->name, out->message);
    }
    if (out->kind == HOST_OUTCOME_COMMITTED) return db_commit(db, &t, r->name, c, args, len, eb);
    store_txn_abort(&t);
    db_log_host(db, HOST_LOG_ERROR, r->name, out->message);
    return 0;
}

static int db_reducer(host_db *db, const char *name, const host_caller *caller, i32 *out_id,
                      lc_errbuf *eb)
{
    if (!db->m) return lc_errf(eb, LC_ENOTFOUND, "no module published");
    const host_moddef *def = host_module_def(db->m);
    i32 id = host_moddef_reducer_id(def, name, strlen(name));
    if (id < 0) return lc_errf(eb, LC_ENOTFOUND, "no such reducer: %s", name);
    if (def->reducers[id].lifecycle != HOST_LIFECYCLE_NONE)
        return lc_errf(eb, LC_EPERM, "lifecycle reducer %s cannot be called", name);
    /* §6.5: a Private reducer (scheduled ones included) is callable by the owner only */
    if (!def->reducers[id].is_public && (!caller || memcmp(caller->identity, db->owner, 32)))
        return lc_errf(eb, LC_EPERM, "reducer %s is private", def->reducers[id].name);
    *out_id = id;
    return 0;
}

/* volatile_nonatomic_schedule_immediate: the calls queued by the last reducer run now, each
 * in its own transaction, caller = the database identity; failures go to the module log.
 * Bounded: calls queued by these calls wait for the next drain. */
static void db_drain_immediate(host_db *db)
{
    host_abi *a = host_module_abi(db->m);
    if (a->immediate.len == 0) return;
    lc_buf q = a->immediate;
    lc_buf_init(&a->immediate);
    lc_rd rd;
    lc_rd_init(&rd, q.data, q.len);
    while (lc_rd_left(&rd) > 0 && !rd.err && db->m) {
        u32 nl = lc_rd_u32(&rd);
        const u8 *name = lc_rd_take(&rd, nl);
        u32 al = lc_rd_u32(&rd);
        const u8 *args = lc_rd_take(&rd, al);
        if (!name || !args) break;
        i32 id = host_moddef_reducer_id(host_module_def(db->m), (const char *)name, nl);
        if (id < 0) {
            db_log_host(db, HOST_LOG_ERROR, "__spacetimedb__", "schedule_immediate: no such reducer");
            continue;
        }
        host_caller c;
        caller_system(&c, db->db_identity, db_now(db));
        host_outcome o;
        lc_errbuf eb;
        if (db_run(db, (u32)id, &c, args, al, &o, &eb) != 0)
            db_log_host(db, HOST_LOG_ERROR, "__spacetimedb__", eb.msg);
    }
    lc_buf_deinit(&q);
}

int host_db_call(host_db *db, const char *name, const u8 *args, size_t len,
                 const host_caller *caller, host_outcome *out, lc_errbuf *eb)
{
    i32 id;
    int rc = db_reducer(db, name, caller, &id, eb);
    if (rc) return rc;
    rc = db_run(db, (u32)id, caller, args, len, out, eb);
    db_drain_immediate(db);
    return rc;
}

int host_db_call_json(host_db *db, const char *name, const char *json, size_t len,
                      const host_caller *caller, host_outcome *out, lc_errbuf *eb)
{
    i32 id;
    int rc = db_reducer(db, name, caller, &id, eb);
    if (rc) return rc;
    lc_buf args;
    lc_buf_init(&args);
    rc = lc_json_text_to_bsatn(host_module_def(db->m)->reducers[id].params, json, len, &args, eb);
    if (rc == 0) rc = db_run(db, (u32)id, caller, args.data, args.len, out, eb);
    lc_buf_deinit(&args);
    return rc;
}

/* ---------------------------------------------------------------- procedures ------------- */

static i32 db_procedure_id(const host_moddef *def, const char *name)
{
    for (u32 i = 0; i < def->procedure_count; i++) {
        const host_procedure_def *p = &def->procedures[i];
        if (strcmp(p->name, name) == 0 || (p->alias && strcmp(p->alias, name) == 0))
            return (i32)i;
    }
    return -1;
}

int host_db_call_procedure(host_db *db, const char *name, const u8 *args, size_t len,
                           const host_caller *caller, lc_buf *out_result, host_outcome *out,
                           lc_errbuf *eb)
{
    memset(out, 0, sizeof *out);
    if (!db->m) return lc_errf(eb, LC_ENOTFOUND, "no module published");
    const host_moddef *def = host_module_def(db->m);
    i32 id = db_procedure_id(def, name);
    if (id < 0) return lc_errf(eb, LC_ENOTFOUND, "no such procedure: %s", name);
    const host_procedure_def *p = &def->procedures[id];
    if (!p->is_public && memcmp(caller->identity, db->owner, 32) != 0)
        return lc_errf(eb, LC_EPERM, "procedure %s is private", p->name);
    int rc = host_module_call_procedure(db->m, (u32)id, caller, args, len, out_result, out);
    if (rc) return lc_errf(eb, rc, "%s: %s", p->name, out->message);
    if (out->kind != HOST_OUTCOME_COMMITTED || out->message_len)
        db_log_host(db, HOST_LOG_ERROR, p->name, out->message);
    db_drain_immediate(db);
    return 0;
}

int host_db_call_procedure_json(host_db *db, const char *name, const char *json, size_t len,
                                const host_caller *caller, lc_buf *out_result,
                                host_outcome *out, lc_errbuf *eb)
{
    memset(out, 0, sizeof *out);
    if (!db->m) return lc_errf(eb, LC_ENOTFOUND, "no module published");
    const host_moddef *def = host_module_def(db->m);
    i32 id = db_procedure_id(def, name);
    if (id < 0) return lc_errf(eb, LC_ENOTFOUND, "no such procedure: %s", name);
    lc_buf args;
    lc_buf_init(&args);
    int rc = lc_json_text_to_bsatn(def->procedures[id].params, json, len, &args, eb);
    if (rc == 0)
        rc = host_db_call_procedure(db, name, args.data, args.len, caller, out_result, out, eb);
    lc_buf_deinit(&args);
    return rc;
}

/* ---------------------------------------------------------------- lifecycle -------------- */

/* st_connection_credentials(connection_id, jwt_payload) row of a connection. */
static int db_credentials_row(lc_buf *b, const u8 connection_id[16], const u8 *jwt, u32 len)
{
    lc_buf_reset(b);
    lc_buf_put(b, connection_id, 16);
    lc_buf_put_str(b, (const char *)jwt, len);
    return b->err;
}

/* Removes the credentials of a connection (any payload). */
static int db_credentials_delete(store_txn *t, const u8 connection_id[16])
{
    lc_buf rows;
    lc_buf_init(&rows);
    store_iter it;
    int rc = store_scan(t, STORE_ST_CONNECTION_CREDENTIALS, &it);
    if (rc) return rc;
    const u8 *row;
    u32 len;
    while (store_iter_next(&it, &row, &len))
        if (len >= 16 && memcmp(row, connection_id, 16) == 0) {
            lc_buf_put_u32(&rows, len);
            lc_buf_put(&rows, row, len);
        }
    store_iter_close(&it);
    rc = rows.err;
    for (size_t at = 0; rc == 0 && at + 4 <= rows.len;) {
        u32 n = lc_load_u32(rows.data + at);
        rc = store_delete_row(t, STORE_ST_CONNECTION_CREDENTIALS, rows.data + at + 4, n, NULL);
        at += 4 + (size_t)n;
    }
    lc_buf_deinit(&rows);
    return rc;
}

int host_db_connect(host_db *db, const u8 identity[32], const u8 connection_id[16],
                    host_outcome *out, lc_errbuf *eb)
{
    return host_db_connect_jwt(db, identity, connection_id, NULL, 0, out, eb);
}

/* client_connected (§5.2): st_client + st_connection_credentials rows and OnConnect in one
 * transaction; always logged. */
int host_db_connect_jwt(host_db *db, const u8 identity[32], const u8 connection_id[16],
                        const u8 *jwt, u32 jwt_len, host_outcome *out, lc_errbuf *eb)
{
    memset(out, 0, sizeof *out);
    if (!db->m) return lc_errf(eb, LC_ENOTFOUND, "no module published");
    if (jwt && jwt_len > LC_JWT_PAYLOAD_MAX)
        return lc_errf(eb, LC_ELIMIT, "JWT payload of %u bytes (max %u)", jwt_len,
                       (unsigned)LC_JWT_PAYLOAD_MAX);
    host_caller c;
    caller_system(&c, identity, db_now(db));
    memcpy(c.connection_id, connection_id, 16);
    c.jwt_payload = jwt;
    c.jwt_len = jwt ? jwt_len : 0;
    u8 row[48];
    memcpy(row, identity, 32);
    memcpy(row + 32, connection_id, 16);
    store_txn t;
    store_txn_begin(&t, db->s);
    int rc = store_insert(&t, STORE_ST_CLIENT, row, sizeof row, NULL, NULL);
    if (rc == 0 && jwt) {
        rc = db_credentials_delete(&t, connection_id);
        if (rc == 0) rc = db_credentials_row(&db->scratch, connection_id, jwt, jwt_len);
        if (rc == 0)
            rc = store_insert(&t, STORE_ST_CONNECTION_CREDENTIALS, db->scratch.data,
                              db->scratch.len, NULL, NULL);
    }
    if (rc) {
        store_txn_abort(&t);
        return lc_errf(eb, rc, "st_client insert: %s", lc_strerror(rc));
    }
    i32 id = host_module_def(db->m)->lifecycle_reducer[HOST_LIFECYCLE_CONNECT];
    if (id >= 0) {
        rc = host_module_call_reducer(db->m, &t, (u32)id, &c, NULL, 0, out);
        if (rc || out->kind != HOST_OUTCOME_COMMITTED) {
            store_txn_abort(&t);
            if (rc == 0) db_log_host(db, HOST_LOG_ERROR, "client_connected", out->message);
            return rc ? lc_errf(eb, rc, "client_connected: %s", out->message) : 0;
        }
    }
    store_txn_force_offset(&t);
    return db_commit(db, &t, "__identity_connected__", &c, NULL, 0, eb);
}

int host_db_disconnect(host_db *db, const u8 identity[32], const u8 connection_id[16],
                       host_outcome *out, lc_errbuf *eb)
{
    memset(out, 0, sizeof *out);
    if (!db->m) return lc_errf(eb, LC_ENOTFOUND, "no module published");
    host_caller c;
    caller_system(&c, identity, db_now(db));
    memcpy(c.connection_id, connection_id, 16);
    u8 row[48];
    memcpy(row, identity, 32);
    memcpy(row + 32, connection_id, 16);
    store_txn t;
    store_txn_begin(&t, db->s);
    bool present = false;
    int rc = store_delete_row(&t, STORE_ST_CLIENT, row, sizeof row, &present);
    if (rc == 0 && present) rc = db_credentials_delete(&t, connection_id);
    if (rc || !present) {
        store_txn_abort(&t);
        return rc ? lc_errf(eb, rc, "st_client: %s", lc_strerror(rc)) : 0;
    }
    i32 id = host_module_def(db->m)->lifecycle_reducer[HOST_LIFECYCLE_DISCONNECT];
    if (id >= 0) {
        rc = host_module_call_reducer(db->m, &t, (u32)id, &c, NULL, 0, out);
        if (rc || out->kind != HOST_OUTCOME_COMMITTED) {
            /* the reducer failed: a separate transaction still removes the client (§4.6) */
            store_txn_abort(&t);
            if (rc == 0) db_log_host(db, HOST_LOG_ERROR, "client_disconnected", out->message);
            store_txn_begin(&t, db->s);
            rc = store_delete_row(&t, STORE_ST_CLIENT, row, sizeof row, &present);
            if (rc == 0) rc = db_credentials_delete(&t, connection_id);
            if (rc) {
                store_txn_abort(&t);
                return lc_errf(eb, rc, "st_client: %s", lc_strerror(rc));
            }
        }
    }
    store_txn_force_offset(&t);
    return db_commit(db, &t, "__identity_disconnected__", &c, NULL, 0, eb);
}

/* ---------------------------------------------------------------- scheduler -------------- */

/* Copies the schedule row of timer e (if it still exists) into db->scratch. */
static bool db_sched_row(host_db *db, store_txn *t, const db_sched_table *st,
                         const host_timer_entry *e)
{
    store_iter it;
    if (store_index_point(t, st->pk_index, e->key, e->key_len, &it) != 0) return false;
    const u8 *row;
    u32 len;
    bool found = store_iter_next(&it, &row, &len);
    lc_buf_reset(&db->scratch);
    if (found) lc_buf_put(&db->scratch, row, len);
    store_iter_close(&it);
    return found && !db->scratch.err;
}

static int db_fire(host_db *db, const db_sched_table *st, const host_timer_entry *e, i64 now,
                   lc_errbuf *eb)
{
    store_txn t;
    store_txn_begin(&t, db->s);
    if (!db_sched_row(db, &t, st, e)) { /* row deleted: the schedule is cancelled */
        store_txn_abort(&t);
        return 0;
    }
    host_caller c;
    caller_system(&c, db->db_identity, now > e->due ? now : e->due);
    lc_buf args = db->scratch; /* moved out: db_commit reuses scratch */
    lc_buf_init(&db->scratch);
    host_outcome out;
    int rc = host_module_call_reducer(db->m, &t, (u32)st->reducer_id, &c, args.data, args.len,
                                      &out);
    const char *name = host_module_def(db->m)->reducers[st->reducer_id].name;
    if (rc == 0 && out.kind == HOST_OUTCOME_COMMITTED) {
        rc = db_commit(db, &t, name, &c, args.data, args.len, eb);
    } else {
        store_txn_abort(&t);
        db_log_host(db, HOST_LOG_ERROR, name, out.message);
        rc = 0;
    }
    lc_buf_deinit(&args);
    if (rc) return rc;
    if (e->interval == 0) { /* one-shot: delete the row in a follow-up transaction */
        u32 n = 0;
        store_txn_begin(&t, db->s);
        rc = store_delete_point(&t, st->pk_index, e->key, e->key_len, &n);
        if (rc) {
            store_txn_abort(&t);
            return lc_errf(eb, rc, "deleting a one-shot schedule row");
        }
        host_sched_cancel(&db->sched, e->table_id, e->key, e->key_len);
        return db_commit(db, &t, NULL, NULL, NULL, 0, eb);
    }
    return host_sched_arm(&db->sched, e->table_id, e->key, e->key_len,
                          host_sched_next_tick(e->due, e->interval, now), e->interval);
}

/* A scheduled procedure (§5.3): the row is deleted (one-shot) or the timer re-armed
 * (interval) BEFORE the procedure runs, since a procedure cannot be retried safely; then it
 * runs with the row as argument, as the database. */
static int db_fire_procedure(host_db *db, const db_sched_table *st, const host_timer_entry *e,
                             i64 now, lc_errbuf *eb)
{
    store_txn t;
    store_txn_begin(&t, db->s);
    if (!db_sched_row(db, &t, st, e)) {
        store_txn_abort(&t);
        return 0;
    }
    lc_buf args = db->scratch;
    lc_buf_init(&db->scratch);
    int rc = 0;
    if (e->interval == 0) {
        u32 n = 0;
        rc = store_delete_point(&t, st->pk_index, e->key, e->key_len, &n);
        if (rc == 0) rc = db_commit(db, &t, NULL, NULL, NULL, 0, eb);
        else store_txn_abort(&t);
        host_sched_cancel(&db->sched, e->table_id, e->key, e->key_len);
    } else {
        store_txn_abort(&t);
        rc = host_sched_arm(&db->sched, e->table_id, e->key, e->key_len,
                            host_sched_next_tick(e->due, e->interval, now), e->interval);
    }
    if (rc == 0) {
        host_caller c;
        caller_system(&c, db->db_identity, now > e->due ? now : e->due);
        host_outcome out;
        const host_procedure_def *p = &host_module_def(db->m)->procedures[st->procedure_id];
        rc = host_module_call_procedure(db->m, (u32)st->procedure_id, &c, args.data, args.len,
                                        NULL, &out);
        if (rc || out.kind != HOST_OUTCOME_COMMITTED || out.message_len)
            db_log_host(db, HOST_LOG_ERROR, p->name, out.message);
        rc = 0;
    }
    lc_buf_deinit(&args);
    return rc;
}

int host_db_run_due(host_db *db, u32 *out_ran, lc_errbuf *eb)
{
    u32 ran = 0;
    int rc = 0;
    i64 now = db_now(db);
    host_timer_entry e;
    while (rc == 0 && db->m && host_sched_pop_due(&db->sched, now, &e)) {
        const db_sched_table *st = db_sched_table_of(db, e.table_id);
        if (!st || (st->reducer_id < 0 && st->procedure_id < 0)) continue;
        rc = st->reducer_id >= 0 ? db_fire(db, st, &e, now, eb)
                                 : db_fire_procedure(db, st, &e, now, eb);
        ran++;
    }
    if (out_ran) *out_ran = ran;
    return rc;
}

int host_db_commit_external(void *db, store_txn *txn, lc_errbuf *eb)
{
    return db_commit(db, txn, NULL, NULL, NULL, 0, eb);
}

/* ---------------------------------------------------------------- views ------------------ */

i32 host_db_view_id(host_db *db, const char *name, size_t len)
{
    const host_moddef *def = db->m ? host_module_def(db->m) : NULL;
    for (u32 i = 0; def && i < def->view_count; i++)
        if (strlen(def->views[i].name) == len && memcmp(def->views[i].name, name, len) == 0)
            return (i32)i;
    return -1;
}

int host_db_call_view(host_db *db, u32 view_idx, const u8 sender[32], host_view_result *res,
                      host_outcome *out, lc_errbuf *eb)
{
    _Static_assert(sizeof res->read_tables / sizeof res->read_tables[0] == HOST_VIEW_READS_MAX,
                   "read set size");
    if (!db->m) return lc_errf(eb, LC_ENOTFOUND, "no module published");
    store_txn t;
    store_read_begin(&t, db->s);
    int rc = host_module_call_view(db->m, &t, view_idx, sender, &res->rows, &res->sql, out);
    store_read_end(&t);
    if (rc) return lc_errf(eb, rc, "%s", out->message);
    const host_abi *a = host_module_abi(db->m);
    res->read_all = a->read_all;
    res->nread = a->read_count;
    memcpy(res->read_tables, a->read_tables, sizeof res->read_tables);
    if (out->kind != HOST_OUTCOME_COMMITTED)
        db_log_host(db, HOST_LOG_ERROR, host_module_def(db->m)->views[view_idx].name, out->message);
    return 0;
}
