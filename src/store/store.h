/* The in-memory model: runs -> time series -> sampled points, and the
 * read API every reader outside the store and the loader goes through.
 *
 * Runs and series are opaque here; the loader's write path sees their
 * insides through store_internal.h. Locking: the store's rwlock guards its
 * run table; each run's rwlock guards its series table, its start time and
 * every point of its series. A reader opens a tb_reader (the store read
 * lock for the whole request, so no run is removed under it) and gets runs
 * from it read-locked; the reader releases them, so no code outside the
 * store takes a lock by hand. The loader takes one run's write lock per
 * batch of records, so a reader waits at most one short batch. Lock order:
 * store, then run.
 *
 * Tuned for many small scalar points: a series keeps its points in packed
 * columns (see tb_series_layout), about 6 bytes per scalar point when steps
 * and wall times are regular; tensor and blob-sequence series also keep one
 * owned tensor per point (a blob sequence is a rank-1 DT_STRING tensor,
 * its bytes stored once; a histogram is packed, store/histpack.h). Read one
 * point with tb_series_step, tb_series_wall, tb_series_value and
 * tb_series_tensor, many through a tb_points view (inline readers). */
#ifndef TB_STORE_H
#define TB_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "proto/tensor.h"

/* How a series packs its points, exactly (every step, wall time and value
 * reads back bit for bit):
 * - step i is step0 + an unsigned step_w-byte offset;
 * - wall time i has the bits of the double wall0 + slope * (step offset)
 *   + a signed wall_w-byte residual (64-bit wrapping arithmetic), so wall
 *   times that advance steadily with the step need one byte;
 * - value i is a float when value_w is 4 (every value kept converts to
 *   float and back unchanged, as `simple_value` always does), else a double.
 * Widths are 1, 2, 4 or 8 bytes and only grow; a point that does not fit
 * re-packs the series once with wider columns. */
typedef struct tb_series_layout {
	int64_t step0;
	uint64_t wall0;
	int64_t slope;
	uint8_t step_w, wall_w, value_w;
} tb_series_layout;

static inline uint64_t tb_pk_get(const uint8_t *p, unsigned w, size_t i)
{
	switch (w) {
	case 1:
		return p[i];
	case 2: {
		uint16_t v;
		memcpy(&v, p + 2 * i, 2);
		return v;
	}
	case 4: {
		uint32_t v;
		memcpy(&v, p + 4 * i, 4);
		return v;
	}
	default: {
		uint64_t v;
		memcpy(&v, p + 8 * i, 8);
		return v;
	}
	}
}

/* The same slot read as a signed number of w bytes. */
static inline int64_t tb_pk_sget(const uint8_t *p, unsigned w, size_t i)
{
	uint64_t v = tb_pk_get(p, w, i);
	switch (w) {
	case 1:
		return (int8_t)v;
	case 2:
		return (int16_t)v;
	case 4:
		return (int32_t)v;
	default:
		return (int64_t)v;
	}
}

typedef struct tb_run tb_run;
typedef struct tb_series tb_series;
typedef struct tb_store tb_store;

tb_store *tb_store_new(void);
/* Free the store, its runs and their points. NULL is a no-op. */
void tb_store_free(tb_store *s);

/* Reservoir size for series of `plugin` (from --samples_per_plugin);
 * 0 keeps everything. Set before loading starts. */
void tb_store_set_capacity(tb_store *s, const char *plugin, uint64_t capacity);
/* The --samples_per_plugin value for plugin, if one was given: returns 1
 * and sets *out, else returns 0. */
int tb_store_override(const tb_store *s, const char *plugin, uint64_t *out);
/* The capacity a new series of this plugin and data class gets: the
 * override, else the summary kind's default (tb_kind_keep). */
uint64_t tb_store_capacity(const tb_store *s, const char *plugin, int data_class);

/* Add an empty run; takes the store write lock itself. Returns the run
 * (an existing one if the name is taken), to hand to the loader. */
tb_run *tb_store_add_run(tb_store *s, const char *name);
/* Remove and free a run; takes the store write lock itself. */
void tb_store_remove_run(tb_store *s, tb_run *run);

