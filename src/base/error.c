/*
 * base/error.c — names and messages for the LC_E* list in error.h.
 */
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const err_names[] = {
#define LC_X_NAME(name, msg) "LC_E" #name,
    LC_ERROR_LIST(LC_X_NAME)
#undef LC_X_NAME
};

static const char *const err_msgs[] = {
#define LC_X_MSG(name, msg) msg,
    LC_ERROR_LIST(LC_X_MSG)
#undef LC_X_MSG
};

const char *lc_err_name(int err)
{
    if (err > 0 || -err >= (int)LC_E_COUNT_POS) return "LC_E?";
    return err_names[-err];
}

const char *lc_strerror(int err)
{
    if (err > 0 || -err >= (int)LC_E_COUNT_POS) return "unknown error";
    return err_msgs[-err];
}

int lc_errf(lc_errbuf *eb, int err, const char *fmt, ...)
{
    if (eb) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(eb->msg, sizeof eb->msg, fmt, ap);
        va_end(ap);
    }
    return err;
}
