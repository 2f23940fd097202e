/* Fuzz target: everything the loader decodes from one record payload: the
 * Event, its summary values, their metadata, tensors, histograms, images
 * and audio, and the conversion into stored points. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
				/* a view, when there is one, says what the decode says */
				tb_tensor view;
				int viewed = tb_tensor_view(&view, v.data) == 0;
				if (tb_tensor_decode(&t, v.data) != 0) {
					if (viewed)
						abort();
				} else {
					if (viewed &&
					    (view.dtype != t->dtype || view.rank != t->rank ||
					     view.n != t->n || view.data_len != t->data_len ||
					     memcmp(view.dims, t->dims, sizeof view.dims) ||
					     memcmp(view.data, t->data, t->data_len)))
						abort();
					/* an unknown field appended sends the message through
					 * the general parse, which must read it the same */
					uint8_t *ext = malloc(v.data.len + 2);
					memcpy(ext, v.data.ptr, v.data.len);
					ext[v.data.len] = 0x78; /* field 15, varint 0 */
					ext[v.data.len + 1] = 0;
					tb_tensor *g;
					if (tb_tensor_decode(&g, tb_slice_make(ext, v.data.len + 2)))
						abort();
					if (g->dtype != t->dtype || g->rank != t->rank || g->n != t->n ||
					    g->data_len != t->data_len ||
					    memcmp(g->dims, t->dims, sizeof g->dims) ||
					    memcmp(g->data, t->data, t->data_len))
						abort();
					free(g);
					free(ext);
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
	/* and the whole path into a store, each value decoded as it comes and
	 * deferred to the end of a batch, with a batch that leaves its
	 * newest points unpacked for the next */
	tb_store *st = tb_store_new();
	tb_run *run = tb_store_add_run(st, "fuzz"), *later = tb_store_add_run(st, "later");
	tb_series *prev = NULL, *prev2 = NULL;
	tb_compat_defer d;
	memset(&d, 0, sizeof d);
	tb_run_wrlock(run);
	tb_compat_add_event(st, run, &ev, &prev);
	tb_compat_add_event(st, run, &ev, &prev);
	tb_run_unlock(run);
	tb_run_wrlock(later);
	tb_compat_add_event_deferred(st, later, &ev, &prev2, &d);
	tb_compat_settle(&d, 1);
	tb_compat_add_event_deferred(st, later, &ev, &prev2, &d);
	tb_compat_settle(&d, 0);
	tb_run_unlock(later);
	tb_compat_defer_free(&d);
	tb_store_free(st);
	return 0;
}
