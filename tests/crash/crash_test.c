/*
 * tests/crash/crash_test.c — kill -9 the database at random moments; nothing durable is lost
 * and nothing half-applied appears.
 *
 * Workload (a real store with its commit log, clog_store_*): accounts(id u32 pk, balance i64)
 * with ACCOUNTS rows, and markers(k u64 pk, a u32, b u32, amount i64). Transaction k moves
 * `amount` from account a to account b AND inserts marker row k describing itself, so a
 * half-applied transaction breaks either the sum of balances or the marker/balance agreement.
 *
 * Each round:
 *   1. fork a child. It recovers the database from the directory (reporting START with its
 *      recovered next offset), then runs random transfers as fast as it can. Rounds vary the
 *      sync policy (BATCH, INTERVAL 5 ms, EVERY) and the segment size (16 KiB or 256 KiB). Before appending
 *      transaction k to the log it reports TX(offset, k, a, b, amount) on a pipe; the log's
 *      on_durable callback reports DURABLE(end). Every so often it requests a snapshot and
 *      reports SNAP (some rounds the parent kills right then: a kill during snapshot writing).
 *   2. the parent SIGKILLs it after a random delay (or right after a SNAP), drains the pipe.
 *   3. the parent recovers the directory in-process and checks:
 *        - recovered end R >= every DURABLE end reported (nothing acknowledged is lost);
 *        - R <= transactions reported (nothing invented);
 *        - the balances equal the model after exactly the transactions [0, R), the sum is
 *          intact, and the markers are exactly those of the transactions below R;
 *        - the next child's START equals R.
 * Output: "crash: N passed, N failed" (one per round). Env: LC_CRASH_ROUNDS (default 50),
 * LC_CRASH_SEED, LC_CRASH_DIR (default a mkdtemp under /tmp), LC_CRASH_KEEP=1 keeps the dir.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "clog/clog_store.h"

#define ACCOUNTS 64
#define INITIAL_BALANCE 1000
#define SETUP_TXS 2 /* offset 0: schema; offset 1: the accounts */

enum { MSG_START = 1, MSG_TX, MSG_DURABLE, MSG_SNAP };
typedef struct msg {
    u32 type, a, b, pad;
    u64 offset, k;
    i64 amount;
} msg;
_Static_assert(sizeof(msg) == 40, "pipe message is small and atomic");

typedef struct txrec {
    u32 a, b;
    i64 amount;
} txrec;

static u64 rng_state;
static u64 rng(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return rng_state >> 17;
}

static void die(const char *what, const lc_errbuf *eb, int rc)
{
    fprintf(stderr, "crash: %s: %s (%s)\n", what, eb ? eb->msg : "", lc_err_name(rc));
    exit(2);
}

/* ---- schema and rows ---- */

typedef struct ids {
    u32 acc_tid, acc_pk, mk_tid, mk_pk;
} ids;

static int lookup_ids(store *s, ids *out)
{
    store_txn t;
    store_read_begin(&t, s);
    int rc = store_table_id_from_name(&t, "accounts", 8, &out->acc_tid);
    if (!rc) rc = store_index_id_from_name(&t, "accounts_pk", 11, &out->acc_pk);
    if (!rc) rc = store_table_id_from_name(&t, "markers", 7, &out->mk_tid);
    if (!rc) rc = store_index_id_from_name(&t, "markers_pk", 10, &out->mk_pk);
    store_read_end(&t);
    return rc;
}

static int commit(clog_store_db *db, store_txn *t, lc_errbuf *eb)
{
    u64 off;
    bool logged;
    return clog_store_commit(db, t, NULL, &off, &logged, eb);
}

