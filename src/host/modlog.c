/*
 * host/modlog.c — module log ring + rotating JSON-lines file (see modlog.h).
 */
#include "host/modlog.h"

#include <string.h>

#include "base/alloc.h"
#include "value/value.h"

/* Copies bytes as NUL-terminated UTF-8, replacing each invalid byte with U+FFFD. */
static char *modlog_lossy(const char *s, size_t n)
{
    if (!s) return NULL;
    if (n > HOST_MODLOG_MSG_MAX) n = HOST_MODLOG_MSG_MAX;
    char *out = lc_alloc(n * 3 + 1);
    if (!out) return NULL;
    size_t o = 0, i = 0;
    while (i < n) {
        size_t k = 1;
        u8 c = (u8)s[i];
        if (c >= 0xF0) k = 4; else if (c >= 0xE0) k = 3; else if (c >= 0xC0) k = 2;
        if (i + k <= n && lc_utf8_valid(s + i, k) && c != 0) {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i += 1;
        }
    }
    out[o] = 0;
    return out;
}

static void modlog_entry_free(host_modlog_entry *e)
{
    lc_free(e->target);
    lc_free(e->filename);
    lc_free(e->function);
    lc_free(e->message);
    memset(e, 0, sizeof *e);
}

int host_modlog_open(host_modlog *l, const char *dir, u64 file_max, lc_errbuf *eb)
{
    memset(l, 0, sizeof *l);
    l->next_seq = 1;
    l->file_max = file_max ? file_max : HOST_MODLOG_FILE_MAX_DEFAULT;
    if (!dir) return 0;
    int n = snprintf(l->path, sizeof l->path, "%s/module.log", dir);
    if (n < 0 || (size_t)n >= sizeof l->path) return lc_errf(eb, LC_EINVAL, "path too long");
    l->file = fopen(l->path, "ab");
    if (!l->file) return lc_errf(eb, LC_EIO, "cannot open %s", l->path);
    long sz = ftell(l->file);
    l->file_bytes = sz > 0 ? (u64)sz : 0;
    return 0;
}

void host_modlog_close(host_modlog *l)
{
    for (u32 i = 0; i < HOST_MODLOG_RING; i++) modlog_entry_free(&l->ring[i]);
    if (l->file) fclose(l->file);
    l->file = NULL;
}

static void modlog_rotate(host_modlog *l)
{
    char old[520];
    snprintf(old, sizeof old, "%s.1", l->path);
    fclose(l->file);
    rename(l->path, old);
    l->file = fopen(l->path, "ab");
    l->file_bytes = 0;
}

static void modlog_write_file(host_modlog *l, const host_modlog_entry *e)
{
    if (!l->file) return;
    lc_buf b;
    lc_buf_init(&b);
    char head[96];
    int n = snprintf(head, sizeof head, "{\"seq\":%llu,\"ts\":%lld,\"level\":%u,\"line\":",
                     (unsigned long long)e->seq, (long long)e->ts_micros, e->level);
    lc_buf_put(&b, head, (size_t)n);
    if (e->line == 0xFFFFFFFFu) lc_buf_put(&b, "null", 4);
    else { n = snprintf(head, sizeof head, "%u", e->line); lc_buf_put(&b, head, (size_t)n); }
    const char *keys[4] = {"target", "filename", "function", "message"};
    const char *vals[4] = {e->target, e->filename, e->function, e->message};
    for (int i = 0; i < 4; i++) {
        lc_buf_put(&b, ",\"", 2);
        lc_buf_put(&b, keys[i], strlen(keys[i]));
        lc_buf_put(&b, "\":", 2);
        if (vals[i]) lc_json_put_string(&b, vals[i], strlen(vals[i]));
        else lc_buf_put(&b, "null", 4);
    }
    lc_buf_put(&b, "}\n", 2);
    if (!b.err && fwrite(b.data, 1, b.len, l->file) == b.len) {
        fflush(l->file);
        l->file_bytes += b.len;
    }
    lc_buf_deinit(&b);
    if (l->file_bytes >= l->file_max) modlog_rotate(l);
}

void host_modlog_append(void *user, const host_log_record *rec)
{
    host_modlog *l = user;
    host_modlog_entry *e = &l->ring[l->next_seq % HOST_MODLOG_RING];
    modlog_entry_free(e);
    e->seq = l->next_seq++;
    e->ts_micros = rec->ts_micros;
    e->level = rec->level;
    e->line = rec->line;
    e->target = modlog_lossy(rec->target, rec->target_len);
    e->filename = modlog_lossy(rec->filename, rec->filename_len);
    e->function = modlog_lossy(rec->function, rec->function ? strlen(rec->function) : 0);
    e->message = modlog_lossy(rec->message, rec->message_len);
    if (!e->message) e->message = modlog_lossy("", 0);
    modlog_write_file(l, e);
}

u32 host_modlog_read_since(const host_modlog *l, u64 after_seq, const host_modlog_entry **out,
                           u32 max)
{
    u64 oldest = l->next_seq > HOST_MODLOG_RING ? l->next_seq - HOST_MODLOG_RING : 1;
    u64 s = after_seq + 1 > oldest ? after_seq + 1 : oldest;
    u32 n = 0;
    for (; s < l->next_seq && n < max; s++) out[n++] = &l->ring[s % HOST_MODLOG_RING];
    return n;
}

u32 host_modlog_read_last(const host_modlog *l, u32 n, const host_modlog_entry **out)
{
    u64 last = l->next_seq - 1;
    u64 after = last > n ? last - n : 0;
    return host_modlog_read_since(l, after, out, n);
}
