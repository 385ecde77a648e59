/*
 * tests/unit/test_server_names.c — database names over real HTTP (server/dbnames.h,
 * spec-client-protocol.md §3): POST /v1/database without a name (a database known by its
 * identity), POST and PUT .../names (owner only, conflicts, bad names), a renamed database's
 * old name freed, names and identity-keyed databases surviving a restart, delete forgetting
 * the names, and a damaged names file stopping the server with a clear error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "harness.h"
#include "host/host_test_util.h"
#include "net/token.h"
#include "net_test_util.h"
#include "server/server.h"

static char g_out[16384];

static int req(u16 port, const char *method, const char *path, const char *tok,
               const char *body)
{
    return net_test_request(port, method, path, tok, body, body ? strlen(body) : 0, g_out,
                            sizeof g_out);
}

static const char *body_of(void)
{
    const char *b = strstr(g_out, "\r\n\r\n");
    return b ? b + 4 : "";
}

/* The value of response header h (first line match) into out. */
static bool header(const char *h, char *out, size_t cap)
{
    const char *p = strstr(g_out, h);
    if (!p) return false;
    p += strlen(h);
    snprintf(out, cap, "%.*s", (int)strcspn(p, "\r\n"), p);
    return true;
}

static int publish(u16 port, const char *path, const char *tok, const char *module)
{
    size_t n = 0;
    u8 *wasm = host_test_wasm(module, &n);
    if (!wasm) return -1;
    int st = net_test_request(port, "POST", path, tok, wasm, n, g_out, sizeof g_out);
    lc_free(wasm);
    return st;
}

typedef struct fixture {
    char dir[64], data[96];
    net_keys *keys;
    server *s;
    u16 port;
} fixture;

static bool fx_start(fixture *f)
{
    server_config cfg = {.keys = f->keys, .data_dir = f->data, .port = f->port};
    lc_errbuf eb;
    if (server_start(&cfg, &f->s, &eb)) return false;
    f->port = server_port(f->s);
    return true;
}

static bool fx_open(fixture *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/lc-test-names-XXXXXX");
    if (!mkdtemp(f->dir)) return false;
    snprintf(f->data, sizeof f->data, "%s/data", f->dir);
    char kd[128];
    snprintf(kd, sizeof kd, "%s/keys", f->dir);
    lc_errbuf eb;
    return net_keys_open_dir(kd, &f->keys, &eb) == 0 && fx_start(f);
}

static void fx_close(fixture *f)
{
    if (f->s) server_stop(f->s);
    net_keys_destroy(f->keys);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd)) f->s = NULL;
}

