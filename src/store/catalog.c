/*
 * store/catalog.c — the system catalog: system table schemas, bootstrap, DDL, sequences and
 * catalog_reconcile (st_* rows -> in-memory tables, indexes and sequences).
 *
 * The st_* rows are the truth. DDL (store_table_create, store_index_create) only writes rows
 * and then calls catalog_reconcile, which creates whatever objects the rows describe and
 * destroys objects whose rows are gone. Replay and snapshot load call the same function, so a
 * schema rebuilt from the log is built by exactly the code that built it live; rollback of a
 * transaction with DDL restores the rows and reconciles, which removes the new objects.
 *
 * System tables get fixed ids 1..20 (spec-engine-semantics §1.6). Their index, constraint and
 * sequence ids are assigned 1, 2, ... in the order of SYS[] below; user objects get ids from
 * the st_* sequences, which start at 4096 (ST_RESERVED_SEQUENCE_RANGE).
 *
 * Sequences (SpacetimeDB semantics, spec §1.5): `value` is the next value, `allocated` the
 * persisted bound. When value reaches allocated, allocated advances by STORE_SEQUENCE_STEP
 * increments and the st_sequence row is rewritten in the current transaction. After a restart
 * (replay or snapshot) value = allocated. Rollback does not rewind value; it does restore the
 * st_sequence row and therefore `allocated`, so a later transaction re-persists its bound
 * before handing out values beyond the persisted one (values never repeat after a crash).
 */
#include <stdio.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/limits.h"
#include "store/store_int.h"

#define I128_MAX ((i128)(((u128)1 << 127) - 1))

/* ---- system table definitions ---- */

enum {
    TY_U8, TY_U16, TY_U32, TY_U64, TY_I128, TY_U128, TY_U256, TY_BOOL, TY_STR, TY_BYTES,
    TY_COLLIST, TY_OPT_COLLIST, TY_TABLE_TYPE, TY_TABLE_ACCESS, TY_INDEX_ALGO,
    TY_CONSTRAINT_DATA, TY_IDENTITY, TY_CONN_ID, TY_TIMESTAMP, TY_VAR_VALUE, TY_OPT_U32,
    TY_HASH, TY_I64,
};

typedef struct sys_col {
    const char *name;
    u8 ty;
} sys_col;

typedef struct sys_ix {
    u8 n;
    u8 cols[3];
    bool is_unique;
} sys_ix;

typedef struct sys_table {
    u32 id;
    const char *name;
    bool is_private;
    i8 pk;      /* -1 none */
    i8 autoinc; /* -1 none */
    u8 col_count;
    sys_col cols[9];
    u8 ix_count;
    sys_ix ixs[3];
} sys_table;

static const sys_table SYS[] = {
    {1, "st_table", false, 0, 0, 5,
     {{"table_id", TY_U32}, {"table_name", TY_STR}, {"table_type", TY_TABLE_TYPE},
      {"table_access", TY_TABLE_ACCESS}, {"table_primary_key", TY_OPT_COLLIST}},
     2, {{1, {0}, true}, {1, {1}, true}}},
    {2, "st_column", false, -1, -1, 4,
     {{"table_id", TY_U32}, {"col_pos", TY_U16}, {"col_name", TY_STR}, {"col_type", TY_BYTES}},
     1, {{2, {0, 1}, true}}},
    {3, "st_sequence", false, 0, 0, 9,
     {{"sequence_id", TY_U32}, {"sequence_name", TY_STR}, {"table_id", TY_U32},
      {"col_pos", TY_U16}, {"increment", TY_I128}, {"start", TY_I128},
      {"min_value", TY_I128}, {"max_value", TY_I128}, {"allocated", TY_I128}},
     1, {{1, {0}, true}}},
    {4, "st_index", false, 0, 0, 4,
     {{"index_id", TY_U32}, {"table_id", TY_U32}, {"index_name", TY_STR},
      {"index_algorithm", TY_INDEX_ALGO}},
     1, {{1, {0}, true}}},
    {5, "st_constraint", false, 0, 0, 4,
     {{"constraint_id", TY_U32}, {"constraint_name", TY_STR}, {"table_id", TY_U32},
      {"constraint_data", TY_CONSTRAINT_DATA}},
     1, {{1, {0}, true}}},
    {6, "st_module", false, -1, -1, 6,
     {{"database_identity", TY_IDENTITY}, {"owner_identity", TY_IDENTITY},
      {"program_kind", TY_U8}, {"program_hash", TY_HASH}, {"program_bytes", TY_BYTES},
      {"module_version", TY_STR}},
     0, {{0}}},
    {7, "st_client", false, -1, -1, 2, {{"identity", TY_IDENTITY}, {"connection_id", TY_CONN_ID}},
     1, {{2, {0, 1}, true}}},
    {8, "st_var", false, 0, -1, 2, {{"name", TY_STR}, {"value", TY_VAR_VALUE}}, 1,
     {{1, {0}, true}}},
    {9, "st_scheduled", false, 0, 0, 5,
     {{"schedule_id", TY_U32}, {"table_id", TY_U32}, {"reducer_name", TY_STR},
      {"schedule_name", TY_STR}, {"at_column", TY_U16}},
     2, {{1, {1}, true}, {1, {0}, true}}},
    {10, "st_row_level_security", false, 1, -1, 2, {{"table_id", TY_U32}, {"sql", TY_STR}}, 2,
     {{1, {1}, true}, {1, {0}, false}}},
    {11, "st_connection_credentials", true, 0, -1, 2,
     {{"connection_id", TY_CONN_ID}, {"jwt_payload", TY_STR}}, 1, {{1, {0}, true}}},
    {12, "st_view", false, 0, 0, 5,
     {{"view_id", TY_U32}, {"view_name", TY_STR}, {"table_id", TY_OPT_U32},
      {"is_public", TY_BOOL}, {"is_anonymous", TY_BOOL}},
     2, {{1, {0}, true}, {1, {1}, true}}},
    {13, "st_view_param", false, -1, -1, 4,
     {{"view_id", TY_U32}, {"param_pos", TY_U16}, {"param_name", TY_STR},
      {"param_type", TY_BYTES}},
     1, {{2, {0, 1}, true}}},
    {14, "st_view_column", false, -1, -1, 4,
     {{"view_id", TY_U32}, {"col_pos", TY_U16}, {"col_name", TY_STR}, {"col_type", TY_BYTES}},
     1, {{2, {0, 1}, true}}},
    {15, "st_view_sub", false, -1, -1, 6,
     {{"view_id", TY_U32}, {"arg_id", TY_U64}, {"identity", TY_IDENTITY},
      {"num_subscribers", TY_U64}, {"has_subscribers", TY_BOOL},
      {"last_called", TY_TIMESTAMP}},
     3, {{1, {2}, false}, {1, {4}, false}, {3, {0, 1, 2}, false}}},
    {16, "st_view_arg", false, 0, 0, 2, {{"id", TY_U64}, {"bytes", TY_BYTES}}, 2,
     {{1, {0}, true}, {1, {1}, true}}},
    {17, "st_event_table", false, 0, -1, 1, {{"table_id", TY_U32}}, 1, {{1, {0}, true}}},
    {18, "st_table_accessor", false, -1, -1, 2,
     {{"table_name", TY_STR}, {"accessor_name", TY_STR}}, 2,
     {{1, {0}, true}, {1, {1}, true}}},
    {19, "st_index_accessor", false, -1, -1, 2,
     {{"index_name", TY_STR}, {"accessor_name", TY_STR}}, 2,
     {{1, {0}, true}, {1, {1}, true}}},
    {20, "st_column_accessor", false, -1, -1, 3,
     {{"table_name", TY_STR}, {"col_name", TY_STR}, {"accessor_name", TY_STR}}, 2,
     {{2, {0, 1}, true}, {2, {0, 2}, true}}},
};

