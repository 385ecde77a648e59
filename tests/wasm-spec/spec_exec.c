/*
 * tests/wasm-spec/spec_exec.c — runs the commands of one wast2json output file (child side
 * of the spec-test runner; the protocol it writes is described in spec.h).
 *
 * State per file: one linker (holding the spectest module and every `register`ed instance),
 * the current instance (the last `module`), and named instances ("$M1") for actions that name
 * their module. Every module and instance lives until the end of the file: a funcref stored
 * in another instance's table does not keep its instance alive (wasm.h), and the spec's
 * linking tests do exactly that.
 *
 * Values from the JSON are bit patterns in decimal ("4294967295" is i32 -1, f32 values are
 * their IEEE bits); `ref.extern n` crosses the engine API as n + 1 because 0 is null there.
 * Expected floats may be "nan:canonical" (sign-free quiet NaN with an all-zero payload) or
 * "nan:arithmetic" (any quiet NaN); everything else must match bit for bit.
 *
 * Outcome rules:
 *   assert_trap / assert_uninstantiable  an LC_ETRAP_* code whose message and the expected
 *       text agree (one is a prefix of the other: "unreachable" vs "unreachable executed")
 *   assert_exhaustion                    LC_ETRAP_STACK
 *   assert_invalid / assert_malformed    the load fails; with another code than LC_EINVALID /
 *       LC_EMALFORMED it passes with a note (binary-format ambiguities make the split partly
 *       engine-specific) or, with --strict, fails; text-format ones are skipped
 *   assert_unlinkable                    the load succeeds, instantiation is LC_EUNLINKABLE
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/alloc.h"
#include "wasm-spec/spec.h"
#include "wasm-spec/spectest.h"
#include "wasm/wasm.h"

/* Fuel for one command: far above what any spec test needs (the largest loop runs a few
 * million iterations), low enough that a broken back-edge traps in seconds, not hours. */
#define SPEC_FUEL 2000000000ull
#define SPEC_VALUES_MAX 256
#define SPEC_NAMED_MAX 256
#define SPEC_OWNED_MAX 4096
#define SPEC_FILE_SIZE_MAX (64u << 20)

typedef struct named_instance {
    char *name;
    lc_wasm_instance *instance;  /* NULL when the module failed to instantiate */
} named_instance;

typedef struct spec_ctx {
    const spec_child_opts *opts;
    char dir[1024];                  /* directory of the .json: module files are relative */
    lc_wasm_linker *linker;
    spectest spectest;
    lc_wasm_limits limits;
    lc_wasm_instance *current;
    named_instance named[SPEC_NAMED_MAX];
    u32 named_count;
    lc_wasm_module *modules[SPEC_OWNED_MAX];
    u32 module_count;
    lc_wasm_instance *instances[SPEC_OWNED_MAX];
    u32 instance_count;
} spec_ctx;

/* One command's outcome. */
typedef struct spec_result {
    char status;       /* 'P', 'F' or 'S' */
    char msg[512];
} spec_result;

