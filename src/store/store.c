/* Runs, series and reservoir sampling (see store.h).
 *
 * The reservoir follows upstream's Python loader exactly (LOADING.md 10.2,
 * CPython's random.Random(0) per series), so that on the same files tboard
 * keeps the same points upstream shows; on top of it every offer first drops
 * retained points at or after the offered step (LOADING.md 11.1), which
 * keeps steps strictly increasing. */
#include "store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "kinds.h"
#include "proto/event.h"

#define MAX_OVERRIDES 32

struct tb_store {
	pthread_rwlock_t lock;
	tb_run **runs; /* guarded by lock */
	size_t n_runs, runs_alloc;
	uint64_t generation; /* atomic */
	uint64_t next_uid;   /* guarded by lock */
	struct {
		char name[64];
		uint64_t capacity;
	} overrides[MAX_OVERRIDES];
	int n_overrides;
	pthread_mutex_t assets_mu;
	tb_store_asset *assets; /* guarded by assets_mu */
	size_t n_assets;
};

tb_store *tb_store_new(void)
{
	tb_store *s = tb_xcalloc(1, sizeof *s);
	pthread_rwlock_init(&s->lock, NULL);
	pthread_mutex_init(&s->assets_mu, NULL);
	return s;
}

static void series_free(tb_series *s)
{
	if (s->tensors)
		for (size_t i = 0; i < s->len; i++)
			free(s->tensors[i]);
	free(s->tag);
	free(s->plugin);
	free(s->display_name);
	free(s->description);
	free(s->content);
	/* columns are allocated with the first point, in one block */
	if (s->steps)
		free(s->steps - s->start);
	free(s->rng);
	free(s);
}

static void run_free(tb_run *r)
{
	for (size_t i = 0; i < r->n_series; i++)
		series_free(r->series[i]);
	free(r->series);
	free(r->index);
	free(r->name);
	pthread_rwlock_destroy(&r->lock);
	free(r);
}

void tb_store_free(tb_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_runs; i++)
		run_free(s->runs[i]);
	free(s->runs);
	tb_store_assets_free(s->assets, s->n_assets);
	pthread_mutex_destroy(&s->assets_mu);
	pthread_rwlock_destroy(&s->lock);
	free(s);
}

void tb_store_set_capacity(tb_store *s, const char *plugin, uint64_t capacity)
{
	for (int i = 0; i < s->n_overrides; i++) {
		if (strcmp(s->overrides[i].name, plugin) == 0) {
			s->overrides[i].capacity = capacity;
			return;
		}
	}
	if (s->n_overrides == MAX_OVERRIDES || strlen(plugin) >= sizeof s->overrides[0].name)
		return;
	strcpy(s->overrides[s->n_overrides].name, plugin);
	s->overrides[s->n_overrides++].capacity = capacity;
}

int tb_store_override(const tb_store *s, const char *plugin, uint64_t *out)
{
	for (int i = 0; i < s->n_overrides; i++) {
		if (strcmp(s->overrides[i].name, plugin) == 0) {
			*out = s->overrides[i].capacity;
			return 1;
		}
	}
	return 0;
}

uint64_t tb_store_capacity(const tb_store *s, const char *plugin, int data_class)
{
	uint64_t v;
	if (tb_store_override(s, plugin, &v))
		return v;
	return tb_kind_keep(plugin, data_class);
}

void tb_store_rdlock(tb_store *s)
{
	pthread_rwlock_rdlock(&s->lock);
}

void tb_store_wrlock(tb_store *s)
{
	pthread_rwlock_wrlock(&s->lock);
}

void tb_store_unlock(tb_store *s)
{
	pthread_rwlock_unlock(&s->lock);
}

size_t tb_store_run_count(const tb_store *s)
{
	return s->n_runs;
}

tb_run *tb_store_run_at(const tb_store *s, size_t i)
{
	return i < s->n_runs ? s->runs[i] : NULL;
}

