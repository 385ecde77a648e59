/*
 * tests/unit/test_host_mig_db.c — host/db's republish paths end to end, with real modules
 * (the C SDK's ticker / hosttest, and hand-assembled ones from tests/host/mini_wasm.h whose
 * description this file writes): a column added with a default rewrites every row and the
 * result survives a reopen of the data directory (replay of the commit log); a schedule table
 * added by a republish fires; publish options (clear) and the owner rule; private reducers.
 */
#include <stdlib.h>
#include <unistd.h>

#include "base/limits.h"
#include "harness.h"
#include "host/db.h"
#include "host/host_test_util.h"
#include "host/mini_wasm.h"

static i64 g_now = 1700000000000000;
static i64 test_clock(void *user) { (void)user; return g_now; }

static const u8 OWNER[32] = {1};

static host_db *db_open_at(const char *dir, lc_errbuf *eb)
{
    host_db_opts o;
    memset(&o, 0, sizeof o);
    o.clock = test_clock;
    o.fuel_budget = 50000000;
    o.db_identity[0] = 0xDB;
    host_db *db = NULL;
    return host_db_open(dir, &o, &db, eb) == 0 ? db : NULL;
}

static void tmpdir(char *out, size_t cap)
{
    snprintf(out, cap, "/tmp/lc_mig_db_XXXXXX");
    if (!mkdtemp(out)) out[0] = 0;
}

static void rmrf(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
}

static u64 db_count(host_db *db, const char *table)
{
    store_txn t;
    store_read_begin(&t, host_db_store(db));
    u32 id = 0;
    u64 n = UINT64_MAX;
    if (store_table_id_from_name(&t, table, strlen(table), &id) != 0 ||
        store_row_count(&t, id, &n) != 0)
        n = UINT64_MAX;
    store_read_end(&t);
    return n;
}

static host_caller caller_of(u8 who)
{
    host_caller c;
    memset(&c, 0, sizeof c);
    c.identity[0] = who;
    c.connection_id[0] = who;
    c.timestamp_micros = g_now;
    return c;
}

static int publish_file(host_db *db, const char *name, const u8 owner[32], bool clear,
                        lc_errbuf *eb)
{
    size_t len = 0;
    u8 *w = host_test_wasm(name, &len);
    if (!w) return LC_ENOTFOUND;
    host_publish_opts po = {.clear = clear};
    int rc = host_db_publish_opts(db, w, len, owner, &po, NULL, eb);
    lc_free(w);
    return rc;
}

/* ---- descriptions of the hand-assembled module ---- */

static void w_str(lc_buf *b, const char *s) { lc_buf_put_str(b, s, (u32)strlen(s)); }
static void w_col(lc_buf *b, u16 c) { lc_buf_put_u32(b, 1); lc_buf_put_u16(b, c); }
static void w_unit(lc_buf *b) { lc_buf_put_u8(b, LC_T_PRODUCT); lc_buf_put_u32(b, 0); }

/* Table t(id u32 primary key auto_inc, v i64 [, w i64 default 7]). */
static void w_table_t(lc_buf *b, bool with_w)
{
    w_str(b, "t");
    lc_buf_put_u32(b, 0);  /* product_type_ref */
    w_col(b, 0);           /* primary key */
    lc_buf_put_u32(b, 1);  /* indexes */
    lc_buf_put_u8(b, 1);   /* source_name None */
    lc_buf_put_u8(b, 1);   /* accessor None */
    lc_buf_put_u8(b, 0);   /* BTree */
    w_col(b, 0);
    lc_buf_put_u32(b, 1);  /* constraints: unique(id) */
    lc_buf_put_u8(b, 1);
    lc_buf_put_u8(b, 0);
    w_col(b, 0);
    lc_buf_put_u32(b, 1);  /* sequence on id */
    lc_buf_put_u8(b, 1);
    lc_buf_put_u16(b, 0);
    lc_buf_put_u8(b, 1), lc_buf_put_u8(b, 1), lc_buf_put_u8(b, 1);
    i128 one = 1;
    lc_buf_put(b, &one, 16);
    lc_buf_put_u8(b, 1);   /* User */
    lc_buf_put_u8(b, 0);   /* Public */
    lc_buf_put_u32(b, with_w ? 1 : 0);
    if (with_w) {
        lc_buf_put_u16(b, 2);
        lc_buf_put_u32(b, 8);
        lc_buf_put_u64(b, 7);
    }
    lc_buf_put_u8(b, 0);   /* is_event */
}