static const lc_type *ty_unit_sum(lc_typespace *ts, const char *a, const char *b)
{
    const lc_type *unit = lc_type_product(ts, 0, NULL);
    if (!unit) return NULL;
    lc_type_elem v[2] = {{a, unit}, {b, unit}};
    return lc_type_sum(ts, 2, v);
}

static const lc_type *ty_cols_product(lc_typespace *ts, const char *name, const lc_type *t)
{
    lc_type_elem e = {name, t};
    return t ? lc_type_product(ts, 1, &e) : NULL;
}

static const lc_type *sys_type_sum(lc_typespace *ts, u8 code)
{
    const lc_type *collist = lc_type_array(ts, lc_type_prim(LC_T_U16));
    if (code == TY_INDEX_ALGO) {
        lc_type_elem v[4] = {{"Unused", lc_type_prim(LC_T_U128)},
                             {"BTree", ty_cols_product(ts, "columns", collist)},
                             {"Direct", ty_cols_product(ts, "column", lc_type_prim(LC_T_U16))},
                             {"Hash", ty_cols_product(ts, "columns", collist)}};
        for (int i = 0; i < 4; i++)
            if (!v[i].type) return NULL;
        return lc_type_sum(ts, 4, v);
    }
    if (code == TY_CONSTRAINT_DATA) {
        lc_type_elem v[2] = {{"Unused", lc_type_prim(LC_T_U128)},
                             {"Unique", ty_cols_product(ts, "columns", collist)}};
        return v[1].type ? lc_type_sum(ts, 2, v) : NULL;
    }
    /* TY_VAR_VALUE: StVarValue */
    static const struct { const char *n; u8 k; } vv[] = {
        {"Bool", LC_T_BOOL}, {"I8", LC_T_I8},     {"U8", LC_T_U8},     {"I16", LC_T_I16},
        {"U16", LC_T_U16},   {"I32", LC_T_I32},   {"U32", LC_T_U32},   {"I64", LC_T_I64},
        {"U64", LC_T_U64},   {"I128", LC_T_I128}, {"U128", LC_T_U128}, {"F32", LC_T_F32},
        {"F64", LC_T_F64},   {"String", LC_T_STRING}};
    lc_type_elem v[14];
    for (int i = 0; i < 14; i++) v[i] = (lc_type_elem){vv[i].n, lc_type_prim(vv[i].k)};
    return lc_type_sum(ts, 14, v);
}

static const lc_type *sys_type(lc_typespace *ts, u8 code)
{
    switch (code) {
    case TY_U8: return lc_type_prim(LC_T_U8);
    case TY_U16: return lc_type_prim(LC_T_U16);
    case TY_U32: return lc_type_prim(LC_T_U32);
    case TY_U64: return lc_type_prim(LC_T_U64);
    case TY_I64: return lc_type_prim(LC_T_I64);
    case TY_I128: return lc_type_prim(LC_T_I128);
    case TY_U128: return lc_type_prim(LC_T_U128);
    case TY_U256: return lc_type_prim(LC_T_U256);
    case TY_BOOL: return lc_type_prim(LC_T_BOOL);
    case TY_STR: return lc_type_prim(LC_T_STRING);
    case TY_BYTES: return lc_type_array(ts, lc_type_prim(LC_T_U8));
    case TY_COLLIST: return lc_type_array(ts, lc_type_prim(LC_T_U16));
    case TY_OPT_COLLIST: return lc_type_option(ts, lc_type_array(ts, lc_type_prim(LC_T_U16)));
    case TY_OPT_U32: return lc_type_option(ts, lc_type_prim(LC_T_U32));
    case TY_TABLE_TYPE: return ty_unit_sum(ts, "System", "User");
    case TY_TABLE_ACCESS: return ty_unit_sum(ts, "Public", "Private");
    case TY_IDENTITY: return lc_type_special_get(ts, LC_TS_IDENTITY);
    case TY_CONN_ID: return lc_type_special_get(ts, LC_TS_CONNECTION_ID);
    case TY_TIMESTAMP: return lc_type_special_get(ts, LC_TS_TIMESTAMP);
    case TY_HASH: return ty_cols_product(ts, "__hash__", lc_type_prim(LC_T_U256));
    default: return sys_type_sum(ts, code);
    }
}

/* ---- st_* row encoders ---- */

static void put_cstr(lc_buf *b, const char *s) { lc_buf_put_str(b, s, (u32)strlen(s)); }
static void put_i128(lc_buf *b, i128 v) { lc_buf_put(b, &v, 16); }
static void put_collist(lc_buf *b, u32 n, const u16 *cols)
{
    lc_buf_put_u32(b, n);
    for (u32 i = 0; i < n; i++) lc_buf_put_u16(b, cols[i]);
}

