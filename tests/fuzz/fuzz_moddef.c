/*
 * tests/fuzz/fuzz_moddef.c — libFuzzer target for host/moddef: the RawModuleDef (V10, V9, V8)
 * decoder and the §3.6 validation, from untrusted bytes (a module's __describe_module__ output).
 *
 * Input: the description bytes, as a module writes them to its sink.
 * Invariants checked (abort on violation, so the fuzzer reports them):
 *   - decode never over-reads, crashes or leaks (ASan/LSan); on failure it returns a negative
 *     LC_E* code, a non-empty message and a NULL def;
 *   - an accepted def is internally consistent: every column index (keys, indexes,
 *     constraints, sequences, defaults, schedule at-column) is inside its table's row type;
 *     the primary key column is -1 or a column; names are non-empty; each table and reducer is
 *     found again by its canonical name and by its alias; lifecycle slots point at reducers
 *     whose lifecycle matches;
 *   - decoding is deterministic: the same bytes decode again to the same counts and names.
 * Built with MODE=fuzz (make fuzz-moddef). In other modes the same file builds a replay
 * program that tests/suites/34-moddef-fuzz-replay.sh runs over the seed corpus
 * (tests/fuzz/corpus/moddef: the real descriptions of the example and SDK test modules) and
 * saved reproducers (tests/fuzz/crashes/moddef-*), under ASan in `make MODE=asan test`.
 */
#include "base/alloc.h"
#include "host/moddef.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(c)                                                                   \
    do {                                                                                \
        if (!(c)) {                                                                     \
            fprintf(stderr, "fuzz_moddef: invariant failed: %s (line %d)\n", #c, __LINE__); \
            abort();                                                                    \
        }                                                                               \
    } while (0)

static void check_cols(const host_table_def *t, u32 n, const u16 *cols)
{
    FUZZ_CHECK(n == 0 || cols);
    for (u32 i = 0; i < n; i++) FUZZ_CHECK(cols[i] < t->row_type->elem_count);
}

static void check_table(const host_moddef *d, const host_table_def *t)
{
    FUZZ_CHECK(t->name && t->name[0]);
    FUZZ_CHECK(t->row_type && t->row_type->kind == LC_T_PRODUCT);
    u32 ncols = t->row_type->elem_count;
    FUZZ_CHECK(t->pk_col >= -1 && t->pk_col < (i32)ncols);
    for (u32 i = 0; i < t->index_count; i++) {
        FUZZ_CHECK(t->indexes[i].name && t->indexes[i].name[0]);
        FUZZ_CHECK(t->indexes[i].algo >= HOST_INDEX_BTREE && t->indexes[i].algo <= HOST_INDEX_HASH);
        check_cols(t, t->indexes[i].col_count, t->indexes[i].cols);
    }
    for (u32 i = 0; i < t->constraint_count; i++)
        check_cols(t, t->constraints[i].col_count, t->constraints[i].cols);
    for (u32 i = 0; i < t->sequence_count; i++) FUZZ_CHECK(t->sequences[i].col < ncols);
    for (u32 i = 0; i < t->default_count; i++) FUZZ_CHECK(t->defaults[i].col < ncols);
    if (t->schedule_function) FUZZ_CHECK(t->schedule_at_col < ncols);
    FUZZ_CHECK(host_moddef_table(d, t->name, strlen(t->name)) == t);
    if (t->alias) FUZZ_CHECK(host_moddef_table(d, t->alias, strlen(t->alias)) != NULL);
}

static void check_def(const host_moddef *d)
{
    FUZZ_CHECK(d->version >= 8 && d->version <= 10);
    for (u32 i = 0; i < d->table_count; i++) check_table(d, &d->tables[i]);
    for (u32 i = 0; i < d->reducer_count; i++) {
        const host_reducer_def *r = &d->reducers[i];
        FUZZ_CHECK(r->name && r->name[0] && r->params && r->params->kind == LC_T_PRODUCT);
        FUZZ_CHECK(host_moddef_reducer_id(d, r->name, strlen(r->name)) == (i32)i);
        if (r->alias) FUZZ_CHECK(host_moddef_reducer_id(d, r->alias, strlen(r->alias)) >= 0);
    }
    for (int k = HOST_LIFECYCLE_INIT; k <= HOST_LIFECYCLE_DISCONNECT; k++) {
        i32 id = d->lifecycle_reducer[k];
        FUZZ_CHECK(id >= -1 && id < (i32)d->reducer_count);
        if (id >= 0) FUZZ_CHECK(d->reducers[id].lifecycle == k);
    }
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
    host_moddef *d = NULL;
    lc_errbuf eb = {0};
    int rc = host_moddef_decode(data, size, &d, &eb);
    if (rc != 0) {
        FUZZ_CHECK(rc < 0 && d == NULL && eb.msg[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(d != NULL);
    check_def(d);
    host_moddef *d2 = NULL;
    lc_errbuf eb2 = {0};
    FUZZ_CHECK(host_moddef_decode(data, size, &d2, &eb2) == 0);
    FUZZ_CHECK(d2->table_count == d->table_count && d2->reducer_count == d->reducer_count);
    for (u32 i = 0; i < d->table_count; i++)
        FUZZ_CHECK(strcmp(d->tables[i].name, d2->tables[i].name) == 0);
    for (u32 i = 0; i < d->reducer_count; i++)
        FUZZ_CHECK(strcmp(d->reducers[i].name, d2->reducers[i].name) == 0);
    host_moddef_destroy(d2);
    host_moddef_destroy(d);
    return 0;
}
