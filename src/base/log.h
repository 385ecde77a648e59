/*
 * base/log.h — structured log lines to stderr.
 *
 * Format (one line per event, greppable, stable):
 *   2026-11-22T03:56:00.123456Z INFO  clog: opened segment 00000000000000000000.stdb.log
 * The level threshold comes from lc_log_set_level() or the LIGHTCONE_LOG environment variable
 * (error|warn|info|debug|trace), read on first use. Thread-safe: each line is one write(2).
 */
#ifndef LC_BASE_LOG_H
#define LC_BASE_LOG_H

#include "base/types.h"

enum lc_log_level { LC_LOG_ERROR, LC_LOG_WARN, LC_LOG_INFO, LC_LOG_DEBUG, LC_LOG_TRACE };

void lc_log_set_level(enum lc_log_level level);
bool lc_log_enabled(enum lc_log_level level);
void lc_log(enum lc_log_level level, const char *subsystem, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LC_LOG_E(sub, ...) lc_log(LC_LOG_ERROR, sub, __VA_ARGS__)
#define LC_LOG_W(sub, ...) lc_log(LC_LOG_WARN, sub, __VA_ARGS__)
#define LC_LOG_I(sub, ...) lc_log(LC_LOG_INFO, sub, __VA_ARGS__)
#define LC_LOG_D(sub, ...) \
    (lc_log_enabled(LC_LOG_DEBUG) ? lc_log(LC_LOG_DEBUG, sub, __VA_ARGS__) : (void)0)

#endif
