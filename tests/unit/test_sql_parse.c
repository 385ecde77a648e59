/*
 * tests/unit/test_sql_parse.c — the SQL parser (sql/parse.c, sql/lex.c, sql/ast.c), table
 * driven: every accepted construct with its canonical text, parse -> print -> parse round
 * trips with equal trees and hashes, every error class with its code and positioned message,
 * the subscription dialect, bounds (depth, tokens, length, arena), and a seeded random
 * generator of valid statements.
 */
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/limits.h"
#include "harness.h"
#include "sql/lex.h"
#include "sql/sql.h"

/* Parses `sql`, prints it, reparses the print, and checks: the print equals `want` (NULL:
 * skip that check), the second print equals the first, the trees are equal and hash alike. */
static void round_trip(const char *sql, const char *want)
{
    lc_arena a;
    lc_arena_init(&a, 0);
    lc_errbuf eb = {{0}};
    sql_stmt *s1 = NULL, *s2 = NULL;
    lc_buf b1, b2;
    lc_buf_init(&b1);
    lc_buf_init(&b2);
    int rc = sql_parse(sql, strlen(sql), &a, &s1, &eb);
    if (rc) lc_test_fail(__FILE__, __LINE__, "parse(%s): %s: %s", sql, lc_err_name(rc), eb.msg);
    if (!rc && sql_stmt_print(s1, &b1) == 0) {
        lc_buf_put_u8(&b1, 0);
        const char *t1 = (const char *)b1.data;
        if (want && strcmp(t1, want) != 0)
            lc_test_fail(__FILE__, __LINE__, "print(%s) = \"%s\", want \"%s\"", sql, t1, want);
        rc = sql_parse(t1, strlen(t1), &a, &s2, &eb);
        if (rc) lc_test_fail(__FILE__, __LINE__, "reparse(%s): %s", t1, eb.msg);
        if (!rc) {
            if (!sql_stmt_equal(s1, s2) || sql_stmt_hash(s1) != sql_stmt_hash(s2))
                lc_test_fail(__FILE__, __LINE__, "round trip of %s not equal", sql);
            if (sql_stmt_print(s2, &b2) == 0) {
                lc_buf_put_u8(&b2, 0);
                if (strcmp(t1, (const char *)b2.data) != 0)
                    lc_test_fail(__FILE__, __LINE__, "print not stable: %s vs %s", t1, b2.data);
            }
        }
    }
    lc_buf_deinit(&b1);
    lc_buf_deinit(&b2);
    lc_arena_deinit(&a);
}

