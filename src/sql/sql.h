/*
 * sql/sql.h — the SQL abstract syntax tree and the parser's entry points (the contract between
 * the parser and the resolver / planner / subscription compiler above it).
 *
 * Design:
 *   - Two dialects, one parser. sql_parse() takes the general dialect of HTTP /sql and one-off
 *     queries (SpacetimeDB's crates/sql-parser "sql" grammar plus our extensions: NOT, comma
 *     cross joins, ORDER BY, OFFSET). sql_parse_subscription() takes exactly the subscription
 *     dialect (SELECT * | t.* FROM one table or a two-table inner join, WHERE of comparisons,
 *     AND, OR) and answers everything else with SpacetimeDB's error text.
 *   - Every node is allocated from the caller's lc_arena and nothing else; the tree, its
 *     identifiers and its literal bytes live until the arena is reset. No node points into the
 *     SQL text, so the caller may free the text right after parsing.
 *   - Literals stay untyped tokens: the resolver types them from context (the column on the
 *     other side of a comparison, the target column of INSERT/UPDATE), as SpacetimeDB does.
 *     Numbers keep their text (with a leading '-' when negative; '+' dropped); strings and
 *     hex literals keep their decoded bytes. There is no NULL in either dialect.
 *   - Every node carries `off`, the byte offset in the SQL text where it starts, so later
 *     layers can report "unknown column at 1:15" with sql_pos_from_offset().
 *   - Identifiers are case-sensitive and never folded; `"quoted"` identifiers are decoded
 *     (`""` -> `"`). A quoted and an unquoted spelling of the same bytes are the same name.
 *   - AND / OR nodes are n-ary and flattened (a AND (b AND c) == a AND b AND c), so the tree
 *     depth is bounded by the parser's recursion depth (LC_SQL_DEPTH_MAX) and the recursive
 *     printer, hash and equality below cannot exhaust the stack.
 *   - sql_stmt_print() renders canonical SQL: parse(print(x)) is equal to x. sql_stmt_hash()
 *     and sql_stmt_equal() are structural (positions and quoting style ignored) and stable
 *     across processes, for deduplicating identical subscription queries.
 */
#ifndef LC_SQL_SQL_H
#define LC_SQL_SQL_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/types.h"

/* A name: bytes in the arena (not NUL-terminated), where it started, how it was spelt. */
typedef struct sql_ident {
    const char *ptr;
    u32 len;
    u32 off;
    bool is_quoted;
} sql_ident;

typedef enum sql_lit_kind {
    SQL_LIT_INT,    /* text: [-]digits */
    SQL_LIT_FLOAT,  /* text: [-]digits with '.' and/or an exponent (1e3 is FLOAT here) */
    SQL_LIT_STRING, /* bytes: the string with '' decoded to ' (valid UTF-8) */
    SQL_LIT_HEX,    /* bytes: decoded from 0xABCD or X'ABCD' */
    SQL_LIT_BOOL,   /* is_true */
} sql_lit_kind;

typedef struct sql_lit {
    sql_lit_kind kind;
    bool is_true;    /* SQL_LIT_BOOL only */
    const char *ptr; /* text or bytes in the arena; NUL-terminated for INT/FLOAT */
    u32 len;
    u32 off;
} sql_lit;

typedef enum sql_cmp_op {
    SQL_CMP_EQ, /* = */
    SQL_CMP_NE, /* <> and != */
    SQL_CMP_LT,
    SQL_CMP_LE,
    SQL_CMP_GT,
    SQL_CMP_GE,
} sql_cmp_op;

typedef enum sql_expr_kind {
    SQL_EXPR_LIT,
    SQL_EXPR_COL,   /* [table.]column */
    SQL_EXPR_PARAM, /* :name, e.g. :sender */
    SQL_EXPR_CMP,
    SQL_EXPR_AND, /* n-ary, >= 2 items, no item is itself an AND */
    SQL_EXPR_OR,  /* n-ary, >= 2 items, no item is itself an OR */
    SQL_EXPR_NOT, /* general dialect only */
} sql_expr_kind;

typedef struct sql_expr sql_expr;

typedef struct sql_col_ref {
    sql_ident table; /* len 0 and ptr NULL when unqualified */
    sql_ident col;
} sql_col_ref;

struct sql_expr {
    sql_expr_kind kind;
    u32 off;
    union {
        sql_lit lit;
        sql_col_ref col;
        sql_ident param; /* without the ':' */
        struct {
            sql_cmp_op op;
            sql_expr *lhs;
            sql_expr *rhs;
        } cmp;
        struct {
            sql_expr **items;
            u32 count;
        } list;            /* AND, OR */
        sql_expr *operand; /* NOT */
    } u;
};

typedef enum sql_proj_kind {
    SQL_PROJ_STAR,       /* SELECT * */
    SQL_PROJ_TABLE_STAR, /* SELECT t.* (star_table) */
    SQL_PROJ_COLS,       /* SELECT a, t.b AS x (cols) */
    SQL_PROJ_COUNT,      /* SELECT COUNT(*) AS n (count_alias) */
} sql_proj_kind;

typedef struct sql_proj_col {
    sql_col_ref col;
    sql_ident alias; /* len 0 / ptr NULL when absent */
    u32 off;
} sql_proj_col;

typedef enum sql_join_kind {
    SQL_JOIN_FIRST, /* the first table of FROM */
    SQL_JOIN_INNER, /* [INNER] JOIN t [ON ...]; on == NULL is a cartesian product */
    SQL_JOIN_CROSS, /* CROSS JOIN t */
    SQL_JOIN_COMMA, /* FROM a, b (general dialect extension) */
} sql_join_kind;

