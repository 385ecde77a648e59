/*
 * cli/cmd_subscribe.c — `lightcone subscribe NAME QUERY... [-n N] [-t SECONDS] [-s SERVER]
 * [--confirmed true|false] [--no-initial]`.
 *
 * Prints what a subscription sees, one JSON line per message, in the shape of SpacetimeDB's
 * `spacetime subscribe`:
 *
 *   {"<table>": {"deletes": [row...], "inserts": [row...]}, ...}
 *
 * first for the initial rows (SubscribeApplied: everything under "inserts"; --no-initial
 * skips it), then for each TransactionUpdate. Rows are SATS-JSON in the typed form (products as
 * {"column": value} objects, sums as {"variant": payload}), rendered by value/json_out.c.
 *
 * Row types come from the server: GET /v1/database/NAME/schema?version=9 returns the module
 * definition as JSON; its typespace (AlgebraicType in the derived SATS-JSON form, see
 * lc_type_to_json) is parsed back into an lc_typespace, and each table's product_type_ref is
 * resolved to a ref-free row type. Everything the server sends is untrusted: the schema JSON
 * is bounded (size, nesting depth), rows are validated against their type before rendering.
 *
 * Exits 0 after N updates (-n; -n 0 = right after the initial rows) or after T seconds (-t),
 * whichever comes first; 1 on a subscription error or a lost connection; 2 on bad usage.
 * SERVER and the token come from the CLI context (cli/cli.h: -s nickname or URL, else the
 * default server; the saved token for it, else anonymous).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/limits.h"
#include "cli/cli.h"
#include "net/ws_client.h"
#include "value/value.h"

#define SUB_QUERIES_MAX 64

typedef struct sub_opts {
    const char *db;
    const char *queries[SUB_QUERIES_MAX];
    u32 nqueries;
    long updates_max; /* -1 = unlimited */
    double timeout_s; /* <= 0 = none */
    const char *server; /* -s: nickname or URL; NULL = the default server */
    char host[256];
    u16 port;
    int confirmed; /* -1 = server default */
    const char *token; /* from the CLI context; NULL = anonymous */
    bool print_initial;
} sub_opts;

typedef struct sub_table {
    char *name;
    const lc_type *row; /* resolved, in the schema's `resolved` typespace */
} sub_table;

typedef struct sub_schema {
    lc_typespace from;     /* as sent: refs into itself */
    lc_typespace resolved; /* ref-free row types */
    sub_table *tables;
    u32 ntables;
} sub_schema;

#define sub_fail(...) cli_fail("subscribe", __VA_ARGS__)

/* ---- schema: SATS-JSON AlgebraicType -> lc_type ---- */

static const char *const PRIM_NAMES[LC_T_KIND_COUNT] = {
    [LC_T_STRING] = "String", [LC_T_BOOL] = "Bool", [LC_T_I8] = "I8",     [LC_T_U8] = "U8",
    [LC_T_I16] = "I16",       [LC_T_U16] = "U16",   [LC_T_I32] = "I32",   [LC_T_U32] = "U32",
    [LC_T_I64] = "I64",       [LC_T_U64] = "U64",   [LC_T_I128] = "I128", [LC_T_U128] = "U128",
    [LC_T_I256] = "I256",     [LC_T_U256] = "U256", [LC_T_F32] = "F32",   [LC_T_F64] = "F64",
};

static const lc_type *type_from_json(lc_typespace *ts, const json_t *j, int depth);

/* Product elements / sum variants: [{"name": {"some": "x"} | {"none": []},
 * "algebraic_type": T}, ...]. */
static const lc_type *elems_from_json(lc_typespace *ts, const json_t *arr, bool is_sum,
                                      int depth)
{
    size_t n = json_array_size(arr);
    if (!json_is_array(arr) || n > LC_PRODUCT_ELEMS_MAX) return NULL;
    lc_type_elem *el = n ? lc_arena_alloc(&ts->arena, n * sizeof *el) : NULL;
    if (n && !el) return NULL;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(arr, i);
        const json_t *some = json_object_get(json_object_get(e, "name"), "some");
        el[i].name = json_is_string(some) ? json_string_value(some) : NULL;
        el[i].type = type_from_json(ts, json_object_get(e, "algebraic_type"), depth + 1);
        if (!el[i].type) return NULL;
    }
    return is_sum ? lc_type_sum(ts, (u32)n, el) : lc_type_product(ts, (u32)n, el);
}

