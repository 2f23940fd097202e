/* From decoded events to stored points (spec LOADING.md 8, FORMAT.md 10-11).
 *
 * Fixes each series' plugin, data class and metadata from the first value
 * of its tag in the run; converts legacy values (simple_value, histo, image,
 * audio) and event-level graphs to the modern tensor forms; applies the
 * per-plugin fix-ups; and offers the point to the series' reservoir.
 * Values that do not fit their series are dropped, never stored wrongly. */
#ifndef TB_COMPAT_H
#define TB_COMPAT_H

#include "common/hash.h"
#include "proto/event.h"
#include "store/store.h"

/* Handle one Event for `run` (caller holds the run write lock). `prev`
 * is the reader's memory of the last series it stored into (start with
 * NULL; keep it per event file while the run lives): it turns the lookup of
 * a tag that follows the same tag as last time into a single compare.
 * Returns the number of values stored, or TB_ECORRUPT when part of the
 * event could not be decoded (the rest of it is still stored). */
int tb_compat_add_event(tb_store *store, tb_run *run, const tb_event *ev, tb_series **prev);

/* Tensor and histogram values a batch stored without decoding them: each
 * takes its reservoir place at once with a placeholder (a tagged index
 * into vals, which point into the event's bytes), and only the ones still
 * kept when the batch ends are
 * decoded (tb_compat_settle), so a point the reservoir replaces within the
 * batch costs no decode and no copy of its buckets. Start zeroed. */
#define TB_COMPAT_MEMO_BITS 6
#define TB_COMPAT_MEMO (1u << TB_COMPAT_MEMO_BITS)
typedef struct tb_compat_defer {
	struct tb_deferred {
		tb_series *s;
		size_t added; /* placeholders stored into s by this batch */
	} *v;
	size_t n, alloc;
	tb_idxset index; /* series pointer -> v[] */
	/* in front of the index: a series' last place in v[], by a few bits
	 * of its pointer's hash (a batch's values cycle through a few tags) */
	struct tb_deferred_memo {
		tb_series *s;
		size_t k;
	} memo[TB_COMPAT_MEMO];
	struct tb_deferred_value {
		tb_slice data; /* the Tensor or HistogramProto message */
		int kind;      /* TB_VAL_TENSOR or TB_VAL_HISTO */
	} *vals;	       /* placeholder i (store.h, TB_TENSOR_IS_DEFERRED) */
	size_t n_vals, vals_alloc;
	/* newest points the last settle left unpacked, packed by the next one
	 * if its batch kept them */
	struct tb_deferred_unpacked {
		tb_series *s;
		uintptr_t slot;
	} *unpacked;
	size_t n_unpacked, unpacked_alloc;
} tb_compat_defer;

/* tb_compat_add_event, deferring the decode of tensor-class values into d.
 * The events' bytes must stay valid until tb_compat_settle. */
int tb_compat_add_event_deferred(tb_store *store, tb_run *run, const tb_event *ev, tb_series **prev,
				 tb_compat_defer *d);
/* Decode every placeholder still kept (same run write lock as the adds);
 * a value that does not decode is removed from its series. Returns the
 * number removed and empties d for the next batch. `more` says that the
 * next batch comes from the same file, into the same run, with d: each
 * series' newest point, which that batch most likely replaces at once,
 * is then decoded but not packed, and that settle packs it if it stayed.
 * The last batch of a file read passes 0. */
size_t tb_compat_settle(tb_compat_defer *d, int more);
void tb_compat_defer_free(tb_compat_defer *d);

/* For a one-pass export, which reads each point once as it comes:
 * tb_compat_add_event under the run's write lock (taken here), then hand
 * each series that holds points to `take` and drop them, so the run keeps
 * no points between events. Returns what tb_compat_add_event returns. */
int tb_compat_add_and_take(tb_store *store, tb_run *run, const tb_event *ev, tb_series **prev,
			   void (*take)(const tb_series *s, void *payload), void *payload);

#endif
