/* Every summary kind libtboard writes, read back through tboard's own
 * loader into a store: each series must land in the right plugin with the
 * right data class and values (images decoded back to pixels, WAV headers
 * and samples checked). Scalars also go through the real HTTP server, and
 * so do the other dashboards' tag lists where tboard serves them.
 * The projector files are checked as files. */
#include "../harness.h"

#include <curl/curl.h>
#include <math.h>
#include <sys/stat.h>

#include "../api/spawn.h"
#include "ingest/loader.h"
#include "proto/event.h"
#include "store/store_internal.h"
#include "tboard/writer.h"
#include "wutil.h"
#include "../api/http_client.h"

static char root[] = "/tmp/tb_roundtripXXXXXX";

static tb_series *series(tb_store *st, const char *run, const char *tag)
{
	tb_run *r = tb_store_find_run(st, run);
	return r ? tb_run_series_w(r, tag, strlen(tag)) : NULL;
}

/* The single point's tensor of s (unpacked when stored packed). */
static tb_tensor_tmp tmp0;
static const tb_tensor *tensor0(const tb_series *s)
{
	return tb_series_tensor(s, 0, &tmp0);
}

static tb_store *load(const char *dir)
{
	tb_store *st = tb_store_new();
	tb_loader_source src = {NULL, dir};
	tb_loader_opts o = {&src, 1, 0, 1, 0};
	tb_loader *l = tb_loader_new(st, &o);
	tb_loader_cycle(l);
	tb_loader_free(l);
	return st;
}

