/*
 * sdk/c-module/spacetimedb.h — write SpacetimeDB/Lightcone modules in plain C (wasm32 guests).
 *
 * A module declares tables and reducers with X-macro column lists; each declaration produces
 * (1) a C struct, (2) a static descriptor registered at start-up from which
 * __describe_module__ emits a RawModuleDef V10 (spec-module-abi.md §3.1), and (3) typed helpers
 * that encode/decode rows as BSATN and call the host imports of spacetimedb_abi.h.
 *
 *     #define ACCOUNTS_COLS(X) X(id, U32) X(balance, I64)
 *     STDB_TABLE(accounts, ACCOUNTS_COLS, STDB_PRIVATE);
 *     STDB_PRIMARY_KEY(accounts, id);
 *
 *     #define TRANSFER_ARGS(X) X(from, U32) X(to, U32) X(amount, I64)
 *     STDB_REDUCER(transfer, TRANSFER_ARGS)
 *     {
 *         accounts a;
 *         if (!accounts_find_by_id(args->from, &a)) return stdb_fail(ctx, "account_missing");
 *         ...
 *         return STDB_OK;
 *     }
 *
 * Column kinds (second X argument) and their C types:
 *   BOOL bool | U8 I8 U16 I16 U32 I32 U64 I64 (u)intN_t | F32 float | F64 double
 *   STRING stdb_str | OPT_STRING stdb_opt_str | IDENTITY stdb_identity
 *   CONNECTION_ID stdb_connection_id | TIMESTAMP stdb_timestamp | DURATION stdb_duration
 *   SCHEDULE_AT stdb_schedule_at | BYTES stdb_bytes (Vec<u8>)
 *
 * Generated for a table `t` (static helpers in the .c file that declares the table; for tables
 * shared by several files see STDB_SHARED_TABLES below):
 *   typedef struct t {...} t;            the row
 *   int  t_insert(t *row)                0 or STDB_ERRNO_*; auto_inc columns written back
 *   uint64_t t_count(void)               rows visible in the transaction
 *   uint64_t t_clear(void)               delete every row, returns how many
 *   bool t_delete(const t *row)          delete the row equal in every column
 *   void t_iter(stdb_iter *it)  bool t_next(stdb_iter *it, t *row)   full scan
 * STDB_PRIMARY_KEY(t, c) / STDB_UNIQUE(t, c) add a unique btree index and:
 *   bool t_find_by_c(key, t *out)        point lookup
 *   int  t_update_by_c(t *row)           replace the row with the same key (0 / errno)
 *   bool t_delete_by_c(key)              delete by key
 * STDB_INDEX(t, c) adds a non-unique btree index and:
 *   void t_filter_by_c(stdb_iter *it, const K *lo, const K *hi)   inclusive, NULL = unbounded
 *   uint32_t t_delete_by_c_range(const K *lo, const K *hi)
 * STDB_INDEX2(t, name, a, b) adds a two-column btree index and:
 *   void t_filter_by_name(stdb_iter *it, A a_value, const B *lo, const B *hi)
 * STDB_AUTO_INC(t, c)          a sequence: inserting 0 in `c` takes the next value.
 * STDB_SCHEDULE(t, c, reducer) makes `t` a schedule table (`c` is its SCHEDULE_AT column).
 *
 * Reducers: STDB_REDUCER(name, ARGS) / STDB_REDUCER0(name) / STDB_INIT(name) /
 * STDB_CLIENT_CONNECTED(name) / STDB_CLIENT_DISCONNECTED(name) / STDB_SCHEDULED(name, table).
 * The body sees `stdb_ctx *ctx` and `args` (a pointer to the decoded argument struct, or to the
 * schedule row) and returns STDB_OK or stdb_fail(ctx, fmt, ...).
 *
 * Procedures (spec §4.8): STDB_PROCEDURE(name, ARGS, RET) { ...; *ret = value; return STDB_OK; }
 * RET is a column kind (U32, I64, STRING, ...); clients get *ret back. A procedure runs
 * outside any transaction: stdb_tx_begin() opens one (table helpers then work as in a
 * reducer), stdb_tx_commit() / stdb_tx_abort() end it; one left open is aborted by the host.
 * A non-zero return is an error for the caller (no message: log one first). Outside a
 * transaction a procedure may also call stdb_http() and stdb_sleep_until().
 *
 * Views (spec §4.9): STDB_VIEW(name, t) { ...; stdb_view_push(out, &row); return STDB_OK; }
 * returns rows of table t's row type to each subscriber, run with ctx->sender = that
 * subscriber; STDB_VIEW_ANON(name, t) is the same for everyone (no sender). A view only
 * reads (writes trap); the host runs it again when a table it read changes.
 * STDB_VIEW_SQL(name, t, "SELECT ...") is a query view: the host runs the SQL instead.
 *
 * Memory: every decoded string and temporary buffer comes from a per-call arena that is reset
 * when the export returns, so strings in rows and args are valid until the reducer returns.
 * Limits: a table has at most STDB_TABLE_INDEX_MAX indexes and STDB_TABLE_SEQ_MAX sequences;
 * the arena is bounded by STDB_ARENA_MAX bytes (exceeding it traps, which rolls back).
 * Declaration order does not matter: tables are sorted by name, reducers by (lifecycle first,
 * then name) as the C++ bindings do, so reducer ids are stable across builds.
 */
