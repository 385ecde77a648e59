/*
 * tests/sdk/modules/multi/tables.h — tables shared by the two .c files of the `multi` test
 * module (STDB_SHARED_TABLES): entries.c defines them, report.c only uses them.
 */
#ifndef MULTI_TABLES_H
#define MULTI_TABLES_H

#define STDB_SHARED_TABLES
#include "spacetimedb.h"

#define ENTRY_COLS(X) X(id, U64) X(owner, IDENTITY) X(amount, I64)
STDB_TABLE(entry, ENTRY_COLS, STDB_PUBLIC);
STDB_PRIMARY_KEY(entry, id);
STDB_AUTO_INC(entry, id);
STDB_INDEX(entry, amount);

#endif
