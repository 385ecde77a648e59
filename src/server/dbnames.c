/*
 * server/dbnames.c — the database names map (see dbnames.h for the design and file format).
 * A flat array of managed keys, each with its names: lookups scan it, which is cheap for the
 * few hundred databases one server holds (SERVER_DB_MAX) and happens only for names that are
 * not a database's key (the worker resolves keys first).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "server/dbnames.h"
#include "server/dbwork.h"

/* Managed keys one map holds (a key stays managed until its database is deleted). */
#define DBNAMES_KEYS_MAX 4096u

typedef struct dbnames_entry {
    char key[SERVER_DB_NAME_MAX + 1];
    u32 count;
    char names[DBNAMES_PER_DB_MAX][SERVER_DB_NAME_MAX + 1];
} dbnames_entry;

struct dbnames {
    char *path; /* <data_dir>/names, NULL in memory */
    dbnames_entry *e;
    u32 count, cap;
};

bool dbnames_is_hex_key(const char *s)
{
    size_t n = strlen(s);
    if (n != 64) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

static dbnames_entry *entry_of(const dbnames *n, const char *key)
{
    for (u32 i = 0; i < n->count; i++)
        if (strcmp(n->e[i].key, key) == 0) return &n->e[i];
    return NULL;
}

static int entry_get(dbnames *n, const char *key, dbnames_entry **out, lc_errbuf *eb)
{
    if ((*out = entry_of(n, key)) != NULL) return 0;
    if (n->count == DBNAMES_KEYS_MAX)
        return lc_errf(eb, LC_ELIMIT, "too many renamed databases (%u)", DBNAMES_KEYS_MAX);
    if (n->count == n->cap) {
        u32 cap = n->cap ? n->cap * 2 : 8;
        dbnames_entry *ne = lc_realloc(n->e, (size_t)cap * sizeof *ne);
        if (!ne) return lc_errf(eb, LC_ENOMEM, "out of memory");
        n->e = ne;
        n->cap = cap;
    }
    dbnames_entry *e = &n->e[n->count++];
    memset(e, 0, sizeof *e);
    snprintf(e->key, sizeof e->key, "%s", key);
    *out = e;
    return 0;
}

const char *dbnames_lookup(const dbnames *n, const char *name)
{
    for (u32 i = 0; i < n->count; i++)
        for (u32 k = 0; k < n->e[i].count; k++)
            if (strcmp(n->e[i].names[k], name) == 0) return n->e[i].key;
    return NULL;
}

bool dbnames_hidden(const dbnames *n, const char *key)
{
    const dbnames_entry *e = entry_of(n, key);
    if (!e) return false;
    for (u32 k = 0; k < e->count; k++)
        if (strcmp(e->names[k], key) == 0) return false;
    return true;
}

u32 dbnames_of(const dbnames *n, const char *key, const char **out, u32 max)
{
    const dbnames_entry *e = entry_of(n, key);
    if (!e) {
        if (dbnames_is_hex_key(key) || max == 0) return 0;
        out[0] = key;
        return 1;
    }
    u32 c = e->count < max ? e->count : max;
    for (u32 k = 0; k < c; k++) out[k] = e->names[k];
    return c;
}

/* Writes the whole map: temp file, fdatasync, rename over, fsync of the directory. */
static int save(const dbnames *n, lc_errbuf *eb)
{
    if (!n->path) return 0;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", n->path);
    FILE *f = fopen(tmp, "w");
    if (!f) return lc_errf(eb, LC_EIO, "cannot write %s: %s", tmp, strerror(errno));
    for (u32 i = 0; i < n->count; i++) {
        fputs(n->e[i].key, f);
        for (u32 k = 0; k < n->e[i].count; k++) fprintf(f, " %s", n->e[i].names[k]);
        fputc('\n', f);
    }
    bool ok = fflush(f) == 0 && fdatasync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, n->path) != 0) {
        unlink(tmp);
        return lc_errf(eb, LC_EIO, "cannot save %s: %s", n->path, strerror(errno));
    }
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", n->path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    return 0;
}

static bool name_ok(const char *s, size_t len)
{
    return dbwork_name_valid(s, len);
}

/* One line `key name ...` (NUL-terminated, no newline) into the map. */
static int parse_line(dbnames *n, char *line, u32 lineno, lc_errbuf *eb)
{
    char *save_ptr = NULL;
    char *tok = strtok_r(line, " ", &save_ptr);
    if (!tok) return 0; /* blank */
    if (!name_ok(tok, strlen(tok)) || entry_of(n, tok))
        return lc_errf(eb, LC_ECORRUPT, "%s line %u: bad or repeated key", n->path, lineno);
    dbnames_entry *e;
    int rc = entry_get(n, tok, &e, eb);
    if (rc) return rc;
    while ((tok = strtok_r(NULL, " ", &save_ptr)) != NULL) {
        if (!name_ok(tok, strlen(tok)) || e->count == DBNAMES_PER_DB_MAX || dbnames_lookup(n, tok))
            return lc_errf(eb, LC_ECORRUPT, "%s line %u: bad, repeated or too many names",
                           n->path, lineno);
        snprintf(e->names[e->count++], sizeof e->names[0], "%s", tok);
    }
    return 0;
}

