/*
 * tests/unit/test_value.c — value/: type builders (special, fixed_size, depth), equality and
 * format, BSATN validate/size/skip on the spec's worked examples and on malformed input, and
 * the total order of lc_bsatn_cmp (integers to 256 bits, floats, strings, sums, arrays).
 */
#include "base/limits.h"
#include "harness.h"
#include "value/value.h"

#include <math.h>
#include <stdio.h>

static const lc_type *P(lc_type_kind k) { return lc_type_prim(k); }

TEST(value_prims)
{
    CHECK(P(LC_T_REF) == NULL && P(LC_T_SUM) == NULL && P(LC_T_KIND_COUNT) == NULL);
    CHECK_EQ(P(LC_T_STRING)->fixed_size, -1);
    CHECK_EQ(P(LC_T_BOOL)->fixed_size, 1);
    CHECK(!P(LC_T_BOOL)->is_plain);
    CHECK_EQ(P(LC_T_U256)->fixed_size, 32);
    CHECK_EQ(P(LC_T_I128)->fixed_size, 16);
    CHECK_EQ(P(LC_T_F64)->fixed_size, 8);
    CHECK(P(LC_T_F32)->is_plain);
    CHECK(lc_type_is_int(P(LC_T_I8)) && lc_type_is_int(P(LC_T_U256)));
    CHECK(!lc_type_is_int(P(LC_T_F32)) && !lc_type_is_int(P(LC_T_BOOL)));
    CHECK(lc_type_is_signed(P(LC_T_I256)) && !lc_type_is_signed(P(LC_T_U16)));
    CHECK(!lc_type_is_signed(P(LC_T_F64)));
}

TEST(value_builders_special_and_size)
{
    lc_typespace ts;
    lc_typespace_init(&ts);
    const lc_type *id = lc_type_special_get(&ts, LC_TS_IDENTITY);
    CHECK(id && id->special == LC_TS_IDENTITY && id->fixed_size == 32 && id->is_plain);
    CHECK_EQ(lc_type_special_get(&ts, LC_TS_CONNECTION_ID)->special, LC_TS_CONNECTION_ID);
    CHECK_EQ(lc_type_special_get(&ts, LC_TS_TIMESTAMP)->special, LC_TS_TIMESTAMP);
    CHECK_EQ(lc_type_special_get(&ts, LC_TS_TIME_DURATION)->special, LC_TS_TIME_DURATION);
    CHECK_EQ(lc_type_special_get(&ts, LC_TS_UUID)->fixed_size, 16);
    const lc_type *sa = lc_type_special_get(&ts, LC_TS_SCHEDULE_AT);
    CHECK(sa && sa->special == LC_TS_SCHEDULE_AT && sa->fixed_size == 9 && !sa->is_plain);
    const lc_type *unit = lc_type_special_get(&ts, LC_TS_UNIT);
    CHECK(unit->special == LC_TS_UNIT && unit->fixed_size == 0 && unit->is_plain);
    CHECK(lc_type_special_get(&ts, LC_TS_OPTION) == NULL);

    const lc_type *os = lc_type_option(&ts, P(LC_T_STRING));
    CHECK(os->special == LC_TS_OPTION && os->fixed_size == -1);
    CHECK_EQ(lc_type_option(&ts, P(LC_T_U32))->fixed_size, -1); /* 5 or 1 bytes */
    /* Name matters: a wrongly named single field is not special. */
    lc_type_elem wrong = { "identity", P(LC_T_U256) };
    CHECK_EQ(lc_type_product(&ts, 1, &wrong)->special, LC_TS_NONE);
    lc_type_elem wrong_type = { "__identity__", P(LC_T_U128) };
    CHECK_EQ(lc_type_product(&ts, 1, &wrong_type)->special, LC_TS_NONE);
    lc_type_elem res[2] = { { "ok", P(LC_T_U32) }, { "err", P(LC_T_STRING) } };
    CHECK_EQ(lc_type_sum(&ts, 2, res)->special, LC_TS_RESULT);

    lc_type_elem acc[2] = { { "id", P(LC_T_U32) }, { "balance", P(LC_T_I64) } };
    const lc_type *row = lc_type_product(&ts, 2, acc);
    CHECK(row->fixed_size == 12 && row->is_plain && row->depth == 2);
    CHECK(strcmp(row->elems[1].name, "balance") == 0 && row->elems[1].name != acc[1].name);
    lc_type_elem en[3] = { { "a", unit }, { "b", unit }, { "c", unit } };
    const lc_type *e = lc_type_sum(&ts, 3, en);
    CHECK(e->fixed_size == 1 && !e->is_plain);
    lc_type_elem withb[2] = { { "x", P(LC_T_U8) }, { "y", P(LC_T_BOOL) } };
    const lc_type *pb = lc_type_product(&ts, 2, withb);
    CHECK(pb->fixed_size == 2 && !pb->is_plain);
    CHECK_EQ(lc_type_array(&ts, P(LC_T_U8))->fixed_size, -1);
    CHECK_EQ(lc_type_sum(&ts, 0, NULL)->fixed_size, -1);
    lc_typespace_deinit(&ts);
}

