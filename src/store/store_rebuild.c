/*
 * store/store_rebuild.c — the schema changes of a republish that touch a table's rows or its
 * sequences (host/migrate_apply.c): rebuilding a table with new column types and columns
 * added at the end, and adding / dropping a sequence on an existing table.
 *
 * Rebuild (SpacetimeDB's add_columns_to_table, spec-engine-semantics §1.11 / §5.4): the rows
 * are copied out (each followed by the `tail` bytes, the BSATN of the added columns'
 * defaults), the table is dropped, and a table with the same name, access, primary key,
 * indexes and sequences is created under a NEW table id; its sequences resume where the old
 * ones stopped (value and persisted bound), and the copied rows are inserted as they are (no
 * sequence is consulted: a zero stays a zero). All of it happens in the caller's write
 * transaction through the row API, so it is undone by an abort (the dropped table survives as
 * a catalog zombie until the transaction ends) and logged in the TxData: the truncate of the
 * old table, the st_* rows of both, the inserts into the new one. Replaying that record gives
 * the same result (txdata.c keeps the dropped table until the record's truncate has run).
 * Memory: the whole table is copied once (as the reference does).
 */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/limits.h"

#define I128_MAX ((i128)(((u128)1 << 127) - 1))

/* What a rebuild keeps of the old table: copied out, because the old table is dropped. */
typedef struct rebuild_old {
    char *name;
    bool is_public;
    i32 pk_col;
    u32 ix_count, seq_count;
    store_index_def *ixs;
    char **ix_names;
    store_sequence_def *seqs;
    i128 *seq_value, *seq_allocated;
    lc_buf rows; /* u32 len | bytes (old row ++ tail), back to back */
    u64 row_count;
} rebuild_old;

static void rebuild_old_free(rebuild_old *o)
{
    for (u32 i = 0; o->ix_names && i < o->ix_count; i++) lc_free(o->ix_names[i]);
    lc_free(o->ix_names);
    for (u32 i = 0; o->ixs && i < o->ix_count; i++) lc_free((void *)o->ixs[i].cols);
    lc_free(o->ixs);
    lc_free(o->seqs);
    lc_free(o->seq_value);
    lc_free(o->seq_allocated);
    lc_free(o->name);
    lc_buf_deinit(&o->rows);
}

static int rebuild_copy_schema(const store_table *t, rebuild_old *o)
{
    o->name = lc_strdup(t->name);
    o->is_public = t->is_public;
    o->pk_col = t->pk_col;
    o->ix_count = t->ix_count;
    o->seq_count = t->seq_count;
    o->ixs = lc_calloc(t->ix_count + 1, sizeof *o->ixs);
    o->ix_names = lc_calloc(t->ix_count + 1, sizeof *o->ix_names);
    o->seqs = lc_calloc(t->seq_count + 1, sizeof *o->seqs);
    o->seq_value = lc_calloc(t->seq_count + 1, sizeof *o->seq_value);
    o->seq_allocated = lc_calloc(t->seq_count + 1, sizeof *o->seq_allocated);
    if (!o->name || !o->ixs || !o->ix_names || !o->seqs || !o->seq_value || !o->seq_allocated)
        return LC_ENOMEM;
    for (u32 i = 0; i < t->ix_count; i++) {
        const store_index *ix = t->ixs[i];
        o->ix_names[i] = lc_strdup(ix->name);
        u16 *cols = lc_memdup(ix->cols, (size_t)ix->col_count * sizeof *cols);
        if (!o->ix_names[i] || !cols) {
            lc_free(cols);
            return LC_ENOMEM;
        }
        o->ixs[i] = (store_index_def){o->ix_names[i], ix->algo, ix->is_unique, ix->col_count,
                                      cols};
    }
    for (u32 i = 0; i < t->seq_count; i++) {
        const store_seq *q = t->seqs[i];
        o->seqs[i] = (store_sequence_def){q->col_pos, q->increment, q->start, q->min_value,
                                          q->max_value};
        o->seq_value[i] = q->value;
        o->seq_allocated[i] = q->allocated;
    }
    return 0;
}