/* A counter bumped whenever any data changes; lets clients ask cheaply
 * whether anything is new. Thread-safe. */
uint64_t tb_store_generation(const tb_store *s);
void tb_store_touch(tb_store *s);

/* Files the loader noticed while scanning that dashboards read themselves
 * (dashboards never walk the log directory). */
enum tb_asset_kind {
	TB_ASSET_PROJECTOR_CONFIG = 1, /* projector_config.pbtxt in a folder */
	TB_ASSET_PROFILE_TRACE = 2,    /* *.pt.trace.json[.gz] in a folder, or
					* <run>/plugins/profile/<timestamp>/
					* *.trace.json[.gz] (run = <run>) */
};
typedef struct tb_store_asset {
	int kind;   /* TB_ASSET_* */
	char *run;  /* run name: the folder's path below its log directory
		     * ("." for the root), prefixed as run names are */
	char *path; /* full path of the file */
} tb_store_asset;

/* Replace the asset list with a copy of v[0..n). Thread-safe. */
void tb_store_set_assets(tb_store *s, const tb_store_asset *v, size_t n);
/* A copy of the assets of `kind` (0 = all), in scan order; the caller frees
 * it with tb_store_assets_free. Returns the count. Thread-safe. */
size_t tb_store_assets(tb_store_asset **out, tb_store *s, int kind);
void tb_store_assets_free(tb_store_asset *v, size_t n);

/* --- reading ------------------------------------------------------------ */

/* A read session over a store, on the caller's stack: from
 * tb_reader_begin to tb_reader_end it holds the store read lock, and every
 * run it hands out stays read-locked until tb_reader_release or
 * tb_reader_end, however often it is handed out (one lock per run per
 * request, none per point). Runs, series and points it hands out are
 * borrowed until then. One thread uses a reader; several readers may read
 * at once. The fields are the store's. */
typedef struct tb_reader {
	tb_store *store;
	tb_run **held; /* runs read-locked by this reader */
	size_t n_held, held_alloc;
	int all; /* every run is held (tb_reader_hold_all) */
} tb_reader;

void tb_reader_begin(tb_reader *rd, tb_store *s);
/* Release every run held and the store. */
void tb_reader_end(tb_reader *rd);
/* Runs in creation order: their count, and run i (< count) read-locked. */
size_t tb_reader_run_count(const tb_reader *rd);
const tb_run *tb_reader_run_at(tb_reader *rd, size_t i);
/* The name of run i (< count), without locking the run: a name never
 * changes, so matching names against many runs locks none of them. */
const char *tb_reader_run_name(const tb_reader *rd, size_t i);
/* The run named name, read-locked, or NULL (name may be NULL). */
const tb_run *tb_reader_find_run(tb_reader *rd, const char *name);
/* Walk the runs one at a time: release what the reader holds, then return
 * run *pos read-locked and advance *pos; NULL after the last run. Start
 * with *pos = 0. */
const tb_run *tb_reader_next_run(tb_reader *rd, size_t *pos);
/* Read-lock r, a run this reader handed out before (still in the store:
 * the store lock has been held since). Returns r. */
const tb_run *tb_reader_hold(tb_reader *rd, const tb_run *r);
/* Read-lock every run at once, for a request that reads runs side by side
 * many times over. */
void tb_reader_hold_all(tb_reader *rd);
/* Release the runs held so far. A released run stays in the store while
 * the reader is open, and its name and id (which never change) stay
 * readable; its series are read again only once it is held again. */
void tb_reader_release(tb_reader *rd);

/* A run's name, unique in the store; its id, unique for the life of the
 * store; its start time (wall time of its first event): returns 1 with
 * *out set, or 0 when no event has come yet. */
const char *tb_run_name(const tb_run *r);
uint64_t tb_run_uid(const tb_run *r);
int tb_run_start_time(double *out, const tb_run *r);
/* The run's series in creation order: their count, and series i. */
size_t tb_run_series_count(const tb_run *r);
const tb_series *tb_run_series_at(const tb_run *r, size_t i);
/* The series with this tag, or NULL. */
const tb_series *tb_run_find_series(const tb_run *r, const char *tag, size_t tag_len);
/* The next series at or after *pos of data plugin `plugin` with data class
 * `dc` (plugin NULL or dc < 0: any), advancing *pos past it; NULL when none
 * is left. Start with *pos = 0. */