static void row_st_table(lc_buf *b, u32 id, const char *name, bool is_system, bool is_public,
                         i32 pk)
{
    lc_buf_put_u32(b, id);
    put_cstr(b, name);
    lc_buf_put_u8(b, is_system ? 0 : 1);
    lc_buf_put_u8(b, is_public ? 0 : 1);
    if (pk >= 0) {
        u16 c = (u16)pk;
        lc_buf_put_u8(b, 0);
        put_collist(b, 1, &c);
    } else {
        lc_buf_put_u8(b, 1);
    }
}

static void row_st_column(lc_buf *b, u32 table_id, u16 pos, const char *name, const lc_type *t)
{
    lc_buf_put_u32(b, table_id);
    lc_buf_put_u16(b, pos);
    put_cstr(b, name);
    size_t at = b->len;
    lc_buf_put_u32(b, 0);
    lc_type_encode(b, t);
    if (!b->err) lc_store_u32(b->data + at, (u32)(b->len - at - 4));
}

static void row_st_index(lc_buf *b, u32 id, u32 table_id, const char *name, u8 algo, u16 n,
                         const u16 *cols)
{
    lc_buf_put_u32(b, id);
    lc_buf_put_u32(b, table_id);
    put_cstr(b, name);
    lc_buf_put_u8(b, algo);
    if (algo == STORE_INDEX_DIRECT) lc_buf_put_u16(b, cols[0]);
    else put_collist(b, n, cols);
}

static void row_st_constraint(lc_buf *b, u32 id, const char *name, u32 table_id, u16 n,
                              const u16 *cols)
{
    lc_buf_put_u32(b, id);
    put_cstr(b, name);
    lc_buf_put_u32(b, table_id);
    lc_buf_put_u8(b, 1);
    put_collist(b, n, cols);
}

static void row_st_sequence(lc_buf *b, const store_seq *q, const char *name)
{
    lc_buf_put_u32(b, q->id);
    put_cstr(b, name);
    lc_buf_put_u32(b, q->t->id);
    lc_buf_put_u16(b, q->col_pos);
    put_i128(b, q->increment);
    put_i128(b, q->start);
    put_i128(b, q->min_value);
    put_i128(b, q->max_value);
    put_i128(b, q->allocated);
}

/* "{table}_{c1}_{c2}..{suffix}" into out (truncated at cap). */
static void gen_name(char *out, size_t cap, const store_table *t, u16 n, const u16 *cols,
                     const char *suffix)
{
    size_t k = (size_t)snprintf(out, cap, "%s", t->name);
    for (u16 i = 0; i < n && k < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "_%s", t->cols[cols[i]].name);
    if (k < cap) snprintf(out + k, cap - k, "%s", suffix);
}

static const char *algo_suffix(u8 algo)
{
    return algo == STORE_INDEX_HASH ? "_idx_hash" : algo == STORE_INDEX_DIRECT ? "_idx_direct"
                                                                               : "_idx_btree";
}

/* ---- attaching objects ---- */

static int table_attach_index(store *s, store_table *t, store_index *ix)
{
    store_index **v = lc_realloc(t->ixs, (t->ix_count + 1) * sizeof *v);
    if (!v) return LC_ENOMEM;
    t->ixs = v;
    int rc = store_idmap_put(&s->indexes, ix->id, ix);
    if (rc) return rc;
    t->ixs[t->ix_count++] = ix;
    /* The row set stops being maintained but keeps its memory, so that detaching this
     * index again (rollback) can rebuild it without allocating. */
    if (ix->is_unique) t->unique_ix_count++;
    return 0;
}

static void table_detach_index(store *s, store_table *t, store_index *ix)
{
    for (u32 i = 0; i < t->ix_count; i++) {
        if (t->ixs[i] != ix) continue;
        memmove(t->ixs + i, t->ixs + i + 1, (t->ix_count - i - 1) * sizeof *t->ixs);
        t->ix_count--;
        break;
    }
    store_idmap_del(&s->indexes, ix->id);
    if (ix->is_unique && --t->unique_ix_count == 0) {
        int rc = table_rowset_rebuild(t);
        LC_ASSERT(rc == 0);
    }
    index_destroy(ix);
}

static int table_attach_seq(store *s, store_table *t, store_seq *q)
{
    store_seq **v = lc_realloc(t->seqs, (t->seq_count + 1) * sizeof *v);
    if (!v) return LC_ENOMEM;
    t->seqs = v;
    int rc = store_idmap_put(&s->seqs, q->id, q);
    if (rc) return rc;
    t->seqs[t->seq_count++] = q;
    return 0;
}

static void table_detach_seq(store *s, store_table *t, store_seq *q)
{
    for (u32 i = 0; i < t->seq_count; i++) {
        if (t->seqs[i] != q) continue;
        memmove(t->seqs + i, t->seqs + i + 1, (t->seq_count - i - 1) * sizeof *t->seqs);
        t->seq_count--;
        break;
    }
    store_idmap_del(&s->seqs, q->id);
    lc_free(q);
}

/* Builds ix from the table's live rows; LC_EUNIQUE if a unique index meets duplicates. */
static int index_build(store_index *ix)
{
    store_table *t = ix->t;
    for (u32 rid = 0; rid < t->slot_hw; rid++) {
        if (!table_is_live(t, rid)) continue;
        if (ix->is_unique && ix->count) {
            u32 len;
            const u8 *row = table_row(t, rid, &len);
            if (index_find_row_key(ix, row, rid) != UINT32_MAX) return LC_EUNIQUE;
        }
        int rc = index_insert(ix, rid);
        if (rc) return rc;
    }
    return 0;
}

/* ---- bootstrap ---- */

static int sys_table_build(store *s, const sys_table *d, store_table **out_t)
{
    store_table *t;
    int rc = table_create(d->id, d->name, &t);
    if (rc) return rc;
    const char *names[9];
    const lc_type *types[9];
    for (u32 i = 0; i < d->col_count; i++) {
        names[i] = d->cols[i].name;
        types[i] = sys_type(&t->ts, d->cols[i].ty);
        if (!types[i]) rc = LC_ENOMEM;
    }
    if (!rc) rc = table_set_columns(t, d->col_count, names, types);
    if (!rc) rc = store_idmap_put(&s->tables, t->id, t);
    if (rc) {
        table_destroy(t);
        return rc;
    }
    t->is_system = true;
    t->is_public = !d->is_private;
    t->pk_col = d->pk;
    *out_t = t;
    return 0;
}

