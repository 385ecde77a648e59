/*
 * tests/slt/slt_runner.c — a small sqllogictest (.slt) runner over sql_exec on a fresh
 * in-memory store per file.
 *
 * Records (blank-line separated, '#' comments):
 *   statement ok | statement error [substring of the expected message]   + one SQL line
 *   query <type letters> [rowsort|nosort]  + SQL line + "----" + expected rows
 *   halt                                    stops the file
 *   skipif lightcone / onlyif <engine>      (onlyif anything but lightcone skips the record)
 * The engine has no DDL, so the runner itself handles
 *   CREATE TABLE t (col TYPE [PRIMARY KEY] [AUTO_INC] [UNIQUE] [INDEX] [HASH], ...)
 * with TYPE one of Bool I8..U256 F32 F64 String Bytes Identity ConnectionId Timestamp.
 * and `CREATE TABLE ... PRIVATE` (a private table).
 * Authorization and subscriptions (our extension, for joins / private tables / RLS):
 *   caller owner | caller client <64 hex digits>   who runs what follows (default: owner;
 *                                           a client is restricted: sql_exec_opts.restricted)
 *   rls + SQL line                          adds a row-level-security rule (used for clients)
 *   subscription ok | subscription error [substring]  + SQL line: compiles it as a
 *                                           subscription of the current caller (sub/)
 *   query <types> [rowsort] subscribe       the SQL is a subscription: its initial rows
 * Rows are printed one per line, columns separated by one space, each value as SATS-JSON
 * (lc_bsatn_to_json) except that String values are printed raw; "(empty)" for "".
 * Exit status 0 when every record passed; the last line is "slt: N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "sql/sql_exec.h"
#include "sub/sub.h"

#define LINE_MAX_LEN 4096
#define COLS_MAX 32
#define RLS_MAX 16

typedef struct slt {
    store *s;
    lc_typespace ts;
    const char *file;
    int line;
    int passed, failed;
    bool is_client; /* a caller record made it a client: caller binds :sender */
    u8 caller[32];
    char *rls[RLS_MAX];
    u32 nrls;
} slt;

static const lc_type *type_parse(slt *t, const char *w)
{
    static const struct { const char *n; u8 k; } prims[] = {
        {"Bool", LC_T_BOOL}, {"I8", LC_T_I8},     {"U8", LC_T_U8},     {"I16", LC_T_I16},
        {"U16", LC_T_U16},   {"I32", LC_T_I32},   {"U32", LC_T_U32},   {"I64", LC_T_I64},
        {"U64", LC_T_U64},   {"I128", LC_T_I128}, {"U128", LC_T_U128}, {"I256", LC_T_I256},
        {"U256", LC_T_U256}, {"F32", LC_T_F32},   {"F64", LC_T_F64},   {"String", LC_T_STRING}};
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
        if (!strcasecmp(w, prims[i].n)) return lc_type_prim(prims[i].k);
    if (!strcasecmp(w, "Bytes")) return lc_type_array(&t->ts, lc_type_prim(LC_T_U8));
    if (!strcasecmp(w, "Identity")) return lc_type_special_get(&t->ts, LC_TS_IDENTITY);
    if (!strcasecmp(w, "ConnectionId")) return lc_type_special_get(&t->ts, LC_TS_CONNECTION_ID);
    if (!strcasecmp(w, "Timestamp")) return lc_type_special_get(&t->ts, LC_TS_TIMESTAMP);
    return NULL;
}

typedef struct ddl {
    char names[COLS_MAX][64];
    store_column_def cols[COLS_MAX];
    store_index_def idx[COLS_MAX];
    u16 idx_cols[COLS_MAX];
    store_sequence_def seqs[COLS_MAX];
    store_table_def def;
} ddl;

