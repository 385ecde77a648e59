/*
 * tests/unit/test_routes.c — pure routing helpers of the server and CLI: the /v1/database
 * route parser (server_db_route_parse), the --web-root path sanitizer and content types
 * (server_static_path / server_static_content_type), the static handler against a real
 * directory (traversal, dotfiles, symlink escape, index.html), the header injector used for
 * minted identities, and the CLI's --listen-addr parser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "harness.h"
#include "server/dbadmin.h"
#include "server/routes.h"

static net_http_request req_of(int method, const char *path)
{
    net_http_request r;
    memset(&r, 0, sizeof r);
    r.method = method;
    r.path = path;
    r.path_len = strlen(path);
    r.keep_alive = true;
    return r;
}

static u8 kind_of(int method, const char *path)
{
    net_http_request r = req_of(method, path);
    server_db_route rt;
    bool ok = server_db_route_parse(&r, &rt);
    if (ok != (rt.kind != SERVER_DB_NONE)) return 255;
    return rt.kind;
}

TEST(routes_db_parse)
{
    CHECK_EQ(kind_of(HTTP_POST, "/v1/database/chat"), SERVER_DB_PUBLISH);
    CHECK_EQ(kind_of(HTTP_PUT, "/v1/database/chat"), SERVER_DB_PUBLISH);
    CHECK_EQ(kind_of(HTTP_GET, "/v1/database/chat"), SERVER_DB_DESCRIBE);
    CHECK_EQ(kind_of(HTTP_DELETE, "/v1/database/chat"), SERVER_DB_DELETE);
    CHECK_EQ(kind_of(HTTP_GET, "/v1/database/chat/schema"), SERVER_DB_SCHEMA);
    CHECK_EQ(kind_of(HTTP_GET, "/v1/database/chat/names"), SERVER_DB_NAMES);
    CHECK_EQ(kind_of(HTTP_GET, "/v1/database/chat/identity"), SERVER_DB_IDENTITY);
    CHECK_EQ(kind_of(HTTP_POST, "/v1/database/chat/sql"), SERVER_DB_SQL);
    CHECK_EQ(kind_of(HTTP_GET, "/v1/database/chat/sql"), SERVER_DB_NONE);
    CHECK_EQ(kind_of(HTTP_GET, "/v1/database/chat/logs"), SERVER_DB_LOGS);
    CHECK_EQ(kind_of(HTTP_GET, "/v1/database/chat/subscribe"), SERVER_DB_SUBSCRIBE);
    CHECK_EQ(kind_of(HTTP_GET, "/v1/database"), SERVER_DB_LIST);
    CHECK_EQ(kind_of(HTTP_GET, "/v1/database/"), SERVER_DB_LIST);
    CHECK_EQ(kind_of(HTTP_POST, "/v1/database"), SERVER_DB_PUBLISH); /* no name: an identity */
    CHECK_EQ(kind_of(HTTP_PUT, "/v1/database"), SERVER_DB_NONE);
    CHECK_EQ(kind_of(HTTP_POST, "/v1/database/chat/names"), SERVER_DB_NAMES_ADD);
    CHECK_EQ(kind_of(HTTP_PUT, "/v1/database/chat/names"), SERVER_DB_NAMES_SET);
    CHECK_EQ(kind_of(HTTP_DELETE, "/v1/database/chat/names"), SERVER_DB_NONE);
    CHECK_EQ(kind_of(HTTP_GET, "/v1/databases"), SERVER_DB_NONE);
    CHECK_EQ(kind_of(HTTP_GET, "/v1/database/ch at"), SERVER_DB_NONE);
    CHECK_EQ(kind_of(HTTP_GET, "/v1/database/../x"), SERVER_DB_NONE);
    CHECK_EQ(kind_of(HTTP_GET, "/v1/database//schema"), SERVER_DB_NONE);
    CHECK_EQ(kind_of(HTTP_GET, "/v1/database/chat/nope"), SERVER_DB_NONE);
    CHECK_EQ(kind_of(HTTP_GET, "/v1/database/chat/schema/x"), SERVER_DB_NONE);

    net_http_request r = req_of(HTTP_POST, "/v1/database/chat-2/call/send_message");
    server_db_route rt;
    CHECK(server_db_route_parse(&r, &rt));
    CHECK_EQ(rt.kind, SERVER_DB_CALL);
    CHECK_EQ(rt.name_len, 6);
    CHECK_MEM(rt.name, "chat-2", 6);
    CHECK_EQ(rt.fn_len, 12);
    CHECK_MEM(rt.fn, "send_message", 12);
    r = req_of(HTTP_GET, "/v1/identity/c200ab/databases");
    CHECK(server_db_route_parse(&r, &rt));
    CHECK_EQ(rt.kind, SERVER_DB_LIST);
    CHECK_EQ(rt.fn_len, 6);
    CHECK_MEM(rt.fn, "c200ab", 6);
    CHECK_EQ(kind_of(HTTP_GET, "/v1/identity/a/b/databases"), SERVER_DB_NONE);
    CHECK_EQ(kind_of(HTTP_POST, "/v1/identity/ab/databases"), SERVER_DB_NONE);
    CHECK_EQ(kind_of(HTTP_POST, "/v1/database/chat/call/"), SERVER_DB_NONE);
    CHECK_EQ(kind_of(HTTP_POST, "/v1/database/chat/call/a/b"), SERVER_DB_NONE);
    CHECK_EQ(kind_of(HTTP_GET, "/v1/database/chat/call/a"), SERVER_DB_NONE);
    char longname[80];
    memset(longname, 'a', sizeof longname);
    snprintf(longname, sizeof longname, "/v1/database/%065d", 1); /* 65 chars: too long */
    CHECK_EQ(kind_of(HTTP_GET, longname), SERVER_DB_NONE);
}

