/*
 * sql/parse.c — recursive-descent parser for both SQL dialects (see sql/sql.h).
 *
 * Grammar (general dialect; [sub] marks what the subscription dialect refuses):
 *   text      = {';'} stmt {';'}     (empty statements are skipped, as sqlparser does)
 *   stmt      = select | insert [sub] | update [sub] | delete [sub] | set [sub] | show [sub]
 *   select    = SELECT proj FROM from [WHERE or] [ORDER BY order {',' order}] [sub]
 *               {LIMIT int [sub] | OFFSET int [sub]}
 *   proj      = '*' | name '.' '*' | COUNT '(' '*' ')' [AS] name [sub]
 *             | col [[AS] name] {',' col [[AS] name]} [sub]
 *   from      = table {',' table [sub] | CROSS JOIN table | [INNER] JOIN table [ON on]}
 *   table     = name {'.' name} [[AS] name]
 *   on        = col '=' col {AND col '=' col}          (the AND chain: general only)
 *   or        = and {OR and};  and = not {AND not};  not = NOT not [sub] | cmp
 *   cmp       = primary [op primary]
 *   primary   = literal | ['+'|'-'] number | col | :param | '(' or ')'
 *   col       = name {'.' name}                         (last part is the column)
 *   insert    = INSERT INTO table_name ['(' name {',' name} ')'] VALUES row {',' row}
 *   update    = UPDATE table_name SET name '=' literal {',' ...} [WHERE or]
 *   delete    = DELETE FROM table_name [WHERE or]
 *   set       = SET name ('=' | TO) literal;   show = SHOW name
 *
 * Bounds: text length (LC_SQL_TEXT_MAX / LC_SQL_SUB_TEXT_MAX), token count
 * (LC_SQL_TOKENS_MAX, in the lexer), nesting (LC_SQL_DEPTH_MAX: each '(' and NOT costs one
 * level) and the caller's arena limit. Every error is returned, never asserted: the input is
 * untrusted. Errors: LC_ESYNTAX for malformed text ("syntax error at L:C near 'x': expected
 * FROM"), LC_ENOTSUP for well-formed SQL outside the dialect (SpacetimeDB's message, then
 * "(at L:C)"), LC_ELIMIT, LC_ERANGE (LIMIT/OFFSET beyond u64), LC_EUTF8, LC_ENOMEM.
 */
#include <string.h>

#include "base/assert.h"
#include "base/limits.h"
#include "sql/lex.h"
#include "sql/sql.h"

/* Propagates a non-zero LC_E* code (it returns; it never jumps). */
#define TRY(e)               \
    do {                     \
        int rc_ = (e);       \
        if (rc_) return rc_; \
    } while (0)

typedef struct parser {
    sql_lexer lx;
    sql_tok tok;   /* current token */
    sql_tok ahead; /* one token of lookahead, valid when has_ahead */
    bool has_ahead;
    bool is_sub;
    u32 flags;
    u32 depth;
} parser;

/* A growable array in the arena (old storage is abandoned on growth: at most 2x waste). */
typedef struct vec {
    void *data;
    u32 count;
    u32 cap;
} vec;

static int advance(parser *p)
{
    if (p->has_ahead) {
        p->tok = p->ahead;
        p->has_ahead = false;
        return 0;
    }
    return sql_lex_next(&p->lx, &p->tok);
}

static int peek(parser *p, const sql_tok **out)
{
    if (!p->has_ahead) {
        TRY(sql_lex_next(&p->lx, &p->ahead));
        p->has_ahead = true;
    }
    *out = &p->ahead;
    return 0;
}

static int syntax_err(parser *p, const char *expected)
{
    return sql_lex_errf(&p->lx, LC_ESYNTAX, &p->tok, p->tok.off, "expected %s", expected);
}

static int unsup(parser *p, u32 off, const char *msg)
{
    return sql_lex_errf(&p->lx, LC_ENOTSUP, NULL, off, "%s", msg);
}

static int nomem(parser *p)
{
    return sql_lex_errf(&p->lx, LC_ENOMEM, NULL, p->tok.off, "out of memory while parsing SQL");
}

static void *alloc0(parser *p, size_t n)
{
    void *m = lc_arena_alloc(p->lx.arena, n);
    if (m) memset(m, 0, n);
    return m;
}

static int vec_push(parser *p, vec *v, size_t elem, const void *x)
{
    if (v->count == v->cap) {
        u32 cap = v->cap ? v->cap * 2 : 4;
        void *d = lc_arena_alloc(p->lx.arena, (size_t)cap * elem);
        if (!d) return nomem(p);
        if (v->count) memcpy(d, v->data, (size_t)v->count * elem);
        v->data = d;
        v->cap = cap;
    }
    memcpy((u8 *)v->data + (size_t)v->count * elem, x, elem);
    v->count++;
    return 0;
}

static bool is_kw(const parser *p, sql_kw kw)
{
    return p->tok.kind == SQL_TOK_WORD && p->tok.kw == kw;
}

static int expect_kw(parser *p, sql_kw kw)
{
    if (!is_kw(p, kw)) return syntax_err(p, sql_kw_name(kw));
    return advance(p);
}

static int expect(parser *p, sql_tok_kind kind, const char *what)
{
    if (p->tok.kind != kind) return syntax_err(p, what);
    return advance(p);
}

/* The current token's value as a NUL-terminated arena string (WORD values point into the SQL
 * text, which is not NUL-terminated, so exactly val_len bytes are read). */
