/*
 * value/value.h — SATS: the algebraic type model, and BSATN over it.
 *
 * This is the contract between value/ and everything above it (store/, host/, sql/, net/).
 * Spec: ../shared/docs/spec-module-abi.md §2 (BSATN, meta-encoding, ordering).
 *
 * Types. An lc_type is an immutable node; nodes may be shared (a resolved typespace reuses the
 * node of each ref target), so a type is a DAG, never a cycle. `kind` uses the tag numbers of
 * the AlgebraicType meta-encoding (spec §2.5), so decoding a type is a direct mapping.
 * Products and sums carry named elements; the nominal special types (Identity, ConnectionId,
 * Timestamp, TimeDuration, Uuid, Option, ScheduleAt, Result) are ordinary products/sums
 * recognised by their element names and flagged in `special` when the node is created, so
 * renderers need not re-check names.
 * `fixed_size` is the BSATN size when every value of the type has the same size (integers,
 * products of fixed types, sums whose payloads all have one fixed size such as C-like enums
 * (1) and ScheduleAt (9)), else -1: the store uses it to lay out rows. `is_plain` marks fixed
 * types where every byte pattern is valid (no bool, no sum), validated by a length check.
 * `depth` is the node's height; builders refuse to exceed LC_VALUE_DEPTH_MAX, which bounds
 * every recursive walk over types and values.
 *
 * Ownership. Types live in an lc_typespace's arena and are valid until lc_typespace_deinit.
 * Nothing here frees individual nodes. Refs (kind LC_T_REF) only appear in a typespace's own
 * definitions; lc_type_resolve returns a ref-free copy, which is what the store uses.
 *
 * Values. Values are BSATN bytes. Every decoder takes untrusted input through lc_rd, never
 * reads past the end, bounds nesting by LC_VALUE_DEPTH_MAX and allocation by the caller's
 * arena limit, and reports a clear message through lc_errbuf.
 */
#ifndef LC_VALUE_VALUE_H
#define LC_VALUE_VALUE_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/types.h"

/* Tags of the AlgebraicType meta-encoding (spec §2.5). */
typedef enum lc_type_kind {
    LC_T_REF = 0,
    LC_T_SUM = 1,
    LC_T_PRODUCT = 2,
    LC_T_ARRAY = 3,
    LC_T_STRING = 4,
    LC_T_BOOL = 5,
    LC_T_I8 = 6,
    LC_T_U8 = 7,
    LC_T_I16 = 8,
    LC_T_U16 = 9,
    LC_T_I32 = 10,
    LC_T_U32 = 11,
    LC_T_I64 = 12,
    LC_T_U64 = 13,
    LC_T_I128 = 14,
    LC_T_U128 = 15,
    LC_T_I256 = 16,
    LC_T_U256 = 17,
    LC_T_F32 = 18,
    LC_T_F64 = 19,
    LC_T_KIND_COUNT
} lc_type_kind;

/* Nominal types recognised by element/variant names (spec §2.3). */
typedef enum lc_type_special {
    LC_TS_NONE = 0,
    LC_TS_IDENTITY,      /* product { __identity__: U256 } */
    LC_TS_CONNECTION_ID, /* product { __connection_id__: U128 } */
    LC_TS_TIMESTAMP,     /* product { __timestamp_micros_since_unix_epoch__: I64 } */
    LC_TS_TIME_DURATION, /* product { __time_duration_micros__: I64 } */
    LC_TS_UUID,          /* product { __uuid__: U128 } */
    LC_TS_OPTION,        /* sum { some: T, none: () } */
    LC_TS_RESULT,        /* sum { ok: T, err: E } */
    LC_TS_SCHEDULE_AT,   /* sum { Interval: TimeDuration, Time: Timestamp } */
    LC_TS_UNIT,          /* empty product */
} lc_type_special;

typedef struct lc_type lc_type;

typedef struct lc_type_elem {
    const char *name; /* NUL-terminated UTF-8, or NULL when the element is unnamed */
    const lc_type *type;
} lc_type_elem;