static void w_reducer(lc_buf *b, const char *name, bool is_public)
{
    w_str(b, name);
    lc_buf_put_u32(b, 0);
    lc_buf_put_u8(b, is_public ? 1 : 0);
    w_unit(b);
    lc_buf_put_u8(b, LC_T_STRING);
}

static const char *g_job_fn = "insert_tx"; /* the function job's schedule names */

/* The schedule table job(scheduled_id u64 primary key auto_inc, at ScheduleAt), type ref 1. */
static void w_job_type(lc_buf *b)
{
    lc_buf_put_u8(b, LC_T_PRODUCT);
    lc_buf_put_u32(b, 2);
    lc_buf_put_u8(b, 0);
    w_str(b, "scheduled_id");
    lc_buf_put_u8(b, LC_T_U64);
    lc_buf_put_u8(b, 0);
    w_str(b, "at");
    lc_buf_put_u8(b, LC_T_SUM);
    lc_buf_put_u32(b, 2);
    const char *v[2] = {"Interval", "Time"};
    const char *f[2] = {"__time_duration_micros__", "__timestamp_micros_since_unix_epoch__"};
    for (int i = 0; i < 2; i++) {
        lc_buf_put_u8(b, 0);
        w_str(b, v[i]);
        lc_buf_put_u8(b, LC_T_PRODUCT);
        lc_buf_put_u32(b, 1);
        lc_buf_put_u8(b, 0);
        w_str(b, f[i]);
        lc_buf_put_u8(b, LC_T_I64);
    }
}

static void w_table_job(lc_buf *b)
{
    w_str(b, "job");
    lc_buf_put_u32(b, 1);
    w_col(b, 0);
    lc_buf_put_u32(b, 1);
    lc_buf_put_u8(b, 1), lc_buf_put_u8(b, 1), lc_buf_put_u8(b, 0);
    w_col(b, 0);
    lc_buf_put_u32(b, 1);
    lc_buf_put_u8(b, 1), lc_buf_put_u8(b, 0);
    w_col(b, 0);
    lc_buf_put_u32(b, 1);
    lc_buf_put_u8(b, 1);
    lc_buf_put_u16(b, 0);
    lc_buf_put_u8(b, 1), lc_buf_put_u8(b, 1), lc_buf_put_u8(b, 1);
    i128 one = 1;
    lc_buf_put(b, &one, 16);
    lc_buf_put_u8(b, 1);
    lc_buf_put_u8(b, 1); /* Private */
    lc_buf_put_u32(b, 0);
    lc_buf_put_u8(b, 0);
}

/* V10: table t, reducers noop / jwt / add / secret (private), procedures answer / insert_tx /
 * fails / leaves_open returning u32 (private_proc: the first is private). with_job: the
 * schedule table job runs procedure insert_tx (which then takes the row), reducer add_job. */