static char *tok_strdup(parser *p)
{
    char *s = lc_arena_alloc(p->lx.arena, (size_t)p->tok.val_len + 1);
    if (!s) return NULL;
    memcpy(s, p->tok.val, p->tok.val_len);
    s[p->tok.val_len] = '\0';
    return s;
}

static bool tok_is_name(const sql_tok *t)
{
    return t->kind == SQL_TOK_QIDENT || (t->kind == SQL_TOK_WORD && !sql_kw_is_reserved(t->kw));
}

/* One name part from the current token (copied into the arena). */
static int parse_name(parser *p, sql_ident *out, const char *what)
{
    if (!tok_is_name(&p->tok)) {
        if (p->tok.kind == SQL_TOK_WORD)
            return sql_lex_errf(&p->lx, LC_ESYNTAX, &p->tok, p->tok.off,
                                "expected %s (%s is a reserved word; quote it to use it as a name)",
                                what, sql_kw_name(p->tok.kw));
        return syntax_err(p, what);
    }
    char *s = tok_strdup(p);
    if (!s) return nomem(p);
    *out = (sql_ident){.ptr = s,
                       .len = p->tok.val_len,
                       .off = p->tok.off,
                       .is_quoted = p->tok.kind == SQL_TOK_QIDENT};
    return advance(p);
}

/* Joins parts[from, to) with '.' into one name (SpacetimeDB's namespaced table names). */
static int join_parts(parser *p, const sql_ident *parts, u32 from, u32 to, sql_ident *out)
{
    LC_ASSERT(from < to);
    if (to - from == 1) {
        *out = parts[from];
        return 0;
    }
    size_t n = 0;
    for (u32 i = from; i < to; i++) n += parts[i].len + 1;
    char *s = lc_arena_alloc(p->lx.arena, n);
    if (!s) return nomem(p);
    size_t k = 0;
    bool q = false;
    for (u32 i = from; i < to; i++) {
        if (i > from) s[k++] = '.';
        memcpy(s + k, parts[i].ptr, parts[i].len);
        k += parts[i].len;
        q |= parts[i].is_quoted;
    }
    s[k] = '\0';
    *out = (sql_ident){.ptr = s, .len = (u32)k, .off = parts[from].off, .is_quoted = q};
    return 0;
}

/* name {'.' name} [ '.' '*' when allow_star ]. */
static int parse_parts(parser *p, vec *parts, bool allow_star, bool *out_star, const char *what)
{
    *parts = (vec){0};
    *out_star = false;
    for (;;) {
        sql_ident id;
        TRY(parse_name(p, &id, what));
        TRY(vec_push(p, parts, sizeof id, &id));
        if (p->tok.kind != SQL_TOK_DOT) return 0;
        TRY(advance(p));
        if (allow_star && p->tok.kind == SQL_TOK_STAR) {
            *out_star = true;
            return advance(p);
        }
        what = allow_star ? "a name or '*' after '.'" : "a name after '.'";
    }
}

static int parse_table_name(parser *p, sql_ident *out)
{
    vec parts;
    bool star;
    TRY(parse_parts(p, &parts, false, &star, "a table name"));
    return join_parts(p, parts.data, 0, parts.count, out);
}

static int parts_to_col(parser *p, const vec *parts, sql_col_ref *out)
{
    const sql_ident *ids = parts->data;
    *out = (sql_col_ref){.col = ids[parts->count - 1]};
    if (parts->count == 1) return 0;
    return join_parts(p, ids, 0, parts->count - 1, &out->table);
}

static int parse_col_ref(parser *p, sql_col_ref *out)
{
    vec parts;
    bool star;
    TRY(parse_parts(p, &parts, false, &star, "a column name"));
    return parts_to_col(p, &parts, out);
}

/* ---- literals ---------------------------------------------------------------------------- */

static int signed_number(parser *p, bool is_neg, sql_lit *out)
{
    const sql_tok *t = &p->tok;
    if (t->kind != SQL_TOK_INT && t->kind != SQL_TOK_FLOAT)
        return unsup(p, t->off, "Unsupported: unary operators other than a sign on a number");
    out->kind = t->kind == SQL_TOK_INT ? SQL_LIT_INT : SQL_LIT_FLOAT;
    if (!is_neg) {
        out->ptr = t->val;
        out->len = t->val_len;
        return advance(p);
    }
    char *s = lc_arena_alloc(p->lx.arena, t->val_len + 2);
    if (!s) return nomem(p);
    s[0] = '-';
    memcpy(s + 1, t->val, t->val_len + 1);
    out->ptr = s;
    out->len = t->val_len + 1;
    return advance(p);
}

/* Tries to read a literal at the current token. *out_found is false (and nothing consumed)
 * when the token cannot start one. */
static int try_literal(parser *p, sql_lit *out, bool *out_found)
{
    const sql_tok *t = &p->tok;
    *out = (sql_lit){.off = t->off};
    *out_found = true;
    switch (t->kind) {
    case SQL_TOK_INT:
    case SQL_TOK_FLOAT: return signed_number(p, false, out);
    case SQL_TOK_PLUS:
    case SQL_TOK_MINUS: {
        bool is_neg = t->kind == SQL_TOK_MINUS;
        TRY(advance(p));
        return signed_number(p, is_neg, out);
    }
    case SQL_TOK_STRING:
    case SQL_TOK_HEX:
        out->kind = t->kind == SQL_TOK_STRING ? SQL_LIT_STRING : SQL_LIT_HEX;
        out->ptr = t->val;
        out->len = t->val_len;
        return advance(p);
    case SQL_TOK_WORD:
        if (t->kw == SQL_KW_TRUE || t->kw == SQL_KW_FALSE) {
            out->kind = SQL_LIT_BOOL;
            out->is_true = t->kw == SQL_KW_TRUE;
            return advance(p);
        }
        if (t->kw == SQL_KW_NULL) return unsup(p, t->off, "Unsupported: NULL literals");
        break;
    default: break;
    }
    *out_found = false;
    return 0;
}

