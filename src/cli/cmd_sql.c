/*
 * cli/cmd_sql.c — `lightcone sql NAME [QUERY] [--json] [-s SERVER]`: POST
 * /v1/database/NAME/sql and print the result as a psql-style table (spec-engine-semantics
 * §4.4): a header row, a rule of '-' joined by '+', cells separated by " | ".
 *
 * Cells are formatted from the untyped row JSON with the column types of the response's
 * "schema" (SATN-like): strings quoted, Identity / ConnectionId / bytes as 0x..., Timestamp
 * as RFC 3339, TimeDuration as +seconds.micros, sums as (variant = payload), products as
 * (field = value, ...), arrays as [a, b]. DML prints the row counts it changed.
 * Without QUERY and with a terminal on stdin, an interactive prompt runs one statement per
 * line until EOF or \q. --json prints the server's JSON unchanged.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "cli/cli.h"
#include "value/value.h"

static void put_s(lc_buf *b, const char *s) { lc_buf_put(b, s, strlen(s)); }

static void fmt_value(const json_t *ty, const json_t *v, lc_buf *out);

/* The single element name of a special product, or NULL. */
static const char *special_of(const json_t *ty)
{
    const json_t *els = json_object_get(json_object_get(ty, "Product"), "elements");
    if (json_array_size(els) != 1) return NULL;
    const char *n = json_string_value(json_object_get(json_object_get(json_array_get(els, 0),
                                                                      "name"), "some"));
    return n && !strncmp(n, "__", 2) ? n : NULL;
}

static void fmt_scalar(const json_t *v, lc_buf *out)
{
    char t[64];
    if (json_is_string(v)) put_s(out, json_string_value(v));
    else if (json_is_integer(v)) {
        snprintf(t, sizeof t, "%lld", (long long)json_integer_value(v));
        put_s(out, t);
    }
    else if (json_is_real(v)) { snprintf(t, sizeof t, "%.17g", json_real_value(v)); put_s(out, t); }
    else if (json_is_true(v)) put_s(out, "true");
    else if (json_is_false(v)) put_s(out, "false");
    else put_s(out, "null");
}

static void fmt_special(const char *sp, const json_t *v, lc_buf *out)
{
    const json_t *x = json_array_get(v, 0);
    char t[96];
    if (!strcmp(sp, "__timestamp_micros_since_unix_epoch__") && json_is_number(x)) {
        long long us = (long long)json_number_value(x);
        if (json_is_integer(x)) us = (long long)json_integer_value(x);
        time_t s = (time_t)(us / 1000000);
        long long frac = us % 1000000;
        if (frac < 0) { frac += 1000000; s--; }
        struct tm tm;
        gmtime_r(&s, &tm);
        strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
        put_s(out, t);
        snprintf(t, sizeof t, ".%06lld+00:00", frac);
        put_s(out, t);
    } else if (!strcmp(sp, "__time_duration_micros__") && json_is_integer(x)) {
        long long us = (long long)json_integer_value(x);
        snprintf(t, sizeof t, "%s%lld.%06lld", us < 0 ? "-" : "+", (us < 0 ? -us : us) / 1000000,
                 (us < 0 ? -us : us) % 1000000);
        put_s(out, t);
    } else if (json_is_integer(x)) { /* ConnectionId / Uuid rendered as numbers when small */
        snprintf(t, sizeof t, "0x%032llx", (unsigned long long)json_integer_value(x));
        put_s(out, t);
    } else {
        fmt_scalar(x, out); /* u256 arrives as "0x..." already */
    }
}

static void fmt_compound(const json_t *ty, const json_t *v, lc_buf *out)
{
    const json_t *p = json_object_get(ty, "Product"), *s = json_object_get(ty, "Sum");
    if (p) {
        const json_t *els = json_object_get(p, "elements");
        put_s(out, "(");
        for (size_t i = 0; i < json_array_size(els); i++) {
            const json_t *e = json_array_get(els, i);
            const char *n = json_string_value(json_object_get(json_object_get(e, "name"), "some"));
            if (i) put_s(out, ", ");
            if (n) { put_s(out, n); put_s(out, " = "); }
            fmt_value(json_object_get(e, "algebraic_type"), json_array_get(v, i), out);
        }
        put_s(out, ")");
        return;
    }
    const json_t *vs = json_object_get(s, "variants");
    size_t tag = (size_t)json_integer_value(json_array_get(v, 0));
    const json_t *var = json_array_get(vs, tag);
    const char *n = json_string_value(json_object_get(json_object_get(var, "name"), "some"));
    put_s(out, "(");
    put_s(out, n ? n : "?");
    put_s(out, " = ");
    fmt_value(json_object_get(var, "algebraic_type"), json_array_get(v, 1), out);
    put_s(out, ")");
}

static void fmt_value(const json_t *ty, const json_t *v, lc_buf *out)
{
    const char *sp = special_of(ty);
    const json_t *arr = json_object_get(ty, "Array");
    if (sp) {
        fmt_special(sp, v, out);
    } else if (json_object_get(ty, "Product") || json_object_get(ty, "Sum")) {
        fmt_compound(ty, v, out);
    } else if (arr && json_object_get(arr, "U8") && json_is_string(v)) {
        put_s(out, "0x");
        put_s(out, json_string_value(v));
    } else if (arr) {
        put_s(out, "[");
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i) put_s(out, ", ");
            fmt_value(arr, json_array_get(v, i), out);
        }
        put_s(out, "]");
    } else if (json_object_get(ty, "String")) {
        const char *s = json_string_value(v);
        lc_json_put_string(out, s ? s : "", s ? strlen(s) : 0);
    } else {
        fmt_scalar(v, out);
    }
}