#ifndef STDB_SPACETIMEDB_H
#define STDB_SPACETIMEDB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spacetimedb_abi.h"

/* ---------------------------------------------------------------- value types */

typedef struct stdb_str { const char *ptr; uint32_t len; } stdb_str;
typedef struct stdb_bytes { const uint8_t *ptr; uint32_t len; } stdb_bytes; /* Vec<u8> */
typedef struct stdb_opt_str { bool has; stdb_str val; } stdb_opt_str;
typedef struct stdb_identity { uint8_t bytes[32]; } stdb_identity;           /* u256 LE */
typedef struct stdb_connection_id { uint8_t bytes[16]; } stdb_connection_id; /* u128 LE */
typedef struct stdb_timestamp { int64_t micros; } stdb_timestamp;  /* since Unix epoch */
typedef struct stdb_duration { int64_t micros; } stdb_duration;
enum { STDB_SCHEDULE_INTERVAL = 0, STDB_SCHEDULE_TIME = 1 };
/* ScheduleAt: tag STDB_SCHEDULE_INTERVAL (micros = period) or STDB_SCHEDULE_TIME (micros =
 * absolute time since the epoch). */
typedef struct stdb_schedule_at { uint8_t tag; int64_t micros; } stdb_schedule_at;

/* The generated codecs copy these types' bytes as their BSATN (little-endian targets). */
_Static_assert(sizeof(stdb_identity) == 32 && sizeof(stdb_connection_id) == 16, "id layout");
_Static_assert(sizeof(stdb_timestamp) == 8 && sizeof(stdb_duration) == 8, "time layout");
_Static_assert(sizeof(bool) == 1 && sizeof(float) == 4 && sizeof(double) == 8, "scalars");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "BSATN is little-endian");

#define STDB_CTYPE_BOOL bool
#define STDB_CTYPE_U8 uint8_t
#define STDB_CTYPE_I8 int8_t
#define STDB_CTYPE_U16 uint16_t
#define STDB_CTYPE_I16 int16_t
#define STDB_CTYPE_U32 uint32_t
#define STDB_CTYPE_I32 int32_t
#define STDB_CTYPE_U64 uint64_t
#define STDB_CTYPE_I64 int64_t
#define STDB_CTYPE_F32 float
#define STDB_CTYPE_F64 double
#define STDB_CTYPE_STRING stdb_str
#define STDB_CTYPE_OPT_STRING stdb_opt_str
#define STDB_CTYPE_IDENTITY stdb_identity
#define STDB_CTYPE_CONNECTION_ID stdb_connection_id
#define STDB_CTYPE_TIMESTAMP stdb_timestamp
#define STDB_CTYPE_DURATION stdb_duration
#define STDB_CTYPE_SCHEDULE_AT stdb_schedule_at
#define STDB_CTYPE_BYTES stdb_bytes

typedef enum stdb_kind {
    STDB_KIND_BOOL = 1, STDB_KIND_U8, STDB_KIND_I8, STDB_KIND_U16, STDB_KIND_I16,
    STDB_KIND_U32, STDB_KIND_I32, STDB_KIND_U64, STDB_KIND_I64, STDB_KIND_F32, STDB_KIND_F64,
    STDB_KIND_STRING, STDB_KIND_OPT_STRING, STDB_KIND_IDENTITY, STDB_KIND_CONNECTION_ID,
    STDB_KIND_TIMESTAMP, STDB_KIND_DURATION, STDB_KIND_SCHEDULE_AT, STDB_KIND_BYTES,
} stdb_kind;

#define STDB_OK 0
#define STDB_PUBLIC true
#define STDB_PRIVATE false
#define STDB_TABLE_INDEX_MAX 8 /* indexes per table; plenty for hand-written modules */
#define STDB_TABLE_SEQ_MAX 4   /* auto_inc columns per table */
#define STDB_ARENA_MAX (64u << 20) /* per-call scratch memory; beyond it the call traps */

/* ---------------------------------------------------------------- BSATN buffers (internal) */

/* Growable output buffer (arena-backed) and bounded input reader used by the generated
 * per-table and per-reducer codecs. Internal: names with a double underscore may change. */
typedef struct stdb__wbuf { uint8_t *p; uint32_t len, cap; } stdb__wbuf;
typedef struct stdb__rd { const uint8_t *p, *end; bool err; } stdb__rd;
typedef void (*stdb__enc_fn)(stdb__wbuf *b, const void *obj);
typedef void (*stdb__dec_fn)(stdb__rd *r, void *obj);
/* Fixed-size codecs (every column of fixed width): no bounds or capacity checks, the caller
 * checked the length once. The decoder returns false on an invalid bool byte. */
