/*
 * cli/cmd_describe.c — database management commands:
 *   describe NAME [--json]   GET /v1/database/NAME/schema?version=9, printed as tables
 *                            (columns, types, primary key, public/private) and reducers
 *                            (parameters, lifecycle); --json prints the schema JSON
 *   delete NAME              DELETE /v1/database/NAME (owner only)
 *   rename --to NEW DB       PUT /v1/database/DB/names ["NEW"] (owner only): DB (a name or
 *                            an identity) is then known as NEW only, as `spacetime rename`
 *   list [--all]             GET /v1/database; the databases owned by the caller's identity
 *                            at that server (every database with --all)
 * All take -s SERVER.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void put_s(lc_buf *b, const char *s) { lc_buf_put(b, s, strlen(s)); }

/* A type for humans: u32, string, Identity, Option<string>, Array<u8>, a typespace name. */
static void type_name(const json_t *ty, const json_t *types, lc_buf *b)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)ty, k, v) {
        if (!strcmp(k, "Ref")) {
            const char *n = NULL;
            for (size_t i = 0; i < json_array_size(types); i++) {
                json_t *t = json_array_get(types, i);
                if (json_integer_value(json_object_get(t, "ty")) == json_integer_value(v))
                    n = json_string_value(json_object_get(json_object_get(t, "name"), "name"));
            }
            put_s(b, n ? n : "ref");
        } else if (!strcmp(k, "Array")) {
            put_s(b, "Array<");
            type_name(v, types, b);
            put_s(b, ">");
        } else if (!strcmp(k, "Product")) {
            json_t *els = json_object_get(v, "elements");
            const char *n = json_string_value(json_object_get(
                json_object_get(json_array_get(els, 0), "name"), "some"));
            if (json_array_size(els) != 1 || !n) n = "";
            if (!strcmp(n, "__identity__")) put_s(b, "Identity");
            else if (!strcmp(n, "__connection_id__")) put_s(b, "ConnectionId");
            else if (!strncmp(n, "__timestamp", 11)) put_s(b, "Timestamp");
            else if (!strncmp(n, "__time_duration", 15)) put_s(b, "TimeDuration");
            else put_s(b, "product");
        } else if (!strcmp(k, "Sum")) {
            json_t *vs = json_object_get(v, "variants");
            json_t *v0 = json_array_get(vs, 0);
            const char *n0 = json_string_value(json_object_get(json_object_get(v0, "name"),
                                                               "some"));
            if (json_array_size(vs) == 2 && n0 && !strcmp(n0, "some")) {
                put_s(b, "Option<");
                type_name(json_object_get(json_array_get(vs, 0), "algebraic_type"), types, b);
                put_s(b, ">");
            } else {
                put_s(b, "sum");
            }
        } else {
            char low[16];
            snprintf(low, sizeof low, "%s", k);
            for (char *p = low; *p; p++) if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
            put_s(b, low);
        }
        return;
    }
}

static void print_product(const json_t *prod, const json_t *types, const json_t *pk)
{
    json_t *els = json_object_get(prod, "elements");
    lc_buf b;
    lc_buf_init(&b);
    for (size_t i = 0; i < json_array_size(els); i++) {
        json_t *e = json_array_get(els, i);
        lc_buf_reset(&b);
        type_name(json_object_get(e, "algebraic_type"), types, &b);
        lc_buf_put_u8(&b, 0);
        bool is_pk = false;
        for (size_t k = 0; k < json_array_size(pk); k++)
            if ((size_t)json_integer_value(json_array_get(pk, k)) == i) is_pk = true;
        printf("    %-24s %s%s\n",
               json_string_value(json_object_get(json_object_get(e, "name"), "some")),
               (const char *)b.data, is_pk ? "  (primary key)" : "");
    }
    lc_buf_deinit(&b);
}

static void describe_print(const char *db, json_t *s)
{
    json_t *types = json_object_get(s, "types");
    json_t *ts = json_object_get(json_object_get(s, "typespace"), "types");
    json_t *tables = json_object_get(s, "tables"), *reds = json_object_get(s, "reducers");
    printf("Database %s\n\nTables (%zu):\n", db, json_array_size(tables));
    for (size_t i = 0; i < json_array_size(tables); i++) {
        json_t *t = json_array_get(tables, i);
        const char *acc = json_object_get(json_object_get(t, "table_access"), "Public")
                              ? "public" : "private";
        json_t *sched = json_object_get(json_object_get(t, "schedule"), "some");
        printf("  %s (%s%s%s)\n", json_string_value(json_object_get(t, "name")), acc,
               sched ? ", scheduled -> " : "",
               sched ? json_string_value(json_object_get(sched, "reducer_name")) : "");
        json_int_t ref = json_integer_value(json_object_get(t, "product_type_ref"));
        json_t *row = json_array_get(ts, (size_t)ref);
        print_product(json_object_get(row, "Product"), types, json_object_get(t, "primary_key"));
    }
    printf("\nReducers (%zu):\n", json_array_size(reds));
    for (size_t i = 0; i < json_array_size(reds); i++) {
        json_t *r = json_array_get(reds, i);
        json_t *lc = json_object_get(json_object_get(r, "lifecycle"), "some");
        const char *lk = NULL;
        json_t *v;
        if (lc) json_object_foreach(lc, lk, v) break;
        printf("  %s%s%s%s\n", json_string_value(json_object_get(r, "name")),
               lk ? " (lifecycle: " : "", lk ? lk : "", lk ? ")" : "");
        print_product(json_object_get(r, "params"), types, NULL);
    }
}