static int parse_literal(parser *p, sql_lit *out, const char *unsupported_msg)
{
    bool found;
    TRY(try_literal(p, out, &found));
    if (found) return 0;
    if (tok_is_name(&p->tok) || p->tok.kind == SQL_TOK_PARAM || p->tok.kind == SQL_TOK_LPAREN)
        return unsup(p, p->tok.off, unsupported_msg);
    return syntax_err(p, "a literal");
}

/* ---- expressions ------------------------------------------------------------------------- */

static int parse_or(parser *p, sql_expr **out);

static int new_expr(parser *p, sql_expr_kind kind, u32 off, sql_expr **out)
{
    *out = alloc0(p, sizeof **out);
    if (!*out) return nomem(p);
    (*out)->kind = kind;
    (*out)->off = off;
    return 0;
}

static int enter(parser *p)
{
    if (++p->depth > LC_SQL_DEPTH_MAX)
        return sql_lex_errf(&p->lx, LC_ELIMIT, NULL, p->tok.off,
                            "expression nested too deeply (max %d levels)", LC_SQL_DEPTH_MAX);
    return 0;
}

static int parse_name_primary(parser *p, sql_expr **out)
{
    u32 off = p->tok.off;
    vec parts;
    bool star;
    TRY(parse_parts(p, &parts, false, &star, "a column name"));
    if (p->tok.kind == SQL_TOK_LPAREN) return unsup(p, off, "Unsupported: function calls");
    TRY(new_expr(p, SQL_EXPR_COL, off, out));
    return parts_to_col(p, &parts, &(*out)->u.col);
}

static int parse_primary(parser *p, sql_expr **out)
{
    u32 off = p->tok.off;
    if (p->tok.kind == SQL_TOK_LPAREN) {
        TRY(advance(p));
        TRY(parse_or(p, out));
        return expect(p, SQL_TOK_RPAREN, "')'");
    }
    if (p->tok.kind == SQL_TOK_PARAM) {
        TRY(new_expr(p, SQL_EXPR_PARAM, off, out));
        char *s = tok_strdup(p);
        if (!s) return nomem(p);
        (*out)->u.param = (sql_ident){.ptr = s, .len = p->tok.val_len, .off = off};
        return advance(p);
    }
    sql_lit lit;
    bool found;
    TRY(try_literal(p, &lit, &found));
    if (found) {
        TRY(new_expr(p, SQL_EXPR_LIT, off, out));
        (*out)->u.lit = lit;
        return 0;
    }
    if (tok_is_name(&p->tok)) return parse_name_primary(p, out);
    if (is_kw(p, SQL_KW_SELECT)) return unsup(p, off, "Unsupported: subqueries");
    if (p->tok.kind == SQL_TOK_WORD && sql_kw_is_reserved(p->tok.kw))
        return sql_lex_errf(&p->lx, LC_ESYNTAX, &p->tok, off,
                            "expected an expression (%s is a reserved word; quote it to use it "
                            "as a name)",
                            sql_kw_name(p->tok.kw));
    return syntax_err(p, "an expression");
}

/* Rejects, with a clear message, the operators PostgreSQL has and SpacetimeDB does not. */
static int check_no_unsupported_op(parser *p)
{
    const sql_tok *t = &p->tok;
    if (t->kind == SQL_TOK_PLUS || t->kind == SQL_TOK_MINUS || t->kind == SQL_TOK_STAR)
        return unsup(p, t->off, "Unsupported: arithmetic expressions");
    if (t->kind != SQL_TOK_WORD) return 0;
    switch (t->kw) {
    case SQL_KW_IS: return unsup(p, t->off, "Unsupported: IS [NOT] NULL");
    case SQL_KW_IN: return unsup(p, t->off, "Unsupported: IN");
    case SQL_KW_LIKE: return unsup(p, t->off, "Unsupported: LIKE");
    case SQL_KW_BETWEEN: return unsup(p, t->off, "Unsupported: BETWEEN");
    case SQL_KW_NOT: return unsup(p, t->off, "Unsupported: NOT IN / NOT LIKE / NOT BETWEEN");
    default: return 0;
    }
}

static bool tok_cmp_op(const sql_tok *t, sql_cmp_op *out)
{
    switch (t->kind) {
    case SQL_TOK_EQ: *out = SQL_CMP_EQ; return true;
    case SQL_TOK_NE: *out = SQL_CMP_NE; return true;
    case SQL_TOK_LT: *out = SQL_CMP_LT; return true;
    case SQL_TOK_LE: *out = SQL_CMP_LE; return true;
    case SQL_TOK_GT: *out = SQL_CMP_GT; return true;
    case SQL_TOK_GE: *out = SQL_CMP_GE; return true;
    default: return false;
    }
}