typedef void (*stdb__encx_fn)(uint8_t *p, const void *obj);
typedef bool (*stdb__decx_fn)(const uint8_t *p, void *obj);
void stdb__wb_grow(stdb__wbuf *b, uint32_t n);
void stdb__enc_value(stdb__wbuf *b, uint8_t kind, const void *p); /* any kind */
void stdb__dec_value(stdb__rd *r, uint8_t kind, void *p);        /* any kind */

/* Byte width of the kinds whose C layout is their BSATN (little-endian targets); 0 = other. */
#define STDB_WIDTH_BOOL 1
#define STDB_WIDTH_U8 1
#define STDB_WIDTH_I8 1
#define STDB_WIDTH_U16 2
#define STDB_WIDTH_I16 2
#define STDB_WIDTH_U32 4
#define STDB_WIDTH_I32 4
#define STDB_WIDTH_U64 8
#define STDB_WIDTH_I64 8
#define STDB_WIDTH_F32 4
#define STDB_WIDTH_F64 8
#define STDB_WIDTH_STRING 0
#define STDB_WIDTH_OPT_STRING 0
#define STDB_WIDTH_IDENTITY 32
#define STDB_WIDTH_CONNECTION_ID 16
#define STDB_WIDTH_TIMESTAMP 8
#define STDB_WIDTH_DURATION 8
#define STDB_WIDTH_SCHEDULE_AT 0
#define STDB_WIDTH_BYTES 0

/* Constant-size copy: with a constant w this compiles to one or a few loads and stores. */
static inline void stdb__copy_w(void *d, const void *s, uint32_t w)
{
    switch (w) {
    case 1: __builtin_memcpy(d, s, 1); break;
    case 2: __builtin_memcpy(d, s, 2); break;
    case 4: __builtin_memcpy(d, s, 4); break;
    case 8: __builtin_memcpy(d, s, 8); break;
    case 16: __builtin_memcpy(d, s, 16); break;
    default: __builtin_memcpy(d, s, 32); break;
    }
}

/* Constant-size copy for the fixed-size codecs; width 0 (variable kinds, never reached when a
 * codec is fixed-size) copies nothing. */
static inline void stdb__copy_fixed(void *d, const void *s, uint32_t w)
{
    switch (w) {
    case 1: __builtin_memcpy(d, s, 1); break;
    case 2: __builtin_memcpy(d, s, 2); break;
    case 4: __builtin_memcpy(d, s, 4); break;
    case 8: __builtin_memcpy(d, s, 8); break;
    case 16: __builtin_memcpy(d, s, 16); break;
    case 32: __builtin_memcpy(d, s, 32); break;
    default: break;
    }
}

static inline void stdb__enc_any(stdb__wbuf *b, uint8_t kind, uint32_t w, const void *p)
{
    if (w == 0) {
        stdb__enc_value(b, kind, p);
        return;
    }
    if (b->len + w > b->cap) stdb__wb_grow(b, w);
    stdb__copy_w(b->p + b->len, p, w);
    b->len += w;
}

static inline bool stdb__dec_any(stdb__rd *r, uint8_t kind, uint32_t w, void *p)
{
    if (w == 0) {
        stdb__dec_value(r, kind, p);
        return !r->err;
    }
    if (r->err || (uint32_t)(r->end - r->p) < w || (kind == 1 /* BOOL */ && *r->p > 1)) {
        r->err = true;
        return false;
    }
    stdb__copy_w(p, r->p, w);
    r->p += w;
    return true;
}

/* ---------------------------------------------------------------- descriptors */

typedef struct stdb_column {
    const char *name;
    uint8_t kind;    /* stdb_kind */
    uint16_t offset; /* offsetof in the row / args struct */
} stdb_column;

typedef struct stdb_index_decl {
    uint16_t col;
    bool is_unique;
    uint32_t id;          /* index id from the host, 0 = not looked up yet (cached) */
    uint16_t col2;        /* second column when ncols == 2 */
    uint8_t ncols;        /* 1 or 2 */
    const char *accessor; /* two-column indexes: the name given to STDB_INDEX2 */
} stdb_index_decl;

typedef struct stdb_table {
    const char *name;
    const stdb_column *cols;
    uint16_t col_count;
    uint16_t row_size;
    bool is_public;
    int32_t pk_col; /* -1: no primary key */
    stdb_index_decl indexes[STDB_TABLE_INDEX_MAX];
    uint16_t index_count;
    uint16_t seq_cols[STDB_TABLE_SEQ_MAX];
    uint16_t seq_count;
    int32_t schedule_col; /* -1: not a schedule table */
    const char *schedule_reducer;
    uint32_t id;        /* table id from the host, 0 = not looked up yet */
    uint32_t type_ref;  /* position in the typespace, set when the registry is sealed */
    struct stdb_table *next;
    stdb__enc_fn encode; /* generated row codecs (straight-line code per column) */
    stdb__dec_fn decode;
    uint32_t fixed_size;   /* BSATN size + 1 when every column is fixed-width, else 0 */
    stdb__encx_fn encodex; /* fixed-size codecs, used when fixed_size != 0 */
    stdb__decx_fn decodex;
    uint16_t hot_col;      /* one-entry cache of index_id(): last column looked up ... */
    uint32_t hot_index;    /* ... and its index id + 1 (0 = empty) */
} stdb_table;

