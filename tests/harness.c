/*
 * tests/harness.c — runner for the tests registered with TEST() (see harness.h).
 *
 * Usage: test_unit [-v] [substring ...]   runs the tests whose "file:name" contains any of
 * the substrings (all tests when none is given). Each test runs in this process; a crash is a
 * crash of the run, which CI reports as a failed suite. Ends with "unit: N passed, N failed".
 */
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"

#define TESTS_MAX 4096

typedef struct test_entry {
    const char *name;
    const char *file;
    lc_test_fn fn;
} test_entry;

static test_entry tests[TESTS_MAX];
static int test_count;
static bool current_failed;
static const char *current_name;
static u64 seed;

void lc_test_register(const char *name, const char *file, lc_test_fn fn)
{
    if (test_count == TESTS_MAX) {
        fprintf(stderr, "harness: more than %d tests\n", TESTS_MAX);
        exit(2);
    }
    tests[test_count++] = (test_entry){name, file, fn};
}

void lc_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stdout, "  FAIL %s (%s:%d): ", current_name, file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fprintf(stdout, "\n");
    current_failed = true;
}

bool lc_test_failed(void) { return current_failed; }
u64 lc_test_seed(void) { return seed; }

static int cmp_entry(const void *a, const void *b)
{
    const test_entry *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    return c ? c : strcmp(x->name, y->name);
}

static bool selected(const test_entry *t, int argc, char **argv, int first)
{
    if (first >= argc) return true;
    char full[512];
    snprintf(full, sizeof full, "%s:%s", t->file, t->name);
    for (int i = first; i < argc; i++)
        if (strstr(full, argv[i])) return true;
    return false;
}

int main(int argc, char **argv)
{
    int first = 1;
    bool verbose = false;
    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        verbose = true;
        first = 2;
    }
    const char *s = getenv("LC_TEST_SEED");
    seed = s ? strtoull(s, NULL, 0) : (u64)time(NULL);
    qsort(tests, (size_t)test_count, sizeof tests[0], cmp_entry);
    int passed = 0, failed = 0;
    for (int i = 0; i < test_count; i++) {
        if (!selected(&tests[i], argc, argv, first)) continue;
        current_name = tests[i].name;
        current_failed = false;
        tests[i].fn();
        if (current_failed) {
            failed++;
            printf("FAIL %s (%s) seed=%llu\n", tests[i].name, tests[i].file,
                   (unsigned long long)seed);
        } else {
            passed++;
            if (verbose) printf("ok   %s\n", tests[i].name);
        }
        fflush(stdout);
    }
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