static int parse_cmp(parser *p, sql_expr **out)
{
    u32 off = p->tok.off;
    sql_expr *lhs, *rhs;
    TRY(parse_primary(p, &lhs));
    TRY(check_no_unsupported_op(p));
    sql_cmp_op op;
    if (!tok_cmp_op(&p->tok, &op)) {
        *out = lhs;
        return 0;
    }
    TRY(advance(p));
    TRY(parse_primary(p, &rhs));
    TRY(check_no_unsupported_op(p));
    sql_cmp_op again;
    if (tok_cmp_op(&p->tok, &again))
        return sql_lex_errf(&p->lx, LC_ESYNTAX, &p->tok, p->tok.off,
                            "comparison operators do not chain; use AND or parentheses");
    TRY(new_expr(p, SQL_EXPR_CMP, off, out));
    (*out)->u.cmp.op = op;
    (*out)->u.cmp.lhs = lhs;
    (*out)->u.cmp.rhs = rhs;
    return 0;
}

static int parse_not(parser *p, sql_expr **out)
{
    if (!is_kw(p, SQL_KW_NOT)) return parse_cmp(p, out);
    u32 off = p->tok.off;
    if (p->is_sub && !(p->flags & SQL_SUB_ALLOW_NOT))
        return unsup(p, off, "Unsupported: NOT in subscriptions");
    TRY(enter(p));
    TRY(advance(p));
    sql_expr *operand;
    TRY(parse_not(p, &operand));
    p->depth--;
    TRY(new_expr(p, SQL_EXPR_NOT, off, out));
    (*out)->u.operand = operand;
    return 0;
}

/* One n-ary level (AND over NOTs, OR over ANDs), flattening nested nodes of the same kind. */
static int parse_list(parser *p, sql_expr_kind kind, sql_kw sep, sql_expr **out)
{
    u32 off = p->tok.off;
    vec items = {0};
    for (;;) {
        sql_expr *e;
        TRY(kind == SQL_EXPR_AND ? parse_not(p, &e) : parse_list(p, SQL_EXPR_AND, SQL_KW_AND, &e));
        if (e->kind == kind) {
            for (u32 i = 0; i < e->u.list.count; i++)
                TRY(vec_push(p, &items, sizeof e, &e->u.list.items[i]));
        } else {
            TRY(vec_push(p, &items, sizeof e, &e));
        }
        if (!is_kw(p, sep)) break;
        TRY(advance(p));
    }
    if (items.count == 1) {
        *out = ((sql_expr **)items.data)[0];
        return 0;
    }
    LC_ASSERT(items.count >= 2);
    TRY(new_expr(p, kind, off, out));
    (*out)->u.list.items = items.data;
    (*out)->u.list.count = items.count;
    return 0;
}

static int parse_or(parser *p, sql_expr **out)
{
    TRY(enter(p));
    TRY(parse_list(p, SQL_EXPR_OR, SQL_KW_OR, out));
    p->depth--;
    return 0;
}

/* ---- SELECT ------------------------------------------------------------------------------ */

static int parse_count(parser *p, sql_select *s)
{
    u32 off = p->tok.off;
    TRY(advance(p)); /* COUNT */
    TRY(advance(p)); /* ( */
    if (p->tok.kind != SQL_TOK_STAR)
        return unsup(p, p->tok.off, "Unsupported aggregate function: only COUNT(*) is supported");
    TRY(advance(p));
    TRY(expect(p, SQL_TOK_RPAREN, "')'"));
    if (is_kw(p, SQL_KW_AS)) TRY(advance(p));
    if (!tok_is_name(&p->tok))
        return unsup(p, off, "Aggregate expressions must have column aliases");
    s->proj = SQL_PROJ_COUNT;
    return parse_name(p, &s->count_alias, "an alias");
}

static int parse_proj_col(parser *p, vec *cols, bool *out_star, sql_select *s)
{
    sql_proj_col c = {.off = p->tok.off};
    vec parts;
    TRY(parse_parts(p, &parts, true, out_star, "a column name"));
    if (*out_star) {
        s->proj = SQL_PROJ_TABLE_STAR;
        return join_parts(p, parts.data, 0, parts.count, &s->star_table);
    }
    if (p->tok.kind == SQL_TOK_LPAREN) return unsup(p, c.off, "Unsupported projection expression");
    TRY(parts_to_col(p, &parts, &c.col));
    if (is_kw(p, SQL_KW_AS)) {
        TRY(advance(p));
        TRY(parse_name(p, &c.alias, "an alias"));
    } else if (tok_is_name(&p->tok)) {
        TRY(parse_name(p, &c.alias, "an alias"));
    }
    return vec_push(p, cols, sizeof c, &c);
}

static int parse_projection(parser *p, sql_select *s)
{
    if (p->tok.kind == SQL_TOK_STAR) {
        s->proj = SQL_PROJ_STAR;
        TRY(advance(p));
        if (p->tok.kind == SQL_TOK_COMMA)
            return unsup(p, p->tok.off, "Mixed wildcard projections are not supported");
        return 0;
    }
    if (is_kw(p, SQL_KW_DISTINCT)) return unsup(p, p->tok.off, "Unsupported: DISTINCT");
    vec cols = {0};
    u32 items = 0;
    for (;;) {
        u32 off = p->tok.off;
        const sql_tok *next;
        TRY(peek(p, &next));
        bool is_star = false;
        if (p->tok.kind == SQL_TOK_STAR) {
            is_star = true;
        } else if (is_kw(p, SQL_KW_COUNT) && next->kind == SQL_TOK_LPAREN) {
            TRY(parse_count(p, s));
            is_star = true; /* may not be mixed with other items either */
        } else if (tok_is_name(&p->tok)) {
            TRY(parse_proj_col(p, &cols, &is_star, s));
        } else {
            return syntax_err(p, "a column, *, t.* or COUNT(*)");
        }
        items++;
        if (is_star && items > 1)
            return unsup(p, off,
                         s->proj == SQL_PROJ_COUNT
                             ? "Unsupported: COUNT(*) with other columns"
                             : "Mixed wildcard projections are not supported");
        if (p->tok.kind != SQL_TOK_COMMA) break;
        if (is_star)
            return unsup(p, p->tok.off,
                         s->proj == SQL_PROJ_COUNT
                             ? "Unsupported: COUNT(*) with other columns"
                             : "Mixed wildcard projections are not supported");
        TRY(advance(p));
    }
    if (cols.count) {
        s->proj = SQL_PROJ_COLS;
        s->cols = cols.data;
        s->col_count = cols.count;
    }
    return 0;
}