tb_run *tb_store_find_run(const tb_store *s, const char *name)
{
	for (size_t i = 0; i < s->n_runs; i++)
		if (strcmp(s->runs[i]->name, name) == 0)
			return s->runs[i];
	return NULL;
}

tb_run *tb_store_add_run(tb_store *s, const char *name)
{
	tb_store_wrlock(s);
	tb_run *r = tb_store_find_run(s, name);
	if (!r) {
		r = tb_xcalloc(1, sizeof *r);
		r->name = tb_xstrdup(name);
		r->uid = ++s->next_uid;
		pthread_rwlock_init(&r->lock, NULL);
		s->runs = tb_xgrow(s->runs, &s->runs_alloc, s->n_runs + 1, sizeof *s->runs);
		s->runs[s->n_runs++] = r;
	}
	tb_store_unlock(s);
	tb_store_touch(s);
	return r;
}

void tb_store_remove_run(tb_store *s, tb_run *run)
{
	tb_store_wrlock(s);
	for (size_t i = 0; i < s->n_runs; i++) {
		if (s->runs[i] == run) {
			memmove(s->runs + i, s->runs + i + 1,
				(s->n_runs - i - 1) * sizeof *s->runs);
			s->n_runs--;
			run_free(run);
			break;
		}
	}
	tb_store_unlock(s);
	tb_store_touch(s);
}

uint64_t tb_store_generation(const tb_store *s)
{
	return __atomic_load_n(&s->generation, __ATOMIC_ACQUIRE);
}

void tb_store_touch(tb_store *s)
{
	__atomic_add_fetch(&s->generation, 1, __ATOMIC_RELEASE);
}

static tb_store_asset *copy_assets(const tb_store_asset *v, size_t n, int kind, size_t *count)
{
	tb_store_asset *c = tb_xcalloc(n ? n : 1, sizeof *c);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!kind || v[i].kind == kind)
			c[k++] = (tb_store_asset){v[i].kind, tb_xstrdup(v[i].run),
						  tb_xstrdup(v[i].path)};
	*count = k;
	return c;
}

void tb_store_set_assets(tb_store *s, const tb_store_asset *v, size_t n)
{
	size_t k;
	tb_store_asset *c = copy_assets(v, n, 0, &k);
	pthread_mutex_lock(&s->assets_mu);
	tb_store_asset *old = s->assets;
	size_t n_old = s->n_assets;
	s->assets = c;
	s->n_assets = k;
	pthread_mutex_unlock(&s->assets_mu);
	tb_store_assets_free(old, n_old);
}

size_t tb_store_assets(tb_store_asset **out, tb_store *s, int kind)
{
	size_t k;
	pthread_mutex_lock(&s->assets_mu);
	*out = copy_assets(s->assets, s->n_assets, kind, &k);
	pthread_mutex_unlock(&s->assets_mu);
	return k;
}

void tb_store_assets_free(tb_store_asset *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].run);
		free(v[i].path);
	}
	free(v);
}

void tb_run_rdlock(tb_run *r)
{
	pthread_rwlock_rdlock(&r->lock);
}

void tb_run_wrlock(tb_run *r)
{
	pthread_rwlock_wrlock(&r->lock);
}

void tb_run_unlock(tb_run *r)
{
	pthread_rwlock_unlock(&r->lock);
}

static uint64_t hash_tag(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
	return h;
}

tb_series *tb_run_find_series(const tb_run *r, const char *tag, size_t tag_len)
{
	if (!r->index_alloc)
		return NULL;
	size_t mask = r->index_alloc - 1;
	for (size_t i = hash_tag(tag, tag_len) & mask;; i = (i + 1) & mask) {
		uint32_t slot = r->index[i];
		if (!slot)
			return NULL;
		tb_series *s = r->series[slot - 1];
		if (s->tag_len == tag_len && (!tag_len || memcmp(s->tag, tag, tag_len) == 0))
			return s;
	}
}

