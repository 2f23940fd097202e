/* From decoded events to stored points (spec LOADING.md 8, FORMAT.md 10-11).
 *
 * Fixes each series' plugin, data class and metadata from the first value
 * of its tag in the run; converts legacy values (simple_value, histo, image,
 * audio) and event-level graphs to the modern tensor forms; applies the
 * per-plugin fix-ups; and offers the point to the series' reservoir.
 * Values that do not fit their series are dropped, never stored wrongly. */
#ifndef TB_COMPAT_H
#define TB_COMPAT_H

#include "proto/event.h"
#include "store/store.h"

/* Handle one Event for `run` (caller holds the run write lock). `prev`
 * is the reader's memory of the last series it stored into (start with
 * NULL; keep it per event file while the run lives): it turns the lookup of
 * a tag that follows the same tag as last time into a single compare.
 * Returns the number of values stored, or TB_ECORRUPT when part of the
 * event could not be decoded (the rest of it is still stored). */
int tb_compat_add_event(tb_store *store, tb_run *run, const tb_event *ev, tb_series **prev);

#endif
