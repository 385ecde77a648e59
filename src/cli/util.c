/*
 * cli/util.c — small helpers shared by the subcommands (cli/cli.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "cli/cli.h"

void cli_fail(const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "lightcone %s: %s\n", cmd, msg);
}