static const struct {
    const char *sql, *canon;
} ok_cases[] = {
    {"SELECT * FROM t", "SELECT * FROM t"},
    {"select * from t;", "SELECT * FROM t"},
    {";; SELECT * FROM t ;;", "SELECT * FROM t"},
    {"SELECT t.* FROM t", "SELECT t.* FROM t"},
    {"SELECT a, b FROM t", "SELECT a, b FROM t"},
    {"SELECT a AS x, t.b y FROM t", "SELECT a AS x, t.b AS y FROM t"},
    {"SELECT COUNT(*) AS n FROM t", "SELECT COUNT(*) AS n FROM t"},
    {"select count(*) n from t", "SELECT COUNT(*) AS n FROM t"},
    {"SELECT count FROM t", "SELECT \"count\" FROM t"},
    {"SELECT * FROM t AS r", "SELECT * FROM t AS r"},
    {"SELECT * FROM t r WHERE r.a = 1", "SELECT * FROM t AS r WHERE r.a = 1"},
    {"SELECT t.* FROM t JOIN s ON t.a = s.b", "SELECT t.* FROM t JOIN s ON t.a = s.b"},
    {"SELECT t.* FROM t INNER JOIN s ON t.a = s.b AND t.c = s.d",
     "SELECT t.* FROM t JOIN s ON t.a = s.b AND t.c = s.d"},
    {"SELECT t.* FROM t JOIN s", "SELECT t.* FROM t JOIN s"},
    {"SELECT t.* FROM t CROSS JOIN s", "SELECT t.* FROM t CROSS JOIN s"},
    {"SELECT t.* FROM t, s WHERE t.a = s.a", "SELECT t.* FROM t, s WHERE t.a = s.a"},
    {"SELECT a.x, b.y FROM t a JOIN s b ON a.k = b.k JOIN u c ON b.k = c.k",
     "SELECT a.x, b.y FROM t AS a JOIN s AS b ON a.k = b.k JOIN u AS c ON b.k = c.k"},
    {"SELECT * FROM t WHERE a = 1 AND b <> 2 OR c != 3",
     "SELECT * FROM t WHERE (a = 1 AND b <> 2) OR c <> 3"},
    {"SELECT * FROM t WHERE a < 1 AND b <= 2 AND c > 3 AND d >= 4",
     "SELECT * FROM t WHERE a < 1 AND b <= 2 AND c > 3 AND d >= 4"},
    {"SELECT * FROM t WHERE (a = 1 OR b = 2) AND c = 3",
     "SELECT * FROM t WHERE (a = 1 OR b = 2) AND c = 3"},
    {"SELECT * FROM t WHERE ((a = 1))", "SELECT * FROM t WHERE a = 1"},
    {"SELECT * FROM t WHERE (a = 1 AND b = 2) AND c = 3",
     "SELECT * FROM t WHERE a = 1 AND b = 2 AND c = 3"},
    {"SELECT * FROM t WHERE a = 1 OR (b = 2 OR c = 3)",
     "SELECT * FROM t WHERE a = 1 OR b = 2 OR c = 3"},
    {"SELECT * FROM t WHERE NOT a = 1", "SELECT * FROM t WHERE NOT a = 1"},
    {"SELECT * FROM t WHERE NOT (a = 1 OR b = 2)", "SELECT * FROM t WHERE NOT (a = 1 OR b = 2)"},
    {"SELECT * FROM t WHERE NOT NOT ok", "SELECT * FROM t WHERE NOT NOT ok"},
    {"SELECT * FROM t WHERE (a = 1) = TRUE", "SELECT * FROM t WHERE (a = 1) = TRUE"},
    {"SELECT * FROM t WHERE TRUE", "SELECT * FROM t WHERE TRUE"},
    {"SELECT * FROM t WHERE ok = false", "SELECT * FROM t WHERE ok = FALSE"},
    {"SELECT * FROM t WHERE owner = :sender", "SELECT * FROM t WHERE owner = :sender"},
    {"SELECT * FROM t WHERE a = -5 AND b = +7 AND c = - 1.5",
     "SELECT * FROM t WHERE a = -5 AND b = 7 AND c = -1.5"},
    {"SELECT * FROM t WHERE a = 1e3 AND b = 2.5E-3 AND c = .5 AND d = 1.",
     "SELECT * FROM t WHERE a = 1e3 AND b = 2.5E-3 AND c = .5 AND d = 1."},
    {"SELECT * FROM t WHERE s = 'O''Neil'", "SELECT * FROM t WHERE s = 'O''Neil'"},
    {"SELECT * FROM t WHERE s = ''", "SELECT * FROM t WHERE s = ''"},
    {"SELECT * FROM t WHERE s = 'héllo ✓'", "SELECT * FROM t WHERE s = 'héllo ✓'"},
    {"SELECT * FROM t WHERE id = 0xC200ff", "SELECT * FROM t WHERE id = 0xc200ff"},
    {"SELECT * FROM t WHERE id = X'00aB'", "SELECT * FROM t WHERE id = 0x00ab"},
    {"SELECT * FROM t WHERE id = x''", "SELECT * FROM t WHERE id = X''"},
    {"SELECT * FROM \"person\" WHERE \"person\".\"id\" = 5",
     "SELECT * FROM person WHERE person.id = 5"},
    {"SELECT * FROM \"person\" WHERE (\"person\".\"name\" = 'O''Neil') AND (\"person\".\"ok\" = "
     "TRUE)",
     "SELECT * FROM person WHERE person.name = 'O''Neil' AND person.ok = TRUE"},
    {"SELECT * FROM \"select\" WHERE \"a\"\"b\" = 1",
     "SELECT * FROM \"select\" WHERE \"a\"\"b\" = 1"},
    {"SELECT * FROM \"My Table\"", "SELECT * FROM \"My Table\""},
    {"SELECT * FROM Person WHERE Name = 'x'", "SELECT * FROM Person WHERE Name = 'x'"},
    {"SELECT * FROM ns.t WHERE ns.t.a = 1", "SELECT * FROM ns.t WHERE ns.t.a = 1"},
    {"SELECT ns.t.* FROM \"ns\".\"s\" JOIN \"ns\".\"t\" ON \"ns\".\"s\".\"a\" = \"ns\".\"t\".\"a\"",
     "SELECT ns.t.* FROM ns.s JOIN ns.t ON ns.s.a = ns.t.a"},
    {"SELECT * FROM t LIMIT 10", "SELECT * FROM t LIMIT 10"},
    {"SELECT * FROM t ORDER BY a, b DESC, c ASC LIMIT 5 OFFSET 10",
     "SELECT * FROM t ORDER BY a, b DESC, c LIMIT 5 OFFSET 10"},
    {"SELECT * FROM t OFFSET 3 LIMIT 2", "SELECT * FROM t LIMIT 2 OFFSET 3"},
    {"SELECT * FROM t LIMIT 18446744073709551615", "SELECT * FROM t LIMIT 18446744073709551615"},
    {"SELECT a FROM t -- comment\nWHERE /* block /* nested */ */ a = 1",
     "SELECT a FROM t WHERE a = 1"},
    {"SELECT\t*\r\nFROM\n\tt", "SELECT * FROM t"},
    {"SELECT _a1$, \"x.y\" FROM t", "SELECT \"_a1$\", \"x.y\" FROM t"},
    {"SELECT \"a.b\".\"c.d\" FROM \"a.b\"", "SELECT a.b.\"c.d\" FROM a.b"},
    {"INSERT INTO t (a, b) VALUES (1, 'x'), (-2, 0xff)",
     "INSERT INTO t (a, b) VALUES (1, 'x'), (-2, 0xff)"},
    {"insert into t values (true)", "INSERT INTO t VALUES (TRUE)"},
    {"UPDATE t SET a = 1, b = 'two' WHERE c = 3", "UPDATE t SET a = 1, b = 'two' WHERE c = 3"},
    {"UPDATE t SET a = 1", "UPDATE t SET a = 1"},
    {"DELETE FROM t", "DELETE FROM t"},
    {"DELETE FROM t WHERE a = 1 OR b = :sender", "DELETE FROM t WHERE a = 1 OR b = :sender"},
    {"SET row_limit = 100", "SET row_limit = 100"},
    {"set row_limit to 5;", "SET row_limit = 5"},
    {"SHOW row_limit", "SHOW row_limit"},
    {"SELECT * FROM set", "SELECT * FROM \"set\""},
    {"SELECT * FROM t WHERE by = 1", "SELECT * FROM t WHERE \"by\" = 1"},
};