/* Offsets 0 (schema) and 1 (accounts), durable before the first round. */
static int setup(clog_store_db *db, lc_errbuf *eb)
{
    store_txn t;
    store_txn_begin(&t, db->s);
    u16 c0 = 0;
    store_column_def ac[] = {{"id", lc_type_prim(LC_T_U32)}, {"balance", lc_type_prim(LC_T_I64)}};
    store_index_def ai = {"accounts_pk", STORE_INDEX_BTREE, true, 1, &c0};
    store_table_def ad = {"accounts", true, 0, 2, ac, 1, &ai, 0, NULL};
    store_column_def mc[] = {{"k", lc_type_prim(LC_T_U64)}, {"a", lc_type_prim(LC_T_U32)},
                             {"b", lc_type_prim(LC_T_U32)}, {"amount", lc_type_prim(LC_T_I64)}};
    store_index_def mi = {"markers_pk", STORE_INDEX_BTREE, true, 1, &c0};
    store_table_def md = {"markers", true, 0, 4, mc, 1, &mi, 0, NULL};
    u32 tid;
    int rc = store_table_create(&t, &ad, &tid, eb);
    if (!rc) rc = store_table_create(&t, &md, &tid, eb);
    if (rc) {
        store_txn_abort(&t);
        return rc;
    }
    if ((rc = commit(db, &t, eb))) return rc;
    ids ids;
    if ((rc = lookup_ids(db->s, &ids))) return lc_errf(eb, rc, "tables not found after setup");
    store_txn_begin(&t, db->s);
    for (u32 i = 0; i < ACCOUNTS && !rc; i++) {
        u8 row[12];
        lc_store_u32(row, i);
        lc_store_u64(row + 4, INITIAL_BALANCE);
        rc = store_insert(&t, ids.acc_tid, row, sizeof row, NULL, NULL);
    }
    if (rc) {
        store_txn_abort(&t);
        return lc_errf(eb, rc, "inserting accounts");
    }
    if ((rc = commit(db, &t, eb))) return rc;
    return clog_wait_durable(db->log, SETUP_TXS - 1, -1);
}

static int get_row(store_txn *t, u32 index_id, const u8 *key, size_t key_len, u8 *out,
                   u32 want_len)
{
    store_iter it;
    int rc = store_index_point(t, index_id, key, key_len, &it);
    if (rc) return rc;
    const u8 *row;
    u32 len;
    if (!store_iter_next(&it, &row, &len)) rc = LC_ENOTFOUND;
    else if (len != want_len) rc = LC_ECORRUPT;
    else memcpy(out, row, len);
    store_iter_close(&it);
    return rc;
}

static int get_balance(store_txn *t, const ids *ids, u32 id, i64 *out)
{
    u8 key[4], row[12];
    lc_store_u32(key, id);
    int rc = get_row(t, ids->acc_pk, key, 4, row, 12);
    *out = rc ? 0 : (i64)lc_load_u64(row + 4);
    return rc;
}

/* Transaction `off`: move amount from a to b and insert marker row `off`. */
static int transfer(clog_store_db *db, const ids *ids, u64 off, const txrec *tx, lc_errbuf *eb)
{
    store_txn t;
    store_txn_begin(&t, db->s);
    i64 ba, bb;
    int rc = get_balance(&t, ids, tx->a, &ba);
    if (!rc) rc = get_balance(&t, ids, tx->b, &bb);
    u8 row[24];
    if (!rc) {
        lc_store_u32(row, tx->a);
        lc_store_u64(row + 4, (u64)(ba - tx->amount));
        rc = store_update(&t, ids->acc_pk, row, 12, NULL);
    }
    if (!rc) {
        lc_store_u32(row, tx->b);
        lc_store_u64(row + 4, (u64)(bb + tx->amount));
        rc = store_update(&t, ids->acc_pk, row, 12, NULL);
    }
    if (!rc) {
        lc_store_u64(row, off);
        lc_store_u32(row + 8, tx->a);
        lc_store_u32(row + 12, tx->b);
        lc_store_u64(row + 16, (u64)tx->amount);
        rc = store_insert(&t, ids->mk_tid, row, 24, NULL, NULL);
    }
    if (rc) {
        store_txn_abort(&t);
        return lc_errf(eb, rc, "transfer %llu: %s", (unsigned long long)off, lc_strerror(rc));
    }
    return commit(db, &t, eb);
}

/* ---- the child: runs until killed ---- */

static void send_msg(int fd, const msg *m)
{
    if (write(fd, m, sizeof *m) != (ssize_t)sizeof *m) _exit(3);
}

static void on_durable(void *ctx, u64 end)
{
    msg m = {.type = MSG_DURABLE, .offset = end};
    send_msg(*(int *)ctx, &m);
}

/* Varies by round: the sync policy (mostly BATCH, the default) and the segment size (small
 * ones make kills during rotation likely). */