static void index_insert(tb_run *r, size_t idx)
{
	tb_series *s = r->series[idx];
	size_t mask = r->index_alloc - 1;
	size_t i = hash_tag(s->tag, s->tag_len) & mask;
	while (r->index[i])
		i = (i + 1) & mask;
	r->index[i] = (uint32_t)(idx + 1);
}

tb_series *tb_run_add_series(tb_run *r, const char *tag, size_t tag_len, const char *plugin,
			     int data_class, const char *display_name, const char *description,
			     const void *content, size_t content_len, uint64_t capacity)
{
	tb_series *s = tb_xcalloc(1, sizeof *s);
	s->tag = tb_xstrndup(tag, tag_len);
	s->tag_len = tag_len;
	s->plugin = tb_xstrdup(plugin);
	s->data_class = data_class;
	s->display_name = tb_xstrdup(display_name ? display_name : "");
	s->description = tb_xstrdup(description ? description : "");
	s->content = tb_xmalloc(content_len + 1);
	if (content_len)
		memcpy(s->content, content, content_len);
	s->content_len = content_len;
	s->capacity = capacity;
	r->series = tb_xgrow(r->series, &r->series_alloc, r->n_series + 1, sizeof *r->series);
	r->series[r->n_series++] = s;
	if (r->n_series * 2 > r->index_alloc) {
		free(r->index);
		r->index_alloc = r->index_alloc ? r->index_alloc * 2 : 16;
		r->index = tb_xcalloc(r->index_alloc, sizeof *r->index);
		for (size_t i = 0; i < r->n_series; i++)
			index_insert(r, i);
	} else {
		index_insert(r, r->n_series - 1);
	}
	return s;
}

/* Drop retained points with step >= step, rescaling `seen` as upstream's
 * purge does (round half to even of seen * kept / before). */
size_t tb_series_lower_bound(const tb_series *s, int64_t step)
{
	size_t lo = 0, hi = s->len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->steps[mid] < step)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void preempt(tb_series *s, int64_t step)
{
	size_t lo = tb_series_lower_bound(s, step);
	size_t before = s->len;
	if (s->tensors)
		for (size_t i = lo; i < before; i++)
			free(s->tensors[i]);
	s->len = lo;
	s->seen = (uint64_t)nearbyint((double)s->seen * (double)lo / (double)before);
}

/* Shift the columns' views by `delta` slots (the buffers stay). */
static void shift_views(tb_series *s, ptrdiff_t delta)
{
	s->steps += delta;
	s->walls += delta;
	if (s->values)
		s->values += delta;
	if (s->tensors)
		s->tensors += delta;
	s->start = (size_t)((ptrdiff_t)s->start + delta);
}

/* Remove point i, moving whichever side of it is shorter. */
static void remove_at(tb_series *s, size_t i)
{
	if (s->tensors)
		free(s->tensors[i]);
	if (i < s->len / 2) {
		memmove(s->steps + 1, s->steps, i * sizeof *s->steps);
		memmove(s->walls + 1, s->walls, i * sizeof *s->walls);
		if (s->values)
			memmove(s->values + 1, s->values, i * sizeof *s->values);
		if (s->tensors)
			memmove(s->tensors + 1, s->tensors, i * sizeof *s->tensors);
		shift_views(s, 1);
	} else {
		size_t tail = s->len - i - 1;
		memmove(s->steps + i, s->steps + i + 1, tail * sizeof *s->steps);
		memmove(s->walls + i, s->walls + i + 1, tail * sizeof *s->walls);
		if (s->values)
			memmove(s->values + i, s->values + i + 1, tail * sizeof *s->values);
		if (s->tensors)
			memmove(s->tensors + i, s->tensors + i + 1, tail * sizeof *s->tensors);
	}
	s->len--;
}