TEST(sql_parse_ok_table)
{
    char name[64];
    for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        if (!ok_cases[i].canon) continue;
        snprintf(name, sizeof name, "%zu", i);
        round_trip(ok_cases[i].sql, ok_cases[i].canon);
        if (lc_test_failed()) return;
    }
}

/* Parses `sql` in the given dialect and expects error `want` whose message contains `frag`. */
static void expect_err(bool is_sub, const char *sql, int want, const char *frag, int line)
{
    lc_arena a;
    lc_arena_init(&a, 0);
    lc_errbuf eb = {{0}};
    int rc;
    if (is_sub) {
        sql_select *s;
        rc = sql_parse_subscription(sql, strlen(sql), 0, &a, &s, &eb);
        if (rc && s) lc_test_fail(__FILE__, line, "output not cleared on error");
    } else {
        sql_stmt *s;
        rc = sql_parse(sql, strlen(sql), &a, &s, &eb);
        if (rc && s) lc_test_fail(__FILE__, line, "output not cleared on error");
    }
    if (rc != want)
        lc_test_fail(__FILE__, line, "%s: got %s (%s), want %s", sql, lc_err_name(rc), eb.msg,
                     lc_err_name(want));
    else if (!strstr(eb.msg, frag))
        lc_test_fail(__FILE__, line, "%s: message \"%s\" lacks \"%s\"", sql, eb.msg, frag);
    lc_arena_deinit(&a);
}

