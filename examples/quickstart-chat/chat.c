/*
 * examples/quickstart-chat/chat.c — SpacetimeDB's quickstart chat module, in C.
 *
 * Tables (public): user(identity pk, name Option<String>, online bool),
 * message(sender, sent, text). Reducers: set_name, send_message (both reject empty input with
 * the quickstart's messages), init, and the client_connected / client_disconnected lifecycle
 * reducers that keep user.online up to date.
 */
#include "spacetimedb.h"

#define USER_COLS(X) X(identity, IDENTITY) X(name, OPT_STRING) X(online, BOOL)
STDB_TABLE(user, USER_COLS, STDB_PUBLIC);
STDB_PRIMARY_KEY(user, identity);

#define MESSAGE_COLS(X) X(sender, IDENTITY) X(sent, TIMESTAMP) X(text, STRING)
STDB_TABLE(message, MESSAGE_COLS, STDB_PUBLIC);

#define SET_NAME_ARGS(X) X(name, STRING)
STDB_REDUCER(set_name, SET_NAME_ARGS)
{
    if (args->name.len == 0) return stdb_fail(ctx, "Names must not be empty");
    user u;
    if (!user_find_by_identity(ctx->sender, &u))
        return stdb_fail(ctx, "Cannot set name for unknown user");
    u.name = (stdb_opt_str){true, args->name};
    return user_update_by_identity(&u) == 0 ? STDB_OK : stdb_fail(ctx, "update failed");
}

#define SEND_MESSAGE_ARGS(X) X(text, STRING)
STDB_REDUCER(send_message, SEND_MESSAGE_ARGS)
{
    if (args->text.len == 0) return stdb_fail(ctx, "Messages must not be empty");
    STDB_LOG_I("%S", args->text);
    message m = {ctx->sender, ctx->timestamp, args->text};
    return message_insert(&m) == 0 ? STDB_OK : stdb_fail(ctx, "insert failed");
}

STDB_INIT(init) { return STDB_OK; }

STDB_CLIENT_CONNECTED(identity_connected)
{
    user u;
    if (user_find_by_identity(ctx->sender, &u)) {
        u.online = true;
        return user_update_by_identity(&u) == 0 ? STDB_OK : stdb_fail(ctx, "update failed");
    }
    user fresh = {ctx->sender, {false, {"", 0}}, true};
    return user_insert(&fresh) == 0 ? STDB_OK : stdb_fail(ctx, "insert failed");
}

STDB_CLIENT_DISCONNECTED(identity_disconnected)
{
    user u;
    if (!user_find_by_identity(ctx->sender, &u)) {
        STDB_LOG_W("Disconnect event for unknown user");
        return STDB_OK;
    }
    u.online = false;
    return user_update_by_identity(&u) == 0 ? STDB_OK : stdb_fail(ctx, "update failed");
}