static clog_options child_options(u64 round, int *fd_slot)
{
    static const clog_sync_policy pol[] = {CLOG_SYNC_BATCH, CLOG_SYNC_BATCH, CLOG_SYNC_INTERVAL,
                                           CLOG_SYNC_EVERY, CLOG_SYNC_BATCH};
    clog_options o = {.segment_size_max = round % 2 ? 16u << 10 : 256u << 10,
                      .policy = pol[round % LC_ARRAY_LEN(pol)], .interval_ms = 5,
                      .on_durable = on_durable, .on_durable_ctx = fd_slot};
    return o;
}

static _Noreturn void child_main(const char *dir, int fd, u64 seed, u64 round)
{
    rng_state = seed;
    lc_log_set_level(LC_LOG_ERROR);
    static int report_fd;
    report_fd = fd;
    clog_options o = child_options(round, &report_fd);
    clog_store_db db;
    lc_errbuf eb = {{0}};
    int rc = clog_store_open(dir, &o, &db, NULL, &eb);
    if (rc) die("child recovery", &eb, rc);
    ids ids;
    if ((rc = lookup_ids(db.s, &ids))) die("child lookup", NULL, rc);
    msg m = {.type = MSG_START, .offset = store_next_tx_offset(db.s)};
    send_msg(fd, &m);
    u64 snap_period = 200 + rng() % 800;
    for (;;) {
        if (rng() % snap_period == 0 && clog_store_snapshot(&db, &eb) == 0) {
            m = (msg){.type = MSG_SNAP, .offset = store_next_tx_offset(db.s)};
            send_msg(fd, &m);
        }
        txrec tx = {(u32)(rng() % ACCOUNTS), 0, (i64)(rng() % 100) + 1};
        tx.b = (tx.a + 1 + (u32)(rng() % (ACCOUNTS - 1))) % ACCOUNTS;
        u64 off = store_next_tx_offset(db.s);
        m = (msg){.type = MSG_TX, .a = tx.a, .b = tx.b, .offset = off, .amount = tx.amount};
        send_msg(fd, &m); /* before the append: the parent knows it before it can be durable */
        if ((rc = transfer(&db, &ids, off, &tx, &eb))) die("child transfer", &eb, rc);
    }
}

/* ---- the parent ---- */

typedef struct model {
    txrec *txs; /* indexed by offset; [0, SETUP_TXS) unused */
    u64 reported, cap;
    u64 durable_max;
} model;

static int model_put(model *md, u64 off, const txrec *tx)
{
    if (off != md->reported) return -1; /* offsets must be dense */
    if (off >= md->cap) {
        u64 nc = md->cap ? md->cap * 2 : 4096;
        txrec *n = lc_realloc(md->txs, nc * sizeof *n);
        if (!n) return -1;
        md->txs = n;
        md->cap = nc;
    }
    md->txs[off] = *tx;
    md->reported = off + 1;
    return 0;
}

static bool check_state(store *s, const model *md, u64 end, char *why, size_t cap)
{
    ids ids;
    if (lookup_ids(s, &ids)) return snprintf(why, cap, "tables missing"), false;
    i64 want[ACCOUNTS];
    for (int i = 0; i < ACCOUNTS; i++) want[i] = INITIAL_BALANCE;
    for (u64 o = SETUP_TXS; o < end; o++) {
        want[md->txs[o].a] -= md->txs[o].amount;
        want[md->txs[o].b] += md->txs[o].amount;
    }
    store_txn t;
    store_read_begin(&t, s);
    bool ok = true;
    i64 sum = 0;
    for (u32 i = 0; i < ACCOUNTS && ok; i++) {
        i64 got;
        if (get_balance(&t, &ids, i, &got) || got != want[i])
            ok = false, snprintf(why, cap, "account %u: %lld, model %lld", i, (long long)got,
                                 (long long)want[i]);
        sum += got;
    }
    if (ok && sum != (i64)ACCOUNTS * INITIAL_BALANCE)
        ok = false, snprintf(why, cap, "sum of balances %lld", (long long)sum);
    u64 count = 0;
    if (ok && (store_row_count(&t, ids.mk_tid, &count) || count != end - SETUP_TXS))
        ok = false, snprintf(why, cap, "%llu markers for end %llu", (unsigned long long)count,
                             (unsigned long long)end);
    for (u64 o = SETUP_TXS; o < end && ok; o++) {
        u8 key[8], row[24];
        lc_store_u64(key, o);
        if (get_row(&t, ids.mk_pk, key, 8, row, 24) || lc_load_u32(row + 8) != md->txs[o].a ||
            lc_load_u32(row + 12) != md->txs[o].b ||
            (i64)lc_load_u64(row + 16) != md->txs[o].amount)
            ok = false, snprintf(why, cap, "marker %llu missing or wrong", (unsigned long long)o);
    }
    store_read_end(&t);
    return ok;
}