static int str_is(tb_slice s, const char *want)
{
	return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

static const uint8_t rgb[4 * 3 * 3] = {255, 0, 0, 0,   255, 0,	 0, 0, 255, 10,	 20,  30,
				       0,   0, 0, 255, 255, 255, 1, 2, 3,   200, 100, 50,
				       9,   8, 7, 6,   5,   4,	 3, 2, 1,   128, 128, 128};

static void write_everything(const char *dir)
{
	tb_writer *w;
	CHECK_INT(tb_writer_open(&w, dir, NULL), TB_OK);

	CHECK_INT(tb_writer_set_description(w, "loss", "Training **loss**."), TB_OK);
	for (int s = 0; s < 5; s++)
		CHECK_INT(tb_writer_add_scalar(w, "loss", 1.0 / (s + 1), s, 1000.0 + s), TB_OK);
	CHECK_INT(tb_writer_add_scalar_double(w, "precise", 0.1, 3, 1000.0), TB_OK);
	{
		const char *keys[2] = {"train", "eval"};
		double vals[2] = {0.5, 0.75};
		CHECK_INT(tb_writer_add_scalars(w, "acc/all", keys, vals, 2, 7, 1000.0), TB_OK);
	}
	{
		double v[100];
		for (int i = 0; i < 100; i++)
			v[i] = i;
		CHECK_INT(tb_writer_add_histogram(w, "weights", v, 100, 0, 1, 1000.0), TB_OK);
		double edges[3] = {0, 1, 2}, counts[2] = {5, 7};
		CHECK_INT(tb_writer_add_histogram_raw(w, "raw_hist", edges, counts, 2, 1, 1000.0),
			  TB_OK);
	}
	{
		tb_image img = {rgb, TB_PIXEL_U8, TB_LAYOUT_HWC, 3, 4, 3};
		CHECK_INT(tb_writer_add_image(w, "img/rgb", &img, 2, 1000.0), TB_OK);
		/* two 2x2 grey float images, CHW */
		float f[8] = {0, 0.5f, 1, 2, -1, 0.25f, 0.75f, NAN};
		tb_image b = {f, TB_PIXEL_F32, TB_LAYOUT_CHW, 2, 2, 1};
		CHECK_INT(tb_writer_add_images(w, "img/batch", &b, 2, 2, 1000.0), TB_OK);
	}
	{
		float s[8] = {0, 0.5f, -0.5f, 1, -1, 2, 0.25f, -0.25f};
		tb_audio_clip c[2] = {{s, 4, "left *and* right"}, {s, 2, NULL}};
		CHECK_INT(tb_writer_add_audios(w, "sound", c, 2, 2, 22050, 4, 1000.0), TB_OK);
	}
	CHECK_INT(tb_writer_add_text(w, "notes", "# Hello\n\n*world*", 0, 1000.0), TB_OK);
	{
		const char *cells[4] = {"a", "b", "c", "d"};
		CHECK_INT(tb_writer_add_text_table(w, "table", cells, 2, 2, 0, 1000.0), TB_OK);
	}
	{
		uint8_t labels[4] = {1, 0, 1, 0};
		double pred[4] = {0.9, 0.8, 0.3, 0.1};
		CHECK_INT(tb_writer_add_pr_curve(w, "pr", labels, pred, NULL, 4, 11, 5, 1000.0),
			  TB_OK);
	}
	{
		tb_hparam disc[2] = {{NULL, TB_HPARAM_STRING, 0, "adam", 0},
				     {NULL, TB_HPARAM_STRING, 0, "sgd", 0}};
		tb_hparam_info hi[2] = {
		    {"lr", NULL, NULL, TB_HPARAM_NUMBER, TB_DOMAIN_INTERVAL, 1e-4, 1, NULL, 0},
		    {"opt", "Optimizer", NULL, TB_HPARAM_STRING, TB_DOMAIN_DISCRETE, 0, 0, disc,
		     2}};
		tb_metric_info mi[1] = {{"loss", NULL, "Loss", NULL, TB_DATASET_TRAINING}};
		tb_hparam hp[2] = {{"lr", TB_HPARAM_NUMBER, 0.01, NULL, 0},
				   {"opt", TB_HPARAM_STRING, 0, "adam", 0}};
		CHECK_INT(tb_writer_add_hparams_config(w, hi, 2, mi, 1, 1000.0), TB_OK);
		CHECK_INT(tb_writer_add_hparams_session_start(w, hp, 2, "g1", 1000.0), TB_OK);
		CHECK_INT(tb_writer_add_hparams_session_end(w, TB_STATUS_SUCCESS, 1001.0), TB_OK);
		const char *mt[1] = {"hparam/accuracy"};
		double mv[1] = {0.9};
		tb_hparam torch_hp[2] = {{"lr", TB_HPARAM_NUMBER, 0.1, NULL, 0},
					 {"aug", TB_HPARAM_BOOL, 0, NULL, 1}};
		CHECK_INT(tb_writer_add_hparams(w, torch_hp, 2, mt, mv, 1, "hp_trial", 1000.0),
			  TB_OK);
	}
	{
		float v[12] = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
		int32_t f[6] = {0, 1, 2, 0, 2, 3};
		uint8_t c[12] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9};
		CHECK_INT(
		    tb_writer_add_mesh(w, "shape", v, 4, f, 2, c, 1, "{\"camera\": {}}", 6, 1000.0),
		    TB_OK);
	}
	{
		const char *ml[1] = {"^loss"};
		tb_margin_series ms[1] = {{"acc", "acc_lo", "acc_hi"}};
		tb_chart charts[2] = {{"Losses", ml, 1, NULL, 0}, {"Acc", NULL, 0, ms, 1}};
		tb_category cat[1] = {{"Main", charts, 2, 1}};
		CHECK_INT(tb_writer_add_custom_scalars(w, cat, 1, 1000.0), TB_OK);
	}
	{
		const char *in1[1] = {"x"};
		int64_t dims[2] = {-1, 3};
		tb_graph_attr at[2] = {{"dtype", TB_ATTR_TYPE, NULL, 1, 0, NULL, 0},
				       {"shape", TB_ATTR_SHAPE, NULL, 0, 0, dims, 2}};
		tb_graph_node nodes[2] = {{"x", "Placeholder", NULL, 0, "/cpu:0", at, 2},
					  {"layer/relu", "Relu", in1, 1, NULL, NULL, 0}};
		CHECK_INT(tb_writer_add_graph(w, nodes, 2, 1000.0), TB_OK);
	}
	{
		float vec[6] = {0.1f, 1, 2, 3.5f, -4, 1e-7f};
		const char *meta[6] = {"a", "x", "b", "y", "c", "z"};
		const char *hdr[2] = {"name", "kind"};
		uint8_t px[3 * 2 * 2];
		for (int i = 0; i < 12; i++)
			px[i] = (uint8_t)(i * 20);
		tb_image imgs = {px, TB_PIXEL_U8, TB_LAYOUT_HW, 2, 2, 1};
		CHECK_INT(tb_writer_add_embedding(w, vec, 3, 2, meta, 2, hdr, &imgs, "feat/x", 0),
			  TB_OK);
		CHECK_INT(tb_writer_add_embedding(w, vec, 2, 3, NULL, 0, NULL, NULL, NULL, 12),
			  TB_OK);
	}
	CHECK_INT(tb_writer_close(w), TB_OK);
}

