/* Fuzz target: everything the loader decodes from one record payload: the
 * Event, its summary values, their metadata, tensors, histograms, images
 * and audio, and the conversion into stored points. */
#include <stdint.h>
#include <stdlib.h>

#include "ingest/compat.h"
#include "proto/event.h"
#include "proto/tensor.h"
#include "store/store_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tb_slice in = tb_slice_make(data, size);
	tb_event ev;
	if (tb_event_decode(&ev, in))
		return 0;
	if (ev.what == TB_EV_SUMMARY) {
		tb_pb it = tb_pb_make(ev.data);
		tb_value v;
		while (tb_summary_next(&v, &it) == 1) {
			tb_metadata md;
			if (v.has_metadata)
				tb_metadata_decode(&md, v.metadata);
			tb_tensor *t;
			double x;
			if (v.kind == TB_VAL_TENSOR) {
				if (tb_tensor_decode(&t, v.data) == 0) {
					/* read a few elements; a negative or NaN value
					 * must not be cast to an integer here */
					volatile double sink = 0;
					for (size_t i = 0; i < t->n && i < 4; i++)
						sink += t->str_off ? (double)tb_tensor_str(t, i).len
								   : tb_tensor_double(t, i);
					(void)sink;
					free(t);
				}
				tb_tensor_scalar(&x, v.data);
			} else if (v.kind == TB_VAL_HISTO) {
				tb_histo h;
				if (tb_histo_decode(&h, v.data) == 0)
					tb_histo_release(&h);
			}
		}
	}
	/* and the whole path into a store */
	tb_store *st = tb_store_new();
	tb_run *run = tb_store_add_run(st, "fuzz");
	tb_series *prev = NULL;
	tb_run_wrlock(run);
	tb_compat_add_event(st, run, &ev, &prev);
	tb_compat_add_event(st, run, &ev, &prev);
	tb_run_unlock(run);
	tb_store_free(st);
	return 0;
}