/* Make room for one more point at the end of the views. */
static void reserve_slot(tb_series *s)
{
	if (s->start + s->len < s->alloc)
		return;
	if (s->start > 0) {
		/* recentre: the buffers have room at the front */
		size_t n = s->len;
		memmove(s->steps - s->start, s->steps, n * sizeof *s->steps);
		memmove(s->walls - s->start, s->walls, n * sizeof *s->walls);
		if (s->values)
			memmove(s->values - s->start, s->values, n * sizeof *s->values);
		if (s->tensors)
			memmove(s->tensors - s->start, s->tensors, n * sizeof *s->tensors);
		shift_views(s, -(ptrdiff_t)s->start);
		return;
	}
	size_t want = s->alloc ? s->alloc + s->alloc / 2 : 8; /* 1.5x: less slack */
	/* a bounded reservoir needs one spare slot beyond its capacity so a
	 * removal at the front never forces a copy of the whole buffer */
	if (s->capacity && want > s->capacity + s->capacity / 8 + 1)
		want = (size_t)(s->capacity + s->capacity / 8 + 1);
	if (want <= s->len)
		want = s->len + 1;
	/* one block for the columns: steps, walls, then values or tensors */
	size_t n = s->len;
	uint8_t *blk = tb_xmalloc(want * (sizeof *s->steps + sizeof *s->walls +
					  (s->data_class == TB_DC_SCALAR ? sizeof *s->values
									 : sizeof *s->tensors)));
	int64_t *steps = (int64_t *)blk;
	double *walls = (double *)(blk + want * sizeof *steps);
	void *col = blk + want * (sizeof *steps + sizeof *walls);
	if (n) {
		memcpy(steps, s->steps, n * sizeof *steps);
		memcpy(walls, s->walls, n * sizeof *walls);
	}
	if (s->data_class == TB_DC_SCALAR) {
		if (n)
			memcpy(col, s->values, n * sizeof *s->values);
		s->values = col;
	} else {
		if (n)
			memcpy(col, s->tensors, n * sizeof *s->tensors);
		s->tensors = col;
	}
	free(s->steps); /* start is 0 here */
	s->steps = steps;
	s->walls = walls;
	s->alloc = want;
}

/* Decide where a new point goes: returns the slot index to write (len for
 * an append), after making room. */
static size_t make_slot(tb_series *s, int64_t step)
{
	if (s->len && s->steps[s->len - 1] >= step)
		preempt(s, step);
	size_t slot;
	if (s->capacity == 0 || s->len < s->capacity) {
		slot = s->len;
	} else {
		if (!s->rng) {
			s->rng = tb_xmalloc(sizeof *s->rng);
			tb_pyrandom_seed0(s->rng);
		}
		uint64_t r = tb_pyrandom_below(s->rng, s->seen + 1);
		if (r < s->capacity)
			remove_at(s, (size_t)r);
		else if (s->tensors)
			free(s->tensors[--s->len]);
		else
			s->len--;
		slot = s->len;
	}
	s->seen++;
	s->changes++;
	reserve_slot(s);
	s->len = slot + 1;
	s->steps[slot] = step;
	return slot;
}

void tb_series_add_scalar(tb_series *s, int64_t step, double wall, double value)
{
	if (s->data_class != TB_DC_SCALAR)
		return;
	size_t i = make_slot(s, step);
	s->walls[i] = wall;
	s->values[i] = value;
}

void tb_series_add_tensor(tb_series *s, int64_t step, double wall, tb_tensor *t)
{
	if (s->data_class == TB_DC_SCALAR) {
		free(t);
		return;
	}
	size_t i = make_slot(s, step);
	s->walls[i] = wall;
	s->tensors[i] = t;
}

void tb_series_clear(tb_series *s)
{
	if (s->tensors)
		for (size_t i = 0; i < s->len; i++)
			free(s->tensors[i]);
	s->len = 0;
	s->seen = 0;
}
