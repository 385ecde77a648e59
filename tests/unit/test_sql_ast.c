/*
 * tests/unit/test_sql_ast.c — the SQL AST the parser builds (shapes, decoded literals, byte
 * offsets), the bounds (depth, tokens, text length, arena), hashing/equality for query
 * deduplication, and a seeded generator of random valid statements checked for the
 * parse -> print -> parse round trip.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/limits.h"
#include "harness.h"
#include "sql/sql.h"

static sql_stmt *parse_ok(lc_arena *a, const char *sql)
{
    lc_errbuf eb = {{0}};
    sql_stmt *s = NULL;
    int rc = sql_parse(sql, strlen(sql), a, &s, &eb);
    if (rc) lc_test_fail(__FILE__, __LINE__, "parse(%s): %s", sql, eb.msg);
    return s;
}

static bool ident_is(const sql_ident *id, const char *s)
{
    return id->len == strlen(s) && memcmp(id->ptr, s, id->len) == 0;
}

TEST(sql_ast_select_shape)
{
    lc_arena a;
    lc_arena_init(&a, 0);
    const char *q = "SELECT p.name AS n, p.id FROM \"Person\" AS p JOIN pet ON p.id = pet.owner "
                    "WHERE p.id >= -12 AND (pet.tag = X'0aFF' OR p.name = 'it''s') LIMIT 7";
    sql_stmt *s = parse_ok(&a, q);
    CHECK(s && s->kind == SQL_STMT_SELECT);
    const sql_select *sel = &s->u.select;
    CHECK_EQ(sel->proj, SQL_PROJ_COLS);
    CHECK_EQ(sel->col_count, 2);
    CHECK(ident_is(&sel->cols[0].col.table, "p") && ident_is(&sel->cols[0].col.col, "name"));
    CHECK(ident_is(&sel->cols[0].alias, "n"));
    CHECK_EQ(sel->cols[1].alias.len, 0);
    CHECK_EQ(sel->cols[1].off, 20);
    CHECK_EQ(sel->from_count, 2);
    CHECK(ident_is(&sel->from[0].table, "Person") && sel->from[0].table.is_quoted);
    CHECK(ident_is(&sel->from[0].alias, "p"));
    CHECK_EQ(sel->from[1].join, SQL_JOIN_INNER);
    CHECK(sel->from[1].on && sel->from[1].on->kind == SQL_EXPR_CMP);
    CHECK(sel->has_limit && sel->limit == 7 && !sel->has_offset);
    const sql_expr *w = sel->where;
    CHECK(w->kind == SQL_EXPR_AND && w->u.list.count == 2);
    const sql_expr *c0 = w->u.list.items[0];
    CHECK(c0->kind == SQL_EXPR_CMP && c0->u.cmp.op == SQL_CMP_GE);
    CHECK_EQ(c0->off, (long long)(strstr(q, "p.id >=") - q));
    CHECK(c0->u.cmp.rhs->kind == SQL_EXPR_LIT && c0->u.cmp.rhs->u.lit.kind == SQL_LIT_INT);
    CHECK_STR(c0->u.cmp.rhs->u.lit.ptr, "-12");
    const sql_expr *o = w->u.list.items[1];
    CHECK(o->kind == SQL_EXPR_OR && o->u.list.count == 2);
    const sql_lit *hex = &o->u.list.items[0]->u.cmp.rhs->u.lit;
    CHECK(hex->kind == SQL_LIT_HEX && hex->len == 2);
    CHECK_MEM(hex->ptr, "\x0a\xff", 2);
    const sql_lit *str = &o->u.list.items[1]->u.cmp.rhs->u.lit;
    CHECK(str->kind == SQL_LIT_STRING && str->len == 4);
    CHECK_MEM(str->ptr, "it's", 4);
    lc_arena_deinit(&a);
}

TEST(sql_ast_dml_shapes)
{
    lc_arena a;
    lc_arena_init(&a, 0);
    sql_stmt *s = parse_ok(&a, "INSERT INTO lib.t (a, \"B\") VALUES (1, 2.5), (-3, 'x')");
    CHECK(s && s->kind == SQL_STMT_INSERT);
    const sql_insert *ins = &s->u.insert;
    CHECK(ident_is(&ins->table, "lib.t"));
    CHECK_EQ(ins->col_count, 2);
    CHECK(ident_is(&ins->cols[1], "B"));
    CHECK_EQ(ins->row_count, 2);
    CHECK_EQ(ins->row_width, 2);
    CHECK_EQ(ins->values[1].kind, SQL_LIT_FLOAT);
    CHECK_STR(ins->values[1].ptr, "2.5");
    CHECK_STR(ins->values[2].ptr, "-3");
    CHECK_EQ(ins->values[3].kind, SQL_LIT_STRING);

    s = parse_ok(&a, "UPDATE t SET a = TRUE, b = 0x01 WHERE :sender = owner");
    CHECK(s && s->kind == SQL_STMT_UPDATE && s->u.update.set_count == 2);
    CHECK(s->u.update.sets[0].value.kind == SQL_LIT_BOOL && s->u.update.sets[0].value.is_true);
    CHECK(s->u.update.where->u.cmp.lhs->kind == SQL_EXPR_PARAM);
    CHECK(ident_is(&s->u.update.where->u.cmp.lhs->u.param, "sender"));

    s = parse_ok(&a, "DELETE FROM t");
    CHECK(s && s->kind == SQL_STMT_DELETE && !s->u.del.where);
    s = parse_ok(&a, "SET row_limit TO 10");
    CHECK(s && s->kind == SQL_STMT_SET && ident_is(&s->u.set.var, "row_limit"));
    CHECK_STR(s->u.set.value.ptr, "10");
    s = parse_ok(&a, "show row_limit;");
    CHECK(s && s->kind == SQL_STMT_SHOW && ident_is(&s->u.show, "row_limit"));
    s = parse_ok(&a, "SELECT COUNT(*) AS total FROM t");
    CHECK(s && s->u.select.proj == SQL_PROJ_COUNT && ident_is(&s->u.select.count_alias, "total"));
    s = parse_ok(&a, "SELECT x.* FROM t x ORDER BY x.a DESC OFFSET 4");
    CHECK(s && s->u.select.proj == SQL_PROJ_TABLE_STAR && ident_is(&s->u.select.star_table, "x"));
    CHECK(s->u.select.order_count == 1 && s->u.select.order[0].is_desc);
    CHECK(s->u.select.has_offset && s->u.select.offset == 4 && !s->u.select.has_limit);
    lc_arena_deinit(&a);
}

TEST(sql_ast_tree_outlives_text)
{
    lc_arena a;
    lc_arena_init(&a, 0);
    char text[] = "SELECT * FROM Person WHERE name = 'Ann' AND id = 42";
    sql_stmt *s = parse_ok(&a, text);
    memset(text, 'X', sizeof text - 1); /* nothing may point into the SQL text */
    CHECK(s);
    lc_buf b;
    lc_buf_init(&b);
    CHECK_OK(sql_stmt_print(s, &b));
    lc_buf_put_u8(&b, 0);
    CHECK_STR((const char *)b.data, "SELECT * FROM Person WHERE name = 'Ann' AND id = 42");
    lc_buf_deinit(&b);
    lc_arena_deinit(&a);
}

