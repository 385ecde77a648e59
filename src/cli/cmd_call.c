/*
 * cli/cmd_call.c — `lightcone call NAME REDUCER [ARG...] [-s SERVER]`: POST
 * /v1/database/NAME/call/REDUCER with the arguments as a JSON array. Each ARG is a JSON
 * value ('5', '"text"', '{"some":1}'); an ARG that is not valid JSON is sent as a JSON string,
 * so `lightcone call chat send_message hello` works. A reducer error (HTTP 530) prints the
 * module's message and exits 1.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "value/value.h"

static void call_args(lc_buf *b, char **args, int n)
{
    lc_buf_put_u8(b, '[');
    for (int i = 0; i < n; i++) {
        if (i) lc_buf_put_u8(b, ',');
        json_error_t je;
        json_t *v = json_loads(args[i], JSON_DECODE_ANY, &je);
        if (v) lc_buf_put(b, args[i], strlen(args[i]));
        else lc_json_put_string(b, args[i], strlen(args[i]));
        json_decref(v);
    }
    lc_buf_put_u8(b, ']');
}

int cmd_call(int argc, char **argv)
{
    const char *server = NULL, *pos[2] = {NULL, NULL};
    char *args[256];
    int nargs = 0, npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            printf("usage: lightcone call NAME REDUCER [ARG...] [-s SERVER]\n"
                   "  each ARG is a JSON value; non-JSON text is sent as a string\n");
            return 0;
        }
        if ((!strcmp(a, "-s") || !strcmp(a, "--server")) && i + 1 < argc) server = argv[++i];
        else if (npos < 2) pos[npos++] = a;
        else if (nargs < 256) args[nargs++] = argv[i];
        else { cli_fail("call", "too many arguments"); return 2; }
    }
    if (npos < 2) { cli_fail("call", "need NAME and REDUCER (see --help)"); return 2; }
    cli_ctx x;
    if (cli_ctx_open(&x, "call", server, true)) return 1;
    lc_buf body;
    lc_buf_init(&body);
    call_args(&body, args, nargs);
    char path[1200];
    snprintf(path, sizeof path, "/v1/database/%s/call/%s", pos[0], pos[1]);
    cli_http_resp r;
    int st = cli_req(&x, "POST", path, "application/json", body.data, body.len, &r);
    int rc = st == 200 ? 0 : st < 0 ? 1 : cli_fail_http(&x, "call failed", &r);
    if (!rc && r.body.len) /* a procedure's return value (a reducer answers no body) */
        printf("%.*s\n", (int)r.body.len, (const char *)r.body.data);
    cli_http_resp_deinit(&r);
    lc_buf_deinit(&body);
    cli_ctx_close(&x);
    return rc;
}
