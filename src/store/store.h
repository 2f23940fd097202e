/* The in-memory model: runs -> time series -> sampled points.
 *
 * Locking: the store's rwlock guards its run table; each run's rwlock guards
 * its series table, its start time and every point of its series. Readers
 * (HTTP handlers) hold the store read lock for the whole request, then a
 * run's read lock while they read it, so a run cannot be removed under
 * them. The loader takes one run's write lock per batch of records, so a
 * reader waits at most one short batch. Lock order: store, then run.
 *
 * Tuned for many small scalar points: scalar series keep three columns
 * (step, wall time, value); tensor and blob-sequence series keep one owned
 * tb_tensor per point (a blob sequence is a rank-1 DT_STRING tensor, its
 * bytes stored once). */
#ifndef TB_STORE_H
#define TB_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/tensor.h"
#include "pyrandom.h"

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

	/* Points, oldest first, strictly increasing steps: steps[0..len) etc.
	 * Guarded by the run's lock. The columns are views at offset `start`
	 * into buffers of `alloc` slots, so a removal near the front moves the
	 * head instead of the tail. */
	size_t len, alloc, start;
	int64_t *steps;
	double *walls;
	double *values;	     /* TB_DC_SCALAR */
	tb_tensor **tensors; /* TB_DC_TENSOR, TB_DC_BLOB_SEQUENCE (owned) */
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
	uint32_t *index; /* open addressing: series index + 1, 0 = empty */
	size_t index_alloc;
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
/* Drop every point of s, keeping the series and its buffers, as if
 * nothing had been offered yet (bulk export takes points out as they come).
 * Caller holds the run write lock. */
void tb_series_clear(tb_series *s);

#endif