static void mini_desc(lc_buf *b, bool with_w, bool private_proc, bool with_job)
{
    lc_buf_put_u8(b, 2);
    lc_buf_put_u32(b, with_job ? 5 : 4);
    lc_buf_put_u8(b, 0); /* Typespace */
    lc_buf_put_u32(b, with_job ? 2 : 1);
    lc_buf_put_u8(b, LC_T_PRODUCT);
    lc_buf_put_u32(b, with_w ? 3 : 2);
    const char *names[3] = {"id", "v", "w"};
    const u8 types[3] = {LC_T_U32, LC_T_I64, LC_T_I64};
    for (int i = 0; i < (with_w ? 3 : 2); i++) {
        lc_buf_put_u8(b, 0);
        w_str(b, names[i]);
        lc_buf_put_u8(b, types[i]);
    }
    if (with_job) w_job_type(b);
    lc_buf_put_u8(b, 2); /* Tables */
    lc_buf_put_u32(b, with_job ? 2 : 1);
    w_table_t(b, with_w);
    if (with_job) w_table_job(b);
    lc_buf_put_u8(b, 3); /* Reducers: ids = positions */
    lc_buf_put_u32(b, with_job ? 5 : 4);
    w_reducer(b, "noop", true);
    w_reducer(b, "jwt", true);
    w_reducer(b, "add", true);
    w_reducer(b, "secret", false);
    if (with_job) w_reducer(b, "add_job", true);
    lc_buf_put_u8(b, 4); /* Procedures */
    lc_buf_put_u32(b, 5);
    const char *procs[5] = {"answer", "insert_tx", "fails", "leaves_open", "traps"};
    for (int i = 0; i < 5; i++) {
        w_str(b, procs[i]);
        if (with_job && i == 1) { /* (arg: job) */
            lc_buf_put_u32(b, 1);
            lc_buf_put_u8(b, 0);
            w_str(b, "arg");
            lc_buf_put_u8(b, LC_T_REF);
            lc_buf_put_u32(b, 1);
        } else {
            lc_buf_put_u32(b, 0);
        }
        lc_buf_put_u8(b, LC_T_U32);
        lc_buf_put_u8(b, i == 0 && private_proc ? 0 : 1);
    }
    if (with_job) {
        lc_buf_put_u8(b, 6); /* Schedules */
        lc_buf_put_u32(b, 1);
        lc_buf_put_u8(b, 1);
        w_str(b, "job");
        lc_buf_put_u16(b, 1);
        w_str(b, g_job_fn);
    }
}

/* The module: its description, procedures answer 42 (u32), rows t(0, v[, 0]). */
static void mini_module_ex(lc_buf *out, bool with_w, bool private_proc, bool with_job, i64 v)
{
    lc_buf d;
    lc_buf_init(&d);
    mini_desc(&d, with_w, private_proc, with_job);
    u8 result[4] = {42, 0, 0, 0}, row[20] = {0};
    lc_store_u64(row + 4, (u64)v);
    mw_build(out, d.data, d.len, result, sizeof result, row, with_w ? 20 : 12);
    lc_buf_deinit(&d);
}

static void mini_module(lc_buf *out, bool with_w, bool private_proc, i64 v)
{
    mini_module_ex(out, with_w, private_proc, false, v);
}

static int publish_mini(host_db *db, bool with_w, const u8 owner[32], lc_errbuf *eb)
{
    lc_buf w;
    lc_buf_init(&w);
    mini_module(&w, with_w, false, 5);
    int rc = host_db_publish(db, w.data, w.len, owner, NULL, eb);
    lc_buf_deinit(&w);
    return rc;
}

/* Every row of t: (id, v, w or -1), sorted by id into out (at most cap). */
static u32 t_rows(host_db *db, i64 (*out)[3], u32 cap)
{
    store_txn t;
    store_read_begin(&t, host_db_store(db));
    u32 id = 0, n = 0;
    store_iter it;
    if (store_table_id_from_name(&t, "t", 1, &id) == 0 && store_scan(&t, id, &it) == 0) {
        const u8 *row;
        u32 len;
        while (n < cap && store_iter_next(&it, &row, &len)) {
            out[n][0] = lc_load_u32(row);
            out[n][1] = (i64)lc_load_u64(row + 4);
            out[n][2] = len >= 20 ? (i64)lc_load_u64(row + 12) : -1;
            for (u32 k = n; k > 0 && out[k - 1][0] > out[k][0]; k--) {
                i64 tmp[3];
                memcpy(tmp, out[k], sizeof tmp);
                memcpy(out[k], out[k - 1], sizeof tmp);
                memcpy(out[k - 1], tmp, sizeof tmp);
            }
            n++;
        }
        store_iter_close(&it);
    }
    store_read_end(&t);
    return n;
}

