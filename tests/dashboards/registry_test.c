/* The dashboard table and the summary-kind table agree with each other and
 * with what upstream lists. */
#include <string.h>

#include "../harness.h"
#include "dashboards/registry.h"
#include "proto/event.h"
#include "store/kinds.h"

static tb_slice str(const char *s)
{
	return tb_slice_make(s, strlen(s));
}

static void test_registry__keys_unique_and_found(void)
{
	size_t n = tb_dashboard_count();
	CHECK(n >= 16);
	for (size_t i = 0; i < n; i++) {
		const tb_dashboard *db = tb_dashboard_at(i);
		CHECK(tb_dashboard_find(db->key) == db);
		for (size_t k = i + 1; k < n; k++)
			CHECK(strcmp(db->key, tb_dashboard_at(k)->key) != 0);
	}
	CHECK(tb_dashboard_at(n) == NULL);
	CHECK(tb_dashboard_find("no_such_dashboard") == NULL);
}

/* Every data plugin a dashboard reads is a summary kind the loader knows,
 * or its series would never get a data class and the tab never lights. */
static void test_registry__data_plugins_are_kinds(void)
{
	for (size_t i = 0; i < tb_dashboard_count(); i++) {
		const tb_dashboard *db = tb_dashboard_at(i);
		for (int m = 0; m < TB_DASHBOARD_MAX_PLUGINS && db->data_plugins[m]; m++) {
			if (!tb_kind_find(str(db->data_plugins[m])))
				fprintf(stderr, "%s reads unknown %s\n", db->key,
					db->data_plugins[m]);
			CHECK(tb_kind_find(str(db->data_plugins[m])) != NULL);
		}
		CHECK(db->loading != TB_LOAD_ELEMENT || db->element);
	}
}

static void test_registry__samples(void)
{
	CHECK_INT(tb_dashboard_samples("scalars"), 1000);
	CHECK_INT(tb_dashboard_samples("histograms"), 51);
	CHECK_INT(tb_dashboard_samples("distributions"), 501);
	CHECK_INT(tb_dashboard_samples("images"), 10);
	CHECK_INT(tb_dashboard_samples("audio"), 10);
	CHECK_INT(tb_dashboard_samples("text"), 100);
	CHECK_INT(tb_dashboard_samples("pr_curves"), 100);
	CHECK_INT(tb_dashboard_samples("mesh"), 100);
}

static void test_kinds__defaults(void)
{
	CHECK_INT(tb_kind_keep("scalars", TB_DC_SCALAR), 1000);
	CHECK_INT(tb_kind_keep("histograms", TB_DC_TENSOR), 500);
	CHECK_INT(tb_kind_keep("images", TB_DC_BLOB_SEQUENCE), 10);
	CHECK_INT(tb_kind_keep("pr_curves", TB_DC_TENSOR), 100);
	CHECK_INT(tb_kind_keep("text", TB_DC_TENSOR), 100);
	CHECK_INT(tb_kind_keep("someone_elses", TB_DC_SCALAR), 1000);
	CHECK_INT(tb_kind_keep("someone_elses", TB_DC_BLOB_SEQUENCE), 10);
	CHECK_INT(tb_kind_data_class(str("graph_keras_model")), TB_DC_BLOB_SEQUENCE);
	CHECK_INT(tb_kind_data_class(str("scalars")), TB_DC_SCALAR);
	CHECK_INT(tb_kind_data_class(str("scalar")), TB_DC_UNKNOWN);
	tb_buf b = TB_BUF_INIT;
	tb_kind_describe_defaults(&b);
	CHECK_STR(b.ptr, "scalars 1000, histograms 500, images 10, audio 10, pr_curves 100, "
			 "other tensors 100");
	tb_buf_free(&b);
}

int main(void)
{
	TB_RUN(test_registry__keys_unique_and_found);
	TB_RUN(test_registry__data_plugins_are_kinds);
	TB_RUN(test_registry__samples);
	TB_RUN(test_kinds__defaults);
	return tb_test_finish();
}
