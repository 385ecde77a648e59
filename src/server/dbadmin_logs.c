/*
 * server/dbadmin_logs.c — GET /v1/database/:name/logs?num_lines=N[&follow=true] (owner only;
 * spec-client-protocol.md §3.3, spec-engine-semantics §5.6).
 *
 * Source: the module log FILE (<data_dir>/<name>/module.log and its previous generation
 * module.log.1, written by host/modlog.c, flushed per record), so the lines survive a
 * restart; an in-memory database reads the modlog ring instead. Each stored line
 *   {"seq":..,"ts":..,"level":<0..4|101>,"line":..,"target":..,"filename":..,"function":..,
 *    "message":..}
 * is re-emitted in the reference shape, absent fields left out:
 *   {"level":"Info","ts":..,"target":..,"filename":..,"line_number":..,"function":..,
 *    "message":..}
 * Content type application/x-ndjson, cache-control no-cache.
 *
 * Follow: the first reply is a chunked response with the last N lines (default 10) and
 * j->arg = the byte offset reached in module.log; the loop then submits a poll job
 * (request_id = 1) every DBADMIN_FOLLOW_MS with that offset, whose reply is one more chunk
 * (nothing when no new line). A file shorter than the offset was rotated: reading restarts
 * at 0. Only complete lines ('\n'-terminated) are sent. Reads are bounded: at most
 * LOGS_READ_MAX bytes per poll and per file.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "host/db.h"
#include "server/dbadmin.h"

#define LOGS_READ_MAX (32u << 20)

static const char *level_name(i64 l)
{
    switch (l) {
    case 0: return "Error";
    case 1: return "Warn";
    case 2: return "Info";
    case 3: return "Debug";
    case 4: return "Trace";
    case 101: return "Panic";
    default: return "Info";
    }
}

static void put_field(lc_buf *out, const char *key, const char *v)
{
    if (!v) return;
    lc_buf_put(out, ",\"", 2);
    lc_buf_put(out, key, strlen(key));
    lc_buf_put(out, "\":", 2);
    lc_json_put_string(out, v, strlen(v));
}

static void put_record(lc_buf *out, u8 level, i64 ts, i64 line, const char *target,
                       const char *file, const char *fn, const char *msg)
{
    char head[96];
    int n = snprintf(head, sizeof head, "{\"level\":\"%s\",\"ts\":%lld", level_name(level),
                     (long long)ts);
    lc_buf_put(out, head, (size_t)n);
    put_field(out, "target", target);
    put_field(out, "filename", file);
    if (line >= 0) {
        n = snprintf(head, sizeof head, ",\"line_number\":%lld", (long long)line);
        lc_buf_put(out, head, (size_t)n);
    }
    put_field(out, "function", fn);
    lc_buf_put(out, ",\"message\":", 11);
    lc_json_put_string(out, msg ? msg : "", msg ? strlen(msg) : 0);
    lc_buf_put(out, "}\n", 2);
}

/* One stored line -> one reference line (a malformed line is skipped). */
static void convert_line(const char *p, size_t n, lc_buf *out)
{
    json_error_t err;
    json_t *o = json_loadb(p, n, 0, &err);
    if (!json_is_object(o)) { json_decref(o); return; }
    json_t *line = json_object_get(o, "line");
    put_record(out, (u8)json_integer_value(json_object_get(o, "level")),
               json_integer_value(json_object_get(o, "ts")),
               json_is_integer(line) ? json_integer_value(line) : -1,
               json_string_value(json_object_get(o, "target")),
               json_string_value(json_object_get(o, "filename")),
               json_string_value(json_object_get(o, "function")),
               json_string_value(json_object_get(o, "message")));
    json_decref(o);
}

/* Reads path from offset `from` (whole complete lines, at most LOGS_READ_MAX) into buf;
 * *out_end = offset after the last complete line. Missing file: empty. */
