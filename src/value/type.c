/*
 * value/type.c — the SATS type model: primitive singletons, builders, typespaces, structural
 * equality and a readable format.
 *
 * Design.
 *  - Nodes are immutable and arena-owned (lc_typespace.arena). Builders copy the element array
 *    and the names, so callers may pass stack arrays.
 *  - Every builder computes the derived fields once, bottom-up, so the hot paths (validate,
 *    skip, cmp) never look at names:
 *      special     nominal type recognised by element/variant names (spec §2.3);
 *      fixed_size  BSATN size when constant, else -1 (also -1 when it would exceed
 *                  LC_VALUE_SIZE_MAX: no such value can be accepted anyway);
 *      is_plain    fixed size and every byte pattern valid, so validation is a length check;
 *      depth       height of the tree; builders refuse (NULL) anything deeper than
 *                  LC_VALUE_DEPTH_MAX, so every recursive walk over a type or a value is
 *                  bounded without further checks.
 *  - Types may be DAGs (a resolved typespace shares the node of a ref target). Nothing here
 *    assumes a tree; lc_type_format bounds its work by its output capacity.
 *  - A zero-sized type (fixed_size 0) is always plain: only products of zero-sized products.
 */
#include "base/alloc.h"
#include "base/assert.h"
#include "base/limits.h"
#include "value/value.h"

#include <stdio.h>

#define PRIM(k, size) { .kind = (k), .is_plain = 1, .depth = 1, .fixed_size = (size) }
static const lc_type prims[LC_T_KIND_COUNT] = {
    [LC_T_STRING] = { .kind = LC_T_STRING, .depth = 1, .fixed_size = -1 },
    [LC_T_BOOL] = { .kind = LC_T_BOOL, .depth = 1, .fixed_size = 1 },
    [LC_T_I8] = PRIM(LC_T_I8, 1),     [LC_T_U8] = PRIM(LC_T_U8, 1),
    [LC_T_I16] = PRIM(LC_T_I16, 2),   [LC_T_U16] = PRIM(LC_T_U16, 2),
    [LC_T_I32] = PRIM(LC_T_I32, 4),   [LC_T_U32] = PRIM(LC_T_U32, 4),
    [LC_T_I64] = PRIM(LC_T_I64, 8),   [LC_T_U64] = PRIM(LC_T_U64, 8),
    [LC_T_I128] = PRIM(LC_T_I128, 16), [LC_T_U128] = PRIM(LC_T_U128, 16),
    [LC_T_I256] = PRIM(LC_T_I256, 32), [LC_T_U256] = PRIM(LC_T_U256, 32),
    [LC_T_F32] = PRIM(LC_T_F32, 4),   [LC_T_F64] = PRIM(LC_T_F64, 8),
};
#undef PRIM

const lc_type *lc_type_prim(lc_type_kind kind)
{
    if (kind < LC_T_STRING || kind >= LC_T_KIND_COUNT) return NULL;
    return &prims[kind];
}

bool lc_type_is_int(const lc_type *t) { return t->kind >= LC_T_I8 && t->kind <= LC_T_U256; }

bool lc_type_is_signed(const lc_type *t)
{
    return lc_type_is_int(t) && (t->kind - LC_T_I8) % 2 == 0;
}

void lc_typespace_init(lc_typespace *ts)
{
    memset(ts, 0, sizeof *ts);
    lc_arena_init(&ts->arena, LC_TYPESPACE_BYTES_MAX);
}

void lc_typespace_deinit(lc_typespace *ts)
{
    lc_arena_deinit(&ts->arena);
    ts->count = 0;
    ts->types = NULL;
}

/* ---- special-type recognition ---- */

static bool name_is(const char *name, const char *want)
{
    return name && strcmp(name, want) == 0;
}

static bool is_unit(const lc_type *t)
{
    return t->kind == LC_T_PRODUCT && t->elem_count == 0;
}