static int sys_objects_build(store *s, const sys_table *d, store_table *t, u32 *ix_id,
                             u32 *seq_id)
{
    for (u32 i = 0; i < d->ix_count; i++) {
        u16 cols[3] = {d->ixs[i].cols[0], d->ixs[i].cols[1], d->ixs[i].cols[2]};
        char name[256];
        gen_name(name, sizeof name, t, d->ixs[i].n, cols, "_idx_btree");
        store_index *ix;
        int rc = index_create(t, ++*ix_id, name, STORE_INDEX_BTREE, d->ixs[i].is_unique,
                              d->ixs[i].n, cols, &ix);
        if (!rc) rc = table_attach_index(s, t, ix);
        if (rc) return rc;
    }
    if (d->autoinc >= 0) {
        store_seq *q = lc_calloc(1, sizeof *q);
        if (!q) return LC_ENOMEM;
        *q = (store_seq){.id = ++*seq_id, .t = t, .col_pos = (u16)d->autoinc, .increment = 1,
                         .start = STORE_USER_TABLE_ID_MIN, .min_value = 1,
                         .max_value = I128_MAX, .value = STORE_USER_TABLE_ID_MIN,
                         .allocated = STORE_USER_TABLE_ID_MIN, .is_alive = true};
        int rc = table_attach_seq(s, t, q);
        if (rc) {
            lc_free(q);
            return rc;
        }
    }
    return 0;
}

static int insert_built(store *s, u32 table_id, lc_buf *b)
{
    if (b->err) return b->err;
    int rc = txn_insert_raw(s, store_table_get(s, table_id), b->data, (u32)b->len, NULL);
    lc_buf_reset(b);
    return rc;
}

/* Writes the st_* rows describing table t (system bootstrap: every id is already known). */
static int sys_rows_write(store *s, store_table *t, lc_buf *b, u32 *con_id)
{
    row_st_table(b, t->id, t->name, true, t->is_public, t->pk_col);
    int rc = insert_built(s, STORE_ST_TABLE, b);
    for (u32 i = 0; !rc && i < t->col_count; i++) {
        row_st_column(b, t->id, (u16)i, t->cols[i].name, t->cols[i].type);
        rc = insert_built(s, STORE_ST_COLUMN, b);
    }
    for (u32 i = 0; !rc && i < t->ix_count; i++) {
        const store_index *ix = t->ixs[i];
        row_st_index(b, ix->id, t->id, ix->name, ix->algo, ix->col_count, ix->cols);
        rc = insert_built(s, STORE_ST_INDEX, b);
        if (rc || !ix->is_unique) continue;
        char name[256];
        gen_name(name, sizeof name, t, ix->col_count, ix->cols, "_key");
        row_st_constraint(b, ++*con_id, name, t->id, ix->col_count, ix->cols);
        rc = insert_built(s, STORE_ST_CONSTRAINT, b);
    }
    for (u32 i = 0; !rc && i < t->seq_count; i++) {
        char name[256];
        gen_name(name, sizeof name, t, 1, &t->seqs[i]->col_pos, "_seq");
        row_st_sequence(b, t->seqs[i], name);
        rc = insert_built(s, STORE_ST_SEQUENCE, b);
    }
    return rc;
}

int catalog_bootstrap(store *s)
{
    u32 ix_id = 0, seq_id = 0, con_id = 0;
    int rc = 0;
    for (u32 i = 0; !rc && i < LC_ARRAY_LEN(SYS); i++) {
        store_table *t;
        rc = sys_table_build(s, &SYS[i], &t);
        if (!rc) rc = sys_objects_build(s, &SYS[i], t, &ix_id, &seq_id);
    }
    lc_buf b;
    lc_buf_init(&b);
    for (u32 i = 0; !rc && i < LC_ARRAY_LEN(SYS); i++)
        rc = sys_rows_write(s, store_table_get(s, SYS[i].id), &b, &con_id);
    lc_buf_deinit(&b);
    txn_commit_finish(s); /* bootstrap is not a logged transaction */
    return rc;
}

void catalog_destroy_all(store *s)
{
    for (u32 i = 0; i < s->seqs.cap; i++)
        if (s->seqs.keys[i]) lc_free(s->seqs.vals[i]);
    for (u32 i = 0; i < s->tables.cap; i++)
        if (s->tables.keys[i]) table_destroy(s->tables.vals[i]);
}

/* ---- sequences ---- */

static store_index *pk_index(store *s, u32 table_id)
{
    store_table *t = store_table_get(s, table_id);
    return t->ixs[0]; /* system tables with a sequence have their id index first */
}

/* Rewrites the st_sequence row of q with its current `allocated`. */
static int seq_row_write(store *s, store_seq *q)
{
    store_index *ix = pk_index(s, STORE_ST_SEQUENCE);
    store_table *st = ix->t;
    u32 rid = index_int_find(ix, q->id, true);
    if (rid == UINT32_MAX) return LC_ECORRUPT;
    u32 len;
    const u8 *old = table_row(st, rid, &len);
    u8 *row = lc_memdup(old, len);
    if (!row) return LC_ENOMEM;
    memcpy(row + len - 16, &q->allocated, 16); /* allocated is the last column */
    int rc = txn_delete_rid(s, st, rid);
    if (!rc) rc = txn_insert_raw(s, st, row, len, NULL);
    lc_free(row);
    return rc;
}

int catalog_seq_restore(store *s, store_seq *q, i128 value, i128 allocated)
{
    i128 old = q->allocated;
    q->allocated = allocated;
    int rc = seq_row_write(s, q);
    if (rc) {
        q->allocated = old;
        return rc;
    }
    q->value = value;
    return 0;
}

int catalog_seq_next(store *s, store_seq *q, i128 *out_value)
{
    i128 inc = q->increment;
    bool is_out = inc > 0 ? q->value >= q->allocated : q->value <= q->allocated;
    if (is_out) {
        i128 old = q->allocated, span = inc * STORE_SEQUENCE_STEP;
        if (inc > 0) q->allocated = q->value > q->max_value - span ? q->max_value : q->value + span;
        else q->allocated = q->value < q->min_value - span ? q->min_value : q->value + span;
        int rc = seq_row_write(s, q);
        if (rc) {
            q->allocated = old;
            return rc;
        }
    }
    *out_value = q->value;
    if (inc > 0) q->value = q->value > q->max_value - inc ? q->min_value : q->value + inc;
    else q->value = q->value < q->min_value - inc ? q->max_value : q->value + inc;
    return 0;
}