typedef struct stdb_ctx {
    stdb_identity sender;
    stdb_connection_id connection_id; /* all zero when has_connection_id is false */
    bool has_connection_id;
    stdb_timestamp timestamp;
    uint32_t error_sink;
    bool has_error;
} stdb_ctx;

typedef int (*stdb_reducer_fn)(stdb_ctx *ctx, void *args);

enum { STDB_LIFECYCLE_NONE = 0, STDB_LIFECYCLE_INIT, STDB_LIFECYCLE_CONNECTED,
       STDB_LIFECYCLE_DISCONNECTED };

typedef struct stdb_reducer {
    const char *name;
    const stdb_column *params;
    uint16_t param_count;
    uint16_t args_size;
    uint8_t lifecycle;           /* STDB_LIFECYCLE_* */
    stdb_table *schedule_table;  /* scheduled reducers: the single parameter is its row */
    stdb_reducer_fn fn;
    struct stdb_reducer *next;
    stdb__dec_fn decode; /* generated argument decoder (unused for scheduled reducers) */
    uint32_t fixed_size;   /* argument BSATN size + 1 when every one is fixed-width, else 0 */
    stdb__decx_fn decodex; /* fixed-size argument decoder, used when fixed_size != 0 */
} stdb_reducer;

typedef int (*stdb_procedure_fn)(stdb_ctx *ctx, void *args, void *ret);

typedef struct stdb_procedure {
    const char *name;
    const stdb_column *params;
    uint16_t param_count;
    uint16_t args_size;
    uint8_t ret_kind;   /* STDB_KIND_* of the returned value */
    uint16_t ret_size;  /* sizeof its C type */
    stdb_procedure_fn fn;
    stdb__dec_fn decode; /* generated argument decoder */
    struct stdb_procedure *next;
} stdb_procedure;

/* Rows a view returns (stdb_view_push appends one). */
typedef struct stdb_view_out {
    stdb__wbuf buf;
    uint32_t count;
    const struct stdb_table *table;
} stdb_view_out;
typedef int (*stdb_view_fn)(stdb_ctx *ctx, stdb_view_out *out);
typedef struct stdb_view {
    const char *name;
    struct stdb_table *table; /* the row type */
    bool is_anonymous;
    uint32_t index;           /* within its kind (anonymous / sender), set when sealed */
    stdb_view_fn fn;
    struct stdb_view *next;
    const char *sql;          /* STDB_VIEW_SQL: the query the host runs instead of fn */
} stdb_view;

/* Iterator over rows of a table scan or index scan. Rows come from a growable buffer. */
typedef struct stdb_iter {
    const stdb_table *table;
    uint32_t handle; /* host RowIter, 0 when exhausted */
    uint8_t *buf;
    uint32_t cap, len, pos;
} stdb_iter;

/* ---------------------------------------------------------------- runtime API */

void stdb_register_table(stdb_table *t);
void stdb_register_reducer(stdb_reducer *r);
void stdb_register_procedure(stdb_procedure *p);
void stdb_register_view(stdb_view *v);
/* Inside a view: appends one row (a pointer to the view's row struct). */
void stdb_view_push(stdb_view_out *out, const void *row);
/* Inside a procedure: open, commit or abort its transaction (0 or STDB_ERRNO_*). */
int stdb_tx_begin(void);
int stdb_tx_commit(void);
int stdb_tx_abort(void);
/* Inside a procedure, outside a transaction: one HTTP request. method "GET", "POST", ...;
 * body may be empty; timeout_ms 0 = the host's default. Returns 0 with out->code and
 * out->body (arena memory) on any response, STDB_ERRNO_HTTP_ERROR with *err = the reason on
 * a transport failure, or another STDB_ERRNO_*. */
typedef struct stdb_http_response { uint16_t code; stdb_bytes body; } stdb_http_response;
int stdb_http(const char *method, stdb_str uri, stdb_bytes body, uint64_t timeout_ms,
              stdb_http_response *out, stdb_str *err);
/* Inside a procedure, outside a transaction: waits until the time (micros since the epoch;
 * the host bounds one wait) and returns the time it woke. */
int64_t stdb_sleep_until(int64_t wake_at_micros);
void stdb_table_add_index(stdb_table *t, uint16_t col, bool is_unique, bool is_pk);
void stdb_table_add_index2(stdb_table *t, uint16_t col, uint16_t col2, const char *accessor);
void stdb_table_add_sequence(stdb_table *t, uint16_t col);
void stdb_table_set_schedule(stdb_table *t, uint16_t col, const char *reducer);

int stdb_insert(stdb_table *t, void *row);
uint64_t stdb_count(stdb_table *t);
uint64_t stdb_clear(stdb_table *t);
bool stdb_delete_row(stdb_table *t, const void *row);
void stdb_iter_table(stdb_iter *it, stdb_table *t);
void stdb_iter_index(stdb_iter *it, stdb_table *t, uint16_t col, const void *lo,
                     const void *hi);