static u8 product_special(u32 n, const lc_type_elem *e)
{
    if (n == 0) return LC_TS_UNIT;
    if (n != 1 || !e[0].name) return LC_TS_NONE;
    u8 k = e[0].type->kind;
    if (k == LC_T_U256 && name_is(e[0].name, "__identity__")) return LC_TS_IDENTITY;
    if (k == LC_T_U128 && name_is(e[0].name, "__connection_id__")) return LC_TS_CONNECTION_ID;
    if (k == LC_T_I64 && name_is(e[0].name, "__timestamp_micros_since_unix_epoch__"))
        return LC_TS_TIMESTAMP;
    if (k == LC_T_I64 && name_is(e[0].name, "__time_duration_micros__"))
        return LC_TS_TIME_DURATION;
    if (k == LC_T_U128 && name_is(e[0].name, "__uuid__")) return LC_TS_UUID;
    return LC_TS_NONE;
}

static u8 sum_special(u32 n, const lc_type_elem *v)
{
    if (n != 2) return LC_TS_NONE;
    if (name_is(v[0].name, "some") && name_is(v[1].name, "none") && is_unit(v[1].type))
        return LC_TS_OPTION;
    if (name_is(v[0].name, "ok") && name_is(v[1].name, "err")) return LC_TS_RESULT;
    if (name_is(v[0].name, "Interval") && v[0].type->special == LC_TS_TIME_DURATION &&
        name_is(v[1].name, "Time") && v[1].type->special == LC_TS_TIMESTAMP)
        return LC_TS_SCHEDULE_AT;
    return LC_TS_NONE;
}

/* ---- builders ---- */

static lc_type *node_new(lc_typespace *ts, u8 kind)
{
    lc_type *t = lc_arena_alloc(&ts->arena, sizeof *t);
    if (!t) return NULL;
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->depth = 1;
    t->fixed_size = -1;
    return t;
}

/* Copies elems (and their names) into the arena; computes depth. NULL on failure. */
static lc_type_elem *elems_copy(lc_typespace *ts, u32 n, const lc_type_elem *src, u8 *out_depth)
{
    lc_type_elem *e = lc_arena_alloc(&ts->arena, (size_t)n * sizeof *e + 1);
    if (!e) return NULL;
    u8 depth = 0;
    for (u32 i = 0; i < n; i++) {
        if (!src[i].type) return NULL;
        e[i].type = src[i].type;
        e[i].name = NULL;
        if (src[i].name) {
            e[i].name = lc_arena_memdup(&ts->arena, src[i].name, strlen(src[i].name) + 1);
            if (!e[i].name) return NULL;
        }
        depth = LC_MAX(depth, src[i].type->depth);
    }
    *out_depth = (u8)(depth + 1);
    return e;
}

const lc_type *lc_type_product(lc_typespace *ts, u32 count, const lc_type_elem *elems)
{
    if (count > LC_PRODUCT_ELEMS_MAX) return NULL;
    for (u32 i = 0; i < count; i++)
        if (!elems[i].type || elems[i].type->depth >= LC_VALUE_DEPTH_MAX) return NULL;
    lc_type *t = node_new(ts, LC_T_PRODUCT);
    if (!t) return NULL;
    lc_type_elem *e = elems_copy(ts, count, elems, &t->depth);
    if (!e) return NULL;
    t->elem_count = count;
    t->elems = e;
    u64 size = 0;
    bool fixed = true, plain = true;
    for (u32 i = 0; i < count; i++) {
        const lc_type *et = e[i].type;
        if (et->fixed_size < 0) fixed = false;
        else size += (u64)et->fixed_size;
        plain = plain && et->is_plain;
    }
    if (fixed && size <= LC_VALUE_SIZE_MAX) {
        t->fixed_size = (i32)size;
        t->is_plain = plain;
    }
    t->special = product_special(count, e);
    return t;
}

const lc_type *lc_type_sum(lc_typespace *ts, u32 count, const lc_type_elem *variants)
{
    if (count > LC_SUM_VARIANTS_MAX) return NULL;
    for (u32 i = 0; i < count; i++)
        if (!variants[i].type || variants[i].type->depth >= LC_VALUE_DEPTH_MAX) return NULL;
    lc_type *t = node_new(ts, LC_T_SUM);
    if (!t) return NULL;
    lc_type_elem *v = elems_copy(ts, count, variants, &t->depth);
    if (!v) return NULL;
    t->elem_count = count;
    t->elems = v;
    /* Fixed when every payload has the same fixed size (unit-only enums, ScheduleAt). */
    i32 size = count ? v[0].type->fixed_size : -1;
    for (u32 i = 1; i < count && size >= 0; i++)
        if (v[i].type->fixed_size != size) size = -1;
    if (size >= 0 && (u64)size + 1 <= LC_VALUE_SIZE_MAX) t->fixed_size = size + 1;
    t->special = sum_special(count, v);
    return t;
}

