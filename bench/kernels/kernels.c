/*
 * bench/kernels/kernels.c — CPU kernels for the WebAssembly benchmark (bench/bench_wasm.c).
 *
 * The same source is compiled (mk/wasm_bench.mk) natively with `cc -O2` into the bench
 * binary, and with `clang --target=wasm32 -O2 -nostdlib` into kernels.wasm, which the bench
 * runs in our interpreter. Comparing the two gives the interpreter's slowdown per kernel. A
 * third build, native `clang -O2` (KB_PREFIX=clang_), shows how much of a ratio is the
 * difference between the two compilers rather than the interpreter.
 *
 * Rules that keep the two builds honest and identical:
 *   - no libc at all (not even headers): wasm32 has none here; the few helpers needed are
 *     written below, and the integer types are spelled out;
 *   - every kernel takes a size and returns a checksum, so the compiler cannot drop the work
 *     and the bench can check that native and wasm computed the same thing;
 *   - state lives in static arrays (wasm linear memory / native .bss), re-initialised by each
 *     call, so repeated runs do identical work.
 *
 * Kernels (exported under these names in the wasm build):
 *   k_fib(n)          recursive Fibonacci: calls and returns
 *   k_sieve(n)        Eratosthenes over n bytes: byte stores, nested loops
 *   k_crc32(len, r)   table-driven CRC-32 over len bytes, r rounds: loads, shifts, xors
 *   k_matmul(n)       n x n f64 matrix product: float arithmetic, 2-D indexing
 *   k_coremark(i)     a CoreMark-like mix: linked list, small int matrix, state machine, CRC-16
 *   k_qsort(n)        recursive quicksort of n pseudo-random u32: compares, swaps, recursion
 *   k_hostcall(n)     n calls of the imported no-op env.nop (host-call overhead)
 *   k_loop(n)         the same loop without the call (its baseline)
 */

typedef unsigned char kb_u8;
typedef unsigned short kb_u16;
typedef unsigned int kb_u32;
typedef int kb_i32;
typedef unsigned long long kb_u64;

#ifdef __wasm__
#define KB_EXPORT(name) __attribute__((export_name(#name), visibility("default")))
/* The host's no-op, imported from module "env" as "nop". */
__attribute__((import_module("env"), import_name("nop"))) kb_u32 host_nop(kb_u32 x);

/* clang may turn loops into calls of these; wasm32 has no libc to provide them. */
void *memset(void *dst, int c, unsigned long n);
void *memset(void *dst, int c, unsigned long n)
{
    volatile kb_u8 *d = dst;
    while (n--) *d++ = (kb_u8)c;
    return dst;
}
void *memcpy(void *dst, const void *src, unsigned long n);
void *memcpy(void *dst, const void *src, unsigned long n)
{
    volatile kb_u8 *d = dst;
    const kb_u8 *s = src;
    while (n--) *d++ = *s++;
    return dst;
}
#else
#define KB_EXPORT(name)
kb_u32 host_nop(kb_u32 x);  /* the bench defines the native one */
#endif

/* A second native build (clang, for comparison with gcc) prefixes the kernels' C names with
 * -DKB_PREFIX=clang_ so both can link into the bench. Export names in wasm never change. */
#ifdef KB_PREFIX
#define KB_CAT2(a, b) a##b
#define KB_CAT(a, b) KB_CAT2(a, b)
#define KB_NAME(x) KB_CAT(KB_PREFIX, x)
#else
#define KB_NAME(x) x
#endif

#define SIEVE_MAX (1u << 20)
#define CRC_BUF_MAX (1u << 16)
#define MAT_MAX 128
#define SORT_MAX (1u << 18)

static kb_u8 sieve_buf[SIEVE_MAX];
static kb_u8 crc_buf[CRC_BUF_MAX];
static kb_u32 crc_table[256];
static double mat_a[MAT_MAX * MAT_MAX], mat_b[MAT_MAX * MAT_MAX], mat_c[MAT_MAX * MAT_MAX];
static kb_u32 sort_buf[SORT_MAX];

static kb_u32 lcg_next(kb_u32 *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state;
}

/* ---------------------------------------------------------------- fib -------------------- */

