/*
 * host/moddef.h — a module's description (RawModuleDef V10, V9 or V8), decoded from the bytes
 * its __describe_module__ writes, validated, and normalised into one shape for the host.
 *
 * Spec: ../shared/docs/spec-module-abi.md §3 (layouts) and §3.6 (validation and naming).
 *
 * Normalisation. Whatever version the module speaks, the host sees:
 *   - canonical names: V10 with the default CaseConversionPolicy SnakeCase converts table,
 *     column, reducer, procedure and view source names to snake_case (the word splitting of
 *     the convert_case crate the reference uses: '_', '-', ' ', lower->Upper, acronyms
 *     "HTTPServer" -> "http_server", and letter<->digit boundaries "vec3" -> "vec_3"), unless
 *     an ExplicitNames entry gives the canonical name; V9/V8 and policy None keep names
 *     verbatim. The source name is kept as `alias` (table_id_from_name and index_id_from_name
 *     accept either). Under SnakeCase the whole declared typespace is converted first, as the
 *     reference does: product element names (at any depth) to snake_case, sum variant names
 *     to camelCase ("RedApple" -> "redApple"); special types are left alone; inline reducer
 *     parameter lists are not typespace entries and keep their names.
 *   - generated names, never case-converted: index "{table}_{cols}_idx_{btree|hash|direct}",
 *     sequence "{table}_{col}_seq", unique constraint "{table}_{cols}_key", schedule
 *     "{table}_sched" ({table} canonical, columns by canonical name).
 *   - ref-free types: each table's row type and each reducer's params are resolved products
 *     whose element names are the canonical column / parameter names.
 *   - V8's flags (PRIMARY_KEY, UNIQUE, AUTO_INC ...) and string-encoded enums become the same
 *     indexes, constraints and sequences a V9 module would declare.
 *
 * Ownership. host_moddef_decode allocates one host_moddef; every string, array and type
 * reachable from it lives in its arena / typespace and is valid until host_moddef_destroy.
 *
 * Errors. Untrusted bytes: every count and length is bounded (LC_MODDEF_* in limits.h);
 * LC_EDECODE for malformed BSATN (the message names the section and field), LC_EINVALID for a
 * description that decodes but breaks a rule of §3.6 (the message names the rule and entity).
 */
#ifndef LC_HOST_MODDEF_H
#define LC_HOST_MODDEF_H

#include "base/arena.h"
#include "base/error.h"
#include "base/types.h"
#include "value/value.h"

typedef enum host_index_algo {
    HOST_INDEX_BTREE = 1,  /* numbers equal store_index_algo */
    HOST_INDEX_DIRECT = 2,
    HOST_INDEX_HASH = 3,
} host_index_algo;

typedef enum host_lifecycle {
    HOST_LIFECYCLE_NONE = 0,
    HOST_LIFECYCLE_INIT,
    HOST_LIFECYCLE_CONNECT,
    HOST_LIFECYCLE_DISCONNECT,
} host_lifecycle;

typedef struct host_index_def {
    const char *name;  /* canonical (generated unless ExplicitNames says otherwise) */
    const char *alias; /* source name given by the module, or NULL */
    const char *accessor; /* V10 accessor_name / V9 accessor_name, or NULL */
    u8 algo;           /* host_index_algo */
    bool is_unique;    /* a unique constraint covers exactly these columns */
    u16 col_count;
    const u16 *cols;
} host_index_def;

typedef struct host_constraint_def {
    const char *name; /* canonical: given or "{table}_{cols}_key" */
    u16 col_count;
    const u16 *cols;
} host_constraint_def;

typedef struct host_sequence_def {
    const char *name; /* given or "{table}_{col}_seq" */
    u16 col;
    i128 increment, start, min_value, max_value; /* defaults filled: 1, 1, 1, i128 max */
} host_sequence_def;

