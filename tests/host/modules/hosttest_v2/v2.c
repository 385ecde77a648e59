/*
 * tests/host/modules/hosttest_v2/v2.c — hosttest plus one new table and reducer: a compatible
 * republish (automatic migration adds the table; existing data is kept).
 */
#include "../hosttest/hosttest.c"

#define NOTE_COLS(X) X(id, U32) X(text, STRING)
STDB_TABLE(note, NOTE_COLS, STDB_PUBLIC);
STDB_PRIMARY_KEY(note, id);

#define ADD_NOTE_ARGS(X) X(id, U32) X(text, STRING)
STDB_REDUCER(add_note, ADD_NOTE_ARGS)
{
    note n = {args->id, args->text};
    return note_insert(&n) == 0 ? STDB_OK : stdb_fail(ctx, "insert failed");
}
