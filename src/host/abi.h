/*
 * host/abi.h — the 30 `spacetime_10.x` imports (spec-module-abi.md §1.7) over store/ and the
 * per-call handle tables they use.
 *
 * Design. One host_abi per module instance lane (one thread at a time). It holds the "slot"
 * of §4.2 — the store transaction the current export call runs in (NULL = NOT_IN_TRANSACTION)
 * — and the handle tables of §1.4:
 *   - BytesSource: small array, handle = index + 1, data BORROWED from the caller (args) or
 *     owned (get_jwt); all dropped and the counter reset by host_abi_call_end.
 *   - BytesSink: array of lc_buf, same lifetime; the buffers are kept for reuse.
 *   - RowIter: slab, handle = slot + 1; the result is materialised at creation (the
 *     reference host's snapshot semantics) into a reusable buffer with chunk boundaries, and
 *     handed out whole chunks at a time (BUFFER_TOO_SMALL protocol). Not cleared per call.
 *   - console timers: slab, handle = slot + 1.
 * Error-vs-trap policy (§1.5): NULL / out-of-bounds / bad UTF-8 in names trap; datastore
 * errors with an errno mapping are returned; other internal errors trap.
 * Names: table_id_from_name and index_id_from_name accept canonical names and the module's
 * aliases (source / accessor names) through the decoded module description, when one is set.
 */
#ifndef LC_HOST_ABI_H
#define LC_HOST_ABI_H

#include "base/buf.h"
#include "base/error.h"
#include "base/types.h"
#include "host/moddef.h"
#include "store/store.h"
#include "wasm/wasm.h"

/* §1.5 errno codes. */
enum {
    HOST_ERRNO_HOST_CALL_FAILURE = 1,
    HOST_ERRNO_NOT_IN_TRANSACTION = 2,
    HOST_ERRNO_BSATN_DECODE_ERROR = 3,
    HOST_ERRNO_NO_SUCH_TABLE = 4,
    HOST_ERRNO_NO_SUCH_INDEX = 5,
    HOST_ERRNO_NO_SUCH_ITER = 6,
    HOST_ERRNO_NO_SUCH_CONSOLE_TIMER = 7,
    HOST_ERRNO_NO_SUCH_BYTES = 8,
    HOST_ERRNO_NO_SPACE = 9,
    HOST_ERRNO_WRONG_INDEX_ALGO = 10,
    HOST_ERRNO_BUFFER_TOO_SMALL = 11,
    HOST_ERRNO_UNIQUE_ALREADY_EXISTS = 12,
    HOST_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG = 13,
    HOST_ERRNO_INDEX_NOT_UNIQUE = 14,
    HOST_ERRNO_NO_SUCH_ROW = 15,
    HOST_ERRNO_AUTO_INC_OVERFLOW = 16,
    HOST_ERRNO_WOULD_BLOCK_TRANSACTION = 17,
    HOST_ERRNO_TRANSACTION_NOT_ANONYMOUS = 18,
    HOST_ERRNO_HTTP_ERROR = 21,
};

/* Levels of console_log (§1.7.1). */
enum {
    HOST_LOG_ERROR = 0,
    HOST_LOG_WARN = 1,
    HOST_LOG_INFO = 2,
    HOST_LOG_DEBUG = 3,
    HOST_LOG_TRACE = 4,
    HOST_LOG_PANIC = 101,
};

/* One module log record as the imports see it (strings borrowed for the callback). */
typedef struct host_log_record {
    i64 ts_micros;
    u8 level;
    const char *target; u32 target_len;     /* NULL: absent */
    const char *filename; u32 filename_len; /* NULL: absent */
    u32 line;                               /* 0xFFFFFFFF: absent */
    const char *function;                   /* reducer being run, or "__spacetimedb__" */
    const char *message; u32 message_len;
} host_log_record;

typedef void (*host_log_fn)(void *user, const host_log_record *rec);
/* Called for every row inserted into / updated in a schedule table (scheduler hook). Returns
 * 0 or HOST_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG. */
typedef int (*host_sched_fn)(void *user, u32 table_id, const u8 *row, size_t len);

