/*
 * tests/unit/test_value_codec.c — value/codec.c: the AlgebraicType meta-encoding (the spec's
 * Option<String> example byte for byte, round trips, malformed and hostile input) and ref
 * resolution (sharing, recursion and range errors, depth through refs).
 */
#include "base/alloc.h"
#include "base/limits.h"
#include "harness.h"
#include "value/value.h"

static const u8 option_string[] = {
    0x01, 0x02, 0, 0, 0,                                   /* Sum, 2 variants */
    0x00, 0x04, 0, 0, 0, 's', 'o', 'm', 'e', 0x04,         /* some: String */
    0x00, 0x04, 0, 0, 0, 'n', 'o', 'n', 'e', 0x02, 0, 0, 0, 0, /* none: () */
};

static int decode(lc_typespace *ts, const void *p, size_t n, const lc_type **t, char *msg)
{
    lc_errbuf eb = { "" };
    lc_rd r;
    lc_rd_init(&r, p, n);
    int rc = lc_type_decode(ts, &r, t, &eb);
    strcpy(msg, eb.msg);
    if (!rc && lc_rd_left(&r)) return 1; /* tests want every byte consumed */
    return rc;
}

TEST(value_codec_option_string)
{
    lc_typespace ts;
    lc_typespace_init(&ts);
    const lc_type *t;
    char msg[256];
    CHECK_OK(decode(&ts, option_string, sizeof option_string, &t, msg));
    CHECK_EQ(t->special, LC_TS_OPTION);
    CHECK(lc_type_equal(t, lc_type_option(&ts, lc_type_prim(LC_T_STRING))));
    lc_buf b;
    lc_buf_init(&b);
    lc_type_encode(&b, lc_type_option(&ts, lc_type_prim(LC_T_STRING)));
    CHECK_EQ(b.len, sizeof option_string);
    CHECK_MEM(b.data, option_string, sizeof option_string);
    lc_buf_deinit(&b);
    lc_typespace_deinit(&ts);
}

TEST(value_codec_round_trip)
{
    lc_typespace ts;
    lc_typespace_init(&ts);
    lc_type_elem ue[5] = { { "identity", lc_type_special_get(&ts, LC_TS_IDENTITY) },
                           { "name", lc_type_option(&ts, lc_type_prim(LC_T_STRING)) },
                           { NULL, lc_type_array(&ts, lc_type_prim(LC_T_F64)) },
                           { "at", lc_type_special_get(&ts, LC_TS_SCHEDULE_AT) },
                           { "r", lc_type_ref(&ts, 3) } };
    const lc_type *user = lc_type_product(&ts, 5, ue);
    lc_buf b;
    lc_buf_init(&b);
    lc_type_encode(&b, user);
    CHECK_EQ(b.err, 0);
    const lc_type *t;
    char msg[256];
    CHECK_OK(decode(&ts, b.data, b.len, &t, msg));
    CHECK(lc_type_equal(t, user));
    CHECK_EQ(t->elems[0].type->special, LC_TS_IDENTITY);
    CHECK_EQ(t->elems[3].type->special, LC_TS_SCHEDULE_AT);
    CHECK(t->elems[2].name == NULL);
    /* Every primitive tag decodes to its singleton. */
    for (u8 k = LC_T_STRING; k < LC_T_KIND_COUNT; k++) {
        CHECK_OK(decode(&ts, &k, 1, &t, msg));
        CHECK(t == lc_type_prim((lc_type_kind)k));
    }
    lc_buf_deinit(&b);
    lc_typespace_deinit(&ts);
}

