/*
 * tests/unit/test_host_db.c — host/db: publish (schema + init in one transaction), calls by
 * name with BSATN and JSON args, lifecycle reducers with st_client bookkeeping, schedules
 * firing under an injected clock (interval and one-shot), module logs, restart from a
 * directory (data, module and timers back) and republish accepted / refused.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "host/db.h"
#include "host/host_test_util.h"
#include "host/sched.h"

static i64 g_now = 1700000000000000;
static i64 test_clock(void *user) { (void)user; return g_now; }

static host_db *db_with(const char *dir, const char *module, lc_errbuf *eb)
{
    host_db_opts o;
    memset(&o, 0, sizeof o);
    o.clock = test_clock;
    o.fuel_budget = 50000000;
    o.db_identity[0] = 0xDB;
    host_db *db = NULL;
    if (host_db_open(dir, &o, &db, eb) != 0) return NULL;
    if (module && !host_db_module(db)) {
        size_t len;
        u8 *w = host_test_wasm(module, &len);
        u8 owner[32] = {1};
        int rc = w ? host_db_publish(db, w, len, owner, NULL, eb) : LC_ENOTFOUND;
        lc_free(w);
        if (rc) {
            (void)host_db_close(db);
            return NULL;
        }
    }
    return db;
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

/* ticks of tick_count[label], or UINT64_MAX */
static u64 ticker_ticks(host_db *db, const char *label)
{
    lc_buf k;
    lc_buf_init(&k);
    host_test_put_str(&k, label);
    store_txn t;
    store_read_begin(&t, host_db_store(db));
    u32 ix;
    u64 ticks = UINT64_MAX;
    store_iter it;
    const char *n = "tick_count_label_idx_btree";
    if (store_index_id_from_name(&t, n, strlen(n), &ix) == 0 &&
        store_index_point(&t, ix, k.data, k.len, &it) == 0) {
        const u8 *row;
        u32 len;
        if (store_iter_next(&it, &row, &len)) ticks = lc_load_u64(row + k.len);
        store_iter_close(&it);
    }
    store_read_end(&t);
    lc_buf_deinit(&k);
    return ticks;
}