/* Parses one "name TYPE flags..." column description into d. */
static int ddl_col(slt *t, ddl *d, char *desc)
{
    u32 i = d->def.col_count;
    char *save, *w = strtok_r(desc, " \t", &save), *ty = strtok_r(NULL, " \t", &save);
    if (!w || !ty || i == COLS_MAX || strlen(w) >= 64) return -1;
    memcpy(d->names[i], w, strlen(w) + 1);
    d->cols[i] = (store_column_def){d->names[i], type_parse(t, ty)};
    if (!d->cols[i].type) return -1;
    bool unique = false, index = false, hash = false;
    while ((w = strtok_r(NULL, " \t", &save))) {
        if (!strcasecmp(w, "PRIMARY")) d->def.pk_col = (i32)i;
        else if (!strcasecmp(w, "UNIQUE")) unique = true;
        else if (!strcasecmp(w, "INDEX")) index = true;
        else if (!strcasecmp(w, "HASH")) hash = index = true;
        else if (!strcasecmp(w, "AUTO_INC")) d->seqs[d->def.seq_count++] = (store_sequence_def){.col_pos = (u16)i};
        else if (strcasecmp(w, "KEY")) return -1;
    }
    if (unique || index) {
        d->idx_cols[i] = (u16)i;
        d->idx[d->def.index_count++] = (store_index_def){NULL, hash ? STORE_INDEX_HASH : STORE_INDEX_BTREE,
                                                        unique, 1, &d->idx_cols[i]};
    }
    d->def.col_count++;
    return 0;
}

static int create_table(slt *t, const char *sql, char *err, size_t cap)
{
    static ddl d;
    memset(&d, 0, sizeof d);
    char buf[LINE_MAX_LEN], name[128];
    const char *lp = strchr(sql, '('), *rp = strrchr(sql, ')');
    if (!lp || !rp || rp < lp || sscanf(sql + 12, "%127s", name) != 1) return snprintf(err, cap, "bad CREATE TABLE"), -1;
    char *paren = strchr(name, '(');
    if (paren) *paren = 0;
    snprintf(buf, sizeof buf, "%.*s", (int)(rp - lp - 1), lp + 1);
    d.def = (store_table_def){.name = name, .is_public = !strstr(rp, "PRIVATE"), .pk_col = -1,
                              .cols = d.cols,
                              .indexes = d.idx, .seqs = d.seqs};
    char *save, *c = strtok_r(buf, ",", &save);
    for (; c; c = strtok_r(NULL, ",", &save))
        if (ddl_col(t, &d, c)) return snprintf(err, cap, "bad column in CREATE TABLE"), -1;
    store_txn txn;
    store_txn_begin(&txn, t->s);
    lc_errbuf eb = {{0}};
    u32 id;
    int rc = store_table_create(&txn, &d.def, &id, &eb);
    if (rc) {
        store_txn_abort(&txn);
        return snprintf(err, cap, "%s", eb.msg), rc;
    }
    return store_txn_commit(&txn, NULL);
}

/* ---- results ---- */

typedef struct result {
    const lc_type *types[COLS_MAX];
    u32 ncols;
    char **lines;
    u32 nlines, cap;
} result;

static int res_columns(void *ctx, const sql_result_col *cols, u32 count)
{
    result *r = ctx;
    if (count > COLS_MAX) return LC_ELIMIT;
    for (u32 i = 0; i < count; i++) r->types[i] = cols[i].type;
    r->ncols = count;
    return 0;
}

static int res_row(void *ctx, const u8 *row, u32 len)
{
    result *r = ctx;
    lc_buf out;
    lc_buf_init(&out);
    lc_rd rd;
    lc_rd_init(&rd, row, len);
    for (u32 i = 0; i < r->ncols; i++) {
        if (i) lc_buf_put_u8(&out, ' ');
        if (r->types[i]->kind == LC_T_STRING) {
            u32 n = lc_rd_u32(&rd);
            const u8 *p = lc_rd_take(&rd, n);
            if (n == 0) lc_buf_put(&out, "(empty)", 7);
            else lc_buf_put(&out, p, n);
        } else if (lc_bsatn_to_json(r->types[i], &rd, &out) != 0) {
            lc_buf_deinit(&out);
            return LC_ENOMEM;
        }
    }
    lc_buf_put_u8(&out, 0);
    if (r->nlines == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->lines = lc_realloc(r->lines, sizeof(char *) * r->cap);
    }
    size_t n;
    r->lines[r->nlines++] = (char *)lc_buf_take(&out, &n);
    lc_buf_deinit(&out);
    return 0;
}

