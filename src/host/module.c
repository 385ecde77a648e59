/*
 * host/module.c — module load, export checks, instance lifecycle and the reducer call path
 * (spec-module-abi §1.8, §1.9, §4.2). See module.h for the design.
 */
#include "host/module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/limits.h"

struct host_module {
    lc_wasm_module *wm;
    lc_wasm_linker *linker;
    lc_wasm_instance *inst;    /* NULL after a trap until the next call rebuilds it */
    lc_wasm_func *call_reducer;
    host_moddef *def;
    host_abi abi;
    lc_wasm_limits limits;
    u64 fuel_budget;
    u32 abi_minor;
    u32 preinit_count;
    char **preinit;            /* sorted export names, NUL-terminated */
    u64 instances_created;
};

static const u8 T_I32[1] = {LC_WASM_I32};
static const u8 T_CALL[10] = {LC_WASM_I32, LC_WASM_I64, LC_WASM_I64, LC_WASM_I64, LC_WASM_I64,
                              LC_WASM_I64, LC_WASM_I64, LC_WASM_I64, LC_WASM_I32, LC_WASM_I32};

static bool type_is(const lc_wasm_functype *t, const u8 *p, u32 np, const u8 *r, u32 nr)
{
    return t->param_count == np && t->result_count == nr &&
           (np == 0 || memcmp(t->params, p, np) == 0) && (nr == 0 || memcmp(t->results, r, nr) == 0);
}