static const struct {
    const char *sql;
    int err;
    const char *frag;
} err_cases[] = {
    /* syntax, with positions */
    {"SELECT * FORM t", LC_ESYNTAX, "syntax error at 1:10 near 'FORM': expected FROM"},
    {"SELECT *\nFROM t\nWHERE a = ", LC_ESYNTAX,
     "syntax error at 3:11 near end of input: expected an expression"},
    {"SELECT * FROM t WHERE a = 1 b", LC_ESYNTAX, "1:29 near 'b': expected end of statement"},
    {"SELECT * FROM t WHERE (a = 1", LC_ESYNTAX, "expected ')'"},
    {"SELECT * FROM t WHERE a = 1 = 2", LC_ESYNTAX, "do not chain"},
    {"SELECT * FROM", LC_ESYNTAX, "expected a table name"},
    {"SELECT * FROM select", LC_ESYNTAX, "SELECT is a reserved word"},
    {"SELECT * FROM t WHERE order = 1", LC_ESYNTAX, "ORDER is a reserved word; quote it"},
    {"SELECT * FROM t WHERE s = 'ééé' x", LC_ESYNTAX, "1:33 near 'x'"},
    {"SELECT * FROM t WHERE a = 1 a_very_long_identifier_that_goes_on_and_on", LC_ESYNTAX,
     "near 'a_very_long_identifier_t...': expected end of statement"},
    {"SELECT FROM t", LC_ESYNTAX, "1:8 near 'FROM': expected a column"},
    {"SELECT , FROM t", LC_ESYNTAX, "expected a column, *, t.* or COUNT(*)"},
    {"SELECT a. FROM t", LC_ESYNTAX, "expected a name or '*' after '.'"},
    {"SELECT * FROM t.", LC_ESYNTAX, "expected a name after '.'"},
    {"SELECT * FROM t WHERE a = 'abc", LC_ESYNTAX, "1:27: unterminated string literal"},
    {"SELECT * FROM \"t", LC_ESYNTAX, "unterminated quoted identifier"},
    {"SELECT * FROM \"\"", LC_ESYNTAX, "zero-length quoted identifier"},
    {"SELECT * FROM t WHERE a = 0x", LC_ESYNTAX, "malformed hex literal"},
    {"SELECT * FROM t WHERE a = 0xabc", LC_ESYNTAX, "even number of digits"},
    {"SELECT * FROM t WHERE a = X'zz'", LC_ESYNTAX, "invalid hex digit"},
    {"SELECT * FROM t WHERE a = X'00", LC_ESYNTAX, "unterminated hex string"},
    {"SELECT * FROM t WHERE a = 12ab", LC_ESYNTAX, "trailing junk"},
    {"SELECT * FROM t WHERE a = 1e", LC_ESYNTAX, "exponent"},
    {"SELECT * FROM t WHERE a = 1.2.3", LC_ESYNTAX, "trailing junk"},
    {"SELECT * FROM t WHERE a = :", LC_ESYNTAX, "parameter name"},
    {"SELECT * FROM t WHERE a ! 1", LC_ESYNTAX, "'!'"},
    {"SELECT * FROM t WHERE a = @", LC_ESYNTAX, "unexpected character '@'"},
    {"SELECT * FROM t WHERE a = 1 /* open", LC_ESYNTAX, "unterminated /* comment"},
    {"SELECT * FROM t WHERE a = \x01", LC_ESYNTAX, "control character 0x01"},
    {"FROB t", LC_ESYNTAX, "expected SELECT, INSERT, UPDATE, DELETE, SET or SHOW"},
    {"INSERT t VALUES (1)", LC_ESYNTAX, "expected INTO"},
    {"INSERT INTO t (a) VALUES (1), (2, 3)", LC_ESYNTAX,
     "VALUES lists must all be the same length"},
    {"INSERT INTO t (a) VALUES ()", LC_ESYNTAX, "expected a literal"},
    {"INSERT INTO t (a) VALUES (1", LC_ESYNTAX, "expected ',' or ')'"},
    {"UPDATE t SET a 1", LC_ESYNTAX, "expected '='"},
    {"SET row_limit 5", LC_ESYNTAX, "expected '=' or TO"},
    {"SELECT * FROM t LIMIT 1 LIMIT 2", LC_ESYNTAX, "LIMIT given twice"},
    {"SELECT * FROM t ORDER a", LC_ESYNTAX, "expected BY"},
    {"SELECT * FROM t CROSS s", LC_ESYNTAX, "expected JOIN"},
    {"SELECT * FROM t LIMIT", LC_ESYNTAX, "expected a number"},
    /* outside the dialect */
    {"", LC_ENOTSUP, "Empty SQL query"},
    {"  -- only a comment", LC_ENOTSUP, "Empty SQL query"},
    {";", LC_ENOTSUP, "Empty SQL query"},
    {";;  ;", LC_ENOTSUP, "Empty SQL query (at 1:6)"},
    {"SELECT * FROM t; SELECT * FROM s", LC_ENOTSUP, "Multiple SQL statements are not supported"},
    {"SELECT * FROM t;; DELETE FROM t", LC_ENOTSUP, "Multiple SQL statements"},
    {"SELECT a", LC_ENOTSUP, "A FROM clause is required"},
    {"SELECT *, a FROM t", LC_ENOTSUP, "Mixed wildcard projections are not supported"},
    {"SELECT a, t.* FROM t", LC_ENOTSUP, "Mixed wildcard projections are not supported"},
    {"SELECT t.*, a FROM t", LC_ENOTSUP, "Mixed wildcard projections are not supported"},
    {"SELECT a, * FROM t", LC_ENOTSUP, "Mixed wildcard projections"},
    {"SELECT COUNT(*) FROM t", LC_ENOTSUP, "Aggregate expressions must have column aliases"},
    {"SELECT COUNT(a) AS n FROM t", LC_ENOTSUP, "only COUNT(*)"},
    {"SELECT COUNT(*) AS n, a FROM t", LC_ENOTSUP, "COUNT(*) with other columns"},
    {"SELECT a, COUNT(*) AS n FROM t", LC_ENOTSUP, "COUNT(*) with other columns"},
    {"SELECT sum(a) AS n FROM t", LC_ENOTSUP, "Unsupported projection expression"},
    {"SELECT DISTINCT a FROM t", LC_ENOTSUP, "DISTINCT"},
    {"SELECT * FROM t JOIN s ON t.a = s.b", LC_ENOTSUP,
     "SELECT * is not supported for joins (at 1:8)"},
    {"SELECT t.* FROM t JOIN s ON a = s.b", LC_ENOTSUP,
     "Names must be qualified when using joins (at 1:29)"},
    {"SELECT t.* FROM t JOIN s ON t.a = s.b WHERE x = 1", LC_ENOTSUP, "Names must be qualified"},
    {"SELECT a FROM t, s", LC_ENOTSUP, "Names must be qualified"},
    {"SELECT t.a FROM t, s ORDER BY b", LC_ENOTSUP, "Names must be qualified"},
    {"SELECT t.* FROM t JOIN s ON t.a < s.b", LC_ENOTSUP, "Unsupported join condition"},
    {"SELECT a.* FROM t AS a JOIN s AS a ON a.x = a.y", LC_ENOTSUP, "Duplicate name `a`"},
    {"SELECT t.* FROM t JOIN t", LC_ENOTSUP, "Duplicate name `t`"},
    {"SELECT t.* FROM t JOIN s ON t.a = 1", LC_ENOTSUP, "Unsupported join condition"},
    {"SELECT t.* FROM t JOIN s ON t.a = s.b OR t.c = s.d", LC_ENOTSUP,
     "Unsupported join condition"},
    {"SELECT t.* FROM t LEFT JOIN s ON t.a = s.b", LC_ENOTSUP, "Non-inner joins are not supported"},
    {"SELECT t.* FROM t FULL OUTER JOIN s ON t.a = s.b", LC_ENOTSUP, "Non-inner joins"},
    {"SELECT * FROM (SELECT * FROM t)", LC_ENOTSUP, "subqueries"},
    {"SELECT * FROM f(1)", LC_ENOTSUP, "table functions"},
    {"SELECT * FROM t WHERE a IS NULL", LC_ENOTSUP, "IS [NOT] NULL"},
    {"SELECT * FROM t WHERE a = NULL", LC_ENOTSUP, "NULL literals"},
    {"SELECT * FROM t WHERE a IN (1, 2)", LC_ENOTSUP, "IN"},
    {"SELECT * FROM t WHERE a LIKE 'x%'", LC_ENOTSUP, "LIKE"},
    {"SELECT * FROM t WHERE a BETWEEN 1 AND 2", LC_ENOTSUP, "BETWEEN"},
    {"SELECT * FROM t WHERE a NOT IN (1)", LC_ENOTSUP, "NOT IN"},
    {"SELECT * FROM t WHERE a + 1 = 2", LC_ENOTSUP, "arithmetic"},
    {"SELECT * FROM t WHERE a = b * 2", LC_ENOTSUP, "arithmetic"},
    {"SELECT * FROM t WHERE -a = 1", LC_ENOTSUP, "unary operators"},
    {"SELECT * FROM t WHERE lower(a) = 'x'", LC_ENOTSUP, "function calls"},
    {"SELECT * FROM t WHERE a = (SELECT 1)", LC_ENOTSUP, "subqueries"},
    {"SELECT * FROM t GROUP BY a", LC_ENOTSUP, "GROUP BY"},
    {"SELECT * FROM t UNION SELECT * FROM s", LC_ENOTSUP, "UNION"},
    {"SELECT * FROM t LIMIT 1.5", LC_ENOTSUP, "Unsupported LIMIT expression"},
    {"SELECT * FROM t LIMIT -1", LC_ENOTSUP, "Unsupported LIMIT expression"},
    {"SELECT * FROM t LIMIT :n", LC_ENOTSUP, "Unsupported LIMIT expression"},
    {"SELECT * FROM t OFFSET 'a'", LC_ENOTSUP, "Unsupported OFFSET expression"},
    {"SELECT * FROM t LIMIT 18446744073709551616", LC_ERANGE, "LIMIT value out of range"},
    {"INSERT INTO t (a) VALUES (b)", LC_ENOTSUP, "Unsupported INSERT value"},
    {"INSERT INTO t (a) VALUES (:sender)", LC_ENOTSUP, "Unsupported INSERT value"},
    {"INSERT INTO t (a) VALUES (NULL)", LC_ENOTSUP, "NULL literals"},
    {"INSERT INTO t (a) SELECT * FROM s", LC_ENOTSUP, "Unsupported INSERT expression"},
    {"UPDATE t SET a = b", LC_ENOTSUP, "Unsupported column/variable assignment expression"},
    {"UPDATE t SET t.a = 1", LC_ENOTSUP, "qualified column"},
    {"UPDATE t SET a = 1 FROM s", LC_ENOTSUP, "UPDATE ... FROM"},
    {"DELETE FROM t, s", LC_ENOTSUP, "Multi-table DELETE is not supported"},
    {"DELETE FROM t x WHERE x.a = 1", LC_ENOTSUP, "Multi-table DELETE"},
    {"CREATE TABLE t (a int)", LC_ENOTSUP, "Unsupported statement: CREATE"},
    {"drop table t", LC_ENOTSUP, "Unsupported statement: DROP"},
    {"BEGIN", LC_ENOTSUP, "Unsupported statement: BEGIN"},
    {"WITH x AS (SELECT * FROM t) SELECT * FROM x", LC_ENOTSUP, "WITH"},
    {"SELECT * FROM t WHERE a = '\xff'", LC_EUTF8, "not valid UTF-8 (at 1:28)"},
    {"SELECT * FROM t WHERE a = '\xc0\x80'", LC_EUTF8, "not valid UTF-8"},
    {"SELECT * FROM t WHERE a = '\xed\xa0\x80'", LC_EUTF8, "not valid UTF-8"},
};