static void res_free(result *r)
{
    for (u32 i = 0; i < r->nlines; i++) lc_free(r->lines[i]);
    lc_free(r->lines);
    memset(r, 0, sizeof *r);
}

static int line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- records ---- */

static int run_sql(slt *t, const char *sql, result *r, char *err, size_t cap)
{
    if (!strncasecmp(sql, "CREATE TABLE ", 13)) return create_table(t, sql, err, cap);
    lc_errbuf eb = {{0}};
    sql_sink sink = {res_columns, res_row, r};
    sql_exec_opts o = {.caller_id = t->is_client ? t->caller : NULL, .restricted = t->is_client,
                       .rls_sql = (const char *const *)t->rls, .rls_count = t->nrls};
    int rc = sql_exec(t->s, sql, strlen(sql), &o, &sink, NULL, &eb);
    if (rc) snprintf(err, cap, "%s", eb.msg);
    return rc;
}

static int sub_row(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    (void)q;
    return res_row(ctx, row, len);
}

/* Compiles sql as a subscription of the current caller; with r, collects its initial rows. */
static int run_sub(slt *t, const char *sql, result *r, char *err, size_t cap)
{
    sub_registry *reg;
    if (sub_registry_create(&reg)) return LC_ENOMEM;
    sub_auth auth = {t->is_client ? t->caller : NULL, !t->is_client, (const char *const *)t->rls, t->nrls};
    lc_errbuf eb = {{0}};
    store_txn txn;
    store_read_begin(&txn, t->s);
    sub_query *q;
    int rc = sub_query_acquire_as(reg, &txn, sql, strlen(sql), &auth, &q, &eb);
    if (rc) snprintf(err, cap, "%s", eb.msg);
    if (!rc && r) {
        const lc_type *rt = store_table_row_type(&txn, sub_query_table_id(q));
        r->ncols = rt->elem_count < COLS_MAX ? rt->elem_count : COLS_MAX;
        for (u32 i = 0; i < r->ncols; i++) r->types[i] = rt->elems[i].type;
        rc = sub_query_eval_initial(q, &txn, sub_row, r);
        if (rc) snprintf(err, cap, "initial evaluation failed: %s", lc_strerror(rc));
    }
    store_read_end(&txn);
    sub_registry_destroy(reg);
    return rc;
}

/* "caller owner" / "caller client <hex>"; false when malformed. */
static bool set_caller(slt *t, const char *head)
{
    if (!strcmp(head, "caller owner")) {
        t->is_client = false;
        memset(t->caller, 0, 32);
        return true;
    }
    const char *h = head + 14;
    if (strncmp(head, "caller client ", 14) || strlen(h) != 64) return false;
    for (u32 i = 0; i < 32; i++) { /* big-endian hex, stored little-endian */
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1) return false;
        t->caller[31 - i] = (u8)v;
    }
    t->is_client = true;
    return true;
}

static void fail(slt *t, int line, const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "%s:%d: FAIL ", t->file, line);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    t->failed++;
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ')) s[--n] = 0;
}

static bool read_line(slt *t, FILE *f, char *buf)
{
    if (!fgets(buf, LINE_MAX_LEN, f)) return false;
    t->line++;
    chomp(buf);
    return true;
}

/* "statement ..." and "subscription ..." (head + skip = the ok / error word). */
static void do_statement(slt *t, int line, const char *head, const char *sql)
{
    result r = {0};
    char err[512] = "";
    bool is_sub = !strncmp(head, "subscription", 12);
    int rc = is_sub ? run_sub(t, sql, NULL, err, sizeof err) : run_sql(t, sql, &r, err, sizeof err);
    res_free(&r);
    const char *want = head + (is_sub ? 12 : 9);
    while (*want == ' ') want++;
    if (!strncmp(want, "ok", 2)) {
        if (rc) return fail(t, line, "expected ok, got error: %s%s", err, "");
    } else {
        const char *sub = want + 5;
        while (*sub == ' ') sub++;
        if (!rc) return fail(t, line, "expected error%s%s, got ok", *sub ? ": " : "", sub);
        if (*sub && !strstr(err, sub)) return fail(t, line, "error '%s' does not contain '%s'", err, sub);
    }
    t->passed++;
}

