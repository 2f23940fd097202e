/* CRC-32C with a hardware path and a slicing-by-8 fallback.
 *
 * The reader checks every payload CRC, so this sits on the loader's hot path:
 * with the x86 crc32 instruction it runs at several GB/s and costs a few
 * nanoseconds per typical 50-byte scalar event. The instruction has a
 * latency of three cycles but issues one per cycle, so a record of a few
 * hundred bytes or more (a histogram, an image) is cut into three lanes
 * whose CRCs run side by side and are then joined: a lane's CRC is moved
 * past the next lane's bytes by a linear map of the 32-bit register
 * ("shift by n zero bytes", four table lookups) and XORed with it. */
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#define POLY 0x82F63B78u

static uint32_t table[8][256];
static int table_ready;

static void build_table(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
		table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xFF];
	__atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

uint32_t tb_crc32c_sw(uint32_t crc, const void *data, size_t n)
{
	if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE))
		build_table(); /* idempotent, so a race only repeats work */
	const uint8_t *p = data;
	crc = ~crc;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		uint32_t lo = (uint32_t)w ^ crc, hi = (uint32_t)(w >> 32);
		crc = table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^
		      table[5][(lo >> 16) & 0xFF] ^ table[4][lo >> 24] ^ table[3][hi & 0xFF] ^
		      table[2][(hi >> 8) & 0xFF] ^ table[1][(hi >> 16) & 0xFF] ^ table[0][hi >> 24];
		p += 8;
		n -= 8;
	}
	while (n--)
		crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

#if defined(__x86_64__)
/* Lane lengths in bytes (multiples of 8): long lanes for big records,
 * short ones for records of a few hundred bytes. */
#define LANE_LONG 4096
#define LANE_SHORT 128

/* shift_*[k][b]: the register after LANE_* zero bytes from the state
 * b << 8k (no inversion); linear, so any state is four lookups. */
static uint32_t shift_long[4][256], shift_short[4][256];
static pthread_once_t shift_once = PTHREAD_ONCE_INIT;

static void build_shift(uint32_t t[4][256], size_t zeros)
{
	/* Only the top bit's image is run through the zeros: the state
	 * 1 << (b - 1) is one zero bit past 1 << b, and moving past zeros
	 * commutes with that step, so each lower image is the one above it
	 * moved one bit further. */
	uint32_t basis[32], c = 1u << 31;
	for (size_t i = 0; i < zeros; i++)
		c = table[0][c & 0xFF] ^ (c >> 8);
	basis[31] = c;
	for (int b = 31; b > 0; b--)
		basis[b - 1] = (basis[b] & 1) ? (basis[b] >> 1) ^ POLY : basis[b] >> 1;
	for (int k = 0; k < 4; k++)
		for (uint32_t v = 0; v < 256; v++) {
			uint32_t r = 0;
			for (int b = 0; b < 8; b++)
				if (v >> b & 1)
					r ^= basis[8 * k + b];
			t[k][v] = r;
		}
}

static void build_shifts(void)
{
	if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE))
		build_table();
	build_shift(shift_long, LANE_LONG);
	build_shift(shift_short, LANE_SHORT);
}

static uint32_t shift(const uint32_t t[4][256], uint32_t c)
{
	return t[0][c & 0xFF] ^ t[1][(c >> 8) & 0xFF] ^ t[2][(c >> 16) & 0xFF] ^ t[3][c >> 24];
}

/* The register after 3 * lane bytes at p, from state c: three chains of
 * crc32 over consecutive lanes, joined. */
__attribute__((target("sse4.2"))) static uint64_t lanes3(uint64_t c, const uint8_t *p, size_t lane,
							 const uint32_t t[4][256])
{
	uint64_t c1 = 0, c2 = 0;
	for (size_t i = 0; i < lane; i += 8) {
		uint64_t w0, w1, w2;
		memcpy(&w0, p + i, 8);
		memcpy(&w1, p + lane + i, 8);
		memcpy(&w2, p + 2 * lane + i, 8);
		c = __builtin_ia32_crc32di(c, w0);
		c1 = __builtin_ia32_crc32di(c1, w1);
		c2 = __builtin_ia32_crc32di(c2, w2);
	}
	c = shift(t, (uint32_t)c) ^ (uint32_t)c1;
	return shift(t, (uint32_t)c) ^ (uint32_t)c2;
}

__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const void *data, size_t n)
{
	const uint8_t *p = data;
	uint64_t c = ~crc;
	if (n >= 3 * LANE_SHORT) { /* the shift tables were built with hw_state */
		for (; n >= 3 * LANE_LONG; p += 3 * LANE_LONG, n -= 3 * LANE_LONG)
			c = lanes3(c, p, LANE_LONG, shift_long);
		for (; n >= 3 * LANE_SHORT; p += 3 * LANE_SHORT, n -= 3 * LANE_SHORT)
			c = lanes3(c, p, LANE_SHORT, shift_short);
	}
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
		p += 8;
		n -= 8;
	}
	uint32_t c32 = (uint32_t)c;
	if (n >= 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		c32 = __builtin_ia32_crc32si(c32, w);
		p += 4;
		n -= 4;
	}
	if (n >= 2) {
		uint16_t w;
		memcpy(&w, p, 2);
		c32 = __builtin_ia32_crc32hi(c32, w);
		p += 2;
		n -= 2;
	}
	if (n)
		c32 = __builtin_ia32_crc32qi(c32, *p);
	return ~c32;
}

static int detect_hw(void)
{
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("sse4.2"))
		return 0;
	pthread_once(&shift_once, build_shifts);
	return 1;
}
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>
static uint32_t crc_hw(uint32_t crc, const void *data, size_t n)
{
	const uint8_t *p = data;
	crc = ~crc;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		crc = __crc32cd(crc, w);
		p += 8;
		n -= 8;
	}
	while (n--)
		crc = __crc32cb(crc, *p++);
	return ~crc;
}

static int detect_hw(void)
{
	return 1;
}
#else
static uint32_t crc_hw(uint32_t crc, const void *data, size_t n)
{
	return tb_crc32c_sw(crc, data, n);
}

static int detect_hw(void)
{
	return 0;
}
#endif

/* -1 unknown, 0 software, 1 hardware (its tables built: release/acquire) */
static int hw_state = -1;

int tb_crc32c_hw(void)
{
	int s = __atomic_load_n(&hw_state, __ATOMIC_ACQUIRE);
	if (s < 0) {
		s = detect_hw();
		__atomic_store_n(&hw_state, s, __ATOMIC_RELEASE);
	}
	return s;
}

tb_crc32c_fn tb_crc32c_best(void)
{
	return tb_crc32c_hw() ? crc_hw : tb_crc32c_sw;
}

uint32_t tb_crc32c_extend(uint32_t crc, const void *p, size_t n)
{
	return tb_crc32c_hw() ? crc_hw(crc, p, n) : tb_crc32c_sw(crc, p, n);
}

uint32_t tb_crc32c(const void *p, size_t n)
{
	return tb_crc32c_extend(0, p, n);
}