struct lc_type {
    u8 kind;          /* lc_type_kind */
    u8 special;       /* lc_type_special */
    u8 is_plain;      /* fixed size and every byte pattern of that size is valid (no bool/sum) */
    u8 depth;         /* nesting height: 1 for a leaf; builders keep it <= LC_VALUE_DEPTH_MAX */
    i32 fixed_size;   /* BSATN byte size if constant, else -1 */
    u32 ref;          /* LC_T_REF: index into the typespace */
    u32 elem_count;   /* LC_T_PRODUCT / LC_T_SUM: number of elements / variants */
    const lc_type_elem *elems;
    const lc_type *array_elem; /* LC_T_ARRAY */
};

/* Primitive singletons (static storage, never freed). */
const lc_type *lc_type_prim(lc_type_kind kind);
bool lc_type_is_int(const lc_type *t);     /* i8..u256 */
bool lc_type_is_signed(const lc_type *t);  /* i8..i256 */

typedef struct lc_typespace {
    lc_arena arena;      /* owns every node reachable from types[] */
    u32 count;
    const lc_type **types;
} lc_typespace;

void lc_typespace_init(lc_typespace *ts);
void lc_typespace_deinit(lc_typespace *ts);

/* Builders (allocate in ts->arena). They compute `special`, `fixed_size`, `is_plain` and
 * `depth`. Names are copied. NULL on allocation failure, a NULL element type, more than
 * LC_PRODUCT_ELEMS_MAX / LC_SUM_VARIANTS_MAX elements, or nesting over LC_VALUE_DEPTH_MAX. */
const lc_type *lc_type_product(lc_typespace *ts, u32 count, const lc_type_elem *elems);
const lc_type *lc_type_sum(lc_typespace *ts, u32 count, const lc_type_elem *variants);
const lc_type *lc_type_array(lc_typespace *ts, const lc_type *elem);
const lc_type *lc_type_ref(lc_typespace *ts, u32 ref);
const lc_type *lc_type_option(lc_typespace *ts, const lc_type *some);
/* Identity, ConnectionId, Timestamp, TimeDuration, Uuid, ScheduleAt built on demand. */
const lc_type *lc_type_special_get(lc_typespace *ts, lc_type_special which);

/* Decodes one AlgebraicType (meta-encoding, spec §2.5) from r into ts->arena. */
int lc_type_decode(lc_typespace *ts, lc_rd *r, const lc_type **out_type, lc_errbuf *eb)
    LC_MUST_USE;
/* Decodes a Typespace (u32 count + types) into ts, replacing its contents. */
int lc_typespace_decode(lc_typespace *ts, lc_rd *r, lc_errbuf *eb) LC_MUST_USE;
/* Encodes a type in the meta-encoding. */
void lc_type_encode(lc_buf *b, const lc_type *t);
/* Returns a copy of t (from a typespace whose refs point into `from`) with every ref replaced
 * by its target, allocated in `into`. Recursive types are rejected (LC_EINVAL). */
int lc_type_resolve(lc_typespace *into, const lc_typespace *from, const lc_type *t,
                    const lc_type **out_type, lc_errbuf *eb) LC_MUST_USE;
/* Structural equality (names included). Pointer-equal nodes short-cut, so comparing a shared
 * type with itself is cheap; two distinct, heavily shared copies are compared as trees. */
bool lc_type_equal(const lc_type *a, const lc_type *b);
/* Writes a readable form ("(id: U32, name: String)") into out (truncated to cap). */
void lc_type_format(const lc_type *t, char *out, size_t cap);

/* ---- BSATN values (t must be ref-free) ---- */

/* Checks that r holds one valid value of t (bools 0/1, sum tags in range, UTF-8 strings,
 * lengths within the input) and advances past it. Errors: LC_ETRUNCATED, LC_EDECODE (bool,
 * tag), LC_EUTF8, LC_ELIMIT (array of zero-sized elements over LC_VALUE_ZST_ARRAY_MAX),
 * LC_EINVAL (unresolved ref); the message names the byte offset from the reader's start. */
