/*
 * sql/lex.h — the SQL tokenizer (private to sql/; the parser is its only user).
 *
 * Design: an on-demand tokenizer over untrusted bytes. sql_lex_next() produces one token per
 * call with its byte offset and source length; string literals, quoted identifiers and hex
 * literals are decoded into the arena as they are read, so the parser never re-scans text.
 * Rules follow the PostgreSQL tokenizer SpacetimeDB uses:
 *   - words are [A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*; a word whose spelling matches a
 *     keyword case-insensitively gets `kw` set (the parser decides whether a keyword may be
 *     used as a name); identifiers are never case-folded;
 *   - "quoted identifiers" with "" as an escaped quote (never keywords, never empty);
 *   - numbers: digits [. digits] [e[+-]digits] or . digits ...; a sign is a separate token;
 *     a number running into a letter ("12ab") is an error, as in PostgreSQL 15+;
 *   - 'strings' with '' as an escaped quote; hex 0xABCD and X'ABCD' (even digit count);
 *   - :name parameters; operators = != <> < <= > >= and , . * ( ) ; + -;
 *   - -- line comments and nesting block comments.
 * The caller validates UTF-8 for the whole text first (sql_utf8_check), so every decoded
 * string is valid UTF-8. Tokens are counted against LC_SQL_TOKENS_MAX.
 */
#ifndef LC_SQL_LEX_H
#define LC_SQL_LEX_H

#include "base/arena.h"
#include "base/error.h"
#include "base/types.h"

typedef enum sql_tok_kind {
    SQL_TOK_EOF,
    SQL_TOK_WORD,   /* identifier or keyword (kw != SQL_KW_NONE) */
    SQL_TOK_QIDENT, /* "quoted identifier" (val = decoded) */
    SQL_TOK_INT,    /* val = digits, NUL-terminated */
    SQL_TOK_FLOAT,  /* val = text, NUL-terminated */
    SQL_TOK_STRING, /* val = decoded bytes */
    SQL_TOK_HEX,    /* val = decoded bytes */
    SQL_TOK_PARAM,  /* val = name without ':' */
    SQL_TOK_EQ,
    SQL_TOK_NE,
    SQL_TOK_LT,
    SQL_TOK_LE,
    SQL_TOK_GT,
    SQL_TOK_GE,
    SQL_TOK_COMMA,
    SQL_TOK_DOT,
    SQL_TOK_STAR,
    SQL_TOK_LPAREN,
    SQL_TOK_RPAREN,
    SQL_TOK_SEMI,
    SQL_TOK_PLUS,
    SQL_TOK_MINUS,
} sql_tok_kind;

/* X(NAME, is_reserved). Reserved words cannot be used as unquoted names (PostgreSQL rule). */
/* clang-format off */
#define SQL_KEYWORD_LIST(X) \
    X(AND, 1) X(AS, 1) X(ASC, 1) X(BETWEEN, 1) X(BY, 0) X(COUNT, 0) X(CROSS, 1)                   \
    X(DELETE, 0) X(DESC, 1) X(DISTINCT, 1) X(FALSE, 1) X(FROM, 1) X(FULL, 1) X(GROUP, 1)          \
    X(HAVING, 1) X(IN, 1) X(INNER, 1) X(INSERT, 0) X(INTO, 1) X(IS, 1) X(JOIN, 1)                 \
    X(LEFT, 1) X(LIKE, 1) X(LIMIT, 1) X(NOT, 1) X(NULL, 1) X(OFFSET, 1) X(ON, 1)                  \
    X(OR, 1) X(ORDER, 1) X(OUTER, 1) X(RIGHT, 1) X(SELECT, 1) X(SET, 0) X(SHOW, 0)                \
    X(TO, 1) X(TRUE, 1) X(UNION, 1) X(UPDATE, 0) X(VALUES, 0) X(WHERE, 1) X(WITH, 1)
/* clang-format on */

typedef enum sql_kw {
    SQL_KW_NONE,
#define SQL_X_KW(name, reserved) SQL_KW_##name,
    SQL_KEYWORD_LIST(SQL_X_KW)
#undef SQL_X_KW
} sql_kw;

typedef struct sql_tok {
    sql_tok_kind kind;
    sql_kw kw;       /* SQL_TOK_WORD only */
    u32 off;         /* byte offset of the first byte in the SQL text */
    u32 src_len;     /* bytes of SQL text the token spans */
    const char *val; /* WORD: points into the SQL text; others: arena (see kinds) */
    u32 val_len;
} sql_tok;

typedef struct sql_lexer {
    const char *src; /* borrowed for the lexer's lifetime */
    u32 len;
    u32 pos;
    u32 tok_count;
    lc_arena *arena;
    lc_errbuf *eb;
} sql_lexer;

void sql_lex_init(sql_lexer *lx, const char *src, u32 len, lc_arena *arena, lc_errbuf *eb);
/* Next token into *out; 0, or LC_ESYNTAX / LC_ELIMIT / LC_ENOMEM with a positioned message. */
int sql_lex_next(sql_lexer *lx, sql_tok *out) __attribute__((warn_unused_result));
/* True for keywords PostgreSQL reserves (they must be quoted to be used as names). */
bool sql_kw_is_reserved(sql_kw kw);
/* Keyword of a word (case-insensitive), or SQL_KW_NONE. */
sql_kw sql_kw_lookup(const char *p, u32 n);
const char *sql_kw_name(sql_kw kw);
/* 0 when [p, p+n) is valid UTF-8, else LC_EUTF8 with *out_bad_off set. */
int sql_utf8_check(const char *p, u32 n, u32 *out_bad_off);
/* Formats "syntax error at L:C near 'tok': <msg>" into eb (near-part omitted when tok is NULL,
 * "near end of input" for EOF) and returns err. */
int sql_lex_errf(const sql_lexer *lx, int err, const sql_tok *tok, u32 off, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
