/*
 * tests/unit/test_value_json.c — value/json_out.c and json_in.c: SATS-JSON rendering of every
 * kind as SpacetimeDB's server writes it (integers to 256 bits, ryu float layout, string
 * escapes, bytes as hex, untyped products and sums), type JSON, JSON -> BSATN in every accepted
 * form with path-naming errors, and a seeded random round trip BSATN -> JSON -> BSATN.
 */
#include "base/alloc.h"
#include "harness.h"
#include "value/value.h"

#include <math.h>
#include <stdio.h>

static const lc_type *P(lc_type_kind k) { return lc_type_prim(k); }

/* Renders bytes of type t into a static NUL-terminated string ("<error>" on failure). */
static const char *js(const lc_type *t, const void *p, size_t n)
{
    static char out[4096];
    lc_buf b;
    lc_buf_init(&b);
    lc_rd r;
    lc_rd_init(&r, p, n);
    int rc = lc_bsatn_to_json(t, &r, &b);
    if (rc || b.len >= sizeof out) snprintf(out, sizeof out, "<error %s>", lc_err_name(rc));
    else {
        memcpy(out, b.data, b.len);
        out[b.len] = 0;
    }
    lc_buf_deinit(&b);
    return out;
}

static const char *jf64(double d) { return js(P(LC_T_F64), &d, 8); }
static const char *jf32(float f) { return js(P(LC_T_F32), &f, 4); }

TEST(value_json_integers)
{
    CHECK_STR(js(P(LC_T_BOOL), "\x01", 1), "true");
    CHECK_STR(js(P(LC_T_BOOL), "\x00", 1), "false");
    CHECK_STR(js(P(LC_T_I8), "\x80", 1), "-128");
    CHECK_STR(js(P(LC_T_U8), "\xff", 1), "255");
    CHECK_STR(js(P(LC_T_I16), "\x00\x80", 2), "-32768");
    CHECK_STR(js(P(LC_T_U32), "\xff\xff\xff\xff", 4), "4294967295");
    u64 u = UINT64_MAX;
    i64 i = INT64_MIN;
    CHECK_STR(js(P(LC_T_U64), &u, 8), "18446744073709551615");
    CHECK_STR(js(P(LC_T_I64), &i, 8), "-9223372036854775808");
    u8 w[32];
    memset(w, 0xff, sizeof w);
    CHECK_STR(js(P(LC_T_U128), w, 16), "340282366920938463463374607431768211455");
    CHECK_STR(js(P(LC_T_I128), w, 16), "-1");
    w[15] = 0x80;
    memset(w, 0, 15);
    CHECK_STR(js(P(LC_T_I128), w, 16), "-170141183460469231731687303715884105728");
    memset(w, 0, sizeof w);
    CHECK_STR(js(P(LC_T_U256), w, 32), "\"0x0\"");
    w[0] = 0x0a;
    w[1] = 0x01;
    CHECK_STR(js(P(LC_T_U256), w, 32), "\"0x10a\"");
    memset(w, 0xff, sizeof w);
    CHECK_STR(js(P(LC_T_I256), w, 32), "\"-0x1\"");
    CHECK_STR(js(P(LC_T_U256), w, 32),
              "\"0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\"");
    memset(w, 0, sizeof w);
    w[31] = 0x80;
    CHECK_STR(js(P(LC_T_I256), w, 32),
              "\"-0x8000000000000000000000000000000000000000000000000000000000000000\"");
}