static const lc_type *type_from_json(lc_typespace *ts, const json_t *j, int depth)
{
    if (!json_is_object(j) || json_object_size(j) != 1 || depth > LC_VALUE_DEPTH_MAX)
        return NULL;
    const char *k = json_object_iter_key(json_object_iter((json_t *)j));
    const json_t *v = json_object_iter_value(json_object_iter((json_t *)j));
    if (!strcmp(k, "Ref")) {
        json_int_t r = json_integer_value(v);
        return json_is_integer(v) && r >= 0 && r < LC_TYPESPACE_TYPES_MAX ? lc_type_ref(ts, (u32)r)
                                                                          : NULL;
    }
    if (!strcmp(k, "Product"))
        return elems_from_json(ts, json_object_get(v, "elements"), false, depth);
    if (!strcmp(k, "Sum")) return elems_from_json(ts, json_object_get(v, "variants"), true, depth);
    if (!strcmp(k, "Array")) {
        const lc_type *e = type_from_json(ts, v, depth + 1);
        return e ? lc_type_array(ts, e) : NULL;
    }
    for (int i = 0; i < LC_T_KIND_COUNT; i++)
        if (PRIM_NAMES[i] && !strcmp(k, PRIM_NAMES[i])) return lc_type_prim((lc_type_kind)i);
    return NULL;
}

/* Fills s from the schema document (typespace + tables). 0 or -1 (message printed). */
static int schema_from_json(sub_schema *s, const json_t *doc)
{
    const json_t *types = json_object_get(json_object_get(doc, "typespace"), "types");
    const json_t *tables = json_object_get(doc, "tables");
    size_t nt = json_array_size(types), ntab = json_array_size(tables);
    if (!json_is_array(types) || !json_is_array(tables) || nt > LC_TYPESPACE_TYPES_MAX ||
        ntab > LC_TABLES_MAX) {
        sub_fail("schema has no typespace/tables");
        return -1;
    }
    s->from.types = nt ? lc_arena_alloc(&s->from.arena, nt * sizeof *s->from.types) : NULL;
    s->tables = ntab ? lc_calloc(ntab, sizeof *s->tables) : NULL;
    if ((nt && !s->from.types) || (ntab && !s->tables)) return -1;
    s->from.count = (u32)nt;
    for (size_t i = 0; i < nt; i++) {
        s->from.types[i] = type_from_json(&s->from, json_array_get(types, i), 0);
        if (!s->from.types[i]) {
            sub_fail("schema: type %zu is not a valid AlgebraicType", i);
            return -1;
        }
    }
    for (size_t i = 0; i < ntab; i++) {
        const json_t *t = json_array_get(tables, i);
        const char *name = json_string_value(json_object_get(t, "name"));
        json_int_t ref = json_integer_value(json_object_get(t, "product_type_ref"));
        lc_errbuf eb;
        if (!name || ref < 0 || (size_t)ref >= nt ||
            lc_type_resolve(&s->resolved, &s->from, s->from.types[ref], &s->tables[i].row, &eb)) {
            sub_fail("schema: table %zu has no usable row type", i);
            return -1;
        }
        s->tables[i].name = lc_alloc(strlen(name) + 1);
        if (!s->tables[i].name) return -1;
        memcpy(s->tables[i].name, name, strlen(name) + 1);
        s->ntables++;
    }
    return 0;
}

static void schema_deinit(sub_schema *s)
{
    for (u32 i = 0; i < s->ntables; i++) lc_free(s->tables[i].name);
    lc_free(s->tables);
    lc_typespace_deinit(&s->from);
    lc_typespace_deinit(&s->resolved);
}

static int schema_fetch(cli_ctx *x, const sub_opts *o, sub_schema *s)
{
    lc_typespace_init(&s->from);
    lc_typespace_init(&s->resolved);
    char path[512];
    snprintf(path, sizeof path, "/v1/database/%s/schema?version=9", o->db);
    cli_http_resp r;
    int st = cli_req(x, "GET", path, NULL, NULL, 0, &r);
    if (st != 200) {
        if (st > 0) cli_fail_http(x, "schema", &r);
        cli_http_resp_deinit(&r);
        return -1;
    }
    json_error_t je;
    json_t *doc = json_loadb((const char *)r.body.data, r.body.len, 0, &je);
    cli_http_resp_deinit(&r);
    if (!doc) {
        sub_fail("schema is not JSON: %s", je.text);
        return -1;
    }
    int rc = schema_from_json(s, doc);
    json_decref(doc);
    return rc;
}

/* ---- rendering ---- */

static const lc_type *row_type(const sub_schema *s, net_pbytes name)
{
    for (u32 i = 0; i < s->ntables; i++)
        if (strlen(s->tables[i].name) == name.n && !memcmp(s->tables[i].name, name.p, name.n))
            return s->tables[i].row;
    return NULL;
}