static int parse_from_item(parser *p, sql_join_kind join, sql_from_item *it)
{
    *it = (sql_from_item){.join = join, .off = p->tok.off};
    if (p->tok.kind == SQL_TOK_LPAREN)
        return unsup(p, p->tok.off, "Unsupported FROM expression: subqueries");
    TRY(parse_table_name(p, &it->table));
    if (p->tok.kind == SQL_TOK_LPAREN)
        return unsup(p, it->off, "Unsupported FROM expression: table functions");
    if (is_kw(p, SQL_KW_AS)) {
        TRY(advance(p));
        return parse_name(p, &it->alias, "an alias");
    }
    if (tok_is_name(&p->tok)) return parse_name(p, &it->alias, "an alias");
    return 0;
}

static bool is_col_eq(const sql_expr *e)
{
    return e->kind == SQL_EXPR_CMP && e->u.cmp.op == SQL_CMP_EQ &&
           e->u.cmp.lhs->kind == SQL_EXPR_COL && e->u.cmp.rhs->kind == SQL_EXPR_COL;
}

static int parse_on(parser *p, sql_from_item *it)
{
    u32 off = p->tok.off;
    TRY(parse_or(p, &it->on));
    const sql_expr *e = it->on;
    bool ok = is_col_eq(e);
    if (!ok && e->kind == SQL_EXPR_AND && !p->is_sub) {
        ok = true;
        for (u32 i = 0; i < e->u.list.count; i++) ok &= is_col_eq(e->u.list.items[i]);
    }
    if (!ok) {
        return unsup(p, off,
                     p->is_sub ? "Unsupported join condition: ON must be one equality "
                                 "between two columns"
                               : "Unsupported join condition: ON must be equalities "
                                 "between columns joined by AND");
    }
    return 0;
}

/* After the first table: joins until something else. */
static int parse_joins(parser *p, vec *items)
{
    for (;;) {
        sql_from_item it;
        u32 off = p->tok.off;
        if (p->tok.kind == SQL_TOK_COMMA) {
            if (p->is_sub) return unsup(p, off, "Implicit joins are not supported");
            TRY(advance(p));
            TRY(parse_from_item(p, SQL_JOIN_COMMA, &it));
        } else if (is_kw(p, SQL_KW_CROSS)) {
            TRY(advance(p));
            TRY(expect_kw(p, SQL_KW_JOIN));
            TRY(parse_from_item(p, SQL_JOIN_CROSS, &it));
        } else if (is_kw(p, SQL_KW_INNER) || is_kw(p, SQL_KW_JOIN)) {
            if (is_kw(p, SQL_KW_INNER)) TRY(advance(p));
            TRY(expect_kw(p, SQL_KW_JOIN));
            TRY(parse_from_item(p, SQL_JOIN_INNER, &it));
            if (is_kw(p, SQL_KW_ON)) {
                TRY(advance(p));
                TRY(parse_on(p, &it));
            }
        } else if (is_kw(p, SQL_KW_LEFT) || is_kw(p, SQL_KW_RIGHT) || is_kw(p, SQL_KW_FULL) ||
                   is_kw(p, SQL_KW_OUTER)) {
            return unsup(p, off, "Non-inner joins are not supported");
        } else {
            return 0;
        }
        TRY(vec_push(p, items, sizeof it, &it));
    }
}

static int parse_from(parser *p, sql_select *s)
{
    if (!is_kw(p, SQL_KW_FROM)) {
        if (p->tok.kind == SQL_TOK_EOF) return unsup(p, p->tok.off, "A FROM clause is required");
        return syntax_err(p, "FROM");
    }
    TRY(advance(p));
    vec items = {0};
    sql_from_item first;
    TRY(parse_from_item(p, SQL_JOIN_FIRST, &first));
    TRY(vec_push(p, &items, sizeof first, &first));
    TRY(parse_joins(p, &items));
    s->from = items.data;
    s->from_count = items.count;
    return 0;
}

static int parse_order(parser *p, sql_select *s)
{
    if (p->is_sub) return unsup(p, p->tok.off, "Unsupported: ORDER BY in subscriptions");
    TRY(advance(p));
    TRY(expect_kw(p, SQL_KW_BY));
    vec items = {0};
    for (;;) {
        sql_order_item o = {.off = p->tok.off};
        TRY(parse_col_ref(p, &o.col));
        if (is_kw(p, SQL_KW_ASC) || is_kw(p, SQL_KW_DESC)) {
            o.is_desc = is_kw(p, SQL_KW_DESC);
            TRY(advance(p));
        }
        TRY(vec_push(p, &items, sizeof o, &o));
        if (p->tok.kind != SQL_TOK_COMMA) break;
        TRY(advance(p));
    }
    s->order = items.data;
    s->order_count = items.count;
    return 0;
}

