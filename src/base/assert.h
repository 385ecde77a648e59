/*
 * base/assert.h — assertions for programmer errors.
 *
 * LC_ASSERT is always on, in every build mode, and prints file, line and expression before
 * aborting: a broken invariant must never turn into silent data corruption. LC_DEBUG_ASSERT is
 * for expensive checks (whole-index scans) and compiles away unless LC_DEBUG is defined.
 * Operating errors (bad input, disk full, traps) are return codes, never asserts.
 */
#ifndef LC_BASE_ASSERT_H
#define LC_BASE_ASSERT_H

#include "base/types.h"

_Noreturn void lc_assert_fail(const char *expr, const char *file, int line);

#define LC_ASSERT(e) (LC_LIKELY(e) ? (void)0 : lc_assert_fail(#e, __FILE__, __LINE__))
#ifdef LC_DEBUG
#define LC_DEBUG_ASSERT(e) LC_ASSERT(e)
#else
#define LC_DEBUG_ASSERT(e) ((void)0)
#endif
#define LC_UNREACHABLE() lc_assert_fail("unreachable", __FILE__, __LINE__)

#endif
