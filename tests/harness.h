/*
 * tests/harness.h — the unit-test harness: register with TEST(), assert with CHECK*().
 *
 *   TEST(crc32c_vectors) { CHECK_EQ(lc_crc32c_update(0, "123456789", 9), 0xE3069283u); }
 *
 * Tests register themselves from constructors, so adding a test file to tests/unit/ is all it
 * takes. A failed CHECK prints file:line and the expression (with both values for CHECK_EQ)
 * and returns from the test function, so use CHECKs in the TEST body or in void helpers.
 * The runner (harness.c) takes optional substrings to select tests and ends with the line
 * "unit: N passed, N failed".
 */
#ifndef LC_TESTS_HARNESS_H
#define LC_TESTS_HARNESS_H

#include <stdio.h>

#include "base/error.h"
#include "base/types.h"

typedef void (*lc_test_fn)(void);
void lc_test_register(const char *name, const char *file, lc_test_fn fn);
void lc_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* True when the running test has failed (for helpers that return a value). */
bool lc_test_failed(void);
/* A per-run seed for randomized tests: LC_TEST_SEED from the environment, or time-based;
 * printed on failure so a run can be repeated. */
u64 lc_test_seed(void);

#define TEST(name)                                                                   \
    static void test_##name(void);                                                   \
    __attribute__((constructor)) static void register_##name(void)                   \
    {                                                                                \
        lc_test_register(#name, __FILE__, test_##name);                              \
    }                                                                                \
    static void test_##name(void)

#define CHECK(c)                                                                     \
    do {                                                                             \
        if (!(c)) {                                                                  \
            lc_test_fail(__FILE__, __LINE__, "CHECK(%s)", #c);                       \
            return;                                                                  \
        }                                                                            \
    } while (0)

#define CHECK_EQ(a, b)                                                               \
    do {                                                                             \
        long long _a = (long long)(a), _b = (long long)(b);                          \
        if (_a != _b) {                                                              \
            lc_test_fail(__FILE__, __LINE__, "CHECK_EQ(%s, %s): %lld != %lld", #a, #b, \
                         _a, _b);                                                    \
            return;                                                                  \
        }                                                                            \
    } while (0)

/* Expression returning an LC_E* code must be 0. */
#define CHECK_OK(e)                                                                  \
    do {                                                                             \
        int _r = (e);                                                                \
        if (_r != 0) {                                                               \
            lc_test_fail(__FILE__, __LINE__, "CHECK_OK(%s): %s (%s)", #e,            \
                         lc_err_name(_r), lc_strerror(_r));                          \
            return;                                                                  \
        }                                                                            \
    } while (0)

/* Expression returning an LC_E* code must be exactly `want`. */
#define CHECK_ERR(e, want)                                                           \
    do {                                                                             \
        int _r = (e);                                                                \
        if (_r != (want)) {                                                          \
            lc_test_fail(__FILE__, __LINE__, "CHECK_ERR(%s): got %s, want %s", #e,   \
                         lc_err_name(_r), lc_err_name(want));                        \
            return;                                                                  \
        }                                                                            \
    } while (0)

#define CHECK_MEM(a, b, n)                                                           \
    do {                                                                             \
        if (memcmp((a), (b), (n)) != 0) {                                            \
            lc_test_fail(__FILE__, __LINE__, "CHECK_MEM(%s, %s, %s)", #a, #b, #n);   \
            return;                                                                  \
        }                                                                            \
    } while (0)

#define CHECK_STR(a, b)                                                              \
    do {                                                                             \
        const char *_a = (a), *_b = (b);                                             \
        if (!_a || !_b || strcmp(_a, _b) != 0) {                                     \
            lc_test_fail(__FILE__, __LINE__, "CHECK_STR(%s, %s): \"%s\" != \"%s\"",  \
                         #a, #b, _a ? _a : "(null)", _b ? _b : "(null)");            \
            return;                                                                  \
        }                                                                            \
    } while (0)

#endif
