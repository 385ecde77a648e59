/*
 * tests/host/mini_wasm.h — a tiny hand-assembled module for host tests that need a module
 * description the C SDK cannot express (column defaults, private reducers, procedures, JWT
 * reads): the test builds the RawModuleDef bytes itself and this writes a wasm binary around
 * them. Nothing is compiled: the bytes below are the module.
 *
 * The module (one 64 KiB memory, exported as "memory"):
 *   imports  spacetime_10.0 bytes_sink_write, bytes_source_read, table_id_from_name,
 *            datastore_insert_bsatn; spacetime_10.2 get_jwt; spacetime_10.3
 *            procedure_start_mut_tx, procedure_commit_mut_tx
 *   __describe_module__(sink)  writes the description (data at MW_DESC, at most 48 KiB)
 *   __call_reducer__(id, ..)   id == MW_JWT_REDUCER: get_jwt(caller's connection id); the
 *                              payload goes to the error sink and the call returns 1 (user
 *                              error: the test reads it from out->message), or returns 2
 *                              (internal) when there is none; id == MW_ADD_REDUCER inserts
 *                              the row blob into table "t" and returns the insert's errno;
 *                              id == MW_ADD_JOB_REDUCER inserts (0, ScheduleAt::Time(0))
 *                              into table "job";
 *                              any other id returns 0
 *   __call_procedure__(id, ..) 0: writes the result blob, returns 0; 1: start_mut_tx, inserts
 *                              the row blob into table "t", commit, writes the result, returns
 *                              0; 2: returns 1 (failure); 3: start_mut_tx, inserts, returns 0
 *                              with the transaction still open (the host must abort it); 4:
 *                              the same, then traps
 * Memory map: 8 len scratch; 64 connection id; 80 source handle; 84 read length; 88 table id;
 * 96 timestamp out; 1024 JWT buffer (3 KiB); MW_RESULT result blob; MW_ROW row blob;
 * MW_TNAME "t"; MW_DESC description.
 */
#ifndef LC_TESTS_HOST_MINI_WASM_H
#define LC_TESTS_HOST_MINI_WASM_H

#include "base/buf.h"

#define MW_JWT_REDUCER 1u
#define MW_ADD_REDUCER 2
#define MW_ADD_JOB_REDUCER 4
#define MW_JNAME 8008u
#define MW_JOB 8016u
#define MW_JOB_LEN 17 /* scheduled_id u64 0 (auto_inc) ++ ScheduleAt::Time(0) */
#define MW_RESULT 4096u
#define MW_ROW 6144u
#define MW_TNAME 8000u
#define MW_DESC 16384u

static inline void mw_uleb(lc_buf *b, u64 v)
{
    do {
        u8 c = v & 0x7f;
        v >>= 7;
        lc_buf_put_u8(b, (u8)(c | (v ? 0x80 : 0)));
    } while (v);
}

static inline void mw_sleb(lc_buf *b, i64 v)
{
    for (;;) {
        u8 c = v & 0x7f;
        v >>= 7;
        bool done = (v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40));
        lc_buf_put_u8(b, (u8)(c | (done ? 0 : 0x80)));
        if (done) return;
    }
}

static inline void mw_name(lc_buf *b, const char *s)
{
    mw_uleb(b, strlen(s));
    lc_buf_put(b, s, strlen(s));
}

static inline void mw_section(lc_buf *out, u8 id, const lc_buf *body)
{
    lc_buf_put_u8(out, id);
    mw_uleb(out, body->len);
    lc_buf_put(out, body->data, body->len);
}

