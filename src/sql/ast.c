/*
 * sql/ast.c — canonical printing, structural hashing and equality over the SQL AST.
 *
 * Canonical text: keywords upper case, single spaces, identifiers unquoted when they are a
 * plain [A-Za-z_][A-Za-z0-9_]* word that is not a keyword (each '.'-separated part of a
 * namespaced name likewise), otherwise one "quoted" identifier; hex literals as 0x + lower
 * case digits (X'' when empty); strings with '' escapes. Parentheses appear exactly where
 * the tree needs them (an OR inside an AND, a boolean operand of a comparison, an AND/OR under
 * NOT), so parse(print(ast)) is equal to ast — the round-trip property the tests check.
 *
 * Hash and equality ignore offsets and quoting style; identifiers compare by bytes (names are
 * case-sensitive). The hash is seedless and therefore stable across processes. Recursion depth
 * is bounded by the parser (n-ary AND/OR, LC_SQL_DEPTH_MAX), so these walks cannot overflow.
 */
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/hash.h"
#include "sql/lex.h"
#include "sql/sql.h"

static void put_s(lc_buf *b, const char *s) { lc_buf_put(b, s, strlen(s)); }

static bool is_plain_part(const char *p, u32 n)
{
    if (n == 0) return false;
    for (u32 i = 0; i < n; i++) {
        char c = p[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                  (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return sql_kw_lookup(p, n) == SQL_KW_NONE;
}

/* Table names (and column qualifiers) may be namespaced "a.b": each part is checked on its
 * own and printed bare, which reparses to the same joined bytes. A column or alias name with a
 * '.' must be quoted whole, or it would reparse as a qualified reference. */
static void print_name(const sql_ident *id, bool is_table, lc_buf *b)
{
    bool plain = true;
    u32 start = 0;
    for (u32 i = 0; i <= id->len && plain; i++) {
        if (i == id->len || (is_table && id->ptr[i] == '.')) {
            plain = is_plain_part(id->ptr + start, i - start);
            start = i + 1;
        }
    }
    if (plain) {
        lc_buf_put(b, id->ptr, id->len);
        return;
    }
    lc_buf_put_u8(b, '"');
    for (u32 i = 0; i < id->len; i++) {
        if (id->ptr[i] == '"') lc_buf_put_u8(b, '"');
        lc_buf_put_u8(b, (u8)id->ptr[i]);
    }
    lc_buf_put_u8(b, '"');
}

static void print_ident(const sql_ident *id, lc_buf *b) { print_name(id, false, b); }
static void print_table(const sql_ident *id, lc_buf *b) { print_name(id, true, b); }

static void print_lit(const sql_lit *l, lc_buf *b)
{
    static const char hex[] = "0123456789abcdef";
    switch (l->kind) {
    case SQL_LIT_INT:
    case SQL_LIT_FLOAT: lc_buf_put(b, l->ptr, l->len); return;
    case SQL_LIT_BOOL: put_s(b, l->is_true ? "TRUE" : "FALSE"); return;
    case SQL_LIT_STRING:
        lc_buf_put_u8(b, '\'');
        for (u32 i = 0; i < l->len; i++) {
            if (l->ptr[i] == '\'') lc_buf_put_u8(b, '\'');
            lc_buf_put_u8(b, (u8)l->ptr[i]);
        }
        lc_buf_put_u8(b, '\'');
        return;
    case SQL_LIT_HEX:
        if (l->len == 0) {
            put_s(b, "X''");
            return;
        }
        put_s(b, "0x");
        for (u32 i = 0; i < l->len; i++) {
            u8 c = (u8)l->ptr[i];
            lc_buf_put_u8(b, (u8)hex[c >> 4]);
            lc_buf_put_u8(b, (u8)hex[c & 15]);
        }
        return;
    }
    LC_ASSERT(!"unknown literal kind");
}

static void print_col(const sql_col_ref *c, lc_buf *b)
{
    if (c->table.len) {
        print_table(&c->table, b);
        lc_buf_put_u8(b, '.');
    }
    print_ident(&c->col, b);
}

static void print_expr(const sql_expr *e, lc_buf *b);

static void print_wrapped(const sql_expr *e, bool wrap, lc_buf *b)
{
    if (wrap) lc_buf_put_u8(b, '(');
    print_expr(e, b);
    if (wrap) lc_buf_put_u8(b, ')');
}

static bool is_boolean_node(const sql_expr *e)
{
    return e->kind == SQL_EXPR_CMP || e->kind == SQL_EXPR_AND || e->kind == SQL_EXPR_OR ||
           e->kind == SQL_EXPR_NOT;
}

static void print_expr(const sql_expr *e, lc_buf *b)
{
    static const char *const ops[] = {" = ", " <> ", " < ", " <= ", " > ", " >= "};
    switch (e->kind) {
    case SQL_EXPR_LIT: print_lit(&e->u.lit, b); return;
    case SQL_EXPR_COL: print_col(&e->u.col, b); return;
    case SQL_EXPR_PARAM:
        lc_buf_put_u8(b, ':');
        lc_buf_put(b, e->u.param.ptr, e->u.param.len);
        return;
    case SQL_EXPR_CMP:
        print_wrapped(e->u.cmp.lhs, is_boolean_node(e->u.cmp.lhs), b);
        put_s(b, ops[e->u.cmp.op]);
        print_wrapped(e->u.cmp.rhs, is_boolean_node(e->u.cmp.rhs), b);
        return;
    case SQL_EXPR_AND:
    case SQL_EXPR_OR:
        LC_ASSERT(e->u.list.count >= 2);
        for (u32 i = 0; i < e->u.list.count; i++) {
            const sql_expr *it = e->u.list.items[i];
            LC_DEBUG_ASSERT(it->kind != e->kind); /* flattened by the parser */
            if (i) put_s(b, e->kind == SQL_EXPR_AND ? " AND " : " OR ");
            print_wrapped(it, it->kind == SQL_EXPR_OR || it->kind == SQL_EXPR_AND, b);
        }
        return;
    case SQL_EXPR_NOT:
        put_s(b, "NOT ");
        print_wrapped(e->u.operand,
                      e->u.operand->kind == SQL_EXPR_AND || e->u.operand->kind == SQL_EXPR_OR, b);
        return;
    }
    LC_ASSERT(!"unknown expression kind");
}

static void print_u64(u64 v, lc_buf *b)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    lc_buf_put(b, tmp, (size_t)n);
}

static void print_proj(const sql_select *s, lc_buf *b)
{
    switch (s->proj) {
    case SQL_PROJ_STAR: put_s(b, "*"); return;
    case SQL_PROJ_TABLE_STAR:
        print_table(&s->star_table, b);
        put_s(b, ".*");
        return;
    case SQL_PROJ_COUNT:
        put_s(b, "COUNT(*) AS ");
        print_ident(&s->count_alias, b);
        return;
    case SQL_PROJ_COLS:
        for (u32 i = 0; i < s->col_count; i++) {
            if (i) put_s(b, ", ");
            print_col(&s->cols[i].col, b);
            if (s->cols[i].alias.len) {
                put_s(b, " AS ");
                print_ident(&s->cols[i].alias, b);
            }
        }
        return;
    }
}

static void print_from(const sql_select *s, lc_buf *b)
{
    static const char *const joins[] = {"", " JOIN ", " CROSS JOIN ", ", "};
    for (u32 i = 0; i < s->from_count; i++) {
        const sql_from_item *it = &s->from[i];
        put_s(b, joins[it->join]);
        print_table(&it->table, b);
        if (it->alias.len) {
            put_s(b, " AS ");
            print_ident(&it->alias, b);
        }
        if (it->on) {
            put_s(b, " ON ");
            print_expr(it->on, b);
        }
    }
}

static void print_select(const sql_select *s, lc_buf *b)
{
    put_s(b, "SELECT ");
    print_proj(s, b);
    put_s(b, " FROM ");
    print_from(s, b);
    if (s->where) {
        put_s(b, " WHERE ");
        print_expr(s->where, b);
    }
    for (u32 i = 0; i < s->order_count; i++) {
        put_s(b, i ? ", " : " ORDER BY ");
        print_col(&s->order[i].col, b);
        if (s->order[i].is_desc) put_s(b, " DESC");
    }
    if (s->has_limit) {
        put_s(b, " LIMIT ");
        print_u64(s->limit, b);
    }
    if (s->has_offset) {
        put_s(b, " OFFSET ");
        print_u64(s->offset, b);
    }
}

static void print_insert(const sql_insert *ins, lc_buf *b)
{
    put_s(b, "INSERT INTO ");
    print_table(&ins->table, b);
    for (u32 i = 0; i < ins->col_count; i++) {
        put_s(b, i ? ", " : " (");
        print_ident(&ins->cols[i], b);
    }
    if (ins->col_count) put_s(b, ")");
    put_s(b, " VALUES ");
    for (u32 r = 0; r < ins->row_count; r++) {
        put_s(b, r ? ", (" : "(");
        for (u32 c = 0; c < ins->row_width; c++) {
            if (c) put_s(b, ", ");
            print_lit(&ins->values[(size_t)r * ins->row_width + c], b);
        }
        put_s(b, ")");
    }
}

static void print_update(const sql_update *up, lc_buf *b)
{
    put_s(b, "UPDATE ");
    print_table(&up->table, b);
    for (u32 i = 0; i < up->set_count; i++) {
        put_s(b, i ? ", " : " SET ");
        print_ident(&up->sets[i].col, b);
        put_s(b, " = ");
        print_lit(&up->sets[i].value, b);
    }
    if (up->where) {
        put_s(b, " WHERE ");
        print_expr(up->where, b);
    }
}

int sql_stmt_print(const sql_stmt *s, lc_buf *b)
{
    switch (s->kind) {
    case SQL_STMT_SELECT: print_select(&s->u.select, b); break;
    case SQL_STMT_INSERT: print_insert(&s->u.insert, b); break;
    case SQL_STMT_UPDATE: print_update(&s->u.update, b); break;
    case SQL_STMT_DELETE:
        put_s(b, "DELETE FROM ");
        print_table(&s->u.del.table, b);
        if (s->u.del.where) {
            put_s(b, " WHERE ");
            print_expr(s->u.del.where, b);
        }
        break;
    case SQL_STMT_SET:
        put_s(b, "SET ");
        print_ident(&s->u.set.var, b);
        put_s(b, " = ");
        print_lit(&s->u.set.value, b);
        break;
    case SQL_STMT_SHOW:
        put_s(b, "SHOW ");
        print_ident(&s->u.show, b);
        break;
    }
    return b->err;
}

int sql_select_print(const sql_select *s, lc_buf *b)
{
    print_select(s, b);
    return b->err;
}

int sql_expr_print(const sql_expr *e, lc_buf *b)
{
    print_expr(e, b);
    return b->err;
}

bool sql_expr_has_param(const sql_expr *e, const char *name)
{
    if (!e) return false;
    switch (e->kind) {
    case SQL_EXPR_PARAM:
        return e->u.param.len == strlen(name) && memcmp(e->u.param.ptr, name, e->u.param.len) == 0;
    case SQL_EXPR_CMP:
        return sql_expr_has_param(e->u.cmp.lhs, name) || sql_expr_has_param(e->u.cmp.rhs, name);
    case SQL_EXPR_AND:
    case SQL_EXPR_OR:
        LC_ASSERT(e->u.list.count >= 2);
        for (u32 i = 0; i < e->u.list.count; i++)
            if (sql_expr_has_param(e->u.list.items[i], name)) return true;
        return false;
    case SQL_EXPR_NOT: return sql_expr_has_param(e->u.operand, name);
    default: return false;
    }
}

/* ---- hashing ----------------------------------------------------------------------------- */

static u64 mix(u64 h, u64 v) { return lc_hash_mum(h ^ v, 0x9e3779b97f4a7c15ull); }
static u64 hash_ident(u64 h, const sql_ident *id)
{
    return lc_hash_bytes(id->ptr, id->len, mix(h, id->len));
}

static u64 hash_lit(u64 h, const sql_lit *l)
{
    h = mix(h, (u64)l->kind * 2 + l->is_true);
    return lc_hash_bytes(l->ptr, l->len, mix(h, l->len));
}

static u64 hash_col(u64 h, const sql_col_ref *c)
{
    return hash_ident(hash_ident(h, &c->table), &c->col);
}

static u64 hash_expr(u64 h, const sql_expr *e)
{
    if (!e) return mix(h, 0xfeed);
    h = mix(h, (u64)e->kind + 1);
    switch (e->kind) {
    case SQL_EXPR_LIT: return hash_lit(h, &e->u.lit);
    case SQL_EXPR_COL: return hash_col(h, &e->u.col);
    case SQL_EXPR_PARAM: return hash_ident(h, &e->u.param);
    case SQL_EXPR_CMP:
        h = mix(h, e->u.cmp.op);
        return hash_expr(hash_expr(h, e->u.cmp.lhs), e->u.cmp.rhs);
    case SQL_EXPR_AND:
    case SQL_EXPR_OR:
        h = mix(h, e->u.list.count);
        for (u32 i = 0; i < e->u.list.count; i++) h = hash_expr(h, e->u.list.items[i]);
        return h;
    case SQL_EXPR_NOT: return hash_expr(h, e->u.operand);
    }
    return h;
}

static u64 hash_select(u64 h, const sql_select *s)
{
    h = mix(h, s->proj);
    h = hash_ident(hash_ident(h, &s->star_table), &s->count_alias);
    h = mix(h, s->col_count);
    for (u32 i = 0; i < s->col_count; i++)
        h = hash_ident(hash_col(h, &s->cols[i].col), &s->cols[i].alias);
    h = mix(h, s->from_count);
    for (u32 i = 0; i < s->from_count; i++) {
        const sql_from_item *it = &s->from[i];
        h = hash_expr(hash_ident(hash_ident(mix(h, it->join), &it->table), &it->alias), it->on);
    }
    h = hash_expr(h, s->where);
    h = mix(h, s->order_count);
    for (u32 i = 0; i < s->order_count; i++)
        h = mix(hash_col(h, &s->order[i].col), s->order[i].is_desc);
    h = mix(h, (u64)s->has_limit << 1 | s->has_offset);
    return mix(mix(h, s->limit), s->offset);
}

u64 sql_select_hash(const sql_select *s) { return lc_hash_u64(hash_select(0x5c1, s)); }

u64 sql_stmt_hash(const sql_stmt *s)
{
    u64 h = mix(0x5c2, s->kind);
    switch (s->kind) {
    case SQL_STMT_SELECT: h = hash_select(h, &s->u.select); break;
    case SQL_STMT_INSERT: {
        const sql_insert *ins = &s->u.insert;
        h = mix(hash_ident(h, &ins->table), ins->col_count);
        for (u32 i = 0; i < ins->col_count; i++) h = hash_ident(h, &ins->cols[i]);
        h = mix(mix(h, ins->row_count), ins->row_width);
        for (size_t i = 0; i < (size_t)ins->row_count * ins->row_width; i++)
            h = hash_lit(h, &ins->values[i]);
        break;
    }
    case SQL_STMT_UPDATE:
        h = mix(hash_ident(h, &s->u.update.table), s->u.update.set_count);
        for (u32 i = 0; i < s->u.update.set_count; i++)
            h = hash_lit(hash_ident(h, &s->u.update.sets[i].col), &s->u.update.sets[i].value);
        h = hash_expr(h, s->u.update.where);
        break;
    case SQL_STMT_DELETE: h = hash_expr(hash_ident(h, &s->u.del.table), s->u.del.where); break;
    case SQL_STMT_SET: h = hash_lit(hash_ident(h, &s->u.set.var), &s->u.set.value); break;
    case SQL_STMT_SHOW: h = hash_ident(h, &s->u.show); break;
    }
    return lc_hash_u64(h);
}

/* ---- equality ---------------------------------------------------------------------------- */

static bool ident_eq(const sql_ident *a, const sql_ident *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

static bool lit_eq(const sql_lit *a, const sql_lit *b)
{
    return a->kind == b->kind && a->is_true == b->is_true && a->len == b->len &&
           (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

static bool col_eq(const sql_col_ref *a, const sql_col_ref *b)
{
    return ident_eq(&a->table, &b->table) && ident_eq(&a->col, &b->col);
}

bool sql_expr_equal(const sql_expr *a, const sql_expr *b)
{
    if (!a || !b) return a == b;
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case SQL_EXPR_LIT: return lit_eq(&a->u.lit, &b->u.lit);
    case SQL_EXPR_COL: return col_eq(&a->u.col, &b->u.col);
    case SQL_EXPR_PARAM: return ident_eq(&a->u.param, &b->u.param);
    case SQL_EXPR_CMP:
        return a->u.cmp.op == b->u.cmp.op && sql_expr_equal(a->u.cmp.lhs, b->u.cmp.lhs) &&
               sql_expr_equal(a->u.cmp.rhs, b->u.cmp.rhs);
    case SQL_EXPR_AND:
    case SQL_EXPR_OR:
        if (a->u.list.count != b->u.list.count) return false;
        for (u32 i = 0; i < a->u.list.count; i++)
            if (!sql_expr_equal(a->u.list.items[i], b->u.list.items[i])) return false;
        return true;
    case SQL_EXPR_NOT: return sql_expr_equal(a->u.operand, b->u.operand);
    }
    return false;
}

static bool from_eq(const sql_select *a, const sql_select *b)
{
    if (a->from_count != b->from_count) return false;
    for (u32 i = 0; i < a->from_count; i++) {
        const sql_from_item *x = &a->from[i], *y = &b->from[i];
        if (x->join != y->join || !ident_eq(&x->table, &y->table) ||
            !ident_eq(&x->alias, &y->alias) || !sql_expr_equal(x->on, y->on))
            return false;
    }
    return true;
}

bool sql_select_equal(const sql_select *a, const sql_select *b)
{
    if (a->proj != b->proj || !ident_eq(&a->star_table, &b->star_table) ||
        !ident_eq(&a->count_alias, &b->count_alias) || a->col_count != b->col_count ||
        a->order_count != b->order_count || a->has_limit != b->has_limit ||
        a->has_offset != b->has_offset || a->limit != b->limit || a->offset != b->offset)
        return false;
    for (u32 i = 0; i < a->col_count; i++)
        if (!col_eq(&a->cols[i].col, &b->cols[i].col) ||
            !ident_eq(&a->cols[i].alias, &b->cols[i].alias))
            return false;
    for (u32 i = 0; i < a->order_count; i++)
        if (!col_eq(&a->order[i].col, &b->order[i].col) ||
            a->order[i].is_desc != b->order[i].is_desc)
            return false;
    return from_eq(a, b) && sql_expr_equal(a->where, b->where);
}

static bool insert_eq(const sql_insert *a, const sql_insert *b)
{
    if (!ident_eq(&a->table, &b->table) || a->col_count != b->col_count ||
        a->row_count != b->row_count || a->row_width != b->row_width)
        return false;
    for (u32 i = 0; i < a->col_count; i++)
        if (!ident_eq(&a->cols[i], &b->cols[i])) return false;
    for (size_t i = 0; i < (size_t)a->row_count * a->row_width; i++)
        if (!lit_eq(&a->values[i], &b->values[i])) return false;
    return true;
}

static bool update_eq(const sql_update *a, const sql_update *b)
{
    if (!ident_eq(&a->table, &b->table) || a->set_count != b->set_count) return false;
    for (u32 i = 0; i < a->set_count; i++)
        if (!ident_eq(&a->sets[i].col, &b->sets[i].col) ||
            !lit_eq(&a->sets[i].value, &b->sets[i].value))
            return false;
    return sql_expr_equal(a->where, b->where);
}

bool sql_stmt_equal(const sql_stmt *a, const sql_stmt *b)
{
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case SQL_STMT_SELECT: return sql_select_equal(&a->u.select, &b->u.select);
    case SQL_STMT_INSERT: return insert_eq(&a->u.insert, &b->u.insert);
    case SQL_STMT_UPDATE: return update_eq(&a->u.update, &b->u.update);
    case SQL_STMT_DELETE:
        return ident_eq(&a->u.del.table, &b->u.del.table) &&
               sql_expr_equal(a->u.del.where, b->u.del.where);
    case SQL_STMT_SET:
        return ident_eq(&a->u.set.var, &b->u.set.var) && lit_eq(&a->u.set.value, &b->u.set.value);
    case SQL_STMT_SHOW: return ident_eq(&a->u.show, &b->u.show);
    }
    return false;
}
