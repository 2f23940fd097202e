/* A random generator that draws exactly what CPython's random.Random(0)
 * draws: MT19937 seeded through init_by_array([0]), randbelow by rejection
 * of getrandbits(bit_length(n)), and random.sample (spec LOADING.md 10.2
 * and 12.1). Matching CPython bit for bit means tboard keeps and serves the
 * same sampled points as upstream's Python loader on the same files.
 *
 * A tb_pyrandom is plain data (about 2.5 KB); not thread-safe. */
#ifndef TB_PYRANDOM_H
#define TB_PYRANDOM_H

#include <stddef.h>
#include <stdint.h>

typedef struct tb_pyrandom {
	uint32_t mt[624];
	int index;
} tb_pyrandom;

/* Equivalent of random.Random(0). */
void tb_pyrandom_seed0(tb_pyrandom *r);
uint32_t tb_pyrandom_u32(tb_pyrandom *r);
/* random.getrandbits(k) for 1 <= k <= 64. */
uint64_t tb_pyrandom_bits(tb_pyrandom *r, int k);
/* random._randbelow(n), n >= 1: uniform in [0, n). */
uint64_t tb_pyrandom_below(tb_pyrandom *r, uint64_t n);

/* The indices random.Random(0).sample(range(n), k) returns, in draw order,
 * into out (k entries). Requires k <= n. */
void tb_pyrandom_sample(uint64_t *out, uint64_t n, uint64_t k);

/* The indices that upstream's downsampling keeps when k of n points are
 * wanted (k < n): the last point plus a sample of k-1 among the others,
 * sorted ascending. out has room for k entries. */
void tb_downsample_indices(uint64_t *out, uint64_t n, uint64_t k);

#endif