TEST(sql_expr_print)
{
    lc_arena a;
    lc_arena_init(&a, 0);
    sql_stmt *s = parse_ok(&a, "SELECT * FROM t WHERE NOT (x = 1 OR y = :sender)");
    CHECK(s);
    lc_buf b;
    lc_buf_init(&b);
    CHECK_OK(sql_expr_print(s->u.select.where, &b));
    lc_buf_put_u8(&b, 0);
    CHECK_STR((const char *)b.data, "NOT (x = 1 OR y = :sender)");
    /* A capped buffer reports its sticky error. */
    lc_buf_reset(&b);
    b.limit = 4;
    CHECK_ERR(sql_stmt_print(s, &b), LC_ELIMIT);
    lc_buf_deinit(&b);
    lc_arena_deinit(&a);
}

TEST(sql_expr_has_param)
{
    lc_arena a;
    lc_arena_init(&a, 0);
    sql_stmt *s = parse_ok(&a, "SELECT * FROM t WHERE a = 1 OR (b = 2 AND NOT :sender = c)");
    CHECK(s);
    CHECK(sql_expr_has_param(s->u.select.where, "sender"));
    CHECK(!sql_expr_has_param(s->u.select.where, "send"));
    s = parse_ok(&a, "SELECT * FROM t WHERE a = 1 AND b = 'sender'");
    CHECK(s && !sql_expr_has_param(s->u.select.where, "sender"));
    CHECK(!sql_expr_has_param(NULL, "sender"));
    lc_arena_deinit(&a);
}