TEST(value_builders_depth_and_limits)
{
    lc_typespace ts;
    lc_typespace_init(&ts);
    const lc_type *t = P(LC_T_U8);
    for (int i = 1; i < LC_VALUE_DEPTH_MAX; i++) {
        t = lc_type_array(&ts, t);
        CHECK(t != NULL);
    }
    CHECK_EQ(t->depth, LC_VALUE_DEPTH_MAX);
    CHECK(lc_type_array(&ts, t) == NULL);
    lc_type_elem e = { NULL, t };
    CHECK(lc_type_product(&ts, 1, &e) == NULL);
    CHECK(lc_type_option(&ts, t) == NULL);
    CHECK(lc_type_array(&ts, NULL) == NULL);
    lc_type_elem many[LC_SUM_VARIANTS_MAX + 1];
    for (u32 i = 0; i < LC_ARRAY_LEN(many); i++) many[i] = (lc_type_elem){ NULL, P(LC_T_U8) };
    CHECK(lc_type_sum(&ts, LC_SUM_VARIANTS_MAX, many) != NULL);
    CHECK(lc_type_sum(&ts, LC_SUM_VARIANTS_MAX + 1, many) == NULL);
    /* Huge fixed sizes degrade to "variable" instead of overflowing. */
    const lc_type *big = P(LC_T_U256);
    for (int i = 0; i < 8; i++) {
        lc_type_elem w[4096];
        for (int k = 0; k < 4096; k++) w[k] = (lc_type_elem){ NULL, big };
        big = lc_type_product(&ts, 4096, w);
        CHECK(big != NULL);
    }
    CHECK_EQ(big->fixed_size, -1);
    lc_typespace_deinit(&ts);
}

TEST(value_equal_and_format)
{
    lc_typespace ts;
    lc_typespace_init(&ts);
    lc_type_elem a[2] = { { "id", P(LC_T_U32) }, { "name", P(LC_T_STRING) } };
    lc_type_elem b[2] = { { "id", P(LC_T_U32) }, { "nom", P(LC_T_STRING) } };
    const lc_type *ta = lc_type_product(&ts, 2, a), *ta2 = lc_type_product(&ts, 2, a);
    const lc_type *tb = lc_type_product(&ts, 2, b);
    CHECK(lc_type_equal(ta, ta2));
    CHECK(!lc_type_equal(ta, tb));
    CHECK(!lc_type_equal(ta, lc_type_sum(&ts, 2, a)));
    CHECK(lc_type_equal(lc_type_array(&ts, ta), lc_type_array(&ts, ta2)));
    CHECK(!lc_type_equal(lc_type_ref(&ts, 1), lc_type_ref(&ts, 2)));
    char out[128];
    lc_type_format(ta, out, sizeof out);
    CHECK_STR(out, "(id: U32, name: String)");
    lc_type_format(lc_type_option(&ts, lc_type_array(&ts, P(LC_T_U8))), out, sizeof out);
    CHECK_STR(out, "(some: Array<U8> | none: ())");
    lc_type_format(lc_type_ref(&ts, 7), out, sizeof out);
    CHECK_STR(out, "&7");
    lc_type_format(ta, out, 8);
    CHECK_STR(out, "(id: U3");
    /* Two distinct copies of a DAG with 2^60 paths compare in linear time. */
    const lc_type *d1 = lc_type_prim(LC_T_U8), *d2 = d1;
    for (int i = 0; i < 60; i++) {
        lc_type_elem e1[2] = { { "l", d1 }, { "r", d1 } }, e2[2] = { { "l", d2 }, { "r", d2 } };
        d1 = lc_type_product(&ts, 2, e1);
        d2 = lc_type_product(&ts, 2, e2);
    }
    CHECK(d1 && d2 && d1 != d2 && lc_type_equal(d1, d2));
    lc_type_elem e3[2] = { { "l", d1 }, { "x", d1 } }, e4[2] = { { "l", d2 }, { "r", d2 } };
    CHECK(!lc_type_equal(lc_type_product(&ts, 2, e3), lc_type_product(&ts, 2, e4)));
    /* Many distinct equal pairs: the memo grows past its inline slots. */
    const lc_type *w1[300], *w2[300];
    for (int i = 0; i < 300; i++) {
        lc_type_elem x[1] = { { "v", lc_type_prim((lc_type_kind)(LC_T_I8 + i % 12)) } };
        w1[i] = lc_type_product(&ts, 1, x);
        w2[i] = lc_type_product(&ts, 1, x);
        CHECK(w1[i] && w2[i] && w1[i] != w2[i]);
    }
    lc_type_elem wide1[300], wide2[300];
    for (int i = 0; i < 300; i++) {
        wide1[i] = (lc_type_elem){ NULL, w1[i] };
        wide2[i] = (lc_type_elem){ NULL, w2[i] };
    }
    const lc_type *pw1 = lc_type_product(&ts, 300, wide1), *pw2 = lc_type_product(&ts, 300, wide2);
    CHECK(pw1 && pw2 && lc_type_equal(pw1, pw2));
    wide2[299].type = w2[0];
    CHECK(!lc_type_equal(pw1, lc_type_product(&ts, 300, wide2)));
    lc_typespace_deinit(&ts);
}