TEST(sql_parse_error_table)
{
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        expect_err(false, err_cases[i].sql, err_cases[i].err, err_cases[i].frag, __LINE__);
        if (lc_test_failed()) {
            fprintf(stderr, "  (case %zu)\n", i);
            return;
        }
    }
}

static const char *const sub_ok[] = {
    "SELECT * FROM person",
    "select * from t where a = 1",
    "select * from t where a <> 1",
    "select * from t where a = 1 or a = 2",
    "select t.* from t join s",
    "select t.* from t cross join s",
    "select t.* from t join s on t.c = s.d",
    "select a.* from t as a join s as b on a.c = b.d",
    "select * from t where x = :sender",
    "select * from ns.t where ns.t.a = 1",
    "SELECT ns.t.* FROM \"ns\".\"s\" JOIN \"ns\".\"t\" ON \"ns\".\"s\".\"a\" = \"ns\".\"t\".\"a\"",
    "SELECT * FROM \"person\" WHERE (\"person\".\"id\" < 3) OR (\"person\".\"id\" >= 10)",
    "SELECT * FROM \"person\" WHERE \"person\".\"owner\" = 0xc200e2fdc5c6",
    "SELECT * FROM \"person\" WHERE \"person\".\"created_at\" > '2023-11-14T22:13:20.000000Z'",
    "SELECT \"person\".* FROM \"pet_table\" JOIN \"person\" ON \"pet_table\".\"ownerId\" = "
    "\"person\".\"id\" WHERE \"pet_table\".\"age\" > -3",
    "SELECT * FROM t WHERE TRUE;",
};

