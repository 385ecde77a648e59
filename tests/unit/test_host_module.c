/*
 * tests/unit/test_host_module.c — host/module + host/abi + host/schema on the example
 * modules: load (ABI and export checks), tables created as declared, reducer effects read back
 * through the store, user errors and traps roll back (trap replaces the instance), fuel
 * exhaustion, unique violations, sequences, refused imports.
 */
#include "harness.h"
#include "host/host_test_util.h"
#include "host/module.h"
#include "host/schema.h"

typedef struct fixture {
    store *s;
    host_module *m;
    u8 *wasm;
    size_t len;
} fixture;

static bool fx_open(fixture *fx, const char *name, u64 fuel)
{
    memset(fx, 0, sizeof *fx);
    fx->wasm = host_test_wasm(name, &fx->len);
    if (!fx->wasm) return false;
    lc_errbuf eb = {{0}};
    host_module_opts o = {fuel, 0};
    if (host_module_load(fx->wasm, fx->len, &o, &fx->m, &eb) != 0) {
        fprintf(stderr, "load %s: %s\n", name, eb.msg);
        return false;
    }
    if (store_create(&fx->s) != 0) return false;
    store_txn t;
    store_txn_begin(&t, fx->s);
    if (host_schema_create(&t, host_module_def(fx->m), &eb) != 0) {
        fprintf(stderr, "schema: %s\n", eb.msg);
        store_txn_abort(&t);
        return false;
    }
    return store_txn_commit(&t, NULL) == 0;
}

static void fx_close(fixture *fx)
{
    host_module_destroy(fx->m);
    if (fx->s) store_destroy(fx->s);
    lc_free(fx->wasm);
}

/* Runs reducer `name` in its own transaction, commits on success; returns the outcome kind. */
static int fx_call(fixture *fx, const char *name, const lc_buf *args, host_outcome *out)
{
    i32 id = host_moddef_reducer_id(host_module_def(fx->m), name, strlen(name));
    if (id < 0) return -100;
    host_caller c = {{0}, {0}, 1700000000000000, NULL, 0};
    c.identity[0] = 7;
    store_txn t;
    store_txn_begin(&t, fx->s);
    int rc = host_module_call_reducer(fx->m, &t, (u32)id, &c, args ? args->data : NULL,
                                      args ? args->len : 0, out);
    if (rc == 0 && out->kind == HOST_OUTCOME_COMMITTED) {
        if (store_txn_commit(&t, NULL) != 0) return -101;
    } else {
        store_txn_abort(&t);
    }
    return rc ? rc : out->kind;
}

static u64 fx_count(fixture *fx, const char *table)
{
    store_txn t;
    store_read_begin(&t, fx->s);
    u32 id = 0;
    u64 n = UINT64_MAX;
    if (store_table_id_from_name(&t, table, strlen(table), &id) == 0 &&
        store_row_count(&t, id, &n) != 0)
        n = UINT64_MAX;
    store_read_end(&t);
    return n;
}

/* balance of account `id` in keynote-bank, or INT64_MIN. */
static i64 bank_balance(fixture *fx, u32 acct)
{
    store_txn t;
    store_read_begin(&t, fx->s);
    u32 ix = 0;
    i64 bal = INT64_MIN;
    const char *n = "accounts_id_idx_btree";
    store_iter it;
    if (store_index_id_from_name(&t, n, strlen(n), &ix) == 0 &&
        store_index_point(&t, ix, (const u8 *)&acct, 4, &it) == 0) {
        const u8 *row;
        u32 len;
        if (store_iter_next(&it, &row, &len) && len == 12) bal = (i64)lc_load_u64(row + 4);
        store_iter_close(&it);
    }
    store_read_end(&t);
    return bal;
}

static void bank_args3(lc_buf *b, u32 from, u32 to, i64 amount)
{
    lc_buf_reset(b);
    lc_buf_put_u32(b, from);
    lc_buf_put_u32(b, to);
    lc_buf_put_u64(b, (u64)amount);
}

