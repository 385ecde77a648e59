/*
 * sdk/c-module/spacetimedb.c — runtime of the C module SDK: registry, BSATN, exports, helpers.
 *
 * Design
 *   1. Registration. STDB_TABLE / STDB_REDUCER expand to constructors (priority 101 tables,
 *      102 per-column declarations, 103 reducers) that link static descriptors into two lists.
 *      On wasm32 the module has no _initialize, so the first export call runs
 *      __wasm_call_ctors itself (stdb_boot); natively the C runtime has already run them.
 *      stdb_boot then "seals" the registry: tables sorted by name (typespace ref = position),
 *      reducers sorted lifecycle-first then by name (the C++ bindings' order), so reducer ids
 *      do not depend on constructor or link order.
 *   2. Memory. One bump arena: on wasm it starts at __heap_base and grows the linear memory
 *      with memory.grow; natively it is a static array. Every export call resets it when it
 *      returns, so the guest never leaks between calls. Exhaustion traps (the host rolls back).
 *   3. BSATN. Rows and argument structs are described by stdb_column arrays (kind + offset);
 *      one encoder and one decoder walk them. Decoded strings are copied into the arena.
 *   4. Exports (spec §1.8): __describe_module__(sink) writes RawModuleDef::V10 with the
 *      sections Typespace, Types, Tables, Reducers, Schedules, LifeCycleReducers in that order
 *      (the order the C++ bindings use), and __call_reducer__(id, sender[4], conn[2],
 *      timestamp, args, err_sink) -> 0 ok / 1 user error with the message in the sink.
 *      Naming follows the C++ bindings on the wire: index source name
 *      "{table}_{col}_idx_btree" with accessor "{col}", unique constraints and sequences
 *      without names (the host generates "{table}_{col}_key" / "{table}_{col}_seq"), schedule
 *      named "{table}_sched", the row type named in PascalCase, custom_ordering = true.
 *   5. Host ids. Table and index ids are looked up by name on first use and cached in the
 *      descriptors (they are stable for the life of the schema, spec §1.4).
 */
#include "spacetimedb.h"

/* ---------------------------------------------------------------- freestanding libc */

#ifdef __wasm__
/* clang lowers struct copies and loops to these calls; -nostdlib means we provide them.
 * Eight bytes at a time (wasm allows unaligned loads and stores), then the tail: an
 * interpreter pays per executed instruction, so byte loops would dominate a reducer call. */
typedef uint64_t __attribute__((aligned(1), may_alias)) stdb_u64u;

void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    for (; n >= 8; n -= 8, d += 8, s += 8) *(stdb_u64u *)d = *(const stdb_u64u *)s;
    while (n--) *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d + n <= s || s + n <= d) return memcpy(dst, src, n);
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        while (n--) d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    uint64_t v = (uint8_t)c * 0x0101010101010101ull;
    for (; n >= 8; n -= 8, d += 8) *(stdb_u64u *)d = v;
    while (n--) *d++ = (uint8_t)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n]) n++;
    return n;
}
#define STDB_TRAP() __builtin_trap()
#else
#include <string.h>
#define STDB_TRAP() __builtin_trap()
#endif

static int stdb_strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) a++, b++;
    return (int)(uint8_t)*a - (int)(uint8_t)*b;
}

/* ---------------------------------------------------------------- arena */

#ifdef __wasm__
extern unsigned char __heap_base;
extern void __wasm_call_ctors(void);
static uintptr_t arena_base, arena_top, arena_end;

static void arena_setup(void)
{
    arena_base = arena_top = ((uintptr_t)&__heap_base + 15) & ~(uintptr_t)15;
    arena_end = (uintptr_t)__builtin_wasm_memory_size(0) * 65536u;
}

static void arena_grow(uintptr_t need_end)
{
    if (need_end - arena_base > STDB_ARENA_MAX) STDB_TRAP();
    uintptr_t pages = (need_end - arena_end + 65535u) / 65536u;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) STDB_TRAP();
    arena_end += pages * 65536u;
}
#else
/* Native (host-less tests): a static block stands in for linear memory. */
#define STDB_NATIVE_ARENA (16u << 20)
static _Alignas(16) unsigned char native_heap[STDB_NATIVE_ARENA];
static uintptr_t arena_base, arena_top, arena_end;

static void arena_setup(void)
{
    arena_base = arena_top = (uintptr_t)native_heap;
    arena_end = arena_base + sizeof native_heap;
}

static void arena_grow(uintptr_t need_end)
{
    (void)need_end;
    STDB_TRAP();
}
#endif

void *stdb_arena_alloc(uint32_t size)
{
    uintptr_t p = (arena_top + 15) & ~(uintptr_t)15;
    uintptr_t end = p + size;
    if (end < p) STDB_TRAP();
    if (end > arena_end) arena_grow(end);
    arena_top = end;
    return (void *)p;
}

static void arena_reset(void) { arena_top = arena_base; }

/* ---------------------------------------------------------------- growable byte buffer */

typedef struct wbuf {
    uint8_t *p;
    uint32_t len, cap;
} wbuf;

__attribute__((noinline)) static void wb_grow(wbuf *b, uint32_t n)
{
    uint32_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->len + n) cap *= 2;
    uint8_t *p = stdb_arena_alloc(cap);
    if (b->len) memcpy(p, b->p, b->len);
    b->p = p;
    b->cap = cap;
}

static inline void wb_reserve(wbuf *b, uint32_t n)
{
    if (b->len + n > b->cap) wb_grow(b, n);
}

