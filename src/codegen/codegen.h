/*
 * codegen/codegen.h — client bindings generated from a module's description
 * (`lightcone generate`).
 *
 * Design: one schema walk, many emitters. codegen_schema_build walks a decoded host_moddef once
 * and produces a language-neutral view: the tables and reducers a client sees (lifecycle
 * reducers left out; private tables and reducers only on request), each with its wire name,
 * accessor, and column / parameter names in the forms emitters need (camelCase keys,
 * PascalCase symbols, snake_case file stems). A per-language emitter (codegen_emitter) turns
 * that view into files under an output directory. Only TypeScript exists today (the layout
 * the `spacetimedb` 2.10.x npm SDK expects, spec-client-protocol.md §5.2); a C emitter would be
 * one more entry in the emitter table.
 *
 * Ownership. A codegen_schema borrows the host_moddef (which must outlive it) and owns its
 * names in its own arena; codegen_schema_free releases it.
 */
#ifndef LC_CODEGEN_CODEGEN_H
#define LC_CODEGEN_CODEGEN_H

#include "base/arena.h"
#include "base/error.h"
#include "host/moddef.h"

typedef struct codegen_field {
    const char *wire;   /* canonical column / parameter name */
    const char *camel;  /* key in generated code (SDK toCamelCase) */
    const lc_type *type;
} codegen_field;

typedef struct codegen_table {
    const host_table_def *def;
    const char *wire;    /* canonical table name (what SQL and the wire use) */
    const char *camel;   /* accessor key on conn.db */
    const char *pascal;  /* symbol stem: <Pascal>Row */
    const char *snake;   /* file stem: <snake>_table */
    const char *type_name; /* the row type's declared name (Types section), else pascal */
    u32 field_count;
    const codegen_field *fields;
} codegen_table;

typedef struct codegen_reducer {
    const host_reducer_def *def;
    const char *wire;
    const char *camel;
    const char *pascal;
    const char *snake;
    u32 field_count;
    const codegen_field *fields;
} codegen_reducer;

typedef struct codegen_procedure {
    const host_procedure_def *def;
    const char *wire;
    const char *camel;
    const char *pascal;
    const char *snake;
    u32 field_count;
    const codegen_field *fields;
    const lc_type *ret; /* the return type (ref-free) */
} codegen_procedure;

typedef struct codegen_schema {
    lc_arena arena;
    const host_moddef *md;
    u32 table_count;
    const codegen_table *tables;
    u32 reducer_count;
    const codegen_reducer *reducers;
    u32 procedure_count;
    const codegen_procedure *procedures;
} codegen_schema;

/* Builds the client view of md. include_private adds private tables, reducers and
 * procedures. */
int codegen_schema_build(const host_moddef *md, bool include_private, codegen_schema **out,
                         lc_errbuf *eb) LC_MUST_USE;
void codegen_schema_free(codegen_schema *s);

/* Name forms. Each returns a NUL-terminated copy in arena a, or NULL on allocation failure.
 * camel: the SDK's toCamelCase (runs of '-'/'_' become one '_', "_x" -> "X", first char
 * lower-cased). pascal: words split on '_'/'-', each first letter upper-cased. */
const char *codegen_camel(lc_arena *a, const char *s);
const char *codegen_pascal(lc_arena *a, const char *s);

/* An emitter writes every file of one language under out_dir (created if missing). */
typedef struct codegen_emitter {
    const char *lang;
    int (*emit)(const codegen_schema *s, const char *out_dir, lc_errbuf *eb);
} codegen_emitter;

/* The emitter for lang ("typescript" or "ts"), or NULL when unknown. */
const codegen_emitter *codegen_emitter_find(const char *lang);
/* The names of every language, comma separated (for messages). */
const char *codegen_langs(void);

/* Writes n bytes to dir/name (name may hold one '/'; its directory is created). */
int codegen_write_file(const char *dir, const char *name, const void *p, size_t n,
                       lc_errbuf *eb) LC_MUST_USE;

/* The TypeScript emitter (codegen/ts.c). */
int codegen_ts_emit(const codegen_schema *s, const char *out_dir, lc_errbuf *eb) LC_MUST_USE;

#endif
