/*
 * tests/sdk/modules/bad-schedule/bad.c — a deliberately wrong module: its schedule table has
 * a U32 primary key (SpacetimeDB requires U64). The SDK must refuse it at the first export
 * call with a Panic-level log line naming the problem, then trap (tests/sdk/test_bad_schedule.c).
 */
#include "spacetimedb.h"

#define BAD_TIMER_COLS(X) X(id, U32) X(at, SCHEDULE_AT)
STDB_TABLE(bad_timer, BAD_TIMER_COLS, STDB_PRIVATE);
STDB_PRIMARY_KEY(bad_timer, id);
STDB_SCHEDULE(bad_timer, at, fire);

STDB_SCHEDULED(fire, bad_timer) { return STDB_OK; }
