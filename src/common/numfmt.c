/* Numbers in decimal: Python repr() of a double (its shortest digits from
 * Dragonbox, common/shortest.cc, laid out here) and integers, written
 * straight to their final place. Shared by the JSON writer and libtboard's
 * writer (both spell numbers as Python does). */
#include "common/numfmt.h"
#include "common/shortest.h"

#include <math.h>
#include <string.h>

/* --- decimal digits ------------------------------------------------------
 *
 * Digits go straight to their final place, eight at a time in the lanes
 * of one 64-bit word; never through a scratch array copied afterwards
 * (reading back bytes just stored in smaller pieces stalls the
 * store-to-load forwarding of the copy). */

__extension__ typedef unsigned __int128 u128;

static const uint64_t pow10_u64[20] = {1ull,
				       10ull,
				       100ull,
				       1000ull,
				       10000ull,
				       100000ull,
				       1000000ull,
				       10000000ull,
				       100000000ull,
				       1000000000ull,
				       10000000000ull,
				       100000000000ull,
				       1000000000000ull,
				       10000000000000ull,
				       100000000000000ull,
				       1000000000000000ull,
				       10000000000000000ull,
				       100000000000000000ull,
				       1000000000000000000ull,
				       10000000000000000000ull};

/* The number of decimal digits of v (1 for 0). */
static int digit_count(uint64_t v)
{
	/* from the bit length: log10(2) ~ 1233 / 4096 */
	v |= 1;
	int t = ((64 - __builtin_clzll(v)) * 1233) >> 12;
	return t + 1 - (v < pow10_u64[t]);
}

/* The 8 digits of w < 10^8, zero-padded, as the bytes of one 64-bit word,
 * the first digit in the lowest byte: split into two halves of 4 digits
 * (32-bit lanes), each into two of 2 (16-bit lanes), each into two of 1
 * (bytes), dividing by 100 and 10 with multiply-and-shift, which is exact
 * for lanes this small. */
static inline __attribute__((always_inline)) uint64_t digits8(uint32_t w)
{
	uint64_t x = (uint64_t)(w / 10000) | (uint64_t)(w % 10000) << 32;
	uint64_t y = ((x * 10486) >> 20) & 0x0000007f0000007full; /* lane / 100 */
	x = y | (x - y * 100) << 16;
	y = ((x * 103) >> 10) & 0x000f000f000f000full; /* lane / 10 */
	return (y | (x - y * 10) << 8) | 0x3030303030303030ull;
}

/* The 8 bytes of x at o, the lowest first, on any machine. */
static inline __attribute__((always_inline)) void store_le64(char *o, uint64_t x)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	memcpy(o, &x, 8);
}

/* The 8 digits of w < 10^8 at o, zero-padded. */
static inline __attribute__((always_inline)) void put8(char *o, uint32_t w)
{
	store_le64(o, digits8(w));
}

/* The count (1 to 8) low digits of w at o, zero-padded, in one store of 8
 * bytes: the leading digits are shifted out, so 8 - count zero bytes
 * follow the digits, overwritten by whatever is written after them. No
 * loop and no branch on the count. */
static inline __attribute__((always_inline)) void put_upto8(char *o, uint32_t w, int count)
{
	store_le64(o, digits8(w) >> (8 * (8 - count)));
}

/* Exactly count digits of v (v < 10^count, 1 <= count <= 20) at o,
 * zero-padded on the left, most significant part first (its spill is
 * overwritten by the parts after it); up to 7 bytes after the digits are
 * overwritten too. */
static inline __attribute__((always_inline)) void put_digits(char *o, uint64_t v, int count)
{
	if (count <= 8) {
		put_upto8(o, (uint32_t)v, count);
		return;
	}
	if (count <= 16) {
		uint64_t hi = v / 100000000;
		put_upto8(o, (uint32_t)hi, count - 8);
		put8(o + count - 8, (uint32_t)(v - hi * 100000000));
		return;
	}
	uint64_t hi = v / 10000000000000000ull, rest = v - hi * 10000000000000000ull;
	uint64_t mid = rest / 100000000;
	put_upto8(o, (uint32_t)hi, count - 16);
	put8(o + count - 16, (uint32_t)mid);
	put8(o + count - 8, (uint32_t)(rest - mid * 100000000));
}

