/*
 * base/types.h — fixed-width integer names used everywhere in Lightcone.
 *
 * Every disk and wire field has a fixed width; these short names keep signatures readable.
 * u128/i128 use the compiler's __int128 (gcc and clang on 64-bit targets), which we need for
 * SATS u128/i128 values and sequence arithmetic (sequences are i128 in SpacetimeDB).
 */
#ifndef LC_BASE_TYPES_H
#define LC_BASE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t i8;
typedef int16_t i16;
typedef int32_t i32;
typedef int64_t i64;
__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;
typedef float f32;
typedef double f64;

#define LC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define LC_MIN(a, b) ((a) < (b) ? (a) : (b))
#define LC_MAX(a, b) ((a) > (b) ? (a) : (b))

#define LC_LIKELY(x) __builtin_expect(!!(x), 1)
#define LC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define LC_NOINLINE __attribute__((noinline))
#define LC_COLD __attribute__((cold, noinline))
#define LC_MUST_USE __attribute__((warn_unused_result))
#define LC_UNUSED(x) ((void)(x))

/* Little-endian loads and stores that are safe on unaligned pointers. x86-64 and wasm are
 * little-endian; the memcpy compiles to a single move. */
#include <string.h>
static inline u16 lc_load_u16(const void *p) { u16 v; memcpy(&v, p, 2); return v; }
static inline u32 lc_load_u32(const void *p) { u32 v; memcpy(&v, p, 4); return v; }
static inline u64 lc_load_u64(const void *p) { u64 v; memcpy(&v, p, 8); return v; }
static inline void lc_store_u16(void *p, u16 v) { memcpy(p, &v, 2); }
static inline void lc_store_u32(void *p, u32 v) { memcpy(p, &v, 4); }
static inline void lc_store_u64(void *p, u64 v) { memcpy(p, &v, 8); }

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "Lightcone assumes a little-endian host (BSATN and the commit log are little-endian)"
#endif

#endif
