/*
 * tests/fuzz/fuzz_bsatn.c — libFuzzer target for value/: the type meta-encoding, BSATN
 * validate/skip/size/cmp, SATS-JSON out and JSON in, all from untrusted bytes.
 *
 * Input layout:
 *   byte 0        flags: bit 0 = the type section is a Typespace (its first type, resolved, is
 *                 the root); bit 1 = the value section is JSON text, not BSATN
 *   type section  one AlgebraicType (or a Typespace), meta-encoded
 *   value section BSATN values of the root type, back to back, or JSON text
 * Invariants checked (abort on violation, so the fuzzer reports them):
 *   - decoding never over-reads or leaks; a decoded type re-encodes to the bytes it came from
 *     and decodes again to an equal type;
 *   - for each value that validates: lc_bsatn_size equals the bytes consumed, skip agrees,
 *     cmp(v, v) == 0, cmp is antisymmetric against the previous value, and when the type has
 *     no floats (NaN/inf render as null) JSON out (untyped and typed) -> JSON in reproduces
 *     the exact bytes (typed: unless a variant is named like a tag, see type_traits);
 *   - whatever JSON in accepts is valid BSATN of the type.
 * Built with MODE=fuzz (make fuzz-bsatn). In other modes the same file builds a replay
 * program (main below) that runs every file of the given corpus directories or files, which
 * the test suite uses to keep the seed corpus and past crashes green under ASan.
 */