TEST(host_db_schedules_with_injected_clock)
{
    lc_errbuf eb = {{0}};
    g_now = 1700000000000000;
    host_db *db = db_with(NULL, "ticker", &eb);
    CHECK(db != NULL);
    if (!db) return;
    CHECK_EQ(db_count(db, "tick_timer"), 1); /* init armed "every_second" */
    CHECK_EQ(host_db_next_due(db), g_now + 1000000);
    u32 ran = 0;
    CHECK_OK(host_db_run_due(db, &ran, &eb));
    CHECK_EQ(ran, 0);
    g_now += 1000000;
    CHECK_OK(host_db_run_due(db, &ran, &eb));
    CHECK_EQ(ran, 1);
    CHECK_EQ(ticker_ticks(db, "every_second"), 1);
    g_now += 2500000; /* missed ticks are skipped */
    CHECK_OK(host_db_run_due(db, &ran, &eb));
    CHECK_EQ(ran, 1);
    CHECK_EQ(ticker_ticks(db, "every_second"), 2);
    CHECK_EQ(host_db_next_due(db), 1700000000000000 + 4000000);
    /* one-shot: fires once, then its row is deleted */
    lc_buf a;
    lc_buf_init(&a);
    host_test_put_str(&a, "once");
    lc_buf_put_u64(&a, 300000);
    host_caller c = caller_of(5);
    host_outcome o;
    CHECK_OK(host_db_call(db, "schedule_once", a.data, a.len, &c, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_EQ(db_count(db, "tick_timer"), 2);
    CHECK_EQ(host_db_next_due(db), g_now + 300000);
    g_now += 300000;
    CHECK_OK(host_db_run_due(db, &ran, &eb));
    CHECK_EQ(ran, 1);
    CHECK_EQ(ticker_ticks(db, "once"), 1);
    CHECK_EQ(db_count(db, "tick_timer"), 1);
    /* too long a delay is refused by the import (SCHEDULE_AT_DELAY_TOO_LONG) */
    lc_buf_reset(&a);
    host_test_put_str(&a, "far");
    lc_buf_put_u64(&a, (u64)HOST_SCHED_DELAY_MAX_MICROS);
    c = caller_of(5);
    CHECK_OK(host_db_call(db, "schedule_once", a.data, a.len, &c, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_USER_ERROR);
    /* cancel: the timer's row goes, the timer is dropped when it comes due */
    lc_buf_reset(&a);
    host_test_put_str(&a, "every_second");
    CHECK_OK(host_db_call(db, "cancel", a.data, a.len, &c, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    g_now += 10000000;
    CHECK_OK(host_db_run_due(db, &ran, &eb));
    CHECK_EQ(ticker_ticks(db, "every_second"), 2);
    CHECK_EQ(host_db_next_due(db), INT64_MAX);
    lc_buf_deinit(&a);
    CHECK_OK(host_db_close(db));
}

TEST(host_db_lifecycle_json_and_logs)
{
    lc_errbuf eb = {{0}};
    host_db *db = db_with(NULL, "hosttest", &eb);
    CHECK(db != NULL);
    if (!db) return;
    u8 id[32] = {9}, conn[16] = {3};
    host_outcome o;
    CHECK_OK(host_db_connect(db, id, conn, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_EQ(db_count(db, "st_client"), 1);
    CHECK_EQ(db_count(db, "event"), 1);
    host_caller c = caller_of(9);
    CHECK_OK(host_db_call_json(db, "add", "[\"refuse\", 1]", 13, &c, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    /* a failing client_connected rejects the connection: no st_client row */
    u8 conn2[16] = {4};
    CHECK_OK(host_db_connect(db, id, conn2, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_USER_ERROR);
    CHECK_STR(o.message, "connections refused");
    CHECK_EQ(db_count(db, "st_client"), 1);
    CHECK_OK(host_db_disconnect(db, id, conn, &o, &eb));
    CHECK_EQ(db_count(db, "st_client"), 0);
    CHECK_EQ(db_count(db, "event"), 2); /* connect + disconnect */
    /* lifecycle reducers cannot be called by name; unknown reducers are refused */
    CHECK_ERR(host_db_call(db, "on_connect", NULL, 0, &c, &o, &eb), LC_EPERM);
    CHECK_ERR(host_db_call(db, "nope", NULL, 0, &c, &o, &eb), LC_ENOTFOUND);
    CHECK(host_db_call_json(db, "add", "[1]", 3, &c, &o, &eb) != 0);
    /* module log: the console_log of `add` and the rejected connection */
    const host_modlog_entry *e[8];
    u32 n = host_modlog_read_last(host_db_modlog(db), 8, e);
    bool saw_add = false, saw_refused = false;
    for (u32 i = 0; i < n; i++) {
        if (strstr(e[i]->message, "added item") && strcmp(e[i]->function, "add") == 0)
            saw_add = true;
        if (strcmp(e[i]->message, "connections refused") == 0 && e[i]->level == HOST_LOG_ERROR)
            saw_refused = true;
    }
    CHECK(saw_add);
    CHECK(saw_refused);
    u64 last = e[n - 1]->seq;
    CHECK_EQ(host_modlog_read_since(host_db_modlog(db), last, e, 8), 0);
    CHECK_OK(host_db_close(db));
}

static void tmpdir(char *out, size_t cap)
{
    snprintf(out, cap, "/tmp/lc_host_db_XXXXXX");
    if (!mkdtemp(out)) out[0] = 0;
}

static void rmrf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
}

TEST(host_db_restart_and_republish)
{
    char dir[64];
    tmpdir(dir, sizeof dir);
    CHECK(dir[0] != 0);
    lc_errbuf eb = {{0}};
    g_now = 1700000000000000;
    host_db *db = db_with(dir, "ticker", &eb);
    CHECK(db != NULL);
    if (!db) { rmrf(dir); return; }
    u8 id[32] = {2}, conn[16] = {2};
    host_outcome o;
    CHECK_OK(host_db_connect(db, id, conn, &o, &eb));
    g_now += 1000000;
    u32 ran;
    CHECK_OK(host_db_run_due(db, &ran, &eb));
    CHECK_EQ(ticker_ticks(db, "every_second"), 1);
    CHECK_OK(host_db_close(db));
    /* reopen: module, data and timers back; the leftover client is disconnected */
    db = db_with(dir, NULL, &eb);
    CHECK(db != NULL);
    if (!db) { rmrf(dir); return; }
    CHECK(host_db_module(db) != NULL);
    CHECK_EQ(ticker_ticks(db, "every_second"), 1);
    CHECK_EQ(db_count(db, "st_client"), 0);
    CHECK_EQ(host_db_next_due(db), g_now + 1000000);
    g_now += 1000000;
    CHECK_OK(host_db_run_due(db, &ran, &eb));
    CHECK_EQ(ticker_ticks(db, "every_second"), 2);
    /* republish the same module: accepted, data kept */
    size_t len = 0;
    u8 *w = host_test_wasm("ticker", &len);
    u8 owner[32] = {1};
    CHECK_OK(host_db_publish(db, w, len, owner, NULL, &eb));
    lc_free(w);
    CHECK_EQ(ticker_ticks(db, "every_second"), 2);
    /* a module that drops the tables is refused; the old module keeps running */
    w = host_test_wasm("keynote-bank", &len);
    CHECK(host_db_publish(db, w, len, owner, NULL, &eb) != 0);
    lc_free(w);
    g_now += 1000000;
    CHECK_OK(host_db_run_due(db, &ran, &eb));
    CHECK_EQ(ticker_ticks(db, "every_second"), 3);
    CHECK_OK(host_db_close(db));
    db = db_with(dir, NULL, &eb);
    CHECK(db != NULL);
    if (db) {
        CHECK_EQ(ticker_ticks(db, "every_second"), 3);
        CHECK_OK(host_db_close(db));
    }
    rmrf(dir);
}

TEST(host_db_republish_adds_table)
{
    lc_errbuf eb = {{0}};
    host_db *db = db_with(NULL, "hosttest", &eb);
    CHECK(db != NULL);
    if (!db) return;
    host_caller c = caller_of(1);
    host_outcome o;
    CHECK_OK(host_db_call_json(db, "add", "[\"fig\", 2]", 10, &c, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_ERR(host_db_call_json(db, "add_note", "[1, \"x\"]", 8, &c, &o, &eb), LC_ENOTFOUND);
    size_t len = 0;
    u8 *w = host_test_wasm("hosttest_v2", &len);
    u8 owner[32] = {1};
    CHECK(w != NULL);
    CHECK_OK(host_db_publish(db, w, len, owner, NULL, &eb));
    lc_free(w);
    CHECK_EQ(db_count(db, "item"), 1); /* data kept */
    CHECK_EQ(db_count(db, "note"), 0); /* new table */
    CHECK_OK(host_db_call_json(db, "add_note", "[1, \"x\"]", 8, &c, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_EQ(db_count(db, "note"), 1);
    /* back to v1 drops a non-empty table: refused, v2 keeps running */
    w = host_test_wasm("hosttest", &len);
    CHECK(host_db_publish(db, w, len, owner, NULL, &eb) != 0);
    lc_free(w);
    CHECK_OK(host_db_call_json(db, "add_note", "[2, \"y\"]", 8, &c, &o, &eb));
    CHECK_EQ(db_count(db, "note"), 2);
    /* volatile_nonatomic_schedule_immediate: the queued add runs after the call */
    CHECK_OK(host_db_call(db, "schedule_later", NULL, 0, &c, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_EQ(db_count(db, "item"), 2);
    CHECK_OK(host_db_close(db));
}

/* user row: identity (32) ++ Option<String> name ++ bool online. Returns online, or -1. */
static int chat_user(host_db *db, const u8 id[32], char *name, size_t cap)
{
    store_txn t;
    store_read_begin(&t, host_db_store(db));
    u32 ix;
    int online = -1;
    store_iter it;
    const char *n = "user_identity_idx_btree";
    if (store_index_id_from_name(&t, n, strlen(n), &ix) == 0 &&
        store_index_point(&t, ix, id, 32, &it) == 0) {
        const u8 *row;
        u32 len;
        if (store_iter_next(&it, &row, &len) && len >= 34) {
            name[0] = 0;
            size_t p = 33;
            if (row[32] == 0) { /* Some */
                u32 sl = lc_load_u32(row + 33);
                snprintf(name, cap, "%.*s", (int)sl, (const char *)row + 37);
                p = 37 + sl;
            }
            online = p < len ? row[p] : -1;
        }
        store_iter_close(&it);
    }
    store_read_end(&t);
    return online;
}

TEST(host_db_quickstart_chat)
{
    lc_errbuf eb = {{0}};
    host_db *db = db_with(NULL, "quickstart-chat", &eb);
    CHECK(db != NULL);
    if (!db) return;
    u8 alice[32] = {0xA1}, conn[16] = {1};
    char name[64];
    host_outcome o;
    host_caller c = caller_of(0);
    memcpy(c.identity, alice, 32);
    /* unknown user cannot set a name (user error, nothing written) */
    CHECK_OK(host_db_call_json(db, "set_name", "[\"alice\"]", 9, &c, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_USER_ERROR);
    CHECK_STR(o.message, "Cannot set name for unknown user");
    CHECK_OK(host_db_connect(db, alice, conn, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_EQ(chat_user(db, alice, name, sizeof name), 1);
    CHECK_OK(host_db_call_json(db, "set_name", "{\"name\": \"alice\"}", 17, &c, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_EQ(chat_user(db, alice, name, sizeof name), 1);
    CHECK_STR(name, "alice");
    CHECK_OK(host_db_call_json(db, "send_message", "[\"hello\"]", 9, &c, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_OK(host_db_call_json(db, "send_message", "[\"\"]", 4, &c, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_USER_ERROR);
    CHECK_EQ(db_count(db, "message"), 1);
    CHECK_OK(host_db_disconnect(db, alice, conn, &o, &eb));
    CHECK_EQ(chat_user(db, alice, name, sizeof name), 0);
    CHECK_EQ(db_count(db, "st_client"), 0);
    /* the module's console_log of the message is in the module log, tagged send_message */
    const host_modlog_entry *e[16];
    u32 n = host_modlog_read_last(host_db_modlog(db), 16, e);
    bool saw = false;
    for (u32 i = 0; i < n; i++)
        if (strcmp(e[i]->message, "hello") == 0 && strcmp(e[i]->function, "send_message") == 0 &&
            e[i]->level == HOST_LOG_INFO && e[i]->filename && strstr(e[i]->filename, "chat.c"))
            saw = true;
    CHECK(saw);
    CHECK_OK(host_db_close(db));
}

TEST(host_modlog_file_rotation_and_cursor)
{
    char dir[64];
    tmpdir(dir, sizeof dir);
    CHECK(dir[0] != 0);
    host_modlog l;
    lc_errbuf eb = {{0}};
    CHECK_OK(host_modlog_open(&l, dir, 2000, &eb));
    char msg[64];
    for (int i = 0; i < 2000; i++) {
        int n = snprintf(msg, sizeof msg, "line %d \xff", i); /* invalid UTF-8 byte */
        host_log_record r = {.ts_micros = i, .level = HOST_LOG_WARN, .line = 0xFFFFFFFFu,
                             .function = "f", .message = msg, .message_len = (u32)n};
        host_modlog_append(&l, &r);
    }
    const host_modlog_entry *e[4];
    CHECK_EQ(host_modlog_read_last(&l, 2, e), 2);
    CHECK_EQ(e[1]->seq, 2000);
    CHECK_STR(e[1]->message, "line 1999 \xEF\xBF\xBD");
    CHECK_EQ(host_modlog_read_since(&l, 1998, e, 4), 2);
    CHECK_EQ(host_modlog_read_since(&l, 0, e, 4), 4); /* oldest in the ring first */
    CHECK_EQ(e[0]->seq, 2000 - HOST_MODLOG_RING + 1);
    host_modlog_close(&l);
    char p[128];
    struct stat st;
    snprintf(p, sizeof p, "%s/module.log", dir);
    CHECK(stat(p, &st) == 0 && st.st_size <= 2000 + 200);
    snprintf(p, sizeof p, "%s/module.log.1", dir);
    CHECK(stat(p, &st) == 0 && st.st_size >= 2000);
    rmrf(dir);
}

TEST(host_db_failing_init_rolls_back_publish)
{
    lc_errbuf eb = {{0}};
    host_db *db = db_with(NULL, NULL, &eb);
    CHECK(db != NULL);
    if (!db) return;
    size_t len = 0;
    u8 *w = host_test_wasm("badinit", &len);
    u8 owner[32] = {1};
    host_outcome o;
    CHECK(w != NULL);
    CHECK_ERR(host_db_publish(db, w, len, owner, &o, &eb), LC_EINVALID);
    CHECK_EQ(o.kind, HOST_OUTCOME_USER_ERROR);
    CHECK_STR(o.message, "init refuses");
    lc_free(w);
    CHECK(host_db_module(db) == NULL);
    CHECK_EQ(db_count(db, "thing"), UINT64_MAX); /* no such table */
    CHECK_EQ(db_count(db, "st_module"), 0);
    /* the database is still usable for a good module */
    w = host_test_wasm("hosttest", &len);
    CHECK_OK(host_db_publish(db, w, len, owner, &o, &eb));
    lc_free(w);
    CHECK_EQ(db_count(db, "item"), 0);
    CHECK_EQ(db_count(db, "st_module"), 1);
    CHECK_OK(host_db_close(db));
}