/* ---- st_* row parsing (rows were validated at their table's type when inserted) ---- */

typedef struct st_str {
    const char *p;
    u32 n;
} st_str;

static st_str rd_str(lc_rd *r)
{
    st_str s;
    s.n = lc_rd_u32(r);
    s.p = (const char *)lc_rd_take(r, s.n);
    return s;
}

static u16 rd_collist(lc_rd *r, u16 *cols, u16 cap)
{
    u32 n = lc_rd_u32(r);
    if (n > cap) {
        r->err = LC_ELIMIT;
        return 0;
    }
    for (u32 i = 0; i < n; i++) cols[i] = lc_rd_u16(r);
    return (u16)n;
}

static i128 rd_i128(lc_rd *r)
{
    i128 v = 0;
    const u8 *p = lc_rd_take(r, 16);
    if (p) memcpy(&v, p, 16);
    return v;
}

typedef struct st_index_row {
    u32 id, table_id;
    st_str name;
    u8 algo;
    u16 n;
    u16 cols[LC_INDEX_COLS_MAX];
} st_index_row;

static int parse_st_index(const u8 *row, u32 len, st_index_row *o)
{
    lc_rd r;
    lc_rd_init(&r, row, len);
    o->id = lc_rd_u32(&r);
    o->table_id = lc_rd_u32(&r);
    o->name = rd_str(&r);
    o->algo = lc_rd_u8(&r);
    if (o->algo == STORE_INDEX_DIRECT) {
        o->n = 1;
        o->cols[0] = lc_rd_u16(&r);
    } else {
        o->n = rd_collist(&r, o->cols, LC_INDEX_COLS_MAX);
    }
    return r.err ? LC_ECORRUPT : 0;
}

/* Is there a Unique constraint row on exactly the column set cols[0..n) of table_id? */
static bool has_unique_constraint(store *s, u32 table_id, u16 n, const u16 *cols)
{
    store_table *ct = store_table_get(s, STORE_ST_CONSTRAINT);
    for (u32 rid = 0; rid < ct->slot_hw; rid++) {
        if (!table_is_live(ct, rid)) continue;
        u32 len;
        lc_rd r;
        const u8 *rowp = table_row(ct, rid, &len);
        lc_rd_init(&r, rowp, len);
        lc_rd_u32(&r);
        rd_str(&r);
        if (lc_rd_u32(&r) != table_id || lc_rd_u8(&r) != 1) continue;
        u16 cc[LC_INDEX_COLS_MAX];
        u16 m = rd_collist(&r, cc, LC_INDEX_COLS_MAX);
        if (r.err || m != n) continue;
        bool is_same = true;
        for (u16 i = 0; i < n && is_same; i++) {
            bool found = false;
            for (u16 j = 0; j < m; j++) found |= cc[j] == cols[i];
            is_same = found;
        }
        if (is_same) return true;
    }
    return false;
}

/* ---- reconcile ---- */

static bool type_has_ref(const lc_type *t)
{
    if (t->kind == LC_T_REF) return true;
    if (t->kind == LC_T_ARRAY) return type_has_ref(t->array_elem);
    if (t->kind == LC_T_PRODUCT || t->kind == LC_T_SUM)
        for (u32 i = 0; i < t->elem_count; i++)
            if (type_has_ref(t->elems[i].type)) return true;
    return false;
}

/* Decodes the st_column rows of table t (pos 0..n-1) into t's columns. */
static int user_table_columns(store *s, store_table *t, lc_errbuf *eb)
{
    store_table *ct = store_table_get(s, STORE_ST_COLUMN);
    u32 n = 0;
    char **names = lc_calloc(LC_TABLE_COLS_MAX, sizeof *names);
    const lc_type **types = lc_calloc(LC_TABLE_COLS_MAX, sizeof *types);
    int rc = names && types ? 0 : LC_ENOMEM;
    for (u32 rid = 0; !rc && rid < ct->slot_hw; rid++) {
        if (!table_is_live(ct, rid)) continue;
        u32 len;
        lc_rd r;
        const u8 *rowp = table_row(ct, rid, &len);
        lc_rd_init(&r, rowp, len);
        if (lc_rd_u32(&r) != t->id) continue;
        u16 pos = lc_rd_u16(&r);
        st_str nm = rd_str(&r);
        u32 tlen = lc_rd_u32(&r);
        lc_rd tr;
        lc_rd_init(&tr, lc_rd_take(&r, tlen), tlen);
        if (r.err || pos >= LC_TABLE_COLS_MAX || names[pos]) {
            rc = lc_errf(eb, LC_ECORRUPT, "bad st_column row for table %u", t->id);
            break;
        }
        names[pos] = lc_strndup(nm.p, nm.n);
        if (!names[pos]) rc = LC_ENOMEM;
        if (!rc) rc = lc_type_decode(&t->ts, &tr, &types[pos], eb);
        if (!rc && (lc_rd_left(&tr) || type_has_ref(types[pos])))
            rc = lc_errf(eb, LC_ECORRUPT, "bad column type in table %u", t->id);
        if (pos + 1u > n) n = pos + 1u;
    }
    for (u32 i = 0; !rc && i < n; i++)
        if (!names[i]) rc = lc_errf(eb, LC_ECORRUPT, "table %u misses column %u", t->id, i);
    if (!rc) rc = table_set_columns(t, n, (const char *const *)names, types);
    for (u32 i = 0; names && i < n; i++) lc_free(names[i]);
    lc_free(names);
    lc_free(types);
    return rc;
}

static store_table *catalog_zombie_adopt(store *s, u32 id, int *rc);