/* Recovers in-process and checks; returns the recovered end or -1 with why filled. */
static long long recover_check(const char *dir, const model *md, char *why, size_t cap)
{
    clog_store_db db;
    lc_errbuf eb = {{0}};
    int rc = clog_store_open(dir, NULL, &db, NULL, &eb);
    if (rc) return snprintf(why, cap, "recovery failed: %.200s", eb.msg), -1;
    u64 end = store_next_tx_offset(db.s);
    long long res = (long long)end;
    if (end < md->durable_max)
        res = -1, snprintf(why, cap, "LOST durable transactions: recovered end %llu < durable %llu",
                           (unsigned long long)end, (unsigned long long)md->durable_max);
    else if (end > md->reported)
        res = -1, snprintf(why, cap, "recovered end %llu > reported %llu",
                           (unsigned long long)end, (unsigned long long)md->reported);
    else if (!check_state(db.s, md, end, why, cap))
        res = -1;
    if (clog_store_close(&db)) res = -1, snprintf(why, cap, "close failed");
    return res;
}

/* Handles one message; returns true when the parent should kill now (snapshot rounds). */
static bool handle_msg(const msg *m, model *md, u64 expect_start, bool kill_on_snap,
                       bool *started, u64 *start_ns, char *why, size_t cap)
{
    switch (m->type) {
    case MSG_START:
        if (m->offset != expect_start)
            snprintf(why, cap, "child started at %llu, parent recovered %llu",
                     (unsigned long long)m->offset, (unsigned long long)expect_start);
        *started = true;
        *start_ns = lc_now_ns();
        return false;
    case MSG_TX: {
        txrec tx = {m->a, m->b, m->amount};
        if (model_put(md, m->offset, &tx))
            snprintf(why, cap, "tx report out of order: %llu, expected %llu",
                     (unsigned long long)m->offset, (unsigned long long)md->reported);
        return false;
    }
    case MSG_DURABLE:
        if (m->offset > md->reported)
            snprintf(why, cap, "durable end %llu beyond reported %llu",
                     (unsigned long long)m->offset, (unsigned long long)md->reported);
        if (m->offset > md->durable_max) md->durable_max = m->offset;
        return false;
    case MSG_SNAP:
        return kill_on_snap;
    default:
        snprintf(why, cap, "bad message type %u", m->type);
        return false;
    }
}