TEST(value_json_floats)
{
    CHECK_STR(jf64(1.0), "1.0");
    CHECK_STR(jf64(0.1), "0.1");
    CHECK_STR(jf64(-2.5), "-2.5");
    CHECK_STR(jf64(100.0), "100.0");
    CHECK_STR(jf64(123456.789), "123456.789");
    CHECK_STR(jf64(1e20), "100000000000000000000.0");
    CHECK_STR(jf64(1e21), "1e21");
    CHECK_STR(jf64(1.5e300), "1.5e300");
    CHECK_STR(jf64(0.000001), "0.000001");
    CHECK_STR(jf64(0.0000012), "0.0000012");
    CHECK_STR(jf64(1e-7), "1e-7");
    CHECK_STR(jf64(1.25e-7), "1.25e-7");
    CHECK_STR(jf64(5e-324), "5e-324");
    CHECK_STR(jf64(1.7976931348623157e308), "1.7976931348623157e308");
    CHECK_STR(jf64(0.30000000000000004), "0.30000000000000004");
    CHECK_STR(jf64(0.0), "0.0");
    CHECK_STR(jf64(-0.0), "-0.0");
    CHECK_STR(jf64(NAN), "null");
    CHECK_STR(jf64(-INFINITY), "null");
    CHECK_STR(jf32(0.1f), "0.1");
    CHECK_STR(jf32(16777216.0f), "16777216.0");
    CHECK_STR(jf32(3.4028235e38f), "3.4028235e38");
    CHECK_STR(jf32(1e-45f), "1e-45");
    CHECK_STR(jf32(-1.5f), "-1.5");
    CHECK_STR(jf32(INFINITY), "null");
}

TEST(value_json_strings_and_composites)
{
    lc_typespace ts;
    lc_typespace_init(&ts);
    CHECK_STR(js(P(LC_T_STRING), "\x0b\x00\x00\x00" "a\"b\\c\n\x01\x7f\xc3\xa9\t", 15),
              "\"a\\\"b\\\\c\\n\\u0001\x7f\xc3\xa9\\t\"");
    CHECK_STR(js(P(LC_T_STRING), "\x00\x00\x00\x00", 4), "\"\"");
    CHECK_STR(js(lc_type_array(&ts, P(LC_T_U8)), "\x03\x00\x00\x00\x00\xab\x0f", 7),
              "\"00ab0f\"");
    CHECK_STR(js(lc_type_array(&ts, P(LC_T_I16)), "\x02\x00\x00\x00\xff\xff\x02\x00", 8),
              "[-1,2]");
    CHECK_STR(js(lc_type_array(&ts, P(LC_T_STRING)), "\x00\x00\x00\x00", 4), "[]");
    const lc_type *os = lc_type_option(&ts, P(LC_T_STRING));
    CHECK_STR(js(os, "\x01", 1), "[1,[]]");
    CHECK_STR(js(os, "\x00\x02\x00\x00\x00" "Bo", 7), "[0,\"Bo\"]");
    /* chat User { identity, name: Option<String>, online } */
    lc_type_elem ue[3] = { { "identity", lc_type_special_get(&ts, LC_TS_IDENTITY) },
                           { "name", os }, { "online", P(LC_T_BOOL) } };
    const lc_type *user = lc_type_product(&ts, 3, ue);
    u8 row[40] = { 0 };
    row[0] = 0x01;
    row[31] = 0xc2;
    memcpy(row + 32, "\x00\x02\x00\x00\x00\x42\x6f\x01", 8);
    CHECK_STR(js(user, row, 40),
              "[[\"0xc200000000000000000000000000000000000000000000000000000000000001\"],"
              "[0,\"Bo\"],true]");
    const lc_type *sa = lc_type_special_get(&ts, LC_TS_SCHEDULE_AT);
    CHECK_STR(js(sa, "\x00\x40\x42\x0f\x00\x00\x00\x00\x00", 9), "[0,[1000000]]");
    CHECK_STR(js(lc_type_special_get(&ts, LC_TS_UNIT), "", 0), "[]");
    /* Truncated input is an error, never an over-read; the buffer is rolled back. */
    CHECK_STR(js(user, row, 39), "<error LC_ETRUNCATED>");
    CHECK_STR(js(P(LC_T_STRING), "\x05\x00\x00\x00" "ab", 6), "<error LC_ETRUNCATED>");
    lc_typespace_deinit(&ts);
}