TEST(sql_pos_from_offset)
{
    const char *q = "SELECT *\nFROM t\n  WHERE";
    u32 line, col;
    sql_pos_from_offset(q, strlen(q), 0, &line, &col);
    CHECK(line == 1 && col == 1);
    sql_pos_from_offset(q, strlen(q), 9, &line, &col);
    CHECK(line == 2 && col == 1);
    sql_pos_from_offset(q, strlen(q), 18, &line, &col);
    CHECK(line == 3 && col == 3);
}

/* Text of `n` nested parentheses (or NOTs) around a comparison. */
static char *nested(const char *open, const char *close, u32 n)
{
    size_t lo = strlen(open), lc = strlen(close);
    char *q = lc_alloc(64 + (size_t)n * (lo + lc));
    char *w = q;
    w += sprintf(w, "SELECT * FROM t WHERE ");
    for (u32 i = 0; i < n; i++, w += lo) memcpy(w, open, lo);
    w += sprintf(w, "a = 1");
    for (u32 i = 0; i < n; i++, w += lc) memcpy(w, close, lc);
    *w = '\0';
    return q;
}

TEST(sql_limit_depth)
{
    lc_arena a;
    lc_arena_init(&a, 0);
    lc_errbuf eb;
    sql_stmt *s;
    /* The WHERE itself is one level; parentheses and NOTs add one each. */
    char *q = nested("(", ")", LC_SQL_DEPTH_MAX - 1);
    CHECK_OK(sql_parse(q, strlen(q), &a, &s, &eb));
    lc_free(q);
    q = nested("(", ")", LC_SQL_DEPTH_MAX);
    CHECK_ERR(sql_parse(q, strlen(q), &a, &s, &eb), LC_ELIMIT);
    CHECK(strstr(eb.msg, "nested too deeply") != NULL);
    lc_free(q);
    q = nested("NOT ", "", LC_SQL_DEPTH_MAX - 1);
    CHECK_OK(sql_parse(q, strlen(q), &a, &s, &eb));
    lc_free(q);
    q = nested("NOT (", ")", LC_SQL_DEPTH_MAX);
    CHECK_ERR(sql_parse(q, strlen(q), &a, &s, &eb), LC_ELIMIT);
    lc_free(q);
    q = nested("(", ")", 100000); /* far past the limit: still an error, not a stack overflow */
    CHECK_ERR(sql_parse(q, strlen(q), &a, &s, &eb), LC_ELIMIT);
    lc_free(q);
    lc_arena_deinit(&a);
}

TEST(sql_limit_long_and_chain_is_flat)
{
    /* 20,000 ANDs: no recursion per operand, one flat node, printable and hashable. */
    u32 n = 20000;
    lc_buf b;
    lc_buf_init(&b);
    const char *head = "SELECT * FROM t WHERE a = 0";
    lc_buf_put(&b, head, strlen(head));
    char tmp[32];
    for (u32 i = 1; i < n; i++) {
        int k = snprintf(tmp, sizeof tmp, " AND a = %u", i);
        lc_buf_put(&b, tmp, (size_t)k);
    }
    lc_arena a;
    lc_arena_init(&a, 0);
    lc_errbuf eb;
    sql_stmt *s;
    CHECK_OK(sql_parse((const char *)b.data, b.len, &a, &s, &eb));
    CHECK(s->u.select.where->kind == SQL_EXPR_AND);
    CHECK_EQ(s->u.select.where->u.list.count, n);
    lc_buf out;
    lc_buf_init(&out);
    CHECK_OK(sql_stmt_print(s, &out));
    CHECK_EQ(out.len, b.len);
    CHECK_MEM(out.data, b.data, b.len);
    CHECK(sql_stmt_hash(s) != 0);
    lc_buf_deinit(&out);
    lc_buf_deinit(&b);
    lc_arena_deinit(&a);
}

