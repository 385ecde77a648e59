/*
 * tests/host/modules/badinit/badinit.c — `init` writes a row then fails: the first publish must
 * roll back everything, table creation included (spec-module-abi §4.6).
 */
#include "spacetimedb.h"

#define THING_COLS(X) X(id, U32)
STDB_TABLE(thing, THING_COLS, STDB_PUBLIC);

STDB_INIT(init)
{
    thing t = {1};
    thing_insert(&t);
    return stdb_fail(ctx, "init refuses");
}
