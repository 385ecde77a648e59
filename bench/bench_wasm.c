/*
 * bench/bench_wasm.c — the WebAssembly interpreter against native code, in one process.
 *
 *   build/release/bench_wasm [--check] [--scale F] [KERNELS_WASM]
 *
 * bench/kernels/kernels.c is compiled (mk/wasm_bench.mk) natively with `cc -O2` and linked in
 * here, and to wasm32 with clang -O2 into kernels.wasm, which this program loads into our
 * engine twice: as the engine runs it by default (native code from src/wasm/jit.c where the
 * platform has it) and with LC_WASM_JIT=0 (the interpreter alone); a native clang -O2 build (clang_k_*) is linked in too, to separate the compilers'
 * difference from the interpreter's. For each kernel it times the cc, clang and wasm calls
 * (best of TRIALS runs of `reps` calls each, so a noisy neighbour on the shared machine
 * inflates neither side; `reps` is calibrated so the cc side runs >= 20 ms), checks that all
 * four returned the same checksum, and prints the slowdown ratios wasm/cc (the published
 * figure, target <= 5x), wasm/clang and interpreter/cc with their geometric means.
 *
 * It also measures
 *   host call   k_hostcall(n) calls the imported no-op env.nop n times; k_loop(n) runs the
 *               same loop without the call; the difference per iteration is the cost of one
 *               wasm -> C call (target < 20 ns)
 *   entry call  lc_wasm_call of k_fib(1) from C: ns per embedder -> wasm call
 *
 * --check runs each kernel once at a small size and compares checksums (used by
 * tests/suites/31-wasm-kernels.sh: clang's real output as an engine test), and also that the
 * default engine and the interpreter consume exactly the same fuel, and run out of it at the
 * same point when given half of that. --scale multiplies
 * the repetition counts (BENCH_WASM_SCALE in the environment does the same), for longer,
 * quieter runs. Fuel is metered (a large budget) because production runs metered. Times are
 * thread CPU time (CLOCK_THREAD_CPUTIME_ID).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "wasm/wasm.h"

#ifndef LC_BENCH_KERNELS_WASM
#define LC_BENCH_KERNELS_WASM "build/release/bench/kernels.wasm"
#endif
#define TRIALS 3
/* Each timed run repeats the kernel until the native side takes at least this long, so
 * timer resolution and call overhead do not matter; wasm runs the same repetitions. */
#define NATIVE_RUN_NS 20000000.0
#define BENCH_FUEL (1ull << 60)
#define WASM_SIZE_MAX (16u << 20)

/* The native kernels: bench/kernels/kernels.c compiled with cc -O2 (names k_*) and with
 * clang -O2 (names clang_k_*). */
#define KERNEL_DECLS(P)                                                                 \
    unsigned P##k_fib(unsigned n);                                                      \
    unsigned P##k_sieve(unsigned n);                                                    \
    unsigned P##k_crc32(unsigned len, unsigned rounds);                                 \
    double P##k_matmul(unsigned n);                                                     \
    unsigned P##k_coremark(unsigned iters);                                             \
    unsigned P##k_qsort(unsigned n);                                                    \
    unsigned P##k_hostcall(unsigned n);                                                 \
    unsigned P##k_loop(unsigned n);
KERNEL_DECLS()
KERNEL_DECLS(clang_)

/* The native side of the host-call kernel; noinline so the native loop really calls. */
__attribute__((noinline)) unsigned host_nop(unsigned x);
__attribute__((noinline)) unsigned host_nop(unsigned x)
{
    __asm__ volatile("" ::: "memory");
    return x & 0;
}

typedef struct kernel {
    const char *name;
    u32 nargs;
    u32 args[2];        /* bench size */
    u32 check_args[2];  /* --check size */
} kernel;

static const kernel KERNELS[] = {
    {"k_fib", 1, {30}, {15}},
    {"k_sieve", 1, {1u << 20}, {5000}},
    {"k_crc32", 2, {1u << 16, 16}, {1000, 2}},
    {"k_matmul", 1, {128}, {9}},
    {"k_coremark", 1, {1000}, {7}},
    {"k_qsort", 1, {1u << 17}, {1000}},
};