/* Code helpers. */
static inline void mw_i32(lc_buf *c, i32 v) { lc_buf_put_u8(c, 0x41); mw_sleb(c, v); }
static inline void mw_get(lc_buf *c, u32 l) { lc_buf_put_u8(c, 0x20); mw_uleb(c, l); }
static inline void mw_call(lc_buf *c, u32 f) { lc_buf_put_u8(c, 0x10); mw_uleb(c, f); }
static inline void mw_op(lc_buf *c, u8 op) { lc_buf_put_u8(c, op); }
static inline void mw_store32(lc_buf *c, u32 addr, i32 v) /* mem[addr] = v */
{
    mw_i32(c, (i32)addr);
    mw_i32(c, v);
    lc_buf_put(c, "\x36\x02\x00", 3);
}
static inline void mw_load32(lc_buf *c, u32 addr)
{
    mw_i32(c, (i32)addr);
    lc_buf_put(c, "\x28\x02\x00", 3);
}
/* bytes_sink_write(sink local, ptr, len): the length goes through mem[8] */
static inline void mw_sink_write(lc_buf *c, u32 sink_local, u32 ptr, u32 len)
{
    mw_store32(c, 8, (i32)len);
    mw_get(c, sink_local);
    mw_i32(c, (i32)ptr);
    mw_i32(c, 8);
    mw_call(c, 0);
    mw_op(c, 0x1a);
}

/* Function indexes: imports 0..6, then 7 describe, 8 reducer, 9 procedure. */
static inline void mw_body_describe(lc_buf *c, u32 desc_len)
{
    lc_buf_put_u8(c, 0); /* no locals */
    mw_sink_write(c, 0, MW_DESC, desc_len);
    mw_op(c, 0x0b);
}

static inline void mw_if_id(lc_buf *c, i32 id);

static inline void mw_body_reducer(lc_buf *c, u32 row_len)
{
    lc_buf_put_u8(c, 0);
    mw_if_id(c, MW_ADD_REDUCER); /* insert the row blob into "t" in the reducer's txn */
    mw_i32(c, MW_TNAME); mw_i32(c, 1); mw_i32(c, 88); mw_call(c, 2); mw_op(c, 0x1a);
    mw_store32(c, 8, (i32)row_len);
    mw_store32(c, MW_ROW, 0); /* id 0 again: the insert wrote the generated id back */
    mw_load32(c, 88); mw_i32(c, MW_ROW); mw_i32(c, 8); mw_call(c, 3);
    mw_op(c, 0x0f); /* returns the insert's errno (0: committed) */
    mw_op(c, 0x0b);
    mw_if_id(c, MW_ADD_JOB_REDUCER); /* the job blob into "job" (a schedule table) */
    mw_i32(c, MW_JNAME); mw_i32(c, 3); mw_i32(c, 88); mw_call(c, 2); mw_op(c, 0x1a);
    mw_store32(c, 8, MW_JOB_LEN);
    mw_store32(c, MW_JOB, 0);
    mw_store32(c, MW_JOB + 4, 0);
    mw_load32(c, 88); mw_i32(c, MW_JOB); mw_i32(c, 8); mw_call(c, 3);
    mw_op(c, 0x0f);
    mw_op(c, 0x0b);
    mw_get(c, 0);
    mw_i32(c, MW_JWT_REDUCER);
    mw_op(c, 0x47); /* i32.ne */
    lc_buf_put(c, "\x04\x40", 2);
    mw_i32(c, 0);
    mw_op(c, 0x0f);
    mw_op(c, 0x0b);
    mw_i32(c, 64); mw_get(c, 5); lc_buf_put(c, "\x37\x03\x00", 3); /* i64.store conn lo */
    mw_i32(c, 72); mw_get(c, 6); lc_buf_put(c, "\x37\x03\x00", 3); /* conn hi */
    mw_i32(c, 64); mw_i32(c, 80); mw_call(c, 4); mw_op(c, 0x1a);   /* get_jwt */
    mw_load32(c, 80);
    mw_op(c, 0x45); /* i32.eqz */
    lc_buf_put(c, "\x04\x40", 2);
    mw_i32(c, 2);
    mw_op(c, 0x0f);
    mw_op(c, 0x0b);
    mw_store32(c, 84, 3072);
    mw_load32(c, 80); mw_i32(c, 1024); mw_i32(c, 84); mw_call(c, 1); mw_op(c, 0x1a);
    mw_store32(c, 8, 0);
    mw_get(c, 9); mw_i32(c, 1024); mw_i32(c, 84); mw_call(c, 0); mw_op(c, 0x1a);
    mw_i32(c, 1);
    mw_op(c, 0x0b);
}