static void do_query(slt *t, FILE *f, int line, const char *head, const char *sql)
{
    char buf[LINE_MAX_LEN], err[512] = "";
    char **want = NULL;
    u32 nwant = 0;
    while (read_line(t, f, buf) && buf[0]) {
        want = lc_realloc(want, sizeof(char *) * (nwant + 1));
        want[nwant] = lc_alloc(strlen(buf) + 1);
        memcpy(want[nwant++], buf, strlen(buf) + 1);
    }
    result r = {0};
    int rc = strstr(head, "subscribe") ? run_sub(t, sql, &r, err, sizeof err)
                                       : run_sql(t, sql, &r, err, sizeof err);
    if (rc) {
        fail(t, line, "query failed: %s%s", err, "");
    } else {
        if (strstr(head, "rowsort") && r.nlines) qsort(r.lines, r.nlines, sizeof(char *), line_cmp);
        bool ok = r.nlines == nwant;
        for (u32 i = 0; ok && i < nwant; i++) ok = !strcmp(r.lines[i], want[i]);
        if (ok) {
            t->passed++;
        } else {
            fail(t, line, "rows differ for: %s%s", sql, "");
            for (u32 i = 0; i < r.nlines; i++) fprintf(stderr, "  got:  %s\n", r.lines[i]);
            for (u32 i = 0; i < nwant; i++) fprintf(stderr, "  want: %s\n", want[i]);
        }
    }
    res_free(&r);
    for (u32 i = 0; i < nwant; i++) lc_free(want[i]);
    lc_free(want);
}

/* Runs one record starting at header line `head`. Returns false at halt. */
static bool do_record(slt *t, FILE *f, char *head)
{
    char sql[LINE_MAX_LEN], sep[LINE_MAX_LEN];
    int line = t->line;
    bool skip = false;
    while (!strncmp(head, "skipif", 6) || !strncmp(head, "onlyif", 6)) {
        bool mine = strstr(head, "lightcone") != NULL;
        skip |= head[0] == 's' ? mine : !mine;
        if (!read_line(t, f, head)) return false;
    }
    if (!strcmp(head, "halt")) return false;
    if (!strncmp(head, "caller", 6)) {
        if (!skip && !set_caller(t, head)) fail(t, line, "bad caller record '%s'%s", head, "");
        return true;
    }
    if (!read_line(t, f, sql)) return false;
    if (!strcmp(head, "rls")) {
        if (!skip && t->nrls < RLS_MAX) t->rls[t->nrls++] = lc_strdup(sql);
        return true;
    }
    if (!strncmp(head, "statement", 9) || !strncmp(head, "subscription", 12)) {
        if (!skip) do_statement(t, line, head, sql);
    } else if (!strncmp(head, "query", 5)) {
        if (!read_line(t, f, sep) || strcmp(sep, "----")) {
            fail(t, line, "query without ----%s%s", "", "");
            return true;
        }
        if (skip) {
            while (read_line(t, f, sep) && sep[0]) {}
        } else {
            do_query(t, f, line, head, sql);
        }
    } else {
        fail(t, line, "unknown record '%s'%s", head, "");
    }
    return true;
}

static void run_file(slt *t, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        t->failed++;
        return;
    }
    t->file = path;
    t->line = 0;
    if (store_create(&t->s) != 0) abort();
    char head[LINE_MAX_LEN];
    while (read_line(t, f, head)) {
        if (!head[0] || head[0] == '#') continue;
        if (!do_record(t, f, head)) break;
    }
    store_destroy(t->s);
    for (u32 i = 0; i < t->nrls; i++) lc_free(t->rls[i]);
    t->nrls = 0;
    t->is_client = false;
    memset(t->caller, 0, 32);
    fclose(f);
}

int main(int argc, char **argv)
{
    slt t;
    memset(&t, 0, sizeof t);
    lc_typespace_init(&t.ts);
    for (int i = 1; i < argc; i++) run_file(&t, argv[i]);
    lc_typespace_deinit(&t.ts);
    printf("slt: %d passed, %d failed\n", t.passed, t.failed);
    return t.failed ? 1 : 0;
}
