/*
 * clog/clog_store.c — recovery callbacks over store/, and commit = store commit + log append.
 * See clog_store.h. The recovery ops keep a `store **` so that `reset` can replace a store
 * left half-loaded by a snapshot that failed to decode with a fresh one.
 */
#include "clog/clog_store.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/log.h"

static void ops_reset(void *ctx)
{
    store **sp = ctx;
    store_destroy(*sp);
    *sp = NULL;
    if (store_create(sp) != 0) *sp = NULL; /* apply/load then fail with LC_ENOMEM */
}

static int ops_load(void *ctx, u64 tx_end, const u8 *p, size_t n, lc_errbuf *eb)
{
    store **sp = ctx;
    if (!*sp) return lc_errf(eb, LC_ENOMEM, "no store");
    int rc = store_snapshot_decode(*sp, p, n, eb);
    if (rc) return rc;
    if (store_next_tx_offset(*sp) != tx_end)
        return lc_errf(eb, LC_ECORRUPT, "snapshot %llu decodes to next offset %llu",
                       (unsigned long long)tx_end,
                       (unsigned long long)store_next_tx_offset(*sp));
    return 0;
}

static int ops_apply(void *ctx, u64 tx_offset, const u8 *p, size_t n, lc_errbuf *eb)
{
    store **sp = ctx;
    if (!*sp) return lc_errf(eb, LC_ENOMEM, "no store");
    int rc = store_txdata_apply(*sp, tx_offset, p, n, eb);
    if (rc) {
        char msg[sizeof eb->msg];
        snprintf(msg, sizeof msg, "%s", eb ? eb->msg : "");
        return lc_errf(eb, rc, "replay of transaction %llu: %s", (unsigned long long)tx_offset,
                       msg);
    }
    LC_DEBUG_ASSERT(store_next_tx_offset(*sp) == tx_offset + 1);
    return 0;
}

int clog_store_open(const char *dir, const clog_options *opt, clog_store_db *db,
                    clog_recover_stats *out_stats, lc_errbuf *eb)
{
    memset(db, 0, sizeof *db);
    lc_buf_init(&db->enc);
    if (store_create(&db->s) != 0) return lc_errf(eb, LC_ENOMEM, "out of memory creating a store");
    clog_recover_ops ops = {&db->s, ops_reset, ops_load, ops_apply};
    clog_recover_stats st;
    int rc = clog_recover(dir, opt, &ops, &db->log, &st, eb);
    if (!rc && (!db->s || store_next_tx_offset(db->s) != clog_next_offset(db->log))) {
        (void)clog_close(db->log);
        db->log = NULL;
        rc = lc_errf(eb, LC_ECORRUPT, "%s: store ends at %llu, log at %llu", dir,
                     (unsigned long long)(db->s ? store_next_tx_offset(db->s) : 0),
                     (unsigned long long)st.log_end);
    }
    if (rc) {
        store_destroy(db->s);
        db->s = NULL;
        lc_buf_deinit(&db->enc);
        return rc;
    }
    db->last_snapshot_end = st.has_snapshot ? st.snapshot_tx_end : 0;
    if (out_stats) *out_stats = st;
    return 0;
}

int clog_store_snapshot(clog_store_db *db, lc_errbuf *eb)
{
    lc_buf b;
    lc_buf_init(&b);
    int rc = store_snapshot_encode(db->s, &b);
    if (!rc && b.err) rc = b.err;
    if (rc) {
        lc_buf_deinit(&b);
        return lc_errf(eb, rc, "encoding a snapshot: %s", lc_strerror(rc));
    }
    u64 end = store_next_tx_offset(db->s);
    size_t len;
    u8 *bytes = lc_buf_take(&b, &len);
    rc = clog_snapshot_request(db->log, end, bytes, len);
    if (rc) {
        lc_free(bytes);
        return lc_errf(eb, rc, "snapshot %llu not started: %s", (unsigned long long)end,
                       lc_strerror(rc));
    }
    db->last_snapshot_end = end;
    return 0;
}

int clog_store_commit(clog_store_db *db, store_txn *txn, const store_inputs *inputs,
                      u64 *out_offset, bool *out_logged, lc_errbuf *eb)
{
    const store_txdata *td;
    *out_logged = false;
    int rc = store_txn_commit(txn, &td);
    if (rc) return lc_errf(eb, rc, "commit: %s", lc_strerror(rc));
    if (!td || !td->has_offset) return 0;
    lc_buf_reset(&db->enc);
    store_txdata_encode(td, inputs, &db->enc);
    if (db->enc.err) return lc_errf(eb, db->enc.err, "encoding transaction %llu",
                                    (unsigned long long)td->tx_offset);
    *out_offset = td->tx_offset;
    rc = clog_append(db->log, td->tx_offset, db->enc.data, db->enc.len, eb);
    if (rc) return rc;
    *out_logged = true;
    if (db->snapshot_every && td->tx_offset + 1 - db->last_snapshot_end >= db->snapshot_every) {
        lc_errbuf e2;
        int r2 = clog_store_snapshot(db, &e2);
        if (r2 && r2 != LC_EBUSY) LC_LOG_W("clog", "%s", e2.msg);
    }
    return 0;
}

int clog_store_close(clog_store_db *db)
{
    int rc = clog_close(db->log);
    store_destroy(db->s);
    lc_buf_deinit(&db->enc);
    memset(db, 0, sizeof *db);
    return rc;
}
