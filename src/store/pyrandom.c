/* CPython-compatible random numbers (see pyrandom.h). */
#include "pyrandom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"

static void init_genrand(tb_pyrandom *r, uint32_t s)
{
	r->mt[0] = s;
	for (int i = 1; i < 624; i++)
		r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
	r->index = 624;
}

void tb_pyrandom_seed0(tb_pyrandom *r)
{
	/* init_by_array with the one-word key {0}, as CPython seeds from 0 */
	const uint32_t key[1] = {0};
	const int key_len = 1;
	init_genrand(r, 19650218u);
	int i = 1, j = 0;
	for (int k = 624; k; k--) {
		r->mt[i] = (r->mt[i] ^ ((r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) * 1664525u)) +
			   key[j] + (uint32_t)j;
		i++;
		j++;
		if (i >= 624) {
			r->mt[0] = r->mt[623];
			i = 1;
		}
		if (j >= key_len)
			j = 0;
	}
	for (int k = 623; k; k--) {
		r->mt[i] = (r->mt[i] ^ ((r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) * 1566083941u)) -
			   (uint32_t)i;
		i++;
		if (i >= 624) {
			r->mt[0] = r->mt[623];
			i = 1;
		}
	}
	r->mt[0] = 0x80000000u;
	r->index = 624;
}

uint32_t tb_pyrandom_u32(tb_pyrandom *r)
{
	if (r->index >= 624) {
		/* the twist, split so no index needs a modulo */
		uint32_t *mt = r->mt, y;
		int k;
		for (k = 0; k < 624 - 397; k++) {
			y = (mt[k] & 0x80000000u) | (mt[k + 1] & 0x7fffffffu);
			mt[k] = mt[k + 397] ^ (y >> 1) ^ (-(y & 1) & 0x9908b0dfu);
		}
		for (; k < 623; k++) {
			y = (mt[k] & 0x80000000u) | (mt[k + 1] & 0x7fffffffu);
			mt[k] = mt[k + 397 - 624] ^ (y >> 1) ^ (-(y & 1) & 0x9908b0dfu);
		}
		y = (mt[623] & 0x80000000u) | (mt[0] & 0x7fffffffu);
		mt[623] = mt[396] ^ (y >> 1) ^ (-(y & 1) & 0x9908b0dfu);
		r->index = 0;
	}
	uint32_t y = r->mt[r->index++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680u;
	y ^= (y << 15) & 0xefc60000u;
	y ^= y >> 18;
	return y;
}

uint64_t tb_pyrandom_bits(tb_pyrandom *r, int k)
{
	if (k <= 32)
		return tb_pyrandom_u32(r) >> (32 - k);
	/* CPython fills 32-bit words from the least significant end and drops
	 * the surplus high bits of the last word */
	uint64_t lo = tb_pyrandom_u32(r);
	uint64_t hi = tb_pyrandom_u32(r) >> (64 - k);
	return lo | hi << 32;
}

static int bit_length(uint64_t n)
{
	return n ? 64 - __builtin_clzll(n) : 0;
}

uint64_t tb_pyrandom_below(tb_pyrandom *r, uint64_t n)
{
	int k = bit_length(n);
	uint64_t x = tb_pyrandom_bits(r, k);
	while (x >= n)
		x = tb_pyrandom_bits(r, k);
	return x;
}

void tb_pyrandom_sample(uint64_t *out, uint64_t n, uint64_t k)
{
	tb_pyrandom r;
	tb_pyrandom_seed0(&r);
	uint64_t setsize = 21;
	if (k > 5)
		setsize += (uint64_t)1 << (2 * (int)ceil(log((double)(k * 3)) / log(4.0)));
	if (n <= setsize) {
		uint64_t *pool = tb_xmalloc((size_t)(n ? n : 1) * sizeof *pool);
		for (uint64_t i = 0; i < n; i++)
			pool[i] = i;
		for (uint64_t i = 0; i < k; i++) {
			uint64_t j = tb_pyrandom_below(&r, n - i);
			out[i] = pool[j];
			pool[j] = pool[n - i - 1];
		}
		free(pool);
	} else {
		uint8_t *seen = tb_xcalloc((size_t)(n / 8 + 1), 1);
		for (uint64_t i = 0; i < k; i++) {
			uint64_t j;
			do
				j = tb_pyrandom_below(&r, n);
			while (seen[j / 8] & (1u << (j % 8)));
			seen[j / 8] |= (uint8_t)(1u << (j % 8));
			out[i] = j;
		}
		free(seen);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void tb_downsample_indices(uint64_t *out, uint64_t n, uint64_t k)
{
	if (k == 0)
		return;
	tb_pyrandom_sample(out, n - 1, k - 1);
	qsort(out, (size_t)(k - 1), sizeof *out, cmp_u64);
	out[k - 1] = n - 1;
}
