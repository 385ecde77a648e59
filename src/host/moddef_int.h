/*
 * host/moddef_int.h — private to host/moddef*.c: the raw (as-declared) form of a module
 * description that the V8/V9/V10 decoders fill and the validator (moddef_check.c) turns into
 * the normalised host_moddef of moddef.h.
 *
 * The decoders only check encoding; every semantic rule lives in the validator, so the three
 * versions share one set of rules. Everything is allocated in the moddef's arena.
 */
#ifndef LC_HOST_MODDEF_INT_H
#define LC_HOST_MODDEF_INT_H

#include "host/moddef.h"

typedef struct raw_cols {
    u16 count;
    const u16 *cols;
} raw_cols;

typedef struct raw_index {
    const char *name;     /* V9 name / V10 source_name / V8 index_name; may be NULL */
    const char *accessor; /* may be NULL */
    u8 algo;              /* host_index_algo */
    raw_cols cols;
} raw_index;

typedef struct raw_constraint {
    const char *name; /* may be NULL */
    raw_cols cols;
} raw_constraint;

typedef struct raw_sequence {
    const char *name; /* may be NULL */
    u16 col;
    bool has_start, has_min, has_max;
    i128 start, min_value, max_value, increment;
} raw_sequence;

typedef struct raw_table {
    const char *name;
    u32 type_ref;
    raw_cols pk;
    u32 index_count, constraint_count, sequence_count, default_count;
    raw_index *indexes;
    raw_constraint *constraints;
    raw_sequence *sequences;
    host_default_def *defaults;
    bool is_system, is_public, is_event;
    const char *schedule_name;     /* may be NULL */
    const char *schedule_function; /* NULL: not scheduled */
    u16 schedule_at_col;
} raw_table;

typedef struct raw_function {
    const char *name;
    const lc_type *params; /* product, may contain refs */
    const lc_type *ok_type, *err_type; /* V10 reducers; NULL otherwise */
    const lc_type *return_type;        /* procedures and views */
    bool is_public;
    u8 lifecycle; /* host_lifecycle */
    u32 view_index;
    bool is_anonymous;
} raw_function;

typedef struct raw_schedule {
    const char *name; /* may be NULL */
    const char *table;
    const char *function;
    u16 at_col;
} raw_schedule;

typedef struct raw_mapping {
    u8 kind; /* 0 table, 1 function, 2 index */
    const char *source;
    const char *canonical;
} raw_mapping;

typedef struct raw_moddef {
    u8 version;
    bool is_snake_case;
    u32 table_count, reducer_count, procedure_count, view_count, schedule_count, rls_count,
        mapping_count;
    raw_table *tables;
    raw_function *reducers, *procedures, *views;
    raw_schedule *schedules;
    const char **rls;
    raw_mapping *mappings;
} raw_moddef;

/* Decoder state shared by the version decoders (moddef_decode.c). */
typedef struct md_reader {
    host_moddef *md;
    lc_rd r;
    lc_errbuf *eb;
    const char *where; /* the field being read, for error messages */
} md_reader;

/* Decodes the RawModuleDef sum (tag + V8/V9/V10 payload) into raw. */
int moddef_decode_raw(md_reader *mr, raw_moddef *raw) LC_MUST_USE;
/* Applies §3.6 and fills md from raw. */
int moddef_check(host_moddef *md, const raw_moddef *raw, lc_errbuf *eb) LC_MUST_USE;

#endif