static int rebuild_copy_rows(const store_table *t, const u8 *tail, size_t tail_len,
                             rebuild_old *o)
{
    for (u32 rid = 0; rid < t->slot_hw; rid++) {
        if (!table_is_live(t, rid)) continue;
        u32 len;
        const u8 *row = table_row(t, rid, &len);
        if ((u64)len + tail_len > UINT32_MAX / 2) return LC_ELIMIT;
        lc_buf_put_u32(&o->rows, (u32)(len + tail_len));
        lc_buf_put(&o->rows, row, len);
        if (tail_len) lc_buf_put(&o->rows, tail, tail_len);
        o->row_count++;
    }
    return o->rows.err;
}

/* The new table's sequences resume at the old values (matched by column). */
static int rebuild_restore_seqs(store *s, store_table *nt, const rebuild_old *o)
{
    for (u32 i = 0; i < nt->seq_count; i++)
        for (u32 j = 0; j < o->seq_count; j++) {
            if (o->seqs[j].col_pos != nt->seqs[i]->col_pos) continue;
            int rc = catalog_seq_restore(s, nt->seqs[i], o->seq_value[j], o->seq_allocated[j]);
            if (rc) return rc;
        }
    return 0;
}

static int rebuild_insert_rows(store *s, store_table *nt, const rebuild_old *o, lc_errbuf *eb)
{
    for (size_t at = 0; at < o->rows.len;) {
        u32 n = lc_load_u32(o->rows.data + at);
        const u8 *row = o->rows.data + at + 4;
        int rc = table_validate_row(nt, row, n, eb);
        if (rc) return lc_errf(eb, rc, "table %s: a row does not fit the new columns", o->name);
        rc = txn_insert_raw(s, nt, row, n, NULL);
        if (rc == LC_EUNIQUE) return lc_errf(eb, rc, "table %s: duplicate key", o->name);
        if (rc) return rc;
        at += 4 + (size_t)n;
    }
    return 0;
}

static int rebuild_check(store_txn *txn, const store_table *t, u32 col_count, lc_errbuf *eb)
{
    if (txn->is_failed) return LC_ETXFAILED;
    if (!txn->is_write) return LC_ESTATE;
    if (!t || t->is_system)
        return lc_errf(eb, t ? LC_EPERM : LC_ENOTFOUND, "rebuild: not a user table");
    if (col_count < t->col_count || col_count > LC_TABLE_COLS_MAX)
        return lc_errf(eb, LC_EINVAL, "rebuild of table %s: %u columns for %u", t->name,
                       col_count, t->col_count);
    return 0;
}

int store_table_rebuild(store_txn *txn, u32 table_id, u32 col_count,
                        const store_column_def *cols, const u8 *tail, size_t tail_len,
                        u32 *out_new_id, lc_errbuf *eb)
{
    store *s = txn->s;
    store_table *t = store_table_get(s, table_id);
    int rc = rebuild_check(txn, t, col_count, eb);
    if (rc) return rc;
    rebuild_old o = {0};
    lc_buf_init(&o.rows);
    u32 mark = s->undo_count, new_id = 0;
    rc = rebuild_copy_schema(t, &o);
    if (!rc) rc = rebuild_copy_rows(t, tail, tail_len, &o);
    if (rc) {
        rebuild_old_free(&o);
        return lc_errf(eb, rc, "rebuild of table %s: %s", t->name, lc_strerror(rc));
    }
    rc = store_table_drop(txn, table_id, eb);
    store_table_def d = {o.name, o.is_public, o.pk_col, col_count, cols, o.ix_count, o.ixs,
                         o.seq_count, o.seqs};
    if (!rc) rc = store_table_create(txn, &d, &new_id, eb);
    store_table *nt = rc ? NULL : store_table_get(s, new_id);
    LC_ASSERT(rc || nt);
    if (!rc) rc = rebuild_restore_seqs(s, nt, &o);
    if (!rc) rc = rebuild_insert_rows(s, nt, &o, eb);
    if (rc) ddl_undo(txn, mark, rc);
    if (!rc && out_new_id) *out_new_id = new_id;
    rebuild_old_free(&o);
    return rc;
}

