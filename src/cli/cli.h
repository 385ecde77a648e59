/*
 * cli/cli.h — helpers shared by the `lightcone` subcommands (one file per subcommand).
 *
 * Error convention: a subcommand prints exactly one line "lightcone <cmd>: <message>" to
 * stderr (cli_fail) and returns non-zero (1 = operation failed, 2 = usage error).
 */
#ifndef LC_CLI_CLI_H
#define LC_CLI_CLI_H

#include <stddef.h>

#include "base/types.h"

/* Prints "lightcone <cmd>: <message>\n" to stderr. */
void cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "HOST:PORT", ":PORT" or "PORT" ("localhost" -> 127.0.0.1). 0 or -1. */
int cli_parse_listen_addr(const char *s, char *host, size_t host_cap, u16 *out_port);
/* mkdir -p (mode 0700 for what it creates); 0 or -1 with errno. */
int cli_mkdir_p(const char *path);

int cmd_start(int argc, char **argv);
int cmd_generate(int argc, char **argv);

#endif