static kb_u32 fib(kb_u32 n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

KB_EXPORT(k_fib) kb_u32 KB_NAME(k_fib)(kb_u32 n)
{
    return fib(n);
}

/* ---------------------------------------------------------------- sieve ------------------ */

KB_EXPORT(k_sieve) kb_u32 KB_NAME(k_sieve)(kb_u32 n)
{
    if (n > SIEVE_MAX) n = SIEVE_MAX;
    for (kb_u32 i = 0; i < n; i++) sieve_buf[i] = 1;
    kb_u32 count = 0;
    for (kb_u32 i = 2; i < n; i++) {
        if (!sieve_buf[i]) continue;
        count++;
        for (kb_u32 j = i + i; j < n; j += i) sieve_buf[j] = 0;
    }
    return count;
}

/* ---------------------------------------------------------------- crc32 ------------------ */

static void crc_table_init(void)
{
    for (kb_u32 i = 0; i < 256; i++) {
        kb_u32 c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static kb_u32 crc32_update(kb_u32 crc, const kb_u8 *p, kb_u32 len)
{
    crc = ~crc;
    for (kb_u32 i = 0; i < len; i++) crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

KB_EXPORT(k_crc32) kb_u32 KB_NAME(k_crc32)(kb_u32 len, kb_u32 rounds)
{
    if (len > CRC_BUF_MAX) len = CRC_BUF_MAX;
    crc_table_init();
    kb_u32 seed = 12345;
    for (kb_u32 i = 0; i < len; i++) crc_buf[i] = (kb_u8)(lcg_next(&seed) >> 24);
    kb_u32 crc = 0;
    for (kb_u32 r = 0; r < rounds; r++) crc = crc32_update(crc, crc_buf, len);
    return crc;
}

/* ---------------------------------------------------------------- matmul ----------------- */

KB_EXPORT(k_matmul) double KB_NAME(k_matmul)(kb_u32 n)
{
    if (n > MAT_MAX) n = MAT_MAX;
    kb_u32 seed = 777;
    for (kb_u32 i = 0; i < n * n; i++) {
        mat_a[i] = (double)(lcg_next(&seed) >> 20) / 4096.0;
        mat_b[i] = (double)(lcg_next(&seed) >> 20) / 4096.0 - 0.5;
    }
    for (kb_u32 i = 0; i < n; i++) {
        for (kb_u32 j = 0; j < n; j++) {
            double sum = 0.0;
            for (kb_u32 k = 0; k < n; k++) sum += mat_a[i * n + k] * mat_b[k * n + j];
            mat_c[i * n + j] = sum;
        }
    }
    double trace = 0.0;
    for (kb_u32 i = 0; i < n; i++) trace += mat_c[i * n + i] + mat_c[i * n + (n - 1 - i)];
    return trace;
}

/* ---------------------------------------------------------------- coremark-like ---------- */

#define CM_LIST 256
#define CM_MAT 16
#define CM_INPUT 240

typedef struct cm_node {
    kb_i32 next;   /* index, -1 ends the list */
    kb_i32 value;
} cm_node;

static cm_node cm_nodes[CM_LIST];
static kb_i32 cm_ma[CM_MAT * CM_MAT], cm_mb[CM_MAT * CM_MAT], cm_mc[CM_MAT * CM_MAT];
static kb_u8 cm_input[CM_INPUT];

static kb_u16 crc16_u32(kb_u32 v, kb_u16 crc)
{
    for (int i = 0; i < 32; i++) {
        kb_u32 bit = ((v >> i) ^ crc) & 1;
        crc >>= 1;
        if (bit) crc ^= 0xA001;
    }
    return crc;
}

/* Reverses the list, then walks it: sums values and counts those matching a mask. */
static kb_u32 cm_list(kb_i32 *head, kb_u32 iter)
{
    kb_i32 prev = -1, cur = *head;
    while (cur >= 0) {
        kb_i32 next = cm_nodes[cur].next;
        cm_nodes[cur].next = prev;
        prev = cur;
        cur = next;
    }
    *head = prev;
    kb_u32 sum = 0, found = 0;
    for (kb_i32 i = *head; i >= 0; i = cm_nodes[i].next) {
        sum += (kb_u32)cm_nodes[i].value;
        if (((kb_u32)cm_nodes[i].value & 0xff) == (iter & 0xff)) found++;
        cm_nodes[i].value ^= (kb_i32)(iter * 2654435761u);
    }
    return sum ^ (found << 16);
}

/* C = A * B, then A += C >> 4 and a checksum of extracted bit fields. */
static kb_u32 cm_matrix(kb_u32 iter)
{
    kb_u32 acc = 0;
    for (int i = 0; i < CM_MAT; i++) {
        for (int j = 0; j < CM_MAT; j++) {
            kb_i32 s = 0;
            for (int k = 0; k < CM_MAT; k++) s += cm_ma[i * CM_MAT + k] * cm_mb[k * CM_MAT + j];
            cm_mc[i * CM_MAT + j] = s;
        }
    }
    for (int i = 0; i < CM_MAT * CM_MAT; i++) {
        cm_ma[i] = (cm_ma[i] + (cm_mc[i] >> 4) + (kb_i32)iter) & 0xffff;
        acc += ((kb_u32)cm_mc[i] >> 3) & 0xf;
    }
    return acc;
}

/* Classifies comma-separated tokens as integer / float / scientific / invalid. */
static kb_u32 cm_state(void)
{
    enum { S_START, S_INT, S_FRAC, S_EXP, S_SIGN_EXP, S_BAD } st = S_START;
    kb_u32 counts[6] = {0, 0, 0, 0, 0, 0}, transitions = 0;
    for (int i = 0; i < CM_INPUT; i++) {
        kb_u8 c = cm_input[i];
        int prev = (int)st;
        int digit = c >= '0' && c <= '9';
        if (c == ',') {
            counts[st]++;
            st = S_START;
        } else if (st == S_START) {
            st = (digit || c == '-' || c == '+') ? S_INT : c == '.' ? S_FRAC : S_BAD;
        } else if (st == S_INT) {
            st = digit ? S_INT : c == '.' ? S_FRAC : (c == 'e' || c == 'E') ? S_EXP : S_BAD;
        } else if (st == S_FRAC) {
            st = digit ? S_FRAC : (c == 'e' || c == 'E') ? S_EXP : S_BAD;
        } else if (st == S_EXP) {
            st = (c == '-' || c == '+') ? S_SIGN_EXP : digit ? S_EXP : S_BAD;
        } else if (st == S_SIGN_EXP) {
            st = digit ? S_SIGN_EXP : S_BAD;
        }
        if ((int)st != prev) transitions++;
    }
    return transitions ^ (counts[S_INT] << 4) ^ (counts[S_FRAC] << 8) ^ (counts[S_EXP] << 12) ^
           (counts[S_BAD] << 20);
}

static void cm_init(kb_i32 *head)
{
    kb_u32 seed = 42;
    static const char alphabet[] = "0123456789.,e-+,x5,1.5e3,-7,";
    for (int i = 0; i < CM_LIST; i++) {
        cm_nodes[i].next = i + 1 < CM_LIST ? i + 1 : -1;
        cm_nodes[i].value = (kb_i32)(lcg_next(&seed) >> 8);
    }
    *head = 0;
    for (int i = 0; i < CM_MAT * CM_MAT; i++) {
        cm_ma[i] = (kb_i32)(lcg_next(&seed) >> 22);
        cm_mb[i] = (kb_i32)(lcg_next(&seed) >> 22);
    }
    for (int i = 0; i < CM_INPUT; i++) {
        cm_input[i] = (kb_u8)alphabet[(lcg_next(&seed) >> 16) % (sizeof alphabet - 1)];
    }
}

KB_EXPORT(k_coremark) kb_u32 KB_NAME(k_coremark)(kb_u32 iters)
{
    kb_i32 head;
    kb_u16 crc = 0;
    cm_init(&head);
    for (kb_u32 it = 0; it < iters; it++) {
        crc = crc16_u32(cm_list(&head, it), crc);
        crc = crc16_u32(cm_matrix(it), crc);
        crc = crc16_u32(cm_state(), crc);
        cm_input[it % CM_INPUT] ^= (kb_u8)(crc & 1);  /* perturb the state machine's input */
    }
    return crc;
}

/* ---------------------------------------------------------------- quicksort -------------- */

static void quicksort(kb_u32 *a, kb_i32 lo, kb_i32 hi)
{
    while (lo < hi) {
        kb_u32 pivot = a[lo + (hi - lo) / 2];
        kb_i32 i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                kb_u32 t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        /* Recurse into the smaller side, loop on the larger: depth stays O(log n). */
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
}

KB_EXPORT(k_qsort) kb_u32 KB_NAME(k_qsort)(kb_u32 n)
{
    if (n > SORT_MAX) n = SORT_MAX;
    kb_u32 seed = 2024;
    for (kb_u32 i = 0; i < n; i++) sort_buf[i] = lcg_next(&seed);
    if (n) quicksort(sort_buf, 0, (kb_i32)n - 1);
    kb_u32 h = 0;
    for (kb_u32 i = 0; i < n; i++) {
        if (i && sort_buf[i - 1] > sort_buf[i]) return 0;  /* not sorted: a wrong answer */
        h = h * 31u + sort_buf[i];
    }
    return h;
}

/* ---------------------------------------------------------------- host calls ------------- */

KB_EXPORT(k_hostcall) kb_u32 KB_NAME(k_hostcall)(kb_u32 n)
{
    kb_u32 acc = 0;
    for (kb_u32 i = 0; i < n; i++) acc += host_nop(i);
    return acc;
}

/* The same loop without the call: k_hostcall minus this is the cost of the call itself. The
 * multiply keeps the compiler from replacing the loop with a closed form. */
KB_EXPORT(k_loop) kb_u32 KB_NAME(k_loop)(kb_u32 n)
{
    kb_u32 acc = 0;
#ifdef __clang__
#pragma clang loop unroll(disable) vectorize(disable)
#endif
    for (kb_u32 i = 0; i < n; i++) acc = acc * 31u + i;
    return acc;
}
