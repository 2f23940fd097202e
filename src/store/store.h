/* The in-memory model: runs -> time series -> sampled points.
 *
 * Locking: the store's rwlock guards its run table; each run's rwlock guards
 * its series table, its start time and every point of its series. Readers
 * (HTTP handlers) hold the store read lock for the whole request, then a
 * run's read lock while they read it, so a run cannot be removed under
 * them. The loader takes one run's write lock per batch of records, so a
 * reader waits at most one short batch. Lock order: store, then run.
 *
 * Tuned for many small scalar points: a series keeps its points in packed
 * columns (see tb_series_layout), about 6 bytes per scalar point when steps
 * and wall times are regular; tensor and blob-sequence series also keep one
 * owned tensor per point (a blob sequence is a rank-1 DT_STRING tensor,
 * its bytes stored once; a histogram is packed, store/histpack.h). Read
 * points with tb_series_step, tb_series_wall, tb_series_value and
 * tb_series_tensor. */
#ifndef TB_STORE_H
#define TB_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/hash.h"
#include "proto/tensor.h"
#include "pyrandom.h"

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

typedef struct tb_series {
	/* Set at creation, immutable afterwards. Strings are NUL-terminated;
	 * tag may contain any bytes, so tag_len is authoritative. */
	char *tag;
	size_t tag_len;
	char *plugin;	/* data plugin name, e.g. "scalars" */
	int data_class; /* TB_DC_* from proto/event.h */
	char *display_name;
	char *description; /* Markdown */
	uint8_t *content;  /* plugin-private SummaryMetadata content */
	size_t content_len;
	uint64_t capacity; /* reservoir size; 0 = keep everything */

	/* Points, oldest first, strictly increasing steps, len of them.
	 * Guarded by the run's lock. Columns live in one block of `alloc`
	 * slots; the points are slots [start, start + len), so a removal near
	 * the front moves the head instead of the tail. */
	size_t len, alloc, start;
	uint8_t *block;
	tb_series_layout pk;
	uint8_t *steps_pk, *walls_pk, *values_pk; /* columns in block */
	/* TB_DC_TENSOR, TB_DC_BLOB_SEQUENCE: point i's tensor, owned; read it
	 * with tb_series_tensor */
	uintptr_t *tensors;
	size_t fit_len;	     /* len when the wall line was last fitted */
	uint64_t seen;	     /* points offered since the last preemption rescale */
	uint64_t changes;    /* points added or replaced so far; never goes back */
	tb_pyrandom *rng;    /* created at the first draw */

	/* Loader-only: the series whose value followed this one last time,
	 * a guess that makes the lookup of repeating tag sequences one compare. */
	struct tb_series *next_hint;
} tb_series;

typedef struct tb_run {
	char *name;
	uint64_t uid; /* unique for the life of the store; set at creation */
	pthread_rwlock_t lock;
	/* guarded by lock: */
	int has_start;
	double start_time; /* wall time of the run's first event */
	tb_series **series;
	size_t n_series, series_alloc;
	tb_idxset index; /* series by tag hash */
} tb_run;

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

void tb_store_rdlock(tb_store *s);
void tb_store_wrlock(tb_store *s);
void tb_store_unlock(tb_store *s);

/* Runs in creation order. Caller holds the store lock. */
size_t tb_store_run_count(const tb_store *s);
tb_run *tb_store_run_at(const tb_store *s, size_t i);
tb_run *tb_store_find_run(const tb_store *s, const char *name);

/* Add an empty run; takes the store write lock itself. Returns the run
 * (an existing one if the name is taken). */
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
					* *.trace.json.gz (run = <run>) */
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

void tb_run_rdlock(tb_run *r);
void tb_run_wrlock(tb_run *r);
void tb_run_unlock(tb_run *r);

/* The series with this tag, or NULL. Caller holds the run lock. */
tb_series *tb_run_find_series(const tb_run *r, const char *tag, size_t tag_len);
/* Create a series (caller holds the run write lock; the tag must be new).
 * Strings are copied; content may be NULL. */