static int reconcile_tables(store *s, lc_errbuf *eb)
{
    store_table *st = store_table_get(s, STORE_ST_TABLE);
    for (u32 rid = 0; rid < st->slot_hw; rid++) {
        if (!table_is_live(st, rid)) continue;
        u32 len;
        lc_rd r;
        const u8 *rowp = table_row(st, rid, &len);
        lc_rd_init(&r, rowp, len);
        u32 id = lc_rd_u32(&r);
        st_str nm = rd_str(&r);
        lc_rd_u8(&r);
        bool is_public = lc_rd_u8(&r) == 0;
        u16 pk[LC_INDEX_COLS_MAX];
        i32 pk_col = -1;
        if (lc_rd_u8(&r) == 0 && rd_collist(&r, pk, LC_INDEX_COLS_MAX) >= 1) pk_col = pk[0];
        if (r.err) return lc_errf(eb, LC_ECORRUPT, "bad st_table row");
        if (id < STORE_USER_TABLE_ID_MIN) continue;
        store_table *t = store_table_get(s, id);
        int zrc = 0;
        if (!t) t = catalog_zombie_adopt(s, id, &zrc);
        if (zrc) return zrc;
        if (!t && s->tables.n >= LC_TABLES_MAX)
            return lc_errf(eb, LC_ELIMIT, "more than %u tables", (unsigned)LC_TABLES_MAX);
        if (!t) {
            char *name = lc_strndup(nm.p, nm.n);
            int rc = name ? table_create(id, name, &t) : LC_ENOMEM;
            lc_free(name);
            if (rc) return rc;
            rc = user_table_columns(s, t, eb);
            if (!rc) rc = store_idmap_put(&s->tables, id, t);
            if (rc) {
                table_destroy(t);
                return rc;
            }
        }
        t->is_alive = true;
        t->is_public = is_public;
        t->pk_col = pk_col < (i32)t->col_count ? pk_col : -1;
    }
    return 0;
}

static int reconcile_index_create(store *s, const st_index_row *o, lc_errbuf *eb)
{
    store_table *t = store_table_get(s, o->table_id);
    if (!t || !o->n || o->algo < 1 || o->algo > 3)
        return lc_errf(eb, LC_ECORRUPT, "st_index %u: bad table or algorithm", o->id);
    for (u16 i = 0; i < o->n; i++)
        if (o->cols[i] >= t->col_count)
            return lc_errf(eb, LC_ECORRUPT, "st_index %u: bad column", o->id);
    char *name = lc_strndup(o->name.p, o->name.n);
    if (!name) return LC_ENOMEM;
    bool is_unique = has_unique_constraint(s, o->table_id, o->n, o->cols);
    store_index *ix;
    int rc = index_create(t, o->id, name, o->algo, is_unique, o->n, o->cols, &ix);
    lc_free(name);
    if (rc) return rc;
    rc = index_build(ix);
    if (!rc) rc = table_attach_index(s, t, ix);
    if (rc) {
        index_destroy(ix);
        if (rc == LC_EUNIQUE) lc_errf(eb, rc, "unique index %s: duplicate keys", t->name);
    }
    return rc;
}

static int reconcile_indexes(store *s, lc_errbuf *eb)
{
    store_table *st = store_table_get(s, STORE_ST_INDEX);
    st_index_row o;
    for (u32 rid = 0; rid < st->slot_hw; rid++) {
        if (!table_is_live(st, rid)) continue;
        u32 len;
        const u8 *row = table_row(st, rid, &len);
        if (parse_st_index(row, len, &o)) return lc_errf(eb, LC_ECORRUPT, "bad st_index row");
        if (o.table_id < STORE_USER_TABLE_ID_MIN) continue;
        store_index *ix = store_idmap_get(&s->indexes, o.id);
        /* Uniqueness is fixed when an index is built; a replayed record can insert an index
         * row before deleting the constraint row that made it unique (or the reverse), so an
         * index whose constraint changed since is built again. */
        if (ix && ix->is_unique != has_unique_constraint(s, o.table_id, o.n, o.cols)) {
            table_detach_index(s, ix->t, ix);
            ix = NULL;
        }
        if (ix) {
            ix->is_alive = true;
            continue;
        }
        int rc = reconcile_index_create(s, &o, eb);
        if (rc) return rc;
    }
    return 0;
}

static int reconcile_seq_row(store *s, const u8 *row, u32 len, lc_errbuf *eb)
{
    lc_rd r;
    lc_rd_init(&r, row, len);
    u32 id = lc_rd_u32(&r);
    rd_str(&r);
    u32 table_id = lc_rd_u32(&r);
    u16 col = lc_rd_u16(&r);
    i128 v[5];
    for (int i = 0; i < 5; i++) v[i] = rd_i128(&r);
    if (r.err) return lc_errf(eb, LC_ECORRUPT, "bad st_sequence row");
    i128 allocated = v[4] ? v[4] : v[1]; /* legacy rows with allocated 0 use start */
    store_seq *q = store_idmap_get(&s->seqs, id);
    if (q) {
        q->is_alive = true;
        q->allocated = allocated;
        if (s->is_replaying) q->value = allocated;
        return 0;
    }
    store_table *t = store_table_get(s, table_id);
    if (!t || col >= t->col_count || !lc_type_is_int(t->cols[col].type) || v[0] == 0)
        return lc_errf(eb, LC_ECORRUPT, "st_sequence %u: bad table, column or increment", id);
    q = lc_calloc(1, sizeof *q);
    if (!q) return LC_ENOMEM;
    *q = (store_seq){.id = id, .t = t, .col_pos = col, .increment = v[0], .start = v[1],
                     .min_value = v[2], .max_value = v[3], .value = allocated,
                     .allocated = allocated, .is_alive = true};
    int rc = table_attach_seq(s, t, q);
    if (rc) lc_free(q);
    return rc;
}

static int reconcile_seqs(store *s, lc_errbuf *eb)
{
    store_table *st = store_table_get(s, STORE_ST_SEQUENCE);
    for (u32 rid = 0; rid < st->slot_hw; rid++) {
        if (!table_is_live(st, rid)) continue;
        u32 len;
        const u8 *row = table_row(st, rid, &len);
        int rc = reconcile_seq_row(s, row, len, eb);
        if (rc) return rc;
    }
    return 0;
}

static void mark_user_objects(store *s)
{
    for (u32 i = 0; i < s->tables.cap; i++) {
        store_table *t = s->tables.keys[i] ? s->tables.vals[i] : NULL;
        if (!t || t->is_system) continue;
        t->is_alive = false;
        for (u32 j = 0; j < t->ix_count; j++) t->ixs[j]->is_alive = false;
        for (u32 j = 0; j < t->seq_count; j++) t->seqs[j]->is_alive = false;
    }
}

