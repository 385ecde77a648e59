/*
 * tests/sdk/modules/basic/basic.c — the C twin of SpacetimeDB's templates/basic-cpp module
 * (spec-module-abi.md §3.5): table person(name) public; init, identity_connected,
 * identity_disconnected, add(name), say_hello. Its description must equal the annotated
 * 299 bytes of the C++ build, byte for byte (tests/sdk/test_basic.c).
 */
#include "spacetimedb.h"

#define PERSON_COLS(X) X(name, STRING)
STDB_TABLE(person, PERSON_COLS, STDB_PUBLIC);

STDB_INIT(init) { return STDB_OK; }
STDB_CLIENT_CONNECTED(identity_connected) { return STDB_OK; }
STDB_CLIENT_DISCONNECTED(identity_disconnected) { return STDB_OK; }

#define ADD_ARGS(X) X(name, STRING)
STDB_REDUCER(add, ADD_ARGS)
{
    person p = {args->name};
    return person_insert(&p) == 0 ? STDB_OK : stdb_fail(ctx, "insert failed");
}

STDB_REDUCER0(say_hello)
{
    stdb_iter it;
    person p;
    person_iter(&it);
    while (person_next(&it, &p)) STDB_LOG_I("Hello, %S!", p.name);
    STDB_LOG_I("Hello, World!");
    return STDB_OK;
}