/* ---- sequences on an existing table ---- */

static void put_i128(lc_buf *b, i128 v) { lc_buf_put(b, &v, 16); }

int store_sequence_create(store_txn *txn, u32 table_id, const store_sequence_def *def,
                          lc_errbuf *eb)
{
    if (txn->is_failed) return LC_ETXFAILED;
    if (!txn->is_write) return LC_ESTATE;
    store *s = txn->s;
    store_table *t = store_table_get(s, table_id);
    if (!t || t->is_system) return lc_errf(eb, LC_ENOTFOUND, "sequence: not a user table");
    u16 c = def->col_pos;
    if (c >= t->col_count || !lc_type_is_int(t->cols[c].type) || t->cols[c].fixed_size > 16)
        return lc_errf(eb, LC_EINVAL, "sequence on %s: column %u must be an integer of at most "
                       "128 bits", t->name, c);
    for (u32 i = 0; i < t->seq_count; i++)
        if (t->seqs[i]->col_pos == c)
            return lc_errf(eb, LC_EINVAL, "table %s: column %s already has a sequence",
                           t->name, t->cols[c].name);
    bool dflt = !def->increment && !def->start && !def->min_value && !def->max_value;
    i128 start = dflt ? 1 : def->start;
    char name[300];
    snprintf(name, sizeof name, "%s_%s_seq", t->name, t->cols[c].name);
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_put_u32(&b, 0); /* sequence_id: auto_inc */
    lc_buf_put_str(&b, name, (u32)strlen(name));
    lc_buf_put_u32(&b, table_id);
    lc_buf_put_u16(&b, c);
    put_i128(&b, dflt ? 1 : def->increment);
    put_i128(&b, start);
    put_i128(&b, dflt ? 1 : def->min_value);
    put_i128(&b, dflt ? I128_MAX : def->max_value);
    put_i128(&b, start); /* allocated */
    u32 mark = s->undo_count;
    int rc = b.err ? b.err : store_insert(txn, STORE_ST_SEQUENCE, b.data, b.len, NULL, NULL);
    lc_buf_deinit(&b);
    if (!rc) rc = catalog_reconcile(s, eb);
    if (rc) ddl_undo(txn, mark, rc);
    return rc ? lc_errf(eb, rc, "sequence on %s: %s", t->name, lc_strerror(rc)) : 0;
}

int store_sequence_drop(store_txn *txn, u32 table_id, u16 col_pos, lc_errbuf *eb)
{
    if (txn->is_failed) return LC_ETXFAILED;
    if (!txn->is_write) return LC_ESTATE;
    store *s = txn->s;
    store_table *t = store_table_get(s, table_id);
    if (!t || t->is_system) return lc_errf(eb, LC_ENOTFOUND, "sequence: not a user table");
    store_table *st = store_table_get(s, STORE_ST_SEQUENCE);
    u32 found = UINT32_MAX;
    for (u32 rid = 0; rid < st->slot_hw && found == UINT32_MAX; rid++) {
        if (!table_is_live(st, rid)) continue;
        u32 len = 0;
        const u8 *row = table_row(st, rid, &len);
        lc_rd r;
        lc_rd_init(&r, row, len);
        lc_rd_u32(&r);
        (void)lc_rd_take(&r, lc_rd_u32(&r));
        u32 tid = lc_rd_u32(&r);
        if (!r.err && tid == table_id && lc_rd_u16(&r) == col_pos && !r.err) found = rid;
    }
    if (found == UINT32_MAX)
        return lc_errf(eb, LC_ENOTFOUND, "table %s has no sequence on column %u", t->name,
                       col_pos);
    u32 mark = s->undo_count;
    int rc = txn_delete_rid(s, st, found);
    if (!rc) rc = catalog_reconcile(s, eb);
    if (rc) ddl_undo(txn, mark, rc);
    return rc;
}
