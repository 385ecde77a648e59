/*
 * cli/cmd_server.c — `lightcone server add NAME URL [--default] | list | ping [NAME|URL] |
 * set-default NAME | remove NAME`: the server nicknames of the config file (cli/config.c).
 * ping is GET /v1/ping (exit 0 when the server answers 200).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static int server_usage(int rc)
{
    printf("usage: lightcone server add NAME URL [--default]\n"
           "       lightcone server list\n"
           "       lightcone server ping [NAME|URL]\n"
           "       lightcone server set-default NAME\n"
           "       lightcone server remove NAME\n");
    return rc;
}

static int server_ping(json_t *c, const char *which)
{
    char url[512];
    lc_errbuf eb;
    if (cli_server_url(c, which, url, sizeof url, &eb))
        return (cli_fail("server", "%s", eb.msg), 1);
    cli_http_resp r;
    int rc = cli_http(url, "GET", "/v1/ping", NULL, NULL, NULL, 0, NULL, NULL, &r, &eb);
    if (rc) cli_fail("server", "%s", eb.msg);
    else if (r.status != 200) cli_fail("server", "%s answered HTTP %d to /v1/ping", url, r.status);
    else printf("Server is online: %s\n", url);
    int out = rc || r.status != 200;
    cli_http_resp_deinit(&r);
    return out;
}

static int server_edit(json_t *c, int argc, char **argv)
{
    const char *sub = argv[1];
    json_t *servers = json_object_get(c, "servers");
    if (!strcmp(sub, "add") && argc >= 4) {
        if (strncmp(argv[3], "http://", 7) != 0)
            return (cli_fail("server", "URL must start with http:// ('%s')", argv[3]), 2);
        json_object_set_new(servers, argv[2], json_string(argv[3]));
        if (argc >= 5 && !strcmp(argv[4], "--default"))
            json_object_set_new(c, "default_server", json_string(argv[2]));
    } else if (!strcmp(sub, "set-default") && argc >= 3) {
        if (!json_object_get(servers, argv[2]))
            return (cli_fail("server", "no server named '%s'", argv[2]), 1);
        json_object_set_new(c, "default_server", json_string(argv[2]));
    } else if (!strcmp(sub, "remove") && argc >= 3) {
        if (json_object_del(servers, argv[2]))
            return (cli_fail("server", "no server named '%s'", argv[2]), 1);
    } else {
        return server_usage(2);
    }
    lc_errbuf eb;
    if (cli_config_save(c, &eb)) return (cli_fail("server", "%s", eb.msg), 1);
    return 0;
}

int cmd_server(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) return server_usage(argc < 2 ? 2 : 0);
    json_t *c;
    lc_errbuf eb;
    if (cli_config_load(&c, &eb)) return (cli_fail("server", "%s", eb.msg), 1);
    int rc;
    if (!strcmp(argv[1], "list")) {
        const char *def = json_string_value(json_object_get(c, "default_server"));
        const char *k;
        json_t *v;
        printf("DEFAULT  NAME             URL\n");
        json_object_foreach(json_object_get(c, "servers"), k, v)
            printf("%-8s %-16s %s\n", def && !strcmp(def, k) ? "***" : "", k, json_string_value(v));
        rc = 0;
    } else if (!strcmp(argv[1], "ping")) {
        rc = server_ping(c, argc >= 3 ? argv[2] : NULL);
    } else {
        rc = server_edit(c, argc, argv);
    }
    json_decref(c);
    return rc;
}