static void read_from(const char *path, u64 from, lc_buf *buf, u64 *out_end)
{
    *out_end = from;
    FILE *f = fopen(path, "rb");
    if (!f) return;
    if (fseek(f, 0, SEEK_END) == 0) {
        long sz = ftell(f);
        if (sz >= 0 && (u64)sz < from) from = 0; /* rotated */
        *out_end = from;
        u64 want = sz > 0 && (u64)sz > from ? (u64)sz - from : 0;
        if (want > LOGS_READ_MAX) { from = (u64)sz - LOGS_READ_MAX; want = LOGS_READ_MAX; }
        u8 *d = want ? lc_buf_reserve(buf, want) : NULL;
        if (d && fseek(f, (long)from, SEEK_SET) == 0 && fread(d, 1, want, f) == want) {
            size_t keep = want;
            while (keep && d[keep - 1] != '\n') keep--;
            buf->len += keep;
            *out_end = from + keep;
        }
    }
    fclose(f);
}

/* Converts the last `max` lines of raw (or all when max is UINT64_MAX) into out. */
static void convert_tail(const lc_buf *raw, u64 max, lc_buf *out)
{
    const char *s = (const char *)raw->data, *e = s + raw->len, *p = e;
    u64 lines = 0;
    while (p > s && lines < max) { /* walk back over `max` lines */
        const char *q = p - 1; /* p - 1 is the '\n' ending a line */
        while (q > s && q[-1] != '\n') q--;
        p = q;
        lines++;
    }
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl) break;
        convert_line(p, (size_t)(nl - p), out);
        p = nl + 1;
    }
}

static void ring_tail(host_db *db, u64 n, lc_buf *out)
{
    const host_modlog_entry *es[HOST_MODLOG_RING];
    u32 k = host_modlog_read_last(host_db_modlog(db), n > HOST_MODLOG_RING ? HOST_MODLOG_RING
                                                                            : (u32)n, es);
    for (u32 i = 0; i < k; i++)
        put_record(out, es[i]->level, es[i]->ts_micros,
                   es[i]->line == 0xFFFFFFFFu ? -1 : (i64)es[i]->line, es[i]->target,
                   es[i]->filename, es[i]->function, es[i]->message);
}

static void put_chunk(lc_buf *out, const lc_buf *body)
{
    if (!body->len) return;
    char h[24];
    int n = snprintf(h, sizeof h, "%zx\r\n", body->len);
    lc_buf_put(out, h, (size_t)n);
    lc_buf_put(out, body->data, body->len);
    lc_buf_put(out, "\r\n", 2);
}

void dbadmin_logs(dbwork *w, dbjob *j, host_db *db)
{
    const char *dd = dbwork_data_dir(w);
    char path[4200], old[4210];
    snprintf(path, sizeof path, "%s/%s/module.log", dd ? dd : "", j->db);
    snprintf(old, sizeof old, "%s.1", path);
    lc_buf raw, body;
    lc_buf_init(&raw);
    lc_buf_init(&body);
    u64 end = 0, dummy;
    if (j->request_id == 1) { /* follow poll: only what follows the offset */
        read_from(path, j->arg, &raw, &end);
        convert_tail(&raw, UINT64_MAX, &body);
        j->arg = end;
        put_chunk(&j->out, &body);
        j->ok = true;
    } else {
        if (dd) {
            read_from(old, 0, &raw, &dummy);
            read_from(path, 0, &raw, &end);
            convert_tail(&raw, j->arg, &body);
        } else {
            ring_tail(db, j->arg, &body);
        }
        if (j->flag) {
            static const char head[] =
                "HTTP/1.1 200 OK\r\ncontent-type: application/x-ndjson\r\n"
                "cache-control: no-cache\r\ntransfer-encoding: chunked\r\n"
                "access-control-allow-origin: *\r\n\r\n";
            lc_buf_put(&j->out, head, sizeof head - 1);
            put_chunk(&j->out, &body);
            j->arg = end;
            j->ok = dd != NULL; /* follow needs the file */
        } else {
            net_http_header h = {"cache-control", 13, "no-cache", 8};
            net_http_write_response(&j->out, body.err ? 500 : 200, "application/x-ndjson",
                                    body.data, body.len, j->keep_alive, &h, 1);
            j->ok = true;
        }
    }
    lc_buf_deinit(&raw);
    lc_buf_deinit(&body);
}
