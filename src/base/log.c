/*
 * base/log.c — see log.h. One formatted line, one write(2), so lines from threads never mix.
 */
#include "base/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic int level = -1;

static int level_from_env(void)
{
    const char *s = getenv("LIGHTCONE_LOG");
    static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
    for (int i = 0; s && i < 5; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return LC_LOG_INFO;
}

void lc_log_set_level(enum lc_log_level l) { atomic_store(&level, (int)l); }

bool lc_log_enabled(enum lc_log_level l)
{
    int cur = atomic_load_explicit(&level, memory_order_relaxed);
    if (cur < 0) {
        cur = level_from_env();
        atomic_store(&level, cur);
    }
    return (int)l <= cur;
}

void lc_log(enum lc_log_level l, const char *subsystem, const char *fmt, ...)
{
    if (!lc_log_enabled(l)) return;
    static const char *const tags[] = {"ERROR", "WARN ", "INFO ", "DEBUG", "TRACE"};
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %s %s: ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000, tags[l], subsystem);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : LC_MIN((size_t)m, sizeof line - (size_t)n - 2));
    line[len++] = '\n';
    ssize_t w = write(2, line, len);
    (void)w;
}