TEST(host_module_keynote_transfer)
{
    fixture fx;
    if (!fx_open(&fx, "keynote-bank", 0)) { CHECK(false); fx_close(&fx); return; }
    CHECK_EQ(host_module_abi_minor(fx.m) <= 5, true);
    CHECK_EQ(fx_count(&fx, "accounts"), 0);
    lc_buf a;
    lc_buf_init(&a);
    lc_buf_put_u32(&a, 10);
    lc_buf_put_u64(&a, 1000);
    host_outcome o;
    CHECK_EQ(fx_call(&fx, "seed", &a, &o), HOST_OUTCOME_COMMITTED);
    CHECK_EQ(fx_count(&fx, "accounts"), 10);
    bank_args3(&a, 1, 2, 300);
    CHECK_EQ(fx_call(&fx, "transfer", &a, &o), HOST_OUTCOME_COMMITTED);
    CHECK_EQ(bank_balance(&fx, 1), 700);
    CHECK_EQ(bank_balance(&fx, 2), 1300);
    bank_args3(&a, 1, 1, 5);
    CHECK_EQ(fx_call(&fx, "transfer", &a, &o), HOST_OUTCOME_USER_ERROR);
    CHECK_STR(o.message, "same_account");
    bank_args3(&a, 1, 2, 5000);
    CHECK_EQ(fx_call(&fx, "transfer", &a, &o), HOST_OUTCOME_USER_ERROR);
    CHECK_STR(o.message, "insufficient_funds");
    bank_args3(&a, 1, 99, 5);
    CHECK_EQ(fx_call(&fx, "transfer", &a, &o), HOST_OUTCOME_USER_ERROR);
    CHECK_STR(o.message, "account_missing");
    CHECK_EQ(bank_balance(&fx, 1), 700);
    /* bad arguments: rejected before the module runs */
    lc_buf_reset(&a);
    lc_buf_put_u32(&a, 1);
    CHECK_EQ(fx_call(&fx, "transfer", &a, &o), LC_EDECODE);
    CHECK_EQ(host_module_instances_created(fx.m), 1);
    lc_buf_deinit(&a);
    fx_close(&fx);
}

static void str_args(lc_buf *b, const char *s)
{
    lc_buf_reset(b);
    host_test_put_str(b, s);
}

TEST(host_module_errors_traps_fuel)
{
    fixture fx;
    if (!fx_open(&fx, "hosttest", 2000000)) { CHECK(false); fx_close(&fx); return; }
    lc_buf a;
    lc_buf_init(&a);
    host_outcome o;
    str_args(&a, "apple");
    lc_buf_put_u32(&a, 3);
    CHECK_EQ(fx_call(&fx, "add", &a, &o), HOST_OUTCOME_COMMITTED);
    str_args(&a, "pear");
    lc_buf_put_u32(&a, 4);
    CHECK_EQ(fx_call(&fx, "add", &a, &o), HOST_OUTCOME_COMMITTED);
    CHECK_EQ(fx_count(&fx, "item"), 2);
    /* the imports' errno codes and BUFFER_TOO_SMALL protocol, probed from inside the module */
    CHECK_EQ(fx_call(&fx, "abi_probe", NULL, &o), HOST_OUTCOME_COMMITTED);
    if (o.kind != HOST_OUTCOME_COMMITTED) fprintf(stderr, "abi_probe: %s\n", o.message);
    CHECK_EQ(fx_call(&fx, "null_name", NULL, &o), HOST_OUTCOME_INTERNAL);
    CHECK(strstr(o.message, "null") != NULL);
    CHECK_EQ(host_module_instances_created(fx.m), 1); /* replaced lazily, at the next call */
    /* unique violation reported to the module as UNIQUE_ALREADY_EXISTS */
    str_args(&a, "apple");
    lc_buf_put_u32(&a, 9);
    CHECK_EQ(fx_call(&fx, "add", &a, &o), HOST_OUTCOME_USER_ERROR);
    CHECK_STR(o.message, "duplicate name");
    /* user error after a write: rolled back, message kept */
    str_args(&a, "kiwi");
    CHECK_EQ(fx_call(&fx, "add_then_fail", &a, &o), HOST_OUTCOME_USER_ERROR);
    CHECK_STR(o.message, "failing on purpose after inserting kiwi");
    CHECK_EQ(fx_count(&fx, "item"), 2);
    /* module global survives normal calls */
    CHECK_EQ(fx_call(&fx, "count_calls", NULL, &o), HOST_OUTCOME_COMMITTED);
    CHECK_EQ(host_module_instances_created(fx.m), 2);
    /* trap: rolled back, instance replaced, host alive */
    CHECK_EQ(fx_call(&fx, "add_then_trap", &a, &o), HOST_OUTCOME_INTERNAL);
    CHECK(strstr(o.message, "fatal error") != NULL);
    CHECK_EQ(fx_count(&fx, "item"), 2);
    CHECK_EQ(fx_call(&fx, "count_calls", NULL, &o), HOST_OUTCOME_COMMITTED);
    CHECK_EQ(host_module_instances_created(fx.m), 3);
    /* the fresh instance counts from 1 again: ("calls", 1) twice is one row (set semantics) */
    CHECK_EQ(fx_count(&fx, "event"), 1);
    /* runaway loop: out of energy */
    CHECK_EQ(fx_call(&fx, "spin", NULL, &o), HOST_OUTCOME_OUT_OF_ENERGY);
    CHECK_EQ(host_module_instances_created(fx.m), 3);
    str_args(&a, "plum");
    lc_buf_put_u32(&a, 1);
    CHECK_EQ(fx_call(&fx, "add", &a, &o), HOST_OUTCOME_COMMITTED);
    CHECK_EQ(host_module_instances_created(fx.m), 4);
    lc_buf_deinit(&a);
    fx_close(&fx);
}

