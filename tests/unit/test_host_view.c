/*
 * tests/unit/test_host_view.c — views in the host (host_db_call_view, spec-module-abi §4.9)
 * with tests/host/modules/viewtest: a sender view sees only its caller's rows, an anonymous
 * view the same rows for everyone, the read set names the table read (and only it), and a
 * view that writes is stopped (the transaction is read-only) without harming the host.
 */
#include <string.h>

#include "base/alloc.h"
#include "harness.h"
#include "host/db.h"
#include "host/host_test_util.h"
#include "store/store.h"

static host_db *open_viewtest(void)
{
    host_db_opts o;
    memset(&o, 0, sizeof o);
    return host_test_db_with("viewtest", &o);
}

/* Row count of one view run, or -1; *res keeps the rows and read set. */
static i64 view_rows(host_db *db, const char *name, u8 who, host_view_result *res)
{
    i32 id = host_db_view_id(db, name, strlen(name));
    if (id < 0) return -1;
    u8 sender[32] = {0};
    sender[0] = who;
    lc_buf_init(&res->rows);
    lc_buf_init(&res->sql);
    host_outcome o;
    lc_errbuf eb;
    if (host_db_call_view(db, (u32)id, sender, res, &o, &eb) != 0) return -1;
    if (o.kind != HOST_OUTCOME_COMMITTED) return -2;
    return res->rows.len >= 4 ? (i64)lc_load_u32(res->rows.data) : -1;
}

TEST(host_view_sender_and_anonymous)
{
    host_db *db = open_viewtest();
    CHECK(db != NULL);
    if (!db) return;
    CHECK(host_test_call_as(db, 0xA, "add_player", "[1, \"a1\", 50]"));
    CHECK(host_test_call_as(db, 0xA, "add_player", "[2, \"a2\", 150]"));
    CHECK(host_test_call_as(db, 0xB, "add_player", "[3, \"b1\", 200]"));
    host_view_result r;
    CHECK_EQ(view_rows(db, "my_players", 0xA, &r), 2);
    lc_buf_deinit(&r.rows);
    CHECK_EQ(view_rows(db, "my_players", 0xB, &r), 1);
    lc_buf_deinit(&r.rows);
    CHECK_EQ(view_rows(db, "my_players", 0xC, &r), 0);
    /* the read set: the player table only */
    store_txn t;
    store_read_begin(&t, host_db_store(db));
    u32 player_id = 0, other_id = 0;
    CHECK_OK(store_table_id_from_name(&t, "player", 6, &player_id));
    CHECK_OK(store_table_id_from_name(&t, "other", 5, &other_id));
    store_read_end(&t);
    CHECK(!r.read_all);
    CHECK_EQ(r.nread, 1);
    CHECK_EQ(r.read_tables[0], player_id);
    lc_buf_deinit(&r.rows);
    CHECK_EQ(view_rows(db, "top_players", 0xA, &r), 2); /* scores 150 and 200 */
    lc_buf_deinit(&r.rows);
    CHECK(host_test_call_as(db, 0xA, "set_score", "[1, 120]"));
    CHECK_EQ(view_rows(db, "top_players", 0xC, &r), 3);
    lc_buf_deinit(&r.rows);
    /* a view that writes is stopped; the database and the instance go on */
    CHECK_EQ(view_rows(db, "writes", 0, &r), -2);
    lc_buf_deinit(&r.rows);
    CHECK(host_test_call_as(db, 0xA, "add_other", "[5]"));
    CHECK_EQ(view_rows(db, "my_players", 0xA, &r), 2);
    lc_buf_deinit(&r.rows);
    CHECK_EQ(host_db_view_id(db, "nope", 4), -1);
    /* a query view answers its SQL, no rows */
    i32 id = host_db_view_id(db, "rich_players", 12);
    CHECK(id >= 0);
    lc_buf_init(&r.rows);
    lc_buf_init(&r.sql);
    host_outcome o;
    lc_errbuf eb;
    static const u8 nobody[32];
    CHECK_OK(host_db_call_view(db, (u32)id, nobody, &r, &o, &eb));
    CHECK_EQ(o.kind, HOST_OUTCOME_COMMITTED);
    CHECK_EQ(r.rows.len, 0);
    CHECK_EQ(r.sql.len, strlen("SELECT * FROM player WHERE score >= 200"));
    CHECK_MEM(r.sql.data, "SELECT * FROM player WHERE score >= 200", r.sql.len);
    lc_buf_deinit(&r.rows);
    lc_buf_deinit(&r.sql);
    CHECK_OK(host_db_close(db));
}