/* Appends the rows of l as a JSON array; each row is validated first. */
static int put_rows(lc_buf *out, const lc_type *t, const net_smsg_rows *l, bool *first)
{
    u32 n = net_smsg_rows_count(l);
    for (u32 i = 0; i < n; i++) {
        const u8 *row;
        size_t len;
        lc_rd r;
        if (net_smsg_rows_get(l, i, &row, &len)) return LC_EDECODE;
        lc_rd_init(&r, row, len);
        if (lc_bsatn_validate(t, &r, NULL) || lc_rd_left(&r)) return LC_EDECODE;
        if (!*first) lc_buf_put_u8(out, ',');
        *first = false;
        lc_rd_init(&r, row, len);
        int rc = lc_bsatn_to_json_typed(t, &r, out);
        if (rc) return rc;
    }
    return 0;
}

/* The tables of one message, grouped by name: {"t": {"deletes": [...], "inserts": [...]}}. */
static int render(const sub_schema *s, const net_smsg_table *tabs, u32 n, lc_buf *out)
{
    lc_buf_put_u8(out, '{');
    bool first_table = true;
    for (u32 i = 0; i < n; i++) {
        bool seen = false;
        for (u32 k = 0; k < i && !seen; k++)
            seen = tabs[k].name.n == tabs[i].name.n &&
                   !memcmp(tabs[k].name.p, tabs[i].name.p, tabs[i].name.n);
        if (seen) continue;
        const lc_type *t = row_type(s, tabs[i].name);
        if (!t) return LC_ENOTFOUND;
        if (!first_table) lc_buf_put_u8(out, ',');
        first_table = false;
        lc_json_put_string(out, tabs[i].name.p, tabs[i].name.n);
        for (int part = 0; part < 2; part++) {
            const char *head = part ? "],\"inserts\":[" : ":{\"deletes\":[";
            lc_buf_put(out, head, strlen(head));
            bool first = true;
            for (u32 k = i; k < n; k++) {
                if (tabs[k].name.n != tabs[i].name.n ||
                    memcmp(tabs[k].name.p, tabs[i].name.p, tabs[i].name.n))
                    continue;
                int rc = put_rows(out, t, part ? &tabs[k].inserts : &tabs[k].deletes, &first);
                if (rc) return rc;
            }
        }
        lc_buf_put(out, "]}", 2);
    }
    lc_buf_put(out, "}\n", 2);
    return out->err;
}

/* Flattens the tables of every query set of a TransactionUpdate (arena-allocated). */
static int update_tables(const net_smsg *m, lc_arena *a, net_smsg_table **out, u32 *n)
{
    u32 total = 0;
    for (u32 i = 0; i < m->nsets; i++) total += m->sets[i].ntables;
    *out = total ? lc_arena_alloc(a, total * sizeof **out) : NULL;
    if (total && !*out) return LC_ENOMEM;
    *n = 0;
    for (u32 i = 0; i < m->nsets; i++)
        for (u32 k = 0; k < m->sets[i].ntables; k++) (*out)[(*n)++] = m->sets[i].tables[k];
    return 0;
}

/* ---- the session ---- */

/* Handles one ServerMessage body. Returns 1 when it was an update to count, 0 for anything
 * else, -1 to stop with an error. */
static int on_message(const sub_opts *o, const sub_schema *s, const u8 *body, size_t len,
                      lc_arena *a)
{
    net_smsg m;
    lc_errbuf eb;
    lc_arena_reset(a);
    if (net_smsg_decode(body, len, a, &m, &eb)) {
        sub_fail("bad message from the server: %s", eb.msg);
        return -1;
    }
    if (m.tag == NET_SMSG_SUBSCRIPTION_ERROR) {
        sub_fail("%.*s", (int)m.err.n, (const char *)m.err.p);
        return -1;
    }
    const net_smsg_table *tabs = NULL;
    net_smsg_table *flat = NULL;
    u32 n = 0;
    if (m.tag == NET_SMSG_SUBSCRIBE_APPLIED) {
        if (!o->print_initial) return 0;
        tabs = m.tables;
        n = m.ntables;
    } else if (m.tag == NET_SMSG_TRANSACTION_UPDATE) {
        if (update_tables(&m, a, &flat, &n)) return -1;
        tabs = flat;
    } else {
        return 0;
    }
    lc_buf out;
    lc_buf_init(&out);
    int rc = render(s, tabs, n, &out);
    if (rc == 0) {
        fwrite(out.data, 1, out.len, stdout);
        fflush(stdout);
    } else {
        sub_fail("cannot render rows: %s", lc_strerror(rc));
    }
    lc_buf_deinit(&out);
    return rc ? -1 : m.tag == NET_SMSG_TRANSACTION_UPDATE;
}