TEST(value_codec_malformed)
{
    lc_typespace ts;
    lc_typespace_init(&ts);
    const lc_type *t = (const lc_type *)&ts;
    char msg[256];
    CHECK_ERR(decode(&ts, "\x14", 1, &t, msg), LC_EDECODE);
    CHECK_STR(msg, "bad AlgebraicType tag 20 at byte offset 0");
    CHECK(t == NULL);
    CHECK_ERR(decode(&ts, "", 0, &t, msg), LC_ETRUNCATED);
    CHECK_ERR(decode(&ts, "\x00\x01\x00", 3, &t, msg), LC_ETRUNCATED);
    CHECK_ERR(decode(&ts, "\x03", 1, &t, msg), LC_ETRUNCATED);
    /* Every proper prefix of a valid encoding is truncated, never a crash. */
    for (size_t n = 0; n < sizeof option_string; n++)
        CHECK_ERR(decode(&ts, option_string, n, &t, msg), LC_ETRUNCATED);
    /* Bad name option tag, bad UTF-8, embedded NUL. */
    CHECK_ERR(decode(&ts, "\x02\x01\x00\x00\x00\x02\x04", 7, &t, msg), LC_EDECODE);
    CHECK_STR(msg, "bad Option tag 2 for element name at byte offset 5");
    CHECK_ERR(decode(&ts, "\x02\x01\x00\x00\x00\x00\x01\x00\x00\x00\xff\x04", 12, &t, msg),
              LC_EUTF8);
    CHECK_ERR(decode(&ts, "\x02\x01\x00\x00\x00\x00\x01\x00\x00\x00\x00\x04", 12, &t, msg),
              LC_EUTF8);
    /* Counts: over the limit, or more than the bytes left could hold. */
    CHECK_ERR(decode(&ts, "\x01\x01\x01\x00\x00", 5, &t, msg), LC_ELIMIT);
    CHECK_STR(msg, "sum with 257 elements at byte offset 1 (max 256)");
    CHECK_ERR(decode(&ts, "\x02\x01\x10\x00\x00", 5, &t, msg), LC_ELIMIT);
    CHECK_ERR(decode(&ts, "\x02\xff\x0f\x00\x00\x01\x04", 7, &t, msg), LC_ETRUNCATED);
    /* Depth: 63 arrays around a U8 is 64 levels (ok), 64 arrays is too deep. */
    u8 deep[80];
    memset(deep, 0x03, sizeof deep);
    deep[LC_VALUE_DEPTH_MAX - 1] = LC_T_U8;
    CHECK_OK(decode(&ts, deep, LC_VALUE_DEPTH_MAX, &t, msg));
    CHECK_EQ(t->depth, LC_VALUE_DEPTH_MAX);
    deep[LC_VALUE_DEPTH_MAX - 1] = 0x03;
    deep[LC_VALUE_DEPTH_MAX] = LC_T_U8;
    CHECK_ERR(decode(&ts, deep, LC_VALUE_DEPTH_MAX + 1, &t, msg), LC_ELIMIT);
    CHECK_STR(msg, "type nested deeper than 64 at byte offset 64");
    lc_typespace_deinit(&ts);
}

TEST(value_codec_typespace_and_resolve)
{
    /* &0 = (id: U32, owner: &1), &1 = (name: String, tags: Array<&2>), &2 = enum {a, b}. */
    lc_typespace src, dst;
    lc_typespace_init(&src);
    lc_typespace_init(&dst);
    const lc_type *unit = lc_type_special_get(&src, LC_TS_UNIT);
    lc_type_elem e0[2] = { { "id", lc_type_prim(LC_T_U32) }, { "owner", lc_type_ref(&src, 1) } };
    lc_type_elem e1[2] = { { "name", lc_type_prim(LC_T_STRING) },
                           { "tags", lc_type_array(&src, lc_type_ref(&src, 2)) } };
    lc_type_elem e2[2] = { { "a", unit }, { "b", unit } };
    const lc_type *defs[3] = { lc_type_product(&src, 2, e0), lc_type_product(&src, 2, e1),
                               lc_type_sum(&src, 2, e2) };
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_put_u32(&b, 3);
    for (int i = 0; i < 3; i++) lc_type_encode(&b, defs[i]);
    lc_typespace ts;
    lc_typespace_init(&ts);
    lc_errbuf eb;
    lc_rd r;
    lc_rd_init(&r, b.data, b.len);
    CHECK_OK(lc_typespace_decode(&ts, &r, &eb));
    CHECK_EQ(ts.count, 3);
    CHECK_EQ(lc_rd_left(&r), 0);
    for (int i = 0; i < 3; i++) CHECK(lc_type_equal(ts.types[i], defs[i]));
    const lc_type *res;
    CHECK_OK(lc_type_resolve(&dst, &ts, lc_type_ref(&src, 0), &res, &eb));
    char out[200];
    lc_type_format(res, out, sizeof out);
    CHECK_STR(out, "(id: U32, owner: (name: String, tags: Array<(a: () | b: ())>))");
    CHECK_EQ(res->elems[1].type->elems[1].type->array_elem->fixed_size, 1);
    /* Truncated typespaces and a count over the bytes left. */
    for (size_t n = 0; n < b.len; n++) {
        lc_rd_init(&r, b.data, n);
        CHECK_ERR(lc_typespace_decode(&ts, &r, &eb), LC_ETRUNCATED);
    }
    lc_rd_init(&r, "\xff\xff\x00\x00\x04", 5);
    CHECK_ERR(lc_typespace_decode(&ts, &r, &eb), LC_ETRUNCATED);
    lc_rd_init(&r, "\xff\xff\xff\x00", 4);
    CHECK_ERR(lc_typespace_decode(&ts, &r, &eb), LC_ELIMIT);
    lc_buf_deinit(&b);
    lc_typespace_deinit(&ts);
    lc_typespace_deinit(&src);
    lc_typespace_deinit(&dst);
}