TEST(server_names_unnamed_publish_and_names)
{
    static fixture f;
    CHECK(fx_open(&f));
    u16 port = f.port;
    char tok[4096], other[4096], id[80], path[256];
    /* POST /v1/database: a database known by a fresh identity, domain null */
    CHECK_EQ(publish(port, "/v1/database", NULL, "quickstart-chat"), 200);
    CHECK(header("spacetime-identity-token: ", tok, sizeof tok));
    const char *b = body_of();
    CHECK(strstr(b, "\"domain\":null") != NULL);
    const char *di = strstr(b, "\"database_identity\":\"");
    CHECK(di != NULL);
    snprintf(id, sizeof id, "%.64s", di + strlen("\"database_identity\":\""));
    CHECK_EQ(strlen(id), 64);
    CHECK(strstr(b, "\"op\":\"created\"") != NULL);
    snprintf(path, sizeof path, "/v1/database/%s/call/send_message", id);
    CHECK_EQ(req(port, "POST", path, tok, "[\"hello\"]"), 200);
    snprintf(path, sizeof path, "/v1/database/%s/names", id);
    CHECK_EQ(req(port, "GET", path, tok, NULL), 200);
    CHECK_STR(body_of(), "{\"names\":[]}");
    snprintf(path, sizeof path, "/v1/database/%s/identity", id);
    CHECK_EQ(req(port, "GET", path, NULL, NULL), 200);
    CHECK_STR(body_of(), id);
    /* a second unnamed publish is another database */
    CHECK_EQ(publish(port, "/v1/database", tok, "quickstart-chat"), 200);
    CHECK(strstr(body_of(), id) == NULL);

    /* POST names: owner only, valid names, not another database's */
    snprintf(path, sizeof path, "/v1/database/%s/names", id);
    CHECK_EQ(req(port, "POST", path, tok, "lobby"), 200);
    CHECK(strstr(body_of(), "{\"Success\":{\"domain\":\"lobby\",\"database_identity\":\"") != NULL);
    CHECK_EQ(req(port, "POST", path, NULL, "stolen"), 401); /* anonymous: a fresh identity */
    CHECK(strstr(body_of(), "PermissionDenied") != NULL);
    CHECK_EQ(req(port, "POST", path, tok, "bad name!"), 400);
    CHECK_EQ(req(port, "POST", path, tok, id), 400); /* looks like an identity */
    CHECK_EQ(publish(port, "/v1/database/taken", tok, "quickstart-chat"), 200);
    CHECK_EQ(req(port, "POST", path, tok, "taken"), 401);
    CHECK_EQ(req(port, "GET", "/v1/database/lobby/names", NULL, NULL), 200);
    CHECK_STR(body_of(), "{\"names\":[\"lobby\"]}");
    CHECK_EQ(req(port, "POST", "/v1/database/lobby/sql", tok, "SELECT text FROM message"), 200);
    CHECK(strstr(body_of(), "hello") != NULL);

    /* PUT names on a named database: the old name stops resolving and becomes free */
    CHECK_EQ(publish(port, "/v1/database/chat", tok, "quickstart-chat"), 200);
    CHECK_EQ(req(port, "POST", "/v1/database/chat/call/send_message", tok, "[\"in chat\"]"), 200);
    CHECK_EQ(req(port, "PUT", "/v1/database/chat/names", tok, "[\"chat2\",\"chat3\"]"), 200);
    CHECK_STR(body_of(), "\"Success\"");
    CHECK_EQ(req(port, "GET", "/v1/database/chat", NULL, NULL), 404);
    CHECK_EQ(req(port, "GET", "/v1/database/chat3/names", NULL, NULL), 200);
    CHECK_STR(body_of(), "{\"names\":[\"chat2\",\"chat3\"]}");
    CHECK_EQ(req(port, "POST", "/v1/database/chat2/sql", tok, "SELECT text FROM message"), 200);
    CHECK(strstr(body_of(), "in chat") != NULL);
    CHECK_EQ(req(port, "GET", "/v1/database/chat2", NULL, NULL), 200);
    CHECK(strstr(body_of(), "\"names\":[\"chat2\",\"chat3\"]") != NULL);
    CHECK_EQ(req(port, "PUT", "/v1/database/chat2/names", tok, "[\"taken\"]"), 400);
    CHECK(strstr(body_of(), "already is in use") != NULL);
    CHECK_EQ(req(port, "PUT", "/v1/database/chat2/names", tok, "{\"not\":\"an array\"}"), 400);
    CHECK_EQ(req(port, "PUT", "/v1/database/chat2/names", tok, "[\"a b\"]"), 400);
    CHECK_EQ(req(port, "PUT", "/v1/database/chat2/names", NULL, "[\"mine\"]"), 401);
    CHECK(strstr(body_of(), "NotYourDatabase") != NULL);
    /* the freed name can be published again: a new database beside the renamed one */
    CHECK_EQ(publish(port, "/v1/database/chat", NULL, "quickstart-chat"), 200);
    CHECK(header("spacetime-identity-token: ", other, sizeof other));
    CHECK(strstr(body_of(), "\"op\":\"created\"") != NULL);
    CHECK_EQ(req(port, "POST", "/v1/database/chat/sql", other, "SELECT text FROM message"), 200);
    CHECK(strstr(body_of(), "in chat") == NULL);

    /* a restart keeps every name and the identity-keyed database */
    server_stop(f.s);
    f.s = NULL;
    CHECK(fx_start(&f));
    CHECK_EQ(req(port, "POST", "/v1/database/lobby/sql", tok, "SELECT text FROM message"), 200);
    CHECK(strstr(body_of(), "hello") != NULL);
    snprintf(path, sizeof path, "/v1/database/%s/sql", id);
    CHECK_EQ(req(port, "POST", path, tok, "SELECT text FROM message"), 200);
    CHECK(strstr(body_of(), "hello") != NULL);
    CHECK_EQ(req(port, "POST", "/v1/database/chat2/sql", tok, "SELECT text FROM message"), 200);
    CHECK(strstr(body_of(), "in chat") != NULL);
    CHECK_EQ(req(port, "POST", "/v1/database/chat/sql", other, "SELECT text FROM message"), 200);
    CHECK(strstr(body_of(), "in chat") == NULL);
    CHECK_EQ(req(port, "GET", "/v1/database", NULL, NULL), 200);
    CHECK(strstr(body_of(), "\"name\":\"chat2\"") != NULL);
    CHECK(strstr(body_of(), "\"name\":\"lobby\"") != NULL);

    /* delete forgets the names: chat3 is free again */
    CHECK_EQ(req(port, "DELETE", "/v1/database/chat3", tok, NULL), 200);
    CHECK_EQ(req(port, "GET", "/v1/database/chat2", NULL, NULL), 404);
    CHECK_EQ(req(port, "DELETE", "/v1/database/chat3", tok, NULL), 404);
    fx_close(&f);
}

/* A damaged names file is refused at start with its line, not silently ignored. */
TEST(server_names_damaged_file_refused)
{
    static fixture f;
    CHECK(fx_open(&f));
    server_stop(f.s);
    f.s = NULL;
    char p[160];
    snprintf(p, sizeof p, "%s/db-names.txt", f.data);
    FILE *fp = fopen(p, "w");
    CHECK(fp != NULL);
    fputs("chat chat2\nbad/key x\n", fp);
    fclose(fp);
    server_config cfg = {.keys = f.keys, .data_dir = f.data};
    lc_errbuf eb;
    server *s = NULL;
    CHECK(server_start(&cfg, &s, &eb) != 0);
    CHECK(strstr(eb.msg, "line 2") != NULL);
    fx_close(&f);
}
