/*
 * tests/host/modules/viewtest/viewtest.c — views for the host and server tests: a sender view
 * my_players (the caller's own rows, through the owner index), an anonymous view top_players
 * (score >= 100, a full scan), a view that tries to write (the host traps it) and an
 * unrelated table (its writes must not re-run the views), and a query view rich_players
 * whose SQL the host runs.
 */
#include "spacetimedb.h"

#define PLAYER_COLS(X) X(id, U32) X(owner, IDENTITY) X(name, STRING) X(score, U32)
STDB_TABLE(player, PLAYER_COLS, STDB_PRIVATE);
STDB_PRIMARY_KEY(player, id);
STDB_INDEX(player, owner);

#define OTHER_COLS(X) X(id, U32)
STDB_TABLE(other, OTHER_COLS, STDB_PUBLIC);
STDB_PRIMARY_KEY(other, id);

#define ADD_ARGS(X) X(id, U32) X(name, STRING) X(score, U32)
STDB_REDUCER(add_player, ADD_ARGS)
{
    player p = {args->id, ctx->sender, args->name, args->score};
    return player_insert(&p) == 0 ? STDB_OK : stdb_fail(ctx, "insert failed");
}

#define SCORE_ARGS(X) X(id, U32) X(score, U32)
STDB_REDUCER(set_score, SCORE_ARGS)
{
    player p;
    if (!player_find_by_id(args->id, &p)) return stdb_fail(ctx, "no player %u", args->id);
    p.score = args->score;
    return player_update_by_id(&p) == 0 ? STDB_OK : stdb_fail(ctx, "update failed");
}

#define OTHER_ARGS(X) X(id, U32)
STDB_REDUCER(add_other, OTHER_ARGS)
{
    other o = {args->id};
    return other_insert(&o) == 0 ? STDB_OK : stdb_fail(ctx, "insert failed");
}

STDB_VIEW(my_players, player)
{
    stdb_iter it;
    player p;
    for (player_filter_by_owner(&it, &ctx->sender, &ctx->sender); player_next(&it, &p);)
        stdb_view_push(out, &p);
    return STDB_OK;
}

STDB_VIEW_ANON(top_players, player)
{
    stdb_iter it;
    player p;
    for (player_iter(&it); player_next(&it, &p);)
        if (p.score >= 100) stdb_view_push(out, &p);
    return STDB_OK;
}

STDB_VIEW_ANON(writes, other)
{
    other o = {999};
    (void)other_insert(&o);
    return STDB_OK;
}

/* A query view: the host subscribes to its SQL (owner rights: player is private). */
STDB_VIEW_SQL(rich_players, player, "SELECT * FROM player WHERE score >= 200");