TEST(value_codec_resolve_errors)
{
    lc_typespace ts, dst;
    lc_typespace_init(&ts);
    lc_typespace_init(&dst);
    /* &0 = (next: Option<&0>) is recursive; &1 = &5 is out of range. */
    lc_type_elem e = { "next", lc_type_option(&ts, lc_type_ref(&ts, 0)) };
    const lc_type *defs[2] = { lc_type_product(&ts, 1, &e), lc_type_ref(&ts, 5) };
    ts.types = defs;
    ts.count = 2;
    lc_errbuf eb;
    const lc_type *res;
    CHECK_ERR(lc_type_resolve(&dst, &ts, defs[0], &res, &eb), LC_EINVAL);
    CHECK_STR(eb.msg, "recursive type: &0 refers to itself");
    CHECK(res == NULL);
    CHECK_ERR(lc_type_resolve(&dst, &ts, defs[1], &res, &eb), LC_EINVAL);
    CHECK_STR(eb.msg, "type ref &5 out of range (typespace has 2 types)");
    CHECK_ERR(lc_type_resolve(&dst, NULL, defs[1], &res, &eb), LC_EINVAL);
    CHECK_OK(lc_type_resolve(&dst, NULL, lc_type_prim(LC_T_I8), &res, &eb));
    CHECK(res == lc_type_prim(LC_T_I8));

    /* A chain &i = Array<&i+1> is fine while short, too deep once resolved past the limit;
     * a pure alias chain &i = &i+1 of any length fails cleanly instead of overflowing. */
    enum { N = 4000 };
    static const lc_type *chain[N];
    for (u32 i = 0; i + 1 < N; i++) chain[i] = lc_type_array(&ts, lc_type_ref(&ts, i + 1));
    chain[N - 1] = lc_type_prim(LC_T_U8);
    ts.types = chain;
    ts.count = N;
    CHECK_OK(lc_type_resolve(&dst, &ts, chain[N - 10], &res, &eb));
    CHECK_EQ(res->depth, 10);
    CHECK_ERR(lc_type_resolve(&dst, &ts, chain[0], &res, &eb), LC_ELIMIT);
    for (u32 i = 0; i + 1 < N; i++) chain[i] = lc_type_ref(&ts, i + 1);
    CHECK_ERR(lc_type_resolve(&dst, &ts, chain[0], &res, &eb), LC_ELIMIT);
    CHECK_OK(lc_type_resolve(&dst, &ts, chain[N - 5], &res, &eb));
    CHECK(res == lc_type_prim(LC_T_U8));

    /* Shared refs resolve to one shared node: &i = (&i+1, &i+1) stays linear. */
    for (u32 i = 0; i + 1 < 40; i++) {
        const lc_type *next = lc_type_ref(&ts, i + 1);
        lc_type_elem two[2] = { { "l", next }, { "r", next } };
        chain[i] = lc_type_product(&ts, 2, two);
    }
    chain[39] = lc_type_prim(LC_T_U8);
    ts.count = 40;
    CHECK_OK(lc_type_resolve(&dst, &ts, chain[0], &res, &eb));
    CHECK(res->elems[0].type == res->elems[1].type);
    CHECK_EQ(res->fixed_size, -1); /* 2^39 bytes: over LC_VALUE_SIZE_MAX */
    ts.types = NULL;
    ts.count = 0;
    lc_typespace_deinit(&ts);
    lc_typespace_deinit(&dst);
}

/* Every allocation of decode + resolve fails in turn: each run ends in success or LC_ENOMEM,
 * never a crash or a leak (the leak check is ASan's, at exit). */
TEST(value_codec_out_of_memory)
{
    lc_typespace src;
    lc_typespace_init(&src);
    lc_type_elem e0[2] = { { "id", lc_type_prim(LC_T_U32) }, { "owner", lc_type_ref(&src, 1) } };
    lc_type_elem e1[2] = { { "name", lc_type_option(&src, lc_type_prim(LC_T_STRING)) },
                           { "tags", lc_type_array(&src, lc_type_ref(&src, 0 + 2)) } };
    lc_type_elem e2[1] = { { "x", lc_type_prim(LC_T_F64) } };
    const lc_type *defs[3] = { lc_type_product(&src, 2, e0), lc_type_product(&src, 2, e1),
                               lc_type_sum(&src, 1, e2) };
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_put_u32(&b, 3);
    for (int i = 0; i < 3; i++) lc_type_encode(&b, defs[i]);
    CHECK_EQ(b.err, 0);
    int ok = 0, oom = 0;
    for (i64 n = 0; n < 64; n++) {
        lc_typespace ts, dst;
        lc_typespace_init(&ts);
        lc_typespace_init(&dst);
        lc_errbuf eb;
        lc_rd r;
        lc_rd_init(&r, b.data, b.len);
        lc_alloc_fail_after(n);
        int rc = lc_typespace_decode(&ts, &r, &eb);
        const lc_type *res = NULL;
        if (!rc) rc = lc_type_resolve(&dst, &ts, ts.types[0], &res, &eb);
        lc_alloc_fail_after(-1);
        CHECK(rc == 0 || rc == LC_ENOMEM);
        if (rc == 0) {
            ok++;
            CHECK_EQ(res->elems[1].type->elems[1].type->array_elem->kind, LC_T_SUM);
        } else {
            oom++;
        }
        lc_typespace_deinit(&ts);
        lc_typespace_deinit(&dst);
    }
    CHECK(ok > 0 && oom > 0);
    lc_buf_deinit(&b);
    lc_typespace_deinit(&src);
}
