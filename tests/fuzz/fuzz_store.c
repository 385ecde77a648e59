/*
 * tests/fuzz/fuzz_store.c — libFuzzer target for the store's decoders of untrusted bytes:
 * store_txdata_apply (commit-log records) and store_snapshot_decode (snapshots).
 *
 * Input: byte 0 selects the decoder (odd: a Txdata record replayed into a store that already
 * holds a user table `accounts(id u32 pk, balance i64)` and `notes(id u64 auto_inc pk, text
 * string)`; even: a snapshot loaded into a fresh store); the rest is the decoder's input.
 * Whatever the outcome, every table must pass store_table_check and a following write
 * transaction must work. Built with MODE=fuzz it links libFuzzer; in other modes main()
 * replays the files it is given (the seed corpus, under `make test`), and
 * `fuzz_store --make-seeds DIR` writes the seed corpus from real transactions.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t n);

static void setup(store *s)
{
    store_column_def a[2] = {{"id", lc_type_prim(LC_T_U32)}, {"balance", lc_type_prim(LC_T_I64)}};
    store_column_def b[2] = {{"id", lc_type_prim(LC_T_U64)}, {"text", lc_type_prim(LC_T_STRING)}};
    store_sequence_def q = {.col_pos = 0};
    store_table_def da = {.name = "accounts", .pk_col = 0, .col_count = 2, .cols = a};
    store_table_def db = {.name = "notes", .pk_col = 0, .col_count = 2, .cols = b,
                          .seq_count = 1, .seqs = &q};
    store_txn txn;
    store_txn_begin(&txn, s);
    u32 id;
    if (store_table_create(&txn, &da, &id, NULL) || store_table_create(&txn, &db, &id, NULL))
        abort();
    if (store_txn_commit(&txn, NULL)) abort();
}

static void check_all(store *s)
{
    store_txn txn;
    store_read_begin(&txn, s);
    for (u32 t = 1; t < 8200; t++) {
        if (t == 32) t = 4096;
        if (store_table_exists(&txn, t) && !store_table_check(&txn, t)) abort();
    }
    store_read_end(&txn);
    /* the store must still accept writes */
    store_txn_begin(&txn, s);
    u8 row[13] = {0};
    lc_store_u32(row + 8, 1);
    row[12] = 'x';
    u32 id;
    if (store_table_id_from_name(&txn, "notes", 5, &id) == 0) {
        int rc = store_insert(&txn, id, row, 13, NULL, NULL);
        if (rc && rc != LC_EUNIQUE && rc != LC_EDECODE) abort();
    }
    if (store_txn_commit(&txn, NULL)) abort();
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t n)
{
    if (n < 1) return 0;
    store *s;
    if (store_create(&s)) abort();
    int rc;
    if (data[0] & 1) {
        setup(s);
        rc = store_txdata_apply(s, 7, data + 1, n - 1, NULL);
    } else {
        rc = store_snapshot_decode(s, data + 1, n - 1, NULL);
    }
    if (rc > 0) abort(); /* 0 or a negative LC_E* code */
    check_all(s);
    store_destroy(s);
    return 0;
}

#ifndef LC_FUZZ
static void write_seed(const char *dir, const char *name, u8 mode, const lc_buf *b)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(&mode, 1, 1, f);
    fwrite(b->data, 1, b->len, f);
    fclose(f);
}

/* The Txdata of a republish that rebuilds `notes` (empty, as in setup) with a column added
 * (store_table_rebuild: the old table dropped, the new one created under a new id). */
static int rebuild_seed(lc_buf *b)
{
    store *s;
    if (store_create(&s)) return 1;
    setup(s);
    store_txn txn;
    const store_txdata *td;
    store_column_def c[3] = {{"id", lc_type_prim(LC_T_U64)}, {"text", lc_type_prim(LC_T_STRING)},
                             {"flag", lc_type_prim(LC_T_U8)}};
    u8 tail = 1;
    store_txn_begin(&txn, s);
    int rc = store_table_rebuild(&txn, 4097, 3, c, &tail, 1, NULL, NULL);
    if (rc == 0) rc = store_txn_commit(&txn, &td);
    else store_txn_abort(&txn);
    if (rc == 0) store_txdata_encode(td, NULL, b);
    store_destroy(s);
    return rc ? 1 : 0;
}

/* Seeds: the Txdata of a transaction with inserts, an update, a delete and a clear; a
 * snapshot of the resulting store; a table rebuild. */
static int make_seeds(const char *dir)
{
    store *s;
    if (store_create(&s)) return 1;
    setup(s);
    store_txn txn;
    const store_txdata *td;
    lc_buf b;
    lc_buf_init(&b);
    store_txn_begin(&txn, s);
    for (u32 i = 1; i <= 3; i++) {
        u8 row[12];
        lc_store_u32(row, i);
        lc_store_u64(row + 4, i * 100);
        if (store_insert(&txn, 4096, row, 12, NULL, NULL)) return 1;
    }
    u8 note[13] = {0};
    lc_store_u32(note + 8, 1);
    note[12] = 'n';
    if (store_insert(&txn, 4097, note, 13, NULL, NULL)) return 1;
    if (store_txn_commit(&txn, &td)) return 1;
    store_txdata_encode(td, NULL, &b);
    write_seed(dir, "txdata-inserts", 1, &b);
    lc_buf_reset(&b);
    store_txn_begin(&txn, s);
    if (store_clear(&txn, 4097, NULL)) return 1;
    if (store_txn_commit(&txn, &td)) return 1;
    store_txdata_encode(td, NULL, &b);
    write_seed(dir, "txdata-truncate", 1, &b);
    lc_buf_reset(&b);
    if (store_snapshot_encode(s, &b)) return 1;
    write_seed(dir, "snapshot", 0, &b);
    lc_buf_reset(&b);
    if (rebuild_seed(&b)) return 1;
    write_seed(dir, "txdata-rebuild", 1, &b);
    lc_buf_deinit(&b);
    store_destroy(s);
    return 0;
}

/* The shared replayer (tests/fuzz/replay_main.c) also tries cuts and bit flips of each seed,
 * and `--make-seeds DIR` writes the seed corpus. */
const bool lc_fuzz_replay_mutate = true;

int lc_fuzz_replay_hook(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--make-seeds") == 0) return make_seeds(argv[2]);
    return -1;
}
#endif
