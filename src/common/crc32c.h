/* CRC-32C (Castagnoli), as used by TFRecord framing, and its masking.
 *
 * Uses the CPU's CRC32 instruction when present (SSE4.2 on x86-64, the CRC
 * extension on ARMv8), chosen once at first use, with a portable
 * slicing-by-8 fallback. Thread-safe. */
#ifndef TB_CRC32C_H
#define TB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of n bytes at p. tb_crc32c("123456789", 9) == 0xE3069283. */
uint32_t tb_crc32c(const void *p, size_t n);
/* Continue a CRC: tb_crc32c_extend(tb_crc32c(a), b) == tb_crc32c(a ++ b). */
uint32_t tb_crc32c_extend(uint32_t crc, const void *p, size_t n);
/* The portable implementation, exposed so tests can compare both paths. */
uint32_t tb_crc32c_sw(uint32_t crc, const void *p, size_t n);
/* Nonzero when a hardware CRC path is in use. */
int tb_crc32c_hw(void);

/* The best implementation for this CPU, for hot loops that want to skip
 * the per-call dispatch: f(crc, p, n) == tb_crc32c_extend(crc, p, n). */
typedef uint32_t (*tb_crc32c_fn)(uint32_t crc, const void *p, size_t n);
tb_crc32c_fn tb_crc32c_best(void);

/* TFRecord masking (spec FORMAT.md 3.3). */
static inline uint32_t tb_crc32c_mask(uint32_t crc)
{
	return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}

static inline uint32_t tb_crc32c_unmask(uint32_t masked)
{
	uint32_t r = masked - 0xA282EAD8u;
	return (r >> 17) | (r << 15);
}

#endif
