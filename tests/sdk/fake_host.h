/*
 * tests/sdk/fake_host.h — a host-less stand-in for the SpacetimeDB module host, for SDK tests.
 *
 * The example modules are compiled natively and linked with fake_host.c, which implements
 * every import the SDK uses (sdk/c-module/spacetimedb_abi.h) over a tiny in-memory store
 * built from the module's own description (decoded by tests/sdk/moddef.c). It behaves as
 * spec-module-abi.md §1.7 says for what the examples need: row counts, scans, point and range
 * scans in key order, inserts with set semantics, zero-triggered sequences with write-back,
 * unique constraints, update through a unique index, deletes, clear, BytesSource/BytesSink,
 * RowIter with BUFFER_TOO_SMALL, console_log capture, NOT_IN_TRANSACTION outside calls. A call
 * that does not return 0 rolls back every row change, as the real host does.
 *
 * Pointer rule: imports receive native pointers (the prototypes are the wasm ones, see the
 * ABI header) and abort the test on a NULL pointer where the spec says the host traps, which
 * checks that the SDK never passes one. A guest trap is a process crash natively, so traps
 * are not tested here (they are the engine's business).
 *
 * Ownership: fh_init copies what it needs from the moddef, which must outlive the fake host;
 * fh_deinit frees everything (the suite runs under LeakSanitizer).
 */
#ifndef LC_TESTS_SDK_FAKE_HOST_H
#define LC_TESTS_SDK_FAKE_HOST_H

#include "base/types.h"
#include "sdk/moddef.h"

typedef struct fh_log {
    u32 level;
    char *target, *file, *message; /* NULL target/file = absent */
    u32 line;
} fh_log;

typedef struct fh_result {
    int rc;          /* what __call_reducer__ returned */
    char error[512]; /* the error sink, NUL-terminated (truncated if longer) */
} fh_result;

/* Calls __describe_module__ with a fresh sink; the bytes are owned by the caller (lc_free). */
u8 *fh_describe(u32 *out_len);
/* Builds the store from the module description. 0 or LC_E*. */
int fh_init(const moddef *md) __attribute__((warn_unused_result));
void fh_deinit(void);
/* Empties every table and resets sequences and captured logs. */
void fh_reset(void);
/* Calls reducer `name` as the host would (spec §1.8, §4.2). */
fh_result fh_call(const char *name, const u8 sender[32], const u8 conn_id[16], i64 timestamp,
                  const u8 *args, u32 args_len);
fh_result fh_call_id(u32 id, const u8 sender[32], const u8 conn_id[16], i64 timestamp,
                     const u8 *args, u32 args_len);

u32 fh_row_count(const char *table);
/* Row `i` of `table` in insertion order (BSATN), or NULL. Valid until the next change. */
const u8 *fh_row(const char *table, u32 i, u32 *out_len);
/* Inserts a row directly (test setup), as the host would: 0 or STDB errno. */
int fh_insert_raw(const char *table, const u8 *row, u32 len);

u32 fh_log_count(void);
/* Also write every log message (plus a newline) to fd: lets a forked child report a panic. */
void fh_set_log_fd(int fd);
const fh_log *fh_log_get(u32 i);
/* Rows handed out per row_iter_bsatn_advance chunk at most (0 = no limit). */
void fh_set_chunk_rows(u32 n);
/* Iterators the guest left open (a leak if non-zero after a call). */
u32 fh_open_iters(void);
/* Number of BUFFER_TOO_SMALL answers given so far. */
u32 fh_buffer_too_small_count(void);

#endif