/* Display width: UTF-8 code points. */
static size_t width_of(const char *s)
{
    size_t w = 0;
    for (; *s; s++) w += ((u8)*s & 0xC0) != 0x80;
    return w;
}

static void print_cell(const char *s, size_t w, bool last)
{
    printf(" %s", s);
    if (!last) printf("%*s |", (int)(w - width_of(s)), "");
}

static void print_table(const json_t *res)
{
    const json_t *els = json_object_get(json_object_get(res, "schema"), "elements");
    const json_t *rows = json_object_get(res, "rows");
    size_t nc = json_array_size(els), nr = json_array_size(rows);
    if (!nc) return;
    char **cells = lc_calloc((nr + 1) * nc, sizeof *cells);
    size_t *w = lc_calloc(nc, sizeof *w);
    if (!cells || !w) { lc_free(cells); lc_free(w); return; }
    lc_buf b;
    lc_buf_init(&b);
    for (size_t r = 0; r <= nr; r++)
        for (size_t c = 0; c < nc; c++) {
            const json_t *e = json_array_get(els, c);
            lc_buf_reset(&b);
            if (r == 0) {
                json_t *nm = json_object_get(json_object_get(e, "name"), "some");
                const char *n = json_string_value(nm);
                put_s(&b, n ? n : "?");
            } else {
                fmt_value(json_object_get(e, "algebraic_type"),
                          json_array_get(json_array_get(rows, r - 1), c), &b);
            }
            lc_buf_put_u8(&b, 0);
            size_t len;
            char *cell = (char *)lc_buf_take(&b, &len);
            cells[r * nc + c] = cell;
            if (cell && width_of(cell) > w[c]) w[c] = width_of(cell);
        }
    for (size_t r = 0; r <= nr; r++) {
        for (size_t c = 0; c < nc; c++) {
            const char *cell = cells[r * nc + c];
            print_cell(cell ? cell : "", w[c], c + 1 == nc);
        }
        printf("\n");
        if (r == 0)
            for (size_t c = 0; c < nc; c++) {
                for (size_t k = 0; k < w[c] + 2; k++) putchar('-');
                putchar(c + 1 == nc ? '\n' : '+');
            }
    }
    for (size_t i = 0; i < (nr + 1) * nc; i++) lc_free(cells[i]);
    lc_free(cells);
    lc_free(w);
    lc_buf_deinit(&b);
}

static int sql_run(cli_ctx *x, const char *db, const char *q, bool as_json)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/database/%s/sql", db);
    cli_http_resp r;
    int st = cli_req(x, "POST", path, "text/plain", q, strlen(q), &r);
    int rc = st == 200 ? 0 : st < 0 ? 1 : cli_fail_http(x, "query failed", &r);
    if (!rc && as_json) {
        printf("%s\n", (const char *)r.body.data);
    } else if (!rc) {
        json_error_t je;
        json_t *j = json_loadb((const char *)r.body.data, r.body.len, 0, &je);
        if (!j) j = json_loadb((const char *)r.body.data, r.body.len, JSON_DECODE_INT_AS_REAL, &je);
        for (size_t i = 0; i < json_array_size(j); i++) {
            const json_t *res = json_array_get(j, i), *s = json_object_get(res, "stats");
            print_table(res);
            long long ins = json_integer_value(json_object_get(s, "rows_inserted"));
            long long del = json_integer_value(json_object_get(s, "rows_deleted"));
            long long upd = json_integer_value(json_object_get(s, "rows_updated"));
            if (ins || del || upd)
                printf("(inserted: %lld, deleted: %lld, updated: %lld)\n", ins, del, upd);
        }
        if (!j) rc = (cli_fail(x->cmd, "unreadable response: %s", je.text), 1);
        json_decref(j);
    }
    cli_http_resp_deinit(&r);
    return rc;
}

static int sql_repl(cli_ctx *x, const char *db, bool as_json)
{
    char line[65536];
    int rc = 0;
    for (;;) {
        printf("%s> ", db);
        fflush(stdout);
        if (!fgets(line, sizeof line, stdin)) { printf("\n"); break; }
        line[strcspn(line, "\r\n")] = 0;
        if (!strcmp(line, "\\q") || !strcmp(line, "quit") || !strcmp(line, "exit")) break;
        if (!line[strspn(line, " \t;")]) continue;
        rc = sql_run(x, db, line, as_json);
    }
    return rc;
}

int cmd_sql(int argc, char **argv)
{
    const char *server = NULL, *db = NULL, *q = NULL;
    bool as_json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            printf("usage: lightcone sql NAME [QUERY] [--json] [-s SERVER]\n"
                   "  without QUERY on a terminal: an interactive prompt (\\q quits)\n");
            return 0;
        }
        if ((!strcmp(a, "-s") || !strcmp(a, "--server")) && i + 1 < argc) server = argv[++i];
        else if (!strcmp(a, "--json") || !strcmp(a, "--format=json")) as_json = true;
        else if (!db) db = a;
        else if (!q) q = a;
        else { cli_fail("sql", "unexpected argument '%s' (quote the query)", a); return 2; }
    }
    if (!db) { cli_fail("sql", "missing database NAME (see --help)"); return 2; }
    if (!q && !isatty(0)) { cli_fail("sql", "missing QUERY (stdin is not a terminal)"); return 2; }
    cli_ctx x;
    if (cli_ctx_open(&x, "sql", server, false)) return 1;
    int rc = q ? sql_run(&x, db, q, as_json) : sql_repl(&x, db, as_json);
    cli_ctx_close(&x);
    return rc;
}