/* Validates bytes as one value of t; checks it consumes exactly n bytes and size/skip agree. */
static void check_valid(const lc_type *t, const u8 *p, size_t n)
{
    lc_errbuf eb;
    lc_rd r;
    lc_rd_init(&r, p, n);
    int rc = lc_bsatn_validate(t, &r, &eb);
    if (rc) lc_test_fail(__FILE__, __LINE__, "validate: %s", eb.msg);
    CHECK_OK(rc);
    CHECK_EQ(lc_rd_left(&r), 0);
    CHECK_EQ(lc_bsatn_size(t, p), n);
    lc_rd_init(&r, p, n);
    lc_bsatn_skip(t, &r);
    CHECK_EQ(r.err, 0);
    CHECK_EQ(lc_rd_left(&r), 0);
    CHECK_EQ(lc_bsatn_cmp(t, p, p), 0);
}

static int validate_msg(const lc_type *t, const void *p, size_t n, char *msg)
{
    lc_errbuf eb = { "" };
    lc_rd r;
    lc_rd_init(&r, p, n);
    int rc = lc_bsatn_validate(t, &r, &eb);
    strcpy(msg, eb.msg);
    return rc;
}

TEST(value_bsatn_worked_examples)
{
    lc_typespace ts;
    lc_typespace_init(&ts);
    lc_type_elem pe = { "name", P(LC_T_STRING) };
    const lc_type *person = lc_type_product(&ts, 1, &pe);
    static const u8 alice[] = { 0x05, 0, 0, 0, 0x41, 0x6c, 0x69, 0x63, 0x65 };
    check_valid(person, alice, sizeof alice);

    lc_type_elem ue[3] = { { "identity", lc_type_special_get(&ts, LC_TS_IDENTITY) },
                           { "name", lc_type_option(&ts, P(LC_T_STRING)) },
                           { "online", P(LC_T_BOOL) } };
    const lc_type *user = lc_type_product(&ts, 3, ue);
    u8 bo[32 + 1 + 6 + 1];
    for (int i = 0; i < 32; i++) bo[i] = (u8)(0xa0 + i);
    memcpy(bo + 32, "\x00\x02\x00\x00\x00\x42\x6f\x01", 8);
    check_valid(user, bo, sizeof bo);
    CHECK_EQ(user->fixed_size, -1);

    static const u8 bob[] = { 0x03, 0, 0, 0, 0x42, 0x6f, 0x62 };
    check_valid(person, bob, sizeof bob);

    const lc_type *sa = lc_type_special_get(&ts, LC_TS_SCHEDULE_AT);
    static const u8 one_s[] = { 0x00, 0x40, 0x42, 0x0f, 0, 0, 0, 0, 0 };
    check_valid(sa, one_s, sizeof one_s);
    lc_typespace_deinit(&ts);
}