const lc_type *lc_type_array(lc_typespace *ts, const lc_type *elem)
{
    if (!elem || elem->depth >= LC_VALUE_DEPTH_MAX) return NULL;
    lc_type *t = node_new(ts, LC_T_ARRAY);
    if (!t) return NULL;
    t->array_elem = elem;
    t->depth = (u8)(elem->depth + 1);
    return t;
}

const lc_type *lc_type_ref(lc_typespace *ts, u32 ref)
{
    lc_type *t = node_new(ts, LC_T_REF);
    if (!t) return NULL;
    t->ref = ref;
    return t;
}

const lc_type *lc_type_option(lc_typespace *ts, const lc_type *some)
{
    const lc_type *unit = lc_type_product(ts, 0, NULL);
    if (!unit || !some) return NULL;
    lc_type_elem v[2] = { { "some", some }, { "none", unit } };
    return lc_type_sum(ts, 2, v);
}

static const lc_type *wrap1(lc_typespace *ts, const char *name, lc_type_kind k)
{
    lc_type_elem e = { name, lc_type_prim(k) };
    return lc_type_product(ts, 1, &e);
}

const lc_type *lc_type_special_get(lc_typespace *ts, lc_type_special which)
{
    switch (which) {
    case LC_TS_IDENTITY: return wrap1(ts, "__identity__", LC_T_U256);
    case LC_TS_CONNECTION_ID: return wrap1(ts, "__connection_id__", LC_T_U128);
    case LC_TS_TIMESTAMP:
        return wrap1(ts, "__timestamp_micros_since_unix_epoch__", LC_T_I64);
    case LC_TS_TIME_DURATION: return wrap1(ts, "__time_duration_micros__", LC_T_I64);
    case LC_TS_UUID: return wrap1(ts, "__uuid__", LC_T_U128);
    case LC_TS_UNIT: return lc_type_product(ts, 0, NULL);
    case LC_TS_SCHEDULE_AT: {
        const lc_type *d = lc_type_special_get(ts, LC_TS_TIME_DURATION);
        const lc_type *s = lc_type_special_get(ts, LC_TS_TIMESTAMP);
        if (!d || !s) return NULL;
        lc_type_elem v[2] = { { "Interval", d }, { "Time", s } };
        return lc_type_sum(ts, 2, v);
    }
    default: return NULL; /* Option/Result need payload types: lc_type_option, lc_type_sum */
    }
}

/* ---- equality ---- */

