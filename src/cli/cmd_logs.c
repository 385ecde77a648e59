/*
 * cli/cmd_logs.c — `lightcone logs NAME [-n N] [-f] [--json] [-s SERVER]`: GET
 * /v1/database/NAME/logs?num_lines=N[&follow=true] (owner only) and print each record as
 *     2026-11-22T06:52:31.245587Z  INFO send_message: chat.c:33: hello
 * (--json prints the server's JSON lines unchanged). With -f the response is streamed: each
 * complete line is printed and flushed as it arrives, until the server or the user (Ctrl-C)
 * ends it. Partial lines are buffered between chunks (bounded by LOGS_LINE_MAX).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

#define LOGS_LINE_MAX (1u << 20)

typedef struct logs_out {
    lc_buf line;
    bool as_json;
} logs_out;

static void print_record(const char *p, size_t n, bool as_json)
{
    if (as_json) { printf("%.*s\n", (int)n, p); return; }
    json_error_t je;
    json_t *o = json_loadb(p, n, 0, &je);
    if (!json_is_object(o)) { printf("%.*s\n", (int)n, p); json_decref(o); return; }
    long long us = json_integer_value(json_object_get(o, "ts"));
    time_t s = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char ts[40];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    const char *lvl = json_string_value(json_object_get(o, "level"));
    const char *file = json_string_value(json_object_get(o, "filename"));
    const char *msg = json_string_value(json_object_get(o, "message"));
    json_t *ln = json_object_get(o, "line_number");
    char up[8] = "";
    for (int i = 0; lvl && lvl[i] && i < 7; i++)
        up[i] = (char)(lvl[i] >= 'a' ? lvl[i] - 32 : lvl[i]);
    printf("%s.%06lldZ %5s: ", ts, us % 1000000, up);
    if (file && strcmp(file, "__spacetimedb__")) {
        if (json_is_integer(ln)) printf("%s:%lld: ", file, (long long)json_integer_value(ln));
        else printf("%s: ", file);
    }
    printf("%s\n", msg ? msg : "");
    json_decref(o);
}

static int logs_sink(void *user, const u8 *p, size_t n)
{
    logs_out *o = user;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\n') {
            if (o->line.len < LOGS_LINE_MAX) lc_buf_put_u8(&o->line, p[i]);
            continue;
        }
        print_record((const char *)o->line.data, o->line.len, o->as_json);
        lc_buf_reset(&o->line);
    }
    fflush(stdout);
    return 0;
}

int cmd_logs(int argc, char **argv)
{
    const char *server = NULL, *db = NULL;
    long n = -1;
    bool follow = false;
    logs_out o = {.as_json = false};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            printf("usage: lightcone logs NAME [-n N] [-f] [--json] [-s SERVER]\n"
                   "  -n N  the last N lines (default all; 10 with -f)  -f  keep following\n");
            return 0;
        }
        if ((!strcmp(a, "-s") || !strcmp(a, "--server")) && i + 1 < argc) server = argv[++i];
        else if ((!strcmp(a, "-n") || !strcmp(a, "--num-lines")) && i + 1 < argc) {
            char *end;
            n = strtol(argv[++i], &end, 10);
            if (*end || n < 0) { cli_fail("logs", "bad -n '%s'", argv[i]); return 2; }
        } else if (!strcmp(a, "-f") || !strcmp(a, "--follow")) follow = true;
        else if (!strcmp(a, "--json") || !strcmp(a, "--format=json")) o.as_json = true;
        else if (!db && a[0] != '-') db = a;
        else { cli_fail("logs", "unexpected argument '%s' (see --help)", a); return 2; }
    }
    if (!db) { cli_fail("logs", "missing database NAME (see --help)"); return 2; }
    cli_ctx x;
    if (cli_ctx_open(&x, "logs", server, false)) return 1;
    char path[256], num[32] = "";
    if (n >= 0) snprintf(num, sizeof num, "num_lines=%ld&", n);
    snprintf(path, sizeof path, "/v1/database/%s/logs?%sfollow=%s", db, num,
             follow ? "true" : "false");
    lc_buf_init(&o.line);
    cli_http_resp r;
    lc_errbuf eb;
    int rc = cli_http(x.url, "GET", path, x.token, NULL, NULL, 0, logs_sink, &o, &r, &eb);
    if (rc) rc = (cli_fail("logs", "%s", eb.msg), 1);
    else if (r.status != 200) rc = cli_fail_http(&x, "cannot read the logs", &r);
    cli_http_resp_deinit(&r);
    lc_buf_deinit(&o.line);
    cli_ctx_close(&x);
    return rc;
}