TEST(value_bsatn_invalid)
{
    lc_typespace ts;
    lc_typespace_init(&ts);
    char msg[256];
    const lc_type *s = P(LC_T_STRING);
    CHECK_ERR(validate_msg(P(LC_T_BOOL), "\x02", 1, msg), LC_EDECODE);
    CHECK_STR(msg, "invalid bool byte 0x02 at byte offset 0");
    CHECK_ERR(validate_msg(P(LC_T_BOOL), "", 0, msg), LC_ETRUNCATED);
    CHECK_ERR(validate_msg(P(LC_T_U64), "1234567", 7, msg), LC_ETRUNCATED);
    CHECK_ERR(validate_msg(s, "\x05\x00\x00\x00" "abcd", 8, msg), LC_ETRUNCATED);
    CHECK_STR(msg, "string truncated at byte offset 4: need 5 bytes, 4 left");
    CHECK_ERR(validate_msg(s, "\x02\x00\x00", 3, msg), LC_ETRUNCATED);
    /* UTF-8: overlong, surrogate, > U+10FFFF, lone continuation, truncated sequence. */
    CHECK_ERR(validate_msg(s, "\x03\x00\x00\x00" "a\xc0\x80", 7, msg), LC_EUTF8);
    CHECK_STR(msg, "invalid UTF-8 in string at byte offset 5");
    CHECK_ERR(validate_msg(s, "\x03\x00\x00\x00\xed\xa0\x80", 7, msg), LC_EUTF8);
    CHECK_ERR(validate_msg(s, "\x04\x00\x00\x00\xf4\x90\x80\x80", 8, msg), LC_EUTF8);
    CHECK_ERR(validate_msg(s, "\x01\x00\x00\x00\x80", 5, msg), LC_EUTF8);
    CHECK_ERR(validate_msg(s, "\x02\x00\x00\x00\xe2\x82", 6, msg), LC_EUTF8);
    CHECK_OK(validate_msg(s, "\x04\x00\x00\x00\xf0\x9f\x98\x80", 8, msg)); /* U+1F600 */
    CHECK_OK(validate_msg(s, "\x03\x00\x00\x00\xe2\x82\xac", 7, msg));     /* U+20AC */
    CHECK(lc_utf8_valid("plain ascii text, long enough for the 8-byte path", 49));
    const lc_type *o = lc_type_option(&ts, P(LC_T_U32));
    CHECK_ERR(validate_msg(o, "\x02", 1, msg), LC_EDECODE);
    CHECK_STR(msg, "sum tag 2 out of range (2 variants) at byte offset 0");
    CHECK_OK(validate_msg(o, "\x01", 1, msg));
    CHECK_ERR(validate_msg(o, "\x00\x01\x02", 3, msg), LC_ETRUNCATED);
    const lc_type *ab = lc_type_array(&ts, P(LC_T_BOOL));
    CHECK_ERR(validate_msg(ab, "\x03\x00\x00\x00\x01\x00\x07", 7, msg), LC_EDECODE);
    CHECK_STR(msg, "invalid bool byte 0x07 at byte offset 6");
    CHECK_ERR(validate_msg(ab, "\xff\xff\xff\xff\x01", 5, msg), LC_ETRUNCATED);
    const lc_type *a64 = lc_type_array(&ts, P(LC_T_U64));
    CHECK_ERR(validate_msg(a64, "\xff\xff\xff\x7f", 4, msg), LC_ETRUNCATED);
    CHECK_OK(validate_msg(a64, "\x01\x00\x00\x00" "12345678", 12, msg));
    const lc_type *au = lc_type_array(&ts, lc_type_special_get(&ts, LC_TS_UNIT));
    CHECK_OK(validate_msg(au, "\x00\x00\x01\x00", 4, msg));
    CHECK_ERR(validate_msg(au, "\x01\x00\x01\x00", 4, msg), LC_ELIMIT);
    CHECK_ERR(validate_msg(lc_type_ref(&ts, 0), "", 0, msg), LC_EINVAL);
    CHECK_ERR(validate_msg(lc_type_sum(&ts, 0, NULL), "\x00", 1, msg), LC_EDECODE);
    /* An earlier failure on the reader is reported, not ignored. */
    lc_rd r;
    lc_rd_init(&r, "", 0);
    (void)lc_rd_u8(&r);
    CHECK_ERR(lc_bsatn_validate(P(LC_T_U8), &r, NULL), LC_ETRUNCATED);
    lc_typespace_deinit(&ts);
}

