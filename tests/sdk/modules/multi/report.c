/*
 * tests/sdk/modules/multi/report.c — a second file using the shared tables through their
 * helpers (point lookup, index range, count) without defining them.
 */
#include "tables.h"

#define REPORT_ARGS(X) X(min, I64) X(id, U64)
STDB_REDUCER(report, REPORT_ARGS)
{
    stdb_iter it;
    entry e;
    int64_t total = 0;
    entry_filter_by_amount(&it, &args->min, 0);
    while (entry_next(&it, &e)) total += e.amount;
    bool found = entry_find_by_id(args->id, &e);
    STDB_LOG_I("total %lld of %llu, id %llu %s", (long long)total,
               (unsigned long long)entry_count(), (unsigned long long)args->id,
               found ? "found" : "missing");
    return STDB_OK;
}
