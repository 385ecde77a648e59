/*
 * examples/keynote-bank/bank.c — the keynote transfer benchmark module (performance.md §1).
 *
 * accounts(id u32 primary key, balance i64). seed(n, initial_balance) deletes every row and
 * inserts ids 0..n-1; transfer(from, to, amount) fails with same_account, non_positive_amount,
 * account_missing or insufficient_funds, otherwise moves `amount` between the two rows.
 * The procedure total_balance() sums every balance in a transaction of its own (an audit a
 * client can call: transfers never change it).
 */
#include "spacetimedb.h"

#define ACCOUNTS_COLS(X) X(id, U32) X(balance, I64)
STDB_TABLE(accounts, ACCOUNTS_COLS, STDB_PUBLIC);
STDB_PRIMARY_KEY(accounts, id);

#define SEED_ARGS(X) X(n, U32) X(initial_balance, I64)
STDB_REDUCER(seed, SEED_ARGS)
{
    accounts_clear();
    for (uint32_t i = 0; i < args->n; i++) {
        accounts a = {i, args->initial_balance};
        if (accounts_insert(&a) != 0) return stdb_fail(ctx, "insert of account %u failed", i);
    }
    return STDB_OK;
}

#define TRANSFER_ARGS(X) X(from, U32) X(to, U32) X(amount, I64)
STDB_REDUCER(transfer, TRANSFER_ARGS)
{
    if (args->from == args->to) return stdb_fail(ctx, "same_account");
    if (args->amount <= 0) return stdb_fail(ctx, "non_positive_amount");
    accounts from, to;
    if (!accounts_find_by_id(args->from, &from) || !accounts_find_by_id(args->to, &to))
        return stdb_fail(ctx, "account_missing");
    if (from.balance < args->amount) return stdb_fail(ctx, "insufficient_funds");
    from.balance -= args->amount;
    to.balance += args->amount;
    if (accounts_update_by_id(&from) != 0 || accounts_update_by_id(&to) != 0)
        return stdb_fail(ctx, "update failed");
    return STDB_OK;
}

STDB_PROCEDURE(total_balance, STDB__NO_ARGS, I64)
{
    if (stdb_tx_begin() != 0) return 1;
    int64_t sum = 0;
    stdb_iter it;
    accounts a;
    for (accounts_iter(&it); accounts_next(&it, &a);) sum += a.balance;
    *ret = sum;
    return stdb_tx_commit();
}
