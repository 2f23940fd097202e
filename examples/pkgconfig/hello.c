/* hello: the smallest program built against an installed libtboard.
 *
 *     cc hello.c $(pkg-config --cflags --libs tboard) -o hello
 *     ./hello LOGDIR
 *
 * Writes a scalar curve, a histogram and an image to one run in LOGDIR
 * and prints the event file's path. */
#include <stdio.h>

#include <tboard/writer.h>

int main(int argc, char **argv)
{
	tb_writer *w;
	double values[100];
	unsigned char pixels[8 * 8];
	tb_image img = {pixels, TB_PIXEL_U8, TB_LAYOUT_HW, 8, 8, 1};
	int rc = TB_OK;

	if (argc != 2) {
		fprintf(stderr, "usage: %s LOGDIR\n", argv[0]);
		return 2;
	}
	if (tb_writer_open(&w, argv[1], NULL) != TB_OK) {
		fprintf(stderr, "hello: %s\n", tb_writer_errmsg(NULL));
		return 1;
	}
	for (int i = 0; i < 100; i++) {
		values[i] = i * 0.01;
		if (rc == TB_OK)
			rc = tb_writer_add_scalar(w, "loss", 1.0 / (i + 1), i, 0);
	}
	for (int i = 0; i < 64; i++)
		pixels[i] = (unsigned char)(i * 4);
	if (rc == TB_OK)
		rc = tb_writer_add_histogram(w, "weights", values, 100, 0, 0, 0);
	if (rc == TB_OK)
		rc = tb_writer_add_image(w, "gradient", &img, 0, 0);
	if (rc != TB_OK)
		fprintf(stderr, "hello: %s\n", tb_writer_errmsg(w));
	else
		printf("%s\n", tb_writer_path(w));
	if (tb_writer_close(w) != TB_OK)
		rc = TB_EIO;
	return rc == TB_OK ? 0 : 1;
}