static const char *js_typed(const lc_type *t, const void *p, size_t n)
{
    static char out[1024];
    lc_buf b;
    lc_buf_init(&b);
    lc_rd r;
    lc_rd_init(&r, p, n);
    int rc = lc_bsatn_to_json_typed(t, &r, &b);
    if (rc || b.len >= sizeof out) snprintf(out, sizeof out, "<error %s>", lc_err_name(rc));
    else {
        memcpy(out, b.data, b.len);
        out[b.len] = 0;
    }
    lc_buf_deinit(&b);
    return out;
}

TEST(value_json_typed)
{
    lc_typespace ts;
    lc_typespace_init(&ts);
    const lc_type *os = lc_type_option(&ts, P(LC_T_STRING));
    lc_type_elem ue[3] = { { "identity", lc_type_special_get(&ts, LC_TS_IDENTITY) },
                           { "name", os }, { "online", P(LC_T_BOOL) } };
    const lc_type *user = lc_type_product(&ts, 3, ue);
    u8 row[40] = { 0x01 };
    memcpy(row + 32, "\x00\x02\x00\x00\x00\x42\x6f\x01", 8);
    CHECK_STR(js_typed(user, row, 40), "{\"identity\":{\"__identity__\":\"0x1\"},"
                                       "\"name\":{\"some\":\"Bo\"},\"online\":true}");
    CHECK_STR(js_typed(os, "\x01", 1), "{\"none\":{}}");
    i64 us = 1700000000000000;
    CHECK_STR(js_typed(lc_type_special_get(&ts, LC_TS_TIMESTAMP), &us, 8),
              "{\"__timestamp_micros_since_unix_epoch__\":1700000000000000}");
    lc_type_elem anon[2] = { { NULL, P(LC_T_U8) }, { NULL, P(LC_T_U8) } };
    CHECK_STR(js_typed(lc_type_product(&ts, 2, anon), "\x01\x02", 2), "<error LC_EINVAL>");
    CHECK_STR(js_typed(lc_type_sum(&ts, 2, anon), "\x01\x02", 2), "[1,2]");
    lc_typespace_deinit(&ts);
}

TEST(value_json_output_limit)
{
    lc_typespace ts;
    lc_typespace_init(&ts);
    lc_buf b;
    lc_buf_init(&b);
    b.limit = 8;
    lc_rd r;
    lc_rd_init(&r, "\x0a\x00\x00\x00" "0123456789", 14);
    CHECK_ERR(lc_bsatn_to_json(P(LC_T_STRING), &r, &b), LC_ELIMIT);
    CHECK_EQ(b.len, 0);
    lc_buf_deinit(&b);
    /* Out of memory while growing the output: LC_ENOMEM, nothing half-written. */
    lc_buf_init(&b);
    lc_rd_init(&r, "\x0a\x00\x00\x00" "0123456789", 14);
    lc_alloc_fail_after(0);
    int rc = lc_bsatn_to_json(P(LC_T_STRING), &r, &b);
    lc_alloc_fail_after(-1);
    CHECK_ERR(rc, LC_ENOMEM);
    CHECK_EQ(b.len, 0);
    lc_buf_deinit(&b);
    lc_buf_init(&b);
    lc_errbuf eb;
    lc_alloc_fail_after(0);
    rc = lc_json_text_to_bsatn(P(LC_T_STRING), "\"abc\"", 5, &b, &eb);
    lc_alloc_fail_after(-1);
    CHECK_ERR(rc, LC_ENOMEM);
    lc_buf_deinit(&b);
    /* A zero-byte value whose JSON is exponential: capped, not unbounded. */
    const lc_type *t = lc_type_special_get(&ts, LC_TS_UNIT);
    for (int d = 0; d < 20; d++) {
        lc_type_elem e[8];
        for (int i = 0; i < 8; i++) e[i] = (lc_type_elem){ NULL, t };
        t = lc_type_product(&ts, 8, e);
    }
    /* Comparing, sizing and validating it is O(1): nothing walks the 8^20 leaves. */
    CHECK_EQ(lc_bsatn_cmp(t, (const u8 *)"", (const u8 *)""), 0);
    CHECK_EQ(lc_bsatn_size(t, (const u8 *)""), 0);
    lc_rd_init(&r, "", 0);
    CHECK_OK(lc_bsatn_validate(t, &r, NULL));
    /* (Without a caller limit the cap is LC_VALUE_JSON_MAX, 256 MiB: too slow for a unit
     * test, so exercise the same path with a 1 MiB caller limit.) */
    lc_buf_init(&b);
    b.limit = 1 << 20;
    lc_rd_init(&r, "", 0);
    CHECK_ERR(lc_bsatn_to_json(t, &r, &b), LC_ELIMIT);
    CHECK_EQ(b.len, 0);
    lc_buf_deinit(&b);
    lc_typespace_deinit(&ts);
}