const tb_series *tb_run_next_series(const tb_run *r, size_t *pos, const char *plugin, int dc);

/* A series' metadata, fixed at its creation. The strings are
 * NUL-terminated; a tag may hold any byte, so tb_series_tag_len is
 * authoritative. */
const char *tb_series_tag(const tb_series *s);
size_t tb_series_tag_len(const tb_series *s);
const char *tb_series_plugin(const tb_series *s); /* data plugin, e.g. "scalars" */
int tb_series_data_class(const tb_series *s);	  /* TB_DC_* from proto/event.h */
const char *tb_series_display_name(const tb_series *s);
const char *tb_series_description(const tb_series *s); /* Markdown */
/* The plugin-private SummaryMetadata content (may be empty). */
tb_slice tb_series_content(const tb_series *s);

/* Points, oldest first, with strictly increasing steps: their count, and
 * the change counter (points added or replaced so far; it never goes back,
 * so a cache keyed on it sees every change). */
size_t tb_series_len(const tb_series *s);
uint64_t tb_series_changes(const tb_series *s);
/* Point i (0 <= i < len). */
int64_t tb_series_step(const tb_series *s, size_t i);
double tb_series_wall(const tb_series *s, size_t i);
double tb_series_value(const tb_series *s, size_t i);
/* The index of the first point with step >= step (len when none). */
size_t tb_series_lower_bound(const tb_series *s, int64_t step);
/* Steps (unless NULL) and values of points [i0, i1) into arrays (a scalar
 * series). */
void tb_series_copy(const tb_series *s, size_t i0, size_t i1, int64_t *steps, double *values);

/* Where tb_series_tensor unpacks a packed point: zero it before first
 * use ({0}), free with tb_tensor_tmp_free. */
typedef struct tb_tensor_tmp {
	tb_tensor t;
	uint8_t *buf;
	size_t cap;
} tb_tensor_tmp;

/* Point i's tensor (0 <= i < len, a tensor or blob-sequence series): the
 * stored one, or a packed one unpacked into *tmp, exactly as it was
 * offered. Valid until the next call with tmp or the reader's release of
 * the run; the only way to a stored tensor. */
const tb_tensor *tb_series_tensor(const tb_series *s, size_t i, tb_tensor_tmp *tmp);
void tb_tensor_tmp_free(tb_tensor_tmp *tmp);
/* The element count of point i's tensor, without unpacking it. */
size_t tb_series_tensor_n(const tb_series *s, size_t i);

/* A view of a series' point columns for loops over many points, read with
 * the inline tb_points_* below. Valid while the reader holds the run. The
 * fields other than len are the readers'. */
typedef struct tb_points {
	size_t len; /* points */
	size_t start;
	tb_series_layout pk;
	const uint8_t *steps, *walls, *values;
} tb_points;

void tb_series_points(tb_points *out, const tb_series *s);

static inline int64_t tb_points_step(const tb_points *p, size_t i)
{
	return (int64_t)((uint64_t)p->pk.step0 + tb_pk_get(p->steps, p->pk.step_w, p->start + i));
}

static inline double tb_points_wall(const tb_points *p, size_t i)
{
	size_t k = p->start + i;
	uint64_t bits = p->pk.wall0 + (uint64_t)p->pk.slope * tb_pk_get(p->steps, p->pk.step_w, k) +
			(uint64_t)tb_pk_sget(p->walls, p->pk.wall_w, k);
	double w;
	memcpy(&w, &bits, sizeof w);
	return w;
}

static inline double tb_points_value(const tb_points *p, size_t i)
{
	size_t k = p->start + i;
	if (p->pk.value_w == 4) {
		float f;
		memcpy(&f, p->values + 4 * k, 4);
		return f;
	}
	double v;
	memcpy(&v, p->values + 8 * k, 8);
	return v;
}

#endif
