/*
 * tests/host/modules/proctest/proctest.c — procedures that reach outside the database, for
 * tests/unit/test_host_http.c: fetch(method, uri, body, timeout_ms) performs one HTTP request
 * and returns "CODE BODY" or "error: REASON"; nap_until(micros) sleeps and returns the time
 * it woke; fetch_in_tx tries HTTP with a transaction open (refused by the host).
 */
#include "spacetimedb.h"

#define NOTE_COLS(X) X(id, U32) X(text, STRING)
STDB_TABLE(note, NOTE_COLS, STDB_PUBLIC);
STDB_PRIMARY_KEY(note, id);

#define FETCH_ARGS(X) X(method, STRING) X(uri, STRING) X(body, STRING) X(timeout_ms, U64)
STDB_PROCEDURE(fetch, FETCH_ARGS, STRING)
{
    char method[16] = {0};
    for (uint32_t i = 0; i < args->method.len && i < 15; i++) method[i] = args->method.ptr[i];
    stdb_http_response r;
    stdb_str err = {"", 0};
    stdb_bytes body = {(const uint8_t *)args->body.ptr, args->body.len};
    int rc = stdb_http(method, args->uri, body, args->timeout_ms, &r, &err);
    if (rc == STDB_ERRNO_HTTP_ERROR) *ret = stdb_format("error: %S", err);
    else if (rc) *ret = stdb_format("errno %d", rc);
    else *ret = stdb_format("%u %.*s", r.code, (int)r.body.len, (const char *)r.body.ptr);
    /* what came back can be stored: a transaction after the request */
    if (stdb_tx_begin() != 0) return 1;
    note n = {1, *ret};
    note_delete_by_id(1);
    if (note_insert(&n) != 0) return 1;
    return stdb_tx_commit();
}

#define NAP_ARGS(X) X(until_micros, I64)
STDB_PROCEDURE(nap_until, NAP_ARGS, I64)
{
    *ret = stdb_sleep_until(args->until_micros);
    return STDB_OK;
}

STDB_PROCEDURE(fetch_in_tx, STDB__NO_ARGS, I32)
{
    if (stdb_tx_begin() != 0) return 1;
    stdb_http_response r;
    stdb_str err;
    stdb_bytes none = {0, 0};
    *ret = stdb_http("GET", stdb_str_from("http://127.0.0.1:1/"), none, 0, &r, &err);
    return stdb_tx_abort();
}