__attribute__((noinline)) static void wb_put(wbuf *b, const void *src, uint32_t n)
{
    if (n == 0) return; /* src may be NULL for an empty string */
    wb_reserve(b, n);
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void wb_u8(wbuf *b, uint8_t v) { wb_put(b, &v, 1); }

__attribute__((noinline)) static void wb_uint(wbuf *b, uint64_t v, uint32_t width)
{
    uint8_t tmp[8];
    for (uint32_t i = 0; i < width; i++) tmp[i] = (uint8_t)(v >> (8 * i));
    wb_put(b, tmp, width);
}

static void wb_u16(wbuf *b, uint16_t v) { wb_uint(b, v, 2); }
static void wb_u32(wbuf *b, uint32_t v) { wb_uint(b, v, 4); }

static void wb_str(wbuf *b, const char *s, uint32_t n)
{
    wb_u32(b, n);
    wb_put(b, s, n);
}

static void wb_cstr(wbuf *b, const char *s) { wb_str(b, s, (uint32_t)strlen(s)); }

/* ---------------------------------------------------------------- bounded reader */

typedef struct rd {
    const uint8_t *p, *end;
    bool err;
} rd;

static const uint8_t *rd_take(rd *r, uint32_t n)
{
    if (r->err || (uint32_t)(r->end - r->p) < n) {
        r->err = true;
        return 0;
    }
    const uint8_t *q = r->p;
    r->p += n;
    return q;
}

static uint64_t rd_uint(rd *r, uint32_t width)
{
    const uint8_t *q = rd_take(r, width);
    uint64_t v = 0;
    if (!q) return 0;
    for (uint32_t i = 0; i < width; i++) v |= (uint64_t)q[i] << (8 * i);
    return v;
}

/* ---------------------------------------------------------------- BSATN values by kind */

/* Width of the fixed-size kinds (0 = variable or composite). A table: one load. */
static const uint8_t kind_widths[] = {
    [STDB_KIND_BOOL] = 1, [STDB_KIND_U8] = 1, [STDB_KIND_I8] = 1, [STDB_KIND_U16] = 2,
    [STDB_KIND_I16] = 2, [STDB_KIND_U32] = 4, [STDB_KIND_I32] = 4, [STDB_KIND_F32] = 4,
    [STDB_KIND_U64] = 8, [STDB_KIND_I64] = 8, [STDB_KIND_F64] = 8, [STDB_KIND_TIMESTAMP] = 8,
    [STDB_KIND_DURATION] = 8, [STDB_KIND_BYTES] = 0,
};

static inline uint32_t kind_width(uint8_t kind)
{
    return kind < sizeof kind_widths ? kind_widths[kind] : 0;
}

/* Copies a 1/2/4/8-byte scalar with constant-size copies (one load + one store each). */
static inline void copy_scalar(uint8_t *d, const void *s, uint32_t w)
{
    switch (w) {
    case 1: __builtin_memcpy(d, s, 1); break;
    case 2: __builtin_memcpy(d, s, 2); break;
    case 4: __builtin_memcpy(d, s, 4); break;
    default: __builtin_memcpy(d, s, 8); break;
    }
}

static void encode_value(wbuf *b, uint8_t kind, const void *p)
{
    uint32_t w = kind_width(kind);
    if (w) { /* fixed-width little-endian scalars: the C layout is the BSATN on LE targets */
        wb_reserve(b, 8);
        copy_scalar(b->p + b->len, p, w);
        b->len += w;
        return;
    }
    switch (kind) {
    case STDB_KIND_STRING: {
        const stdb_str *s = p;
        wb_str(b, s->ptr, s->len);
        return;
    }
    case STDB_KIND_BYTES: { /* Array<U8>: u32 count + bytes, like a string */
        const stdb_bytes *s = p;
        wb_str(b, (const char *)s->ptr, s->len);
        return;
    }
    case STDB_KIND_OPT_STRING: {
        const stdb_opt_str *o = p;
        if (o->has) {
            wb_u8(b, 0); /* Option: some = tag 0 */
            wb_str(b, o->val.ptr, o->val.len);
        } else {
            wb_u8(b, 1);
        }
        return;
    }
    case STDB_KIND_IDENTITY: wb_put(b, p, 32); return;
    case STDB_KIND_CONNECTION_ID: wb_put(b, p, 16); return;
    case STDB_KIND_SCHEDULE_AT: {
        const stdb_schedule_at *s = p;
        wb_u8(b, s->tag);
        wb_uint(b, (uint64_t)s->micros, 8);
        return;
    }
    default: STDB_TRAP();
    }
}

static stdb_str decode_string(rd *r)
{
    stdb_str s = {"", 0};
    uint32_t n = (uint32_t)rd_uint(r, 4);
    const uint8_t *q = rd_take(r, n);
    if (!q) return s;
    char *copy = stdb_arena_alloc(n + 1);
    memcpy(copy, q, n);
    copy[n] = 0;
    s.ptr = copy;
    s.len = n;
    return s;
}

static void decode_value(rd *r, uint8_t kind, void *p)
{
    uint32_t w = kind_width(kind);
    if (w) {
        const uint8_t *q = rd_take(r, w);
        if (q) copy_scalar(p, q, w);
        if (q && kind == STDB_KIND_BOOL && *q > 1) r->err = true;
        return;
    }
    switch (kind) {
    case STDB_KIND_STRING: *(stdb_str *)p = decode_string(r); return;
    case STDB_KIND_BYTES: {
        stdb_str s = decode_string(r);
        *(stdb_bytes *)p = (stdb_bytes){(const uint8_t *)s.ptr, s.len};
        return;
    }
    case STDB_KIND_OPT_STRING: {
        stdb_opt_str *o = p;
        uint8_t tag = (uint8_t)rd_uint(r, 1);
        o->has = tag == 0;
        o->val = (stdb_str){"", 0};
        if (tag == 0) o->val = decode_string(r);
        else if (tag != 1) r->err = true;
        return;
    }
    case STDB_KIND_IDENTITY: {
        const uint8_t *q = rd_take(r, 32);
        if (q) memcpy(p, q, 32);
        return;
    }
    case STDB_KIND_CONNECTION_ID: {
        const uint8_t *q = rd_take(r, 16);
        if (q) memcpy(p, q, 16);
        return;
    }
    case STDB_KIND_SCHEDULE_AT: {
        stdb_schedule_at *s = p;
        s->tag = (uint8_t)rd_uint(r, 1);
        s->micros = (int64_t)rd_uint(r, 8);
        if (s->tag > 1) r->err = true;
        return;
    }
    default: STDB_TRAP();
    }
}

/* Rows and argument products. Scalars are copied inline here (the common case: the keynote
 * transfer is all scalars); other kinds go through encode_value / decode_value. */
static void encode_struct(wbuf *b, const stdb_column *cols, uint16_t n, const void *obj)
{
    for (uint16_t i = 0; i < n; i++) {
        const uint8_t *src = (const uint8_t *)obj + cols[i].offset;
        uint32_t w = kind_width(cols[i].kind);
        if (w) {
            wb_reserve(b, 8);
            copy_scalar(b->p + b->len, src, w);
            b->len += w;
        } else {
            encode_value(b, cols[i].kind, src);
        }
    }
}

static void decode_struct(rd *r, const stdb_column *cols, uint16_t n, void *obj)
{
    for (uint16_t i = 0; i < n && !r->err; i++) {
        uint8_t *dst = (uint8_t *)obj + cols[i].offset;
        uint32_t w = kind_width(cols[i].kind);
        if (!w) {
            decode_value(r, cols[i].kind, dst);
        } else if ((uint32_t)(r->end - r->p) < w) {
            r->err = true;
        } else {
            if (cols[i].kind == STDB_KIND_BOOL && *r->p > 1) r->err = true;
            copy_scalar(dst, r->p, w);
            r->p += w;
        }
    }
}

/* ---------------------------------------------------------------- registry */

static stdb_table *tables;
static stdb_reducer *reducers;
static uint32_t table_count, reducer_count;
static stdb_reducer **reducer_by_id;
static bool is_sealed;

void stdb_register_table(stdb_table *t)
{
    t->next = tables;
    tables = t;
}

void stdb_register_reducer(stdb_reducer *r)
{
    r->next = reducers;
    reducers = r;
}

uint16_t stdb_table_column(const stdb_table *t, const char *name)
{
    for (uint16_t i = 0; i < t->col_count; i++) {
        if (stdb_strcmp(t->cols[i].name, name) == 0) return i;
    }
    STDB_TRAP();
}

void stdb_table_add_index(stdb_table *t, uint16_t col, bool is_unique, bool is_pk)
{
    if (t->index_count >= STDB_TABLE_INDEX_MAX) STDB_TRAP();
    if (is_pk) {
        if (t->pk_col >= 0) STDB_TRAP(); /* one primary key per table */
        t->pk_col = col;
    }
    /* kept sorted by column so the description does not depend on constructor order */
    uint16_t i = t->index_count++;
    while (i > 0 && t->indexes[i - 1].col > col) {
        t->indexes[i] = t->indexes[i - 1];
        i--;
    }
    t->indexes[i] = (stdb_index_decl){col, is_unique, 0};
}

void stdb_table_add_sequence(stdb_table *t, uint16_t col)
{
    if (t->seq_count >= STDB_TABLE_SEQ_MAX) STDB_TRAP();
    uint16_t i = t->seq_count++;
    while (i > 0 && t->seq_cols[i - 1] > col) {
        t->seq_cols[i] = t->seq_cols[i - 1];
        i--;
    }
    t->seq_cols[i] = col;
}

void stdb_table_set_schedule(stdb_table *t, uint16_t col, const char *reducer)
{
    t->schedule_col = col;
    t->schedule_reducer = reducer;
}

static int reducer_order(const stdb_reducer *a, const stdb_reducer *b)
{
    bool la = a->lifecycle != STDB_LIFECYCLE_NONE, lb = b->lifecycle != STDB_LIFECYCLE_NONE;
    if (la != lb) return la ? -1 : 1;
    return stdb_strcmp(a->name, b->name);
}

/* Insertion sorts of the two linked lists (a module has tens of entries, not thousands). */
static void seal_registry(void)
{
    stdb_table *sorted_t = 0;
    for (stdb_table *t = tables, *next; t; t = next) {
        next = t->next;
        stdb_table **pp = &sorted_t;
        while (*pp && stdb_strcmp((*pp)->name, t->name) < 0) pp = &(*pp)->next;
        t->next = *pp;
        *pp = t;
    }
    tables = sorted_t;
    table_count = 0;
    for (stdb_table *t = tables; t; t = t->next) t->type_ref = table_count++;

    stdb_reducer *sorted_r = 0;
    for (stdb_reducer *r = reducers, *next; r; r = next) {
        next = r->next;
        stdb_reducer **pp = &sorted_r;
        while (*pp && reducer_order(*pp, r) < 0) pp = &(*pp)->next;
        r->next = *pp;
        *pp = r;
    }
    reducers = sorted_r;
    reducer_count = 0;
    for (stdb_reducer *r = reducers; r; r = r->next) reducer_count++;
    is_sealed = true;
}

/* A declaration mistake the host would reject anyway: say which (Panic level), then trap. */
static void declaration_error(const char *what, const char *name)
{
    stdb_str m = stdb_format("module declaration error: %s: %s", what, name);
    console_log(STDB_LOG_PANIC, 0, 0, 0, 0, 0xFFFFFFFFu, (const uint8_t *)m.ptr, m.len);
    STDB_TRAP();
}

static void validate_schedule(const stdb_table *t)
{
    if (t->pk_col < 0 || t->cols[t->pk_col].kind != STDB_KIND_U64)
        declaration_error("a schedule table needs a U64 primary key", t->name);
    if (t->cols[t->schedule_col].kind != STDB_KIND_SCHEDULE_AT)
        declaration_error("the schedule column must be SCHEDULE_AT", t->name);
    for (stdb_reducer *r = reducers; r; r = r->next) {
        if (stdb_strcmp(r->name, t->schedule_reducer) == 0 && r->schedule_table == t) return;
    }
    declaration_error("no STDB_SCHEDULED(reducer, table) for this schedule", t->name);
}

static void validate_registry(void)
{
    for (stdb_table *t = tables; t; t = t->next) {
        if (t->next && stdb_strcmp(t->name, t->next->name) == 0)
            declaration_error("duplicate table", t->name);
        if (t->schedule_col >= 0) validate_schedule(t);
    }
    uint32_t lifecycle_seen[4] = {0, 0, 0, 0};
    for (stdb_reducer *r = reducers; r; r = r->next) {
        for (stdb_reducer *q = r->next; q; q = q->next) {
            if (stdb_strcmp(r->name, q->name) == 0) declaration_error("duplicate reducer", r->name);
        }
        if (r->lifecycle && lifecycle_seen[r->lifecycle]++)
            declaration_error("a second reducer for the same lifecycle event", r->name);
        if (r->schedule_table && r->schedule_table->schedule_col < 0)
            declaration_error("STDB_SCHEDULED on a table without STDB_SCHEDULE", r->name);
    }
}

/* Called at the start of every export. The reducer-id table lives below the arena base so the
 * per-call reset keeps it. */
static void stdb_boot(void)
{
    if (!is_sealed) {
#ifdef __wasm__
        __wasm_call_ctors();
#endif
        seal_registry();
        arena_setup();
        validate_registry();
        reducer_by_id = stdb_arena_alloc((reducer_count + 1) * (uint32_t)sizeof(void *));
        uint32_t i = 0;
        for (stdb_reducer *r = reducers; r; r = r->next) reducer_by_id[i++] = r;
        arena_base = arena_top;
    }
    arena_reset();
}

/* ---------------------------------------------------------------- host byte streams */

static void sink_write_all(uint32_t sink, const uint8_t *p, uint32_t n)
{
    while (n > 0) {
        uint32_t chunk = n;
        if (bytes_sink_write(sink, p, &chunk) != 0) return; /* sink gone: nothing to do */
        if (chunk == 0 || chunk > n) return;
        p += chunk;
        n -= chunk;
    }
}

/* Reads a whole BytesSource (0 = empty) into the arena. */
static uint8_t *source_read_all(uint32_t source, uint32_t *out_len)
{
    static uint8_t empty[1];
    *out_len = 0;
    if (source == 0) return empty;
    uint32_t want = 0;
    if (bytes_source_remaining_length(source, &want) != 0) return empty;
    uint8_t *buf = stdb_arena_alloc(want + 1);
    uint32_t len = 0;
    for (;;) {
        uint32_t n = want - len;
        int32_t rc = bytes_source_read(source, buf + len, &n);
        len += n;
        if (rc == STDB_EXHAUSTED || rc != 0 || len >= want) break;
    }
    *out_len = len;
    return buf;
}

/* ---------------------------------------------------------------- module description */

static void put_type(wbuf *b, uint8_t kind);

static void put_named(wbuf *b, const char *name) /* Option<String>::Some(name) */
{
    wb_u8(b, 0);
    wb_cstr(b, name);
}

static void put_wrapper(wbuf *b, const char *field, uint8_t prim_tag)
{
    wb_u8(b, 2); /* Product */
    wb_u32(b, 1);
    put_named(b, field);
    wb_u8(b, prim_tag);
}

static void put_unit(wbuf *b)
{
    wb_u8(b, 2);
    wb_u32(b, 0);
}

static void put_type(wbuf *b, uint8_t kind)
{
    static const uint8_t prim[] = {
        [STDB_KIND_BOOL] = 5, [STDB_KIND_I8] = 6, [STDB_KIND_U8] = 7, [STDB_KIND_I16] = 8,
        [STDB_KIND_U16] = 9, [STDB_KIND_I32] = 10, [STDB_KIND_U32] = 11, [STDB_KIND_I64] = 12,
        [STDB_KIND_U64] = 13, [STDB_KIND_F32] = 18, [STDB_KIND_F64] = 19,
        [STDB_KIND_STRING] = 4,
    };
    switch (kind) {
    case STDB_KIND_OPT_STRING:
        wb_u8(b, 1); /* Sum { some: String, none: () } */
        wb_u32(b, 2);
        put_named(b, "some");
        wb_u8(b, 4);
        put_named(b, "none");
        put_unit(b);
        return;
    case STDB_KIND_BYTES:
        wb_u8(b, 3); /* Array<U8> */
        wb_u8(b, 7);
        return;
    case STDB_KIND_IDENTITY: put_wrapper(b, "__identity__", 17); return;
    case STDB_KIND_CONNECTION_ID: put_wrapper(b, "__connection_id__", 15); return;
    case STDB_KIND_TIMESTAMP:
        put_wrapper(b, "__timestamp_micros_since_unix_epoch__", 12);
        return;
    case STDB_KIND_DURATION: put_wrapper(b, "__time_duration_micros__", 12); return;
    case STDB_KIND_SCHEDULE_AT:
        wb_u8(b, 1); /* Sum { Interval: TimeDuration, Time: Timestamp } */
        wb_u32(b, 2);
        put_named(b, "Interval");
        put_type(b, STDB_KIND_DURATION);
        put_named(b, "Time");
        put_type(b, STDB_KIND_TIMESTAMP);
        return;
    default:
        if (kind >= sizeof prim || !prim[kind]) STDB_TRAP();
        wb_u8(b, prim[kind]);
    }
}

static void put_product(wbuf *b, const stdb_column *cols, uint16_t n)
{
    wb_u32(b, n);
    for (uint16_t i = 0; i < n; i++) {
        put_named(b, cols[i].name);
        put_type(b, cols[i].kind);
    }
}

static void put_col_list1(wbuf *b, uint16_t col)
{
    wb_u32(b, 1);
    wb_u16(b, col);
}

/* snake_case -> PascalCase ("tick_schedule" -> "TickSchedule") for the row type's name. */
static void put_pascal(wbuf *b, const char *s)
{
    uint32_t n = (uint32_t)strlen(s), out = 0;
    char *tmp = stdb_arena_alloc(n + 1);
    bool up = true;
    for (uint32_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '_') {
            up = true;
            continue;
        }
        tmp[out++] = (char)(up && c >= 'a' && c <= 'z' ? c - 32 : c);
        up = false;
    }
    wb_str(b, tmp, out);
}

