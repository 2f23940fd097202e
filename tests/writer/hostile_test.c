/* Hostile use of every libtboard call: NULL writers, NULL and empty tags,
 * invalid UTF-8, NaN and infinities, empty and oversized images, sizes
 * that do not match, graphs naming missing nodes, directories that cannot
 * be created, and a file-size limit standing in for a full disk. Every
 * refusal must be a clear code with a message, nothing may be queued by a
 * refused call, and every file left behind must hold only whole records
 * with good CRCs (a torn record at the end only while the disk is full). */
#include "../harness.h"

#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "tboard/writer.h"
#include "wutil.h"

static char tmp[] = "/tmp/tb_hostileXXXXXX";

static size_t count_records(const char *path, int *bad, size_t *trail)
{
	size_t len, n = 0;
	uint8_t *all = wu_slurp(path, &len);
	*bad = 0;
	*trail = 0;
	if (!all) {
		*bad = 1;
		return 0;
	}
	*bad = wu_records(all, len, NULL, NULL, trail);
	{
		size_t off = 0;
		while (len - off >= 16) {
			uint64_t l = (uint64_t)wu_le32(all + off) | (uint64_t)wu_le32(all + off + 4)
									<< 32;
			if (len - off - 16 < l)
				break;
			off += 16 + (size_t)l;
			n++;
		}
	}
	free(all);
	return n;
}