TEST(routes_static_path_sanitizer)
{
    char out[256];
    CHECK_EQ(server_static_path("/w", "/", 1, out, sizeof out), 0);
    CHECK_STR(out, "/w/index.html");
    CHECK_EQ(server_static_path("/w/", "/a/b.js", 7, out, sizeof out), 0);
    CHECK_STR(out, "/w/a/b.js");
    CHECK_EQ(server_static_path("/w", "/docs/", 6, out, sizeof out), 0);
    CHECK_STR(out, "/w/docs/index.html");
    CHECK_EQ(server_static_path("/w", "//a//b", 6, out, sizeof out), 0);
    CHECK_STR(out, "/w/a/b");
    static const char *bad[] = {"/..", "/../etc/passwd", "/a/../../b", "/./a", "/.git/config",
                                "/a/.env", "a/b", "", "/a\\..\\b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ(server_static_path("/w", bad[i], strlen(bad[i]), out, sizeof out), -1);
    CHECK_EQ(server_static_path("/w", "/a\0b", 4, out, sizeof out), -1);
    char small[8];
    CHECK_EQ(server_static_path("/w", "/abcdefgh", 9, small, sizeof small), -1);
    CHECK_STR(server_static_content_type("/w/index.html"), "text/html; charset=utf-8");
    CHECK_STR(server_static_content_type("/w/app.js"), "text/javascript; charset=utf-8");
    CHECK_STR(server_static_content_type("/w/a.css"), "text/css; charset=utf-8");
    CHECK_STR(server_static_content_type("/w/a.svg"), "image/svg+xml");
    CHECK_STR(server_static_content_type("/w/a.png"), "image/png");
    CHECK_STR(server_static_content_type("/w/a.json"), "application/json");
    CHECK_STR(server_static_content_type("/w/m.wasm"), "application/wasm");
    CHECK_STR(server_static_content_type("/w/a.js.map"), "application/json");
    CHECK_STR(server_static_content_type("/w.d/noext"), "application/octet-stream");
}

static int serve_status(const char *root, const char *path, lc_buf *out)
{
    net_http_request r = req_of(HTTP_GET, path);
    lc_buf_reset(out);
    server_static_serve(root, &r, out);
    lc_buf_put_u8(out, 0);
    return atoi((const char *)out->data + 9);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) { fputs(text, f); fclose(f); }
}