static const char *tj(const lc_type *t, bool bare_product)
{
    static char out[2048];
    lc_buf b;
    lc_buf_init(&b);
    int rc = bare_product ? lc_product_type_to_json(t, &b) : lc_type_to_json(t, &b);
    if (rc || b.len >= sizeof out) snprintf(out, sizeof out, "<error>");
    else {
        memcpy(out, b.data, b.len);
        out[b.len] = 0;
    }
    lc_buf_deinit(&b);
    return out;
}

TEST(value_json_types)
{
    lc_typespace ts;
    lc_typespace_init(&ts);
    CHECK_STR(tj(lc_type_option(&ts, P(LC_T_STRING)), false),
              "{\"Sum\":{\"variants\":[{\"name\":{\"some\":\"some\"},\"algebraic_type\":"
              "{\"String\":[]}},{\"name\":{\"some\":\"none\"},\"algebraic_type\":{\"Product\":"
              "{\"elements\":[]}}}]}}");
    lc_type_elem e[3] = { { "id", P(LC_T_U32) }, { NULL, lc_type_array(&ts, P(LC_T_F64)) },
                          { "r", lc_type_ref(&ts, 4) } };
    const lc_type *p = lc_type_product(&ts, 3, e);
    CHECK_STR(tj(p, true),
              "{\"elements\":[{\"name\":{\"some\":\"id\"},\"algebraic_type\":{\"U32\":[]}},"
              "{\"name\":{\"none\":[]},\"algebraic_type\":{\"Array\":{\"F64\":[]}}},"
              "{\"name\":{\"some\":\"r\"},\"algebraic_type\":{\"Ref\":4}}]}");
    CHECK_STR(tj(P(LC_T_I256), false), "{\"I256\":[]}");
    CHECK_STR(tj(P(LC_T_BOOL), true), "<error>");
    lc_typespace_deinit(&ts);
}

/* JSON text -> BSATN; returns the code, bytes in *b (caller deinits), message in msg. */
static int from_text(const lc_type *t, const char *text, lc_buf *b, char *msg)
{
    lc_errbuf eb = { "" };
    lc_buf_init(b);
    int rc = lc_json_text_to_bsatn(t, text, strlen(text), b, &eb);
    strcpy(msg, eb.msg);
    return rc;
}

#define CHECK_JSON_BYTES(t, text, bytes, n)                                          \
    do {                                                                             \
        lc_buf _b;                                                                   \
        char _m[256];                                                                \
        int _rc = from_text((t), (text), &_b, _m);                                   \
        if (_rc) lc_test_fail(__FILE__, __LINE__, "%s: %s", (text), _m);             \
        bool _ok = !_rc && _b.len == (n) && memcmp(_b.data, (bytes), (n)) == 0;      \
        lc_buf_deinit(&_b);                                                          \
        CHECK(_ok);                                                                  \
    } while (0)