TEST(sql_limit_tokens_and_length)
{
    lc_arena a;
    lc_arena_init(&a, 0);
    lc_errbuf eb;
    sql_stmt *st;
    sql_select *sel;
    /* Over LC_SQL_TOKENS_MAX tokens inside LC_SQL_TEXT_MAX bytes: "1,1,1,...". */
    size_t n = (size_t)LC_SQL_TOKENS_MAX + 16;
    char *q = lc_alloc(n + 64);
    strcpy(q, "INSERT INTO t (a) VALUES (");
    size_t k = strlen(q);
    for (size_t i = 0; i < n / 2; i++) {
        q[k++] = '1';
        q[k++] = ',';
    }
    q[k++] = '1';
    q[k++] = ')';
    CHECK(k <= LC_SQL_TEXT_MAX);
    CHECK_ERR(sql_parse(q, k, &a, &st, &eb), LC_ELIMIT);
    CHECK(strstr(eb.msg, "too many tokens") != NULL);
    lc_free(q);

    /* Text length bounds, checked before any work. */
    size_t big = LC_SQL_TEXT_MAX + 1;
    q = lc_alloc(big);
    memset(q, ' ', big);
    CHECK_ERR(sql_parse(q, big, &a, &st, &eb), LC_ELIMIT);
    CHECK(strstr(eb.msg, "SQL query exceeds maximum allowed length: \"    ") != NULL);
    memcpy(q, "SELECT * FROM t", 15);
    CHECK_OK(sql_parse_subscription(q, LC_SQL_SUB_TEXT_MAX, 0, &a, &sel, &eb));
    CHECK_ERR(sql_parse_subscription(q, LC_SQL_SUB_TEXT_MAX + 1, 0, &a, &sel, &eb), LC_ELIMIT);
    lc_free(q);
    lc_arena_deinit(&a);
}

TEST(sql_limit_many_literals_linear_memory)
{
    /* 20,000 string literals and quoted names in ~400 KB of text parse within an arena capped
     * at 8 MiB: each literal's memory is proportional to its own length. */
    lc_buf b;
    lc_buf_init(&b);
    const char *head = "INSERT INTO \"t\" (\"s\") VALUES ('a''b')";
    lc_buf_put(&b, head, strlen(head));
    for (u32 i = 1; i < 20000; i++) lc_buf_put(&b, ", ('x''y')", 10);
    lc_arena a;
    lc_arena_init(&a, 8u << 20);
    lc_errbuf eb;
    sql_stmt *s;
    CHECK_OK(sql_parse((const char *)b.data, b.len, &a, &s, &eb));
    CHECK_EQ(s->u.insert.row_count, 20000);
    CHECK_EQ(s->u.insert.values[19999].len, 3);
    CHECK_MEM(s->u.insert.values[19999].ptr, "x'y", 3);
    lc_buf_deinit(&b);
    lc_arena_deinit(&a);
}

TEST(sql_limit_arena)
{
    /* Every arena cap from tiny upward must give LC_ENOMEM or success, never a crash, and
     * success must give the same tree as an uncapped parse. */
    const char *q = "SELECT a.x AS y FROM t AS a JOIN s AS b ON a.k = b.k "
                    "WHERE (a.x = 'long string literal here' OR b.y <> 0xdeadbeef) AND NOT a.z = 1 "
                    "ORDER BY a.x DESC LIMIT 3";
    lc_arena ref;
    lc_arena_init(&ref, 0);
    sql_stmt *want = parse_ok(&ref, q);
    CHECK(want);
    bool saw_nomem = false, saw_ok = false;
    for (size_t cap = 16; cap < 64 * 1024; cap += cap / 8 + 16) {
        lc_arena a;
        lc_arena_init(&a, cap);
        lc_errbuf eb;
        sql_stmt *s;
        int rc = sql_parse(q, strlen(q), &a, &s, &eb);
        if (rc == 0) {
            saw_ok = true;
            CHECK(sql_stmt_equal(s, want));
        } else {
            CHECK_EQ(rc, LC_ENOMEM);
            CHECK(s == NULL);
            saw_nomem = true;
        }
        lc_arena_deinit(&a);
    }
    CHECK(saw_nomem && saw_ok);
    lc_arena_deinit(&ref);
}

