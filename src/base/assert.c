/*
 * base/assert.c — the failure path of LC_ASSERT: report and abort (never returns).
 */
#include "base/assert.h"

#include <stdio.h>
#include <stdlib.h>

_Noreturn void lc_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "lightcone: assertion failed: %s (%s:%d)\n", expr, file, line);
    fflush(stderr);
    abort();
}
