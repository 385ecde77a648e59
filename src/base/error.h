/*
 * base/error.h — the one list of error codes.
 *
 * Functions that can fail return int: 0 on success or a negative LC_E* code. One X-macro list
 * generates the enum, lc_err_name() ("LC_ENOMEM") and lc_strerror() (a static, human message),
 * so adding a code is one line. Trap codes are a contiguous sub-range (LC_ETRAP_FIRST ..
 * LC_ETRAP_LAST) whose messages need no allocation, so the interpreter can report them from
 * any state.
 *
 * Richer context (a file offset, a column name) travels in an lc_errbuf the caller passes in,
 * never in a global.
 */
#ifndef LC_BASE_ERROR_H
#define LC_BASE_ERROR_H

#include "base/types.h"

/* X(NAME, message). Order is the numeric order: LC_EOK is 0 and the rest count down. */
#define LC_ERROR_LIST(X)                                                        \
    X(OK, "success")                                                            \
    X(NOMEM, "out of memory")                                                   \
    X(INVAL, "invalid argument")                                                \
    X(RANGE, "value out of range")                                              \
    X(LIMIT, "limit exceeded")                                                  \
    X(IO, "I/O error")                                                          \
    X(CORRUPT, "data is corrupt")                                               \
    X(TRUNCATED, "input is truncated")                                          \
    X(DECODE, "malformed encoding")                                             \
    X(UTF8, "invalid UTF-8")                                                    \
    X(NOTFOUND, "not found")                                                    \
    X(EXISTS, "already exists")                                                 \
    X(UNIQUE, "unique constraint violation")                                    \
    X(TYPE, "type mismatch")                                                    \
    X(NOTSUP, "not supported")                                                  \
    X(STATE, "operation not allowed in this state")                             \
    X(TXFAILED, "transaction has failed and can only abort")                    \
    X(BUSY, "resource busy")                                                    \
    X(PERM, "permission denied")                                                \
    X(AGAIN, "try again")                                                       \
    X(CLOSED, "closed")                                                         \
    X(MALFORMED, "malformed module")                                            \
    X(INVALID, "invalid module")                                                \
    X(UNLINKABLE, "unknown import or import type mismatch")                     \
    X(PROTOCOL, "protocol error")                                               \
    X(SYNTAX, "syntax error")                                                   \
    X(TRAP_UNREACHABLE, "unreachable executed")                                 \
    X(TRAP_MEM_OOB, "out of bounds memory access")                              \
    X(TRAP_TABLE_OOB, "out of bounds table access")                             \
    X(TRAP_DIV_ZERO, "integer divide by zero")                                  \
    X(TRAP_INT_OVERFLOW, "integer overflow")                                    \
    X(TRAP_INVALID_CONV, "invalid conversion to integer")                       \
    X(TRAP_INDIRECT_NULL, "uninitialized element")                              \
    X(TRAP_INDIRECT_TYPE, "indirect call type mismatch")                        \
    X(TRAP_STACK, "call stack exhausted")                                       \
    X(TRAP_FUEL, "out of energy")                                               \
    X(TRAP_HOST, "host function trapped")                                       \
    X(TRAP_UNDEFINED_ELEM, "undefined element")                                 \
    X(TRAP_NULL_REF, "null reference")

enum lc_err {
#define LC_X_ENUM(name, msg) LC_E##name##_POS,
    LC_ERROR_LIST(LC_X_ENUM)
#undef LC_X_ENUM
    LC_E_COUNT_POS
};

/* The public negative codes: LC_EOK == 0, LC_ENOMEM == -1, ... */
#define LC_X_DEF(name, msg) LC_E##name = -(int)LC_E##name##_POS,
enum { LC_ERROR_LIST(LC_X_DEF) };
#undef LC_X_DEF

#define LC_ETRAP_FIRST LC_ETRAP_UNREACHABLE
#define LC_ETRAP_LAST LC_ETRAP_NULL_REF
static inline bool lc_err_is_trap(int e) { return e <= LC_ETRAP_FIRST && e >= LC_ETRAP_LAST; }

/* "LC_ENOMEM" for -1; "LC_E?" for a value outside the list. Static strings. */
const char *lc_err_name(int err);
/* "out of memory" for -1. Static strings. */
const char *lc_strerror(int err);

/* A caller-provided buffer for a detailed message. Functions that take one write a
 * NUL-terminated message into it on failure and leave it alone on success. */
typedef struct lc_errbuf {
    char msg[256];
} lc_errbuf;

/* printf-style; truncates silently. NULL eb is allowed and ignored. Returns err so a failure
 * path can be `return lc_errf(eb, LC_EDECODE, "bad tag %u", tag);`. */
int lc_errf(lc_errbuf *eb, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
