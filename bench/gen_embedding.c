/* gen_embedding: write a projector log directory of a chosen size.
 *
 *     gen_embedding OUTDIR [points=10000] [dim=32] [sprites=0]
 *
 * Writes, with libtboard, one run OUTDIR/emb holding an embedding "points"
 * of `points` rows in `dim` dimensions: twelve Gaussian clusters around
 * fixed centres, from a fixed seed, so two runs of the same arguments write
 * the same values. Its metadata has a header and three columns: label
 * ("c<cluster>_<row>"), cluster (0-11) and radius (the distance to the
 * centre, a number). With sprites=1 each point also gets an 8 x 8 thumbnail
 * in its cluster's grey level. Used by the projector's browser test and
 * bench/projector_bench.mjs; the 50,000-point directory is written there,
 * never kept in the repository. Prints points, dimensions and seconds. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <tboard/writer.h>

#include "lib/bench.h"

#define CLUSTERS 12
#define SPRITE 8

static uint64_t rng_state = 7;

static double uniform(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return ((rng_state >> 11) + 0.5) / 9007199254740992.0;
}

static double gaussian(void)
{
	return sqrt(-2.0 * log(uniform())) * cos(2.0 * M_PI * uniform());
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 5) {
		fprintf(stderr, "usage: gen_embedding OUTDIR [points=10000] [dim=32] [sprites=0]\n");
		return 2;
	}
	size_t n = (size_t)bench_arg(argc, argv, 2, 10000, 1);
	size_t dim = (size_t)bench_arg(argc, argv, 3, 32, 2);
	int sprites = (int)bench_arg(argc, argv, 4, 0, 0) != 0;
	double t0 = bench_now();
	float *x = malloc(n * dim * sizeof *x);
	double *centre = malloc(CLUSTERS * dim * sizeof *centre);
	char (*cells)[48] = malloc(n * 3 * sizeof *cells);
	const char **meta = malloc(n * 3 * sizeof *meta);
	uint8_t *pixels = sprites ? malloc(n * SPRITE * SPRITE) : NULL;
	tb_writer *w = NULL;
	char path[4096];
	int rc = TB_ENOMEM;
	if (!x || !centre || !cells || !meta || (sprites && !pixels))
		goto out;
	for (size_t i = 0; i < CLUSTERS * dim; i++)
		centre[i] = 6.0 * gaussian();
	for (size_t i = 0; i < n; i++) {
		size_t c = i % CLUSTERS;
		double r2 = 0;
		for (size_t k = 0; k < dim; k++) {
			double v = gaussian();
			r2 += v * v;
			x[i * dim + k] = (float)(centre[c * dim + k] + v);
		}
		snprintf(cells[i * 3], sizeof cells[0], "c%zu_%zu", c, i);
		snprintf(cells[i * 3 + 1], sizeof cells[0], "%zu", c);
		snprintf(cells[i * 3 + 2], sizeof cells[0], "%.3f", sqrt(r2));
		for (int k = 0; k < 3; k++)
			meta[i * 3 + k] = cells[i * 3 + k];
		if (pixels)
			for (int p = 0; p < SPRITE * SPRITE; p++)
				pixels[i * SPRITE * SPRITE + p] =
				    (uint8_t)(40 + 200 * c / (CLUSTERS - 1) + (p % 3 == 0 ? 15 : 0));
	}
	static const char *const header[] = {"label", "cluster", "radius"};
	tb_image img = {pixels, TB_PIXEL_U8, TB_LAYOUT_HW, SPRITE, SPRITE, 1};
	if (snprintf(path, sizeof path, "%s/emb", argv[1]) >= (int)sizeof path) {
		rc = TB_EINVAL;
		goto out;
	}
	rc = tb_writer_open(&w, path, NULL);
	if (rc == TB_OK)
		rc = tb_writer_add_embedding(w, x, n, dim, meta, 3, header, pixels ? &img : NULL,
					     "points", 0);
	if (w) {
		int rc2 = tb_writer_close(w);
		if (rc == TB_OK)
			rc = rc2;
	}
out:
	if (rc != TB_OK)
		fprintf(stderr, "gen_embedding: %s\n", tb_writer_errmsg(NULL));
	else
		printf("%zu points, %zu dimensions, %.2f s\n", n, dim, bench_now() - t0);
	free(x);
	free(centre);
	free(cells);
	free(meta);
	free(pixels);
	return rc == TB_OK ? 0 : 1;
}
