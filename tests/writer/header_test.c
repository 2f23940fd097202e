/* The public header compiles alone, first, as C99 (the build sets
 * -std=c99 -pedantic-errors for this file), and its constants hold. */
#include <tboard/writer.h>
#include <tboard/version.h>

#include "../harness.h"

static void test_header__defaults_and_codes(void)
{
	tb_writer_opts o;
	tb_writer_opts_init(&o);
	CHECK(o.filename_suffix == NULL);
	CHECK(o.flush_secs == 120.0);
	CHECK_INT(o.max_queue, 10);
	CHECK_INT(o.scalar_encoding, TB_SCALAR_TENSOR);
	CHECK_INT(TB_OK, 0);
	CHECK_INT(TB_ENOMEM, -1);
	CHECK_INT(TB_EIO, -2);
	CHECK_INT(TB_EINVAL, -6);
	CHECK_STR(tb_strerror(TB_EINVAL), "invalid argument");
	CHECK_STR(tb_version(), TB_VERSION_STRING);
	CHECK(TB_VERSION_MAJOR >= 0 && TB_VERSION_MINOR >= 0 && TB_VERSION_PATCH >= 0);
}

/* The types of the summary calls are usable from strict C99. */
static void test_header__summary_types(void)
{
	static const unsigned char px[4] = {0, 1, 2, 3};
	tb_image img = {px, TB_PIXEL_U8, TB_LAYOUT_HW, 2, 2, 1};
	tb_audio_clip clip = {NULL, 0, "label"};
	tb_hparam hp = {"lr", TB_HPARAM_NUMBER, 0.1, NULL, 0};
	tb_hparam_info hi = {"lr", NULL, NULL, TB_HPARAM_NUMBER, TB_DOMAIN_INTERVAL, 0, 1, NULL, 0};
	tb_metric_info mi = {"loss", NULL, NULL, NULL, TB_DATASET_VALIDATION};
	tb_margin_series ms = {"v", "lo", "hi"};
	tb_chart chart = {"c", NULL, 0, &ms, 1};
	tb_category cat = {"t", &chart, 1, 0};
	tb_graph_attr attr = {"T", TB_ATTR_TYPE, NULL, 1, 0.0f, NULL, 0};
	tb_graph_node node = {"n", "Op", NULL, 0, NULL, &attr, 1};
	CHECK_INT(img.channels + (clip.frames == 0) + hp.type + hi.domain + mi.dataset_type, 5);
	CHECK_INT(cat.n_charts + node.n_attrs + TB_STATUS_RUNNING + TB_PIXEL_F32 + TB_LAYOUT_CHW,
		  7);
	CHECK_INT(tb_writer_add_image(NULL, "t", &img, 0, 0), TB_EINVAL);
}

int main(void)
{
	TB_RUN(test_header__defaults_and_codes);
	TB_RUN(test_header__summary_types);
	return tb_test_finish();
}
