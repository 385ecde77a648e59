/*
 * server/dbadmin_schema.c — GET /v1/database/:name/schema?version=9: the module definition
 * as SATS-JSON RawModuleDefV9 (typed: products as objects, sums as {"Variant": payload},
 * Option as {"some": v} / {"none": []}), rendered from the host's normalised host_moddef:
 *   {"typespace":{"types":[AlgebraicType...]},
 *    "tables":[{"name","product_type_ref","primary_key":[cols],"indexes":[...],
 *               "constraints":[...],"sequences":[...],"schedule":Option,
 *               "table_type":{"User":[]},"table_access":{"Public"|"Private":[]}}],
 *    "reducers":[{"name","params":ProductType,"lifecycle":Option<{"Init"|...:[]}>}],
 *    "types":[{"name":{"scope":[],"name":"..."},"ty":ref,"custom_ordering":true}],
 *    "misc_exports":[],"row_level_security":[{"sql":"..."}]}
 * Names are the canonical ones the host uses (what clients call and query). The module's
 * own V10 form is not reproduced: version=10 is refused with 400, as is a missing version.
 */
#include <stdio.h>
#include <string.h>

#include "host/db.h"
#include "server/dbadmin.h"

static void put_s(lc_buf *b, const char *s) { lc_buf_put(b, s, strlen(s)); }

static void put_str(lc_buf *b, const char *s) { lc_json_put_string(b, s, strlen(s)); }

static void put_opt_str(lc_buf *b, const char *s)
{
    if (!s) { put_s(b, "{\"none\":[]}"); return; }
    put_s(b, "{\"some\":");
    put_str(b, s);
    put_s(b, "}");
}

static void put_u(lc_buf *b, u64 v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%llu", (unsigned long long)v);
    lc_buf_put(b, t, (size_t)n);
}

static void put_i128(lc_buf *b, i128 v)
{
    char t[48], *p = t + sizeof t;
    bool neg = v < 0;
    u128 u = neg ? (u128)0 - (u128)v : (u128)v;
    do { *--p = (char)('0' + (int)(u % 10)); u /= 10; } while (u);
    if (neg) *--p = '-';
    lc_buf_put(b, p, (size_t)(t + sizeof t - p));
}

static void put_cols(lc_buf *b, const u16 *cols, u32 n)
{
    put_s(b, "[");
    for (u32 i = 0; i < n; i++) {
        if (i) put_s(b, ",");
        put_u(b, cols[i]);
    }
    put_s(b, "]");
}

static void put_indexes(lc_buf *b, const host_table_def *t)
{
    static const char *algo[] = {"BTree", "BTree", "Direct", "Hash"};
    put_s(b, ",\"indexes\":[");
    for (u32 i = 0; i < t->index_count; i++) {
        const host_index_def *x = &t->indexes[i];
        if (i) put_s(b, ",");
        put_s(b, "{\"name\":");
        put_opt_str(b, x->name);
        put_s(b, ",\"accessor_name\":");
        put_opt_str(b, x->accessor);
        put_s(b, ",\"algorithm\":{\"");
        put_s(b, algo[x->algo <= 3 ? x->algo : 0]);
        put_s(b, "\":");
        if (x->algo == HOST_INDEX_DIRECT && x->col_count) put_u(b, x->cols[0]);
        else put_cols(b, x->cols, x->col_count);
        put_s(b, "}}");
    }
    put_s(b, "],\"constraints\":[");
    for (u32 i = 0; i < t->constraint_count; i++) {
        const host_constraint_def *c = &t->constraints[i];
        if (i) put_s(b, ",");
        put_s(b, "{\"name\":");
        put_opt_str(b, c->name);
        put_s(b, ",\"data\":{\"Unique\":{\"columns\":");
        put_cols(b, c->cols, c->col_count);
        put_s(b, "}}}");
    }
    put_s(b, "]");
}

static void put_sequences(lc_buf *b, const host_table_def *t)
{
    put_s(b, ",\"sequences\":[");
    for (u32 i = 0; i < t->sequence_count; i++) {
        const host_sequence_def *q = &t->sequences[i];
        if (i) put_s(b, ",");
        put_s(b, "{\"name\":");
        put_opt_str(b, q->name);
        put_s(b, ",\"column\":");
        put_u(b, q->col);
        put_s(b, ",\"start\":{\"some\":");
        put_i128(b, q->start);
        put_s(b, "},\"min_value\":{\"some\":");
        put_i128(b, q->min_value);
        put_s(b, "},\"max_value\":{\"some\":");
        put_i128(b, q->max_value);
        put_s(b, "},\"increment\":");
        put_i128(b, q->increment);
        put_s(b, "}");
    }
    put_s(b, "]");
}