/* start_mut_tx + insert the row blob into "t" */
static inline void mw_tx_insert(lc_buf *c, u32 row_len)
{
    mw_i32(c, 96); mw_call(c, 5); mw_op(c, 0x1a);
    mw_i32(c, MW_TNAME); mw_i32(c, 1); mw_i32(c, 88); mw_call(c, 2); mw_op(c, 0x1a);
    mw_store32(c, 8, (i32)row_len);
    mw_store32(c, MW_ROW, 0);
    mw_load32(c, 88); mw_i32(c, MW_ROW); mw_i32(c, 8); mw_call(c, 3); mw_op(c, 0x1a);
}

static inline void mw_if_id(lc_buf *c, i32 id)
{
    mw_get(c, 0);
    mw_i32(c, id);
    mw_op(c, 0x46); /* i32.eq */
    lc_buf_put(c, "\x04\x40", 2);
}

static inline void mw_body_procedure(lc_buf *c, u32 result_len, u32 row_len)
{
    lc_buf_put_u8(c, 0);
    mw_if_id(c, 2);
    mw_i32(c, 1); mw_op(c, 0x0f);
    mw_op(c, 0x0b);
    mw_if_id(c, 1);
    mw_tx_insert(c, row_len);
    mw_call(c, 6); mw_op(c, 0x1a);
    mw_op(c, 0x0b);
    mw_if_id(c, 3);
    mw_tx_insert(c, row_len);
    mw_op(c, 0x0b);
    mw_if_id(c, 4); /* traps with its transaction open */
    mw_tx_insert(c, row_len);
    mw_op(c, 0x00);
    mw_op(c, 0x0b);
    mw_sink_write(c, 9, MW_RESULT, result_len);
    mw_i32(c, 0);
    mw_op(c, 0x0b);
}

static inline void mw_data(lc_buf *d, u32 addr, const void *p, size_t n)
{
    lc_buf_put_u8(d, 0);
    mw_i32(d, (i32)addr);
    mw_op(d, 0x0b);
    mw_uleb(d, n);
    lc_buf_put(d, p, n);
}

static inline void mw_types(lc_buf *out)
{
    lc_buf t;
    lc_buf_init(&t);
    mw_uleb(&t, 6);
    lc_buf_put(&t, "\x60\x03\x7f\x7f\x7f\x01\x7f", 7); /* 0: (i32 i32 i32) -> i32 */
    lc_buf_put(&t, "\x60\x02\x7f\x7f\x01\x7f", 6);     /* 1: (i32 i32) -> i32 */
    lc_buf_put(&t, "\x60\x01\x7f\x00", 4);             /* 2: (i32) -> () */
    lc_buf_put(&t, "\x60\x0a\x7f\x7e\x7e\x7e\x7e\x7e\x7e\x7e\x7f\x7f\x01\x7f", 14); /* 3 */
    lc_buf_put(&t, "\x60\x01\x7f\x01\x7f", 5);         /* 4: (i32) -> i32 */
    lc_buf_put(&t, "\x60\x00\x01\x7f", 4);             /* 5: () -> i32 */
    mw_section(out, 1, &t);
    lc_buf_deinit(&t);
}