static void test_roundtrip__store(void)
{
	char dir[4096];
	tb_series *s;
	snprintf(dir, sizeof dir, "%s/run", root);
	write_everything(dir);
	tb_store *st = load(root);

	s = series(st, "run", "loss");
	CHECK(s && s->data_class == TB_DC_SCALAR && strcmp(s->plugin, "scalars") == 0);
	CHECK(s && s->len == 5 && tb_series_value(s, 4) == (double)0.2f &&
	      tb_series_wall(s, 4) == 1004.0);
	CHECK(s && s->description && strstr(s->description, "**loss**") != NULL);
	s = series(st, "run", "precise");
	CHECK(s && s->len == 1 && tb_series_value(s, 0) == 0.1 && tb_series_step(s, 0) == 3);
	s = series(st, "run/acc_all_train", "acc/all");
	CHECK(s && s->len == 1 && tb_series_value(s, 0) == 0.5 && tb_series_step(s, 0) == 7);
	s = series(st, "run/acc_all_eval", "acc/all");
	CHECK(s && s->len == 1 && tb_series_value(s, 0) == 0.75);

	s = series(st, "run", "weights");
	CHECK(s && s->data_class == TB_DC_TENSOR && strcmp(s->plugin, "histograms") == 0);
	if (s && s->len == 1) {
		const tb_tensor *t = tensor0(s);
		CHECK(t->rank == 2 && t->dims[0] == 30 && t->dims[1] == 3 && t->dtype == 2);
		double total = 0;
		for (int i = 0; i < 30; i++)
			total += tb_tensor_double(t, (size_t)i * 3 + 2);
		CHECK(total == 100);
		CHECK(tb_tensor_double(t, 0) == 0 && tb_tensor_double(t, 88) == 99);
	}
	s = series(st, "run", "raw_hist");
	CHECK(s && s->len == 1 && tb_tensor_double(tensor0(s), 5) == 7 &&
	      tb_tensor_double(tensor0(s), 4) == 2);

	s = series(st, "run", "img/rgb");
	CHECK(s && s->data_class == TB_DC_BLOB_SEQUENCE && strcmp(s->plugin, "images") == 0);
	if (s && s->len == 1 && tensor0(s)->n == 3) {
		tb_slice png = tb_tensor_str(tensor0(s), 2);
		int w, h, c;
		uint8_t *px = wu_png_decode((const uint8_t *)png.ptr, png.len, &w, &h, &c);
		CHECK(str_is(tb_tensor_str(tensor0(s), 0), "4"));
		CHECK(str_is(tb_tensor_str(tensor0(s), 1), "3"));
		CHECK(px && w == 4 && h == 3 && c == 3 && memcmp(px, rgb, sizeof rgb) == 0);
		free(px);
	} else {
		CHECK(0);
	}
	s = series(st, "run", "img/batch");
	if (s && s->len == 1 && tensor0(s)->n == 4) {
		static const uint8_t want[2][4] = {{0, 128, 255, 255}, {0, 64, 191, 0}};
		for (int k = 0; k < 2; k++) {
			tb_slice png = tb_tensor_str(tensor0(s), 2 + (size_t)k);
			int w, h, c;
			uint8_t *px = wu_png_decode((const uint8_t *)png.ptr, png.len, &w, &h, &c);
			CHECK(px && w == 2 && h == 2 && c == 1 && memcmp(px, want[k], 4) == 0);
			free(px);
		}
	} else {
		CHECK(0);
	}

	s = series(st, "run", "sound");
	CHECK(s && s->data_class == TB_DC_BLOB_SEQUENCE && strcmp(s->plugin, "audio") == 0);
	CHECK(s && s->content_len == 2 && s->content[0] == 0x10 && s->content[1] == 11);
	if (s && s->len == 1 && tensor0(s)->n == 2) {
		tb_slice wav = tb_tensor_str(tensor0(s), 0);
		const uint8_t *p = (const uint8_t *)wav.ptr;
		CHECK(wav.len == 44 + 16 && memcmp(p, "RIFF", 4) == 0 && p[22] == 2);
		CHECK(wu_le32(p + 24) == 22050 && wu_le32(p + 40) == 16);
		int16_t smp[8];
		memcpy(smp, p + 44, 16);
		CHECK(smp[0] == 0 && smp[1] == 16384 && smp[2] == -16384 && smp[3] == 32767 &&
		      smp[4] == -32768 && smp[5] == 32767 && smp[6] == 8192);
		CHECK(tb_tensor_str(tensor0(s), 1).len == 44 + 8);
	} else {
		CHECK(0);
	}

	s = series(st, "run", "notes");
	CHECK(s && s->data_class == TB_DC_TENSOR && strcmp(s->plugin, "text") == 0);
	CHECK(s && s->len == 1 && tensor0(s)->rank == 0 &&
	      str_is(tb_tensor_str(tensor0(s), 0), "# Hello\n\n*world*"));
	s = series(st, "run", "table");
	CHECK(s && s->len == 1 && tensor0(s)->rank == 2 &&
	      str_is(tb_tensor_str(tensor0(s), 3), "d"));

	s = series(st, "run", "pr");
	CHECK(s && strcmp(s->plugin, "pr_curves") == 0 && s->data_class == TB_DC_TENSOR);
	if (s && s->len == 1) {
		const tb_tensor *t = tensor0(s);
		CHECK(t->dims[0] == 6 && t->dims[1] == 11 && t->dtype == 1);
		/* threshold 0: TP 2, FP 2; threshold 0.5 (col 5): TP 1, FP 1, TN 1, FN 1 */
		CHECK(tb_tensor_double(t, 0) == 2 && tb_tensor_double(t, 11) == 2);
		CHECK(tb_tensor_double(t, 5) == 1 && tb_tensor_double(t, 16) == 1 &&
		      tb_tensor_double(t, 27) == 1 && tb_tensor_double(t, 38) == 1);
		CHECK(tb_tensor_double(t, 44 + 5) == 0.5 && tb_tensor_double(t, 55 + 5) == 0.5);
	}

	const char *hp_tags[3] = {"_hparams_/experiment", "_hparams_/session_start_info",
				  "_hparams_/session_end_info"};
	for (int i = 0; i < 3; i++) {
		s = series(st, "run", hp_tags[i]);
		CHECK(s && strcmp(s->plugin, "hparams") == 0 && s->content_len > 2 && s->len == 1);
		s = series(st, "run/hp_trial", hp_tags[i]);
		CHECK(s && strcmp(s->plugin, "hparams") == 0 && s->len == 1);
	}
	s = series(st, "run/hp_trial", "hparam/accuracy");
	CHECK(s && s->len == 1 && tb_series_value(s, 0) == (double)0.9f);

	s = series(st, "run", "shape_VERTEX");
	CHECK(s && strcmp(s->plugin, "mesh") == 0 && s->len == 1 && tensor0(s)->dtype == 1 &&
	      tensor0(s)->dims[1] == 4 && tensor0(s)->dims[2] == 3);
	s = series(st, "run", "shape_FACE");
	CHECK(s && s->len == 1 && tensor0(s)->dtype == 3 && tb_tensor_double(tensor0(s), 5) == 3);
	s = series(st, "run", "shape_COLOR");
	CHECK(s && s->len == 1 && tensor0(s)->dtype == 4 && tb_tensor_double(tensor0(s), 9) == 9);

	s = series(st, "run", "custom_scalars__config__");
	CHECK(s && strcmp(s->plugin, "custom_scalars") == 0 && s->len == 1 &&
	      tensor0(s)->dtype == 7);
	if (s && s->len == 1) {
		tb_slice lay = tb_tensor_str(tensor0(s), 0);
		CHECK(memmem(lay.ptr, lay.len, "^loss", 5) &&
		      memmem(lay.ptr, lay.len, "acc_hi", 6));
	}

	s = series(st, "run", "__run_graph__");
	CHECK(s && strcmp(s->plugin, "graphs") == 0 && s->len == 1);
	if (s && s->len == 1) {
		tb_slice g = tb_tensor_str(tensor0(s), 0);
		CHECK(memmem(g.ptr, g.len, "layer/relu", 10) &&
		      memmem(g.ptr, g.len, "Placeholder", 11));
	}
	tb_store_free(st);
}

