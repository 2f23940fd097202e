/* writer_bench: tb_writer_add_scalar and tb_writer_add_image throughput.
 *
 *     writer_bench [events=4000000] [images=2000]
 *
 * Adds fixed-seed scalar events over 20 tags to a writer in a fresh
 * temporary directory (under $TMPDIR, else /tmp) with the default options
 * (max_queue 10), once with the tensor encoding and once with simple_value,
 * and prints one line: events per second and bytes per event for each,
 * timing the adds and the final flush but not close's fsync. A second line
 * does the same for images: 64x64 RGB uint8 images (a smooth gradient with
 * a little noise, about as compressible as a photo thumbnail), each PNG
 * encoded and written, reported as images per second, MB/s of raw pixels
 * taken in, and PNG bytes per image. Removes its files afterwards. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <tboard/writer.h>

#include "lib/bench.h"

#define NTAGS 20

static double fail(tb_writer *w)
{
	fprintf(stderr, "writer_bench: %s\n", tb_writer_errmsg(w));
	tb_writer_close(w);
	return -1;
}

/* Flush w, then close it and remove its file: n items per second since t0
 * (the flush counted, close's fsync not), or -1; *bytes gets the file size. */
static double finish(tb_writer *w, double t0, long n, long long *bytes)
{
	char path[8192];
	struct stat st;
	if (tb_writer_flush(w) != TB_OK)
		return fail(w);
	double t1 = bench_now();
	snprintf(path, sizeof path, "%s", tb_writer_path(w));
	tb_writer_close(w);
	*bytes = stat(path, &st) == 0 ? (long long)st.st_size : 0;
	unlink(path);
	return (double)n / (t1 - t0);
}

/* Returns events per second, or -1 on error; *bytes gets the file size. */
static double run(const char *dir, int encoding, long events, long long *bytes)
{
	tb_writer_opts o;
	tb_writer *w;
	char tags[NTAGS][32];
	uint64_t x = 12345;
	double t0;

	for (int t = 0; t < NTAGS; t++)
		snprintf(tags[t], sizeof tags[t], "bench/tag_%02d", t);
	tb_writer_opts_init(&o);
	o.scalar_encoding = encoding;
	if (tb_writer_open(&w, dir, &o) != TB_OK) {
		fprintf(stderr, "writer_bench: %s\n", tb_writer_errmsg(NULL));
		return -1;
	}
	t0 = bench_now();
	for (long i = 0; i < events; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		double v = (double)(x >> 11) * (1.0 / 9007199254740992.0);
		if (tb_writer_add_scalar(w, tags[i % NTAGS], v, i / NTAGS,
					 1700000000.0 + 0.01 * (double)i) != TB_OK) {
			return fail(w);
		}
	}
	return finish(w, t0, events, bytes);
}

#define IMG_SIDE 64

/* Returns images per second, or -1 on error; *bytes gets the file size. */
static double run_images(const char *dir, long images, long long *bytes)
{
	static uint8_t px[8][IMG_SIDE][IMG_SIDE][3];
	tb_image img = {NULL, TB_PIXEL_U8, TB_LAYOUT_HWC, IMG_SIDE, IMG_SIDE, 3};
	tb_writer *w;
	uint64_t x = 99;
	double t0;

	for (int k = 0; k < 8; k++)
		for (int y = 0; y < IMG_SIDE; y++)
			for (int i = 0; i < IMG_SIDE; i++)
				for (int c = 0; c < 3; c++) {
					x ^= x << 13, x ^= x >> 7, x ^= x << 17;
					px[k][y][i][c] =
					    (uint8_t)(y * 3 + i * (c + 1) + k * 20 + (x & 7));
				}
	if (tb_writer_open(&w, dir, NULL) != TB_OK) {
		fprintf(stderr, "writer_bench: %s\n", tb_writer_errmsg(NULL));
		return -1;
	}
	t0 = bench_now();
	for (long i = 0; i < images; i++) {
		img.pixels = px[i % 8];
		if (tb_writer_add_image(w, "bench/image", &img, i, 1700000000.0 + (double)i) !=
		    TB_OK) {
			return fail(w);
		}
	}
	return finish(w, t0, images, bytes);
}

int main(int argc, char **argv)
{
	long events = argc > 1 ? atol(argv[1]) : 4000000;
	long images = argc > 2 ? atol(argv[2]) : 2000;
	long long ib = 0;
	double per_s;
	const char *base = getenv("TMPDIR");
	char dir[4096];
	long long tb = 0, sb = 0;
	double tensor, simple;

	if (events <= 0 || images <= 0) {
		fprintf(stderr, "usage: %s [events] [images]\n", argv[0]);
		return 2;
	}
	snprintf(dir, sizeof dir, "%s/writer_bench.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(dir)) {
		perror("writer_bench: mkdtemp");
		return 1;
	}
	tensor = run(dir, TB_SCALAR_TENSOR, events, &tb);
	simple = tensor < 0 ? -1 : run(dir, TB_SCALAR_SIMPLE_VALUE, events, &sb);
	per_s = simple < 0 ? -1 : run_images(dir, images, &ib);
	rmdir(dir);
	if (tensor < 0 || simple < 0 || per_s < 0)
		return 1;
	printf("writer_bench: %ld events x 2: tensor %.2f M events/s (%.1f B/event), "
	       "simple_value %.2f M events/s (%.1f B/event)\n",
	       events, tensor / 1e6, (double)tb / (double)events, simple / 1e6,
	       (double)sb / (double)events);
	printf("writer_bench: %ld images %dx%d RGB: %.0f images/s, %.1f MB/s of pixels in, "
	       "%.0f B/image written\n",
	       images, IMG_SIDE, IMG_SIDE, per_s, per_s * IMG_SIDE * IMG_SIDE * 3 / 1e6,
	       (double)ib / (double)images);
	return 0;
}