/* Procedure transactions (procedure_start_mut_tx / _commit / _abort, §1.7.4): the embedder
 * (host/db.c) begins a write transaction and returns it in *io_txn with its timestamp in
 * *out_ts (BEGIN), commits it — logging and arming timers — (COMMIT), or rolls it back
 * (ABORT). 0 or a negative LC_E*. */
enum { HOST_PROC_TX_BEGIN = 1, HOST_PROC_TX_COMMIT, HOST_PROC_TX_ABORT };
typedef int (*host_proc_tx_fn)(void *user, int op, store_txn **io_txn, i64 *out_ts);

typedef struct host_source {
    const u8 *p;
    u32 len, pos;
    bool live;
    lc_buf own; /* backing store for host-made sources (get_jwt) */
} host_source;

typedef struct host_row_iter {
    bool live;
    lc_buf data;   /* rows back to back */
    u32 *chunk_end; /* chunk boundaries (offsets into data) */
    u32 chunk_count, chunk_cap, next_chunk;
} host_row_iter;

typedef struct host_timer {
    bool live;
    u64 start_ns;
    char name[64];
} host_timer;

#define HOST_SOURCES_MAX 16
#define HOST_SINKS_MAX 8
#define HOST_ITERS_MAX 64
#define HOST_TIMERS_MAX 32
#define HOST_ROW_ITER_CHUNK (32u * 1024u)

/* Distinct tables one view call's read set names before it counts as "every table". */
#define HOST_VIEW_READS_MAX 16u

typedef struct host_abi {
    store_txn *txn;             /* slot of §4.2; NULL outside a transaction */
    const host_moddef *def;     /* for alias lookups; may be NULL */
    const char *func_name;      /* tags log records */
    u8 db_identity[32];
    host_log_fn log_fn; void *log_user;
    host_sched_fn sched_fn; void *sched_user;
    u32 source_count, sink_count;
    host_source sources[HOST_SOURCES_MAX];
    lc_buf sinks[HOST_SINKS_MAX];
    host_row_iter iters[HOST_ITERS_MAX];
    host_timer timers[HOST_TIMERS_MAX];
    lc_buf gen;                 /* generated column values (insert/update write-back) */
    lc_buf immediate;           /* volatile_nonatomic_schedule_immediate queue (see abi.c) */
    /* the running call's caller (get_jwt's fallback): borrowed for the call */
    host_proc_tx_fn proc_tx_fn; void *proc_tx_user;
    bool in_procedure;          /* a __call_procedure__ is running */
    bool proc_tx_open;          /* txn was opened by procedure_start_mut_tx */
    bool http_allow_private;    /* procedure_http_request may reach private addresses */
    /* a view is running (host_module_call_view): writes trap; the tables it reads are noted */
    bool read_only;
    bool read_all;              /* read more distinct tables than read_tables holds */
    u32 read_count;
    u32 read_tables[HOST_VIEW_READS_MAX];
    u8 caller_conn[16];
    const u8 *caller_jwt;
    u32 caller_jwt_len;
    char name_buf[256];
} host_abi;

void host_abi_init(host_abi *abi);
void host_abi_deinit(host_abi *abi);

/* Defines all 30 imports under their spacetime_10.x module names, user_data = abi. */
int host_abi_link(host_abi *abi, lc_wasm_linker *linker) LC_MUST_USE;
/* ABI version of a compiled module (§1.2): 0 and *out_minor, or LC_EINVALID with a message
 * (no spacetime_ import, two majors, unparsable, major != 10, minor > 5, non-function or
 * non-spacetime import, unknown function name). */
int host_abi_check_imports(const lc_wasm_module *m, u32 *out_minor, lc_errbuf *eb) LC_MUST_USE;

/* Per top-level call: a BytesSource over borrowed bytes (0 when len == 0) and a fresh sink. */
u32 host_abi_source_new(host_abi *abi, const u8 *p, size_t len);
u32 host_abi_sink_new(host_abi *abi);
/* The sink's bytes (borrowed until host_abi_call_end). */
const lc_buf *host_abi_sink(const host_abi *abi, u32 sink);
/* Drops every source and sink and resets both counters to 1. */
void host_abi_call_end(host_abi *abi);
/* Drops every row iterator and timer (a replacement instance starts with none). */
void host_abi_iters_reset(host_abi *abi);

#endif