TEST(routes_static_serve_dir)
{
    char dir[] = "/tmp/lc-test-web-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char root[128], p[256];
    snprintf(root, sizeof root, "%s/root", dir);
    CHECK_OK(cli_mkdir_p(root));
    snprintf(p, sizeof p, "%s/index.html", root);
    write_file(p, "<p>home</p>");
    snprintf(p, sizeof p, "%s/sub", root);
    CHECK_OK(cli_mkdir_p(p));
    snprintf(p, sizeof p, "%s/sub/index.html", root);
    write_file(p, "<p>sub</p>");
    snprintf(p, sizeof p, "%s/secret.txt", dir);
    write_file(p, "secret");
    char link[256];
    snprintf(link, sizeof link, "%s/leak.txt", root);
    CHECK_EQ(symlink(p, link), 0);
    lc_buf out;
    lc_buf_init(&out);
    CHECK_EQ(serve_status(root, "/", &out), 200);
    CHECK(strstr((char *)out.data, "<p>home</p>") != NULL);
    CHECK(strstr((char *)out.data, "content-type: text/html") != NULL);
    CHECK_EQ(serve_status(root, "/sub", &out), 200);
    CHECK(strstr((char *)out.data, "<p>sub</p>") != NULL);
    CHECK_EQ(serve_status(root, "/sub/", &out), 200);
    CHECK_EQ(serve_status(root, "/../secret.txt", &out), 404);
    CHECK_EQ(serve_status(root, "/leak.txt", &out), 404); /* symlink out of the root */
    CHECK_EQ(serve_status(root, "/missing.js", &out), 404);
    lc_buf_deinit(&out);
    unlink(link);
    unlink(p);
    snprintf(p, sizeof p, "%s/sub/index.html", root);
    unlink(p);
    snprintf(p, sizeof p, "%s/sub", root);
    rmdir(p);
    snprintf(p, sizeof p, "%s/index.html", root);
    unlink(p);
    rmdir(root);
    rmdir(dir);
}

TEST(routes_add_headers_and_listen_addr)
{
    lc_buf b;
    lc_buf_init(&b);
    net_http_write_response(&b, 200, "text/plain", "ok", 2, true, NULL, 0);
    net_http_header h = {"x-a", 3, "v\r\nx-evil: 1", 12};
    dbadmin_add_headers(&b, &h, 1);
    lc_buf_put_u8(&b, 0);
    const char *s = (const char *)b.data;
    CHECK(strncmp(s, "HTTP/1.1 200 OK\r\nx-a: v  x-evil: 1\r\n", 36) == 0);
    CHECK(strstr(s, "\r\n\r\nok") != NULL);
    lc_buf_deinit(&b);

    char host[64];
    u16 port = 1;
    CHECK_EQ(cli_parse_listen_addr("127.0.0.1:3000", host, sizeof host, &port), 0);
    CHECK_STR(host, "127.0.0.1");
    CHECK_EQ(port, 3000);
    CHECK_EQ(cli_parse_listen_addr("localhost:0", host, sizeof host, &port), 0);
    CHECK_STR(host, "127.0.0.1");
    CHECK_EQ(port, 0);
    CHECK_EQ(cli_parse_listen_addr("0.0.0.0:80", host, sizeof host, &port), 0);
    CHECK_STR(host, "0.0.0.0");
    CHECK_EQ(cli_parse_listen_addr("8080", host, sizeof host, &port), 0);
    CHECK_EQ(port, 8080);
    CHECK_EQ(cli_parse_listen_addr("h:70000", host, sizeof host, &port), -1);
    CHECK_EQ(cli_parse_listen_addr("h:", host, sizeof host, &port), -1);
    CHECK_EQ(cli_parse_listen_addr("h:12x", host, sizeof host, &port), -1);
}