/* Hash and equality: spelling-insensitive where the grammar is, sensitive to meaning. */
TEST(sql_hash_equal)
{
    static const char *const same[][2] = {
        {"SELECT * FROM t WHERE a = 1", "select   *  from \"t\" where \"a\"=1 ;"},
        {"SELECT t.* FROM t JOIN s ON t.a = s.b", "SELECT \"t\".* FROM t INNER JOIN s ON t.a=s.b"},
        {"SELECT * FROM t WHERE a = 1 AND (b = 2 AND c = 3)",
         "SELECT * FROM t WHERE (a = 1 AND b = 2) AND c = 3"},
        {"SELECT * FROM t WHERE x = X'ABCD'", "SELECT * FROM t WHERE x = 0xabcd"},
        {"SELECT * FROM t WHERE a <> 1", "SELECT * FROM t WHERE a != 1"},
        {"SELECT * FROM t WHERE a = +1", "SELECT * FROM t WHERE a = 1"},
    };
    static const char *const differ[][2] = {
        {"SELECT * FROM t WHERE a = 1", "SELECT * FROM t WHERE a = 2"},
        {"SELECT * FROM t WHERE a = 1", "SELECT * FROM T WHERE a = 1"},
        {"SELECT * FROM t WHERE a = 1", "SELECT * FROM t WHERE a = '1'"},
        {"SELECT * FROM t WHERE a = 1", "SELECT * FROM t WHERE a = 1.0"},
        {"SELECT * FROM t WHERE a < 1", "SELECT * FROM t WHERE a <= 1"},
        {"SELECT * FROM t WHERE a = 1 AND b = 2", "SELECT * FROM t WHERE a = 1 OR b = 2"},
        {"SELECT * FROM t WHERE a = 1 AND b = 2", "SELECT * FROM t WHERE b = 2 AND a = 1"},
        {"SELECT t.* FROM t JOIN s", "SELECT s.* FROM t JOIN s"},
        {"SELECT t.* FROM t JOIN s", "SELECT t.* FROM t CROSS JOIN s"},
        {"SELECT * FROM t AS x", "SELECT * FROM t"},
        {"SELECT * FROM t LIMIT 1", "SELECT * FROM t"},
        {"SELECT * FROM t WHERE a = :sender", "SELECT * FROM t WHERE a = :other"},
        {"SELECT * FROM t WHERE a = TRUE", "SELECT * FROM t WHERE a = FALSE"},
        {"DELETE FROM t", "SELECT * FROM t"},
        {"SELECT * FROM \"a.b\"", "SELECT * FROM a"},
        {"INSERT INTO t (a) VALUES (1)", "INSERT INTO t (b) VALUES (1)"},
        {"INSERT INTO t (a) VALUES (1)", "INSERT INTO t (a) VALUES (1), (2)"},
        {"INSERT INTO t (a) VALUES (1)", "INSERT INTO t (a) VALUES (2)"},
        {"UPDATE t SET a = 1", "UPDATE t SET a = 1, b = 2"},
        {"UPDATE t SET a = 1", "UPDATE t SET b = 1"},
        {"UPDATE t SET a = 1", "UPDATE t SET a = 1 WHERE c = 1"},
        {"SELECT a FROM t", "SELECT a AS b FROM t"},
        {"SELECT a FROM t ORDER BY a", "SELECT a FROM t ORDER BY a DESC"},
        {"SET x = 1", "SET x = 2"},
        {"SHOW x", "SHOW y"},
        {"DELETE FROM t WHERE a = 1", "DELETE FROM t"},
    };
    lc_arena a;
    lc_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        sql_stmt *x = parse_ok(&a, same[i][0]), *y = parse_ok(&a, same[i][1]);
        CHECK(x && y);
        if (!sql_stmt_equal(x, y) || sql_stmt_hash(x) != sql_stmt_hash(y))
            lc_test_fail(__FILE__, __LINE__, "expected equal: %s | %s", same[i][0], same[i][1]);
    }
    for (size_t i = 0; i < sizeof differ / sizeof differ[0]; i++) {
        sql_stmt *x = parse_ok(&a, differ[i][0]), *y = parse_ok(&a, differ[i][1]);
        CHECK(x && y);
        if (sql_stmt_equal(x, y) || sql_stmt_hash(x) == sql_stmt_hash(y))
            lc_test_fail(__FILE__, __LINE__, "expected different: %s | %s", differ[i][0],
                         differ[i][1]);
    }
    /* Stable across processes: a fixed query has a fixed hash (update only on purpose). */
    sql_stmt *s = parse_ok(&a, "SELECT * FROM t WHERE a = 1");
    u64 h1 = sql_stmt_hash(s);
    CHECK_EQ(h1, sql_stmt_hash(parse_ok(&a, "SELECT * FROM t WHERE a = 1")));
    lc_arena_deinit(&a);
}

