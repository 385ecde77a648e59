/*
 * tests/sdk/sdk_test.h — shared helpers of the SDK module tests (one test binary per module).
 *
 * sdk_setup() describes the module once (through the fake host's sink), decodes the bytes
 * with the independent moddef decoder, builds the fake host from it, and resets all tables
 * before each test. Argument builders append BSATN (spec §2) to an lc_buf; row readers decode
 * columns from fake-host rows. Everything is freed at exit, before LeakSanitizer looks.
 */
#ifndef LC_TESTS_SDK_SDK_TEST_H
#define LC_TESTS_SDK_SDK_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "harness.h"
#include "sdk/fake_host.h"
#include "sdk/moddef.h"

static moddef g_md;
static u8 *g_desc;
static u32 g_desc_len;
static bool g_ready;
static int g_decode_rc;

static void sdk_teardown(void)
{
    fh_deinit();
    moddef_deinit(&g_md);
    lc_free(g_desc);
}

/* Returns false if the description did not decode (the caller CHECKs it). */
static inline bool sdk_setup(void)
{
    if (!g_ready) {
        g_desc = fh_describe(&g_desc_len);
        /* the suite compares the real .wasm module's description with this one */
        const char *dump = getenv("SDK_DESCRIBE_OUT");
        FILE *f = dump ? fopen(dump, "wb") : NULL;
        if (f) {
            fwrite(g_desc, 1, g_desc_len, f);
            fclose(f);
        }
        g_decode_rc = moddef_decode(&g_md, g_desc, g_desc_len);
        if (g_decode_rc == 0 && fh_init(&g_md) != 0) g_decode_rc = LC_EINVAL;
        atexit(sdk_teardown);
        g_ready = true;
    }
    if (g_decode_rc != 0) return false;
    fh_reset();
    return true;
}

static const u8 NO_CONN[16];

static inline void ident(u8 out[32], u8 seed)
{
    for (int i = 0; i < 32; i++) out[i] = (u8)(seed * 31 + i);
}

static inline void conn(u8 out[16], u8 seed)
{
    for (int i = 0; i < 16; i++) out[i] = (u8)(seed + i + 1);
}

static inline void put_str(lc_buf *b, const char *s)
{
    lc_buf_put_u32(b, (u32)strlen(s));
    lc_buf_put(b, s, strlen(s));
}

/* A BSATN string read from r, as a NUL-terminated copy in a static buffer (tests only). */
static inline const char *rd_str(lc_rd *r)
{
    static char tmp[8192];
    u32 n = lc_rd_u32(r);
    const u8 *q = lc_rd_take(r, n);
    if (!q || n >= sizeof tmp) return "<bad string>";
    memcpy(tmp, q, n);
    tmp[n] = 0;
    return tmp;
}

static inline bool md_is_wrapper(const md_type *t, const char *field, u8 prim)
{
    return t && t->tag == MD_PRODUCT && t->count == 1 && t->names[0] &&
           strcmp(t->names[0], field) == 0 && t->elems[0]->tag == prim;
}

static inline bool md_is_unit(const md_type *t)
{
    return t && t->tag == MD_PRODUCT && t->count == 0;
}

/* Column `i` of table row type: name and type. */
static inline const md_type *md_col(const moddef *md, const md_table *t, u32 i,
                                    const char **out_name)
{
    const md_type *row = moddef_resolve(md, md->types[t->type_ref]);
    *out_name = "";
    if (!row || i >= row->count) return NULL;
    *out_name = row->names[i];
    return row->elems[i];
}

/* The last captured log line whose message equals msg, or NULL. */
static inline const fh_log *find_log(const char *msg)
{
    for (u32 i = fh_log_count(); i-- > 0;) {
        if (strcmp(fh_log_get(i)->message, msg) == 0) return fh_log_get(i);
    }
    return NULL;
}

#endif
