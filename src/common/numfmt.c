/* Numbers in decimal: Python repr() of a double (its shortest digits from
 * Dragonbox, common/shortest.cc, laid out here) and integers, written
 * straight to their final place. Shared by the JSON writer and libtboard's
 * writer (both spell numbers as Python does). */
#include "common/numfmt.h"
#include "common/shortest.h"

#include <math.h>
#include <string.h>
#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

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

#define ASCII_ZEROS 0x3030303030303030ull

/* The 8 digits of w < 10^8, zero-padded, as digit values (0 to 9) in the
 * bytes of one 64-bit word, the first digit in the lowest byte: split into
 * two halves of 4 digits (32-bit lanes), each into two of 2 (16-bit lanes),
 * each into two of 1 (bytes), dividing by 100 and 10 with
 * multiply-and-shift, which is exact for lanes this small. */
static inline __attribute__((always_inline)) uint64_t digit_values8(uint32_t w)
{
	uint64_t x = (uint64_t)(w / 10000) | (uint64_t)(w % 10000) << 32;
	uint64_t y = ((x * 10486) >> 20) & 0x0000007f0000007full; /* lane / 100 */
	x = y | (x - y * 100) << 16;
	y = ((x * 103) >> 10) & 0x000f000f000f000full; /* lane / 10 */
	return y | (x - y * 10) << 8;
}

/* digit_values8 of hi and of lo, both at once where SSE2 is there: the
 * same lane steps in one vector register, fewer instructions, and off the
 * integer multiplier that the shortest digits use. */
static inline __attribute__((always_inline)) void digit_values16(uint32_t hi, uint32_t lo,
								 uint64_t *whi, uint64_t *wlo)
{
#if defined(__SSE2__) && defined(__x86_64__)
	__m128i x = _mm_set_epi64x(lo, hi);
	/* lane / 10000 and lane % 10000, as 32-bit lanes: q r q r */
	__m128i q = _mm_srli_epi64(_mm_mul_epu32(x, _mm_set1_epi32((int)0xd1b71759)), 45);
	__m128i r = _mm_sub_epi32(x, _mm_mul_epu32(q, _mm_set1_epi32(10000)));
	__m128i v = _mm_or_si128(q, _mm_slli_epi64(r, 32));
	/* 16-bit lanes: / 100 as (v * 5243) >> 19 */
	__m128i y = _mm_srli_epi16(_mm_mulhi_epu16(v, _mm_set1_epi16(5243)), 3);
	v = _mm_or_si128(
	    y, _mm_slli_epi32(_mm_sub_epi16(v, _mm_mullo_epi16(y, _mm_set1_epi16(100))), 16));
	/* bytes: / 10 as (v * 103) >> 10 */
	y = _mm_srli_epi16(_mm_mullo_epi16(v, _mm_set1_epi16(103)), 10);
	v = _mm_or_si128(
	    y, _mm_slli_epi16(_mm_sub_epi16(v, _mm_mullo_epi16(y, _mm_set1_epi16(10))), 8));
	*whi = (uint64_t)_mm_cvtsi128_si64(v);
	*wlo = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v));
#else
	*whi = digit_values8(hi);
	*wlo = digit_values8(lo);
#endif
}