/* ---- random statements ------------------------------------------------------------------- */

typedef struct gen {
    u64 s;
    lc_buf b;
} gen;

static u32 rnd(gen *g, u32 n)
{
    g->s ^= g->s << 13;
    g->s ^= g->s >> 7;
    g->s ^= g->s << 17;
    return (u32)(g->s % n);
}

static void put(gen *g, const char *s) { lc_buf_put(&g->b, s, strlen(s)); }

static void gen_name(gen *g)
{
    static const char *const names[] = {
        "a", "b", "Tbl", "\"x y\"", "\"select\"", "_z9", "\"q\"\"uote\"", "é", "count", "\"a.b\""};
    put(g, names[rnd(g, 10)]);
}

static void gen_col(gen *g, bool qualified)
{
    if (qualified || rnd(g, 2)) {
        gen_name(g);
        put(g, ".");
    }
    gen_name(g);
}

static void gen_lit(gen *g)
{
    static const char *const lits[] = {"1",       "-2",  "+3",      "4.5",   "-6e7",
                                       ".8",      "'s'", "'it''s'", "''",    "0xAB",
                                       "X'0c0d'", "X''", "TRUE",    "false", "1E-3"};
    put(g, lits[rnd(g, 15)]);
}

static void gen_pred(gen *g, u32 depth, bool qualified)
{
    static const char *const ops[] = {" = ", " <> ", " != ", " < ", " <= ", " > ", " >= "};
    u32 k = depth > 4 ? rnd(g, 3) : rnd(g, 7);
    switch (k) {
    case 0:
        gen_col(g, qualified);
        put(g, ops[rnd(g, 7)]);
        gen_lit(g);
        break;
    case 1:
        put(g, ":sender");
        put(g, ops[rnd(g, 7)]);
        gen_col(g, qualified);
        break;
    case 2:
        gen_lit(g);
        put(g, " = ");
        gen_col(g, qualified);
        break;
    case 3:
        gen_pred(g, depth + 1, qualified);
        put(g, " AND ");
        gen_pred(g, depth + 1, qualified);
        break;
    case 4:
        gen_pred(g, depth + 1, qualified);
        put(g, " OR ");
        gen_pred(g, depth + 1, qualified);
        break;
    case 5:
        put(g, "NOT ");
        gen_pred(g, depth + 1, qualified);
        break;
    default:
        put(g, "(");
        gen_pred(g, depth + 1, qualified);
        put(g, ")");
        break;
    }
}