static int cmp_enc(const lc_type *t, const void *a, const void *b)
{
    return lc_bsatn_cmp(t, a, b);
}

TEST(value_cmp_integers)
{
    u64 seed = lc_test_seed();
    for (int i = 0; i < 20000; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        u64 x = seed;
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        u64 y = (i & 1) ? seed : x ^ (1ull << (seed % 64));
        int want_u = (x > y) - (x < y), want_i = ((i64)x > (i64)y) - ((i64)x < (i64)y);
        CHECK_EQ(cmp_enc(P(LC_T_U64), &x, &y), want_u);
        CHECK_EQ(cmp_enc(P(LC_T_I64), &x, &y), want_i);
        u32 x32 = (u32)x, y32 = (u32)y;
        CHECK_EQ(cmp_enc(P(LC_T_U32), &x32, &y32), (x32 > y32) - (x32 < y32));
        CHECK_EQ(cmp_enc(P(LC_T_I32), &x32, &y32), ((i32)x32 > (i32)y32) - ((i32)x32 < (i32)y32));
        u16 x16 = (u16)x, y16 = (u16)(y >> 3);
        CHECK_EQ(cmp_enc(P(LC_T_U16), &x16, &y16), (x16 > y16) - (x16 < y16));
        CHECK_EQ(cmp_enc(P(LC_T_I16), &x16, &y16), ((i16)x16 > (i16)y16) - ((i16)x16 < (i16)y16));
        u8 x8 = (u8)x, y8 = (u8)(y >> 5);
        CHECK_EQ(cmp_enc(P(LC_T_I8), &x8, &y8), ((i8)x8 > (i8)y8) - ((i8)x8 < (i8)y8));
        CHECK_EQ(cmp_enc(P(LC_T_U8), &x8, &y8), (x8 > y8) - (x8 < y8));
        u128 ux = ((u128)x << 64) | y, uy = ((u128)y << 64) | x;
        CHECK_EQ(cmp_enc(P(LC_T_U128), &ux, &uy), (ux > uy) - (ux < uy));
        CHECK_EQ(cmp_enc(P(LC_T_I128), &ux, &uy),
                 ((i128)ux > (i128)uy) - ((i128)ux < (i128)uy));
        /* 256-bit: high half decides unless equal. */
        u128 a[2] = { uy, ux }, b[2] = { ux, (i & 2) ? ux : uy };
        int hi_u = (a[1] > b[1]) - (a[1] < b[1]);
        int hi_i = ((i128)a[1] > (i128)b[1]) - ((i128)a[1] < (i128)b[1]);
        int lo = (a[0] > b[0]) - (a[0] < b[0]);
        CHECK_EQ(cmp_enc(P(LC_T_U256), a, b), hi_u ? hi_u : lo);
        CHECK_EQ(cmp_enc(P(LC_T_I256), a, b), hi_i ? hi_i : lo);
    }
    u8 m1[32], one[32] = { 1 };
    memset(m1, 0xff, 32);
    CHECK_EQ(cmp_enc(P(LC_T_I256), m1, one), -1);
    CHECK_EQ(cmp_enc(P(LC_T_U256), m1, one), 1);
    CHECK_EQ(cmp_enc(P(LC_T_BOOL), "\x00", "\x01"), -1);
}

TEST(value_cmp_floats)
{
    double d[] = { -INFINITY, -1e300, -1.0, -5e-324, -0.0, 0.0, 5e-324, 1.0, 1e300, INFINITY, NAN };
    for (size_t i = 0; i < LC_ARRAY_LEN(d); i++) {
        for (size_t j = 0; j < LC_ARRAY_LEN(d); j++) {
            int want = (i > j) - (i < j);
            CHECK_EQ(cmp_enc(P(LC_T_F64), &d[i], &d[j]), want);
            float fi = (float)d[i], fj = (float)d[j];
            if (i != j && fi == fj && signbit(fi) == signbit(fj)) continue; /* rounded together */
            CHECK_EQ(cmp_enc(P(LC_T_F32), &fi, &fj), want);
        }
    }
    double nan2 = -NAN;
    u64 bits;
    memcpy(&bits, &nan2, 8);
    bits |= 12345;
    memcpy(&nan2, &bits, 8);
    double nan1 = NAN, inf = INFINITY;
    CHECK_EQ(cmp_enc(P(LC_T_F64), &nan1, &nan2), 0);
    CHECK_EQ(cmp_enc(P(LC_T_F64), &nan2, &inf), 1);
    float fn = -NAN, fi = INFINITY;
    CHECK_EQ(cmp_enc(P(LC_T_F32), &fn, &fi), 1);
}