static char *slurp_str(const char *path)
{
	size_t n;
	char *s = (char *)wu_slurp(path, &n);
	if (s)
		s[n] = '\0';
	return s;
}

static void test_roundtrip__projector_files(void)
{
	char path[4096];
	char *s;
	snprintf(path, sizeof path, "%s/run/projector_config.pbtxt", root);
	s = slurp_str(path);
	CHECK(s && strcmp(s, "embeddings {\n"
			     "  tensor_name: \"feat/x:00000\"\n"
			     "  metadata_path: \"00000/feat%2fx/metadata.tsv\"\n"
			     "  sprite {\n"
			     "    image_path: \"00000/feat%2fx/sprite.png\"\n"
			     "    single_image_dim: 2\n"
			     "    single_image_dim: 2\n"
			     "  }\n"
			     "  tensor_path: \"00000/feat%2fx/tensors.tsv\"\n"
			     "}\n"
			     "embeddings {\n"
			     "  tensor_name: \"default:00012\"\n"
			     "  tensor_path: \"00012/default/tensors.tsv\"\n"
			     "}\n") == 0);
	free(s);
	snprintf(path, sizeof path, "%s/run/00000/feat%%2fx/tensors.tsv", root);
	s = slurp_str(path);
	CHECK(s &&
	      strcmp(s, "0.10000000149011612\t1.0\n2.0\t3.5\n-4.0\t1.0000000116860974e-07\n") == 0);
	free(s);
	snprintf(path, sizeof path, "%s/run/00000/feat%%2fx/metadata.tsv", root);
	s = slurp_str(path);
	CHECK(s && strcmp(s, "name\tkind\na\tx\nb\ty\nc\tz\n") == 0);
	free(s);
	snprintf(path, sizeof path, "%s/run/00000/feat%%2fx/sprite.png", root);
	{
		size_t n;
		int w, h, c;
		uint8_t *png = wu_slurp(path, &n);
		uint8_t *px = png ? wu_png_decode(png, n, &w, &h, &c) : NULL;
		CHECK(px && w == 4 && h == 4 && c == 3);
		/* image 2 (third) sits at cell (0, 1): pixel (0, 2) = 8 * 20 */
		CHECK(px && px[(2 * 4 + 0) * 3] == 160 && px[(3 * 4 + 3) * 3] == 0);
		free(px);
		free(png);
	}
}

