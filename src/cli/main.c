/*
 * cli/main.c — the `lightcone` command: one binary for the server and its tools.
 *
 * Subcommands are dispatched from a table; each prints one clear line and exits non-zero on
 * error (usage errors exit 2). The server is `start` (cli/cmd_start.c); the client commands
 * (publish, call, sql, logs, describe, delete, list, server, login/logout/identity, build)
 * talk to it over HTTP through cli/client.c and keep tokens in the config file (config.c).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#define LIGHTCONE_VERSION "0.1.0-dev"

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("lightcone %s (SpacetimeDB 2.x wire and module ABI target)\n", LIGHTCONE_VERSION);
    return 0;
}

static int cmd_help(int argc, char **argv);

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"version", cmd_version, "print the version"},
    {"help", cmd_help, "list the subcommands"},
    {"start", cmd_start, "run the server (--listen-addr, --data-dir, --web-root)"},
    {"publish", cmd_publish, "publish or update a database from a module"},
    {"call", cmd_call, "call a reducer with JSON arguments"},
    {"sql", cmd_sql, "run a SQL statement (or an interactive prompt)"},
    {"logs", cmd_logs, "print (-f: follow) a database's module log"},
    {"describe", cmd_describe, "show a database's tables and reducers"},
    {"delete", cmd_delete, "delete a database (owner only)"},
    {"rename", cmd_rename, "give a database a new name (owner only)"},
    {"list", cmd_list, "list your databases on a server"},
    {"server", cmd_server, "manage server nicknames (add/list/ping/set-default/remove)"},
    {"login", cmd_login, "get or set your identity token for a server"},
    {"logout", cmd_logout, "forget your token for a server"},
    {"identity", cmd_identity, "print your identity for a server"},
    {"build", cmd_build, "build a C module folder into a .wasm"},
    {"generate", cmd_generate, "client bindings from a module (--lang typescript)"},
    {"subscribe", cmd_subscribe, "print a subscription's rows and updates as JSON lines"},
};

static int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("usage: lightcone <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        printf("  %-10s %s\n", commands[i].name, commands[i].summary);
    printf("\nrun 'lightcone <command> --help' for a command's options\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return cmd_help(argc, argv), 2;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "lightcone: unknown command '%s' (try 'lightcone help')\n", argv[1]);
    return 2;
}
