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
/* Bytes of type nodes one typespace may hold: a module's types take kilobytes; this bounds what
 * decoding a hostile module definition can allocate. */
#define LC_TYPESPACE_BYTES_MAX (64u << 20)
/* Elements of one array of a zero-sized type (e.g. Array<()>): such an array costs no input
 * bytes, so without this bound 4 input bytes could demand 4 billion elements of work. */
#define LC_VALUE_ZST_ARRAY_MAX 65536
/* Bytes of SATS-JSON rendered for one value when the caller's buffer has no limit of its own:
 * zero-sized values render as "[]" and nest, so output is not bounded by input size. */
#define LC_VALUE_JSON_MAX (256u << 20)

/* Store */
/* Columns per table: SpacetimeDB's ColId is u16. */
#define LC_TABLE_COLS_MAX 4096
/* Columns per index key. */
#define LC_INDEX_COLS_MAX 64
/* Tables per database (ids are u32; this bounds catalog memory). */
#define LC_TABLES_MAX 65536
/* Rows per table: rows are addressed by a u32 row id (4 bytes per index entry keeps an
 * accounts row under 40 bytes); two values are reserved (UINT32_MAX marks "none", and
 * row id + 1 must not wrap in the hash tables). */
#define LC_TABLE_ROWS_MAX (0xffffffffu - 2)

/* Commit log */
/* One transaction record: a reducer may write a lot, but one record must fit in memory twice
 * (encode buffer + replay). */
#define LC_CLOG_RECORD_MAX (256u << 20)
/* A whole-store snapshot, uncompressed. Snapshots are decoded in memory, so this bounds what a
 * (corrupt) snapshot header can make recovery allocate; a store larger than this would need a
 * streaming snapshot format. */
#define LC_CLOG_SNAPSHOT_MAX (64ull << 30)

/* Network (net/) */
/* A JWT we accept: SpacetimeDB tokens are ~400 bytes; OIDC tokens with many claims stay well
 * under 4 KiB. 8 KiB bounds the base64/JSON work done on unauthenticated input. */
#define LC_TOKEN_SIZE_MAX 8192
/* iss and sub of a token (spec-client-protocol.md §4.3: each non-empty and <= 128 bytes). */
#define LC_TOKEN_CLAIM_MAX 128
/* Largest WebSocket message we accept from a client: the reference server's 32 MiB. */
#define LC_WS_MESSAGE_MAX (32u << 20)
/* Largest decompressed server message we accept when decoding (client side, fuzzers): bounds
 * a decompression bomb. Matches LC_VALUE_SIZE_MAX. */
#define LC_WS_DECOMPRESSED_MAX (64u << 20)
/* HTTP request line URL: 8 KiB like nginx's default large buffer; longer gets 414. */
#define LC_HTTP_URL_MAX 8192
/* Header fields per request (browsers send ~20); more gets 431. */
#define LC_HTTP_HEADERS_MAX 100
/* All header bytes of one request (names + values), like nginx's 4 x 8 KiB; more gets 431. */
#define LC_HTTP_HEADER_SIZE_MAX (32u << 10)
/* Default request body cap: a published module (wasm) is the largest body we expect. Routes
 * can lower it; more gets 413. */
#define LC_HTTP_BODY_MAX (64u << 20)
/* Query parameters decoded per request. */
#define LC_HTTP_QUERY_PARAMS_MAX 64

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


/* Module descriptions (host/moddef.c) */
/* Entries in one list of a module description (tables, reducers, indexes of a table ...):
 * real modules have tens; the bound keeps a hostile description from costing more than its
 * own size in work. */
#define LC_MODDEF_ITEMS_MAX 65536
/* Length of one name in a module description (identifiers; SQL of RLS filters may be longer). */
#define LC_MODDEF_NAME_MAX 1024
#define LC_MODDEF_SQL_MAX (64u << 10)

/* Module host (host/abi.c, host/modlog.c) */
/* Bytes one BytesSink may hold (a reducer's error message, a module description): descriptions
 * of real modules are tens of KiB; the cap keeps a hostile guest from exhausting host memory. */
#define LC_HOST_SINK_MAX (64u << 20)

/* Client protocol (net/proto.c) */
/* Query strings in one Subscribe message (one query set). The SDK sends one per table for
 * subscribeToAllTables; 4096 matches LC_TABLES_MAX's order for real modules and bounds the
 * allocation made for the list before any query is compiled. */
#define LC_PROTO_QUERIES_MAX 4096
/* Reducer / procedure name in CallReducer / CallProcedure: identifiers are short; 1 KiB
 * leaves room for any real name and bounds the lookup key. */
#define LC_PROTO_NAME_MAX 1024

/* A connection's JWT payload (decoded claims JSON) kept for get_jwt: real tokens are a few
 * hundred bytes; the cap bounds st_connection_credentials rows and the get_jwt copy. */
#define LC_JWT_PAYLOAD_MAX (64u << 10)

#endif