static int parse_u64(parser *p, const char *what, u64 *out)
{
    if (p->tok.kind != SQL_TOK_INT) {
        if (p->tok.kind == SQL_TOK_EOF) return syntax_err(p, "a number");
        return sql_lex_errf(&p->lx, LC_ENOTSUP, NULL, p->tok.off,
                            "Unsupported %s expression: expected a non-negative integer", what);
    }
    u64 v = 0;
    for (u32 i = 0; i < p->tok.val_len; i++) {
        u64 d = (u64)(p->tok.val[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return sql_lex_errf(&p->lx, LC_ERANGE, NULL, p->tok.off, "%s value out of range", what);
        v = v * 10 + d;
    }
    *out = v;
    return advance(p);
}

static int parse_limit_offset(parser *p, sql_select *s)
{
    for (;;) {
        bool is_limit = is_kw(p, SQL_KW_LIMIT);
        if (!is_limit && !is_kw(p, SQL_KW_OFFSET)) return 0;
        const char *what = is_limit ? "LIMIT" : "OFFSET";
        if (p->is_sub)
            return sql_lex_errf(&p->lx, LC_ENOTSUP, NULL, p->tok.off,
                                "Unsupported: %s in subscriptions", what);
        if (is_limit ? s->has_limit : s->has_offset)
            return sql_lex_errf(&p->lx, LC_ESYNTAX, &p->tok, p->tok.off, "%s given twice", what);
        TRY(advance(p));
        TRY(parse_u64(p, what, is_limit ? &s->limit : &s->offset));
        if (is_limit)
            s->has_limit = true;
        else
            s->has_offset = true;
    }
}

static int check_qualified(parser *p, const sql_expr *e)
{
    if (!e) return 0;
    switch (e->kind) {
    case SQL_EXPR_COL:
        if (!e->u.col.table.len)
            return unsup(p, e->off, "Names must be qualified when using joins");
        return 0;
    case SQL_EXPR_CMP:
        TRY(check_qualified(p, e->u.cmp.lhs));
        return check_qualified(p, e->u.cmp.rhs);
    case SQL_EXPR_AND:
    case SQL_EXPR_OR:
        for (u32 i = 0; i < e->u.list.count; i++) TRY(check_qualified(p, e->u.list.items[i]));
        return 0;
    case SQL_EXPR_NOT: return check_qualified(p, e->u.operand);
    default: return 0;
    }
}

static const sql_ident *from_name(const sql_from_item *it)
{
    return it->alias.len ? &it->alias : &it->table;
}

/* Two FROM items with the same visible name (a self-join without aliases, a repeated alias)
 * cannot be told apart: SpacetimeDB's type checker says "Duplicate name `x`". */
static int check_duplicate_names(parser *p, const sql_select *s)
{
    for (u32 i = 1; i < s->from_count; i++) {
        const sql_ident *x = from_name(&s->from[i]);
        for (u32 j = 0; j < i; j++) {
            const sql_ident *y = from_name(&s->from[j]);
            if (x->len == y->len && memcmp(x->ptr, y->ptr, x->len) == 0)
                return sql_lex_errf(&p->lx, LC_ENOTSUP, NULL, x->off, "Duplicate name `%.*s`",
                                    (int)(x->len > 64 ? 64 : x->len), x->ptr);
        }
    }
    return 0;
}

/* Rules that need the whole SELECT: join qualification and the subscription shape. */
static int check_select(parser *p, const sql_select *s, u32 proj_off)
{
    if (s->from_count > 1) {
        TRY(check_duplicate_names(p, s));
        if (s->proj == SQL_PROJ_STAR)
            return unsup(p, proj_off, "SELECT * is not supported for joins");
        for (u32 i = 0; i < s->col_count; i++)
            if (!s->cols[i].col.table.len)
                return unsup(p, s->cols[i].off, "Names must be qualified when using joins");
        for (u32 i = 0; i < s->order_count; i++)
            if (!s->order[i].col.table.len)
                return unsup(p, s->order[i].off, "Names must be qualified when using joins");
        for (u32 i = 1; i < s->from_count; i++) TRY(check_qualified(p, s->from[i].on));
        TRY(check_qualified(p, s->where));
    }
    if (!p->is_sub) return 0;
    if (s->proj == SQL_PROJ_COLS || s->proj == SQL_PROJ_COUNT)
        return unsup(p, proj_off,
                     "Column projections are not supported in subscriptions; "
                     "Subscriptions must return a table type");
    if (s->from_count > 2)
        return unsup(p, s->from[2].off, "Invalid number of tables in subscription");
    return 0;
}

static int parse_select(parser *p, sql_select *s)
{
    TRY(advance(p)); /* SELECT */
    u32 proj_off = p->tok.off;
    TRY(parse_projection(p, s));
    TRY(parse_from(p, s));
    if (is_kw(p, SQL_KW_WHERE)) {
        TRY(advance(p));
        TRY(parse_or(p, &s->where));
    }
    if (is_kw(p, SQL_KW_GROUP) || is_kw(p, SQL_KW_HAVING))
        return unsup(p, p->tok.off, "Unsupported: GROUP BY / HAVING");
    if (is_kw(p, SQL_KW_UNION)) return unsup(p, p->tok.off, "Unsupported set operation: UNION");
    if (is_kw(p, SQL_KW_ORDER)) TRY(parse_order(p, s));
    TRY(parse_limit_offset(p, s));
    return check_select(p, s, proj_off);
}

/* ---- DML, SET, SHOW ---------------------------------------------------------------------- */

static int parse_values(parser *p, sql_insert *ins)
{
    vec vals = {0};
    u32 row_off = p->tok.off;
    for (;;) {
        TRY(expect(p, SQL_TOK_LPAREN, "'('"));
        u32 width = 0;
        for (;;) {
            sql_lit lit;
            TRY(parse_literal(p, &lit, "Unsupported INSERT value: values must be literals"));
            TRY(vec_push(p, &vals, sizeof lit, &lit));
            width++;
            if (p->tok.kind != SQL_TOK_COMMA) break;
            TRY(advance(p));
        }
        TRY(expect(p, SQL_TOK_RPAREN, "',' or ')'"));
        if (ins->row_count == 0) ins->row_width = width;
        if (width != ins->row_width)
            return sql_lex_errf(&p->lx, LC_ESYNTAX, NULL, row_off,
                                "VALUES lists must all be the same length");
        ins->row_count++;
        if (p->tok.kind != SQL_TOK_COMMA) break;
        TRY(advance(p));
        row_off = p->tok.off;
    }
    ins->values = vals.data;
    return 0;
}

static int parse_insert(parser *p, sql_insert *ins)
{
    TRY(advance(p)); /* INSERT */
    TRY(expect_kw(p, SQL_KW_INTO));
    TRY(parse_table_name(p, &ins->table));
    if (p->tok.kind == SQL_TOK_LPAREN) {
        TRY(advance(p));
        vec cols = {0};
        for (;;) {
            sql_ident id;
            TRY(parse_name(p, &id, "a column name"));
            TRY(vec_push(p, &cols, sizeof id, &id));
            if (p->tok.kind != SQL_TOK_COMMA) break;
            TRY(advance(p));
        }
        TRY(expect(p, SQL_TOK_RPAREN, "',' or ')'"));
        ins->cols = cols.data;
        ins->col_count = cols.count;
    }
    if (is_kw(p, SQL_KW_SELECT))
        return unsup(p, p->tok.off, "Unsupported INSERT expression: SELECT");
    TRY(expect_kw(p, SQL_KW_VALUES));
    return parse_values(p, ins);
}

static int parse_where_opt(parser *p, sql_expr **out)
{
    *out = NULL;
    if (!is_kw(p, SQL_KW_WHERE)) return 0;
    TRY(advance(p));
    return parse_or(p, out);
}

static int parse_update(parser *p, sql_update *up)
{
    TRY(advance(p)); /* UPDATE */
    TRY(parse_table_name(p, &up->table));
    TRY(expect_kw(p, SQL_KW_SET));
    vec sets = {0};
    for (;;) {
        sql_assign a;
        TRY(parse_name(p, &a.col, "a column name"));
        if (p->tok.kind == SQL_TOK_DOT)
            return unsup(p, a.col.off, "Unsupported: qualified column in SET");
        TRY(expect(p, SQL_TOK_EQ, "'='"));
        TRY(parse_literal(p, &a.value,
                          "Unsupported column/variable assignment expression: "
                          "values must be literals"));
        TRY(vec_push(p, &sets, sizeof a, &a));
        if (p->tok.kind != SQL_TOK_COMMA) break;
        TRY(advance(p));
    }
    up->sets = sets.data;
    up->set_count = sets.count;
    if (is_kw(p, SQL_KW_FROM)) return unsup(p, p->tok.off, "Unsupported: UPDATE ... FROM");
    return parse_where_opt(p, &up->where);
}

static int parse_delete(parser *p, sql_delete *d)
{
    TRY(advance(p)); /* DELETE */
    TRY(expect_kw(p, SQL_KW_FROM));
    TRY(parse_table_name(p, &d->table));
    if (p->tok.kind == SQL_TOK_COMMA || is_kw(p, SQL_KW_JOIN) || tok_is_name(&p->tok) ||
        is_kw(p, SQL_KW_AS))
        return unsup(p, p->tok.off, "Multi-table DELETE is not supported");
    return parse_where_opt(p, &d->where);
}

static int parse_set(parser *p, sql_stmt *st)
{
    TRY(advance(p)); /* SET */
    TRY(parse_name(p, &st->u.set.var, "a variable name"));
    if (p->tok.kind == SQL_TOK_EQ || is_kw(p, SQL_KW_TO))
        TRY(advance(p));
    else
        return syntax_err(p, "'=' or TO");
    return parse_literal(p, &st->u.set.value,
                         "Unsupported column/variable assignment expression: "
                         "values must be literals");
}

/* ---- statements -------------------------------------------------------------------------- */

static bool word_is(const sql_tok *t, const char *upper)
{
    if (t->kind != SQL_TOK_WORD || strlen(upper) != t->val_len) return false;
    for (u32 i = 0; i < t->val_len; i++) {
        char c = t->val[i];
        if (c >= 'a' && c <= 'z') c = (char)(c - 32);
        if (c != upper[i]) return false;
    }
    return true;
}

static int parse_unknown_stmt(parser *p)
{
    static const char *const known[] = {"CREATE", "DROP",     "ALTER",    "BEGIN",
                                        "COMMIT", "ROLLBACK", "TRUNCATE", "GRANT",
                                        "REVOKE", "EXPLAIN",  "START"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (word_is(&p->tok, known[i]))
            return sql_lex_errf(&p->lx, LC_ENOTSUP, NULL, p->tok.off, "Unsupported statement: %s",
                                known[i]);
    if (is_kw(p, SQL_KW_WITH))
        return unsup(p, p->tok.off, "Unsupported: WITH (common table expressions)");
    return syntax_err(p, "SELECT, INSERT, UPDATE, DELETE, SET or SHOW");
}

static int parse_stmt_body(parser *p, sql_stmt *st)
{
    st->off = p->tok.off;
    if (p->tok.kind == SQL_TOK_WORD) {
        switch (p->tok.kw) {
        case SQL_KW_SELECT: st->kind = SQL_STMT_SELECT; return parse_select(p, &st->u.select);
        case SQL_KW_INSERT: st->kind = SQL_STMT_INSERT; return parse_insert(p, &st->u.insert);
        case SQL_KW_UPDATE: st->kind = SQL_STMT_UPDATE; return parse_update(p, &st->u.update);
        case SQL_KW_DELETE: st->kind = SQL_STMT_DELETE; return parse_delete(p, &st->u.del);
        case SQL_KW_SET: st->kind = SQL_STMT_SET; return parse_set(p, st);
        case SQL_KW_SHOW:
            st->kind = SQL_STMT_SHOW;
            TRY(advance(p));
            return parse_name(p, &st->u.show, "a variable name");
        default: break;
        }
    }
    return parse_unknown_stmt(p);
}

/* SpacetimeDB's message (crates/query), quoting the first 120 bytes (made printable), plus
 * the sizes. */
static int too_long(const char *sql, size_t len, size_t max, lc_errbuf *eb)
{
    char head[121];
    size_t n = len < 120 ? len : 120;
    for (size_t i = 0; i < n; i++) {
        u8 c = (u8)sql[i];
        head[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    head[n] = '\0';
    return lc_errf(eb, LC_ELIMIT,
                   "SQL query exceeds maximum allowed length: \"%s...\" (%zu bytes, max %zu)", head,
                   len, max);
}

/* Shared driver: bounds, UTF-8, empty input, one statement, surrounding ';'. */
static int parse_text(parser *p, const char *sql, size_t len, size_t max, lc_arena *arena,
                      lc_errbuf *eb, sql_stmt **out)
{
    *out = NULL;
    if (len > max) return too_long(sql, len, max, eb);
    sql_lex_init(&p->lx, sql, (u32)len, arena, eb);
    u32 bad;
    if (sql_utf8_check(sql, (u32)len, &bad))
        return sql_lex_errf(&p->lx, LC_EUTF8, NULL, bad, "SQL text is not valid UTF-8");
    /* Empty statements (runs of ';') are skipped before and after, as sqlparser does. */
    TRY(advance(p));
    while (p->tok.kind == SQL_TOK_SEMI) TRY(advance(p));
    if (p->tok.kind == SQL_TOK_EOF) return unsup(p, p->tok.off, "Empty SQL query");
    if (p->is_sub && !is_kw(p, SQL_KW_SELECT))
        return unsup(p, p->tok.off, "Unsupported: Non-SELECT queries");
    sql_stmt *st = alloc0(p, sizeof *st);
    if (!st) return nomem(p);
    TRY(parse_stmt_body(p, st));
    if (p->tok.kind == SQL_TOK_SEMI) {
        while (p->tok.kind == SQL_TOK_SEMI) TRY(advance(p));
        if (p->tok.kind != SQL_TOK_EOF)
            return unsup(p, p->tok.off, "Multiple SQL statements are not supported");
    }
    if (p->tok.kind != SQL_TOK_EOF) return syntax_err(p, "end of statement");
    LC_ASSERT(p->depth == 0);
    *out = st;
    return 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Matches a case-insensitive word at *i, then at least one space unless `need_space` is
 * false; advances *i. */
static bool match_word(const char *s, size_t n, size_t *i, const char *w, bool need_space)
{
    size_t k = 0;
    while (w[k] && *i + k < n &&
           (s[*i + k] == w[k] || (w[k] >= 'A' && w[k] <= 'Z' && s[*i + k] == w[k] + 32)))
        k++;
    if (w[k]) return false;
    *i += k;
    size_t spaces = 0;
    while (*i < n && is_space(s[*i])) (*i)++, spaces++;
    return !need_space || spaces > 0;
}

bool sql_is_subscribe_all(const char *sql, size_t len)
{
    size_t i = 0;
    while (i < len && is_space(sql[i])) i++;
    if (!match_word(sql, len, &i, "SELECT", true)) return false;
    if (!match_word(sql, len, &i, "*", true)) return false;
    if (!match_word(sql, len, &i, "FROM", true)) return false;
    return match_word(sql, len, &i, "*", false) && i == len;
}

int sql_parse(const char *sql, size_t len, lc_arena *arena, sql_stmt **out_stmt, lc_errbuf *eb)
{
    parser p = {0};
    return parse_text(&p, sql, len, LC_SQL_TEXT_MAX, arena, eb, out_stmt);
}

int sql_parse_subscription(const char *sql, size_t len, u32 flags, lc_arena *arena,
                           sql_select **out_select, lc_errbuf *eb)
{
    parser p = {.is_sub = true, .flags = flags};
    sql_stmt *st;
    *out_select = NULL;
    TRY(parse_text(&p, sql, len, LC_SQL_SUB_TEXT_MAX, arena, eb, &st));
    LC_ASSERT(st->kind == SQL_STMT_SELECT);
    *out_select = &st->u.select;
    return 0;
}