/* The same as characters. */
static inline __attribute__((always_inline)) uint64_t digits8(uint32_t w)
{
	return digit_values8(w) | ASCII_ZEROS;
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

/* tb_fmt_int, inlined where it is called */
static inline __attribute__((always_inline)) size_t fmt_int(char *o, int64_t v)
{
	/* unsigned, so INT64_MIN negates without overflow */
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	size_t sign = v < 0;
	*o = '-';
	int n = digit_count(u);
	put_digits(o + sign, u, n);
	return sign + (size_t)n;
}

size_t tb_fmt_int(char *o, int64_t v)
{
	return fmt_int(o, v);
}

/* --- doubles -----------------------------------------------------------------
 *
 * A double's shortest digits are at most 17. Right-aligned in 17, they are
 * one digit and two words of 8 in registers, shifted left past the
 * leading zeros, with no branch on their count; each layout below is then
 * a few stores at fixed or computed places, and the padding zeros past the
 * end are overwritten by whatever follows (or lie past the returned
 * length). */

/* The 16 bytes of x at o, the lowest first. */
static inline __attribute__((always_inline)) void store_le128(char *o, u128 x)
{
	store_le64(o, (uint64_t)x);
	store_le64(o + 8, (uint64_t)(x >> 64));
}

/* The shortest digits of a finite v >= 0 ready for the layout: the first
 * digit, the next 16 (characters, '0' past the last), how many there are
 * up to the last that is not 0, and the power of ten of the first. */
typedef struct decimal {
	u128 next;
	int e, n;
	char d0;
} decimal;

/* v's digits as a double or, with `single`, as a float (v then holds a
 * float exactly). */
static inline __attribute__((always_inline)) decimal decimal_of(double v, int single)
{
	uint64_t s = 0;
	int k = 0;
	if (v != 0)
		s = single ? tb_shortest_float((float)v, &k) : tb_shortest_double(v, &k);
	int digits = digit_count(s);
	/* s < 10^17, right-aligned in 17 digits: the first (maybe 0), then
	 * two words of 8, as digit values; no multiplication waits for the
	 * digit count */
	uint64_t hi = s / 100000000;
	uint32_t low = (uint32_t)(s - hi * 100000000), first = (uint32_t)hi / 100000000;
	uint32_t mid = (uint32_t)hi - first * 100000000;
	uint64_t wm, wl;
	digit_values16(mid, low, &wm, &wl);
	/* the digits up to the last one that is not 0 (s may end in zeros) */
	int tz = wl ? __builtin_clzll(wl) / 8 : wm ? 8 + __builtin_clzll(wm) / 8 : 16;
	/* drop the 17 - digits leading zeros */
	u128 w = (u128)wl << 64 | wm;
	int lead = 17 - digits;
	u128 at = w >> (8 * (lead - 1 + !lead));
	decimal d;
	d.d0 = (char)('0' + (lead ? (uint8_t)at : first));
	d.next = (lead ? at >> 8 : w) | ((u128)ASCII_ZEROS << 64 | ASCII_ZEROS);
	d.e = s ? k + digits - 1 : 0;
	d.n = digits - tz > 1 ? digits - tz : 1;
	return d;
}

/* Python's layout of d at o; returns the end. */
static inline __attribute__((always_inline)) char *put_decimal(char *o, decimal d)
{
	int e = d.e, n = d.n;
	if (e >= -4 && e < 16) {
		/* No branch on e or n, whose outcomes alternate in a series of
		 * [wall time, step, value] points: "0.0000"; the digits at start
		 * (after "0." and -e - 1 zeros when e < 0, else at 0); for
		 * e >= 0, the point after e + 1 digits and the digits after it,
		 * "0" when there are none (stores that are not needed go to a
		 * scratch buffer instead). */
		char scratch[32];
		int below_one = e < 0;
		int start = below_one ? 1 - e : 0;
		memcpy(o, "0.0000", 6);
		o[start] = d.d0;
		store_le128(o + start + 1, d.next);
		u128 tail = d.next >> (8 * (below_one ? 0 : e));
		char *point = below_one ? scratch : o + e + 1;
		*point = '.';
		store_le64(point + 1, (uint64_t)tail);
		/* the 9th to 16th digits after the point, when there are any */
		store_le64(n - e - 1 > 8 ? point + 9 : scratch + 16, (uint64_t)(tail >> 64));
		int int_end = n > e + 2 ? n : e + 2; /* past the last digit, or the "0" of ".0" */
		return o + (below_one ? start + n : int_end + 1);
	}
	*o++ = d.d0;
	if (n > 1) {
		*o = '.';
		store_le128(o + 1, d.next);
		o += n;
	}
	*o++ = 'e';
	*o++ = e < 0 ? '-' : '+';
	int a = e < 0 ? -e : e;
	if (a >= 100)
		*o++ = (char)('0' + a / 100);
	*o++ = (char)('0' + a / 10 % 10);
	*o++ = (char)('0' + a % 10);
	return o;
}

/* tb_fmt_double and tb_fmt_float. */
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
	*o = '-';
	o += signbit(v) != 0;
	o = put_decimal(o, decimal_of(fabs(v), single));
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

size_t tb_fmt_point(char *buf, double wall, int64_t step, double value)
{
	/* both digit chains before either layout, so that they overlap */
	decimal dw = decimal_of(fabs(wall), 0), dv = decimal_of(fabs(value), 0);
	char *o = buf;
	*o++ = '[';
	*o = '-';
	o = put_decimal(o + (signbit(wall) != 0), dw);
	memcpy(o, ", ", 2);
	o += 2;
	o += fmt_int(o, step);
	memcpy(o, ", -", 3);
	o = put_decimal(o + 2 + (signbit(value) != 0), dv);
	*o++ = ']';
	*o = '\0';
	return (size_t)(o - buf);
}