int lc_bsatn_validate(const lc_type *t, lc_rd *r, lc_errbuf *eb) LC_MUST_USE;
/* Advances past one value of t assuming it is valid (fast path for trusted bytes). */
void lc_bsatn_skip(const lc_type *t, lc_rd *r);
/* Total order of spec §2.4 over two encoded values of t. Floats: total order with -0 < +0 and
 * NaN above +inf (all NaNs equal). Returns <0, 0, >0. Inputs must be valid. */
int lc_bsatn_cmp(const lc_type *t, const u8 *a, const u8 *b);
/* Size in bytes of the encoded value at p (valid input). */
size_t lc_bsatn_size(const lc_type *t, const u8 *p);
/* True when s[0..n) is valid UTF-8 (no overlongs, surrogates or code points over U+10FFFF). */
bool lc_utf8_valid(const void *s, size_t n);
/* Length of the longest valid UTF-8 prefix (n when all of it is valid): the byte offset of the
 * first bad sequence, for error messages. Same strict rules as lc_utf8_valid. */
size_t lc_utf8_valid_prefix(const void *s, size_t n);

/* Renders one value as SATS-JSON exactly as SpacetimeDB's server does for HTTP /sql rows, v1
 * JSON rows and arguments: *untyped*, so products are arrays of their elements, sums are
 * [tag, payload] (Option: [0, v] / [1, []]), Array<U8> is a lowercase hex string, integers up
 * to 128 bits are JSON numbers, u256/i256 are "0x..." strings (so an Identity cell is
 * ["0x..."]), floats are shortest round-trip decimals (NaN/inf: null). See json_out.c.
 * Input valid and ref-free; returns 0, LC_ELIMIT (output over the buffer's limit, or
 * LC_VALUE_JSON_MAX without one) or LC_ENOMEM; on failure out is rolled back. */
int lc_bsatn_to_json(const lc_type *t, lc_rd *r, lc_buf *out) LC_MUST_USE;
/* The typed form (ValueWithType): products as {"name": v} objects ({} for unit), sums as
 * {"variant": payload} ([tag, payload] when unnamed); LC_EINVAL for an unnamed element. */
int lc_bsatn_to_json_typed(const lc_type *t, lc_rd *r, lc_buf *out) LC_MUST_USE;
/* Appends s[0..n) as a JSON string literal with serde_json's escaping. */
void lc_json_put_string(lc_buf *b, const void *s, size_t n);
/* A type as SATS-JSON (the derived AlgebraicType form: {"U32":[]}, {"Product":{"elements":
 * [{"name":{"some":"id"},"algebraic_type":...}]}}, {"Ref":3}, ...). */
int lc_type_to_json(const lc_type *t, lc_buf *out) LC_MUST_USE;
/* A product type as the bare ProductType JSON {"elements":[...]} (HTTP /sql "schema"). */
int lc_product_type_to_json(const lc_type *t, lc_buf *out) LC_MUST_USE;

/* SATS-JSON -> BSATN for type t (ref-free), appended to out: products as arrays or objects by
 * element name, sums as {"name": v} or [tag, v], Option none as null, bytes as hex strings,
 * u256 as "0x..." strings; see json_in.c for every accepted form. Errors (LC_ETYPE,
 * LC_ESYNTAX, LC_ELIMIT) name the JSON path; on failure out is rolled back. */
struct json_t;
int lc_json_to_bsatn(const lc_type *t, const struct json_t *j, lc_buf *out, lc_errbuf *eb)
    LC_MUST_USE;
/* True when s parses as Rust's u8 ("+"? digits, <= 255): such a sum key is a tag, not a name. */
bool lc_json_is_u8_text(const char *s, int *out_value);
/* Parses JSON text (jansson; integers beyond 64 bits supported) then lc_json_to_bsatn. */
int lc_json_text_to_bsatn(const lc_type *t, const char *text, size_t len, lc_buf *out,
                          lc_errbuf *eb) LC_MUST_USE;

#endif