/* A column added with a default: every row rewritten in the publish transaction, logged, and
 * the same after a reopen (commit-log replay); the auto_inc sequence resumes. */
TEST(host_db_republish_adds_column_with_default_and_reopens)
{
    char dir[64];
    tmpdir(dir, sizeof dir);
    lc_errbuf eb = {{0}};
    host_db *db = db_open_at(dir, &eb);
    CHECK(db != NULL);
    if (!db) return;
    CHECK_OK(publish_mini(db, false, OWNER, &eb));
    host_caller c = caller_of(3);
    host_outcome o;
    for (int i = 0; i < 2; i++) {
        CHECK_OK(host_db_call(db, "add", NULL, 0, &c, &o, &eb));
        CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    }
    CHECK_EQ(host_db_publish_count(db), 1);
    CHECK(!host_db_last_publish_breaks_clients(db));
    CHECK_OK(publish_mini(db, true, OWNER, &eb));
    CHECK(host_db_last_publish_breaks_clients(db)); /* AddColumns: DisconnectAllUsers */
    CHECK_EQ(host_db_publish_count(db), 2);
    i64 r[8][3];
    CHECK_EQ(t_rows(db, r, 8), 2);
    CHECK_EQ(r[0][0], 1);
    CHECK_EQ(r[1][0], 2);
    CHECK_EQ(r[0][1], 5);
    CHECK_EQ(r[0][2], 7);
    CHECK_EQ(r[1][2], 7);
    CHECK_OK(host_db_call(db, "add", NULL, 0, &c, &o, &eb)); /* the v2 row: 20 bytes */
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_EQ(t_rows(db, r, 8), 3);
    CHECK_EQ(r[2][0], 3);
    CHECK_OK(host_db_close(db));
    db = db_open_at(dir, &eb);
    CHECK(db != NULL);
    if (db) {
        CHECK_EQ(t_rows(db, r, 8), 3);
        CHECK_EQ(r[0][2], 7);
        CHECK_EQ(r[2][2], 0);
        CHECK_OK(host_db_call(db, "add", NULL, 0, &c, &o, &eb));
        CHECK_EQ(t_rows(db, r, 8), 4);
        CHECK(r[3][0] > 3); /* after a restart the sequence resumes at its persisted bound */
        /* going back (removing the column) is refused, naming table and column */
        CHECK_ERR(publish_mini(db, false, OWNER, &eb), LC_EINVALID);
        CHECK(strstr(eb.msg, "table t: column w removed") != NULL);
        CHECK_OK(host_db_close(db));
    }
    rmrf(dir);
}

/* A republish that adds a schedule table (and drops two empty tables): the timer armed by a
 * reducer of the new module fires; the data survives a reopen. */