static int result_set(spec_result *res, char status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int result_set(spec_result *res, char status, const char *fmt, ...)
{
    va_list ap;
    res->status = status;
    va_start(ap, fmt);
    vsnprintf(res->msg, sizeof res->msg, fmt, ap);
    va_end(ap);
    return 0;
}

static int result_pass(spec_result *res)
{
    res->status = 'P';
    res->msg[0] = 0;
    return 0;
}

/* ---------------------------------------------------------------- output ----------------- */

static void out_write(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

static void out_begin(int fd, u32 idx, u32 line, const char *kind)
{
    char buf[128];
    int n = snprintf(buf, sizeof buf, "B %u %u %s\n", idx, line, kind);
    out_write(fd, buf, (size_t)n);
}

static void out_result(int fd, u32 idx, u32 line, const char *kind, const spec_result *res)
{
    char buf[700];
    int n = snprintf(buf, sizeof buf, "R %u %c %u %s\t", idx, res->status, line, kind);
    for (const char *p = res->msg; *p && n < (int)sizeof buf - 2; p++) {
        buf[n++] = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p;
    }
    buf[n++] = '\n';
    out_write(fd, buf, (size_t)n);
}

/* ---------------------------------------------------------------- values ----------------- */

enum { NAN_NONE = 0, NAN_CANONICAL, NAN_ARITHMETIC };

/* A value from the JSON: an argument, or an expected result (which may be a NaN class or a
 * non-null funcref of unknown identity). */
typedef struct spec_val {
    u8 type;           /* lc_wasm_valtype */
    u8 nan_kind;
    bool is_any_ref;   /* expected funcref/externref without a value: any non-null */
    u64 bits;
} spec_val;

static int valtype_parse(const char *s, u8 *out_type)
{
    static const struct { const char *name; u8 type; } map[] = {
        {"i32", LC_WASM_I32}, {"i64", LC_WASM_I64}, {"f32", LC_WASM_F32},
        {"f64", LC_WASM_F64}, {"funcref", LC_WASM_FUNCREF}, {"externref", LC_WASM_EXTERNREF},
    };
    for (size_t i = 0; i < LC_ARRAY_LEN(map); i++) {
        if (strcmp(s, map[i].name) == 0) {
            *out_type = map[i].type;
            return 0;
        }
    }
    return LC_ENOTSUP;
}

static const char *valtype_name(u8 t)
{
    switch (t) {
    case LC_WASM_I32: return "i32";
    case LC_WASM_I64: return "i64";
    case LC_WASM_F32: return "f32";
    case LC_WASM_F64: return "f64";
    case LC_WASM_FUNCREF: return "funcref";
    case LC_WASM_EXTERNREF: return "externref";
    default: return "?";
    }
}

static bool is_ref(u8 t) { return t == LC_WASM_FUNCREF || t == LC_WASM_EXTERNREF; }

/* Parses {"type": "i32", "value": "42"} (value optional for expected refs). */
static int val_parse(json_t *j, spec_val *out)
{
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *value = json_string_value(json_object_get(j, "value"));
    memset(out, 0, sizeof *out);
    if (!type || valtype_parse(type, &out->type) != 0) return LC_ENOTSUP;
    if (!value) {
        if (!is_ref(out->type)) return LC_EINVAL;
        out->is_any_ref = true;
        return 0;
    }
    if (strcmp(value, "nan:canonical") == 0) {
        out->nan_kind = NAN_CANONICAL;
    } else if (strcmp(value, "nan:arithmetic") == 0) {
        out->nan_kind = NAN_ARITHMETIC;
    } else if (strcmp(value, "null") == 0) {
        if (!is_ref(out->type)) return LC_EINVAL;
        out->bits = LC_WASM_REF_NULL;
    } else {
        char *end = NULL;
        out->bits = strtoull(value, &end, 10);
        if (!end || *end) return LC_EINVAL;
        if (out->type == LC_WASM_EXTERNREF) out->bits += 1;  /* ref.extern n -> n + 1 */
        if (out->type == LC_WASM_FUNCREF) return LC_ENOTSUP;  /* no funcref identities */
    }
    if (out->nan_kind && out->type != LC_WASM_F32 && out->type != LC_WASM_F64) return LC_EINVAL;
    return 0;
}

static bool val_matches(const spec_val *want, u64 got)
{
    switch (want->type) {
    case LC_WASM_I32:
        return (u32)got == (u32)want->bits;
    case LC_WASM_F32:
        if (want->nan_kind == NAN_CANONICAL) return ((u32)got & 0x7fffffffu) == 0x7fc00000u;
        if (want->nan_kind == NAN_ARITHMETIC) return ((u32)got & 0x7fc00000u) == 0x7fc00000u;
        return (u32)got == (u32)want->bits;
    case LC_WASM_F64:
        if (want->nan_kind == NAN_CANONICAL) {
            return (got & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
        }
        if (want->nan_kind == NAN_ARITHMETIC) {
            return (got & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
        }
        return got == want->bits;
    default:
        if (want->is_any_ref) return got != LC_WASM_REF_NULL;
        return got == want->bits;
    }
}

/* "ref.null", "ref.extern N" (undoing the n + 1 encoding), or the funcref's address. */
static void ref_describe(u8 type, u64 bits, char *out, size_t out_size)
{
    if (bits == LC_WASM_REF_NULL) {
        snprintf(out, out_size, "%s:ref.null", valtype_name(type));
    } else if (type == LC_WASM_EXTERNREF) {
        snprintf(out, out_size, "ref.extern %llu", (unsigned long long)(bits - 1));
    } else {
        snprintf(out, out_size, "funcref:0x%llx", (unsigned long long)bits);
    }
}

static void val_describe(const spec_val *v, char *out, size_t out_size)
{
    const char *t = valtype_name(v->type);
    if (v->nan_kind) {
        snprintf(out, out_size, "%s:nan:%s", t,
                 v->nan_kind == NAN_CANONICAL ? "canonical" : "arithmetic");
    } else if (v->is_any_ref) {
        snprintf(out, out_size, "%s:non-null", t);
    } else if (is_ref(v->type)) {
        ref_describe(v->type, v->bits, out, out_size);
    } else {
        snprintf(out, out_size, "%s:0x%llx", t, (unsigned long long)v->bits);
    }
}

/* ---------------------------------------------------------------- modules ---------------- */

/* Reads dir/filename into a fresh lc_alloc'd buffer (the name comes from the JSON, so it is
 * checked to stay inside dir). */
static int file_read(const spec_ctx *ctx, const char *filename, u8 **out_bytes, size_t *out_len)
{
    char path[2048];
    if (strchr(filename, '/') || strlen(filename) > 512) return LC_EINVAL;
    snprintf(path, sizeof path, "%s/%s", ctx->dir, filename);
    FILE *f = fopen(path, "rb");
    if (!f) return LC_EIO;
    u8 *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            u8 *nb = cap > SPEC_FILE_SIZE_MAX ? NULL : lc_realloc(buf, cap);
            if (!nb) {
                rc = LC_ENOMEM;
                break;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) break;
    }
    fclose(f);
    if (rc != 0) {
        lc_free(buf);
        return rc;
    }
    *out_bytes = buf;
    *out_len = len;
    return 0;
}

/* Loads (decodes + validates) the module named by the command's "filename". A failure to
 * find or read the file is the runner's, not the engine's: it sets *out_is_file_error. */
static int module_load_ex(spec_ctx *ctx, json_t *cmd, lc_wasm_module **out_module,
                          lc_errbuf *eb, bool *out_is_file_error)
{
    const char *filename = json_string_value(json_object_get(cmd, "filename"));
    u8 *bytes = NULL;
    size_t len = 0;
    *out_module = NULL;
    *out_is_file_error = true;
    if (!filename) return lc_errf(eb, LC_EINVAL, "command has no filename");
    int rc = file_read(ctx, filename, &bytes, &len);
    if (rc != 0) return lc_errf(eb, rc, "cannot read %s", filename);
    *out_is_file_error = false;
    rc = lc_wasm_module_load(bytes, len, &ctx->limits, out_module, eb);
    lc_free(bytes);
    if (rc != 0) return rc;
    if (ctx->module_count == SPEC_OWNED_MAX) {
        lc_wasm_module_destroy(*out_module);
        *out_module = NULL;
        return lc_errf(eb, LC_ELIMIT, "too many modules in one file");
    }
    ctx->modules[ctx->module_count++] = *out_module;
    return 0;
}

static int module_load(spec_ctx *ctx, json_t *cmd, lc_wasm_module **out_module, lc_errbuf *eb)
{
    bool is_file_error;
    return module_load_ex(ctx, cmd, out_module, eb, &is_file_error);
}

static int instance_keep(spec_ctx *ctx, lc_wasm_instance *inst)
{
    if (ctx->instance_count == SPEC_OWNED_MAX) {
        lc_wasm_instance_destroy(inst);
        return LC_ELIMIT;
    }
    ctx->instances[ctx->instance_count++] = inst;
    return 0;
}

static void named_set(spec_ctx *ctx, const char *name, lc_wasm_instance *inst)
{
    if (!name || ctx->named_count == SPEC_NAMED_MAX) return;
    ctx->named[ctx->named_count].name = lc_strdup(name);
    ctx->named[ctx->named_count].instance = inst;
    ctx->named_count++;
}

/* The instance an action or register names, or the current one. Later names shadow. */
static lc_wasm_instance *instance_find(spec_ctx *ctx, const char *name)
{
    if (!name) return ctx->current;
    for (u32 i = ctx->named_count; i-- > 0;) {
        if (strcmp(ctx->named[i].name, name) == 0) return ctx->named[i].instance;
    }
    return NULL;
}

/* "module": load, instantiate, make current (and named). A failure leaves no current
 * module, so later commands fail visibly instead of running against a stale one. */
static int cmd_module(spec_ctx *ctx, json_t *cmd, spec_result *res)
{
    lc_errbuf eb = {{0}};
    lc_wasm_module *m = NULL;
    lc_wasm_instance *inst = NULL;
    const char *name = json_string_value(json_object_get(cmd, "name"));
    ctx->current = NULL;
    int rc = module_load(ctx, cmd, &m, &eb);
    if (rc != 0) {
        named_set(ctx, name, NULL);
        return result_set(res, 'F', "load failed: %s: %s", lc_err_name(rc), eb.msg);
    }
    rc = lc_wasm_instantiate(m, ctx->linker, &ctx->limits, &inst, &eb);
    if (rc == 0) rc = instance_keep(ctx, inst);
    if (rc != 0) {
        named_set(ctx, name, NULL);
        return result_set(res, 'F', "instantiate failed: %s: %s", lc_err_name(rc), eb.msg);
    }
    ctx->current = inst;
    named_set(ctx, name, inst);
    return result_pass(res);
}

static int cmd_register(spec_ctx *ctx, json_t *cmd, spec_result *res)
{
    const char *as = json_string_value(json_object_get(cmd, "as"));
    const char *name = json_string_value(json_object_get(cmd, "name"));
    lc_wasm_instance *inst = instance_find(ctx, name);
    if (!as) return result_set(res, 'F', "register without \"as\"");
    if (!inst) return result_set(res, 'F', "register: no module %s", name ? name : "(current)");
    int rc = lc_wasm_linker_define_instance(ctx->linker, as, inst);
    if (rc != 0) return result_set(res, 'F', "register failed: %s", lc_err_name(rc));
    return result_pass(res);
}

/* ---------------------------------------------------------------- actions ---------------- */

/* What an invoke or get produced. */
typedef struct action_out {
    int rc;                        /* 0 or the engine's code (a trap) */
    lc_errbuf eb;
    u64 results[SPEC_VALUES_MAX];
    u8 result_types[SPEC_VALUES_MAX];
    u32 result_count;
} action_out;

static int action_args(json_t *args, const lc_wasm_functype *ft, u64 *out_args,
                       spec_result *res)
{
    size_t n = json_array_size(args);
    if (n != ft->param_count || n > SPEC_VALUES_MAX) {
        result_set(res, 'F', "invoke: %zu arguments for %u parameters", n, ft->param_count);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        spec_val v;
        if (val_parse(json_array_get(args, i), &v) != 0 || v.nan_kind || v.is_any_ref) {
            result_set(res, 'F', "invoke: argument %zu not understood", i);
            return -1;
        }
        if (v.type != ft->params[i]) {
            result_set(res, 'F', "invoke: argument %zu is %s, parameter is %s", i,
                       valtype_name(v.type), valtype_name(ft->params[i]));
            return -1;
        }
        out_args[i] = v.bits;
    }
    return 0;
}

static int action_invoke(spec_ctx *ctx, lc_wasm_instance *inst, json_t *action,
                         action_out *out, spec_result *res)
{
    json_t *field = json_object_get(action, "field");
    lc_wasm_extern ext;
    if (!json_is_string(field) ||
        lc_wasm_instance_export(inst, json_string_value(field), json_string_length(field),
                                &ext) != 0 || ext.kind != LC_WASM_EXTERN_FUNC) {
        result_set(res, 'F', "invoke: no exported function \"%s\"",
                   json_is_string(field) ? json_string_value(field) : "?");
        return -1;
    }
    lc_wasm_functype ft;
    lc_wasm_func_type(ext.as.func, &ft);
    u64 args[SPEC_VALUES_MAX];
    if (action_args(json_object_get(action, "args"), &ft, args, res) != 0) return -1;
    if (ft.result_count > SPEC_VALUES_MAX) {
        result_set(res, 'F', "invoke: %u results is more than the runner handles",
                   ft.result_count);
        return -1;
    }
    lc_wasm_instance_set_fuel(inst, SPEC_FUEL);
    out->result_count = ft.result_count;
    memcpy(out->result_types, ft.results, ft.result_count);
    out->rc = lc_wasm_call(inst, ext.as.func, args, ft.param_count, out->results,
                           ft.result_count, &out->eb);
    return 0;
}

static int action_get(lc_wasm_instance *inst, json_t *action, action_out *out,
                      spec_result *res)
{
    json_t *field = json_object_get(action, "field");
    lc_wasm_extern ext;
    if (!json_is_string(field) ||
        lc_wasm_instance_export(inst, json_string_value(field), json_string_length(field),
                                &ext) != 0 || ext.kind != LC_WASM_EXTERN_GLOBAL) {
        result_set(res, 'F', "get: no exported global \"%s\"",
                   json_is_string(field) ? json_string_value(field) : "?");
        return -1;
    }
    lc_wasm_globaltype gt;
    lc_wasm_global_type(ext.as.global, &gt);
    out->results[0] = lc_wasm_global_get(ext.as.global);
    out->result_types[0] = gt.val_type;
    out->result_count = 1;
    out->rc = 0;
    return 0;
}

/* Runs the command's action. Returns 0 when the engine ran it (out->rc says how that went),
 * -1 when it could not be set up (res is already the failure). */
static int action_run(spec_ctx *ctx, json_t *cmd, action_out *out, spec_result *res)
{
    json_t *action = json_object_get(cmd, "action");
    const char *type = json_string_value(json_object_get(action, "type"));
    const char *module = json_string_value(json_object_get(action, "module"));
    memset(out, 0, sizeof *out);
    lc_wasm_instance *inst = instance_find(ctx, module);
    if (!inst) {
        result_set(res, 'F', "no module %s (it failed to load or instantiate?)",
                   module ? module : "(current)");
        return -1;
    }
    if (type && strcmp(type, "invoke") == 0) return action_invoke(ctx, inst, action, out, res);
    if (type && strcmp(type, "get") == 0) return action_get(inst, action, out, res);
    result_set(res, 'F', "unknown action type %s", type ? type : "(none)");
    return -1;
}

/* ---------------------------------------------------------------- assertions ------------- */

/* The engine's message for code and the spec's expected text agree when one is a prefix of
 * the other ("unreachable" / "unreachable executed", "uninitialized element 2" / ...). */
static bool trap_text_matches(int rc, const char *text)
{
    const char *msg = lc_strerror(rc);
    if (!text) return true;
    size_t a = strlen(msg), b = strlen(text);
    return strncmp(msg, text, LC_MIN(a, b)) == 0;
}

static int cmd_action(spec_ctx *ctx, json_t *cmd, spec_result *res)
{
    action_out out;
    if (action_run(ctx, cmd, &out, res) != 0) return 0;
    if (out.rc != 0) return result_set(res, 'F', "%s: %s", lc_err_name(out.rc), out.eb.msg);
    return result_pass(res);
}

static int cmd_assert_return(spec_ctx *ctx, json_t *cmd, spec_result *res)
{
    action_out out;
    if (action_run(ctx, cmd, &out, res) != 0) return 0;
    if (out.rc != 0) return result_set(res, 'F', "%s: %s", lc_err_name(out.rc), out.eb.msg);
    json_t *expected = json_object_get(cmd, "expected");
    if (json_array_size(expected) != out.result_count) {
        return result_set(res, 'F', "%u results, expected %zu", out.result_count,
                          json_array_size(expected));
    }
    for (u32 i = 0; i < out.result_count; i++) {
        spec_val want;
        char ws[64];
        if (val_parse(json_array_get(expected, i), &want) != 0) {
            return result_set(res, 'F', "expected value %u not understood", i);
        }
        val_describe(&want, ws, sizeof ws);
        if (want.type != out.result_types[i]) {
            return result_set(res, 'F', "result %u has type %s, expected %s", i,
                              valtype_name(out.result_types[i]), ws);
        }
        if (!val_matches(&want, out.results[i])) {
            char gs[64];
            if (is_ref(want.type)) {
                ref_describe(want.type, out.results[i], gs, sizeof gs);
            } else {
                snprintf(gs, sizeof gs, "%s:0x%llx", valtype_name(want.type),
                         (unsigned long long)out.results[i]);
            }
            return result_set(res, 'F', "result %u: got %s, expected %s", i, gs, ws);
        }
    }
    return result_pass(res);
}

static int cmd_assert_trap(spec_ctx *ctx, json_t *cmd, spec_result *res, bool is_exhaustion)
{
    const char *text = json_string_value(json_object_get(cmd, "text"));
    action_out out;
    if (action_run(ctx, cmd, &out, res) != 0) return 0;
    if (out.rc == 0) return result_set(res, 'F', "returned normally, expected trap \"%s\"", text);
    bool ok = is_exhaustion ? out.rc == LC_ETRAP_STACK
                            : lc_err_is_trap(out.rc) && trap_text_matches(out.rc, text);
    if (!ok) {
        return result_set(res, 'F', "got %s (%s), expected \"%s\"", lc_err_name(out.rc),
                          out.eb.msg, text);
    }
    return result_pass(res);
}

/* assert_invalid / assert_malformed: the load must fail. */
static int cmd_assert_load_fails(spec_ctx *ctx, json_t *cmd, spec_result *res)
{
    const char *text = json_string_value(json_object_get(cmd, "text"));
    const char *mtype = json_string_value(json_object_get(cmd, "module_type"));
    if (mtype && strcmp(mtype, "binary") != 0) {
        return result_set(res, 'S', "text-format module: not a binary test");
    }
    lc_errbuf eb = {{0}};
    lc_wasm_module *m = NULL;
    bool is_file_error;
    int rc = module_load_ex(ctx, cmd, &m, &eb, &is_file_error);
    if (rc == 0) return result_set(res, 'F', "module loaded, expected \"%s\"", text);
    if (is_file_error) return result_set(res, 'F', "runner: %s", eb.msg);
    bool is_invalid = strcmp(json_string_value(json_object_get(cmd, "type")), "assert_invalid") == 0;
    int want = is_invalid ? LC_EINVALID : LC_EMALFORMED;
    if (rc != want) {
        return result_set(res, ctx->opts->is_strict ? 'F' : 'P', "note: got %s (%s), expected %s",
                          lc_err_name(rc), eb.msg, lc_err_name(want));
    }
    return result_pass(res);
}

/* assert_unlinkable / assert_uninstantiable: loads, then instantiation fails. */
static int cmd_assert_inst_fails(spec_ctx *ctx, json_t *cmd, spec_result *res, bool is_trap)
{
    const char *text = json_string_value(json_object_get(cmd, "text"));
    lc_errbuf eb = {{0}};
    lc_wasm_module *m = NULL;
    lc_wasm_instance *inst = NULL;
    int rc = module_load(ctx, cmd, &m, &eb);
    if (rc != 0) return result_set(res, 'F', "load failed: %s: %s", lc_err_name(rc), eb.msg);
    rc = lc_wasm_instantiate(m, ctx->linker, &ctx->limits, &inst, &eb);
    if (rc == 0) {
        (void)instance_keep(ctx, inst);
        return result_set(res, 'F', "instantiated, expected \"%s\"", text);
    }
    bool ok = is_trap ? lc_err_is_trap(rc) && trap_text_matches(rc, text)
                      : rc == LC_EUNLINKABLE;
    if (!ok) {
        return result_set(res, 'F', "got %s (%s), expected \"%s\"", lc_err_name(rc), eb.msg,
                          text);
    }
    return result_pass(res);
}

static int cmd_run(spec_ctx *ctx, json_t *cmd, const char *type, spec_result *res)
{
    if (strcmp(type, "module") == 0) return cmd_module(ctx, cmd, res);
    if (strcmp(type, "register") == 0) return cmd_register(ctx, cmd, res);
    if (strcmp(type, "action") == 0) return cmd_action(ctx, cmd, res);
    if (strcmp(type, "assert_return") == 0) return cmd_assert_return(ctx, cmd, res);
    if (strcmp(type, "assert_trap") == 0) return cmd_assert_trap(ctx, cmd, res, false);
    if (strcmp(type, "assert_exhaustion") == 0) return cmd_assert_trap(ctx, cmd, res, true);
    if (strcmp(type, "assert_invalid") == 0 || strcmp(type, "assert_malformed") == 0) {
        return cmd_assert_load_fails(ctx, cmd, res);
    }
    if (strcmp(type, "assert_unlinkable") == 0) return cmd_assert_inst_fails(ctx, cmd, res, false);
    if (strcmp(type, "assert_uninstantiable") == 0) {
        return cmd_assert_inst_fails(ctx, cmd, res, true);
    }
    return result_set(res, 'F', "unknown command type %s", type);
}

/* ---------------------------------------------------------------- file ------------------- */

static int ctx_init(spec_ctx *ctx, const char *json_path, const spec_child_opts *opts)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->opts = opts;
    const char *slash = strrchr(json_path, '/');
    if (slash) {
        snprintf(ctx->dir, sizeof ctx->dir, "%.*s", (int)(slash - json_path), json_path);
    } else {
        snprintf(ctx->dir, sizeof ctx->dir, ".");
    }
    lc_wasm_limits_default(&ctx->limits);
    ctx->limits.fuel_default = SPEC_FUEL;
    int rc = lc_wasm_linker_create(&ctx->linker);
    if (rc != 0) return rc;
    rc = spectest_init(&ctx->spectest, ctx->linker);
    if (rc != 0) {
        lc_wasm_linker_destroy(ctx->linker);
        ctx->linker = NULL;
    }
    return rc;
}

/* Releases in reverse order of creation. */
static void ctx_deinit(spec_ctx *ctx)
{
    if (ctx->linker) lc_wasm_linker_destroy(ctx->linker);
    for (u32 i = ctx->instance_count; i-- > 0;) lc_wasm_instance_destroy(ctx->instances[i]);
    for (u32 i = ctx->module_count; i-- > 0;) lc_wasm_module_destroy(ctx->modules[i]);
    for (u32 i = 0; i < ctx->named_count; i++) lc_free(ctx->named[i].name);
    spectest_deinit(&ctx->spectest);
    memset(ctx, 0, sizeof *ctx);
}

static bool idx_skipped(const spec_child_opts *o, u32 idx)
{
    for (u32 i = 0; i < o->skip_count; i++) {
        if (o->skip_idx[i] == idx) return true;
    }
    return false;
}

/* Test hooks for the runner's own self-test (tests/wasm-spec/selftest/): the command on line
 * WASM_SPEC_TEST_CRASH_LINE aborts the child, the one on WASM_SPEC_TEST_HANG_LINE sleeps until
 * the per-command alarm kills it. Unset in normal runs. */
static void test_hooks(u32 line)
{
    static const char *crash, *hang;
    static bool loaded;
    if (!loaded) {
        crash = getenv("WASM_SPEC_TEST_CRASH_LINE");
        hang = getenv("WASM_SPEC_TEST_HANG_LINE");
        loaded = true;
    }
    if (crash && (u32)atoi(crash) == line) abort();
    if (hang && (u32)atoi(hang) == line) {
        for (;;) pause();
    }
}

static void commands_run(spec_ctx *ctx, json_t *commands, int out_fd, const spec_child_opts *o)
{
    size_t n = json_array_size(commands);
    for (u32 idx = 0; idx < n; idx++) {
        json_t *cmd = json_array_get(commands, idx);
        const char *type = json_string_value(json_object_get(cmd, "type"));
        u32 line = (u32)json_integer_value(json_object_get(cmd, "line"));
        if (!type) type = "unknown";
        if (idx_skipped(o, idx)) continue;
        bool report = idx >= o->report_from_idx;
        if (report) out_begin(out_fd, idx, line, type);
        if (o->is_trace) fprintf(stderr, "  [line %u %s]\n", line, type);
        if (o->timeout_s) alarm(o->timeout_s);
        spec_result res = {.status = 'F'};
        test_hooks(line);
        (void)cmd_run(ctx, cmd, type, &res);
        if (o->timeout_s) alarm(0);
        if (report) out_result(out_fd, idx, line, type, &res);
    }
}

int spec_file_run(const char *json_path, int out_fd, const spec_child_opts *opts)
{
    json_error_t jerr;
    json_t *root = json_load_file(json_path, JSON_ALLOW_NUL, &jerr);
    if (!root) {
        fprintf(stderr, "wasm-spec: %s:%d: %s\n", json_path, jerr.line, jerr.text);
        return 3;
    }
    json_t *commands = json_object_get(root, "commands");
    if (!json_is_array(commands)) {
        fprintf(stderr, "wasm-spec: %s: no \"commands\" array\n", json_path);
        json_decref(root);
        return 3;
    }
    spec_ctx *ctx = lc_alloc(sizeof *ctx);
    int rc = ctx ? ctx_init(ctx, json_path, opts) : LC_ENOMEM;
    if (rc != 0) {
        fprintf(stderr, "wasm-spec: %s: cannot set up spectest: %s\n", json_path,
                lc_err_name(rc));
        lc_free(ctx);
        json_decref(root);
        return 3;
    }
    commands_run(ctx, commands, out_fd, opts);
    out_write(out_fd, "E\n", 2);
    ctx_deinit(ctx);
    lc_free(ctx);
    json_decref(root);
    return 0;
}
