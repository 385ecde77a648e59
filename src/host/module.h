/*
 * host/module.h — a loaded module: compiled code, its description, and ONE instance (the
 * "main lane" of spec-module-abi §1.9) that runs export calls one at a time.
 *
 * Load (§1.9): compile with the engine under memory/fuel limits; compute the ABI version from
 * the imports and refuse anything but spacetime_10.0..10.5 functions (§1.2); check the
 * required exports and their types (§1.8); create the first instance and decode the
 * description its __describe_module__ writes (host/moddef.h). Instance creation order:
 * instantiate (all 30 imports linked) -> fuel budget -> _initialize -> every __preinit__* in
 * byte-wise name order -> __setup__ -> __describe_module__ (every time; bytes discarded after
 * the first). A trap poisons the instance: it is destroyed and the next call builds a fresh
 * one from the compiled module (cheap: no recompilation).
 * Threading: one thread at a time per host_module.
 */
#ifndef LC_HOST_MODULE_H
#define LC_HOST_MODULE_H

#include "base/error.h"
#include "base/types.h"
#include "host/abi.h"
#include "host/moddef.h"
#include "wasm/wasm.h"

/* SpacetimeDB's FunctionBudget::DEFAULT_BUDGET (§4.3). Our engine charges per call and loop
 * back-edge rather than per operator, so the same number allows more work; it only has to
 * stop a runaway loop. */
#define HOST_FUEL_DEFAULT 120000000000ull
#define HOST_MEMORY_PAGES_DEFAULT 16384u /* 1 GiB of linear memory per instance */

typedef struct host_module_opts {
    u64 fuel_budget;       /* per export call and per instance initialisation; 0 = default */
    u32 memory_pages_max;  /* 0 = default */
} host_module_opts;

typedef struct host_module host_module;

/* Loads `len` bytes (copied). On failure *out is NULL and eb says why (LC_EMALFORMED /
 * LC_EINVALID from the engine or the ABI checks, LC_EDECODE / LC_EINVALID from the
 * description, LC_ETRAP_* if initialisation trapped). */
int host_module_load(const u8 *wasm, size_t len, const host_module_opts *opts,
                     host_module **out, lc_errbuf *eb) LC_MUST_USE;
void host_module_destroy(host_module *m);

const host_moddef *host_module_def(const host_module *m);
/* The import state (set db identity, log and scheduler hooks through it). */
host_abi *host_module_abi(host_module *m);
u32 host_module_abi_minor(const host_module *m);
/* Instances created so far (1 after load; +1 per replacement after a trap). */
u64 host_module_instances_created(const host_module *m);
void host_module_set_fuel_budget(host_module *m, u64 fuel);

/* Caller of an export call (spec-module-abi §1.8.1). */
typedef struct host_caller {
    u8 identity[32];
    u8 connection_id[16]; /* all zero: none */
    i64 timestamp_micros;
    /* Optional JWT payload (the token's decoded claims, JSON UTF-8) of the caller, borrowed
     * for the call: get_jwt returns it for the caller's own connection id when
     * st_connection_credentials has no row for it (host_db_connect_jwt stores one). */
    const u8 *jwt_payload;
    u32 jwt_len;
} host_caller;

typedef enum host_outcome_kind {
    HOST_OUTCOME_COMMITTED = 0,  /* the reducer returned 0 (caller commits) */
    HOST_OUTCOME_USER_ERROR,     /* returned 1: message from the error sink */
    HOST_OUTCOME_INTERNAL,       /* other return code, trap, or rejected arguments */
    HOST_OUTCOME_OUT_OF_ENERGY,  /* fuel exhausted */
} host_outcome_kind;

#define HOST_OUTCOME_MSG_MAX 1024

typedef struct host_outcome {
    u8 kind;           /* host_outcome_kind */
    u64 fuel_used;
    u32 message_len;
    char message[HOST_OUTCOME_MSG_MAX]; /* NUL-terminated; truncated to the buffer */
} host_outcome;

/* Runs reducer `reducer_id` in the caller's open write transaction `txn` (the host neither
 * commits nor aborts it: the caller does, from *out). `args` is the BSATN of the parameter
 * product; it is validated first (invalid -> LC_EDECODE, module not run). Returns 0 when the
 * module ran (whatever the outcome), or a negative LC_E* when it could not (bad id, bad args,
 * instance creation failed) with a message in out->message. */
int host_module_call_reducer(host_module *m, store_txn *txn, u32 reducer_id,
                             const host_caller *caller, const u8 *args, size_t args_len,
                             host_outcome *out) LC_MUST_USE;

/* Runs procedure `procedure_id` (spec-module-abi §4.8): no transaction is open; the
 * procedure opens its own through the abi's proc_tx hook (host_abi.proc_tx_fn, which the
 * database sets). out->kind COMMITTED = returned 0 with a value of its return type, appended
 * to out_result (may be NULL); INTERNAL = non-zero return, trap or a bad value; OUT_OF_ENERGY.
 * A transaction left open is aborted (out->message says so). Returns 0 when the module ran,
 * LC_ENOTFOUND / LC_EDECODE / LC_ENOTSUP (no __call_procedure__) otherwise. */
int host_module_call_procedure(host_module *m, u32 procedure_id, const host_caller *caller,
                               const u8 *args, size_t args_len, lc_buf *out_result,
                               host_outcome *out) LC_MUST_USE;

/* The row type of view `v` (the T of its Array<T> / Option<T> / {__query__: T} return
 * type), or NULL. */
const lc_type *host_view_row_type(const host_view_def *v);

/* Runs view `view_idx` (an index into def->views; spec-module-abi §4.9) inside `txn`, a
 * transaction the caller opened (a read transaction is enough: the view's writes trap).
 * sender: the subscriber (32 bytes) for a sender view, ignored for an anonymous one. On
 * out->kind == COMMITTED, out_rows gets the rows as a BSATN array (u32 count, then each row
 * of host_view_row_type), whichever of the result formats the module used (legacy value,
 * ViewResultHeader::RowData) — or, for ViewResultHeader::RawSql, out_sql gets the SQL text
 * (UTF-8, unterminated) and out_rows nothing (out_sql NULL: refused with a message) — and
 * the abi's read set
 * (host_abi read_tables / read_all) names the tables the call read. Returns 0 when the
 * module ran, LC_ENOTFOUND / LC_ENOTSUP (no such export) otherwise. */
int host_module_call_view(host_module *m, store_txn *txn, u32 view_idx, const u8 sender[32],
                          lc_buf *out_rows, lc_buf *out_sql, host_outcome *out) LC_MUST_USE;

#endif