bool stdb_iter_next(stdb_iter *it, void *row);
void stdb_iter_close(stdb_iter *it);
/* Two-column index `index_name` on (col, col2): rows with col == *first and col2 in
 * [lo, hi] (NULL = unbounded), in index order. `id_cache` holds the looked-up index id. */
void stdb_iter_prefix(stdb_iter *it, stdb_table *t, const char *index_name, uint32_t *id_cache,
                      uint16_t col, const void *first, uint16_t col2, const void *lo,
                      const void *hi);
bool stdb_find(stdb_table *t, uint16_t col, const void *key, void *out_row);
int stdb_update(stdb_table *t, uint16_t col, void *row);
uint32_t stdb_delete_by(stdb_table *t, uint16_t col, const void *key);
uint32_t stdb_delete_range(stdb_table *t, uint16_t col, const void *lo, const void *hi);

/* Returns 1 (HOST_CALL_FAILURE): the reducer fails with this message, its writes roll back.
 * Formats: %s %.*s %d %i %u %ld %lu %lld %llu %x %c %% and %S (a stdb_str by value). */
int stdb_fail(stdb_ctx *ctx, const char *fmt, ...);
/* Formats into the per-call arena; the result is NUL-terminated and also given as a stdb_str. */
stdb_str stdb_format(const char *fmt, ...);
stdb_str stdb_vformat(const char *fmt, va_list ap);
stdb_str stdb_str_from(const char *cstr);
bool stdb_str_eq(stdb_str a, stdb_str b);
bool stdb_identity_eq(const stdb_identity *a, const stdb_identity *b);
/* The database's own identity (import `identity`). */
stdb_identity stdb_module_identity(void);
void *stdb_arena_alloc(uint32_t size);

enum { STDB_LOG_ERROR = 0, STDB_LOG_WARN = 1, STDB_LOG_INFO = 2, STDB_LOG_DEBUG = 3,
       STDB_LOG_TRACE = 4, STDB_LOG_PANIC = 101 };
void stdb_log(uint32_t level, const char *file, uint32_t line, const char *fmt, ...);
#define STDB_LOG(level, ...) stdb_log((level), __FILE__, __LINE__, __VA_ARGS__)
#define STDB_LOG_E(...) STDB_LOG(STDB_LOG_ERROR, __VA_ARGS__)
#define STDB_LOG_W(...) STDB_LOG(STDB_LOG_WARN, __VA_ARGS__)
#define STDB_LOG_I(...) STDB_LOG(STDB_LOG_INFO, __VA_ARGS__)
#define STDB_LOG_D(...) STDB_LOG(STDB_LOG_DEBUG, __VA_ARGS__)

/* ---------------------------------------------------------------- declaration macros */

/* Descriptor arrays are built inside functions where a block-scope typedef `stdb__row` names
 * the struct being described, so the user's two-argument X macros need no table name. */