static inline void mw_imports(lc_buf *out)
{
    static const struct { const char *mod, *name; u8 type; } IM[] = {
        {"spacetime_10.0", "bytes_sink_write", 0},
        {"spacetime_10.0", "bytes_source_read", 0},
        {"spacetime_10.0", "table_id_from_name", 0},
        {"spacetime_10.0", "datastore_insert_bsatn", 0},
        {"spacetime_10.2", "get_jwt", 1},
        {"spacetime_10.3", "procedure_start_mut_tx", 4},
        {"spacetime_10.3", "procedure_commit_mut_tx", 5},
    };
    lc_buf t;
    lc_buf_init(&t);
    mw_uleb(&t, 7);
    for (int i = 0; i < 7; i++) {
        mw_name(&t, IM[i].mod);
        mw_name(&t, IM[i].name);
        lc_buf_put_u8(&t, 0);
        lc_buf_put_u8(&t, IM[i].type);
    }
    mw_section(out, 2, &t);
    lc_buf_deinit(&t);
}

static inline void mw_exports(lc_buf *out, bool has_procedure)
{
    lc_buf t;
    lc_buf_init(&t);
    mw_uleb(&t, has_procedure ? 4 : 3);
    mw_name(&t, "memory"); lc_buf_put_u8(&t, 2); mw_uleb(&t, 0);
    mw_name(&t, "__describe_module__"); lc_buf_put_u8(&t, 0); mw_uleb(&t, 7);
    mw_name(&t, "__call_reducer__"); lc_buf_put_u8(&t, 0); mw_uleb(&t, 8);
    if (has_procedure) {
        mw_name(&t, "__call_procedure__");
        lc_buf_put_u8(&t, 0);
        mw_uleb(&t, 9);
    }
    mw_section(out, 7, &t);
    lc_buf_deinit(&t);
}

static inline void mw_code(lc_buf *out, u32 desc_len, u32 result_len, u32 row_len)
{
    lc_buf t, f;
    lc_buf_init(&t);
    lc_buf_init(&f);
    mw_uleb(&t, 3);
    for (int i = 0; i < 3; i++) {
        lc_buf_reset(&f);
        if (i == 0) mw_body_describe(&f, desc_len);
        else if (i == 1) mw_body_reducer(&f, row_len);
        else mw_body_procedure(&f, result_len, row_len);
        mw_uleb(&t, f.len);
        lc_buf_put(&t, f.data, f.len);
    }
    mw_section(out, 10, &t);
    lc_buf_deinit(&t);
    lc_buf_deinit(&f);
}

/* Appends the module to out: description `desc`, procedure result `result`, row blob `row`
 * (the row procedure 1 and 3 insert into table "t"). */
static inline void mw_build(lc_buf *out, const u8 *desc, size_t desc_len, const u8 *result,
                            size_t result_len, const u8 *row, size_t row_len)
{
    lc_buf_put(out, "\0asm\x01\0\0\0", 8);
    mw_types(out);
    mw_imports(out);
    lc_buf t;
    lc_buf_init(&t);
    lc_buf_put(&t, "\x03\x02\x03\x03", 4); /* 3 functions: describe, reducer, procedure */
    mw_section(out, 3, &t);
    lc_buf_reset(&t);
    lc_buf_put(&t, "\x01\x00\x01", 3); /* one memory, min 1 page */
    mw_section(out, 5, &t);
    mw_exports(out, true);
    mw_code(out, (u32)desc_len, (u32)result_len, (u32)row_len);
    lc_buf_reset(&t);
    mw_uleb(&t, 6);
    static const u8 job[MW_JOB_LEN] = {0, 0, 0, 0, 0, 0, 0, 0, 1};
    mw_data(&t, MW_JNAME, "job", 3);
    mw_data(&t, MW_JOB, job, sizeof job);
    mw_data(&t, MW_DESC, desc, desc_len);
    mw_data(&t, MW_RESULT, result, result_len);
    mw_data(&t, MW_ROW, row, row_len);
    mw_data(&t, MW_TNAME, "t", 1);
    mw_section(out, 11, &t);
    lc_buf_deinit(&t);
}

#endif
