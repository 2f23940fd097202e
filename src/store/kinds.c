/* The table of summary kinds (see kinds.h). Rows follow upstream's
 * DEFAULT_SIZE_GUIDANCE and the data classes its plugins write
 * (spec LOADING.md 8.3). Lookups are a linear scan of a dozen rows, done
 * once per new series. */
#include "kinds.h"

#include <string.h>

#include "proto/event.h"

static const tb_kind kinds[] = {
    {"scalars", TB_DC_SCALAR, 1000},
    {"histograms", TB_DC_TENSOR, 500},
    {"images", TB_DC_BLOB_SEQUENCE, 10},
    {"audio", TB_DC_BLOB_SEQUENCE, 10},
    {"pr_curves", TB_DC_TENSOR, 100},
    {"text", TB_DC_TENSOR, 0},
    {"hparams", TB_DC_TENSOR, 0},
    {"mesh", TB_DC_TENSOR, 0},
    {"custom_scalars", TB_DC_TENSOR, 0},
    {"graphs", TB_DC_BLOB_SEQUENCE, 0},
    {"graph_tagged_run_metadata", TB_DC_BLOB_SEQUENCE, 0},
    {"graph_run_metadata", TB_DC_BLOB_SEQUENCE, 0},
    {"graph_run_metadata_graph", TB_DC_BLOB_SEQUENCE, 0},
    {"graph_keras_model", TB_DC_BLOB_SEQUENCE, 0},
};

#define N_KINDS (sizeof kinds / sizeof kinds[0])

/* Sizes by data class for kinds without their own. */
#define KEEP_SCALAR 1000
#define KEEP_TENSOR 100
#define KEEP_BLOBS 10

const tb_kind *tb_kind_find(tb_slice name)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (tb_slice_eq_str(name, kinds[i].name))
			return &kinds[i];
	return NULL;
}

int tb_kind_data_class(tb_slice name)
{
	const tb_kind *k = tb_kind_find(name);
	return k ? k->data_class : TB_DC_UNKNOWN;
}

uint64_t tb_kind_keep(const char *name, int data_class)
{
	const tb_kind *k = tb_kind_find(tb_slice_make(name, strlen(name)));
	if (k && k->keep)
		return k->keep;
	switch (data_class) {
	case TB_DC_SCALAR:
		return KEEP_SCALAR;
	case TB_DC_TENSOR:
		return KEEP_TENSOR;
	default:
		return KEEP_BLOBS;
	}
}

void tb_kind_describe_defaults(tb_buf *b)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (kinds[i].keep)
			tb_buf_printf(b, "%s %llu, ", kinds[i].name,
				      (unsigned long long)kinds[i].keep);
	tb_buf_printf(b, "other tensors %d", KEEP_TENSOR);
}