#define CHECK_JSON_ERR(t, text, want_code, want_msg)                                 \
    do {                                                                             \
        lc_buf _b;                                                                   \
        char _m[256];                                                                \
        int _rc = from_text((t), (text), &_b, _m);                                   \
        size_t _len = _b.len;                                                        \
        lc_buf_deinit(&_b);                                                          \
        CHECK_ERR(_rc, (want_code));                                                 \
        CHECK_EQ(_len, 0);                                                           \
        if (want_msg) CHECK_STR(_m, (const char *)(want_msg));                       \
    } while (0)

TEST(value_json_input_products_and_sums)
{
    lc_typespace ts;
    lc_typespace_init(&ts);
    const lc_type *os = lc_type_option(&ts, P(LC_T_STRING));
    lc_type_elem ae[2] = { { "name", P(LC_T_STRING) }, { "age", os } };
    const lc_type *args = lc_type_product(&ts, 2, ae);
    static const u8 want[] = { 3, 0, 0, 0, 'B', 'o', 'b', 0, 1, 0, 0, 0, 'x' };
    static const u8 want_none[] = { 3, 0, 0, 0, 'B', 'o', 'b', 1 };
    CHECK_JSON_BYTES(args, "[\"Bob\", {\"some\": \"x\"}]", want, sizeof want);
    CHECK_JSON_BYTES(args, "{\"age\": [0, \"x\"], \"name\": \"Bob\"}", want, sizeof want);
    CHECK_JSON_BYTES(args, "[\"Bob\", {\"0\": \"x\"}]", want, sizeof want);
    CHECK_JSON_BYTES(args, "[\"Bob\", [\"some\", \"x\"]]", want, sizeof want);
    CHECK_JSON_BYTES(args, "[\"Bob\", null]", want_none, sizeof want_none);
    CHECK_JSON_BYTES(args, "[\"Bob\", {\"none\": []}]", want_none, sizeof want_none);
    CHECK_JSON_BYTES(args, "[\"Bob\", [1, []]]", want_none, sizeof want_none);
    CHECK_JSON_ERR(args, "[\"Bob\"]", LC_ETYPE, "at $: expected 2 elements, got 1");
    CHECK_JSON_ERR(args, "{\"name\": \"Bob\"}", LC_ETYPE, "at $.age: missing field");
    CHECK_JSON_ERR(args, "{\"name\": \"Bob\", \"age\": null, \"x\": 1}", LC_ETYPE,
                   "at $.x: unknown field");
    CHECK_JSON_ERR(args, "{\"name\": \"A\", \"name\": \"B\", \"age\": null}", LC_ESYNTAX, NULL);
    CHECK_JSON_ERR(args, "[5, null]", LC_ETYPE, "at $[0]: expected a string");
    CHECK_JSON_ERR(args, "[\"Bob\", {\"maybe\": 1}]", LC_ETYPE, "at $[1]: unknown variant");
    CHECK_JSON_ERR(args, "[\"Bob\", {\"some\": 1}]", LC_ETYPE,
                   "at $[1].some: expected a string");
    CHECK_JSON_ERR(args, "[\"Bob\", {\"some\": \"x\", \"none\": []}]", LC_ETYPE, NULL);
    CHECK_JSON_ERR(args, "[\"Bob\", [2, []]]", LC_ETYPE, NULL);
    CHECK_JSON_ERR(args, "[\"Bob\", null", LC_ESYNTAX, NULL);
    CHECK_JSON_ERR(args, "\"Bob\"", LC_ETYPE, NULL);
    /* Keys that parse as u8 ("1", "+1", "001") are tags first, as in SpacetimeDB. */
    const lc_type *unit = lc_type_special_get(&ts, LC_TS_UNIT);
    lc_type_elem tv[3] = { { "x", unit }, { "0", unit }, { "y", unit } };
    const lc_type *tsum = lc_type_sum(&ts, 3, tv);
    CHECK_JSON_BYTES(tsum, "{\"0\": []}", "\x00", 1);
    CHECK_JSON_BYTES(tsum, "{\"+1\": []}", "\x01", 1);
    CHECK_JSON_BYTES(tsum, "{\"002\": {}}", "\x02", 1);
    CHECK_JSON_BYTES(tsum, "[\"y\", []]", "\x02", 1);
    CHECK_JSON_ERR(tsum, "{\"256\": []}", LC_ETYPE, "at $: unknown variant");
    int v;
    CHECK(lc_json_is_u8_text("255", &v) && v == 255);
    CHECK(!lc_json_is_u8_text("256", &v) && !lc_json_is_u8_text("", &v));
    CHECK(!lc_json_is_u8_text("-1", &v) && !lc_json_is_u8_text("1a", &v));
    /* Unnamed elements cannot come from an object. */
    lc_type_elem ue[1] = { { NULL, P(LC_T_U8) } };
    CHECK_JSON_ERR(lc_type_product(&ts, 1, ue), "{\"0\": 1}", LC_ETYPE, NULL);
    lc_typespace_deinit(&ts);
}