/* A user table dropped by a live transaction after it changed rows in it: the undo log still
 * points at it, so it leaves the catalog (no id, name or index lookup finds it) but lives on
 * as a zombie until the transaction ends, with its indexes and sequences (so a rollback loses
 * no sequence values). A rollback re-adopts it (catalog_zombie_adopt);
 * commit and abort destroy whatever is left (catalog_zombies_destroy). Room in s->zombies is
 * reserved by catalog_reconcile before the sweep, so this cannot fail. */
static void table_zombify(store *s, store_table *t)
{
    LC_ASSERT(s->zombie_count < s->zombie_cap);
    s->zombies[s->zombie_count++] = t;
}

/* Destroys user objects whose st_* rows are gone. While s->keep_dead_tables is set (replay,
 * between a record's inserts and its deletes) dropped tables are left untouched: the record's
 * deletes and truncates still name them, and the final reconcile sweeps them. */
static void sweep_user_objects(store *s)
{
    for (u32 i = 0; i < s->tables.cap; i++) {
        store_table *t = s->tables.keys[i] ? s->tables.vals[i] : NULL;
        if (!t || t->is_system || (!t->is_alive && s->keep_dead_tables)) continue;
        bool is_zombie = !t->is_alive && t->tx_mark && !s->is_replaying;
        for (u32 j = t->seq_count; j-- > 0;) {
            if (is_zombie) store_idmap_del(&s->seqs, t->seqs[j]->id); /* kept for rollback */
            else if (!t->seqs[j]->is_alive || !t->is_alive) table_detach_seq(s, t, t->seqs[j]);
        }
        if (!t->is_alive) { /* table_destroy frees its indexes; no row set to rebuild */
            for (u32 j = 0; j < t->ix_count; j++) store_idmap_del(&s->indexes, t->ixs[j]->id);
            continue;
        }
        for (u32 j = t->ix_count; j-- > 0;)
            if (!t->ixs[j]->is_alive) table_detach_index(s, t, t->ixs[j]);
    }
    for (u32 i = 0; i < s->tables.cap;) {
        store_table *t = s->tables.keys[i] ? s->tables.vals[i] : NULL;
        if (!t || t->is_system || t->is_alive || s->keep_dead_tables) {
            i++;
            continue;
        }
        if (t->tx_mark && !s->is_replaying) {
            store_idmap_del(&s->tables, t->id);
            table_zombify(s, t);
            i = 0;
            continue;
        }
        if (t->tx_mark) { /* dropped by a replayed record that also deleted its rows */
            for (u32 k = 0; k < s->touched_count; k++)
                if (s->touched[k] == t) s->touched[k] = s->touched[--s->touched_count];
            for (u32 k = s->undo_count; k-- > 0;)
                if (s->undo[k].t == t) s->undo[k] = s->undo[--s->undo_count];
        }
        store_idmap_del(&s->tables, t->id); /* backward shift moves entries: rescan */
        table_destroy(t);
        i = 0;
    }
}

/* Room for every touched user table to become a zombie (see table_zombify). */
static int zombies_reserve(store *s)
{
    u32 need = s->zombie_count + s->touched_count;
    if (need <= s->zombie_cap) return 0;
    store_table **z = lc_realloc(s->zombies, (size_t)need * sizeof *z);
    if (!z) return LC_ENOMEM;
    s->zombies = z;
    s->zombie_cap = need;
    return 0;
}

/* A zombie with this id comes back (its st_table row is live again after a rollback), with
 * its indexes; reconcile_seqs recreates its sequences from their rows. NULL if none. */
static store_table *catalog_zombie_adopt(store *s, u32 id, int *rc)
{
    for (u32 k = 0; k < s->zombie_count; k++) {
        store_table *t = s->zombies[k];
        if (t->id != id) continue;
        *rc = store_idmap_put(&s->tables, id, t);
        for (u32 j = 0; !*rc && j < t->ix_count; j++)
            *rc = store_idmap_put(&s->indexes, t->ixs[j]->id, t->ixs[j]);
        for (u32 j = 0; !*rc && j < t->seq_count; j++)
            *rc = store_idmap_put(&s->seqs, t->seqs[j]->id, t->seqs[j]);
        if (*rc) return NULL;
        s->zombies[k] = s->zombies[--s->zombie_count];
        return t;
    }
    return NULL;
}

void catalog_zombies_destroy(store *s)
{
    for (u32 k = 0; k < s->zombie_count; k++) {
        store_table *t = s->zombies[k];
        for (u32 j = 0; j < t->seq_count; j++) lc_free(t->seqs[j]);
        table_destroy(t);
    }
    s->zombie_count = 0;
}

int catalog_reconcile(store *s, lc_errbuf *eb)
{
    if (zombies_reserve(s)) return lc_errf(eb, LC_ENOMEM, "out of memory");
    mark_user_objects(s);
    int rc = reconcile_tables(s, eb);
    if (!rc) rc = reconcile_indexes(s, eb);
    if (!rc) rc = reconcile_seqs(s, eb);
    if (rc) return rc;
    sweep_user_objects(s);
    return 0;
}

/* ---- DDL ---- */

static int st_insert(store_txn *txn, u32 table_id, lc_buf *b, u32 *out_id)
{
    if (b->err) return b->err;
    lc_buf gen;
    lc_buf_init(&gen);
    int rc = store_insert(txn, table_id, b->data, b->len, &gen, NULL);
    if (!rc && out_id) *out_id = gen.len >= 4 ? lc_load_u32(gen.data) : 0;
    lc_buf_deinit(&gen);
    lc_buf_reset(b);
    return rc;
}

static int def_check(const store_table_def *d, lc_errbuf *eb)
{
    if (!d->name || !d->name[0]) return lc_errf(eb, LC_EINVAL, "table needs a name");
    if (d->col_count > LC_TABLE_COLS_MAX) return lc_errf(eb, LC_ELIMIT, "too many columns");
    for (u32 i = 0; i < d->col_count; i++)
        if (!d->cols[i].name || !d->cols[i].type || type_has_ref(d->cols[i].type))
            return lc_errf(eb, LC_EINVAL, "column %u needs a name and a ref-free type", i);
    if (d->pk_col >= (i32)d->col_count) return lc_errf(eb, LC_EINVAL, "bad primary key");
    for (u32 i = 0; i < d->index_count; i++) {
        const store_index_def *x = &d->indexes[i];
        if (!x->col_count || x->col_count > LC_INDEX_COLS_MAX || x->algo < 1 || x->algo > 3)
            return lc_errf(eb, LC_EINVAL, "index %u: bad columns or algorithm", i);
        for (u16 j = 0; j < x->col_count; j++)
            if (x->cols[j] >= d->col_count) return lc_errf(eb, LC_EINVAL, "index %u: column", i);
    }
    for (u32 i = 0; i < d->seq_count; i++) {
        u16 c = d->seqs[i].col_pos;
        if (c >= d->col_count || !lc_type_is_int(d->cols[c].type) ||
            d->cols[c].type->fixed_size > 16)
            return lc_errf(eb, LC_EINVAL, "sequence %u: column must be an integer <= 128 bits",
                           i);
    }
    return 0;
}

