/*
 * host/sched.c — the scheduler's timer set (see sched.h).
 */
#include "host/sched.h"

#include <string.h>

#include "base/alloc.h"

void host_sched_init(host_sched *s) { memset(s, 0, sizeof *s); }
void host_sched_deinit(host_sched *s) { lc_free(s->v); memset(s, 0, sizeof *s); }

int host_sched_at_decode(const u8 *p, size_t len, i64 now, i64 *out_due, i64 *out_interval)
{
    if (len < 9 || p[0] > 1) return LC_EDECODE;
    i64 v = (i64)lc_load_u64(p + 1);
    i64 delay;
    if (p[0] == 0) {
        i64 d = v < 0 ? (v == INT64_MIN ? INT64_MAX : -v) : v;
        if (d == 0) d = 1; /* a zero period would spin */
        delay = d;
        *out_interval = d;
        *out_due = now > INT64_MAX - d ? INT64_MAX : now + d;
    } else {
        delay = v > now ? v - now : 0;
        *out_interval = 0;
        *out_due = v;
    }
    if (delay >= HOST_SCHED_DELAY_MAX_MICROS) return LC_ERANGE;
    return 0;
}

static i32 sched_find(const host_sched *s, u32 table_id, const u8 *key, size_t key_len)
{
    for (u32 i = 0; i < s->count; i++) {
        const host_timer_entry *e = &s->v[i];
        if (e->table_id == table_id && e->key_len == key_len && memcmp(e->key, key, key_len) == 0)
            return (i32)i;
    }
    return -1;
}

int host_sched_arm(host_sched *s, u32 table_id, const u8 *key, size_t key_len, i64 due,
                   i64 interval)
{
    if (key_len > HOST_SCHED_KEY_MAX) return LC_ELIMIT;
    i32 at = sched_find(s, table_id, key, key_len);
    if (at < 0) {
        if (s->count == s->cap) {
            u32 cap = s->cap ? s->cap * 2 : 16;
            host_timer_entry *n = lc_realloc(s->v, (size_t)cap * sizeof *n);
            if (!n) return LC_ENOMEM;
            s->v = n;
            s->cap = cap;
        }
        at = (i32)s->count++;
    }
    host_timer_entry *e = &s->v[at];
    e->table_id = table_id;
    e->key_len = (u8)key_len;
    memcpy(e->key, key, key_len);
    e->due = due;
    e->interval = interval;
    return 0;
}

void host_sched_cancel(host_sched *s, u32 table_id, const u8 *key, size_t key_len)
{
    i32 at = sched_find(s, table_id, key, key_len);
    if (at >= 0) s->v[at] = s->v[--s->count];
}

i64 host_sched_next_due(const host_sched *s)
{
    i64 best = INT64_MAX;
    for (u32 i = 0; i < s->count; i++)
        if (s->v[i].due < best) best = s->v[i].due;
    return best;
}

bool host_sched_pop_due(host_sched *s, i64 now, host_timer_entry *out)
{
    i32 best = -1;
    for (u32 i = 0; i < s->count; i++)
        if (s->v[i].due <= now && (best < 0 || s->v[i].due < s->v[best].due)) best = (i32)i;
    if (best < 0) return false;
    *out = s->v[best];
    s->v[best] = s->v[--s->count];
    return true;
}

i64 host_sched_next_tick(i64 due, i64 interval, i64 now)
{
    if (interval <= 0) return due;
    if (due > now) return due;
    i64 k = (now - due) / interval + 1;
    if (k > (INT64_MAX - due) / interval) return INT64_MAX;
    return due + k * interval;
}