static const uint8_t px[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

static void test_hostile__null_writer(void)
{
	tb_image img = {px, TB_PIXEL_U8, TB_LAYOUT_HWC, 2, 2, 3};
	float f[2] = {0, 0};
	double d[2] = {0, 1};
	uint8_t l[2] = {0, 1};
	const char *k[1] = {"a"};
	CHECK_INT(tb_writer_add_scalar_double(NULL, "t", 1, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_scalars(NULL, "t", k, d, 1, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_histogram(NULL, "t", d, 2, 0, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_histogram_raw(NULL, "t", d, d, 1, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_image(NULL, "t", &img, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_images(NULL, "t", &img, 1, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_audio(NULL, "t", f, 2, 1, 8000, NULL, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_text(NULL, "t", "x", 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_text_table(NULL, "t", k, 1, 1, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_pr_curve(NULL, "t", l, d, NULL, 2, 0, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_pr_curve_raw(NULL, "t", d, d, d, d, NULL, NULL, 2, 0, 0),
		  TB_EINVAL);
	CHECK_INT(tb_writer_add_hparams(NULL, NULL, 0, NULL, NULL, 0, NULL, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_hparams_config(NULL, NULL, 0, NULL, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_hparams_session_start(NULL, NULL, 0, NULL, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_hparams_session_end(NULL, 1, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_embedding(NULL, f, 1, 2, NULL, 0, NULL, NULL, NULL, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_mesh(NULL, "t", f, 1, NULL, 0, NULL, 1, NULL, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_custom_scalars(NULL, NULL, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_graph(NULL, NULL, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_set_description(NULL, "t", "x"), TB_EINVAL);
}

static void test_hostile__bad_arguments_queue_nothing(void)
{
	char dir[4096];
	tb_writer *w;
	int bad;
	size_t trail, n;
	float f[6] = {0.5f, NAN, INFINITY, -INFINITY, 2, -2};
	double d[4] = {0, 1, 2, 3};
	uint8_t l[2] = {0, 1};
	const char *k2[2] = {"a", "b/c"};
	const char *bad_utf8 = "\xc3\x28";

	snprintf(dir, sizeof dir, "%s/bad", tmp);
	CHECK_INT(tb_writer_open(&w, dir, NULL), TB_OK);
	/* tags */
	const char *tags[3] = {NULL, "", "\xff"};
	for (int i = 0; i < 3; i++) {
		tb_image img = {px, TB_PIXEL_U8, TB_LAYOUT_HWC, 2, 2, 3};
		CHECK_INT(tb_writer_add_scalar_double(w, tags[i], 1, 0, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_scalars(w, tags[i], k2, d, 1, 0, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_histogram(w, tags[i], d, 2, 0, 0, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_histogram_raw(w, tags[i], d, d, 1, 0, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_image(w, tags[i], &img, 0, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_audio(w, tags[i], f, 2, 1, 8000, NULL, 0, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_text(w, tags[i], "x", 0, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_pr_curve(w, tags[i], l, d, NULL, 2, 0, 0, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_mesh(w, tags[i], f, 2, NULL, 0, NULL, 1, NULL, 0, 0),
			  TB_EINVAL);
		CHECK_INT(tb_writer_set_description(w, tags[i], "x"), TB_EINVAL);
		CHECK(tb_writer_errmsg(w)[0] != '\0');
	}
	/* add_scalars: keys */
	CHECK_INT(tb_writer_add_scalars(w, "m", k2, d, 2, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_scalars(w, "m", k2, NULL, 1, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_scalars(w, "m", k2, d, 0, 0, 0), TB_EINVAL);
	/* histograms */
	CHECK_INT(tb_writer_add_histogram(w, "h", NULL, 3, 0, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_histogram_raw(w, "h", NULL, d, 2, 0, 0), TB_EINVAL);
	/* images: empty, NULL pixels, bad channels, bad layouts, overflow */
	{
		tb_image zero = {px, TB_PIXEL_U8, TB_LAYOUT_HWC, 0, 2, 3};
		tb_image neg = {px, TB_PIXEL_U8, TB_LAYOUT_HWC, 2, -1, 3};
		tb_image nul = {NULL, TB_PIXEL_U8, TB_LAYOUT_HWC, 2, 2, 3};
		tb_image two = {px, TB_PIXEL_U8, TB_LAYOUT_HWC, 2, 2, 2};
		tb_image hw3 = {px, TB_PIXEL_U8, TB_LAYOUT_HW, 2, 2, 3};
		tb_image typ = {px, 7, TB_LAYOUT_HWC, 2, 2, 3};
		tb_image lay = {px, TB_PIXEL_U8, 9, 2, 2, 3};
		tb_image huge = {px, TB_PIXEL_U8, TB_LAYOUT_HWC, 1 << 20, 1 << 20, 3};
		const tb_image *all[8] = {&zero, &neg, &nul, &two, &hw3, &typ, &lay, &huge};
		for (int i = 0; i < 8; i++)
			CHECK_INT(tb_writer_add_image(w, "i", all[i], 0, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_image(w, "i", NULL, 0, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_images(w, "i", &nul, 2, 0, 0), TB_EINVAL);
	}
	/* audio */
	CHECK_INT(tb_writer_add_audio(w, "a", f, 2, 3, 8000, NULL, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_audio(w, "a", f, 2, 1, 0, NULL, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_audio(w, "a", f, 2, 1, NAN, NULL, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_audio(w, "a", NULL, 2, 1, 8000, NULL, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_audio(w, "a", f, 2, 1, 8000, bad_utf8, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_audios(w, "a", NULL, 2, 1, 8000, 0, 0), TB_EINVAL);
	/* text */
	CHECK_INT(tb_writer_add_text(w, "t", NULL, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_text(w, "t", bad_utf8, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_text_table(w, "t", NULL, 2, 2, 0, 0), TB_EINVAL);
	/* PR curves */
	CHECK_INT(tb_writer_add_pr_curve(w, "p", NULL, d, NULL, 2, 0, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_pr_curve(w, "p", l, d, NULL, 2, 1, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_pr_curve(w, "p", l, d, NULL, 2, 100000, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_pr_curve_raw(w, "p", d, d, d, d, NULL, NULL, 1, 0, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_pr_curve_raw(w, "p", d, NULL, d, d, NULL, NULL, 2, 0, 0),
		  TB_EINVAL);
	/* hparams */
	{
		tb_hparam noname = {NULL, TB_HPARAM_NUMBER, 1, NULL, 0};
		tb_hparam nostr = {"s", TB_HPARAM_STRING, 0, NULL, 0};
		tb_hparam badtype = {"s", 42, 0, NULL, 0};
		tb_hparam ok = {"lr", TB_HPARAM_NUMBER, 0.1, NULL, 0};
		const char *mt[1] = {""};
		double mv[1] = {1};
		CHECK_INT(tb_writer_add_hparams_session_start(w, &noname, 1, NULL, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_hparams_session_start(w, &nostr, 1, NULL, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_hparams_session_start(w, &badtype, 1, NULL, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_hparams_session_start(w, NULL, 1, NULL, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_hparams_session_end(w, 9, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_hparams(w, &ok, 1, mt, mv, 1, "x", 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_hparams(w, &ok, 1, NULL, NULL, 0, "../escape", 0),
			  TB_EINVAL);
		CHECK_INT(tb_writer_add_hparams(w, &ok, 1, NULL, NULL, 0, "/abs", 0), TB_EINVAL);
		tb_hparam_info hi = {"x", NULL, NULL, TB_HPARAM_NUMBER, 7, 0, 0, NULL, 0};
		CHECK_INT(tb_writer_add_hparams_config(w, &hi, 1, NULL, 0, 0), TB_EINVAL);
		tb_metric_info mi = {NULL, NULL, NULL, NULL, 0};
		CHECK_INT(tb_writer_add_hparams_config(w, NULL, 0, &mi, 1, 0), TB_EINVAL);
	}
	/* mesh */
	{
		int32_t faces[3] = {0, 1, 5};
		CHECK_INT(tb_writer_add_mesh(w, "m", NULL, 2, NULL, 0, NULL, 1, NULL, 0, 0),
			  TB_EINVAL);
		CHECK_INT(tb_writer_add_mesh(w, "m", f, 0, NULL, 0, NULL, 1, NULL, 0, 0),
			  TB_EINVAL);
		CHECK_INT(tb_writer_add_mesh(w, "m", f, 2, faces, 1, NULL, 1, NULL, 0, 0),
			  TB_EINVAL);
		CHECK_INT(tb_writer_add_mesh(w, "m", f, 2, NULL, 0, NULL, 1, bad_utf8, 0, 0),
			  TB_EINVAL);
	}
	/* custom scalars */
	{
		tb_chart ch = {NULL, NULL, 0, NULL, 0};
		tb_category cat = {"c", &ch, 1, 0};
		CHECK_INT(tb_writer_add_custom_scalars(w, NULL, 1, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_custom_scalars(w, &cat, 1, 0), TB_EINVAL);
	}
	/* graphs */
	{
		const char *in[1] = {"missing:0"};
		tb_graph_node n1[1] = {{"a", "Op", in, 1, NULL, NULL, 0}};
		tb_graph_node dup[2] = {{"a", "Op", NULL, 0, NULL, NULL, 0},
					{"a", "Op", NULL, 0, NULL, NULL, 0}};
		tb_graph_attr at = {"k", 99, NULL, 0, 0, NULL, 0};
		tb_graph_node n3[1] = {{"a", "Op", NULL, 0, NULL, &at, 1}};
		tb_graph_node n4[1] = {{"", "Op", NULL, 0, NULL, NULL, 0}};
		CHECK_INT(tb_writer_add_graph(w, n1, 1, 0), TB_EINVAL);
		CHECK(strstr(tb_writer_errmsg(w), "missing") != NULL);
		CHECK_INT(tb_writer_add_graph(w, dup, 2, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_graph(w, n3, 1, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_graph(w, n4, 1, 0), TB_EINVAL);
		CHECK_INT(tb_writer_add_graph(w, NULL, 1, 0), TB_EINVAL);
	}
	/* embeddings */
	{
		const char *tabbed[2] = {"a\tb", "c"};
		CHECK_INT(tb_writer_add_embedding(w, NULL, 2, 1, NULL, 0, NULL, NULL, NULL, 0),
			  TB_EINVAL);
		CHECK_INT(tb_writer_add_embedding(w, f, 0, 1, NULL, 0, NULL, NULL, NULL, 0),
			  TB_EINVAL);
		CHECK_INT(tb_writer_add_embedding(w, f, 2, 1, tabbed, 1, NULL, NULL, NULL, 0),
			  TB_EINVAL);
		CHECK_INT(tb_writer_add_embedding(w, f, 2, 1, NULL, 0, tabbed, NULL, NULL, 0),
			  TB_EINVAL);
		CHECK_INT(tb_writer_add_embedding(w, f, 2, 1, NULL, 0, NULL, NULL, "", 0),
			  TB_EINVAL);
		CHECK_INT(tb_writer_add_embedding(w, f, 2, 1, NULL, 0, NULL, NULL, NULL, -1),
			  TB_EINVAL);
	}
	/* Nothing above was queued: the file holds the first record only. */
	CHECK_INT(tb_writer_flush(w), TB_OK);
	n = count_records(tb_writer_path(w), &bad, &trail);
	CHECK_INT(n, 1);

	/* Non-finite values are data, not errors. */
	CHECK_INT(tb_writer_add_scalar(w, "nan", NAN, 0, NAN), TB_OK);
	CHECK_INT(tb_writer_add_scalar_double(w, "inf", INFINITY, 0, INFINITY), TB_OK);
	{
		double h[4] = {NAN, INFINITY, -INFINITY, 1};
		CHECK_INT(tb_writer_add_histogram(w, "h", h, 4, 5, 0, 0), TB_OK);
		CHECK_INT(tb_writer_add_histogram(w, "h2", h + 1, 3, 5, 0, 0), TB_OK);
		CHECK_INT(tb_writer_add_histogram(w, "h3", d, 4, 1, 0, 0), TB_OK);
		CHECK_INT(tb_writer_add_pr_curve(w, "p", l, h, NULL, 2, 3, 0, 0), TB_OK);
		tb_image fi = {f, TB_PIXEL_F32, TB_LAYOUT_HW, 2, 3, 1};
		CHECK_INT(tb_writer_add_image(w, "i", &fi, 0, 0), TB_OK);
		CHECK_INT(tb_writer_add_audio(w, "a", f, 3, 2, 44100, "", 0, 0), TB_OK);
		CHECK_INT(tb_writer_add_audio(w, "a0", NULL, 0, 1, 8000, NULL, 0, 0), TB_OK);
		CHECK_INT(tb_writer_add_images(w, "none", &fi, 0, 0, 0), TB_OK);
		CHECK_INT(tb_writer_add_histogram(w, "empty", NULL, 0, 0, 0, 0), TB_OK);
		CHECK_INT(tb_writer_add_graph(w, NULL, 0, 0), TB_OK);
		CHECK_INT(tb_writer_add_custom_scalars(w, NULL, 0, 0), TB_OK);
		CHECK_INT(tb_writer_add_mesh(w, "m", f, 2, NULL, 0, NULL, 1, NULL, 0, 0), TB_OK);
	}
	CHECK_INT(tb_writer_close(w), TB_OK);
}

static void test_hostile__directories_that_cannot_be_made(void)
{
	char dir[4096], file[4096];
	tb_writer *w = NULL;
	FILE *f;
	float v[2] = {1, 2};
	double d[1] = {1};
	const char *k[1] = {"x"};

	snprintf(file, sizeof file, "%.3000s/plainfile", tmp);
	f = fopen(file, "w");
	fclose(f);
	snprintf(dir, sizeof dir, "%.3000s/sub", file);
	CHECK_INT(tb_writer_open(&w, dir, NULL), TB_EIO);
	CHECK(w == NULL && strstr(tb_writer_errmsg(NULL), "plainfile") != NULL);

	/* sub-runs and projector directories that collide with files */
	snprintf(dir, sizeof dir, "%.3000s/collide", tmp);
	CHECK_INT(tb_writer_open(&w, dir, NULL), TB_OK);
	snprintf(file, sizeof file, "%.3000s/m_x", dir);
	f = fopen(file, "w");
	fclose(f);
	CHECK_INT(tb_writer_add_scalars(w, "m", k, d, 1, 0, 0), TB_EIO);
	CHECK(strstr(tb_writer_errmsg(w), "m_x") != NULL);
	snprintf(file, sizeof file, "%.3000s/00000", dir);
	f = fopen(file, "w");
	fclose(f);
	CHECK_INT(tb_writer_add_embedding(w, v, 1, 2, NULL, 0, NULL, NULL, NULL, 0), TB_EIO);
	CHECK(strstr(tb_writer_errmsg(w), "00000") != NULL);
	CHECK_INT(tb_writer_add_hparams(w, NULL, 0, NULL, NULL, 0, "m_x", 0), TB_EIO);
	CHECK_INT(tb_writer_close(w), TB_OK);
}

static void test_hostile__full_disk(void)
{
	char path[4096];
	tb_writer *w = NULL;
	struct rlimit old;
	uint8_t big[64 * 64 * 3];
	tb_image img = {big, TB_PIXEL_U8, TB_LAYOUT_HWC, 64, 64, 3};
	int rc = TB_OK, bad, i;
	size_t trail, n;

	for (size_t j = 0; j < sizeof big; j++)
		big[j] = (uint8_t)(j * 2654435761u >> 13); /* noise: compresses badly */
	w = wu_open(path, sizeof path, tmp, "full", 1, TB_SCALAR_TENSOR);
	CHECK(w != NULL);
	if (wu_limit_file_size(&old, 40000) != 0)
		return;
	for (i = 0; i < 50 && rc == TB_OK; i++)
		rc = tb_writer_add_image(w, "noise", &img, i, 0);
	/* the disk "fills": a clear error, a message, a torn record at most */
	CHECK_INT(rc, TB_EIO);
	CHECK(strstr(tb_writer_errmsg(w), "write") != NULL);
	n = count_records(path, &bad, &trail);
	CHECK_INT(bad, 0);
	CHECK(n >= 2);
	/* further calls keep failing cleanly */
	CHECK_INT(tb_writer_add_scalar(w, "x", 1, 0, 0), TB_EIO);
	setrlimit(RLIMIT_FSIZE, &old);
	/* space again: everything queued reaches the file, whole */
	CHECK_INT(tb_writer_close(w), TB_OK);
	n = count_records(path, &bad, &trail);
	CHECK_INT(bad, 0);
	CHECK_INT(trail, 0);
	CHECK_INT(n, 1 + (size_t)i + 1);
}

int main(void)
{
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	TB_RUN(test_hostile__null_writer);
	TB_RUN(test_hostile__bad_arguments_queue_nothing);
	TB_RUN(test_hostile__directories_that_cannot_be_made);
	TB_RUN(test_hostile__full_disk);
	tb_test_rmtree(tmp);
	return tb_test_finish();
}