TEST(host_db_republish_adds_schedule_table)
{
    char dir[64];
    tmpdir(dir, sizeof dir);
    lc_errbuf eb = {{0}};
    host_db *db = db_open_at(dir, &eb);
    CHECK(db != NULL);
    if (!db) return;
    CHECK_OK(publish_file(db, "hosttest", OWNER, false, &eb));
    CHECK_OK(publish_file(db, "ticker", OWNER, false, &eb));
    CHECK_EQ(db_count(db, "item"), UINT64_MAX);
    CHECK_EQ(db_count(db, "tick_timer"), 0);
    host_caller c = caller_of(4);
    host_outcome o;
    lc_buf args;
    lc_buf_init(&args);
    host_test_put_str(&args, "once");
    lc_buf_put_u64(&args, 1000);
    CHECK_OK(host_db_call(db, "schedule_once", args.data, args.len, &c, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_EQ(host_db_next_due(db), g_now + 1000);
    g_now += 2000;
    u32 ran = 0;
    CHECK_OK(host_db_run_due(db, &ran, &eb));
    CHECK_EQ(ran, 1);
    CHECK_EQ(db_count(db, "tick_count"), 1);
    CHECK_EQ(db_count(db, "tick_timer"), 0);
    /* `tick` is scheduled, hence private: only the owner may call it by name */
    u8 row[8 + 9 + 4 + 4] = {0};
    row[8] = 1; /* ScheduleAt::Time(0) */
    lc_store_u32(row + 17, 4);
    memcpy(row + 21, "hand", 4);
    CHECK_ERR(host_db_call(db, "tick", row, sizeof row, &c, &o, &eb), LC_EPERM);
    CHECK(strstr(eb.msg, "reducer tick is private") != NULL);
    host_caller oc = caller_of(1);
    CHECK_OK(host_db_call(db, "tick", row, sizeof row, &oc, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_EQ(db_count(db, "tick_count"), 2);
    CHECK_OK(host_db_close(db));
    db = db_open_at(dir, &eb);
    CHECK(db != NULL);
    if (db) {
        CHECK_EQ(db_count(db, "tick_count"), 2);
        /* back to hosttest would drop tick_count, which holds data: refused by name */
        CHECK_ERR(publish_file(db, "hosttest", OWNER, false, &eb), LC_ESTATE);
        CHECK(strstr(eb.msg, "tick_count") != NULL);
        CHECK(strstr(eb.msg, "contains data") != NULL);
        CHECK_EQ(db_count(db, "tick_count"), 2);
        CHECK_OK(host_db_close(db));
    }
    lc_buf_deinit(&args);
    rmrf(dir);
}

/* Owner rule and clear: a republish by someone else is refused (LC_EPERM) and changes nothing;
 * the owner's publish -c drops every table and runs the new module's init, also after a
 * reopen. */
TEST(host_db_publish_clear_and_owner)
{
    char dir[64];
    tmpdir(dir, sizeof dir);
    lc_errbuf eb = {{0}};
    host_db *db = db_open_at(dir, &eb);
    CHECK(db != NULL);
    if (!db) return;
    u8 who[32];
    CHECK_ERR(host_db_owner(db, who), LC_ENOTFOUND);
    CHECK_OK(publish_file(db, "ticker", OWNER, false, &eb));
    CHECK_OK(host_db_owner(db, who));
    CHECK_MEM(who, OWNER, 32);
    CHECK_EQ(db_count(db, "tick_timer"), 1); /* init armed every_second */
    g_now += 1000000;
    u32 ran = 0;
    CHECK_OK(host_db_run_due(db, &ran, &eb));
    CHECK_EQ(db_count(db, "tick_count"), 1);
    u8 other[32] = {9};
    CHECK_ERR(publish_file(db, "ticker", other, true, &eb), LC_EPERM);
    CHECK(strstr(eb.msg, "owner") != NULL);
    CHECK_ERR(publish_file(db, "hosttest", other, false, &eb), LC_EPERM);
    CHECK_EQ(db_count(db, "tick_count"), 1);
    /* clear into hosttest: ticker's tables are gone, hosttest's are empty */
    CHECK_OK(publish_file(db, "ticker", OWNER, false, &eb)); /* same module: no break */
    CHECK(!host_db_last_publish_breaks_clients(db));
    CHECK_OK(publish_file(db, "hosttest", OWNER, true, &eb));
    CHECK(host_db_last_publish_breaks_clients(db));
    CHECK_EQ(db_count(db, "tick_count"), UINT64_MAX);
    CHECK_EQ(db_count(db, "item"), 0);
    CHECK_EQ(host_db_next_due(db), INT64_MAX);
    /* clear into ticker again: a fresh start, init armed the timer again */
    CHECK_OK(publish_file(db, "ticker", OWNER, true, &eb));
    CHECK_EQ(db_count(db, "tick_count"), 0);
    CHECK_EQ(db_count(db, "tick_timer"), 1);
    CHECK_EQ(db_count(db, "item"), UINT64_MAX);
    CHECK_OK(host_db_close(db));
    db = db_open_at(dir, &eb);
    CHECK(db != NULL);
    if (db) {
        CHECK_EQ(db_count(db, "tick_count"), 0);
        CHECK_EQ(db_count(db, "tick_timer"), 1);
        CHECK(host_db_next_due(db) != INT64_MAX);
        CHECK_OK(host_db_owner(db, who));
        CHECK_MEM(who, OWNER, 32);
        CHECK_OK(host_db_close(db));
    }
    rmrf(dir);
}

/* FunctionVisibility::Private: only the owner may call it; lifecycle reducers stay
 * uncallable by name even for the owner. */
TEST(host_db_private_reducer_owner_only)
{
    lc_errbuf eb = {{0}};
    host_db *db = db_open_at(NULL, &eb);
    CHECK(db != NULL);
    if (!db) return;
    CHECK_OK(publish_mini(db, false, OWNER, &eb));
    host_caller c = caller_of(3), oc = caller_of(1);
    host_outcome o;
    CHECK_ERR(host_db_call(db, "secret", NULL, 0, &c, &o, &eb), LC_EPERM);
    CHECK_STR(eb.msg, "reducer secret is private");
    CHECK_ERR(host_db_call_json(db, "secret", "[]", 2, &c, &o, &eb), LC_EPERM);
    CHECK_OK(host_db_call(db, "secret", NULL, 0, &oc, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_OK(host_db_call(db, "noop", NULL, 0, &c, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_OK(host_db_close(db));
    db = db_open_at(NULL, &eb);
    CHECK(db != NULL);
    if (!db) return;
    CHECK_OK(publish_file(db, "ticker", OWNER, false, &eb));
    CHECK_ERR(host_db_call(db, "init", NULL, 0, &oc, &o, &eb), LC_EPERM);
    CHECK(strstr(eb.msg, "lifecycle") != NULL);
    CHECK_OK(host_db_close(db));
}

/* get_jwt (spacetime_10.2): the payload stored at connect (st_connection_credentials) for a
 * connection id, else the caller's own payload for its own connection, else source 0; the
 * row goes away with the disconnect, and with the restart-time disconnect too. */
TEST(host_db_get_jwt_and_connection_credentials)
{
    char dir[64];
    tmpdir(dir, sizeof dir);
    lc_errbuf eb = {{0}};
    host_db *db = db_open_at(dir, &eb);
    CHECK(db != NULL);
    if (!db) return;
    CHECK_OK(publish_mini(db, false, OWNER, &eb));
    static const char claims[] = "{\"iss\":\"lc\",\"sub\":\"alice\"}";
    host_caller c = caller_of(5);
    host_outcome o;
    CHECK_OK(host_db_connect_jwt(db, c.identity, c.connection_id, (const u8 *)claims,
                                 sizeof claims - 1, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_EQ(db_count(db, "st_connection_credentials"), 1);
    CHECK_OK(host_db_call(db, "jwt", NULL, 0, &c, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_USER_ERROR); /* the module hands the payload back */
    CHECK_STR(o.message, claims);
    /* another connection, not connected: its own payload from the caller, or none */
    host_caller d = caller_of(6);
    CHECK_OK(host_db_call(db, "jwt", NULL, 0, &d, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_INTERNAL);
    static const char other[] = "{\"sub\":\"bob\"}";
    d.jwt_payload = (const u8 *)other;
    d.jwt_len = sizeof other - 1;
    CHECK_OK(host_db_call(db, "jwt", NULL, 0, &d, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_USER_ERROR);
    CHECK_STR(o.message, other);
    /* too big a payload is refused at connect */
    CHECK_ERR(host_db_connect_jwt(db, d.identity, d.connection_id, (const u8 *)claims,
                                  LC_JWT_PAYLOAD_MAX + 1, &o, &eb), LC_ELIMIT);
    CHECK_OK(host_db_disconnect(db, c.identity, c.connection_id, &o, &eb));
    CHECK_EQ(db_count(db, "st_connection_credentials"), 0);
    CHECK_OK(host_db_call(db, "jwt", NULL, 0, &c, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_INTERNAL);
    /* left connected across a restart: the restart's disconnect removes the row */
    CHECK_OK(host_db_connect_jwt(db, c.identity, c.connection_id, (const u8 *)claims,
                                 sizeof claims - 1, &o, &eb));
    CHECK_EQ(db_count(db, "st_connection_credentials"), 1);
    CHECK_OK(host_db_close(db));
    db = db_open_at(dir, &eb);
    CHECK(db != NULL);
    if (db) {
        CHECK_EQ(db_count(db, "st_connection_credentials"), 0);
        CHECK_EQ(db_count(db, "st_client"), 0);
        CHECK_OK(host_db_close(db));
    }
    rmrf(dir);
}

/* Procedures (§4.8): the return value comes back; a procedure's own transaction commits and
 * is logged (there after a reopen); a failing one reports INTERNAL; one left open is aborted
 * and the database stays usable; a private one is for the owner only. */
TEST(host_db_call_procedure)
{
    char dir[64];
    tmpdir(dir, sizeof dir);
    lc_errbuf eb = {{0}};
    host_db *db = db_open_at(dir, &eb);
    CHECK(db != NULL);
    if (!db) return;
    lc_buf w;
    lc_buf_init(&w);
    mini_module(&w, false, true, 11);
    CHECK_OK(host_db_publish(db, w.data, w.len, OWNER, NULL, &eb));
    host_caller c = caller_of(3), oc = caller_of(1);
    host_outcome o;
    lc_buf res;
    lc_buf_init(&res);
    CHECK_ERR(host_db_call_procedure(db, "answer", NULL, 0, &c, &res, &o, &eb), LC_EPERM);
    CHECK(strstr(eb.msg, "procedure answer is private") != NULL);
    CHECK_OK(host_db_call_procedure(db, "answer", NULL, 0, &oc, &res, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_EQ(res.len, 4);
    CHECK_EQ(lc_load_u32(res.data), 42);
    lc_buf_reset(&res);
    CHECK_OK(host_db_call_procedure_json(db, "answer", "[]", 2, &oc, &res, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_EQ(res.len, 4);
    CHECK_ERR(host_db_call_procedure_json(db, "answer", "[1]", 3, &oc, &res, &o, &eb),
              LC_ETYPE); /* one argument too many */
    lc_buf_reset(&res);
    CHECK_OK(host_db_call_procedure(db, "insert_tx", NULL, 0, &c, &res, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_EQ(o.message_len, 0);
    CHECK_EQ(res.len, 4);
    CHECK_EQ(db_count(db, "t"), 1);
    lc_buf_reset(&res);
    CHECK_OK(host_db_call_procedure(db, "fails", NULL, 0, &c, &res, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_INTERNAL);
    CHECK_EQ(res.len, 0);
    CHECK_OK(host_db_call_procedure(db, "leaves_open", NULL, 0, &c, &res, &o, &eb));
    CHECK(strstr(o.message, "aborted") != NULL);
    CHECK_EQ(db_count(db, "t"), 1); /* its insert was rolled back */
    CHECK_OK(host_db_call_procedure(db, "traps", NULL, 0, &c, &res, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_INTERNAL);
    CHECK_EQ(db_count(db, "t"), 1); /* rolled back too, and the lock released */
    CHECK_ERR(host_db_call_procedure(db, "nope", NULL, 0, &c, &res, &o, &eb), LC_ENOTFOUND);
    CHECK_ERR(host_db_call_procedure(db, "fails", (const u8 *)"x", 1, &c, &res, &o, &eb),
              LC_EDECODE);
    /* reducers still run (no lock left behind), and procedures may not be called as such */
    CHECK_OK(host_db_call(db, "add", NULL, 0, &c, &o, &eb));
    CHECK_EQ(db_count(db, "t"), 2);
    CHECK_ERR(host_db_call(db, "insert_tx", NULL, 0, &c, &o, &eb), LC_ENOTFOUND);
    CHECK_OK(host_db_close(db));
    db = db_open_at(dir, &eb);
    CHECK(db != NULL);
    if (db) {
        CHECK_EQ(db_count(db, "t"), 2);
        i64 r[4][3];
        CHECK_EQ(t_rows(db, r, 4), 2);
        CHECK_EQ(r[0][1], 11);
        CHECK_OK(host_db_close(db));
    }
    lc_buf_deinit(&res);
    lc_buf_deinit(&w);
    rmrf(dir);
}

/* A schedule table whose function is a procedure: the one-shot row is deleted BEFORE the
 * procedure runs (§5.3), then the procedure runs with the row as argument and commits its own
 * transaction. Scheduled procedures are private. */
TEST(host_db_scheduled_procedure)
{
    lc_errbuf eb = {{0}};
    host_db *db = db_open_at(NULL, &eb);
    CHECK(db != NULL);
    if (!db) return;
    lc_buf w;
    lc_buf_init(&w);
    mini_module_ex(&w, false, false, true, 8);
    CHECK_OK(host_db_publish(db, w.data, w.len, OWNER, NULL, &eb));
    host_caller c = caller_of(3);
    host_outcome o;
    CHECK_OK(host_db_call(db, "add_job", NULL, 0, &c, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_EQ(db_count(db, "job"), 1);
    CHECK(host_db_next_due(db) <= g_now);
    u32 ran = 0;
    CHECK_OK(host_db_run_due(db, &ran, &eb));
    CHECK_EQ(ran, 1);
    CHECK_EQ(db_count(db, "job"), 0);
    CHECK_EQ(db_count(db, "t"), 1);
    u8 row[17] = {1, 0, 0, 0, 0, 0, 0, 0, 1};
    CHECK_ERR(host_db_call_procedure(db, "insert_tx", row, sizeof row, &c, NULL, &o, &eb),
              LC_EPERM);
    /* changing the schedule of a kept table is refused, naming the table */
    lc_buf_reset(&w);
    g_job_fn = "answer";
    mini_module_ex(&w, false, false, true, 8);
    g_job_fn = "insert_tx";
    CHECK_ERR(host_db_publish(db, w.data, w.len, OWNER, NULL, &eb), LC_EINVALID);
    CHECK(strstr(eb.msg, "table job: changing a table's schedule is not supported") != NULL);
    /* a republish without the (now empty) schedule table removes it and its st_scheduled row;
     * while it holds a row the removal is refused */
    CHECK_EQ(db_count(db, "st_scheduled"), 1);
    CHECK_OK(host_db_call(db, "add_job", NULL, 0, &c, &o, &eb));
    lc_buf_reset(&w);
    mini_module_ex(&w, false, false, false, 8);
    CHECK_ERR(host_db_publish(db, w.data, w.len, OWNER, NULL, &eb), LC_ESTATE);
    CHECK(strstr(eb.msg, "cannot remove table job") != NULL);
    CHECK_OK(host_db_run_due(db, &ran, &eb));
    CHECK_EQ(db_count(db, "job"), 0);
    CHECK_OK(host_db_publish(db, w.data, w.len, OWNER, NULL, &eb));
    CHECK_EQ(db_count(db, "job"), UINT64_MAX);
    CHECK_EQ(db_count(db, "st_scheduled"), 0);
    CHECK_EQ(db_count(db, "t"), 2);
    CHECK_OK(host_db_close(db));
    lc_buf_deinit(&w);
}