static void put_index(wbuf *b, const stdb_table *t, const stdb_index_decl *ix)
{
    const char *col = t->cols[ix->col].name;
    stdb_str name = stdb_format("%s_%s_idx_btree", t->name, col);
    wb_u8(b, 0);
    wb_str(b, name.ptr, name.len); /* source_name */
    put_named(b, col);             /* accessor_name */
    wb_u8(b, 0);                   /* RawIndexAlgorithm::BTree */
    put_col_list1(b, ix->col);
}

static void put_table(wbuf *b, const stdb_table *t)
{
    wb_cstr(b, t->name);
    wb_u32(b, t->type_ref);
    if (t->pk_col >= 0) put_col_list1(b, (uint16_t)t->pk_col);
    else wb_u32(b, 0);
    wb_u32(b, t->index_count);
    for (uint16_t i = 0; i < t->index_count; i++) put_index(b, t, &t->indexes[i]);
    uint32_t uniques = 0;
    for (uint16_t i = 0; i < t->index_count; i++) uniques += t->indexes[i].is_unique;
    wb_u32(b, uniques);
    for (uint16_t i = 0; i < t->index_count; i++) {
        if (!t->indexes[i].is_unique) continue;
        wb_u8(b, 1); /* source_name: None (host generates {table}_{col}_key) */
        wb_u8(b, 0); /* RawConstraintDataV9::Unique */
        put_col_list1(b, t->indexes[i].col);
    }
    wb_u32(b, t->seq_count);
    for (uint16_t i = 0; i < t->seq_count; i++) {
        wb_u8(b, 1);                      /* source_name: None */
        wb_u16(b, t->seq_cols[i]);        /* column */
        wb_u8(b, 1), wb_u8(b, 1), wb_u8(b, 1); /* start, min_value, max_value: None */
        wb_uint(b, 1, 8), wb_uint(b, 0, 8);    /* increment: i128 1 */
    }
    wb_u8(b, 1); /* TableType::User */
    wb_u8(b, t->is_public ? 0 : 1);
    wb_u32(b, 0); /* default_values */
    wb_u8(b, 0);  /* is_event */
}

