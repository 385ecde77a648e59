/*
 * sdk/c-module/spacetimedb_abi.h — the raw SpacetimeDB module ABI (imports) as C prototypes.
 *
 * Design: one prototype per host function of spacetime_10.0 .. 10.5 that the C SDK uses, with
 * the exact parameter list of spec-module-abi.md §1.7. Every pointer parameter is a C pointer:
 * built for wasm32 (`__wasm__`), a pointer IS the i32 linear-memory offset the host expects, so
 * the wasm signature is exactly (i32 ...) -> i32 as in §1.7.7; built natively (host-less tests),
 * the same prototypes are implemented in C by tests/sdk/fake_host.c, which then simply
 * dereferences native pointers. No translation layer is needed on either side.
 *
 * Return values: u16 errno codes (0 = ok, STDB_ERRNO_* below); the i16 functions
 * (row_iter_bsatn_advance, bytes_source_read) also return -1 = "exhausted". Declared as int32_t
 * because wasm passes them as i32 (§1.6); callers compare against the named constants.
 *
 * Only functions the SDK actually calls end up imported: wasm-ld drops unreferenced imports.
 * This header does not include anything from the Lightcone source tree (it is for guests).
 */
#ifndef STDB_ABI_H
#define STDB_ABI_H

#include <stdint.h>

#ifdef __wasm__
#define STDB_IMPORT(mod, name) __attribute__((import_module(mod), import_name(#name))) name
#else
#define STDB_IMPORT(mod, name) name
#endif

/* errno table, spec §1.5 */
#define STDB_ERRNO_HOST_CALL_FAILURE 1
#define STDB_ERRNO_NOT_IN_TRANSACTION 2
#define STDB_ERRNO_BSATN_DECODE_ERROR 3
#define STDB_ERRNO_NO_SUCH_TABLE 4
#define STDB_ERRNO_NO_SUCH_INDEX 5
#define STDB_ERRNO_NO_SUCH_ITER 6
#define STDB_ERRNO_NO_SUCH_CONSOLE_TIMER 7
#define STDB_ERRNO_NO_SUCH_BYTES 8
#define STDB_ERRNO_NO_SPACE 9
#define STDB_ERRNO_WRONG_INDEX_ALGO 10
#define STDB_ERRNO_BUFFER_TOO_SMALL 11
#define STDB_ERRNO_UNIQUE_ALREADY_EXISTS 12
#define STDB_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG 13
#define STDB_ERRNO_INDEX_NOT_UNIQUE 14
#define STDB_ERRNO_NO_SUCH_ROW 15
#define STDB_ERRNO_AUTO_INC_OVERFLOW 16
#define STDB_ERRNO_WOULD_BLOCK_TRANSACTION 17
#define STDB_ERRNO_HTTP_ERROR 21
#define STDB_EXHAUSTED (-1)

/* ---- spacetime_10.0 ---- */
int32_t STDB_IMPORT("spacetime_10.0", table_id_from_name)(const uint8_t *name, uint32_t name_len,
                                                          uint32_t *out_id);
int32_t STDB_IMPORT("spacetime_10.0", index_id_from_name)(const uint8_t *name, uint32_t name_len,
                                                          uint32_t *out_id);
int32_t STDB_IMPORT("spacetime_10.0", datastore_table_row_count)(uint32_t table_id,
                                                                 uint64_t *out_count);
int32_t STDB_IMPORT("spacetime_10.0", datastore_table_scan_bsatn)(uint32_t table_id,
                                                                  uint32_t *out_iter);
int32_t STDB_IMPORT("spacetime_10.0", datastore_index_scan_range_bsatn)(
    uint32_t index_id, const uint8_t *prefix, uint32_t prefix_len, uint32_t prefix_elems,
    const uint8_t *rstart, uint32_t rstart_len, const uint8_t *rend, uint32_t rend_len,
    uint32_t *out_iter);
int32_t STDB_IMPORT("spacetime_10.0", datastore_delete_by_index_scan_range_bsatn)(
    uint32_t index_id, const uint8_t *prefix, uint32_t prefix_len, uint32_t prefix_elems,
    const uint8_t *rstart, uint32_t rstart_len, const uint8_t *rend, uint32_t rend_len,
    uint32_t *out_count);