TEST(sql_sub_ok)
{
    for (size_t i = 0; i < sizeof sub_ok / sizeof sub_ok[0]; i++) {
        lc_arena a;
        lc_arena_init(&a, 0);
        lc_errbuf eb = {{0}};
        sql_select *s, *g;
        sql_stmt *st;
        int rc = sql_parse_subscription(sub_ok[i], strlen(sub_ok[i]), 0, &a, &s, &eb);
        if (rc) lc_test_fail(__FILE__, __LINE__, "%s: %s", sub_ok[i], eb.msg);
        CHECK_OK(rc);
        /* The general dialect accepts every subscription and builds the same tree. */
        CHECK_OK(sql_parse(sub_ok[i], strlen(sub_ok[i]), &a, &st, &eb));
        CHECK(st->kind == SQL_STMT_SELECT);
        g = &st->u.select;
        CHECK(sql_select_equal(s, g));
        CHECK_EQ(sql_select_hash(s), sql_select_hash(g));
        /* Round trip through the canonical print in the subscription dialect. */
        lc_buf b;
        lc_buf_init(&b);
        CHECK_OK(sql_select_print(s, &b));
        sql_select *s2;
        CHECK_OK(sql_parse_subscription((const char *)b.data, b.len, 0, &a, &s2, &eb));
        CHECK(sql_select_equal(s, s2));
        lc_buf_deinit(&b);
        lc_arena_deinit(&a);
    }
}