TEST(value_cmp_composites)
{
    lc_typespace ts;
    lc_typespace_init(&ts);
    const lc_type *s = P(LC_T_STRING);
    CHECK_EQ(cmp_enc(s, "\x02\x00\x00\x00" "ab", "\x03\x00\x00\x00" "abc"), -1);
    CHECK_EQ(cmp_enc(s, "\x02\x00\x00\x00" "b", "\x03\x00\x00\x00" "abc"), 1);
    CHECK_EQ(cmp_enc(s, "\x00\x00\x00\x00", "\x00\x00\x00\x00"), 0);
    CHECK_EQ(cmp_enc(s, "\x01\x00\x00\x00\xc3", "\x01\x00\x00\x00" "z"), 1); /* bytewise */
    /* Sums: tag first; Option: Some(x) < None because Some is tag 0. */
    const lc_type *o = lc_type_option(&ts, P(LC_T_I32));
    CHECK_EQ(cmp_enc(o, "\x00\xff\xff\xff\x7f", "\x01"), -1);
    CHECK_EQ(cmp_enc(o, "\x00\xff\xff\xff\xff", "\x00\x01\x00\x00\x00"), -1);
    CHECK_EQ(cmp_enc(o, "\x01", "\x01"), 0);
    /* Products lexicographic. */
    lc_type_elem pe[2] = { { "a", s }, { "b", P(LC_T_I8) } };
    const lc_type *p = lc_type_product(&ts, 2, pe);
    CHECK_EQ(cmp_enc(p, "\x01\x00\x00\x00" "x\xff", "\x01\x00\x00\x00" "x\x01"), -1);
    CHECK_EQ(cmp_enc(p, "\x01\x00\x00\x00" "y\xff", "\x01\x00\x00\x00" "x\x01"), 1);
    /* Arrays: element-wise, shorter prefix first; signed elements. */
    const lc_type *ai = lc_type_array(&ts, P(LC_T_I16));
    CHECK_EQ(cmp_enc(ai, "\x01\x00\x00\x00\x05\x00", "\x02\x00\x00\x00\x05\x00\x00\x00"), -1);
    CHECK_EQ(cmp_enc(ai, "\x01\x00\x00\x00\xff\xff", "\x02\x00\x00\x00\x05\x00\x00\x00"), -1);
    CHECK_EQ(cmp_enc(ai, "\x02\x00\x00\x00\x05\x00\x01\x00",
                     "\x02\x00\x00\x00\x05\x00\x00\x00"), 1);
    const lc_type *ab = lc_type_array(&ts, P(LC_T_U8));
    CHECK_EQ(cmp_enc(ab, "\x02\x00\x00\x00\x01\x02", "\x01\x00\x00\x00\x02"), -1);
    CHECK_EQ(cmp_enc(ab, "\x02\x00\x00\x00\x01\x02", "\x01\x00\x00\x00\x01"), 1);
    const lc_type *as = lc_type_array(&ts, s);
    CHECK_EQ(cmp_enc(as, "\x02\x00\x00\x00\x01\x00\x00\x00" "a\x00\x00\x00\x00",
                     "\x02\x00\x00\x00\x01\x00\x00\x00" "a\x01\x00\x00\x00" "b"), -1);
    const lc_type *au = lc_type_array(&ts, lc_type_special_get(&ts, LC_TS_UNIT));
    CHECK_EQ(cmp_enc(au, "\x03\x00\x00\x00", "\x02\x00\x00\x00"), 1);
    /* A product after a variable-size element compares the following elements. */
    lc_type_elem pe2[2] = { { NULL, as }, { NULL, P(LC_T_U32) } };
    const lc_type *p2 = lc_type_product(&ts, 2, pe2);
    CHECK_EQ(cmp_enc(p2, "\x01\x00\x00\x00\x01\x00\x00\x00" "a" "\x02\x00\x00\x00",
                     "\x01\x00\x00\x00\x01\x00\x00\x00" "a" "\x01\x00\x00\x01"), -1);
    lc_typespace_deinit(&ts);
}
