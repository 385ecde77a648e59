/*
 * base/crc32c.h — CRC-32C (Castagnoli), the checksum of commit-log records and snapshots
 * (SpacetimeDB's commit log uses the same).
 *
 * lc_crc32c_update(0, data, n) gives the standard CRC-32C ("123456789" -> 0xE3069283).
 * Chaining: lc_crc32c_update(lc_crc32c_update(0, a, n), b, m) == crc of a||b.
 * Uses the SSE4.2 crc32 instruction when the CPU has it (about 20 GB/s), else a table.
 */
#ifndef LC_BASE_CRC32C_H
#define LC_BASE_CRC32C_H

#include "base/types.h"

u32 lc_crc32c_update(u32 crc, const void *data, size_t len);

#endif