/* Thread CPU time, not wall time: the machine is shared, and time spent descheduled would
 * otherwise land on whichever side happened to be running. */
static u64 now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static u64 f64_bits(double d)
{
    u64 bits;
    memcpy(&bits, &d, 8);
    return bits;
}

/* Runs a native kernel by name; returns its checksum as a 64-bit slot (f64 as its bits). */
#define NATIVE_RUN_DEF(fn, P)                                                           \
    static u64 fn(const char *name, const u32 *a)                                       \
    {                                                                                   \
        if (strcmp(name, "k_fib") == 0) return P##k_fib(a[0]);                         \
        if (strcmp(name, "k_sieve") == 0) return P##k_sieve(a[0]);                      \
        if (strcmp(name, "k_crc32") == 0) return P##k_crc32(a[0], a[1]);               \
        if (strcmp(name, "k_coremark") == 0) return P##k_coremark(a[0]);                \
        if (strcmp(name, "k_qsort") == 0) return P##k_qsort(a[0]);                      \
        if (strcmp(name, "k_hostcall") == 0) return P##k_hostcall(a[0]);                \
        if (strcmp(name, "k_loop") == 0) return P##k_loop(a[0]);                        \
        if (strcmp(name, "k_matmul") == 0) return f64_bits(P##k_matmul(a[0]));          \
        return 0;                                                                       \
    }
NATIVE_RUN_DEF(native_run, )
NATIVE_RUN_DEF(clang_run, clang_)

static int host_nop_cb(lc_wasm_host_ctx *ctx, const u64 *args, u64 *results)
{
    LC_UNUSED(ctx);
    LC_UNUSED(args);
    results[0] = 0;
    return 0;
}

typedef struct wasm_env {
    lc_wasm_module *module;
    lc_wasm_linker *linker;
    lc_wasm_instance *instance;
} wasm_env;

static int file_read(const char *path, u8 **out_bytes, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return LC_EIO;
    u8 *buf = lc_alloc(WASM_SIZE_MAX);
    size_t len = buf ? fread(buf, 1, WASM_SIZE_MAX, f) : 0;
    fclose(f);
    if (!buf) return LC_ENOMEM;
    *out_bytes = buf;
    *out_len = len;
    return 0;
}

/* Loads the kernels; is_interp loads them with LC_WASM_JIT=0 (interpreter only). */
static int wasm_env_init(wasm_env *env, const char *path, bool is_interp, lc_errbuf *eb)
{
    u8 *bytes = NULL;
    size_t len = 0;
    memset(env, 0, sizeof *env);
    int rc = file_read(path, &bytes, &len);
    if (rc != 0) return lc_errf(eb, rc, "cannot read %s", path);
    const char *old = getenv("LC_WASM_JIT");
    char *saved = old ? lc_memdup(old, strlen(old) + 1) : NULL;
    if (is_interp) setenv("LC_WASM_JIT", "0", 1);
    rc = lc_wasm_module_load(bytes, len, NULL, &env->module, eb);
    if (is_interp && saved) setenv("LC_WASM_JIT", saved, 1);
    if (is_interp && !old) unsetenv("LC_WASM_JIT");
    lc_free(saved);
    lc_free(bytes);
    if (rc != 0) return rc;
    static const u8 i32_type[1] = {LC_WASM_I32};
    lc_wasm_functype nop_type = {i32_type, i32_type, 1, 1};
    rc = lc_wasm_linker_create(&env->linker);
    if (rc == 0) {
        rc = lc_wasm_linker_define_func(env->linker, "env", "nop", &nop_type, host_nop_cb, NULL);
    }
    if (rc == 0) rc = lc_wasm_instantiate(env->module, env->linker, NULL, &env->instance, eb);
    return rc;
}

static void wasm_env_deinit(wasm_env *env)
{
    if (env->instance) lc_wasm_instance_destroy(env->instance);
    if (env->linker) lc_wasm_linker_destroy(env->linker);
    if (env->module) lc_wasm_module_destroy(env->module);
}

/* Calls the exported kernel; returns 0 and its result slot, or the engine's error. */
static int wasm_run(wasm_env *env, const char *name, const u32 *a, u32 nargs, u64 *out_result,
                    lc_errbuf *eb)
{
    const lc_wasm_func *f = lc_wasm_instance_func(env->instance, name);
    if (!f) return lc_errf(eb, LC_ENOTFOUND, "kernels.wasm exports no %s", name);
    u64 args[2] = {a[0], nargs > 1 ? a[1] : 0};
    lc_wasm_instance_set_fuel(env->instance, BENCH_FUEL);
    return lc_wasm_call(env->instance, f, args, nargs, out_result, 1, eb);
}

enum { RUN_CC, RUN_CLANG, RUN_WASM };

/* Best-of-TRIALS time of `reps` calls of one build of kernel k, in ns per call; -1 on an
 * engine error. */
static double time_kernel(wasm_env *env, const kernel *k, u32 reps, int which, u64 *out_sum,
                          lc_errbuf *eb)
{
    double best = -1;
    for (int t = 0; t < TRIALS; t++) {
        u64 start = now_ns(), r = 0;
        for (u32 i = 0; i < reps; i++) {
            if (which == RUN_CC) {
                r = native_run(k->name, k->args);
            } else if (which == RUN_CLANG) {
                r = clang_run(k->name, k->args);
            } else if (wasm_run(env, k->name, k->args, k->nargs, &r, eb) != 0) {
                return -1;
            }
        }
        double ns = (double)(now_ns() - start) / reps;
        if (best < 0 || ns < best) best = ns;
        *out_sum = r;
    }
    return best;
}

/* Default engine vs interpreter on kernel k: same result, same fuel used, and with half
 * that fuel both run out (fuel left 0). Returns true when they agree. */
static bool check_same_fuel(wasm_env *env, wasm_env *interp, const kernel *k)
{
    u64 r1 = 0, r2 = 0, fuel[2];
    lc_errbuf eb = {{0}};
    int rc1 = wasm_run(env, k->name, k->check_args, k->nargs, &r1, &eb);
    fuel[0] = BENCH_FUEL - lc_wasm_instance_fuel(env->instance);
    int rc2 = wasm_run(interp, k->name, k->check_args, k->nargs, &r2, &eb);
    fuel[1] = BENCH_FUEL - lc_wasm_instance_fuel(interp->instance);
    if (rc1 || rc2 || r1 != r2 || fuel[0] != fuel[1]) {
        printf("FAIL %s vs interpreter: rc %d/%d result 0x%llx/0x%llx fuel %llu/%llu\n",
               k->name, rc1, rc2, (unsigned long long)r1, (unsigned long long)r2,
               (unsigned long long)fuel[0], (unsigned long long)fuel[1]);
        return false;
    }
    u64 args[2] = {k->check_args[0], k->nargs > 1 ? k->check_args[1] : 0};
    wasm_env *envs[2] = {env, interp};
    int rcs[2];
    for (int e = 0; e < 2; e++) {
        const lc_wasm_func *f = lc_wasm_instance_func(envs[e]->instance, k->name);
        lc_wasm_instance_set_fuel(envs[e]->instance, fuel[0] / 2);
        rcs[e] = lc_wasm_call(envs[e]->instance, f, args, k->nargs, &r1, 1, &eb);
        fuel[e] = lc_wasm_instance_fuel(envs[e]->instance);
    }
    if (rcs[0] != LC_ETRAP_FUEL || rcs[1] != LC_ETRAP_FUEL || fuel[0] || fuel[1]) {
        printf("FAIL %s with half the fuel: %s/%s, fuel left %llu/%llu\n", k->name,
               lc_err_name(rcs[0]), lc_err_name(rcs[1]), (unsigned long long)fuel[0],
               (unsigned long long)fuel[1]);
        return false;
    }
    return true;
}

/* --check: every kernel once at a small size; native and wasm must agree, and the default
 * engine must agree with the interpreter. */
static int run_check(wasm_env *env, wasm_env *interp)
{
    int passed = 0, failed = 0;
    for (size_t i = 0; i < LC_ARRAY_LEN(KERNELS); i++) {
        const kernel *k = &KERNELS[i];
        lc_errbuf eb = {{0}};
        u64 want = native_run(k->name, k->check_args), got = 0;
        int rc = wasm_run(env, k->name, k->check_args, k->nargs, &got, &eb);
        if (check_same_fuel(env, interp, k))
            passed++;
        else
            failed++;
        if (rc == 0 && got == want) {
            passed++;
            continue;
        }
        failed++;
        if (rc != 0) {
            printf("FAIL %s: %s: %s\n", k->name, lc_err_name(rc), eb.msg);
        } else {
            printf("FAIL %s: wasm 0x%llx, native 0x%llx\n", k->name, (unsigned long long)got,
                   (unsigned long long)want);
        }
    }
    static const char *const loops[] = {"k_hostcall", "k_loop"};
    for (size_t i = 0; i < LC_ARRAY_LEN(loops); i++) {
        u32 args[1] = {1000};
        lc_errbuf eb = {{0}};
        u64 got = 1, want = native_run(loops[i], args);
        int rc = wasm_run(env, loops[i], args, 1, &got, &eb);
        if (rc == 0 && got == want) {
            passed++;
        } else {
            failed++;
            printf("FAIL %s: %s %s (wasm 0x%llx, native 0x%llx)\n", loops[i], lc_err_name(rc),
                   eb.msg, (unsigned long long)got, (unsigned long long)want);
        }
    }
    printf("wasm-kernels: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/* Repetitions so that one timed native run takes NATIVE_RUN_NS of CPU. */
static u32 kernel_reps(const kernel *k, double scale)
{
    (void)native_run(k->name, k->args);  /* warm-up: page faults, caches */
    double once_ns = 1e18;
    for (int t = 0; t < TRIALS; t++) {  /* min: a preempted call must not set reps */
        u64 start = now_ns();
        (void)native_run(k->name, k->args);
        once_ns = LC_MIN(once_ns, (double)(now_ns() - start) + 1.0);
    }
    return (u32)LC_MAX(1.0, NATIVE_RUN_NS / once_ns * scale);
}

/* The kernel table: per kernel cc, clang and wasm time and the slowdowns; returns the
 * geometric means of wasm/cc (the figure we publish) and wasm/clang. */
static int run_kernels(wasm_env *env, wasm_env *interp, double scale, double *out_geomean,
                       double *out_geo_clang, double *out_geo_interp)
{
    double log_sum = 0, log_clang = 0, log_interp = 0;
    int count = 0;
    printf("%-12s %5s %10s %10s %10s %9s %9s %10s %9s  %s\n", "kernel", "reps", "cc ms",
           "clang ms", "wasm ms", "wasm/cc", "wasm/clg", "interp ms", "interp/cc", "check");
    for (size_t i = 0; i < LC_ARRAY_LEN(KERNELS); i++) {
        const kernel *k = &KERNELS[i];
        const char *only = getenv("BENCH_WASM_ONLY");  /* profiling: one kernel */
        if (only && strcmp(only, k->name) != 0) continue;
        u64 cc_sum = 0, clang_sum = 0, wasm_sum = 0;
        u32 reps = kernel_reps(k, scale);
        lc_errbuf eb = {{0}};
        double n_ns = time_kernel(env, k, reps, RUN_CC, &cc_sum, &eb);
        double c_ns = time_kernel(env, k, reps, RUN_CLANG, &clang_sum, &eb);
        double w_ns = time_kernel(env, k, reps, RUN_WASM, &wasm_sum, &eb);
        u64 interp_sum = 0;
        double i_ns = w_ns < 0 ? -1 : time_kernel(interp, k, reps, RUN_WASM, &interp_sum, &eb);
        if (w_ns < 0 || i_ns < 0) {
            printf("%-12s engine error: %s\n", k->name, eb.msg);
            return 1;
        }
        bool same = cc_sum == wasm_sum && clang_sum == wasm_sum && interp_sum == wasm_sum;
        log_sum += log(w_ns / n_ns);
        log_clang += log(w_ns / c_ns);
        log_interp += log(i_ns / n_ns);
        count++;
        printf("%-12s %5u %10.3f %10.3f %10.3f %8.2fx %8.2fx %10.3f %8.2fx  %s\n", k->name, reps,
               n_ns / 1e6, c_ns / 1e6, w_ns / 1e6, w_ns / n_ns, w_ns / c_ns, i_ns / 1e6,
               i_ns / n_ns, same ? "same" : "MISMATCH");
        if (!same) return 1;
    }
    *out_geomean = exp(log_sum / count);
    *out_geo_clang = exp(log_clang / count);
    *out_geo_interp = exp(log_interp / count);
    return 0;
}

/* Best-of-TRIALS ns per iteration of the wasm loop kernel `name` (k_hostcall / k_loop). */
static double time_loop(wasm_env *env, const char *name, u32 n, lc_errbuf *eb)
{
    double best = -1;
    u32 args[1] = {n};
    for (int t = 0; t < TRIALS; t++) {
        u64 r = 0, s = now_ns();
        if (wasm_run(env, name, args, 1, &r, eb) != 0) return -1;
        double ns = (double)(now_ns() - s) / n;
        if (best < 0 || ns < best) best = ns;
    }
    return best;
}

/* Host-call overhead (the loop with the call minus the same loop without it) and the cost
 * of entering wasm from C. */
static int run_calls(wasm_env *env, double scale)
{
    u32 n = (u32)LC_MAX(1000.0, 5e6 * scale);
    lc_errbuf eb = {{0}};
    double with_call = time_loop(env, "k_hostcall", n, &eb);
    double without = time_loop(env, "k_loop", n, &eb);
    if (with_call < 0 || without < 0) {
        printf("host call: engine error: %s\n", eb.msg);
        return 1;
    }
    double native = 1e18;
    for (int t = 0; t < TRIALS; t++) {
        u64 s = now_ns();
        (void)native_run("k_hostcall", (u32[]){n});
        native = LC_MIN(native, (double)(now_ns() - s) / n);
    }
    printf("host call: %.2f ns per wasm -> C no-op call (loop with call %.2f ns, without "
           "%.2f ns; native loop with call %.2f ns)\n", with_call - without, with_call, without,
           native);
    const lc_wasm_func *fib = lc_wasm_instance_func(env->instance, "k_fib");
    u32 calls = (u32)LC_MAX(1000.0, 1e6 * scale);
    u64 one = 1, r = 0, s = now_ns();
    for (u32 i = 0; i < calls; i++) {
        if (lc_wasm_call(env->instance, fib, &one, 1, &r, 1, &eb) != 0) return 1;
    }
    printf("entry call: %.2f ns per lc_wasm_call of k_fib(1) from C\n",
           (double)(now_ns() - s) / calls);
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = LC_BENCH_KERNELS_WASM;
    bool is_check = false;
    const char *env_scale = getenv("BENCH_WASM_SCALE");
    double scale = env_scale ? atof(env_scale) : 1.0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--check") == 0) {
            is_check = true;
        } else if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
            scale = atof(argv[++i]);
        } else {
            path = argv[i];
        }
    }
    if (!(scale > 0)) scale = 1.0;
    wasm_env env, interp;
    lc_errbuf eb = {{0}};
    int rc = wasm_env_init(&env, path, false, &eb);
    if (rc == 0) {
        rc = wasm_env_init(&interp, path, true, &eb);
    } else {
        memset(&interp, 0, sizeof interp);
    }
    if (rc != 0) {
        printf("bench_wasm: %s: %s: %s\n", path, lc_err_name(rc), eb.msg);
        if (is_check) printf("wasm-kernels: 0 passed, 1 failed\n");
        wasm_env_deinit(&env);
        wasm_env_deinit(&interp);
        return 1;
    }
    double geomean = 0;
    if (is_check) {
        rc = run_check(&env, &interp);
    } else {
        double geo_clang = 0, geo_interp = 0;
        rc = run_kernels(&env, &interp, scale, &geomean, &geo_clang, &geo_interp);
        if (rc == 0) {
            printf("geometric mean slowdown: %.2fx vs cc -O2 (target <= 5x); %.2fx vs clang -O2; "
                   "interpreter alone %.2fx vs cc\n", geomean, geo_clang, geo_interp);
        }
        if (rc == 0) rc = run_calls(&env, scale);
        if (rc == 0) {
            printf("interpreter alone (LC_WASM_JIT=0): ");
            rc = run_calls(&interp, scale);
        }
    }
    wasm_env_deinit(&env);
    wasm_env_deinit(&interp);
    return rc;
}
