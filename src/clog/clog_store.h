/*
 * clog/clog_store.h — a store with its commit log: the glue the server uses for one database.
 *
 * clog_store_open recovers the store from the directory (snapshot + log suffix via
 * store_snapshot_decode / store_txdata_apply) and leaves the log open for appends.
 * clog_store_commit commits a write transaction, encodes its TxData (store_txdata_encode)
 * and queues it on the log: it never waits for I/O. The caller learns durability through
 * clog_durable_end / clog_wait_durable / the on_durable callback of the options.
 * clog_store_snapshot encodes the whole store on the calling (database) thread, then the
 * log's snapshot thread compresses and writes it; opt-in automatic snapshots every N
 * transactions go through the same path from clog_store_commit.
 *
 * Ownership: the clog_store_db is caller-owned (init/deinit style through open/close); db->s
 * and db->log belong to it until clog_store_close. One writer thread uses the db.
 */
#ifndef LC_CLOG_CLOG_STORE_H
#define LC_CLOG_CLOG_STORE_H

#include "base/buf.h"
#include "clog/clog.h"
#include "store/store.h"

typedef struct clog_store_db {
    store *s;
    clog *log;
    lc_buf enc;           /* reused TxData encode buffer */
    u64 snapshot_every;   /* 0 = only on request; else after every N logged transactions */
    u64 last_snapshot_end;
} clog_store_db;

/* Recovers (creating an empty database if dir is new). out_stats may be NULL. */
int clog_store_open(const char *dir, const clog_options *opt, clog_store_db *out_db,
                    clog_recover_stats *out_stats, lc_errbuf *eb) LC_MUST_USE;
/* Commits txn, and logs it when it got an offset (*out_logged false for an empty txn).
 * *out_offset gets its offset. An error from the log (LC_EIO) means the transaction is
 * committed in memory but will never be durable: the database must stop taking writes. */
int clog_store_commit(clog_store_db *db, store_txn *txn, const store_inputs *inputs,
                      u64 *out_offset, bool *out_logged, lc_errbuf *eb) LC_MUST_USE;
/* Encodes the store now and hands it to the snapshot thread. LC_EBUSY if one is in flight. */
int clog_store_snapshot(clog_store_db *db, lc_errbuf *eb) LC_MUST_USE;
/* Flushes, syncs, closes the log and destroys the store. Returns the log's sticky error. */
int clog_store_close(clog_store_db *db);

#endif