typedef struct sql_from_item {
    sql_join_kind join;
    sql_ident table;
    sql_ident alias; /* len 0 / ptr NULL when absent */
    sql_expr *on;    /* SQL_JOIN_INNER only: a.x = b.y [AND c.z = d.w ...], or NULL */
    u32 off;
} sql_from_item;

typedef struct sql_order_item {
    sql_col_ref col;
    bool is_desc;
    u32 off;
} sql_order_item;

typedef struct sql_select {
    sql_proj_kind proj;
    sql_ident star_table;  /* SQL_PROJ_TABLE_STAR */
    sql_ident count_alias; /* SQL_PROJ_COUNT */
    sql_proj_col *cols;    /* SQL_PROJ_COLS */
    u32 col_count;
    sql_from_item *from; /* >= 1 */
    u32 from_count;
    sql_expr *where;       /* NULL when absent */
    sql_order_item *order; /* extension, general dialect only */
    u32 order_count;
    bool has_limit;
    bool has_offset; /* extension, general dialect only */
    u64 limit;
    u64 offset;
} sql_select;

typedef struct sql_insert {
    sql_ident table;
    sql_ident *cols; /* may be empty (the resolver rejects that, as SpacetimeDB does) */
    u32 col_count;
    sql_lit *values; /* row_count * row_width literals, row-major */
    u32 row_count;
    u32 row_width; /* every row has the same width (checked by the parser) */
} sql_insert;

typedef struct sql_assign {
    sql_ident col;
    sql_lit value;
} sql_assign;

typedef struct sql_update {
    sql_ident table;
    sql_assign *sets;
    u32 set_count;
    sql_expr *where;
} sql_update;

typedef struct sql_delete {
    sql_ident table;
    sql_expr *where;
} sql_delete;

typedef enum sql_stmt_kind {
    SQL_STMT_SELECT,
    SQL_STMT_INSERT,
    SQL_STMT_UPDATE,
    SQL_STMT_DELETE,
    SQL_STMT_SET,  /* SET var = lit | SET var TO lit */
    SQL_STMT_SHOW, /* SHOW var */
} sql_stmt_kind;

typedef struct sql_stmt {
    sql_stmt_kind kind;
    u32 off;
    union {
        sql_select select;
        sql_insert insert;
        sql_update update;
        sql_delete del;
        struct {
            sql_ident var;
            sql_lit value;
        } set;
        sql_ident show;
    } u;
} sql_stmt;

/* Flags for sql_parse_subscription. */
enum {
    /* Accept NOT (...) in WHERE: the SDK's query builder can emit it; SpacetimeDB rejects it. */
    SQL_SUB_ALLOW_NOT = 1u << 0,
};

/*
 * Parses one statement of the general dialect (empty statements, i.e. extra ';', are ignored).
 * On success *out_stmt points into `arena` and 0 is returned. On failure returns LC_ESYNTAX (malformed text),
 * LC_ENOTSUP (valid SQL we do not support), LC_ELIMIT (over a size/depth/token bound),
 * LC_EUTF8, or LC_ENOMEM (arena exhausted), with a positioned message in `eb` such as
 * "syntax error at 1:15 near 'FORM': expected FROM". `sql` need not be NUL-terminated.
 */
int sql_parse(const char *sql, size_t len, lc_arena *arena, sql_stmt **out_stmt, lc_errbuf *eb)
    __attribute__((warn_unused_result));

/*
 * Parses one subscription query (spec-client-protocol.md §7): the result is always a SELECT
 * whose projection is * or t.*, with at most two tables, no LIMIT/ORDER BY/OFFSET/COUNT/column
 * list, no comma joins, no NOT (unless SQL_SUB_ALLOW_NOT), every column qualified when there is
 * a join, at most LC_SQL_SUB_TEXT_MAX bytes. Errors as sql_parse.
 */
int sql_parse_subscription(const char *sql, size_t len, u32 flags, lc_arena *arena,
                           sql_select **out_select, lc_errbuf *eb)
    __attribute__((warn_unused_result));

/* True for SpacetimeDB's "subscribe to every table" query, matched as it does by text (not
 * parsed): optional spaces, SELECT, *, FROM, * (keywords case-insensitive), optional spaces.
 * The subscription layer expands it into one `SELECT * FROM t` per readable table. */
bool sql_is_subscribe_all(const char *sql, size_t len);

/* True when the expression (NULL: false) uses parameter :name anywhere (name without ':').
 * The subscription layer uses it to tell caller-dependent queries (":sender") from shared ones. */
bool sql_expr_has_param(const sql_expr *e, const char *name);

/* 1-based line and column (in characters: UTF-8 continuation bytes do not count) of byte
 * offset `off` in `sql`. */
void sql_pos_from_offset(const char *sql, size_t len, u32 off, u32 *out_line, u32 *out_col);

/* Appends canonical SQL text (not NUL-terminated) to `out`; returns out->err (0, LC_ENOMEM,
 * LC_ELIMIT). */
int sql_stmt_print(const sql_stmt *s, lc_buf *out) __attribute__((warn_unused_result));
int sql_select_print(const sql_select *s, lc_buf *out) __attribute__((warn_unused_result));
int sql_expr_print(const sql_expr *e, lc_buf *out) __attribute__((warn_unused_result));

/* Structural hash / equality: ignores offsets and identifier quoting; stable across runs.
 * sql_select_hash and sql_stmt_hash use different domains: compare like with like. */
u64 sql_stmt_hash(const sql_stmt *s);
u64 sql_select_hash(const sql_select *s);
bool sql_stmt_equal(const sql_stmt *a, const sql_stmt *b);
bool sql_select_equal(const sql_select *a, const sql_select *b);
bool sql_expr_equal(const sql_expr *a, const sql_expr *b);

#endif