#define STDB_UNUSED __attribute__((unused))
#define STDB__FIELD(name, kind) STDB_CTYPE_##kind name;
#define STDB__COL(name, kind) {#name, STDB_KIND_##kind, (uint16_t)offsetof(stdb__row, name)},
#define STDB__KEY_TYPE(T, c) __typeof__(((T *)0)->c)
#define STDB__ENC(name, kind) stdb__enc_any(b, STDB_KIND_##kind, STDB_WIDTH_##kind, &row->name);
#define STDB__DEC(name, kind)                                                                \
    if (!stdb__dec_any(r, STDB_KIND_##kind, STDB_WIDTH_##kind, &row->name)) return;
/* Defines static codecs `fn##_enc` / `fn##_dec` for struct type ST with columns COLS. */
#define STDB__CODECS(fn, ST, COLS)                                                           \
    static STDB_UNUSED void fn##_enc(STDB_UNUSED stdb__wbuf *b, STDB_UNUSED const void *obj) \
    {                                                                                        \
        STDB_UNUSED const ST *row = (const ST *)obj;                                         \
        COLS(STDB__ENC)                                                                      \
    }                                                                                        \
    static STDB_UNUSED void fn##_dec(STDB_UNUSED stdb__rd *r, STDB_UNUSED void *obj)         \
    {                                                                                        \
        STDB_UNUSED ST *row = (ST *)obj;                                                     \
        COLS(STDB__DEC)                                                                      \
    }
/* Fixed-size codecs `fn##_encx` / `fn##_decx` and `fn##_fixed`, the BSATN size + 1 when every
 * column has a fixed width (0 otherwise). Straight-line loads and stores, nothing else. */
#define STDB__ENCX(name, kind)                                                               \
    stdb__copy_fixed(p, &row->name, STDB_WIDTH_##kind);                                      \
    p += STDB_WIDTH_##kind;
#define STDB__DECX(name, kind)                                                               \
    if (STDB_KIND_##kind == STDB_KIND_BOOL && *p > 1) return false;                          \
    stdb__copy_fixed(&row->name, p, STDB_WIDTH_##kind);                                      \
    p += STDB_WIDTH_##kind;
#define STDB__WSUM(name, kind) +STDB_WIDTH_##kind
#define STDB__WVAR(name, kind) +(STDB_WIDTH_##kind == 0)
#define STDB__CODECSX(fn, ST, COLS)                                                          \
    enum { fn##_fixed = (0 COLS(STDB__WVAR)) ? 0 : 1 + (0 COLS(STDB__WSUM)) };               \
    static STDB_UNUSED void fn##_encx(STDB_UNUSED uint8_t *p, STDB_UNUSED const void *obj)   \
    {                                                                                        \
        STDB_UNUSED const ST *row = (const ST *)obj;                                         \
        COLS(STDB__ENCX)                                                                     \
    }                                                                                        \
    static STDB_UNUSED bool fn##_decx(STDB_UNUSED const uint8_t *p, STDB_UNUSED void *obj)   \
    {                                                                                        \
        STDB_UNUSED ST *row = (ST *)obj;                                                     \
        COLS(STDB__DECX)                                                                     \
        return true;                                                                         \
    }
#define STDB__COUNT(a) ((uint16_t)(sizeof(a) / sizeof((a)[0])))

/* Looks a column up by name (traps if absent: a declaration bug). */
uint16_t stdb_table_column(const stdb_table *t, const char *name);

/* Tables shared by several .c files: put the declarations in a header that starts with
 * `#define STDB_SHARED_TABLES` (before including this file), include it everywhere, and in
 * exactly one .c `#define STDB_DEFINE_TABLES` first. That file then holds the descriptors
 * and their registration; the others see `extern` descriptors and the same helpers. */
#if defined(STDB_SHARED_TABLES) && !defined(STDB_DEFINE_TABLES)
#define STDB__STORAGE extern
#define STDB__DEF(...)
#elif defined(STDB_SHARED_TABLES)
#define STDB__STORAGE
#define STDB__DEF(...) __VA_ARGS__
#else
#define STDB__STORAGE static
#define STDB__DEF(...) __VA_ARGS__
#endif

#define STDB_TABLE(T, COLS, is_public_)                                                      \
    typedef struct T { COLS(STDB__FIELD) } T;                                                \
    STDB__STORAGE stdb_table T##__table STDB__DEF(= {#T, 0, 0, sizeof(T), (is_public_), -1,  \
                                                     {{0}}, 0, {0}, 0, -1, 0, 0, 0, 0, 0, 0, \
                                                     0, 0, 0, 0, 0});                        \
    STDB__DEF(STDB__CODECS(T##__row, T, COLS) STDB__CODECSX(T##__row, T, COLS)               \
    __attribute__((constructor(101))) static void T##__register(void)                        \
    {                                                                                        \
        typedef T stdb__row;                                                                 \
        static const stdb_column cols[] = { COLS(STDB__COL) };                               \
        T##__table.cols = cols;                                                              \
        T##__table.col_count = STDB__COUNT(cols);                                            \
        T##__table.encode = T##__row_enc;                                                    \
        T##__table.decode = T##__row_dec;                                                    \
        T##__table.fixed_size = T##__row_fixed;                                              \
        T##__table.encodex = T##__row_encx;                                                  \
        T##__table.decodex = T##__row_decx;                                                  \
        stdb_register_table(&T##__table);                                                    \
    })                                                                                       \
    static STDB_UNUSED int T##_insert(T *row) { return stdb_insert(&T##__table, row); }      \
    static STDB_UNUSED uint64_t T##_count(void) { return stdb_count(&T##__table); }          \
    static STDB_UNUSED uint64_t T##_clear(void) { return stdb_clear(&T##__table); }          \
    static STDB_UNUSED bool T##_delete(const T *row)                                         \
    {                                                                                        \
        return stdb_delete_row(&T##__table, row);                                            \
    }                                                                                        \
    static STDB_UNUSED void T##_iter(stdb_iter *it) { stdb_iter_table(it, &T##__table); }    \
    static STDB_UNUSED bool T##_next(stdb_iter *it, T *row) { return stdb_iter_next(it, row); } \
    typedef int T##__semicolon_sink

/* Shared by the per-column declarations: resolves the column once at start-up. */
#define STDB__COLUMN_DECL(T, c, what, call)                                                  \
    STDB__STORAGE uint16_t T##__##what##_##c;                                                \
    STDB__DEF(__attribute__((constructor(102))) static void T##__##what##_reg_##c(void)      \
    {                                                                                        \
        (void)sizeof(STDB__KEY_TYPE(T, c)); /* compile-time: c is a column of T */           \
        T##__##what##_##c = stdb_table_column(&T##__table, #c);                              \
        call;                                                                                \
    })

#define STDB__UNIQUE_HELPERS(T, c, what)                                                     \
    static STDB_UNUSED bool T##_find_by_##c(STDB__KEY_TYPE(T, c) key, T *out)                \
    {                                                                                        \
        return stdb_find(&T##__table, T##__##what##_##c, &key, out);                         \
    }                                                                                        \
    static STDB_UNUSED int T##_update_by_##c(T *row)                                         \
    {                                                                                        \
        return stdb_update(&T##__table, T##__##what##_##c, row);                             \
    }                                                                                        \
    static STDB_UNUSED bool T##_delete_by_##c(STDB__KEY_TYPE(T, c) key)                      \
    {                                                                                        \
        return stdb_delete_by(&T##__table, T##__##what##_##c, &key) > 0;                     \
    }

#define STDB_PRIMARY_KEY(T, c)                                                               \
    STDB__COLUMN_DECL(T, c, pk, stdb_table_add_index(&T##__table, T##__pk_##c, true, true))  \
    STDB__UNIQUE_HELPERS(T, c, pk) typedef int T##__pk_semicolon_sink_##c

#define STDB_UNIQUE(T, c)                                                                    \
    STDB__COLUMN_DECL(T, c, uq, stdb_table_add_index(&T##__table, T##__uq_##c, true, false)) \
    STDB__UNIQUE_HELPERS(T, c, uq) typedef int T##__uq_semicolon_sink_##c

#define STDB_INDEX(T, c)                                                                     \
    STDB__COLUMN_DECL(T, c, ix, stdb_table_add_index(&T##__table, T##__ix_##c, false, false)) \
    static STDB_UNUSED void T##_filter_by_##c(stdb_iter *it, const STDB__KEY_TYPE(T, c) *lo, \
                                              const STDB__KEY_TYPE(T, c) *hi)                \
    {                                                                                        \
        stdb_iter_index(it, &T##__table, T##__ix_##c, lo, hi);                               \
    }                                                                                        \
    static STDB_UNUSED uint32_t T##_delete_by_##c##_range(const STDB__KEY_TYPE(T, c) *lo,    \
                                                          const STDB__KEY_TYPE(T, c) *hi)    \
    {                                                                                        \
        return stdb_delete_range(&T##__table, T##__ix_##c, lo, hi);                          \
    }                                                                                        \
    typedef int T##__ix_semicolon_sink_##c

/* A two-column btree index on (a, b), accessor `name`: T_filter_by_name(&it, a_value, &lo, &hi)
 * iterates the rows with column a == a_value and b in [lo, hi] (NULL = unbounded). */
#define STDB_INDEX2(T, name, a, b)                                                           \
    STDB__STORAGE uint16_t T##__i2a_##name, T##__i2b_##name;                                 \
    static uint32_t T##__i2id_##name; /* index id cache, per file */                         \
    STDB__DEF(__attribute__((constructor(102))) static void T##__i2reg_##name(void)          \
    {                                                                                        \
        (void)sizeof(STDB__KEY_TYPE(T, a));                                                  \
        (void)sizeof(STDB__KEY_TYPE(T, b));                                                  \
        T##__i2a_##name = stdb_table_column(&T##__table, #a);                                \
        T##__i2b_##name = stdb_table_column(&T##__table, #b);                                \
        stdb_table_add_index2(&T##__table, T##__i2a_##name, T##__i2b_##name, #name);         \
    })                                                                                       \
    static STDB_UNUSED void T##_filter_by_##name(stdb_iter *it, STDB__KEY_TYPE(T, a) first,  \
                                                 const STDB__KEY_TYPE(T, b) *lo,             \
                                                 const STDB__KEY_TYPE(T, b) *hi)             \
    {                                                                                        \
        stdb_iter_prefix(it, &T##__table, #T "_" #a "_" #b "_idx_btree", &T##__i2id_##name,   \
                         T##__i2a_##name, &first, T##__i2b_##name, lo, hi);                  \
    }                                                                                        \
    typedef int T##__i2_semicolon_sink_##name

#define STDB_AUTO_INC(T, c)                                                                  \
    STDB__COLUMN_DECL(T, c, seq, stdb_table_add_sequence(&T##__table, T##__seq_##c))         \
    typedef int T##__seq_semicolon_sink_##c

#define STDB_SCHEDULE(T, c, reducer)                                                         \
    STDB__COLUMN_DECL(T, c, sched,                                                           \
                      stdb_table_set_schedule(&T##__table, T##__sched_##c, #reducer))        \
    typedef int T##__sched_semicolon_sink_##c

/* Reducers. The body follows the macro: STDB_REDUCER(name, ARGS) { ... return STDB_OK; } */
#define STDB__REDUCER_COMMON(R, ARGT, ARGS, lifecycle_, sched_)                              \
    static int R##__impl(stdb_ctx *ctx, ARGT *args);                                         \
    static int R##__thunk(stdb_ctx *ctx, void *args) { return R##__impl(ctx, (ARGT *)args); } \
    static stdb_reducer R##__reducer = {#R, 0, 0, sizeof(ARGT), lifecycle_, sched_,          \
                                        R##__thunk, 0, 0, 0, 0};                             \
    STDB__CODECS(R##__args, ARGT, ARGS)                                                      \
    STDB__CODECSX(R##__args, ARGT, ARGS)                                                     \
    __attribute__((constructor(103))) static void R##__register(void)                        \
    {                                                                                        \
        typedef ARGT stdb__row __attribute__((unused));                                      \
        static const stdb_column params[] = { ARGS(STDB__COL) {0, 0, 0} };                   \
        R##__reducer.params = params;                                                        \
        R##__reducer.param_count = (uint16_t)(STDB__COUNT(params) - 1);                      \
        R##__reducer.decode = R##__args_dec;                                                 \
        R##__reducer.fixed_size = R##__args_fixed;                                           \
        R##__reducer.decodex = R##__args_decx;                                               \
        stdb_register_reducer(&R##__reducer);                                                \
    }                                                                                        \
    static int R##__impl(STDB_UNUSED stdb_ctx *ctx, STDB_UNUSED ARGT *args)

#define STDB__NO_ARGS(X)

#define STDB_REDUCER(R, ARGS)                                                                \
    struct R##__args { ARGS(STDB__FIELD) char stdb__pad; };                                  \
    STDB__REDUCER_COMMON(R, struct R##__args, ARGS, STDB_LIFECYCLE_NONE, 0)

#define STDB__NULLARY(R, lifecycle_)                                                         \
    struct R##__args { char stdb__pad; };                                                    \
    STDB__REDUCER_COMMON(R, struct R##__args, STDB__NO_ARGS, lifecycle_, 0)

#define STDB_REDUCER0(R) STDB__NULLARY(R, STDB_LIFECYCLE_NONE)
#define STDB_INIT(R) STDB__NULLARY(R, STDB_LIFECYCLE_INIT)
#define STDB_CLIENT_CONNECTED(R) STDB__NULLARY(R, STDB_LIFECYCLE_CONNECTED)
#define STDB_CLIENT_DISCONNECTED(R) STDB__NULLARY(R, STDB_LIFECYCLE_DISCONNECTED)
/* A reducer called by the scheduler with one argument: the row of schedule table T. */
#define STDB_SCHEDULED(R, T)                                                                 \
    STDB__REDUCER_COMMON(R, T, STDB__NO_ARGS, STDB_LIFECYCLE_NONE, &T##__table)

/* Views (see "Views" above). */
#define STDB__VIEW(V, T, anon_)                                                              \
    static int V##__impl(stdb_ctx *ctx, stdb_view_out *out);                                 \
    static stdb_view V##__view = {#V, &T##__table, anon_, 0, V##__impl, 0, 0};               \
    __attribute__((constructor(103))) static void V##__register(void)                        \
    {                                                                                        \
        stdb_register_view(&V##__view);                                                      \
    }                                                                                        \
    static int V##__impl(STDB_UNUSED stdb_ctx *ctx, STDB_UNUSED stdb_view_out *out)
#define STDB_VIEW(V, T) STDB__VIEW(V, T, false)
#define STDB_VIEW_ANON(V, T) STDB__VIEW(V, T, true)
/* A query view (as the query builders of the official SDKs make): the host subscribes to
 * `sql`, a SELECT returning rows of table T, and keeps it live like any subscription. */
#define STDB_VIEW_SQL(V, T, sql_)                                                            \
    static stdb_view V##__view = {#V, &T##__table, true, 0, 0, 0, sql_};                     \
    __attribute__((constructor(103))) static void V##__register(void)                        \
    {                                                                                        \
        stdb_register_view(&V##__view);                                                      \
    }                                                                                        \
    typedef int V##__view_semicolon_sink

/* A procedure returning one value of kind RET through `ret` (see "Procedures" above). */
#define STDB_PROCEDURE(P, ARGS, RET)                                                         \
    struct P##__args { ARGS(STDB__FIELD) char stdb__pad; };                                  \
    static int P##__impl(stdb_ctx *ctx, struct P##__args *args, STDB_CTYPE_##RET *ret);      \
    static int P##__thunk(stdb_ctx *ctx, void *args, void *ret)                              \
    {                                                                                        \
        return P##__impl(ctx, (struct P##__args *)args, (STDB_CTYPE_##RET *)ret);            \
    }                                                                                        \
    static stdb_procedure P##__procedure = {#P, 0, 0, sizeof(struct P##__args),              \
                                            STDB_KIND_##RET, sizeof(STDB_CTYPE_##RET),       \
                                            P##__thunk, 0, 0};                               \
    STDB__CODECS(P##__args, struct P##__args, ARGS)                                          \
    __attribute__((constructor(103))) static void P##__register(void)                        \
    {                                                                                        \
        typedef struct P##__args stdb__row __attribute__((unused));                          \
        static const stdb_column params[] = { ARGS(STDB__COL) {0, 0, 0} };                   \
        P##__procedure.params = params;                                                      \
        P##__procedure.param_count = (uint16_t)(STDB__COUNT(params) - 1);                    \
        P##__procedure.decode = P##__args_dec;                                               \
        stdb_register_procedure(&P##__procedure);                                            \
    }                                                                                        \
    static int P##__impl(STDB_UNUSED stdb_ctx *ctx, STDB_UNUSED struct P##__args *args,      \
                         STDB_UNUSED STDB_CTYPE_##RET *ret)

#endif /* STDB_SPACETIMEDB_H */
