/*
 * host/schema.h — a decoded module description (host/moddef.h) turned into store DDL.
 *
 * Spec: spec-engine-semantics §5.1 (publish) and spec-module-abi §4.6 (init). At first
 * publish, in ONE write transaction: every table in name order (columns from the ref-free row
 * type, indexes with their canonical names, unique constraints, sequences, primary key), one
 * st_scheduled row per schedule table, then the st_module row. The caller runs `init` in the
 * same transaction and commits or rolls everything back.
 * Aliases (source / accessor names) are not stored: host/abi.c resolves them through the
 * moddef at lookup time, so table_id_from_name / index_id_from_name accept both.
 */
#ifndef LC_HOST_SCHEMA_H
#define LC_HOST_SCHEMA_H

#include "base/error.h"
#include "host/moddef.h"
#include "store/store.h"

/* Creates the module's tables, indexes, constraints, sequences and st_scheduled rows. */
int host_schema_create(store_txn *txn, const host_moddef *def, lc_errbuf *eb) LC_MUST_USE;
/* Creates one table with its st_scheduled row if it is a schedule table (used by migration
 * for added tables); *out_table_id may be NULL. */
int host_schema_create_table(store_txn *txn, const host_table_def *t, u32 *out_table_id,
                             lc_errbuf *eb) LC_MUST_USE;
/* Replaces the st_module row: identities, program kind 0 (wasm), blake3 hash, bytes. */
int host_schema_set_module(store_txn *txn, const u8 db_identity[32], const u8 owner[32],
                           const u8 *wasm, size_t len, lc_errbuf *eb) LC_MUST_USE;
/* Reads the stored module binary back from st_module (borrowed row bytes, valid like any
 * store row). LC_ENOTFOUND when the database has no module. */
int host_schema_get_module(store_txn *txn, const u8 **out_wasm, u32 *out_len,
                           u8 out_db_identity[32], u8 out_owner[32]) LC_MUST_USE;

#endif