tb_series *tb_run_add_series(tb_run *r, const char *tag, size_t tag_len, const char *plugin,
			     int data_class, const char *display_name, const char *description,
			     const void *content, size_t content_len, uint64_t capacity);

/* Offer a point to a series' reservoir (caller holds the run write lock).
 * Points already kept with step >= step are dropped first, so a restarted
 * job replaces what it re-covers. Then upstream's reservoir rule: keep
 * while there is room, else the new point replaces a random one or the
 * latest. tb_series_add_tensor takes ownership of t in every case. */
void tb_series_add_scalar(tb_series *s, int64_t step, double wall, double value);
/* The index of the first retained point with step >= step (len when none).
 * Caller holds the run lock. */
size_t tb_series_lower_bound(const tb_series *s, int64_t step);
void tb_series_add_tensor(tb_series *s, int64_t step, double wall, tb_tensor *t);
/* A tensor slot may hold, for the length of one commit, a value whose
 * decode the loader deferred: a tagged word (lowest bit set), never a
 * pointer, that the loader replaces before it releases the run lock
 * (ingest/compat.h). The store drops such a slot without freeing it. */
#define TB_TENSOR_IS_DEFERRED(t) (((uintptr_t)(t) & 1u) != 0)
/* Replace point i's deferred value with its decoded tensor t (taken).
 * Caller holds the run write lock. */
void tb_series_set_tensor(tb_series *s, size_t i, tb_tensor *t);

/* The same with a packed histogram (taken), store/histpack.h. */
struct tb_histpack;
void tb_series_set_histpack(tb_series *s, size_t i, struct tb_histpack *p);

/* Where tb_series_tensor unpacks a packed point: zero it before first
 * use ({0}), free with tb_tensor_tmp_free. */
typedef struct tb_tensor_tmp {
	tb_tensor t;
	uint8_t *buf;
	size_t cap;
} tb_tensor_tmp;

/* Point i's tensor (0 <= i < len, a tensor or blob-sequence series): the
 * stored one, or a packed one unpacked into *tmp, exactly as it was
 * offered. Valid until the next call with tmp or the run lock's release.
 * Caller holds the run lock. */
const tb_tensor *tb_series_tensor(const tb_series *s, size_t i, tb_tensor_tmp *tmp);
void tb_tensor_tmp_free(tb_tensor_tmp *tmp);
/* The element count of point i's tensor, without unpacking it. */
size_t tb_series_tensor_n(const tb_series *s, size_t i);

/* Drop every point of s, keeping the series and its buffers, as if
 * nothing had been offered yet (bulk export takes points out as they come).
 * Caller holds the run write lock. */
void tb_series_clear(tb_series *s);
/* Remove point i (0 <= i < len) and free its tensor. Caller holds the run
 * write lock. */
void tb_series_remove(tb_series *s, size_t i);

/* Point i (0 <= i < len) of a series. Caller holds the run lock. */
static inline int64_t tb_series_step(const tb_series *s, size_t i)
{
	return (int64_t)((uint64_t)s->pk.step0 +
			 tb_pk_get(s->steps_pk, s->pk.step_w, s->start + i));
}

static inline double tb_series_wall(const tb_series *s, size_t i)
{
	size_t k = s->start + i;
	uint64_t bits = s->pk.wall0 +
			(uint64_t)s->pk.slope * tb_pk_get(s->steps_pk, s->pk.step_w, k) +
			(uint64_t)tb_pk_sget(s->walls_pk, s->pk.wall_w, k);
	double w;
	memcpy(&w, &bits, sizeof w);
	return w;
}

static inline double tb_series_value(const tb_series *s, size_t i)
{
	size_t k = s->start + i;
	if (s->pk.value_w == 4) {
		float f;
		memcpy(&f, s->values_pk + 4 * k, 4);
		return f;
	}
	double v;
	memcpy(&v, s->values_pk + 8 * k, 8);
	return v;
}

/* Steps (unless NULL) and values of points [i0, i1) into arrays (a scalar
 * series). */
void tb_series_copy(const tb_series *s, size_t i0, size_t i1, int64_t *steps, double *values);

#endif