/* One round: fork, let it run, kill it, drain the pipe. Returns 0 or -1 with why. */
static int run_child(const char *dir, model *md, u64 expect_start, u32 delay_ms,
                     bool kill_on_snap, u64 seed, u64 round, char *why, size_t cap)
{
    int p[2];
    if (pipe(p) != 0) return snprintf(why, cap, "pipe: %s", strerror(errno)), -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return snprintf(why, cap, "fork: %s", strerror(errno)), -1;
    if (pid == 0) {
        close(p[0]);
        child_main(dir, p[1], seed, round);
    }
    close(p[1]);
    bool started = false, killed = false;
    u64 start_ns = 0, fork_ns = lc_now_ns();
    msg m;
    size_t have = 0;
    for (;;) {
        if (!killed && started && lc_now_ns() - start_ns >= (u64)delay_ms * 1000000ull) {
            kill(pid, SIGKILL);
            killed = true;
        }
        if (!killed && !started && lc_now_ns() - fork_ns > 120ull * 1000000000ull) {
            snprintf(why, cap, "child did not start within 120 s (hung recovery?)");
            kill(pid, SIGKILL);
            killed = true;
        }
        struct pollfd pf = {p[0], POLLIN, 0};
        if (poll(&pf, 1, killed ? 1000 : 1) < 0 && errno != EINTR) break;
        if (!(pf.revents & (POLLIN | POLLHUP))) continue;
        ssize_t r = read(p[0], (u8 *)&m + have, sizeof m - have);
        if (r <= 0) break; /* EOF: the child is gone */
        have += (size_t)r;
        if (have < sizeof m) continue;
        have = 0;
        if (handle_msg(&m, md, expect_start, kill_on_snap, &started, &start_ns, why, cap) &&
            !killed) {
            kill(pid, SIGKILL);
            killed = true;
        }
    }
    close(p[0]);
    int status;
    waitpid(pid, &status, 0);
    if (!killed || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
        return snprintf(why, cap, "child ended by itself (status %d)", status), -1;
    return why[0] ? -1 : 0;
}

/* True when a snapshot was being written when the child died (a *.lcsnap.tmp is left). */
static bool has_unfinished_snapshot(const char *dir)
{
    DIR *d = opendir(dir);
    bool found = false;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        found |= strstr(e->d_name, ".lcsnap.tmp") != NULL;
    if (d) closedir(d);
    return found;
}

static u64 env_u64(const char *name, u64 dflt)
{
    const char *s = getenv(name);
    return s && *s ? strtoull(s, NULL, 0) : dflt;
}

int main(void)
{
    u64 rounds = env_u64("LC_CRASH_ROUNDS", 50);
    u64 seed = env_u64("LC_CRASH_SEED", (u64)time(NULL) ^ (u64)getpid());
    rng_state = seed;
    lc_log_set_level(LC_LOG_ERROR);
    char dir[256];
    const char *d = getenv("LC_CRASH_DIR");
    if (d && *d) snprintf(dir, sizeof dir, "%s", d);
    else {
        snprintf(dir, sizeof dir, "/tmp/lc_crash_XXXXXX");
        if (!mkdtemp(dir)) die("mkdtemp", NULL, LC_EIO);
    }
    printf("crash: seed=%llu rounds=%llu dir=%s\n", (unsigned long long)seed,
           (unsigned long long)rounds, dir);
    clog_store_db db;
    lc_errbuf eb = {{0}};
    int rc = clog_store_open(dir, NULL, &db, NULL, &eb);
    if (!rc && store_next_tx_offset(db.s) == 0) rc = setup(&db, &eb);
    if (rc) die("setup", &eb, rc);
    if (store_next_tx_offset(db.s) != SETUP_TXS) die("directory is not fresh", NULL, LC_EINVAL);
    if ((rc = clog_store_close(&db))) die("setup close", NULL, rc);

    model md = {.reported = SETUP_TXS, .durable_max = SETUP_TXS};
    u64 end = SETUP_TXS, passed = 0, failed = 0, snap_rounds = 0, torn_snaps = 0;
    u64 t0 = lc_now_ns();
    for (u64 r = 0; r < rounds; r++) {
        char why[256] = "";
        bool snap_kill = r % 4 == 3;
        snap_rounds += snap_kill;
        u32 delay = 1 + (u32)(rng() % 60);
        rc = run_child(dir, &md, end, delay, snap_kill, rng(), r, why, sizeof why);
        torn_snaps += !rc && has_unfinished_snapshot(dir);
        long long got = rc ? -1 : recover_check(dir, &md, why, sizeof why);
        if (got < 0) {
            failed++;
            printf("FAIL round %llu: %s\n", (unsigned long long)r, why);
            break; /* the model cannot continue past a failed round */
        }
        passed++;
        if (r % 10 == 0 || r + 1 == rounds)
            printf("round %llu: recovered end %llu (reported %llu, durable %llu)\n",
                   (unsigned long long)r, (unsigned long long)got,
                   (unsigned long long)md.reported, (unsigned long long)md.durable_max);
        end = (u64)got;
        md.reported = end; /* reported but not durable transactions are gone for good */
        md.durable_max = LC_MIN(md.durable_max, end);
    }
    printf("crash: %llu transactions survived; %llu rounds killed right after a snapshot "
           "request; %llu rounds died while writing a snapshot (a .tmp was left); %.1f s\n",
           (unsigned long long)end, (unsigned long long)snap_rounds,
           (unsigned long long)torn_snaps,
           (double)(lc_now_ns() - t0) / 1e9);
    lc_free(md.txs);
    if (!failed && !getenv("LC_CRASH_KEEP") && !(d && *d)) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "crash: could not remove %s\n", dir);
    }
    printf("crash: %llu passed, %llu failed\n", (unsigned long long)passed,
           (unsigned long long)failed);
    return failed ? 1 : 0;
}
