/*
 * tests/sdk/moddef.h — an independent decoder of RawModuleDef (V10) for the SDK tests.
 *
 * Written from spec-module-abi.md §2.5 and §3.1 only, without sharing code with the SDK that
 * produced the bytes, so a test that decodes what __describe_module__ wrote checks the SDK
 * against the spec rather than against itself. It decodes every V10 section that carries no
 * nested module (all but Submodules), and fails with a message on any truncation, unknown tag
 * or trailing byte. Everything decoded lives in md->arena until moddef_deinit.
 */
#ifndef LC_TESTS_SDK_MODDEF_H
#define LC_TESTS_SDK_MODDEF_H

#include "base/arena.h"
#include "base/types.h"

enum { MD_REF = 0, MD_SUM, MD_PRODUCT, MD_ARRAY, MD_STRING, MD_BOOL, MD_I8, MD_U8, MD_I16,
       MD_U16, MD_I32, MD_U32, MD_I64, MD_U64, MD_I128, MD_U128, MD_I256, MD_U256, MD_F32,
       MD_F64 };

typedef struct md_type md_type;
struct md_type {
    u8 tag;             /* MD_* */
    u32 ref;            /* MD_REF */
    u32 count;          /* elements (product) / variants (sum) */
    const char **names; /* count entries, NULL entry = unnamed */
    md_type **elems;    /* count entries; MD_ARRAY: elems[0] is the element type */
};

typedef struct md_cols { u32 count; u16 cols[16]; } md_cols;

typedef struct md_index {
    const char *source_name, *accessor_name; /* NULL = None */
    u8 algorithm;                            /* 0 BTree, 1 Hash, 2 Direct */
    md_cols cols;
} md_index;

typedef struct md_constraint { const char *source_name; md_cols cols; } md_constraint;

typedef struct md_sequence {
    const char *source_name;
    u16 column;
    bool has_start, has_min, has_max;
    i64 increment_lo; /* low 64 bits of the i128 */
    i64 increment_hi;
} md_sequence;

typedef struct md_table {
    const char *name;
    u32 type_ref;
    md_cols pk;
    md_index *indexes;
    u32 index_count;
    md_constraint *constraints;
    u32 constraint_count;
    md_sequence *sequences;
    u32 sequence_count;
    u8 table_type, access; /* User = 1; Public = 0, Private = 1 */
    u32 default_count;
    bool is_event;
} md_table;

typedef struct md_reducer {
    const char *name;
    md_type *params; /* a product */
    u8 visibility;   /* 0 Private, 1 ClientCallable */
    md_type *ok_type, *err_type;
} md_reducer;

typedef struct md_procedure {
    const char *name;
    md_type *params; /* a product */
    md_type *ret;
    u8 visibility;   /* 0 Private, 1 ClientCallable */
} md_procedure;

typedef struct md_typedef {
    u32 scope_count;
    const char *name;
    u32 ty;
    bool custom_ordering;
} md_typedef;

typedef struct md_schedule {
    const char *source_name;
    const char *table_name;
    u16 column;
    const char *function_name;
} md_schedule;

typedef struct md_lifecycle { u8 kind; const char *function_name; } md_lifecycle;

typedef struct moddef {
    lc_arena arena;
    u8 version; /* RawModuleDef tag: 2 = V10 */
    u32 section_count;
    u8 section_tags[16];
    md_type **types;
    u32 type_count;
    md_typedef *typedefs;
    u32 typedef_count;
    md_table *tables;
    u32 table_count;
    md_reducer *reducers;
    u32 reducer_count;
    md_procedure *procedures;
    u32 procedure_count;
    md_schedule *schedules;
    u32 schedule_count;
    md_lifecycle *lifecycles;
    u32 lifecycle_count;
    int case_policy; /* -1 absent */
    char err[160];
} moddef;

/* 0, or LC_EDECODE with md->err set. Call moddef_deinit in both cases. */
int moddef_decode(moddef *md, const u8 *p, size_t n) __attribute__((warn_unused_result));
void moddef_deinit(moddef *md);
const md_table *moddef_table(const moddef *md, const char *name);
const md_reducer *moddef_reducer(const moddef *md, const char *name, u32 *out_id);
/* Follows MD_REF links (bounded); NULL if a ref is out of range. */
const md_type *moddef_resolve(const moddef *md, const md_type *t);

#endif