static void test_roundtrip__http_scalars(void)
{
	const char *bin = getenv("TB_BINARY");
	tb_spawn *sp = NULL;
	int clean = 0;
	char err[256], path[256];
	tb_http_reply r;
	CURL *c;

	if (!bin) {
		fprintf(stderr, "TB_BINARY not set: skipping the HTTP check\n");
		return;
	}
	/* blocking: the first load finishes before the port opens */
	static const char *const extra[] = {"--reload_task", "blocking", NULL};
	CHECK_INT(tb_spawn_start(&sp, &clean, bin, root, extra, 20, err, sizeof err), 0);
	if (!sp)
		return;
	c = curl_easy_init();
	int port = tb_spawn_port(sp);
	CHECK_INT(tb_http_send(&r, c, port, "/data/plugin/scalars/scalars?run=run&tag=loss", NULL),
		  CURLE_OK);
	CHECK(strstr(r.body.ptr, "[1000.0, 0, 1.0]") &&
	      strstr(r.body.ptr, "[1004.0, 4, 0.20000000298023224]"));
	if (!strstr(r.body.ptr, "[1004.0, 4,"))
		fprintf(stderr, "scalars answer: %s\n", r.body.ptr);
	tb_http_reply_free(&r);
	CHECK_INT(tb_http_send(&r, c, port,
			       "/data/plugin/scalars/scalars?run=run%2Facc_all_eval&tag=acc%2Fall",
			       NULL),
		  CURLE_OK);
	CHECK(strstr(r.body.ptr, ", 7, 0.75]"));
	tb_http_reply_free(&r);

	/* Other dashboards, where tboard serves them already (404 = not yet). */
	static const char *const routes[][2] = {
	    {"histograms/tags", "\"raw_hist\""},
	    {"images/tags", "\"img/batch\""},
	    {"audio/tags", "\"sound\""},
	    {"text/tags", "\"notes\""},
	    {"pr_curves/tags", "\"pr\""},
	    {"mesh/tags", "\"shape\""},
	    {"graphs/graph?run=run", "layer/relu"},
	    {"custom_scalars/layout", "acc_hi"},
	    {"projector/runs", "\"run\""},
	};
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		snprintf(path, sizeof path, "/data/plugin/%s", routes[i][0]);
		CHECK_INT(tb_http_send(&r, c, port, path, NULL), CURLE_OK);
		if (r.status == 404) {
			fprintf(stderr, "not served yet: %s\n", routes[i][0]);
		} else {
			CHECK_INT(r.status, 200);
			CHECK(strstr(r.body.ptr, routes[i][1]));
		}
		tb_http_reply_free(&r);
	}
	curl_easy_cleanup(c);
	tb_spawn_stop(sp);
}

int main(void)
{
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	TB_RUN(test_roundtrip__store);
	TB_RUN(test_roundtrip__projector_files);
	TB_RUN(test_roundtrip__http_scalars);
	curl_global_cleanup();
	tb_test_rmtree(root);
	tb_tensor_tmp_free(&tmp0);
	return tb_test_finish();
}