static int parse_simple(int argc, char **argv, const char *cmd, const char *usage,
                        const char **server, const char **name, const char *flag, bool *has_flag)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { printf("%s\n", usage); return -1; }
        if ((!strcmp(a, "-s") || !strcmp(a, "--server")) && i + 1 < argc) *server = argv[++i];
        else if (flag && !strcmp(a, flag)) *has_flag = true;
        else if (name && !*name && a[0] != '-') *name = a;
        else { cli_fail(cmd, "unexpected argument '%s' (see --help)", a); return 2; }
    }
    if (name && !*name) { cli_fail(cmd, "missing database NAME (see --help)"); return 2; }
    return 0;
}

int cmd_describe(int argc, char **argv)
{
    const char *server = NULL, *db = NULL;
    bool as_json = false;
    int prc = parse_simple(argc, argv, "describe", "usage: lightcone describe NAME [--json] "
                           "[-s SERVER]", &server, &db, "--json", &as_json);
    if (prc) return prc < 0 ? 0 : prc;
    cli_ctx x;
    if (cli_ctx_open(&x, "describe", server, false)) return 1;
    char path[256];
    snprintf(path, sizeof path, "/v1/database/%s/schema?version=9", db);
    cli_http_resp r;
    int st = cli_req(&x, "GET", path, NULL, NULL, 0, &r);
    int rc = st == 200 ? 0 : st < 0 ? 1 : cli_fail_http(&x, "describe failed", &r);
    if (!rc && as_json) {
        printf("%s\n", (const char *)r.body.data);
    } else if (!rc) {
        json_error_t je;
        json_t *s = json_loadb((const char *)r.body.data, r.body.len, 0, &je);
        if (s) describe_print(db, s);
        else rc = (cli_fail("describe", "unreadable schema: %s", je.text), 1);
        json_decref(s);
    }
    cli_http_resp_deinit(&r);
    cli_ctx_close(&x);
    return rc;
}

int cmd_delete(int argc, char **argv)
{
    const char *server = NULL, *db = NULL;
    int prc = parse_simple(argc, argv, "delete", "usage: lightcone delete NAME [-s SERVER]",
                           &server, &db, NULL, NULL);
    if (prc) return prc < 0 ? 0 : prc;
    cli_ctx x;
    if (cli_ctx_open(&x, "delete", server, false)) return 1;
    char path[256];
    snprintf(path, sizeof path, "/v1/database/%s", db);
    cli_http_resp r;
    int st = cli_req(&x, "DELETE", path, NULL, NULL, 0, &r);
    int rc = st == 200 ? 0 : st < 0 ? 1 : cli_fail_http(&x, "delete refused", &r);
    if (!rc) printf("Deleted database %s\n", db);
    cli_http_resp_deinit(&r);
    cli_ctx_close(&x);
    return rc;
}

int cmd_rename(int argc, char **argv)
{
    const char *server = NULL, *db = NULL, *to = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            printf("usage: lightcone rename --to NEW DATABASE [-s SERVER]\n"
                   "  DATABASE (a name or an identity) is then known as NEW only\n");
            return 0;
        }
        if ((!strcmp(a, "-s") || !strcmp(a, "--server")) && i + 1 < argc) server = argv[++i];
        else if (!strcmp(a, "--to") && i + 1 < argc) to = argv[++i];
        else if (!db && a[0] != '-') db = a;
        else { cli_fail("rename", "unexpected argument '%s' (see --help)", a); return 2; }
    }
    if (!db || !to) { cli_fail("rename", "usage: lightcone rename --to NEW DATABASE"); return 2; }
    if (strlen(to) > 64 || strpbrk(to, "\"\\")) {
        cli_fail("rename", "invalid name '%s'", to);
        return 2;
    }
    cli_ctx x;
    if (cli_ctx_open(&x, "rename", server, false)) return 1;
    char path[256], body[80];
    snprintf(path, sizeof path, "/v1/database/%s/names", db);
    int n = snprintf(body, sizeof body, "[\"%s\"]", to);
    cli_http_resp r;
    int st = cli_req(&x, "PUT", path, "application/json", body, (size_t)n, &r);
    int rc = st == 200 ? 0 : st < 0 ? 1 : cli_fail_http(&x, "rename refused", &r);
    if (!rc) printf("Database %s is now named %s\n", db, to);
    cli_http_resp_deinit(&r);
    cli_ctx_close(&x);
    return rc;
}

int cmd_list(int argc, char **argv)
{
    const char *server = NULL;
    bool all = false;
    int prc = parse_simple(argc, argv, "list", "usage: lightcone list [--all] [-s SERVER]\n"
                           "  databases owned by your identity (--all: every database)",
                           &server, NULL, "--all", &all);
    if (prc) return prc < 0 ? 0 : prc;
    cli_ctx x;
    if (cli_ctx_open(&x, "list", server, false)) return 1;
    const char *me = NULL;
    (void)cli_token_get(x.cfg, x.url, &me);
    cli_http_resp r;
    int st = cli_req(&x, "GET", "/v1/database", NULL, NULL, 0, &r);
    int rc = st == 200 ? 0 : st < 0 ? 1 : cli_fail_http(&x, "list failed", &r);
    json_error_t je;
    json_t *j = rc ? NULL : json_loadb((const char *)r.body.data, r.body.len, 0, &je);
    json_t *dbs = json_object_get(j, "databases");
    for (size_t i = 0; i < json_array_size(dbs); i++) {
        json_t *d = json_array_get(dbs, i);
        const char *owner = json_string_value(json_object_get(d, "owner_identity"));
        if (!all && (!me || !owner || strcmp(me, owner))) continue;
        printf("%-24s %s\n", json_string_value(json_object_get(d, "name")),
               json_string_value(json_object_get(d, "database_identity")));
    }
    json_decref(j);
    cli_http_resp_deinit(&r);
    cli_ctx_close(&x);
    return rc;
}