static void put_reducer(wbuf *b, const stdb_reducer *r)
{
    wb_cstr(b, r->name);
    if (r->schedule_table) {
        wb_u32(b, 1);
        put_named(b, "arg");
        wb_u8(b, 0); /* Ref to the schedule table's row type */
        wb_u32(b, r->schedule_table->type_ref);
    } else {
        put_product(b, r->params, r->param_count);
    }
    bool is_private = r->lifecycle != STDB_LIFECYCLE_NONE || r->schedule_table;
    wb_u8(b, is_private ? 0 : 1); /* FunctionVisibility */
    put_unit(b);                  /* ok_return_type () */
    wb_u8(b, 4);                  /* err_return_type String */
}

static void put_sections_tail(wbuf *b, uint32_t scheduled, uint32_t lifecycles)
{
    if (scheduled) {
        wb_u8(b, 6);
        wb_u32(b, scheduled);
        for (stdb_table *t = tables; t; t = t->next) {
            if (t->schedule_col < 0) continue;
            stdb_str name = stdb_format("%s_sched", t->name); /* as the C++ bindings */
            wb_u8(b, 0);
            wb_str(b, name.ptr, name.len);
            wb_cstr(b, t->name);
            wb_u16(b, (uint16_t)t->schedule_col);
            wb_cstr(b, t->schedule_reducer);
        }
    }
    if (lifecycles) {
        wb_u8(b, 7);
        wb_u32(b, lifecycles);
        for (stdb_reducer *r = reducers; r; r = r->next) {
            if (r->lifecycle == STDB_LIFECYCLE_NONE) continue;
            wb_u8(b, (uint8_t)(r->lifecycle - 1)); /* Init 0, OnConnect 1, OnDisconnect 2 */
            wb_cstr(b, r->name);
        }
    }
}

