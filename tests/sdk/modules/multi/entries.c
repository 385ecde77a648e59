/*
 * tests/sdk/modules/multi/entries.c — defines the shared tables (STDB_DEFINE_TABLES) and the
 * reducer that writes them.
 */
#define STDB_DEFINE_TABLES
#include "tables.h"

#define ADD_ARGS(X) X(amount, I64)
STDB_REDUCER(add_entry, ADD_ARGS)
{
    entry e = {0, ctx->sender, args->amount};
    if (entry_insert(&e) != 0) return stdb_fail(ctx, "insert failed");
    STDB_LOG_I("entry %llu", (unsigned long long)e.id);
    return STDB_OK;
}