int32_t STDB_IMPORT("spacetime_10.0", datastore_delete_all_by_eq_bsatn)(uint32_t table_id,
                                                                        const uint8_t *rel,
                                                                        uint32_t rel_len,
                                                                        uint32_t *out_count);
int32_t STDB_IMPORT("spacetime_10.0", row_iter_bsatn_advance)(uint32_t iter, uint8_t *buf,
                                                              uint32_t *buf_len);
int32_t STDB_IMPORT("spacetime_10.0", row_iter_bsatn_close)(uint32_t iter);
int32_t STDB_IMPORT("spacetime_10.0", datastore_insert_bsatn)(uint32_t table_id, uint8_t *row,
                                                              uint32_t *row_len);
int32_t STDB_IMPORT("spacetime_10.0", datastore_update_bsatn)(uint32_t table_id,
                                                              uint32_t index_id, uint8_t *row,
                                                              uint32_t *row_len);
int32_t STDB_IMPORT("spacetime_10.0", bytes_sink_write)(uint32_t sink, const uint8_t *buf,
                                                        uint32_t *buf_len);
int32_t STDB_IMPORT("spacetime_10.0", bytes_source_read)(uint32_t source, uint8_t *buf,
                                                         uint32_t *buf_len);
void STDB_IMPORT("spacetime_10.0", console_log)(uint32_t level, const uint8_t *target,
                                                uint32_t target_len, const uint8_t *filename,
                                                uint32_t filename_len, uint32_t line_number,
                                                const uint8_t *message, uint32_t message_len);
void STDB_IMPORT("spacetime_10.0", identity)(uint8_t *out_identity32);

/* ---- spacetime_10.1 ---- */
int32_t STDB_IMPORT("spacetime_10.1", bytes_source_remaining_length)(uint32_t source,
                                                                     uint32_t *out_len);

/* ---- spacetime_10.3 (procedures only) ---- */
int32_t STDB_IMPORT("spacetime_10.3", procedure_start_mut_tx)(int64_t *out_timestamp);
int32_t STDB_IMPORT("spacetime_10.3", procedure_commit_mut_tx)(void);
int32_t STDB_IMPORT("spacetime_10.3", procedure_abort_mut_tx)(void);
int64_t STDB_IMPORT("spacetime_10.3", procedure_sleep_until)(int64_t wake_at_micros);
int32_t STDB_IMPORT("spacetime_10.3", procedure_http_request)(const uint8_t *request,
                                                              uint32_t request_len,
                                                              const uint8_t *body,
                                                              uint32_t body_len,
                                                              uint32_t *out_sources);

/* ---- spacetime_10.4 ---- */
int32_t STDB_IMPORT("spacetime_10.4", datastore_index_scan_point_bsatn)(uint32_t index_id,
                                                                        const uint8_t *point,
                                                                        uint32_t point_len,
                                                                        uint32_t *out_iter);
int32_t STDB_IMPORT("spacetime_10.4", datastore_delete_by_index_scan_point_bsatn)(
    uint32_t index_id, const uint8_t *point, uint32_t point_len, uint32_t *out_count);

/* ---- spacetime_10.5 ---- */
int32_t STDB_IMPORT("spacetime_10.5", datastore_clear)(uint32_t table_id, uint64_t *out_count);

/* ---- exports the host calls (spec §1.8), defined by spacetimedb.c ---- */
void __describe_module__(uint32_t sink);
int32_t __call_reducer__(uint32_t id, uint64_t sender_0, uint64_t sender_1, uint64_t sender_2,
                         uint64_t sender_3, uint64_t conn_id_0, uint64_t conn_id_1,
                         uint64_t timestamp, uint32_t args_source, uint32_t error_sink);
int32_t __call_view__(uint32_t id, uint64_t sender_0, uint64_t sender_1, uint64_t sender_2,
                      uint64_t sender_3, uint32_t args_source, uint32_t result_sink);
int32_t __call_view_anon__(uint32_t id, uint32_t args_source, uint32_t result_sink);
int32_t __call_procedure__(uint32_t id, uint64_t sender_0, uint64_t sender_1,
                           uint64_t sender_2, uint64_t sender_3, uint64_t conn_id_0,
                           uint64_t conn_id_1, uint64_t timestamp, uint32_t args_source,
                           uint32_t result_sink);

#endif /* STDB_ABI_H */
