/*
 * tests/sdk/test_keynote_bank.c — examples/keynote-bank against the fake host: description,
 * seed, the four transfer errors of performance.md §1, and a seeded random transfer workload
 * checked against a model (balances and the conserved total).
 */
#include "sdk/sdk_test.h"

static u8 caller[32];

static fh_result seed(u32 n, i64 initial)
{
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_put_u32(&b, n);
    lc_buf_put_u64(&b, (u64)initial);
    fh_result r = fh_call("seed", caller, NO_CONN, 1, b.data, (u32)b.len);
    lc_buf_deinit(&b);
    return r;
}

static fh_result transfer(u32 from, u32 to, i64 amount)
{
    u8 args[16];
    lc_store_u32(args, from);
    lc_store_u32(args + 4, to);
    lc_store_u64(args + 8, (u64)amount);
    u8 c[16];
    conn(c, 7);
    return fh_call("transfer", caller, c, 2, args, sizeof args);
}

/* Balance of account id, looked up in the fake host's rows; -1 if absent. */
static i64 balance(u32 id)
{
    for (u32 i = 0; i < fh_row_count("accounts"); i++) {
        u32 len;
        const u8 *row = fh_row("accounts", i, &len);
        if (len == 12 && lc_load_u32(row) == id) return (i64)lc_load_u64(row + 4);
    }
    return -1;
}

TEST(bank_describe)
{
    CHECK(sdk_setup());
    CHECK_EQ(g_md.table_count, 1);
    const md_table *t = moddef_table(&g_md, "accounts");
    CHECK(t);
    CHECK(strcmp(g_md.typedefs[0].name, "Accounts") == 0);
    const char *name = "";
    const md_type *ty = md_col(&g_md, t, 0, &name);
    CHECK(strcmp(name, "id") == 0 && ty->tag == MD_U32);
    ty = md_col(&g_md, t, 1, &name);
    CHECK(strcmp(name, "balance") == 0 && ty->tag == MD_I64);
    CHECK_EQ(t->pk.count, 1);
    CHECK_EQ(t->pk.cols[0], 0);
    CHECK_EQ(t->index_count, 1);
    CHECK(strcmp(t->indexes[0].source_name, "accounts_id_idx_btree") == 0);
    CHECK_EQ(t->constraint_count, 1);
    CHECK_EQ(g_md.reducer_count, 2);
    CHECK_EQ(g_md.procedure_count, 1); /* total_balance() -> i64, client-callable */
    CHECK(strcmp(g_md.procedures[0].name, "total_balance") == 0);
    CHECK_EQ(g_md.procedures[0].params->count, 0);
    CHECK_EQ(g_md.procedures[0].ret->tag, MD_I64);
    CHECK_EQ(g_md.procedures[0].visibility, 1);
    CHECK(strcmp(g_md.reducers[0].name, "seed") == 0);
    CHECK(strcmp(g_md.reducers[1].name, "transfer") == 0);
    const md_type *p = g_md.reducers[1].params;
    CHECK_EQ(p->count, 3);
    CHECK(strcmp(p->names[0], "from") == 0 && p->elems[0]->tag == MD_U32);
    CHECK(strcmp(p->names[1], "to") == 0 && p->elems[1]->tag == MD_U32);
    CHECK(strcmp(p->names[2], "amount") == 0 && p->elems[2]->tag == MD_I64);
    CHECK_EQ(g_md.reducers[1].visibility, 1);
    CHECK_EQ(g_md.lifecycle_count, 0);
    CHECK_EQ(g_md.section_count, 5); /* Typespace, Types, Tables, Reducers, Procedures */
    CHECK_EQ(g_md.section_tags[4], 4);
}

TEST(bank_seed_replaces_rows)
{
    CHECK(sdk_setup());
    CHECK_EQ(seed(1000, 1000000000).rc, 0);
    CHECK_EQ(fh_row_count("accounts"), 1000);
    CHECK_EQ(balance(0), 1000000000);
    CHECK_EQ(balance(999), 1000000000);
    CHECK_EQ(balance(1000), -1);
    CHECK_EQ(seed(10, 5).rc, 0);
    CHECK_EQ(fh_row_count("accounts"), 10);
    CHECK_EQ(balance(9), 5);
    CHECK_EQ(balance(10), -1);
}

TEST(bank_transfer_errors)
{
    CHECK(sdk_setup());
    CHECK_EQ(seed(4, 100).rc, 0);
    fh_result r = transfer(1, 1, 5);
    CHECK_EQ(r.rc, 1);
    CHECK_STR(r.error, "same_account");
    r = transfer(1, 2, 0);
    CHECK_STR(r.error, "non_positive_amount");
    r = transfer(1, 2, -3);
    CHECK_STR(r.error, "non_positive_amount");
    r = transfer(1, 7, 5);
    CHECK_STR(r.error, "account_missing");
    r = transfer(7, 1, 5);
    CHECK_STR(r.error, "account_missing");
    r = transfer(1, 2, 101);
    CHECK_EQ(r.rc, 1);
    CHECK_STR(r.error, "insufficient_funds");
    for (u32 i = 0; i < 4; i++) CHECK_EQ(balance(i), 100);
    r = transfer(1, 2, 100);
    CHECK_EQ(r.rc, 0);
    CHECK_STR(r.error, "");
    CHECK_EQ(balance(1), 0);
    CHECK_EQ(balance(2), 200);
    CHECK_EQ(fh_row_count("accounts"), 4);
    CHECK_EQ(fh_open_iters(), 0);
}

static u32 mulberry32(u32 *state)
{
    u32 z = (*state += 0x6D2B79F5u);
    z = (z ^ (z >> 15)) * (z | 1u);
    z ^= z + (z ^ (z >> 7)) * (z | 61u);
    return z ^ (z >> 14);
}

TEST(bank_random_transfers_match_model)
{
    CHECK(sdk_setup());
    enum { N = 50, CALLS = 3000 };
    i64 model[N];
    for (u32 i = 0; i < N; i++) model[i] = 20;
    CHECK_EQ(seed(N, 20).rc, 0);
    u32 st = (u32)lc_test_seed();
    u32 ok = 0, failed = 0;
    for (u32 k = 0; k < CALLS; k++) {
        u32 from = mulberry32(&st) % (N + 2), to = mulberry32(&st) % (N + 2);
        i64 amount = (i64)(mulberry32(&st) % 12) - 1;
        const char *want = from == to ? "same_account"
                           : amount <= 0 ? "non_positive_amount"
                           : from >= N || to >= N ? "account_missing"
                           : model[from] < amount ? "insufficient_funds" : "";
        fh_result r = transfer(from, to, amount);
        CHECK_STR(r.error, want);
        CHECK_EQ(r.rc, want[0] ? 1 : 0);
        if (!want[0]) model[from] -= amount, model[to] += amount, ok++;
        else failed++;
    }
    i64 total = 0;
    for (u32 i = 0; i < N; i++) {
        CHECK_EQ(balance(i), model[i]);
        total += balance(i);
    }
    CHECK_EQ(total, 20 * N);
    CHECK(ok > 100 && failed > 100);
}