static void describe(wbuf *b)
{
    uint32_t scheduled = 0, lifecycles = 0;
    for (stdb_table *t = tables; t; t = t->next) scheduled += t->schedule_col >= 0;
    for (stdb_reducer *r = reducers; r; r = r->next) lifecycles += r->lifecycle != 0;
    uint32_t sections = 1 + (table_count ? 2 : 0) + (reducer_count ? 1 : 0) +
                        (scheduled ? 1 : 0) + (lifecycles ? 1 : 0);
    wb_u8(b, 2); /* RawModuleDef::V10 */
    wb_u32(b, sections);
    wb_u8(b, 0); /* Typespace */
    wb_u32(b, table_count);
    for (stdb_table *t = tables; t; t = t->next) {
        wb_u8(b, 2);
        put_product(b, t->cols, t->col_count);
    }
    if (table_count) {
        wb_u8(b, 1); /* Types */
        wb_u32(b, table_count);
        for (stdb_table *t = tables; t; t = t->next) {
            wb_u32(b, 0); /* scope [] */
            put_pascal(b, t->name);
            wb_u32(b, t->type_ref);
            wb_u8(b, 1); /* custom_ordering (the C++ bindings always set it) */
        }
        wb_u8(b, 2); /* Tables */
        wb_u32(b, table_count);
        for (stdb_table *t = tables; t; t = t->next) put_table(b, t);
    }
    if (reducer_count) {
        wb_u8(b, 3); /* Reducers, ids = positions */
        wb_u32(b, reducer_count);
        for (stdb_reducer *r = reducers; r; r = r->next) put_reducer(b, r);
    }
    put_sections_tail(b, scheduled, lifecycles);
}

