/* Numbers in decimal: Python repr() of a double in one pass (Schubfach)
 * and integers, written straight to their final place. Shared by the JSON
 * writer and libtboard's writer (both spell numbers as Python does). */
#include "common/numfmt.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* --- decimal digits ------------------------------------------------------
 *
 * Digits go straight to their final place, up to eight at a time in the
 * lanes of one 64-bit word (two at a time from a table on a big-endian
 * machine); never through a scratch array
 * copied afterwards (reading back bytes just stored in smaller pieces
 * stalls the store-to-load forwarding of the copy). */

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

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
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

/* The 8 digits of w < 10^8 at o, zero-padded. */
static inline __attribute__((always_inline)) void put8(char *o, uint32_t w)
{
	uint64_t x = digits8(w);
	memcpy(o, &x, 8);
}

/* The count (1 to 8) low digits of w at o, zero-padded, in one store of 8
 * bytes: the leading digits are shifted out, so 8 - count zero bytes
 * follow the digits, overwritten by whatever is written after them. No
 * loop and no branch on the count. */
static inline __attribute__((always_inline)) void put_upto8(char *o, uint32_t w, int count)
{
	uint64_t x = digits8(w) >> (8 * (8 - count));
	memcpy(o, &x, 8);
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
#else
static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324"
				  "25262728293031323334353637383940414243444546474849"
				  "50515253545556575859606162636465666768697071727374"
				  "75767778798081828384858687888990919293949596979899";

/* The count (2 to 8, even) low digits of w at o, zero-padded. */
static inline __attribute__((always_inline)) void put_pairs32(char *o, uint32_t w, int count)
{
	while (count > 0) {
		uint32_t q = w / 100;
		count -= 2;
		memcpy(o + count, digit_pairs + 2 * (w - q * 100), 2);
		w = q;
	}
}

static inline __attribute__((always_inline)) void put8(char *o, uint32_t w)
{
	put_pairs32(o, w, 8);
}

/* Exactly count digits of v (v < 10^count, count <= 20) at o, zero-padded
 * on the left. */
static inline __attribute__((always_inline)) void put_digits(char *o, uint64_t v, int count)
{
	while (count > 8) {
		uint64_t q = v / 100000000;
		put8(o + count - 8, (uint32_t)(v - q * 100000000));
		v = q;
		count -= 8;
	}
	uint32_t w = (uint32_t)v;
	if (count == 8) {
		put8(o, w);
		return;
	}
	if (count & 1) {
		uint32_t q = w / 10;
		o[count - 1] = (char)('0' + (w - q * 10));
		w = q;
		count--;
	}
	put_pairs32(o, w, count);
}
#endif

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

/* --- shortest digits: Schubfach ------------------------------------------
 *
 * R. Giulietti, "The Schubfach way to render doubles" (2020): for
 * v = c * 2^q, pick k = floor(log10(2^q)) so that the rounding interval of v,
 * scaled by 10^-k, is between 1 and 10 units wide; then at most one decimal
 * with one digit less lies in it, and otherwise the closest of the two
 * neighbouring integers does. The scaling multiplies by a 128-bit
 * approximation g of 10^-k (rounded up), keeping a sticky bit ("round to
 * odd"), which the paper proves exact enough for every double. One pass, no
 * trial printing. Debian packages no C implementation of this family (only
 * Rust crates and the C++ double-conversion), hence this one.
 *
 * The 619 entries of g are computed once at first use with exact integer
 * arithmetic (below) instead of being pasted in as a table. */

__extension__ typedef unsigned __int128 u128;

#define POW10_MIN (-292)
#define POW10_MAX 326
#define BIG_LIMBS 24 /* 1536 bits: enough for 2^(127 + 1084) */

typedef struct pow10_entry {
	uint64_t hi, lo;
} pow10_entry;

static pow10_entry pow10_tab[POW10_MAX - POW10_MIN + 1];

/* Reciprocals of 10^k (1 <= k <= 19), for v / 10^k with v < 2^63 as
 * (v * m) >> (64 + sh): sh = floor(log2(10^k)), m = floor(2^(64 + sh) /
 * 10^k) + 1 < 2^64. The error m * 10^k - 2^(64 + sh) is at most 10^k <
 * 2^(sh + 1), so v times it stays below 2^(64 + sh) and the floor is
 * exact. One multiply for any k: a switch of constant divisions costs a
 * mispredicted indirect jump whenever the count of decimals changes,
 * which it does from one wall time to the next. */
typedef struct recip10 {
	uint64_t m;
	int sh;
} recip10;
static recip10 recip_tab[20];
static pthread_once_t pow10_once = PTHREAD_ONCE_INIT;
static atomic_int pow10_ready; /* set once the table is filled: skips the call */

/* floor(log2(10^e)) for |e| <= 1233, floor(log10(2^e)) for |e| <= 2620,
 * floor(log10(3/4 * 2^e)): fixed-point forms of the logarithms. */
static int floor_log2_pow10(int e)
{
	return (e * 1741647) >> 19;
}
static int floor_log10_pow2(int e)
{
	return (e * 1262611) >> 22;
}
static int floor_log10_three_quarters_pow2(int e)
{
	return (e * 1262611 - 524031) >> 22;
}

/* Little-endian big integers of BIG_LIMBS 64-bit limbs. */
static void big_mul_small(uint64_t *a, uint64_t m)
{
	u128 carry = 0;
	for (int i = 0; i < BIG_LIMBS; i++) {
		u128 t = (u128)a[i] * m + carry;
		a[i] = (uint64_t)t;
		carry = t >> 64;
	}
}

/* a = floor(a / d) */
static void big_div_small(uint64_t *a, uint64_t d)
{
	u128 rem = 0;
	for (int i = BIG_LIMBS - 1; i >= 0; i--) {
		u128 cur = (rem << 64) | a[i];
		a[i] = (uint64_t)(cur / d);
		rem = cur % d;
	}
}

static int big_bitlen(const uint64_t *a)
{
	for (int i = BIG_LIMBS - 1; i >= 0; i--)
		if (a[i])
			return i * 64 + 64 - __builtin_clzll(a[i]);
	return 0;
}

/* Bits [from, from + 64) of a. */
static uint64_t big_bits(const uint64_t *a, int from)
{
	int li = from / 64, sh = from % 64;
	uint64_t lo = li < BIG_LIMBS ? a[li] >> sh : 0;
	if (sh && li + 1 < BIG_LIMBS)
		lo |= a[li + 1] << (64 - sh);
	return lo;
}

static void big_pow10(uint64_t *a, int m)
{
	memset(a, 0, BIG_LIMBS * sizeof *a);
	a[0] = 1;
	for (; m >= 19; m -= 19)
		big_mul_small(a, 10000000000000000000ull);
	for (; m > 0; m--)
		big_mul_small(a, 10);
}

/* g(e) = floor(10^e * 2^(127 - floor(log2(10^e)))) + 1, so 2^127 <= g < 2^128. */
static void pow10_init(void)
{
	uint64_t a[BIG_LIMBS];
	for (int e = POW10_MIN; e <= POW10_MAX; e++) {
		pow10_entry *g = &pow10_tab[e - POW10_MIN];
		if (e >= 0) {
			big_pow10(a, e);
			int bl = big_bitlen(a);
			if (bl <= 128) {
				u128 v = (u128)a[1] << 64 | a[0];
				v <<= 128 - bl;
				g->hi = (uint64_t)(v >> 64);
				g->lo = (uint64_t)v;
			} else {
				g->hi = big_bits(a, bl - 64);
				g->lo = big_bits(a, bl - 128);
			}
		} else {
			/* 10^e with e < 0 lies in (2^-bl, 2^(1-bl)) where bl is the
			 * bit length of 10^-e, so g = floor(2^(127 + bl) / 10^-e). */
			big_pow10(a, -e);
			int n = 127 + big_bitlen(a);
			memset(a, 0, sizeof a);
			a[n / 64] = 1ull << (n % 64);
			int m = -e;
			for (; m >= 19; m -= 19)
				big_div_small(a, 10000000000000000000ull);
			uint64_t d = 1;
			for (; m > 0; m--)
				d *= 10;
			big_div_small(a, d);
			g->hi = a[1];
			g->lo = a[0];
		}
		if (++g->lo == 0)
			g->hi++;
	}
	for (int k = 1; k < 20; k++) {
		uint64_t d = pow10_u64[k];
		int sh = 63 - __builtin_clzll(d);
		recip_tab[k].m = (uint64_t)(((u128)1 << (64 + sh)) / d) + 1;
		recip_tab[k].sh = sh;
	}
}

/* The upper 64 bits of g * cp / 2^64, with the discarded part folded into
 * the lowest bit ("round to odd"). */
static uint64_t round_to_odd(const pow10_entry *g, uint64_t cp)
{
	u128 x = (u128)g->lo * cp;
	u128 y = (u128)g->hi * cp;
	uint64_t y0 = (uint64_t)y + (uint64_t)(x >> 64);
	uint64_t y1 = (uint64_t)(y >> 64) + (y0 < (uint64_t)(x >> 64));
	return y1 | (y0 > 1);
}

/* v > 0 finite: the shortest decimal s * 10^k that reads back as v, the
 * closest to v among those; with `single`, v holds a float and "reads back"
 * means as a float (its 24-bit significand and wider rounding interval, on
 * the same table: c < 2^24 leaves the 128-bit g far more precise than the
 * proof needs). */
static void schubfach(uint64_t *out_s, int *out_k, double v, int single)
{
	uint64_t frac, c;
	int bexp, q;
	if (single) {
		float f = (float)v;
		uint32_t b;
		memcpy(&b, &f, sizeof b);
		frac = b & ((1u << 23) - 1);
		bexp = (int)(b >> 23) & 0xff;
		c = bexp ? frac | (1u << 23) : frac;
		q = bexp ? bexp - 150 : -149;
	} else {
		uint64_t bits;
		memcpy(&bits, &v, sizeof bits);
		frac = bits & ((1ull << 52) - 1);
		bexp = (int)(bits >> 52) & 0x7ff;
		c = bexp ? frac | (1ull << 52) : frac;
		q = bexp ? bexp - 1075 : -1074;
	}
	int even = (c & 1) == 0;
	int lower_closer = frac == 0 && bexp > 1;
	uint64_t cbl = 4 * c - 2 + (uint64_t)lower_closer;
	uint64_t cb = 4 * c;
	uint64_t cbr = 4 * c + 2;
	int k = lower_closer ? floor_log10_three_quarters_pow2(q) : floor_log10_pow2(q);
	int h = q + floor_log2_pow10(-k) + 1;
	const pow10_entry *g = &pow10_tab[-k - POW10_MIN];
	uint64_t vbl = round_to_odd(g, cbl << h);
	uint64_t vb = round_to_odd(g, cb << h);
	uint64_t vbr = round_to_odd(g, cbr << h);
	uint64_t lower = vbl + !even;
	uint64_t upper = vbr - !even;
	uint64_t s = vb / 4;
	if (s >= 10) {
		/* one digit less: at most one such decimal is inside */
		uint64_t sp = s / 10;
		int up_in = lower <= 40 * sp;
		int wp_in = 40 * sp + 40 <= upper;
		if (up_in != wp_in) {
			*out_s = sp + (uint64_t)wp_in;
			*out_k = k + 1;
			return;
		}
	}
	int u_in = lower <= 4 * s;
	int w_in = 4 * s + 4 <= upper;
	if (u_in != w_in) {
		*out_s = s + (uint64_t)w_in;
		*out_k = k;
		return;
	}
	/* both neighbours read back: the closer one, ties to even */
	uint64_t mid = 4 * s + 2;
	int up = vb > mid || (vb == mid && (s & 1) != 0);
	*out_s = s + (uint64_t)up;
	*out_k = k;
}

/* Shortest round-trip digits of v > 0: returns them as an integer without
 * trailing zeros, with their count in *n and the decimal exponent of the
 * first in *exp10. */
static uint64_t fmt_digits(int *n, int *exp10, double v, int single)
{
	if (!atomic_load_explicit(&pow10_ready, memory_order_acquire)) {
		pthread_once(&pow10_once, pow10_init);
		atomic_store_explicit(&pow10_ready, 1, memory_order_release);
	}
	uint64_t s;
	int k;
	schubfach(&s, &k, v, single);
	while (s % 100 == 0) {
		s /= 100;
		k += 2;
	}
	if (s % 10 == 0) {
		s /= 10;
		k++;
	}
	*n = digit_count(s);
	*exp10 = k + *n - 1;
	return s;
}

/* v / 10^k for v < 2^63, 1 <= k <= 19 (recip_tab). */
static uint64_t div_pow10(uint64_t v, int k)
{
	const recip10 *r = &recip_tab[k];
	return (uint64_t)(((u128)v * r->m) >> 64) >> r->sh;
}

/* The n digits of s with a '.' after the first `whole` (1 <= whole < n) at
 * o; returns the end. */
static char *put_split(char *o, uint64_t s, int n, int whole)
{
	uint64_t hi = div_pow10(s, n - whole);
	put_digits(o, hi, whole);
	o[whole] = '.';
	put_digits(o + whole + 1, s - hi * pow10_u64[n - whole], n - whole);
	return o + n + 1;
}

/* tb_fmt_double's layout, with the shortest digits of v as a double or,
 * with `single`, as a float. */
static size_t fmt_decimal(char *buf, double v, int single)
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
	uint64_t d = 0;
	int e = 0, n = 1;
	if (v != 0)
		d = fmt_digits(&n, &e, v, single);
	if (e >= -4 && e < 16) {
		if (e < 0) {
			/* "0.", -e - 1 zeros, the digits */
			memcpy(o, "0.0000", 6);
			o += 1 - e;
			put_digits(o, d, n);
			o += n;
		} else if (n <= e + 1) {
			/* an integer: the digits, zeros up to e + 1 places, ".0" */
			put_digits(o, d, n);
			memset(o + n, '0', (size_t)(e + 1 - n));
			o += e + 1;
			*o++ = '.';
			*o++ = '0';
		} else {
			o = put_split(o, d, n, e + 1);
		}
	} else {
		if (n > 1) {
			o = put_split(o, d, n, 1);
		} else {
			*o++ = (char)('0' + d);
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