size_t tb_fmt_int(char *o, int64_t v)
{
	/* unsigned, so INT64_MIN negates without overflow */
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	size_t sign = v < 0;
	*o = '-';
	int n = digit_count(u);
	put_digits(o + sign, u, n);
	return sign + (size_t)n;
}

/* --- doubles -----------------------------------------------------------------
 *
 * A double's shortest digits are at most 17. Padded with zeros to exactly
 * 17, they are one digit and two words of 8 in registers, with no branch
 * on their count; each layout below is then a few stores at fixed or
 * computed places, and the padding zeros past the end are overwritten by
 * whatever follows (or lie past the returned length). */

/* The 16 bytes of x at o, the lowest first. */
static inline __attribute__((always_inline)) void store_le128(char *o, u128 x)
{
	store_le64(o, (uint64_t)x);
	store_le64(o + 8, (uint64_t)(x >> 64));
}

/* tb_fmt_double's layout, with the shortest digits of v as a double or,
 * with `single`, as a float (v then holds a float exactly). */
static inline __attribute__((always_inline)) size_t fmt_decimal(char *buf, double v, int single)
{
	char *o = buf;
	if (isnan(v)) {
		memcpy(buf, "nan", 4);
		return 3;
	}
	if (isinf(v)) {
		if (v > 0) {
			memcpy(buf, "inf", 4);
			return 3;
		}
		memcpy(buf, "-inf", 5);
		return 4;
	}
	if (signbit(v)) {
		*o++ = '-';
		v = -v;
	}
	uint64_t s = 0;
	int e = 0, digits = 1; /* the digits s, the first of them at 10^e */
	if (v != 0) {
		int k;
		s = single ? tb_shortest_float((float)v, &k) : tb_shortest_double(v, &k);
		digits = digit_count(s);
		e = k + digits - 1;
	}
	/* t = first * 10^16 + mid * 10^8 + low; the two splits of hi run
	 * beside the one of low */
	uint64_t t = s * pow10_u64[17 - digits];
	uint64_t hi = t / 100000000;
	uint32_t low = (uint32_t)(t - hi * 100000000), first = (uint32_t)(hi / 100000000);
	uint32_t mid = (uint32_t)(hi - (uint64_t)first * 100000000);
	char d0 = (char)('0' + first); /* the first digit, then 16 more */
	u128 next = (u128)digits8(low) << 64 | digits8(mid);
	/* n: the digits up to the last one that is not 0, found in the bytes
	 * (s may end in zeros, and the padding does) */
	uint64_t zl = (uint64_t)next ^ 0x3030303030303030ull;
	uint64_t zh = (uint64_t)(next >> 64) ^ 0x3030303030303030ull;
	int n = zh ? 17 - __builtin_clzll(zh) / 8 : zl ? 9 - __builtin_clzll(zl) / 8 : 1;
	if (e >= -4 && e < 16) {
		if (e < 0) {
			/* "0.", -e - 1 zeros, the digits */
			memcpy(o, "0.0000", 6);
			o += 1 - e;
			*o = d0;
			store_le128(o + 1, next);
			o += n;
		} else if (n <= e + 1) {
			/* an integer: the digits and their padding up to e + 1
			 * places, ".0" */
			*o = d0;
			store_le128(o + 1, next);
			memcpy(o + e + 1, ".0", 2);
			o += e + 3;
		} else {
			/* e + 1 digits, '.', the other n - e - 1 (at most 16) */
			*o = d0;
			store_le128(o + 1, next);
			o[e + 1] = '.';
			u128 tail = next >> (8 * e);
			store_le64(o + e + 2, (uint64_t)tail);
			if (n - e - 1 > 8)
				store_le64(o + e + 10, (uint64_t)(tail >> 64));
			o += n + 1;
		}
	} else {
		*o++ = d0;
		if (n > 1) {
			*o = '.';
			store_le128(o + 1, next);
			o += n;
		}
		*o++ = 'e';
		*o++ = e < 0 ? '-' : '+';
		int a = e < 0 ? -e : e;
		if (a >= 100)
			*o++ = (char)('0' + a / 100);
		*o++ = (char)('0' + a / 10 % 10);
		*o++ = (char)('0' + a % 10);
	}
	*o = '\0';
	return (size_t)(o - buf);
}

size_t tb_fmt_double(char *buf, double v)
{
	return fmt_decimal(buf, v, 0);
}

size_t tb_fmt_float(char *buf, float v)
{
	return fmt_decimal(buf, v, 1);
}
