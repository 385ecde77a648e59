/*
 * host/schema.c — moddef -> store DDL (see schema.h). Tables are created in canonical-name
 * order, as the reference host does, so table ids are stable for a given module.
 */
#include "host/schema.h"

#include <string.h>

#include "base/alloc.h"
#include "base/blake3.h"
#include "base/buf.h"

static void put_str(lc_buf *b, const char *s)
{
    size_t n = strlen(s);
    lc_buf_put_u32(b, (u32)n);
    lc_buf_put(b, s, n);
}

static int schema_schedule_row(store_txn *txn, const host_table_def *t, u32 table_id,
                               lc_errbuf *eb)
{
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_put_u32(&b, 0); /* schedule_id: auto_inc */
    lc_buf_put_u32(&b, table_id);
    put_str(&b, t->schedule_function);
    put_str(&b, t->schedule_name ? t->schedule_name : t->name);
    lc_buf_put_u16(&b, t->schedule_at_col);
    int rc = b.err ? b.err : store_insert(txn, STORE_ST_SCHEDULED, b.data, b.len, NULL, NULL);
    lc_buf_deinit(&b);
    if (rc) return lc_errf(eb, rc, "st_scheduled row for %s: %s", t->name, lc_strerror(rc));
    return 0;
}

int host_schema_create_table(store_txn *txn, const host_table_def *t, u32 *out_table_id,
                             lc_errbuf *eb)
{
    const lc_type *rt = t->row_type;
    u32 ncols = rt->elem_count, nix = t->index_count, nseq = t->sequence_count;
    store_column_def *cols = lc_calloc(ncols ? ncols : 1, sizeof *cols);
    store_index_def *ixs = lc_calloc(nix ? nix : 1, sizeof *ixs);
    store_sequence_def *seqs = lc_calloc(nseq ? nseq : 1, sizeof *seqs);
    int rc = LC_ENOMEM;
    if (!cols || !ixs || !seqs) goto out;
    for (u32 i = 0; i < ncols; i++) {
        cols[i].name = rt->elems[i].name;
        cols[i].type = rt->elems[i].type;
    }
    for (u32 i = 0; i < nix; i++) {
        const host_index_def *x = &t->indexes[i];
        ixs[i] = (store_index_def){x->name, x->algo, x->is_unique, x->col_count, x->cols};
    }
    for (u32 i = 0; i < nseq; i++) {
        const host_sequence_def *q = &t->sequences[i];
        seqs[i] = (store_sequence_def){q->col, q->increment, q->start, q->min_value,
                                       q->max_value};
    }
    store_table_def td = {t->name, t->is_public, t->pk_col, ncols, cols, nix, ixs, nseq, seqs};
    u32 id = 0;
    rc = store_table_create(txn, &td, &id, eb);
    if (rc == 0 && t->schedule_function) rc = schema_schedule_row(txn, t, id, eb);
    if (rc == 0 && out_table_id) *out_table_id = id;
out:
    lc_free(cols);
    lc_free(ixs);
    lc_free(seqs);
    if (rc == LC_ENOMEM) lc_errf(eb, rc, "out of memory creating table %s", t->name);
    return rc;
}

int host_schema_create(store_txn *txn, const host_moddef *def, lc_errbuf *eb)
{
    u32 n = def->table_count;
    u32 *order = lc_calloc(n ? n : 1, sizeof *order);
    if (!order) return lc_errf(eb, LC_ENOMEM, "out of memory");
    for (u32 i = 0; i < n; i++) order[i] = i;
    /* insertion sort: no global state, n is small */
    for (u32 i = 1; i < n; i++) {
        u32 v = order[i], j = i;
        while (j > 0 && strcmp(def->tables[order[j - 1]].name, def->tables[v].name) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
    int rc = 0;
    for (u32 k = 0; k < n && rc == 0; k++) {
        const host_table_def *t = &def->tables[order[k]];
        rc = host_schema_create_table(txn, t, NULL, eb);
    }
    lc_free(order);
    return rc;
}

int host_schema_set_module(store_txn *txn, const u8 db_identity[32], const u8 owner[32],
                           const u8 *wasm, size_t len, lc_errbuf *eb)
{
    u64 cleared;
    int rc = store_clear(txn, STORE_ST_MODULE, &cleared);
    if (rc) return lc_errf(eb, rc, "st_module: %s", lc_strerror(rc));
    u8 hash[32];
    lc_blake3_hash(wasm, len, hash);
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_put(&b, db_identity, 32);
    lc_buf_put(&b, owner, 32);
    lc_buf_put_u8(&b, 0);
    lc_buf_put(&b, hash, 32);
    lc_buf_put_u32(&b, (u32)len);
    lc_buf_put(&b, wasm, len);
    put_str(&b, "");
    rc = b.err ? b.err : store_insert(txn, STORE_ST_MODULE, b.data, b.len, NULL, NULL);
    lc_buf_deinit(&b);
    if (rc) return lc_errf(eb, rc, "st_module row: %s", lc_strerror(rc));
    return 0;
}

int host_schema_get_module(store_txn *txn, const u8 **out_wasm, u32 *out_len,
                           u8 out_db_identity[32], u8 out_owner[32])
{
    store_iter it;
    int rc = store_scan(txn, STORE_ST_MODULE, &it);
    if (rc) return rc;
    const u8 *row;
    u32 len;
    rc = LC_ENOTFOUND;
    if (store_iter_next(&it, &row, &len) && len >= 32 + 32 + 1 + 32 + 4) {
        u32 n = lc_load_u32(row + 97);
        if (n <= len - 101) {
            memcpy(out_db_identity, row, 32);
            memcpy(out_owner, row + 32, 32);
            *out_wasm = row + 101;
            *out_len = n;
            rc = 0;
        } else {
            rc = LC_ECORRUPT;
        }
    }
    store_iter_close(&it);
    return rc;
}
