/*
 * cli/cli.h — helpers shared by the `lightcone` subcommands (one file per subcommand).
 *
 * Error convention: a subcommand prints exactly one line "lightcone <cmd>: <message>" to
 * stderr (cli_fail) and returns non-zero (1 = operation failed, 2 = usage error).
 *
 * Client commands share one shape: cli_ctx_open loads the config (cli/config.c), resolves
 * the server (-s nickname or URL, else the default), and finds (or with need_token, mints
 * and saves) the token for that server; cli_req does one HTTP request (cli/http_client.c).
 */
#ifndef LC_CLI_CLI_H
#define LC_CLI_CLI_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/types.h"

/* Prints "lightcone <cmd>: <message>\n" to stderr. */
void cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "HOST:PORT", ":PORT" or "PORT" ("localhost" -> 127.0.0.1). 0 or -1. */
int cli_parse_listen_addr(const char *s, char *host, size_t host_cap, u16 *out_port);
/* mkdir -p (mode 0700 for what it creates); 0 or -1 with errno. */
int cli_mkdir_p(const char *path);
/* True if argv[i] is -h/--help. */
bool cli_is_help(const char *a);

/* ---- HTTP client (http_client.c) ---- */
typedef struct cli_http_resp {
    int status;
    lc_buf body;            /* NUL-terminated (not counted in len) */
    char minted_token[2048]; /* spacetime-identity-token header, if any */
} cli_http_resp;
/* Receives body bytes as they arrive (streaming); non-zero stops. */
typedef int (*cli_body_fn)(void *user, const u8 *p, size_t n);
/* http://HOST[:PORT] -> host, port strings. 0 or -1. */
int cli_url_split(const char *url, char *host, size_t hcap, char *port, size_t pcap);
/* One request; resp is always initialised (deinit it). sink NULL: body collected. */
int cli_http(const char *url, const char *method, const char *path, const char *token,
             const char *ctype, const void *body, size_t body_len, cli_body_fn sink,
             void *user, cli_http_resp *resp, lc_errbuf *eb) LC_MUST_USE;
void cli_http_resp_deinit(cli_http_resp *resp);

/* ---- config file (config.c) ---- */
int cli_config_load(json_t **out, lc_errbuf *eb) LC_MUST_USE;
int cli_config_save(json_t *c, lc_errbuf *eb) LC_MUST_USE;
int cli_server_url(json_t *c, const char *s, char *out, size_t cap, lc_errbuf *eb) LC_MUST_USE;
const char *cli_token_get(json_t *c, const char *url, const char **out_identity);
void cli_token_set(json_t *c, const char *url, const char *token, const char *identity);
const char *cli_token_ensure(json_t *c, const char *url, bool create, lc_errbuf *eb, int *rc);

/* ---- client command context (client.c) ---- */
typedef struct cli_ctx {
    const char *cmd;
    json_t *cfg;
    char url[512];
    const char *token; /* borrowed from cfg; NULL: anonymous */
} cli_ctx;
/* Returns 0, or prints the error and returns 1. */
int cli_ctx_open(cli_ctx *x, const char *cmd, const char *server, bool need_token);
void cli_ctx_close(cli_ctx *x);
/* One request with the context's token. Returns the HTTP status, or -1 after printing a
 * transport error. */
int cli_req(cli_ctx *x, const char *method, const char *path, const char *ctype,
            const void *body, size_t len, cli_http_resp *r);
/* Prints "lightcone <cmd>: <what>: HTTP <status>: <first line of body>" and returns 1. */
int cli_fail_http(cli_ctx *x, const char *what, const cli_http_resp *r);
/* Builds a wasm from a module folder with sdk/c-module/build-module.sh ($LIGHTCONE_SDK);
 * out gets the path of a file in a fresh temporary directory (cli_build_cleanup removes it). */
int cli_build_module(const char *cmd, const char *folder, char *out, size_t cap);
void cli_build_cleanup(char *path);
/* Reads a whole file (bounded); NULL on failure. */
u8 *cli_read_file(const char *path, size_t max, size_t *out_len);

int cmd_start(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_call(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_describe(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_rename(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_server(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_identity(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_subscribe(int argc, char **argv);

#endif
