/*
 * server/dbnames.h — the names of a server's databases (spec-client-protocol.md §3: names of
 * `/v1/database/:name_or_identity`, `GET|POST|PUT .../names`).
 *
 * Design: a database lives in <data_dir>/<key>. The key is the name it was first published
 * under (the layout every earlier data dir has) or, for a database published without a name
 * (or whose first name was already a hidden key), its identity in hex. Until its names are
 * changed a database has one implicit name, its key (none for a hex key). Changing them
 * (add or replace) makes the key "managed": its names are then exactly the listed ones, and
 * a managed key that is not among its own names no longer resolves as a name (it still
 * names the directory). Only managed keys are stored, in <data_dir>/DBNAMES_FILE, one line
 * per key: `key name name ...`, rewritten whole (temp file, fdatasync, rename, directory fsync) on
 * every change, so a crash leaves the old or the new list. The file is untrusted on load:
 * bounded, every token validated; a damaged file stops the server with the line number
 * rather than losing names. Without a data dir the map lives in memory only.
 * Worker thread only (dbwork.c).
 */
#ifndef LC_SERVER_DBNAMES_H
#define LC_SERVER_DBNAMES_H

#include "base/error.h"
#include "base/types.h"

/* Names one database may have, and the size of the names file. */
#define DBNAMES_PER_DB_MAX 16
#define DBNAMES_FILE_MAX (1u << 20)
/* The file in the data dir ('.' is not allowed in a database name, so it never collides). */
#define DBNAMES_FILE "db-names.txt"

typedef struct dbnames dbnames;

/* Loads <data_dir>/DBNAMES_FILE (absent = no managed key); data_dir NULL = in memory. */
int dbnames_load(const char *data_dir, dbnames **out, lc_errbuf *eb) LC_MUST_USE;
void dbnames_free(dbnames *n);
/* The key whose names include `name`, or NULL. */
const char *dbnames_lookup(const dbnames *n, const char *name);
/* Whether `key` is managed and not among its own names (so it is no name any more). */
bool dbnames_hidden(const dbnames *n, const char *key);
/* The names of `key` (at most max): listed ones if managed, else the key itself unless it is
 * a 64-hex identity. */
u32 dbnames_of(const dbnames *n, const char *key, const char **out, u32 max);
/* Replaces the names of `key` (count may be 0) and saves. The caller checked each name is
 * valid and free (dbnames_lookup NULL or key itself). */
int dbnames_set(dbnames *n, const char *key, const char *const *names, u32 count,
                lc_errbuf *eb) LC_MUST_USE;
/* Adds one name to `key`'s (its implicit name kept) and saves; LC_ELIMIT past the bound. */
int dbnames_add(dbnames *n, const char *key, const char *name, lc_errbuf *eb) LC_MUST_USE;
/* The database was deleted: its key and names go (saved). */
int dbnames_forget(dbnames *n, const char *key, lc_errbuf *eb) LC_MUST_USE;
/* A 64-character hex string (a key made from an identity). */
bool dbnames_is_hex_key(const char *s);

#endif