static const struct {
    const char *sql;
    int err;
    const char *frag;
} sub_err[] = {
    {"", LC_ENOTSUP, "Empty SQL query"},
    {" ", LC_ENOTSUP, "Empty SQL query"},
    {"delete from t", LC_ENOTSUP, "Unsupported: Non-SELECT queries"},
    {"INSERT INTO t (a) VALUES (1)", LC_ENOTSUP, "Non-SELECT queries"},
    {"SET row_limit = 1", LC_ENOTSUP, "Non-SELECT queries"},
    {"frob", LC_ENOTSUP, "Non-SELECT queries"},
    {"select distinct a from t", LC_ENOTSUP, "DISTINCT"},
    {"select * from (select * from t) join (select * from s) on a = b", LC_ENOTSUP, "subqueries"},
    {"SELECT a FROM t", LC_ENOTSUP,
     "Column projections are not supported in subscriptions; Subscriptions must return a table "
     "type (at 1:8)"},
    {"SELECT a AS b, c FROM t", LC_ENOTSUP,
     "Column projections are not supported in subscriptions"},
    {"SELECT COUNT(*) AS n FROM t", LC_ENOTSUP,
     "Column projections are not supported in subscriptions"},
    {"SELECT * FROM t JOIN s ON t.a = s.a", LC_ENOTSUP, "SELECT * is not supported for joins"},
    {"SELECT t.* FROM t JOIN s ON t.a = s.a JOIN u ON s.a = u.a", LC_ENOTSUP,
     "Invalid number of tables in subscription (at 1:44)"},
    {"SELECT t.* FROM t, s", LC_ENOTSUP, "Implicit joins are not supported (at 1:18)"},
    {"SELECT t.* FROM t JOIN s ON t.a = s.a AND t.b = s.b", LC_ENOTSUP, "one equality"},
    {"SELECT t.* FROM t JOIN s ON t.a = s.a WHERE a = 1", LC_ENOTSUP, "Names must be qualified"},
    {"SELECT t.* FROM t JOIN s ON a = s.a", LC_ENOTSUP, "Names must be qualified"},
    {"SELECT * FROM t LIMIT 5", LC_ENOTSUP, "Unsupported: LIMIT in subscriptions (at 1:17)"},
    {"SELECT * FROM t OFFSET 5", LC_ENOTSUP, "Unsupported: OFFSET in subscriptions"},
    {"SELECT * FROM t ORDER BY a", LC_ENOTSUP, "Unsupported: ORDER BY in subscriptions"},
    {"SELECT * FROM t WHERE NOT a = 1", LC_ENOTSUP, "Unsupported: NOT in subscriptions"},
    {"SELECT * FROM t WHERE a = NULL", LC_ENOTSUP, "NULL literals"},
    {"SELECT * FROM t WHERE a IS NULL", LC_ENOTSUP, "IS [NOT] NULL"},
    {"SELECT * FROM t; SELECT * FROM s", LC_ENOTSUP, "Multiple SQL statements are not supported"},
    {"SELECT * FORM t", LC_ESYNTAX, "syntax error at 1:10 near 'FORM': expected FROM"},
    {"SELECT t.* FROM t JOIN t ON t.a = t.b", LC_ENOTSUP, "Duplicate name `t` (at 1:24)"},
    {"SELECT * FROM *", LC_ESYNTAX, "expected a table name"},
};

