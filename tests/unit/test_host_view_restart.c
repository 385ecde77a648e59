/*
 * tests/unit/test_host_view_restart.c — views are ephemeral (spec-engine-semantics §6.4):
 * nothing of a view is written to the store or the commit log, so after a restart from disk
 * (recovery replays the log) a view is recomputed from the recovered tables and answers the
 * same rows as before, and it follows writes made after the restart. Uses
 * tests/host/modules/viewtest (sender view my_players, anonymous view top_players).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "harness.h"
#include "host/db.h"
#include "host/host_test_util.h"
#include "store/store.h"

static host_db *vr_open(const char *dir, bool publish)
{
    host_db_opts o;
    memset(&o, 0, sizeof o);
    host_db *db = NULL;
    lc_errbuf eb;
    if (host_db_open(dir, &o, &db, &eb) != 0) return NULL;
    if (publish) {
        size_t n = 0;
        u8 *w = host_test_wasm("viewtest", &n);
        static const u8 owner[32] = {1};
        int rc = w ? host_db_publish(db, w, n, owner, NULL, &eb) : LC_ENOTFOUND;
        lc_free(w);
        if (rc) {
            (void)host_db_close(db);
            return NULL;
        }
    }
    return db;
}

/* The view's rows (BSATN array) as `who`, appended to out; false if it did not run. */
static bool vr_view(host_db *db, const char *name, u8 who, lc_buf *out)
{
    i32 id = host_db_view_id(db, name, strlen(name));
    if (id < 0) return false;
    u8 sender[32] = {who};
    host_view_result res;
    lc_buf_init(&res.rows);
    lc_buf_init(&res.sql);
    host_outcome o;
    lc_errbuf eb;
    bool ok = host_db_call_view(db, (u32)id, sender, &res, &o, &eb) == 0 &&
              o.kind == HOST_OUTCOME_COMMITTED && res.rows.len >= 4;
    if (ok) lc_buf_put(out, res.rows.data, res.rows.len);
    lc_buf_deinit(&res.rows);
    lc_buf_deinit(&res.sql);
    return ok;
}

/* True when the store has a table called `name`. */
static bool vr_has_table(host_db *db, const char *name)
{
    store_txn t;
    store_read_begin(&t, host_db_store(db));
    u32 id = 0;
    bool has = store_table_id_from_name(&t, name, strlen(name), &id) == 0;
    store_read_end(&t);
    return has;
}

static void vr_rmrf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
}

TEST(host_view_recomputed_after_restart)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/lc_host_view_XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    host_db *db = vr_open(dir, true);
    CHECK(db != NULL);
    if (!db) { vr_rmrf(dir); return; }
    CHECK(host_test_call_as(db, 0xA, "add_player", "[1, \"a1\", 50]"));
    CHECK(host_test_call_as(db, 0xA, "add_player", "[2, \"a2\", 150]"));
    CHECK(host_test_call_as(db, 0xB, "add_player", "[3, \"b1\", 200]"));
    lc_buf mine, top, mine2, top2;
    lc_buf_init(&mine), lc_buf_init(&top), lc_buf_init(&mine2), lc_buf_init(&top2);
    bool ran = vr_view(db, "my_players", 0xA, &mine) && vr_view(db, "top_players", 0, &top);
    CHECK(ran);
    /* nothing of a view lives in the store (so nothing of it reaches the log) */
    CHECK(!vr_has_table(db, "my_players") && !vr_has_table(db, "top_players"));
    CHECK_OK(host_db_close(db));
    db = vr_open(dir, false);
    CHECK(db != NULL && host_db_module(db) != NULL);
    if (db && ran) {
        CHECK(!vr_has_table(db, "my_players") && !vr_has_table(db, "top_players"));
        CHECK(vr_view(db, "my_players", 0xA, &mine2) && vr_view(db, "top_players", 0, &top2));
        CHECK_EQ(mine2.len, mine.len);
        CHECK(memcmp(mine2.data, mine.data, mine.len) == 0);
        CHECK_EQ(lc_load_u32(mine2.data), 2);
        CHECK_EQ(top2.len, top.len);
        CHECK(memcmp(top2.data, top.data, top.len) == 0);
        CHECK_EQ(lc_load_u32(top2.data), 2);
        /* and it follows writes made after the restart */
        CHECK(host_test_call_as(db, 0xA, "set_score", "[1, 120]"));
        lc_buf_reset(&top2);
        CHECK(vr_view(db, "top_players", 0, &top2));
        CHECK_EQ(lc_load_u32(top2.data), 3);
    }
    if (db) CHECK_OK(host_db_close(db));
    lc_buf_deinit(&mine), lc_buf_deinit(&top), lc_buf_deinit(&mine2), lc_buf_deinit(&top2);
    vr_rmrf(dir);
}