static int export_func(const lc_wasm_module *wm, const char *name, const u8 *p, u32 np,
                       const u8 *r, u32 nr, bool required, lc_errbuf *eb)
{
    lc_wasm_extern_desc d;
    if (lc_wasm_module_export_find(wm, name, &d) != 0)
        return required ? lc_errf(eb, LC_EINVALID, "module does not export %s", name) : 1;
    if (d.kind != LC_WASM_EXTERN_FUNC || !type_is(&d.type.func, p, np, r, nr))
        return lc_errf(eb, LC_EINVALID, "export %s has the wrong type", name);
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* §1.8: memory, __describe_module__, __call_reducer__, __setup__, __preinit__* (collected). */
static int module_check_exports(host_module *m, lc_errbuf *eb)
{
    lc_wasm_extern_desc d;
    if (lc_wasm_module_export_find(m->wm, "memory", &d) != 0 || d.kind != LC_WASM_EXTERN_MEMORY)
        return lc_errf(eb, LC_EINVALID, "module does not export a memory named `memory`");
    int rc = export_func(m->wm, "__describe_module__", T_I32, 1, NULL, 0, true, eb);
    if (rc < 0) return rc;
    rc = export_func(m->wm, "__call_reducer__", T_CALL, 10, T_I32, 1, true, eb);
    if (rc < 0) return rc;
    rc = export_func(m->wm, "__setup__", T_I32, 1, T_I32, 1, false, eb);
    if (rc < 0) return rc;
    /* Optional call exports: absent is fine, a wrong type is fatal. */
    static const u8 T_VIEW[7] = {LC_WASM_I32, LC_WASM_I64, LC_WASM_I64, LC_WASM_I64,
                                 LC_WASM_I64, LC_WASM_I32, LC_WASM_I32};
    static const u8 T_I32X3[3] = {LC_WASM_I32, LC_WASM_I32, LC_WASM_I32};
    rc = export_func(m->wm, "__call_procedure__", T_CALL, 10, T_I32, 1, false, eb);
    if (rc < 0) return rc;
    rc = export_func(m->wm, "__call_view__", T_VIEW, 7, T_I32, 1, false, eb);
    if (rc < 0) return rc;
    rc = export_func(m->wm, "__call_view_anon__", T_I32X3, 3, T_I32, 1, false, eb);
    if (rc < 0) return rc;
    u32 n = lc_wasm_module_export_count(m->wm);
    m->preinit = lc_calloc(n ? n : 1, sizeof *m->preinit);
    if (!m->preinit) return lc_errf(eb, LC_ENOMEM, "out of memory");
    static const char pfx[] = "__preinit__";
    for (u32 i = 0; i < n; i++) {
        lc_wasm_module_export_get(m->wm, i, &d);
        if (d.name_len < sizeof pfx - 1 || memcmp(d.name, pfx, sizeof pfx - 1) != 0) continue;
        if (d.kind != LC_WASM_EXTERN_FUNC || !type_is(&d.type.func, NULL, 0, NULL, 0))
            return lc_errf(eb, LC_EINVALID, "export %.*s must be () -> ()", (int)d.name_len,
                           d.name);
        char *s = lc_alloc(d.name_len + 1u);
        if (!s) return lc_errf(eb, LC_ENOMEM, "out of memory");
        memcpy(s, d.name, d.name_len);
        s[d.name_len] = 0;
        m->preinit[m->preinit_count++] = s;
    }
    qsort(m->preinit, m->preinit_count, sizeof *m->preinit, name_cmp);
    return 0;
}

static int call0(host_module *m, const char *name, lc_errbuf *eb)
{
    lc_wasm_func *f = lc_wasm_instance_func(m->inst, name);
    if (!f) return 0;
    return lc_wasm_call(m->inst, f, NULL, 0, NULL, 0, eb);
}

/* Calls an (i32 sink) export; the sink bytes stay readable until host_abi_call_end. */
static int call_sink(host_module *m, const char *name, u32 *out_sink, i32 *out_ret,
                     lc_errbuf *eb)
{
    lc_wasm_func *f = lc_wasm_instance_func(m->inst, name);
    if (!f) return 1;
    u32 sink = host_abi_sink_new(&m->abi);
    u64 arg = sink, res = 0;
    lc_wasm_functype ft;
    lc_wasm_func_type(f, &ft);
    m->abi.func_name = "__spacetimedb__";
    int rc = lc_wasm_call(m->inst, f, &arg, 1, &res, ft.result_count, eb);
    *out_sink = sink;
    if (out_ret) *out_ret = (i32)(u32)res;
    return rc;
}

/* Steps 1-6 of the per-instance list of §1.9. On the first instance (m->def == NULL) the
 * description is decoded. */
static int module_instance_create(host_module *m, lc_errbuf *eb)
{
    int rc = lc_wasm_instantiate(m->wm, m->linker, &m->limits, &m->inst, eb);
    if (rc) return rc;
    m->instances_created++;
    host_abi_iters_reset(&m->abi);
    lc_wasm_instance_set_fuel(m->inst, m->fuel_budget);
    m->call_reducer = lc_wasm_instance_func(m->inst, "__call_reducer__");
    rc = call0(m, "_initialize", eb);
    for (u32 i = 0; rc == 0 && i < m->preinit_count; i++) rc = call0(m, m->preinit[i], eb);
    u32 sink = 0;
    i32 ret = 0;
    if (rc == 0) {
        int s = call_sink(m, "__setup__", &sink, &ret, eb);
        if (s < 0) rc = s;
        else if (s == 0 && ret != 0) {
            const lc_buf *b = host_abi_sink(&m->abi, sink);
            rc = lc_errf(eb, LC_EINVALID, "__setup__ failed (%d): %.*s", ret,
                         (int)(b && b->len < 200 ? b->len : 0), b ? (const char *)b->data : "");
        }
        host_abi_call_end(&m->abi);
    }
    if (rc == 0) rc = call_sink(m, "__describe_module__", &sink, NULL, eb);
    if (rc == 0 && !m->def) {
        const lc_buf *b = host_abi_sink(&m->abi, sink);
        if (b->err) rc = lc_errf(eb, b->err, "module description too large");
        else rc = host_moddef_decode(b->data, b->len, &m->def, eb);
    }
    host_abi_call_end(&m->abi);
    if (rc) {
        lc_wasm_instance_destroy(m->inst);
        m->inst = NULL;
    }
    return rc;
}

int host_module_load(const u8 *wasm, size_t len, const host_module_opts *opts,
                     host_module **out, lc_errbuf *eb)
{
    *out = NULL;
    host_module *m = lc_calloc(1, sizeof *m);
    if (!m) return lc_errf(eb, LC_ENOMEM, "out of memory");
    host_abi_init(&m->abi);
    lc_wasm_limits_default(&m->limits);
    m->limits.memory_pages_max = opts && opts->memory_pages_max ? opts->memory_pages_max
                                                                : HOST_MEMORY_PAGES_DEFAULT;
    m->fuel_budget = opts && opts->fuel_budget ? opts->fuel_budget : HOST_FUEL_DEFAULT;
    m->limits.fuel_default = m->fuel_budget;
    int rc = lc_wasm_module_load(wasm, len, &m->limits, &m->wm, eb);
    if (rc == 0) rc = host_abi_check_imports(m->wm, &m->abi_minor, eb);
    if (rc == 0) rc = module_check_exports(m, eb);
    if (rc == 0) rc = lc_wasm_linker_create(&m->linker);
    if (rc == 0) rc = host_abi_link(&m->abi, m->linker);
    if (rc == 0) rc = module_instance_create(m, eb);
    if (rc == 0) m->abi.def = m->def;
    if (rc) {
        host_module_destroy(m);
        return rc;
    }
    *out = m;
    return 0;
}

void host_module_destroy(host_module *m)
{
    if (!m) return;
    if (m->inst) lc_wasm_instance_destroy(m->inst);
    if (m->linker) lc_wasm_linker_destroy(m->linker);
    if (m->wm) lc_wasm_module_destroy(m->wm);
    if (m->def) host_moddef_destroy(m->def);
    for (u32 i = 0; i < m->preinit_count; i++) lc_free(m->preinit[i]);
    lc_free(m->preinit);
    host_abi_deinit(&m->abi);
    lc_free(m);
}

const host_moddef *host_module_def(const host_module *m) { return m->def; }
host_abi *host_module_abi(host_module *m) { return &m->abi; }
u32 host_module_abi_minor(const host_module *m) { return m->abi_minor; }
u64 host_module_instances_created(const host_module *m) { return m->instances_created; }
void host_module_set_fuel_budget(host_module *m, u64 fuel) { m->fuel_budget = fuel; }

static void outcome_msg(host_outcome *o, u8 kind, const char *msg, size_t len)
{
    o->kind = kind;
    if (len >= HOST_OUTCOME_MSG_MAX) len = HOST_OUTCOME_MSG_MAX - 1;
    memcpy(o->message, msg, len);
    o->message[len] = 0;
    o->message_len = (u32)len;
}

static int outcome_fail(host_outcome *o, int rc, const char *msg)
{
    outcome_msg(o, HOST_OUTCOME_INTERNAL, msg, strlen(msg));
    return rc;
}

/* Classifies the export's result (§4.2 step 6). */
static void module_classify(host_module *m, int rc, i32 ret, u32 sink, const lc_errbuf *eb,
                            host_outcome *out)
{
    if (rc == LC_ETRAP_FUEL) {
        outcome_msg(out, HOST_OUTCOME_OUT_OF_ENERGY, "out of energy", 13);
    } else if (rc) {
        char msg[HOST_OUTCOME_MSG_MAX];
        int n = snprintf(msg, sizeof msg, "The instance encountered a fatal error: %s", eb->msg);
        outcome_msg(out, HOST_OUTCOME_INTERNAL, msg, n < 0 ? 0 : (size_t)n);
    } else if (ret == 0) {
        out->kind = HOST_OUTCOME_COMMITTED;
    } else if (ret == 1) {
        const lc_buf *b = host_abi_sink(&m->abi, sink);
        outcome_msg(out, HOST_OUTCOME_USER_ERROR, b && b->len ? (const char *)b->data : "",
                    b ? b->len : 0);
    } else {
        outcome_msg(out, HOST_OUTCOME_INTERNAL, "The instance encountered a fatal error.", 39);
    }
    if (rc) { /* a trap poisons the instance (§1.9) */
        lc_wasm_instance_destroy(m->inst);
        m->inst = NULL;
    }
}

/* §1.8.1 argument list of __call_reducer__ / __call_procedure__; returns the fresh sink. */
static u32 call_args(host_abi *a, u32 id, const host_caller *caller, const u8 *args,
                     size_t args_len, u64 argv[10])
{
    u32 src = host_abi_source_new(a, args, args_len);
    u32 sink = host_abi_sink_new(a);
    const u8 *who = caller->identity, *cid = caller->connection_id;
    argv[0] = id;
    for (int i = 0; i < 4; i++) argv[1 + i] = lc_load_u64(who + 8 * i);
    argv[5] = lc_load_u64(cid);
    argv[6] = lc_load_u64(cid + 8);
    argv[7] = (u64)caller->timestamp_micros;
    argv[8] = src;
    argv[9] = sink;
    return sink;
}

int host_module_call_reducer(host_module *m, store_txn *txn, u32 reducer_id,
                             const host_caller *caller, const u8 *args, size_t args_len,
                             host_outcome *out)
{
    out->kind = HOST_OUTCOME_INTERNAL;
    out->message[0] = 0;
    out->message_len = 0;
    out->fuel_used = 0;
    if (reducer_id >= m->def->reducer_count) return outcome_fail(out, LC_ENOTFOUND, "no such reducer");
    const host_reducer_def *r = &m->def->reducers[reducer_id];
    lc_rd rd;
    lc_rd_init(&rd, args, args_len);
    if (lc_bsatn_validate(r->params, &rd, NULL) != 0 || lc_rd_left(&rd) != 0)
        return outcome_fail(out, LC_EDECODE, "invalid arguments for the reducer's parameters");
    lc_errbuf eb = {{0}};
    if (!m->inst) {
        int rc = module_instance_create(m, &eb);
        if (rc) return outcome_fail(out, rc, eb.msg);
    }
    host_abi *a = &m->abi;
    a->txn = txn;
    a->func_name = r->name;
    memcpy(a->caller_conn, caller->connection_id, 16);
    a->caller_jwt = caller->jwt_payload;
    bool has_jwt = caller->jwt_payload && caller->jwt_len <= LC_JWT_PAYLOAD_MAX;
    a->caller_jwt_len = has_jwt ? caller->jwt_len : 0;
    lc_wasm_instance_set_fuel(m->inst, m->fuel_budget);
    u64 argv[10];
    u32 sink = call_args(a, reducer_id, caller, args, args_len, argv);
    u64 res = 0;
    int rc = lc_wasm_call(m->inst, m->call_reducer, argv, 10, &res, 1, &eb);
    out->fuel_used = m->fuel_budget - lc_wasm_instance_fuel(m->inst);
    module_classify(m, rc, (i32)(u32)res, sink, &eb, out);
    host_abi_call_end(a);
    a->txn = NULL;
    a->func_name = NULL;
    a->caller_jwt = NULL;
    a->caller_jwt_len = 0;
    return 0;
}

/* ---------------------------------------------------------------- procedures ------------- */

/* §4.8: the procedure runs with no transaction open (it opens its own through the abi's
 * proc_tx hook); 0 = success with the BSATN return value in the sink (checked against the
 * declared return type), anything else or a trap = failure. A transaction the procedure left
 * open is aborted here and reported in out->message. */
static void procedure_finish(host_module *m, const host_procedure_def *p, u32 sink,
                             lc_buf *out_result, host_outcome *out)
{
    host_abi *a = &m->abi;
    if (out->kind == HOST_OUTCOME_COMMITTED) {
        const lc_buf *b = host_abi_sink(a, sink);
        lc_rd rd;
        lc_rd_init(&rd, b ? b->data : NULL, b ? b->len : 0);
        if (!b || b->err || lc_bsatn_validate(p->return_type, &rd, NULL) != 0 ||
            lc_rd_left(&rd) != 0) {
            static const char msg[] = "procedure returned a value that does not match its "
                                      "return type";
            outcome_msg(out, HOST_OUTCOME_INTERNAL, msg, sizeof msg - 1);
        } else if (out_result) {
            lc_buf_put(out_result, b->data, b->len);
            if (out_result->err) outcome_msg(out, HOST_OUTCOME_INTERNAL, "out of memory", 13);
        }
    } else if (out->kind == HOST_OUTCOME_USER_ERROR) { /* 1 is no user error for procedures */
        out->kind = HOST_OUTCOME_INTERNAL;
        if (out->message_len == 0) outcome_msg(out, HOST_OUTCOME_INTERNAL, "procedure failed", 16);
    }
    if (a->proc_tx_open) {
        store_txn *t = a->txn;
        if (a->proc_tx_fn) (void)a->proc_tx_fn(a->proc_tx_user, HOST_PROC_TX_ABORT, &t, NULL);
        a->proc_tx_open = false;
        a->txn = NULL;
        static const char msg[] = "procedure returned with a transaction open: it was aborted";
        if (out->kind == HOST_OUTCOME_COMMITTED) {
            out->message_len = sizeof msg - 1;
            memcpy(out->message, msg, sizeof msg);
        }
    }
}

int host_module_call_procedure(host_module *m, u32 procedure_id, const host_caller *caller,
                               const u8 *args, size_t args_len, lc_buf *out_result,
                               host_outcome *out)
{
    out->kind = HOST_OUTCOME_INTERNAL;
    out->message[0] = 0;
    out->message_len = 0;
    out->fuel_used = 0;
    if (procedure_id >= m->def->procedure_count)
        return outcome_fail(out, LC_ENOTFOUND, "no such procedure");
    const host_procedure_def *p = &m->def->procedures[procedure_id];
    lc_rd rd;
    lc_rd_init(&rd, args, args_len);
    if (lc_bsatn_validate(p->params, &rd, NULL) != 0 || lc_rd_left(&rd) != 0)
        return outcome_fail(out, LC_EDECODE, "invalid arguments for the procedure's parameters");
    lc_errbuf eb = {{0}};
    if (!m->inst) {
        int rc = module_instance_create(m, &eb);
        if (rc) return outcome_fail(out, rc, eb.msg);
    }
    lc_wasm_func *f = lc_wasm_instance_func(m->inst, "__call_procedure__");
    if (!f) return outcome_fail(out, LC_ENOTSUP, "module does not export __call_procedure__");
    host_abi *a = &m->abi;
    a->txn = NULL;
    a->in_procedure = true;
    a->func_name = p->name;
    memcpy(a->caller_conn, caller->connection_id, 16);
    bool has_jwt = caller->jwt_payload && caller->jwt_len <= LC_JWT_PAYLOAD_MAX;
    a->caller_jwt = has_jwt ? caller->jwt_payload : NULL;
    a->caller_jwt_len = has_jwt ? caller->jwt_len : 0;
    lc_wasm_instance_set_fuel(m->inst, m->fuel_budget);
    u64 argv[10];
    u32 sink = call_args(a, procedure_id, caller, args, args_len, argv);
    u64 res = 0;
    int rc = lc_wasm_call(m->inst, f, argv, 10, &res, 1, &eb);
    out->fuel_used = m->fuel_budget - lc_wasm_instance_fuel(m->inst);
    module_classify(m, rc, (i32)(u32)res, sink, &eb, out);
    procedure_finish(m, p, sink, out_result, out);
    host_abi_call_end(a);
    a->in_procedure = false;
    a->func_name = NULL;
    a->caller_jwt = NULL;
    a->caller_jwt_len = 0;
    return 0;
}

/* ---------------------------------------------------------------- views (§4.9) ----------- */

const lc_type *host_view_row_type(const host_view_def *v)
{
    const lc_type *t = v->return_type;
    if (t && t->kind == LC_T_ARRAY) return t->array_elem;
    if (t && t->kind == LC_T_SUM && t->elem_count == 2) return t->elems[0].type; /* Option */
    if (t && t->kind == LC_T_PRODUCT && t->elem_count == 1 && t->elems[0].name &&
        strcmp(t->elems[0].name, "__query__") == 0)
        return t->elems[0].type; /* query-builder view */
    return NULL;
}

/* The sink's value (after the header, if any) as a row array; false when it does not match. */
static bool view_rows(const host_view_def *v, const u8 *p, size_t n, lc_buf *out)
{
    const lc_type *row = host_view_row_type(v);
    if (!row) return false;
    lc_rd rd;
    lc_rd_init(&rd, p, n);
    if (v->return_type->kind == LC_T_SUM) { /* Option<T>: tag 0 Some(row), 1 None */
        u8 tag = lc_rd_u8(&rd);
        const u8 *start = rd.p;
        if (rd.err || tag > 1 || (tag == 0 && lc_bsatn_validate(row, &rd, NULL) != 0))
            return false;
        lc_buf_put_u32(out, tag == 0);
        if (tag == 0) lc_buf_put(out, start, (size_t)(rd.p - start));
        return lc_rd_left(&rd) == 0 && !out->err;
    }
    if (lc_bsatn_validate(v->return_type, &rd, NULL) != 0 || lc_rd_left(&rd) != 0) return false;
    lc_buf_put(out, p, n);
    return !out->err;
}

/* ViewResultHeader::RawSql(String) after the tag: the SQL into out_sql. */
static bool view_sql(const u8 *p, size_t n, lc_buf *out_sql)
{
    lc_rd rd;
    lc_rd_init(&rd, p, n);
    u32 len = lc_rd_u32(&rd);
    const u8 *s = lc_rd_take(&rd, len);
    if (!s || lc_rd_left(&rd) || len == 0 || len > LC_SQL_TEXT_MAX) return false;
    lc_buf_put(out_sql, s, len);
    return !out_sql->err;
}

int host_module_call_view(host_module *m, store_txn *txn, u32 view_idx, const u8 sender[32],
                          lc_buf *out_rows, lc_buf *out_sql, host_outcome *out)
{
    out->kind = HOST_OUTCOME_INTERNAL;
    out->message[0] = 0;
    out->message_len = 0;
    out->fuel_used = 0;
    if (view_idx >= m->def->view_count) return outcome_fail(out, LC_ENOTFOUND, "no such view");
    const host_view_def *v = &m->def->views[view_idx];
    lc_errbuf eb = {{0}};
    if (!m->inst) {
        int rc = module_instance_create(m, &eb);
        if (rc) return outcome_fail(out, rc, eb.msg);
    }
    const char *exp = v->is_anonymous ? "__call_view_anon__" : "__call_view__";
    lc_wasm_func *f = lc_wasm_instance_func(m->inst, exp);
    if (!f) return outcome_fail(out, LC_ENOTSUP, "module does not export its view function");
    host_abi *a = &m->abi;
    a->txn = txn;
    a->read_only = true;
    a->read_all = false;
    a->read_count = 0;
    a->func_name = v->name;
    lc_wasm_instance_set_fuel(m->inst, m->fuel_budget);
    u32 sink = host_abi_sink_new(a);
    u64 argv[7];
    u32 argc = 0;
    argv[argc++] = v->index;
    for (int i = 0; !v->is_anonymous && i < 4; i++) argv[argc++] = lc_load_u64(sender + 8 * i);
    argv[argc++] = 0; /* no arguments (args_source 0) */
    argv[argc++] = sink;
    u64 res = 0;
    int rc = lc_wasm_call(m->inst, f, argv, argc, &res, 1, &eb);
    out->fuel_used = m->fuel_budget - lc_wasm_instance_fuel(m->inst);
    i32 ret = (i32)(u32)res;
    module_classify(m, rc, ret == 2 ? 0 : ret, sink, &eb, out);
    if (out->kind == HOST_OUTCOME_COMMITTED) {
        const lc_buf *b = host_abi_sink(a, sink);
        const u8 *p = b ? b->data : NULL;
        size_t n = b ? b->len : 0;
        bool ok = b && !b->err;
        bool is_sql = ok && ret == 2 && n >= 1 && p[0] == 1;
        if (is_sql) { /* ViewResultHeader::RawSql */
            ok = out_sql && view_sql(p + 1, n - 1, out_sql);
        } else if (ok && ret == 2) { /* ViewResultHeader::RowData, then the rows */
            ok = n >= 1 && p[0] == 0;
            if (ok) p++, n--;
        }
        ok = ok && (is_sql || view_rows(v, p, n, out_rows));
        if (out->kind == HOST_OUTCOME_COMMITTED && !ok) {
            static const char msg[] = "view returned a value that does not match its type";
            outcome_msg(out, HOST_OUTCOME_INTERNAL, msg, sizeof msg - 1);
        }
    }
    host_abi_call_end(a);
    a->txn = NULL;
    a->read_only = false;
    a->func_name = NULL;
    return 0;
}