static int load_file(dbnames *n, lc_errbuf *eb)
{
    FILE *f = fopen(n->path, "r");
    if (!f) return errno == ENOENT ? 0 : lc_errf(eb, LC_EIO, "cannot read %s", n->path);
    char *buf = lc_alloc(DBNAMES_FILE_MAX + 1);
    size_t len = buf ? fread(buf, 1, DBNAMES_FILE_MAX + 1, f) : 0;
    fclose(f);
    if (!buf) return lc_errf(eb, LC_ENOMEM, "out of memory");
    int rc = 0;
    if (len > DBNAMES_FILE_MAX)
        rc = lc_errf(eb, LC_ELIMIT, "%s is larger than %u bytes", n->path, DBNAMES_FILE_MAX);
    else if (len && buf[len - 1] != '\n')
        rc = lc_errf(eb, LC_ECORRUPT, "%s does not end with a newline", n->path);
    buf[len] = 0;
    if (!rc && memchr(buf, 0, len))
        rc = lc_errf(eb, LC_ECORRUPT, "%s contains a NUL byte", n->path);
    u32 lineno = 0;
    for (char *p = buf, *nl; !rc && (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
        *nl = 0;
        rc = parse_line(n, p, ++lineno, eb);
    }
    lc_free(buf);
    return rc;
}

int dbnames_load(const char *data_dir, dbnames **out, lc_errbuf *eb)
{
    dbnames *n = lc_calloc(1, sizeof *n);
    if (!n) return lc_errf(eb, LC_ENOMEM, "out of memory");
    if (data_dir) {
        size_t len = strlen(data_dir) + sizeof "/" DBNAMES_FILE;
        n->path = lc_alloc(len);
        if (!n->path) {
            lc_free(n);
            return lc_errf(eb, LC_ENOMEM, "out of memory");
        }
        snprintf(n->path, len, "%s/" DBNAMES_FILE, data_dir);
        int rc = load_file(n, eb);
        if (rc) {
            dbnames_free(n);
            return rc;
        }
    }
    *out = n;
    return 0;
}

void dbnames_free(dbnames *n)
{
    if (!n) return;
    lc_free(n->e);
    lc_free(n->path);
    lc_free(n);
}

int dbnames_set(dbnames *n, const char *key, const char *const *names, u32 count,
                lc_errbuf *eb)
{
    if (count > DBNAMES_PER_DB_MAX)
        return lc_errf(eb, LC_ELIMIT, "a database has at most %u names", DBNAMES_PER_DB_MAX);
    bool existed = entry_of(n, key) != NULL;
    dbnames_entry *e;
    int rc = entry_get(n, key, &e, eb);
    if (rc) return rc;
    dbnames_entry old = *e;
    e->count = 0;
    for (u32 i = 0; i < count; i++) {
        bool dup = false;
        for (u32 k = 0; k < e->count; k++) dup |= strcmp(e->names[k], names[i]) == 0;
        if (!dup) snprintf(e->names[e->count++], sizeof e->names[0], "%s", names[i]);
    }
    rc = save(n, eb);
    if (rc && existed) *e = old; /* memory keeps agreeing with the file */
    else if (rc) n->count--;
    return rc;
}

int dbnames_add(dbnames *n, const char *key, const char *name, lc_errbuf *eb)
{
    const char *cur[DBNAMES_PER_DB_MAX + 1];
    u32 c = dbnames_of(n, key, cur, DBNAMES_PER_DB_MAX);
    for (u32 k = 0; k < c; k++)
        if (strcmp(cur[k], name) == 0) return 0;
    if (c == DBNAMES_PER_DB_MAX)
        return lc_errf(eb, LC_ELIMIT, "a database has at most %u names", DBNAMES_PER_DB_MAX);
    char copy[DBNAMES_PER_DB_MAX + 1][SERVER_DB_NAME_MAX + 1];
    const char *list[DBNAMES_PER_DB_MAX + 1];
    for (u32 k = 0; k < c; k++) {
        snprintf(copy[k], sizeof copy[k], "%s", cur[k]); /* cur may point into the entry */
        list[k] = copy[k];
    }
    list[c] = name;
    return dbnames_set(n, key, list, c + 1, eb);
}

int dbnames_forget(dbnames *n, const char *key, lc_errbuf *eb)
{
    dbnames_entry *e = entry_of(n, key);
    if (!e) return 0;
    *e = n->e[--n->count];
    return save(n, eb);
}