#include "base/alloc.h"
#include "value/value.h"

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(c)                                                                \
    do {                                                                             \
        if (!(c)) {                                                                  \
            fprintf(stderr, "fuzz_bsatn: invariant failed: %s (line %d)\n", #c, __LINE__); \
            abort();                                                                 \
        }                                                                            \
    } while (0)

enum { HAS_FLOAT = 1, HAS_TAG_NAME = 2 };

/* Float kinds, variants named like a tag ("0", "+7") and repeated element names in a type
 * tree (refs not followed, so linear in its encoded size). NaN/inf render as null, a typed
 * {"0": v} reads back as tag 0, and a typed object with a repeated key is rejected (all as in
 * SpacetimeDB), so those types are exempt from exact JSON round trips (HAS_TAG_NAME: typed
 * only). */
static int type_traits(const lc_type *t)
{
    int f = 0, tag;
    switch (t->kind) {
    case LC_T_F32:
    case LC_T_F64: return HAS_FLOAT;
    case LC_T_ARRAY: return type_traits(t->array_elem);
    case LC_T_PRODUCT:
    case LC_T_SUM:
        for (u32 i = 0; i < t->elem_count; i++) {
            const char *name = t->elems[i].name;
            if (t->kind == LC_T_SUM && name && lc_json_is_u8_text(name, &tag)) f |= HAS_TAG_NAME;
            for (u32 k = 0; name && t->kind == LC_T_PRODUCT && k < i; k++)
                if (t->elems[k].name && !strcmp(t->elems[k].name, name)) f |= HAS_TAG_NAME;
            f |= type_traits(t->elems[i].type);
        }
        return f;
    default: return 0;
    }
}

/* Decodes the root type into ts (and a resolved copy into rs). NULL if the input is bad. */
static const lc_type *decode_root(lc_typespace *ts, lc_typespace *rs, bool is_space, lc_rd *r)
{
    lc_errbuf eb;
    const lc_type *t = NULL, *res = NULL;
    const u8 *start = r->p;
    if (is_space) {
        if (lc_typespace_decode(ts, r, &eb) || ts->count == 0) return NULL;
        t = ts->types[0];
    } else {
        if (lc_type_decode(ts, r, &t, &eb)) return NULL;
        /* Re-encoding gives back exactly the consumed bytes. */
        lc_buf b;
        lc_buf_init(&b);
        lc_type_encode(&b, t);
        FUZZ_CHECK(!b.err && b.len == (size_t)(r->p - start) && !memcmp(b.data, start, b.len));
        lc_rd r2;
        lc_rd_init(&r2, b.data, b.len);
        const lc_type *t2;
        FUZZ_CHECK(lc_type_decode(ts, &r2, &t2, &eb) == 0 && lc_type_equal(t, t2));
        lc_buf_deinit(&b);
    }
    char fmt[64];
    lc_type_format(t, fmt, sizeof fmt);
    FUZZ_CHECK(strlen(fmt) < sizeof fmt);
    if (lc_type_resolve(rs, ts, t, &res, &eb)) return NULL;
    lc_buf b;
    lc_buf_init(&b);
    b.limit = 1 << 16;
    int rc = lc_type_to_json(res, &b);
    FUZZ_CHECK(rc == 0 || rc == LC_ELIMIT || rc == LC_ENOMEM);
    lc_buf_deinit(&b);
    return res;
}

static void check_value(const lc_type *t, const u8 *v, size_t n, const u8 *prev, int traits)
{
    FUZZ_CHECK(lc_bsatn_size(t, v) == n);
    lc_rd r;
    lc_rd_init(&r, v, n);
    lc_bsatn_skip(t, &r);
    FUZZ_CHECK(!r.err && lc_rd_left(&r) == 0);
    FUZZ_CHECK(lc_bsatn_cmp(t, v, v) == 0);
    if (prev) FUZZ_CHECK(lc_bsatn_cmp(t, v, prev) == -lc_bsatn_cmp(t, prev, v));
    for (int typed = 0; typed < 2; typed++) {
        lc_buf j, back;
        lc_buf_init(&j);
        lc_buf_init(&back);
        j.limit = 1 << 16; /* keeps each run fast: zero-sized arrays expand */
        lc_rd_init(&r, v, n);
        int rc = typed ? lc_bsatn_to_json_typed(t, &r, &j) : lc_bsatn_to_json(t, &r, &j);
        FUZZ_CHECK(rc == 0 || rc == LC_ELIMIT || rc == LC_ENOMEM || (typed && rc == LC_EINVAL));
        if (rc == 0) {
            lc_errbuf eb;
            rc = lc_json_text_to_bsatn(t, (const char *)j.data, j.len, &back, &eb);
            bool same = rc == 0 && back.len == n && (n == 0 || !memcmp(back.data, v, n));
            bool exempt = (traits & HAS_FLOAT) || (typed && (traits & HAS_TAG_NAME));
            if (!exempt) FUZZ_CHECK(same);
        }
        lc_buf_deinit(&j);
        lc_buf_deinit(&back);
    }
}

static void run_values(const lc_type *t, lc_rd *r, int traits)
{
    const u8 *prev = NULL;
    for (int i = 0; i < 64 && lc_rd_left(r); i++) {
        const u8 *start = r->p;
        lc_errbuf eb;
        if (lc_bsatn_validate(t, r, &eb)) return;
        check_value(t, start, (size_t)(r->p - start), prev, traits);
        if (r->p == start) return; /* zero-sized type: one value is enough */
        prev = start;
    }
}

static void run_json(const lc_type *t, const u8 *p, size_t n)
{
    lc_buf out;
    lc_buf_init(&out);
    out.limit = 1 << 20;
    lc_errbuf eb;
    if (lc_json_text_to_bsatn(t, (const char *)p, n, &out, &eb) == 0) {
        lc_rd r;
        lc_rd_init(&r, out.data, out.len);
        FUZZ_CHECK(lc_bsatn_validate(t, &r, &eb) == 0 && lc_rd_left(&r) == 0);
    }
    lc_buf_deinit(&out);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
    if (size < 2) return 0;
    u8 flags = data[0];
    lc_rd r;
    lc_rd_init(&r, data + 1, size - 1);
    lc_typespace ts, rs;
    lc_typespace_init(&ts);
    lc_typespace_init(&rs);
    ts.arena.limit = rs.arena.limit = 8u << 20;
    const lc_type *t = decode_root(&ts, &rs, flags & 1, &r);
    int traits = 0; /* over the decoded trees, not the resolved (shared) type */
    for (u32 i = 0; t && i < ts.count; i++) traits |= type_traits(ts.types[i]);
    if (t && !(flags & 1)) traits = type_traits(t);
    if (t && (flags & 2)) run_json(t, r.p, lc_rd_left(&r));
    else if (t) run_values(t, &r, traits);
    lc_typespace_deinit(&ts);
    lc_typespace_deinit(&rs);
    return 0;
}