#ifdef __wasm__
#define STDB_EXPORT(name) __attribute__((export_name(#name))) name
#else
#define STDB_EXPORT(name) name
#endif

void STDB_EXPORT(__describe_module__)(uint32_t sink)
{
    stdb_boot();
    wbuf b = {0, 0, 0};
    describe(&b);
    sink_write_all(sink, b.p, b.len);
    arena_reset();
}

/* ---------------------------------------------------------------- reducer calls */

static const stdb_reducer *current_reducer;

static void u64_to_le(uint8_t *out, uint64_t v) /* all our targets are little-endian */
{
    __builtin_memcpy(out, &v, 8);
}

static int32_t call_reducer(const stdb_reducer *r, stdb_ctx *ctx, uint32_t args_source)
{
    uint32_t len = 0;
    uint8_t *bytes = source_read_all(args_source, &len);
    void *args = stdb_arena_alloc(r->args_size);
    memset(args, 0, r->args_size);
    rd rr = {bytes, bytes + len, false};
    if (r->schedule_table)
        decode_struct(&rr, r->schedule_table->cols, r->schedule_table->col_count, args);
    else
        decode_struct(&rr, r->params, r->param_count, args);
    if (rr.err || rr.p != rr.end)
        return stdb_fail(ctx, "invalid arguments for reducer %s", r->name);
    int rc = r->fn(ctx, args);
    if (rc == 0) return 0;
    if (!ctx->has_error) stdb_fail(ctx, "reducer %s failed", r->name);
    return 1;
}

int32_t STDB_EXPORT(__call_reducer__)(uint32_t id, uint64_t sender_0, uint64_t sender_1,
                                      uint64_t sender_2, uint64_t sender_3, uint64_t conn_id_0,
                                      uint64_t conn_id_1, uint64_t timestamp,
                                      uint32_t args_source, uint32_t error_sink)
{
    stdb_boot();
    if (id >= reducer_count) return -1; /* like the C++ bindings: "unknown return code" */
    stdb_ctx ctx = {0};
    u64_to_le(ctx.sender.bytes, sender_0);
    u64_to_le(ctx.sender.bytes + 8, sender_1);
    u64_to_le(ctx.sender.bytes + 16, sender_2);
    u64_to_le(ctx.sender.bytes + 24, sender_3);
    u64_to_le(ctx.connection_id.bytes, conn_id_0);
    u64_to_le(ctx.connection_id.bytes + 8, conn_id_1);
    ctx.has_connection_id = (conn_id_0 | conn_id_1) != 0;
    ctx.timestamp.micros = (int64_t)timestamp;
    ctx.error_sink = error_sink;
    current_reducer = reducer_by_id[id];
    int32_t rc = call_reducer(current_reducer, &ctx, args_source);
    current_reducer = 0;
    arena_reset();
    return rc;
}

/* ---------------------------------------------------------------- formatting and logging */