TEST(value_json_input_scalars)
{
    lc_typespace ts;
    lc_typespace_init(&ts);
    CHECK_JSON_BYTES(P(LC_T_BOOL), "true", "\x01", 1);
    CHECK_JSON_ERR(P(LC_T_BOOL), "1", LC_ETYPE, "at $: expected true or false");
    CHECK_JSON_BYTES(P(LC_T_I8), "-128", "\x80", 1);
    CHECK_JSON_ERR(P(LC_T_I8), "128", LC_ETYPE, "at $: integer out of range for I8");
    CHECK_JSON_ERR(P(LC_T_U8), "-1", LC_ETYPE, NULL);
    CHECK_JSON_ERR(P(LC_T_U32), "1.5", LC_ETYPE, NULL);
    CHECK_JSON_BYTES(P(LC_T_U32), "4294967295", "\xff\xff\xff\xff", 4);
    CHECK_JSON_ERR(P(LC_T_U32), "4294967296", LC_ETYPE, NULL);
    CHECK_JSON_BYTES(P(LC_T_U64), "18446744073709551615", "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
    CHECK_JSON_ERR(P(LC_T_U64), "18446744073709551616", LC_ETYPE, NULL);
    CHECK_JSON_BYTES(P(LC_T_I64), "-9223372036854775808", "\0\0\0\0\0\0\0\x80", 8);
    CHECK_JSON_ERR(P(LC_T_I64), "9223372036854775808", LC_ETYPE, NULL);
    u8 w[32];
    memset(w, 0xff, 16);
    CHECK_JSON_BYTES(P(LC_T_U128), "340282366920938463463374607431768211455", w, 16);
    CHECK_JSON_BYTES(P(LC_T_I128), "-1", w, 16);
    memset(w, 0, 16);
    w[15] = 0x80;
    CHECK_JSON_BYTES(P(LC_T_I128), "-170141183460469231731687303715884105728", w, 16);
    CHECK_JSON_ERR(P(LC_T_I128), "170141183460469231731687303715884105728", LC_ETYPE, NULL);
    memset(w, 0, 32);
    w[0] = 0x2a;
    CHECK_JSON_BYTES(P(LC_T_U256), "\"0x2A\"", w, 32);
    CHECK_JSON_BYTES(P(LC_T_U256), "42", w, 32);
    memset(w, 0xff, 32);
    CHECK_JSON_BYTES(P(LC_T_I256), "\"-0x1\"", w, 32);
    CHECK_JSON_ERR(P(LC_T_U256), "\"0xg\"", LC_ETYPE, "at $: expected an integer string");
    CHECK_JSON_ERR(P(LC_T_U256),
                   "\"0x1" "0000000000000000000000000000000000000000000000000000000000000000\"",
                   LC_ETYPE, NULL);
    double d = 0.1;
    float f = 0.1f;
    CHECK_JSON_BYTES(P(LC_T_F64), "0.1", &d, 8);
    CHECK_JSON_BYTES(P(LC_T_F32), "0.1", &f, 4);
    d = 3;
    CHECK_JSON_BYTES(P(LC_T_F64), "3", &d, 8);
    CHECK_JSON_ERR(P(LC_T_F64), "null", LC_ETYPE, NULL);
    CHECK_JSON_BYTES(P(LC_T_STRING), "\"a\\u0000b\"", "\x03\x00\x00\x00" "a\0b", 7);
    const lc_type *bytes = lc_type_array(&ts, P(LC_T_U8));
    CHECK_JSON_BYTES(bytes, "\"00aBff\"", "\x03\x00\x00\x00\x00\xab\xff", 7);
    CHECK_JSON_BYTES(bytes, "[0, 171, 255]", "\x03\x00\x00\x00\x00\xab\xff", 7);
    CHECK_JSON_ERR(bytes, "\"abc\"", LC_ETYPE, "at $: hex string of odd length");
    CHECK_JSON_ERR(bytes, "[0, 256]", LC_ETYPE, "at $[1]: integer out of range for U8");
    lc_typespace_deinit(&ts);
}

TEST(value_json_input_identity_forms)
{
    lc_typespace ts;
    lc_typespace_init(&ts);
    const lc_type *id = lc_type_special_get(&ts, LC_TS_IDENTITY);
    u8 want[32] = { 0 };
    want[0] = 0x01;
    want[31] = 0xc2;
    const char *hex = "c200000000000000000000000000000000000000000000000000000000000001";
    char text[128];
    snprintf(text, sizeof text, "\"%s\"", hex);
    CHECK_JSON_BYTES(id, text, want, 32);
    snprintf(text, sizeof text, "\"0x%s\"", hex);
    CHECK_JSON_BYTES(id, text, want, 32);
    snprintf(text, sizeof text, "[\"0x%s\"]", hex);
    CHECK_JSON_BYTES(id, text, want, 32);
    snprintf(text, sizeof text, "{\"__identity__\": \"0x%s\"}", hex);
    CHECK_JSON_BYTES(id, text, want, 32);
    i64 ts_us = -5;
    CHECK_JSON_BYTES(lc_type_special_get(&ts, LC_TS_TIMESTAMP), "-5", &ts_us, 8);
    CHECK_JSON_BYTES(lc_type_special_get(&ts, LC_TS_TIMESTAMP), "[-5]", &ts_us, 8);
    lc_typespace_deinit(&ts);
}

/* ---- random round trip ---- */

static u64 rng_next(u64 *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    u64 x = *s;
    x ^= x >> 33;
    return x * 0xff51afd7ed558ccdull;
}

/* Appends a random valid value of t. */
static void gen_value(const lc_type *t, lc_buf *b, u64 *s, int depth)
{
    switch (t->kind) {
    case LC_T_BOOL: lc_buf_put_u8(b, rng_next(s) & 1); return;
    case LC_T_STRING: {
        static const char *pool[] = { "", "a", "Bob", "\"q\"\\", "\n\t\x01",
                                      "\xc3\xa9\xe2\x82\xac" };
        const char *p = pool[rng_next(s) % LC_ARRAY_LEN(pool)];
        lc_buf_put_str(b, p, (u32)strlen(p));
        return;
    }
    case LC_T_F32: {
        float f;
        do {
            u32 bits = (u32)rng_next(s);
            memcpy(&f, &bits, 4);
        } while (!isfinite(f));
        lc_buf_put(b, &f, 4);
        return;
    }
    case LC_T_F64: {
        double d;
        do {
            u64 bits = rng_next(s);
            memcpy(&d, &bits, 8);
        } while (!isfinite(d));
        lc_buf_put(b, &d, 8);
        return;
    }
    case LC_T_ARRAY: {
        u32 n = depth > 3 ? 0 : (u32)(rng_next(s) % 4);
        lc_buf_put_u32(b, n);
        for (u32 i = 0; i < n; i++) gen_value(t->array_elem, b, s, depth + 1);
        return;
    }
    case LC_T_PRODUCT:
        for (u32 i = 0; i < t->elem_count; i++) gen_value(t->elems[i].type, b, s, depth + 1);
        return;
    case LC_T_SUM: {
        u8 tag = (u8)(rng_next(s) % t->elem_count);
        lc_buf_put_u8(b, tag);
        gen_value(t->elems[tag].type, b, s, depth + 1);
        return;
    }
    default:
        for (int i = 0; i < t->fixed_size; i++) lc_buf_put_u8(b, (u8)rng_next(s));
        return;
    }
}

TEST(value_json_random_round_trip)
{
    lc_typespace ts;
    lc_typespace_init(&ts);
    const lc_type *kinds[LC_T_KIND_COUNT];
    int nk = 0;
    for (int k = LC_T_STRING; k < LC_T_KIND_COUNT; k++) kinds[nk++] = P((lc_type_kind)k);
    lc_type_elem e[LC_T_KIND_COUNT + 4];
    static const char *const names[] = { "s", "b", "i8", "u8", "i16", "u16", "i32", "u32",
                                         "i64", "u64", "i128", "u128", "i256", "u256", "f32",
                                         "f64" };
    for (int i = 0; i < nk; i++) e[i] = (lc_type_elem){ names[i], kinds[i] };
    e[nk] = (lc_type_elem){ "opt", lc_type_option(&ts, lc_type_array(&ts, P(LC_T_I32))) };
    e[nk + 1] = (lc_type_elem){ "bytes", lc_type_array(&ts, P(LC_T_U8)) };
    e[nk + 2] = (lc_type_elem){ "sched", lc_type_special_get(&ts, LC_TS_SCHEDULE_AT) };
    e[nk + 3] = (lc_type_elem){ "id", lc_type_special_get(&ts, LC_TS_IDENTITY) };
    const lc_type *row = lc_type_product(&ts, (u32)nk + 4, e);
    const lc_type *t = lc_type_array(&ts, row);
    u64 seed = lc_test_seed();
    for (int iter = 0; iter < 300; iter++) {
        lc_buf v, j, back;
        lc_buf_init(&v);
        lc_buf_init(&j);
        lc_buf_init(&back);
        gen_value(t, &v, &seed, 0);
        lc_rd r;
        lc_rd_init(&r, v.data, v.len);
        CHECK_OK(lc_bsatn_validate(t, &r, NULL));
        bool same = true;
        for (int typed = 0; typed < 2 && same; typed++) {
            lc_rd_init(&r, v.data, v.len);
            lc_buf_reset(&j);
            lc_buf_reset(&back);
            CHECK_OK(typed ? lc_bsatn_to_json_typed(t, &r, &j) : lc_bsatn_to_json(t, &r, &j));
            lc_errbuf eb = { "" };
            int rc = lc_json_text_to_bsatn(t, (const char *)j.data, j.len, &back, &eb);
            if (rc) lc_test_fail(__FILE__, __LINE__, "%s in %.*s", eb.msg, (int)j.len, j.data);
            same = !rc && back.len == v.len && memcmp(back.data, v.data, v.len) == 0;
            if (!same) lc_test_fail(__FILE__, __LINE__, "differs: %.*s", (int)j.len, j.data);
        }
        lc_buf_deinit(&v);
        lc_buf_deinit(&j);
        lc_buf_deinit(&back);
        if (!same) return;
    }
    lc_typespace_deinit(&ts);
}