static void put_table(lc_buf *b, const host_table_def *t)
{
    put_s(b, "{\"name\":");
    put_str(b, t->name);
    put_s(b, ",\"product_type_ref\":");
    put_u(b, t->type_ref);
    put_s(b, ",\"primary_key\":[");
    if (t->pk_col >= 0) put_u(b, (u64)t->pk_col);
    put_s(b, "]");
    put_indexes(b, t);
    put_sequences(b, t);
    put_s(b, ",\"schedule\":");
    if (t->schedule_function) {
        put_s(b, "{\"some\":{\"name\":");
        put_opt_str(b, t->schedule_name);
        put_s(b, ",\"reducer_name\":");
        put_str(b, t->schedule_function);
        put_s(b, ",\"scheduled_at_column\":");
        put_u(b, t->schedule_at_col);
        put_s(b, "}}");
    } else {
        put_s(b, "{\"none\":[]}");
    }
    put_s(b, ",\"table_type\":{\"User\":[]},\"table_access\":{\"");
    put_s(b, t->is_public ? "Public" : "Private");
    put_s(b, "\":[]}}");
}

static int put_reducers(lc_buf *b, const host_moddef *d)
{
    static const char *lc[] = {NULL, "Init", "OnConnect", "OnDisconnect"};
    put_s(b, "],\"reducers\":[");
    for (u32 i = 0; i < d->reducer_count; i++) {
        const host_reducer_def *r = &d->reducers[i];
        if (i) put_s(b, ",");
        put_s(b, "{\"name\":");
        put_str(b, r->name);
        put_s(b, ",\"params\":");
        int rc = lc_product_type_to_json(r->params, b);
        if (rc) return rc;
        put_s(b, ",\"lifecycle\":");
        if (r->lifecycle && r->lifecycle <= 3) {
            put_s(b, "{\"some\":{\"");
            put_s(b, lc[r->lifecycle]);
            put_s(b, "\":[]}}}");
        } else {
            put_s(b, "{\"none\":[]}}");
        }
    }
    return 0;
}

static int schema_render(const host_moddef *d, lc_buf *b)
{
    put_s(b, "{\"typespace\":{\"types\":[");
    for (u32 i = 0; i < d->typespace.count; i++) {
        if (i) put_s(b, ",");
        int rc = lc_type_to_json(d->typespace.types[i], b);
        if (rc) return rc;
    }
    put_s(b, "]},\"tables\":[");
    for (u32 i = 0; i < d->table_count; i++) {
        if (i) put_s(b, ",");
        put_table(b, &d->tables[i]);
    }
    int rc = put_reducers(b, d);
    if (rc) return rc;
    put_s(b, "],\"types\":[");
    for (u32 i = 0; i < d->type_name_count; i++) {
        if (i) put_s(b, ",");
        put_s(b, "{\"name\":{\"scope\":[],\"name\":");
        put_str(b, d->type_names[i].name);
        put_s(b, "},\"ty\":");
        put_u(b, d->type_names[i].ref);
        put_s(b, ",\"custom_ordering\":true}");
    }
    put_s(b, "],\"misc_exports\":[],\"row_level_security\":[");
    for (u32 i = 0; i < d->rls_count; i++) {
        if (i) put_s(b, ",");
        put_s(b, "{\"sql\":");
        put_str(b, d->rls_sql[i]);
        put_s(b, "}");
    }
    put_s(b, "]}");
    return b->err;
}

void dbadmin_schema(dbjob *j, host_db *db)
{
    if (j->arg != 9) {
        static const char msg[] = "version must be 9 (RawModuleDefV9 is the only form served)";
        net_http_write_response(&j->out, 400, "text/plain; charset=utf-8", msg, strlen(msg),
                                j->keep_alive, NULL, 0);
        return;
    }
    lc_buf b;
    lc_buf_init(&b);
    int rc = schema_render(host_module_def(host_db_module(db)), &b);
    if (rc || b.err)
        net_http_write_response(&j->out, 500, "text/plain", "cannot render the schema", 24,
                                j->keep_alive, NULL, 0);
    else
        net_http_write_response(&j->out, 200, "application/json", b.data, b.len,
                                j->keep_alive, NULL, 0);
    lc_buf_deinit(&b);
}