TEST(sql_sub_errors)
{
    for (size_t i = 0; i < sizeof sub_err / sizeof sub_err[0]; i++) {
        expect_err(true, sub_err[i].sql, sub_err[i].err, sub_err[i].frag, __LINE__);
        if (lc_test_failed()) {
            fprintf(stderr, "  (case %zu)\n", i);
            return;
        }
    }
}

TEST(sql_subscribe_all)
{
    static const char *const yes[] = {"SELECT * FROM *", "select * from *",
                                      "  SeLeCt\t*\nFROM   * ", "SELECT *  FROM *"};
    static const char *const no[] = {
        "SELECT * FROM t", "SELECT * FROM * ;", "SELECT *FROM *",   "SELECT * FROM **",
        "SELECT J FROM J", "SELECT * FROM j",   "SELECTS * FROM *", "",
        "SELECT * FROM"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        CHECK(sql_is_subscribe_all(yes[i], strlen(yes[i])));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        CHECK(!sql_is_subscribe_all(no[i], strlen(no[i])));
}

TEST(sql_sub_allow_not_flag)
{
    lc_arena a;
    lc_arena_init(&a, 0);
    lc_errbuf eb;
    sql_select *s;
    const char *q = "SELECT * FROM \"t\" WHERE NOT (\"t\".\"a\" = 1)";
    CHECK_ERR(sql_parse_subscription(q, strlen(q), 0, &a, &s, &eb), LC_ENOTSUP);
    CHECK_OK(sql_parse_subscription(q, strlen(q), SQL_SUB_ALLOW_NOT, &a, &s, &eb));
    CHECK(s->where && s->where->kind == SQL_EXPR_NOT);
    lc_arena_deinit(&a);
}
