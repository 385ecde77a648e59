/*
 * base/limits.h — every hard limit in one place, each with the reason for its value.
 * Subsystems add their LC_<THING>_MAX here rather than in their own headers, so an operator
 * can see all bounds at once.
 */
#ifndef LC_BASE_LIMITS_H
#define LC_BASE_LIMITS_H

/* BSATN / values */
/* Nesting depth of types and values while decoding untrusted input: deep enough for any real
 * schema (SpacetimeDB schemas rarely pass 8), shallow enough that recursion cannot exhaust the
 * C stack. */
#define LC_VALUE_DEPTH_MAX 64
/* Largest single BSATN value we accept from outside (a row, reducer args): 64 MiB, matching
 * the largest WebSocket message we accept. */
#define LC_VALUE_SIZE_MAX (64u << 20)
/* Types in one typespace: far above real modules (hundreds), bounds decode work. */
#define LC_TYPESPACE_TYPES_MAX 65536
/* Elements of one product / variants of one sum. Sums are limited to 256 by the u8 tag. */
#define LC_PRODUCT_ELEMS_MAX 4096
#define LC_SUM_VARIANTS_MAX 256

/* Store */
/* Columns per table: SpacetimeDB's ColId is u16. */
#define LC_TABLE_COLS_MAX 4096
/* Columns per index key. */
#define LC_INDEX_COLS_MAX 64
/* Tables per database (ids are u32; this bounds catalog memory). */
#define LC_TABLES_MAX 65536

/* Commit log */
/* One transaction record: a reducer may write a lot, but one record must fit in memory twice
 * (encode buffer + replay). */
#define LC_CLOG_RECORD_MAX (256u << 20)

/* SQL */
/* Nesting of parentheses and NOT in one SQL expression. The parser recurses about three C
 * frames per level, each well under 200 bytes, so 128 levels stay far below any thread stack;
 * no real query (the SDK's builder included) nests past a handful. Compare SQLite's
 * SQLITE_MAX_EXPR_DEPTH. */
#define LC_SQL_DEPTH_MAX 128
/* Bytes of SQL text for one general statement (HTTP /sql, one-off queries): large enough for
 * an INSERT of thousands of rows, small enough that one request cannot tie up the executor.
 * SpacetimeDB caps all SQL at 50,000 bytes (to protect its recursive compiler); our parser is
 * depth-bounded, so general SQL may be longer (a deliberate extension). */
#define LC_SQL_TEXT_MAX (4u << 20)
/* Bytes of one subscription query: SpacetimeDB's MAX_SQL_LENGTH (crates/query). */
#define LC_SQL_SUB_TEXT_MAX 50000
/* Tokens in one statement: bounds parse work independently of text size (a 4 MiB text of
 * one-byte tokens would otherwise be ~4M tokens). */
#define LC_SQL_TOKENS_MAX (1u << 20)

#endif