static void gen_select(gen *g)
{
    u32 tables = 1 + rnd(g, 3);
    bool q = tables > 1;
    put(g, "SELECT ");
    switch (rnd(g, 4)) {
    case 0: put(g, q ? "a.*" : "*"); break;
    case 1:
        gen_name(g);
        put(g, ".*");
        break;
    case 2:
        put(g, "COUNT(*) AS ");
        gen_name(g);
        break;
    default:
        for (u32 i = 0, n = 1 + rnd(g, 3); i < n; i++) {
            if (i) put(g, ", ");
            gen_col(g, q);
            if (rnd(g, 2)) {
                put(g, " AS ");
                gen_name(g);
            }
        }
    }
    put(g, " FROM ");
    gen_name(g);
    for (u32 i = 1; i < tables; i++) {
        static const char *const joins[] = {" JOIN ", " INNER JOIN ", " CROSS JOIN ", ", "};
        u32 j = rnd(g, 4);
        put(g, joins[j]);
        gen_name(g);
        if (rnd(g, 2)) {
            put(g, " AS ");
            gen_name(g);
        }
        if (j < 2 && rnd(g, 2)) {
            put(g, " ON ");
            gen_col(g, true);
            put(g, " = ");
            gen_col(g, true);
        }
    }
    if (rnd(g, 2)) {
        put(g, " WHERE ");
        gen_pred(g, 0, q);
    }
    if (rnd(g, 3) == 0) {
        put(g, " ORDER BY ");
        gen_col(g, q);
        if (rnd(g, 2)) put(g, " DESC");
    }
    if (rnd(g, 3) == 0) put(g, " LIMIT 10");
    if (rnd(g, 4) == 0) put(g, " OFFSET 2");
}

static void gen_stmt(gen *g)
{
    switch (rnd(g, 6)) {
    case 0:
        put(g, "INSERT INTO ");
        gen_name(g);
        put(g, " (a, b) VALUES (");
        gen_lit(g);
        put(g, ", ");
        gen_lit(g);
        put(g, ")");
        break;
    case 1:
        put(g, "UPDATE ");
        gen_name(g);
        put(g, " SET ");
        gen_name(g);
        put(g, " = ");
        gen_lit(g);
        if (rnd(g, 2)) {
            put(g, " WHERE ");
            gen_pred(g, 0, false);
        }
        break;
    case 2:
        put(g, "DELETE FROM ");
        gen_name(g);
        if (rnd(g, 2)) {
            put(g, " WHERE ");
            gen_pred(g, 0, false);
        }
        break;
    default: gen_select(g); break;
    }
}

TEST(sql_random_round_trip)
{
    gen g = {.s = lc_test_seed() | 1};
    lc_buf_init(&g.b);
    u32 parsed = 0;
    for (u32 iter = 0; iter < 3000; iter++) {
        lc_buf_reset(&g.b);
        gen_stmt(&g);
        lc_arena a;
        lc_arena_init(&a, 0);
        lc_errbuf eb;
        sql_stmt *s1, *s2;
        int rc = sql_parse((const char *)g.b.data, g.b.len, &a, &s1, &eb);
        /* The generator can produce unqualified/"*" joins and mixed COUNT: those must be
         * refused as unsupported, never as a syntax error. */
        if (rc) {
            if (rc != LC_ENOTSUP)
                lc_test_fail(__FILE__, __LINE__, "%.*s: %s", (int)g.b.len, g.b.data, eb.msg);
            CHECK_EQ(rc, LC_ENOTSUP);
            lc_arena_deinit(&a);
            continue;
        }
        parsed++;
        lc_buf p1, p2;
        lc_buf_init(&p1);
        lc_buf_init(&p2);
        CHECK_OK(sql_stmt_print(s1, &p1));
        rc = sql_parse((const char *)p1.data, p1.len, &a, &s2, &eb);
        if (rc) lc_test_fail(__FILE__, __LINE__, "reparse %.*s: %s", (int)p1.len, p1.data, eb.msg);
        CHECK_OK(rc);
        CHECK(sql_stmt_equal(s1, s2));
        CHECK_EQ(sql_stmt_hash(s1), sql_stmt_hash(s2));
        CHECK_OK(sql_stmt_print(s2, &p2));
        CHECK(p1.len == p2.len && memcmp(p1.data, p2.data, p1.len) == 0);
        lc_buf_deinit(&p1);
        lc_buf_deinit(&p2);
        lc_arena_deinit(&a);
    }
    CHECK(parsed > 1000);
    lc_buf_deinit(&g.b);
}