TEST(host_module_sequence_and_aliases)
{
    fixture fx;
    if (!fx_open(&fx, "hosttest", 0)) { CHECK(false); fx_close(&fx); return; }
    lc_buf a;
    lc_buf_init(&a);
    host_outcome o;
    const char *names[3] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        str_args(&a, names[i]);
        lc_buf_put_u32(&a, (u32)i);
        CHECK_EQ(fx_call(&fx, "add", &a, &o), HOST_OUTCOME_COMMITTED);
    }
    /* ids 1, 2, 3 from the sequence, read through the unique name index */
    store_txn t;
    store_read_begin(&t, fx.s);
    u32 ix = 0;
    CHECK_OK(store_index_id_from_name(&t, "item_name_idx_btree", 19, &ix));
    for (int i = 0; i < 3; i++) {
        lc_buf_reset(&a);
        host_test_put_str(&a, names[i]);
        store_iter it;
        CHECK_OK(store_index_point(&t, ix, a.data, a.len, &it));
        const u8 *row;
        u32 len;
        CHECK(store_iter_next(&it, &row, &len));
        CHECK_EQ(lc_load_u64(row), (u64)i + 1);
        store_iter_close(&it);
    }
    store_read_end(&t);
    lc_buf_deinit(&a);
    fx_close(&fx);
}

/* A module importing something outside spacetime_10.x is refused with a clear error. */
TEST(host_module_refuses_foreign_imports)
{
    /* (module (import "env" "f" (func)) (memory (export "memory") 1)) */
    static const u8 wasm[] = {0, 'a', 's', 'm', 1, 0, 0, 0,
        1, 4, 1, 0x60, 0, 0,                        /* type () -> () */
        2, 9, 1, 3, 'e', 'n', 'v', 1, 'f', 0, 0,    /* import env.f */
        5, 3, 1, 0, 1,                              /* memory 1 */
        7, 10, 1, 6, 'm', 'e', 'm', 'o', 'r', 'y', 2, 0};
    host_module *m = NULL;
    lc_errbuf eb = {{0}};
    CHECK_ERR(host_module_load(wasm, sizeof wasm, NULL, &m, &eb), LC_EINVALID);
    CHECK(strstr(eb.msg, "env") != NULL);
    CHECK(m == NULL);
    /* no imports at all: ABI undeterminable */
    static const u8 none[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    CHECK_ERR(host_module_load(none, sizeof none, NULL, &m, &eb), LC_EINVALID);
    CHECK(strstr(eb.msg, "ABI") != NULL);
}
