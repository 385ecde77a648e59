/*
 * tests/host/host_test_util.h — helpers shared by tests/unit/test_host_*.c: read a built
 * module (build/wasm/<name>.wasm, built by `make examples` / mk/host.mk before the tests),
 * open an in-memory database with a module published, and small BSATN argument writers.
 */
#ifndef LC_TESTS_HOST_UTIL_H
#define LC_TESTS_HOST_UTIL_H

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "host/db.h"
#include "base/buf.h"

/* Reads build/wasm/<name>.wasm into an lc_alloc'd buffer; NULL if missing. */
static inline u8 *host_test_wasm(const char *name, size_t *out_len)
{
    char path[256];
    snprintf(path, sizeof path, "build/wasm/%s.wasm", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "missing %s (run `make examples`)\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    u8 *p = n > 0 ? lc_alloc((size_t)n) : NULL;
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        lc_free(p);
        p = NULL;
    }
    fclose(f);
    *out_len = p ? (size_t)n : 0;
    return p;
}

/* An in-memory database with build/wasm/<name>.wasm published (owner 01 00 ..), or NULL. */
static inline host_db *host_test_db_with(const char *name, const host_db_opts *o)
{
    host_db *db = NULL;
    lc_errbuf eb;
    size_t n = 0;
    u8 *wasm = host_test_wasm(name, &n);
    static const u8 owner[32] = {1};
    bool ok = wasm && host_db_open(NULL, o, &db, &eb) == 0 &&
              host_db_publish(db, wasm, n, owner, NULL, &eb) == 0;
    lc_free(wasm);
    if (!ok && db) {
        (void)host_db_close(db);
        db = NULL;
    }
    return db;
}

/* Calls reducer `reducer` with SATS-JSON args as caller identity {who, 0, ..}; true when it
 * committed. */
static inline bool host_test_call_as(host_db *db, u8 who, const char *reducer, const char *json)
{
    host_caller c;
    memset(&c, 0, sizeof c);
    c.identity[0] = who;
    host_outcome o;
    lc_errbuf eb;
    return host_db_call_json(db, reducer, json, strlen(json), &c, &o, &eb) == 0 &&
           o.kind == HOST_OUTCOME_COMMITTED;
}

static inline void host_test_put_str(lc_buf *b, const char *s)
{
    lc_buf_put_str(b, s, (u32)strlen(s));
}

#endif