static void fmt_uint(wbuf *b, uint64_t v, unsigned base)
{
    char tmp[24];
    int n = 0;
    do {
        unsigned d = (unsigned)(v % base);
        tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    while (n) wb_u8(b, (uint8_t)tmp[--n]);
}

static void fmt_int(wbuf *b, int64_t v)
{
    if (v < 0) {
        wb_u8(b, '-');
        fmt_uint(b, (uint64_t)0 - (uint64_t)v, 10);
    } else {
        fmt_uint(b, (uint64_t)v, 10);
    }
}

/* One conversion after '%'; returns the position after it. */
static const char *fmt_one(wbuf *b, const char *f, va_list *ap)
{
    int longs = 0;
    if (f[0] == '.' && f[1] == '*' && f[2] == 's') {
        int n = va_arg(*ap, int);
        const char *s = va_arg(*ap, const char *);
        wb_put(b, s, n > 0 ? (uint32_t)n : 0);
        return f + 3;
    }
    while (*f == 'l') longs++, f++;
    switch (*f) {
    case 'd': case 'i':
        fmt_int(b, longs >= 2 ? va_arg(*ap, long long) : longs ? va_arg(*ap, long)
                                                                  : va_arg(*ap, int));
        break;
    case 'u': case 'x':
        fmt_uint(b, longs >= 2 ? va_arg(*ap, unsigned long long)
                    : longs    ? va_arg(*ap, unsigned long)
                               : va_arg(*ap, unsigned), *f == 'x' ? 16 : 10);
        break;
    case 's': {
        const char *s = va_arg(*ap, const char *);
        if (!s) s = "(null)";
        wb_put(b, s, (uint32_t)strlen(s));
        break;
    }
    case 'S': {
        stdb_str s = va_arg(*ap, stdb_str);
        wb_put(b, s.ptr, s.len);
        break;
    }
    case 'c': wb_u8(b, (uint8_t)va_arg(*ap, int)); break;
    case '%': wb_u8(b, '%'); break;
    case 0: return f;
    default: wb_u8(b, '%'), wb_u8(b, (uint8_t)*f); break;
    }
    return f + 1;
}

stdb_str stdb_vformat(const char *fmt, va_list ap)
{
    wbuf b = {0, 0, 0};
    va_list cp;
    va_copy(cp, ap);
    for (const char *f = fmt; *f;) {
        if (*f != '%') {
            const char *run = f;
            while (*f && *f != '%') f++;
            wb_put(&b, run, (uint32_t)(f - run));
            continue;
        }
        f = fmt_one(&b, f + 1, &cp);
    }
    va_end(cp);
    wb_u8(&b, 0);
    return (stdb_str){(const char *)b.p, b.len - 1};
}

stdb_str stdb_format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    stdb_str s = stdb_vformat(fmt, ap);
    va_end(ap);
    return s;
}

int stdb_fail(stdb_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    stdb_str s = stdb_vformat(fmt, ap);
    va_end(ap);
    if (!ctx->has_error) {
        sink_write_all(ctx->error_sink, (const uint8_t *)s.ptr, s.len);
        ctx->has_error = true;
    }
    return 1;
}

void stdb_log(uint32_t level, const char *file, uint32_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    stdb_str s = stdb_vformat(fmt, ap);
    va_end(ap);
    const char *target = current_reducer ? current_reducer->name : 0;
    console_log(level, (const uint8_t *)target, target ? (uint32_t)strlen(target) : 0,
                (const uint8_t *)file, file ? (uint32_t)strlen(file) : 0, line,
                (const uint8_t *)s.ptr, s.len);
}

stdb_str stdb_str_from(const char *cstr) { return (stdb_str){cstr, (uint32_t)strlen(cstr)}; }