static bool names_equal(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

/* Pairs of composite nodes already proven equal. Types are acyclic, so a pair found here is
 * equal; remembering pairs makes comparing two distinct copies of a heavily shared DAG linear
 * in its node count instead of exponential in its depth. Open addressing; on allocation
 * failure the memo simply stops growing (still correct, possibly slower). */
typedef struct eq_memo {
    const lc_type **slots; /* 2 per entry; NULL = empty */
    size_t cap, count;     /* entries */
    const lc_type *small[2 * 64];
} eq_memo;

static size_t memo_hash(const lc_type *a, const lc_type *b, size_t cap)
{
    u64 h = ((u64)(uintptr_t)a * 0x9e3779b97f4a7c15ull) ^ ((u64)(uintptr_t)b >> 4);
    h ^= h >> 29;
    return (size_t)(h * 0xbf58476d1ce4e5b9ull >> 7) & (cap - 1);
}

static bool memo_has(const eq_memo *m, const lc_type *a, const lc_type *b)
{
    for (size_t i = memo_hash(a, b, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (!m->slots[2 * i]) return false;
        if (m->slots[2 * i] == a && m->slots[2 * i + 1] == b) return true;
    }
}

static void memo_put(eq_memo *m, const lc_type *a, const lc_type *b)
{
    if ((m->count + 1) * 2 > m->cap) { /* keep the load under 1/2: grow or stop */
        size_t cap = m->cap * 2;
        const lc_type **slots = lc_calloc(cap * 2, sizeof *slots);
        if (!slots) return;
        eq_memo grown = { slots, cap, 0, { 0 } };
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[2 * i]) memo_put(&grown, m->slots[2 * i], m->slots[2 * i + 1]);
        if (m->slots != m->small) lc_free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    size_t i = memo_hash(a, b, m->cap);
    while (m->slots[2 * i]) i = (i + 1) & (m->cap - 1);
    m->slots[2 * i] = a;
    m->slots[2 * i + 1] = b;
    m->count++;
}

static bool equal_rec(const lc_type *a, const lc_type *b, eq_memo *m)
{
    if (a == b) return true;
    if (!a || !b || a->kind != b->kind) return false;
    switch (a->kind) {
    case LC_T_REF: return a->ref == b->ref;
    case LC_T_ARRAY: return equal_rec(a->array_elem, b->array_elem, m);
    case LC_T_PRODUCT:
    case LC_T_SUM:
        if (a->elem_count != b->elem_count || a->fixed_size != b->fixed_size) return false;
        if (memo_has(m, a, b)) return true;
        for (u32 i = 0; i < a->elem_count; i++) {
            if (!names_equal(a->elems[i].name, b->elems[i].name)) return false;
            if (!equal_rec(a->elems[i].type, b->elems[i].type, m)) return false;
        }
        memo_put(m, a, b);
        return true;
    default: return true; /* primitives: same kind */
    }
}

bool lc_type_equal(const lc_type *a, const lc_type *b)
{
    eq_memo m;
    memset(&m, 0, sizeof m);
    m.slots = m.small;
    m.cap = LC_ARRAY_LEN(m.small) / 2;
    bool eq = equal_rec(a, b, &m);
    if (m.slots != m.small) lc_free(m.slots);
    return eq;
}

/* ---- format ---- */

static const char *const prim_names[LC_T_KIND_COUNT] = {
    [LC_T_STRING] = "String", [LC_T_BOOL] = "Bool", [LC_T_I8] = "I8", [LC_T_U8] = "U8",
    [LC_T_I16] = "I16", [LC_T_U16] = "U16", [LC_T_I32] = "I32", [LC_T_U32] = "U32",
    [LC_T_I64] = "I64", [LC_T_U64] = "U64", [LC_T_I128] = "I128", [LC_T_U128] = "U128",
    [LC_T_I256] = "I256", [LC_T_U256] = "U256", [LC_T_F32] = "F32", [LC_T_F64] = "F64",
};

typedef struct fmt_out {
    char *p;
    size_t len, cap;
} fmt_out;

static void fmt_put(fmt_out *o, const char *s)
{
    size_t n = strlen(s);
    if (o->len + 1 >= o->cap) return;
    size_t room = o->cap - 1 - o->len;
    if (n > room) n = room;
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = 0;
}

static bool fmt_full(const fmt_out *o) { return o->len + 1 >= o->cap; }

static void fmt_type(fmt_out *o, const lc_type *t)
{
    if (fmt_full(o)) return; /* bounds the work on huge or shared (DAG) types */
    char tmp[24];
    switch (t->kind) {
    case LC_T_REF:
        snprintf(tmp, sizeof tmp, "&%u", t->ref);
        fmt_put(o, tmp);
        return;
    case LC_T_ARRAY:
        fmt_put(o, "Array<");
        fmt_type(o, t->array_elem);
        fmt_put(o, ">");
        return;
    case LC_T_PRODUCT:
    case LC_T_SUM:
        fmt_put(o, "(");
        for (u32 i = 0; i < t->elem_count && !fmt_full(o); i++) {
            if (i) fmt_put(o, t->kind == LC_T_SUM ? " | " : ", ");
            if (t->elems[i].name) {
                fmt_put(o, t->elems[i].name);
                fmt_put(o, ": ");
            }
            fmt_type(o, t->elems[i].type);
        }
        if (t->kind == LC_T_SUM && t->elem_count == 0) fmt_put(o, "|");
        fmt_put(o, ")");
        return;
    default: fmt_put(o, t->kind < LC_T_KIND_COUNT ? prim_names[t->kind] : "?"); return;
    }
}

void lc_type_format(const lc_type *t, char *out, size_t cap)
{
    if (!cap) return;
    out[0] = 0;
    fmt_out o = { out, 0, cap };
    fmt_type(&o, t);
}
