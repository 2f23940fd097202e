/* The insides of runs and series, for the store and the loader's write
 * path (src/ingest) only; every other reader goes through store.h.
 *
 * The write path: the loader creates series and offers points while it
 * holds a run's write lock (tb_run_wrlock), one batch of records at a time. */
#ifndef TB_STORE_INTERNAL_H
#define TB_STORE_INTERNAL_H

#include <pthread.h>

#include "common/hash.h"
#include "pyrandom.h"
#include "store.h"

struct tb_series {
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

	/* The loader's: the series whose value followed this one last time,
	 * a guess that makes the lookup of repeating tag sequences one compare.
	 * Guarded by the run's write lock. */
	struct tb_series *next_hint;
};

struct tb_run {
	char *name;
	uint64_t uid; /* unique for the life of the store; set at creation */
	pthread_rwlock_t lock;
	/* guarded by lock: */
	int has_start;
	double start_time; /* wall time of the run's first event */
	tb_series **series;
	size_t n_series, series_alloc;
	tb_idxset index; /* series by tag hash */
};

void tb_store_rdlock(tb_store *s);
void tb_store_wrlock(tb_store *s);
void tb_store_unlock(tb_store *s);

/* Runs in creation order, and a run by name. Caller holds the store lock. */
size_t tb_store_run_count(const tb_store *s);
tb_run *tb_store_run_at(const tb_store *s, size_t i);
tb_run *tb_store_find_run(const tb_store *s, const char *name);

void tb_run_rdlock(tb_run *r);
void tb_run_wrlock(tb_run *r);
void tb_run_unlock(tb_run *r);

/* The series with this tag, to write to, or NULL. Caller holds the run
 * write lock. */
tb_series *tb_run_series_w(tb_run *r, const char *tag, size_t tag_len);
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
void tb_series_add_tensor(tb_series *s, int64_t step, double wall, tb_tensor *t);
/* A tensor slot may hold, for the length of one commit, a value whose
 * decode the loader deferred: a tagged word (lowest bit set), never a
 * pointer, that the loader replaces before it releases the run lock
 * (ingest/compat.h). The store drops such a slot without freeing it. */
#define TB_TENSOR_IS_DEFERRED(t) (((uintptr_t)(t)&1u) != 0)
/* Replace point i's deferred value with its decoded tensor t (taken).
 * Caller holds the run write lock. */
void tb_series_set_tensor(tb_series *s, size_t i, tb_tensor *t);

/* The same, keeping t as it is even when it is a histogram that packs:
 * for a point likely to be replaced soon, whose packing would be wasted
 * (tb_series_pack packs it later if it stays). */
void tb_series_set_tensor_unpacked(tb_series *s, size_t i, tb_tensor *t);
/* Pack point i's tensor if it is an unpacked histogram that packs.
 * Caller holds the run write lock. */
void tb_series_pack(tb_series *s, size_t i);
/* Point i's slot word, to recognise a tensor set above (a tb_tensor
 * pointer as it was given). Caller holds the run lock. */
uintptr_t tb_series_slot(const tb_series *s, size_t i);

/* The same with a packed histogram (taken), store/histpack.h. */
struct tb_histpack;
void tb_series_set_histpack(tb_series *s, size_t i, struct tb_histpack *p);
/* Drop every point of s, keeping the series and its buffers, as if
 * nothing had been offered yet (bulk export takes points out as they come).
 * Caller holds the run write lock. */
void tb_series_clear(tb_series *s);
/* Remove point i (0 <= i < len) and free its tensor. Caller holds the run
 * write lock. */
void tb_series_remove(tb_series *s, size_t i);

#endif