bool stdb_str_eq(stdb_str a, stdb_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool stdb_identity_eq(const stdb_identity *a, const stdb_identity *b)
{
    return memcmp(a->bytes, b->bytes, 32) == 0;
}

stdb_identity stdb_module_identity(void)
{
    stdb_identity id;
    identity(id.bytes);
    return id;
}

/* ---------------------------------------------------------------- table operations */

/* A failing lookup means the host's schema does not match this module: trap (roll back). */
static uint32_t table_id(stdb_table *t)
{
    if (t->id == 0) {
        uint32_t id = 0;
        if (table_id_from_name((const uint8_t *)t->name, (uint32_t)strlen(t->name), &id) != 0)
            STDB_TRAP();
        t->id = id + 1; /* stored +1 so that host id 0 is cacheable */
    }
    return t->id - 1;
}

static uint32_t index_id(stdb_table *t, uint16_t col)
{
    for (uint16_t i = 0; i < t->index_count; i++) {
        stdb_index_decl *ix = &t->indexes[i];
        if (ix->col != col) continue;
        if (ix->id == 0) {
            stdb_str name = stdb_format("%s_%s_idx_btree", t->name, t->cols[col].name);
            uint32_t id = 0;
            if (index_id_from_name((const uint8_t *)name.ptr, name.len, &id) != 0) STDB_TRAP();
            ix->id = id + 1;
        }
        return ix->id - 1;
    }
    STDB_TRAP(); /* no index declared on this column */
}

static bool is_zero(const void *p, uint32_t n)
{
    const uint8_t *q = p;
    for (uint32_t i = 0; i < n; i++) {
        if (q[i]) return false;
    }
    return true;
}

/* Patches the generated auto_inc values the host wrote back (spec: insert write-back). Only
 * columns that were zero were generated; they come in column order. */
static void patch_generated(stdb_table *t, void *row, const bool *was_zero, const uint8_t *p,
                            uint32_t n)
{
    rd r = {p, p + n, false};
    for (uint16_t c = 0; c < t->col_count; c++) {
        for (uint16_t s = 0; s < t->seq_count; s++) {
            if (t->seq_cols[s] == c && was_zero[s])
                decode_value(&r, t->cols[c].kind, (uint8_t *)row + t->cols[c].offset);
        }
    }
}

static int write_row(stdb_table *t, void *row, int32_t update_col)
{
    bool was_zero[STDB_TABLE_SEQ_MAX];
    for (uint16_t s = 0; s < t->seq_count; s++) {
        const stdb_column *c = &t->cols[t->seq_cols[s]];
        was_zero[s] = is_zero((const uint8_t *)row + c->offset, kind_width(c->kind));
    }
    uint8_t scratch[128]; /* most rows fit: no arena allocation on the hot path */
    wbuf b = {scratch, 0, sizeof scratch};
    encode_struct(&b, t->cols, t->col_count, row);
    uint32_t len = b.len;
    int32_t rc = update_col < 0
                     ? datastore_insert_bsatn(table_id(t), b.p, &len)
                     : datastore_update_bsatn(table_id(t), index_id(t, (uint16_t)update_col),
                                              b.p, &len);
    if (rc != 0) return rc;
    if (len > 0) patch_generated(t, row, was_zero, b.p, len);
    return 0;
}

int stdb_insert(stdb_table *t, void *row) { return write_row(t, row, -1); }

int stdb_update(stdb_table *t, uint16_t col, void *row) { return write_row(t, row, col); }

uint64_t stdb_count(stdb_table *t)
{
    uint64_t n = 0;
    if (datastore_table_row_count(table_id(t), &n) != 0) STDB_TRAP();
    return n;
}

uint64_t stdb_clear(stdb_table *t)
{
    uint64_t n = 0;
    if (datastore_clear(table_id(t), &n) != 0) STDB_TRAP();
    return n;
}

bool stdb_delete_row(stdb_table *t, const void *row)
{
    wbuf b = {0, 0, 0};
    wb_u32(&b, 1); /* an array of one row */
    encode_struct(&b, t->cols, t->col_count, row);
    uint32_t n = 0;
    if (datastore_delete_all_by_eq_bsatn(table_id(t), b.p, b.len, &n) != 0) STDB_TRAP();
    return n > 0;
}

static void iter_start(stdb_iter *it, stdb_table *t, uint32_t handle)
{
    it->table = t;
    it->handle = handle;
    it->buf = 0;
    it->cap = it->len = it->pos = 0;
}

void stdb_iter_table(stdb_iter *it, stdb_table *t)
{
    uint32_t h = 0;
    if (datastore_table_scan_bsatn(table_id(t), &h) != 0) STDB_TRAP();
    iter_start(it, t, h);
}

static void encode_bound(wbuf *b, uint8_t kind, const void *v)
{
    if (!v) {
        wb_u8(b, 2); /* Unbounded */
        return;
    }
    wb_u8(b, 0); /* Included */
    encode_value(b, kind, v);
}

void stdb_iter_index(stdb_iter *it, stdb_table *t, uint16_t col, const void *lo, const void *hi)
{
    wbuf s = {0, 0, 0}, e = {0, 0, 0};
    encode_bound(&s, t->cols[col].kind, lo);
    encode_bound(&e, t->cols[col].kind, hi);
    uint32_t h = 0;
    /* prefix_elems = 0: the prefix is not read, but pass a valid pointer anyway */
    if (datastore_index_scan_range_bsatn(index_id(t, col), s.p, 0, 0, s.p, s.len, e.p, e.len,
                                         &h) != 0)
        STDB_TRAP();
    iter_start(it, t, h);
}

/* Refills the buffer from the host; false when the iterator is exhausted. */
static bool iter_fill(stdb_iter *it)
{
    while (it->handle) {
        if (!it->buf) {
            it->cap = 4096;
            it->buf = stdb_arena_alloc(it->cap);
        }
        uint32_t n = it->cap;
        int32_t rc = row_iter_bsatn_advance(it->handle, it->buf, &n);
        if (rc == STDB_ERRNO_BUFFER_TOO_SMALL) {
            it->cap = n;
            it->buf = stdb_arena_alloc(it->cap);
            continue;
        }
        if (rc != 0 && rc != STDB_EXHAUSTED) STDB_TRAP();
        if (rc == STDB_EXHAUSTED) it->handle = 0;
        it->len = n;
        it->pos = 0;
        if (n > 0) return true;
    }
    return false;
}

bool stdb_iter_next(stdb_iter *it, void *row)
{
    if (it->pos >= it->len && !iter_fill(it)) return false;
    rd r = {it->buf + it->pos, it->buf + it->len, false};
    decode_struct(&r, it->table->cols, it->table->col_count, row);
    if (r.err) STDB_TRAP(); /* the host sent a row that is not of this table's type */
    it->pos = (uint32_t)(r.p - it->buf);
    return true;
}

void stdb_iter_close(stdb_iter *it)
{
    if (it->handle) row_iter_bsatn_close(it->handle);
    it->handle = 0;
    it->len = it->pos = 0;
}

bool stdb_find(stdb_table *t, uint16_t col, const void *key, void *out_row)
{
    uint8_t scratch[64];
    wbuf k = {scratch, 0, sizeof scratch};
    encode_value(&k, t->cols[col].kind, key);
    uint32_t h = 0;
    if (datastore_index_scan_point_bsatn(index_id(t, col), k.p, k.len, &h) != 0) STDB_TRAP();
    stdb_iter it;
    iter_start(&it, t, h);
    bool found = stdb_iter_next(&it, out_row);
    stdb_iter_close(&it);
    return found;
}

uint32_t stdb_delete_by(stdb_table *t, uint16_t col, const void *key)
{
    uint8_t scratch[64];
    wbuf k = {scratch, 0, sizeof scratch};
    encode_value(&k, t->cols[col].kind, key);
    uint32_t n = 0;
    if (datastore_delete_by_index_scan_point_bsatn(index_id(t, col), k.p, k.len, &n) != 0)
        STDB_TRAP();
    return n;
}

uint32_t stdb_delete_range(stdb_table *t, uint16_t col, const void *lo, const void *hi)
{
    wbuf s = {0, 0, 0}, e = {0, 0, 0};
    encode_bound(&s, t->cols[col].kind, lo);
    encode_bound(&e, t->cols[col].kind, hi);
    uint32_t n = 0;
    if (datastore_delete_by_index_scan_range_bsatn(index_id(t, col), s.p, 0, 0, s.p, s.len, e.p,
                                                   e.len, &n) != 0)
        STDB_TRAP();
    return n;
}