/* Writes st_index (+ st_constraint) rows for one index of table t. */
static int index_rows_write(store_txn *txn, store_table *t, const store_index_def *x,
                            lc_buf *b, u32 *out_index_id)
{
    char name[256];
    if (x->name) snprintf(name, sizeof name, "%s", x->name);
    else gen_name(name, sizeof name, t, x->col_count, x->cols, algo_suffix(x->algo));
    row_st_index(b, 0, t->id, name, x->algo, x->col_count, x->cols);
    int rc = st_insert(txn, STORE_ST_INDEX, b, out_index_id);
    if (rc || !x->is_unique) return rc;
    gen_name(name, sizeof name, t, x->col_count, x->cols, "_key");
    row_st_constraint(b, 0, name, t->id, x->col_count, x->cols);
    return st_insert(txn, STORE_ST_CONSTRAINT, b, NULL);
}

/* Names of columns for gen_name before the table object exists. */
static int table_rows_write(store_txn *txn, const store_table_def *d, lc_buf *b, u32 *out_id)
{
    row_st_table(b, 0, d->name, false, d->is_public, d->pk_col);
    int rc = st_insert(txn, STORE_ST_TABLE, b, out_id);
    for (u32 i = 0; !rc && i < d->col_count; i++) {
        row_st_column(b, *out_id, (u16)i, d->cols[i].name, d->cols[i].type);
        rc = st_insert(txn, STORE_ST_COLUMN, b, NULL);
    }
    return rc;
}

static bool def_has_pk_index(const store_table_def *d)
{
    for (u32 i = 0; i < d->index_count; i++)
        if (d->indexes[i].is_unique && d->indexes[i].col_count == 1 &&
            d->indexes[i].cols[0] == (u16)d->pk_col)
            return true;
    return false;
}

static int table_objects_write(store_txn *txn, const store_table_def *d, store_table *t,
                               lc_buf *b)
{
    int rc = 0;
    if (d->pk_col >= 0 && !def_has_pk_index(d)) {
        u16 c = (u16)d->pk_col;
        store_index_def x = {NULL, STORE_INDEX_BTREE, true, 1, &c};
        rc = index_rows_write(txn, t, &x, b, NULL);
    }
    for (u32 i = 0; !rc && i < d->index_count; i++)
        rc = index_rows_write(txn, t, &d->indexes[i], b, NULL);
    for (u32 i = 0; !rc && i < d->seq_count; i++) {
        const store_sequence_def *q = &d->seqs[i];
        bool dflt = !q->increment && !q->start && !q->min_value && !q->max_value;
        store_seq tmp = {.id = 0, .t = t, .col_pos = q->col_pos,
                         .increment = dflt ? 1 : q->increment, .start = dflt ? 1 : q->start,
                         .min_value = dflt ? 1 : q->min_value,
                         .max_value = dflt ? I128_MAX : q->max_value};
        tmp.allocated = tmp.start;
        char name[256];
        gen_name(name, sizeof name, t, 1, &q->col_pos, "_seq");
        row_st_sequence(b, &tmp, name);
        rc = st_insert(txn, STORE_ST_SEQUENCE, b, NULL);
    }
    return rc;
}

int store_table_create(store_txn *txn, const store_table_def *def, u32 *out_table_id,
                       lc_errbuf *eb)
{
    if (txn->is_failed) return LC_ETXFAILED;
    if (!txn->is_write) return LC_ESTATE;
    int rc = def_check(def, eb);
    if (rc) return rc;
    store *s = txn->s;
    u32 mark = s->undo_count, id = 0;
    lc_buf b;
    lc_buf_init(&b);
    rc = table_rows_write(txn, def, &b, &id);
    if (!rc) rc = catalog_reconcile(s, eb); /* creates the table object */
    store_table *t = rc ? NULL : store_table_get(s, id);
    if (!rc && !t) rc = LC_ECORRUPT;
    if (!rc) rc = table_objects_write(txn, def, t, &b);
    if (!rc) rc = catalog_reconcile(s, eb);
    lc_buf_deinit(&b);
    if (rc) {
        if (rc == LC_EUNIQUE) lc_errf(eb, rc, "table %s already exists", def->name);
        txn_rollback_to(s, mark);
        int rc2 = catalog_reconcile(s, NULL);
        if (rc2 || rc == LC_ENOMEM) txn->is_failed = true;
        return rc;
    }
    if (out_table_id) *out_table_id = id;
    return 0;
}

int store_index_create(store_txn *txn, u32 table_id, const store_index_def *def,
                       u32 *out_index_id, lc_errbuf *eb)
{
    if (txn->is_failed) return LC_ETXFAILED;
    if (!txn->is_write) return LC_ESTATE;
    store *s = txn->s;
    store_table *t = store_table_get(s, table_id);
    if (!t || t->is_system) return LC_ENOTFOUND;
    if (!def->col_count || def->col_count > LC_INDEX_COLS_MAX || def->algo < 1 || def->algo > 3)
        return lc_errf(eb, LC_EINVAL, "bad index definition");
    for (u16 j = 0; j < def->col_count; j++)
        if (def->cols[j] >= t->col_count) return lc_errf(eb, LC_EINVAL, "bad index column");
    u32 mark = s->undo_count, id = 0;
    lc_buf b;
    lc_buf_init(&b);
    int rc = index_rows_write(txn, t, def, &b, &id);
    lc_buf_deinit(&b);
    if (!rc) rc = catalog_reconcile(s, eb);
    if (rc) {
        txn_rollback_to(s, mark);
        int rc2 = catalog_reconcile(s, NULL);
        if (rc2 || rc == LC_ENOMEM) txn->is_failed = true;
        return rc;
    }
    if (out_index_id) *out_index_id = id;
    return 0;
}