typedef struct host_default_def {
    u16 col;
    u32 len;
    const u8 *value; /* BSATN at the column type (validated) */
} host_default_def;

typedef struct host_table_def {
    const char *name;  /* canonical */
    const char *alias; /* the module's source name */
    u32 type_ref;      /* product_type_ref into the module typespace */
    const lc_type *row_type; /* ref-free product; element names = canonical column names */
    i32 pk_col;        /* -1 when there is no primary key */
    bool is_public;
    bool is_event;
    u32 index_count;
    const host_index_def *indexes;
    u32 constraint_count;
    const host_constraint_def *constraints;
    u32 sequence_count;
    const host_sequence_def *sequences;
    u32 default_count;
    const host_default_def *defaults;
    /* Schedule (NULL schedule_function when the table is not a schedule table). */
    const char *schedule_name;
    const char *schedule_function; /* canonical reducer/procedure name */
    u16 schedule_at_col;
} host_table_def;

typedef struct host_reducer_def {
    const char *name;  /* canonical: what clients call */
    const char *alias; /* source name */
    const lc_type *params; /* ref-free product of the parameters */
    bool is_public;    /* ClientCallable; lifecycle and scheduled reducers are private */
    u8 lifecycle;      /* host_lifecycle */
} host_reducer_def;

typedef struct host_procedure_def {
    const char *name;
    const char *alias;
    const lc_type *params;
    const lc_type *return_type;
    bool is_public;
} host_procedure_def;

typedef struct host_view_def {
    const char *name;
    const char *alias;
    u32 index;         /* dispatch index within its kind (anonymous / sender) */
    bool is_public;
    bool is_anonymous;
    const lc_type *params;
    const lc_type *return_type;
} host_view_def;

/* One entry of the Types section (V9/V10): the declared name of a typespace entry. */
typedef struct host_type_name {
    const char *name; /* the name, without its scope */
    u32 ref;          /* index into typespace (not checked against its count) */
} host_type_name;

typedef struct host_moddef {
    u8 version;             /* 8, 9 or 10 */
    lc_arena arena;         /* names and arrays */
    lc_typespace typespace; /* the module's typespace, with refs, as declared */
    lc_typespace resolved;  /* function types as declared, and the ref-free copies */
    u32 table_count;
    const host_table_def *tables;
    u32 reducer_count;      /* reducer ids are positions in this array */
    const host_reducer_def *reducers;
    u32 procedure_count;
    const host_procedure_def *procedures;
    u32 view_count;
    const host_view_def *views;
    u32 rls_count;          /* row-level-security filters (SQL text) */
    const char *const *rls_sql;
    i32 lifecycle_reducer[4]; /* indexed by host_lifecycle: reducer id, or -1 */
    u32 type_name_count;    /* Types section, as declared (0 for V8): used by codegen */
    const host_type_name *type_names;
} host_moddef;

/* Decodes and validates `len` bytes of BSATN RawModuleDef. On success *out_def is owned by the
 * caller (host_moddef_destroy). On failure *out_def is NULL and eb says why. */
int host_moddef_decode(const u8 *bytes, size_t len, host_moddef **out_def, lc_errbuf *eb)
    LC_MUST_USE;
void host_moddef_destroy(host_moddef *def);

/* Lookups by canonical name or alias (exact bytes). NULL / -1 when absent. */
const host_table_def *host_moddef_table(const host_moddef *def, const char *name, size_t len);
i32 host_moddef_reducer_id(const host_moddef *def, const char *name, size_t len);

/* snake_case conversion of the reference (see the top of this file). Writes a NUL-terminated
 * result into out (cap bytes); returns its length, or -1 if it did not fit. */
int host_snake_case(const char *s, size_t len, char *out, size_t cap);
/* camelCase with the same word splitting ("RedApple" -> "redApple"): sum variant names under
 * the SnakeCase policy. Same contract as host_snake_case. */
int host_camel_case(const char *s, size_t len, char *out, size_t cap);

#endif