static int run_session(const sub_opts *o, const sub_schema *s)
{
    net_wsc_opts wo = {.host = o->host, .port = o->port, .database = o->db, .token = o->token,
                       .compression = "Gzip", .confirmed = o->confirmed};
    net_wsc *c = NULL;
    lc_errbuf eb;
    if (net_wsc_connect(&wo, &c, NULL, &eb)) {
        sub_fail("%s", eb.msg);
        return 1;
    }
    int rc = net_wsc_subscribe(c, 0, 0, o->queries, o->nqueries);
    lc_arena a;
    lc_arena_init(&a, LC_WS_DECOMPRESSED_MAX);
    i64 deadline = o->timeout_s > 0 ? (i64)lc_now_ns() + (i64)(o->timeout_s * 1e9) : -1;
    long updates = 0;
    bool applied = false;
    while (rc == 0 && (o->updates_max < 0 || !applied || updates < o->updates_max)) {
        i64 left_ms = deadline < 0 ? -1 : (deadline - (i64)lc_now_ns()) / 1000000;
        if (deadline >= 0 && left_ms <= 0) break;
        const u8 *body;
        size_t len;
        int r = net_wsc_recv(c, (int)left_ms, &body, &len, &eb);
        if (r == LC_EAGAIN) break; /* timeout */
        if (r != 1) {
            sub_fail("connection lost: %s", r == LC_ECLOSED ? "closed by the server" : eb.msg);
            rc = 1;
            break;
        }
        applied = applied || (len && body[0] == NET_SMSG_SUBSCRIBE_APPLIED);
        int k = on_message(o, s, body, len, &a);
        if (k < 0) rc = 1;
        updates += k > 0;
    }
    lc_arena_deinit(&a);
    /* A polite close; if the peer is already gone there is nothing more to do. */
    int close_rc = net_wsc_send_close(c, NET_WS_CLOSE_NORMAL);
    if (close_rc == 0) close_rc = net_wsc_flush(c);
    LC_UNUSED(close_rc);
    net_wsc_close(c);
    return rc;
}

/* ---- arguments ---- */

static int usage(void)
{
    fprintf(stderr,
            "usage: lightcone subscribe NAME QUERY... [-n N] [-t SECONDS] [-s SERVER]\n"
            "                           [--confirmed true|false] [--no-initial]\n"
            "  prints the initial rows and then each update as JSON lines\n"
            "  -n N        exit after N updates (0: after the initial rows)\n"
            "  -t SECONDS  exit after this long\n"
            "  -s SERVER   a server nickname or http://HOST:PORT (default: the default server)\n");
    return 2;
}

static bool name_ok(const char *s)
{
    if (!*s || strlen(s) > 255) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

static int parse_args(int argc, char **argv, sub_opts *o)
{
    *o = (sub_opts){.updates_max = -1, .confirmed = -1, .print_initial = true};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-initial")) o->print_initial = false;
        else if (!strcmp(a, "--print-initial-update")) o->print_initial = true;
        else if (a[0] == '-' && a[1] && !v) return -1;
        else if (!strcmp(a, "-n") || !strcmp(a, "--num-updates")) o->updates_max = atol(v), i++;
        else if (!strcmp(a, "-t") || !strcmp(a, "--timeout")) o->timeout_s = atof(v), i++;
        else if (!strcmp(a, "-s") || !strcmp(a, "--server")) o->server = v, i++;
        else if (!strcmp(a, "--confirmed")) o->confirmed = !strcmp(v, "true"), i++;
        else if (a[0] == '-' && a[1]) return -1;
        else if (!o->db) o->db = a;
        else if (o->nqueries < SUB_QUERIES_MAX) o->queries[o->nqueries++] = a;
        else return -1;
    }
    if (!o->db || !o->nqueries || o->updates_max < -1) return -1;
    if (!name_ok(o->db)) {
        sub_fail("'%s' is not a database name", o->db);
        return -1;
    }
    return 0;
}

int cmd_subscribe(int argc, char **argv)
{
    sub_opts o;
    for (int i = 1; i < argc; i++)
        if (cli_is_help(argv[i])) return usage() - 2;
    if (parse_args(argc, argv, &o)) return usage();
    cli_ctx x;
    if (cli_ctx_open(&x, "subscribe", o.server, false)) return 1;
    char port[16];
    if (cli_url_split(x.url, o.host, sizeof o.host, port, sizeof port) || atoi(port) <= 0 ||
        atoi(port) > 65535) {
        sub_fail("bad server URL '%s'", x.url);
        cli_ctx_close(&x);
        return 1;
    }
    o.port = (u16)atoi(port);
    o.token = x.token;
    sub_schema s = {0};
    int rc = schema_fetch(&x, &o, &s) ? 1 : run_session(&o, &s);
    schema_deinit(&s);
    cli_ctx_close(&x);
    return rc;
}
