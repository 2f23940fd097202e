/* Runs, series and reservoir sampling (see store.h).
 *
 * The reservoir follows upstream's Python loader exactly (LOADING.md 10.2,
 * CPython's random.Random(0) per series), so that on the same files tboard
 * keeps the same points upstream shows; on top of it every offer first drops
 * retained points at or after the offered step (LOADING.md 11.1), which
 * keeps steps strictly increasing. */
#include "store_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "histpack.h"
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

/* The point readers of store.h, inlined where the store reads its own
 * points (the loader's offers binary-search and re-pack through them). */
static inline tb_points points_of(const tb_series *s)
{
	return (tb_points){s->len, s->start, s->pk, s->steps_pk, s->walls_pk, s->values_pk};
}

static inline int64_t step_at(const tb_series *s, size_t i)
{
	/* tb_points_step without the view: every offer reads the last step */
	return (int64_t)((uint64_t)s->pk.step0 + tb_pk_get(s->steps_pk, s->pk.step_w, s->start + i));
}

static inline double wall_at(const tb_series *s, size_t i)
{
	tb_points p = points_of(s);
	return tb_points_wall(&p, i);
}

static inline double value_at(const tb_series *s, size_t i)
{
	tb_points p = points_of(s);
	return tb_points_value(&p, i);
}

/* A tensor slot holds a tb_tensor pointer, a tb_histpack pointer with
 * bit 1 set, or a deferred value (bit 0, store.h). */
#define SLOT_PACKED ((uintptr_t)2)

/* Free a point's tensor; a deferred value owns nothing. */
static void drop_tensor(uintptr_t t)
{
	if (!TB_TENSOR_IS_DEFERRED(t))
		free((void *)(t & ~SLOT_PACKED));
}

/* The slot for t (taken): packed when it is a histogram that packs. */
static uintptr_t tensor_slot(tb_tensor *t)
{
	if (TB_TENSOR_IS_DEFERRED(t))
		return (uintptr_t)t;
	tb_histpack *p = tb_histpack_new(t);
	if (!p)
		return (uintptr_t)t;
	free(t);
	return (uintptr_t)p | SLOT_PACKED;
}

static void series_free(tb_series *s)
{
	if (s->tensors)
		for (size_t i = 0; i < s->len; i++)
			drop_tensor(s->tensors[i]);
	free(s->tag);
	free(s->plugin);
	free(s->display_name);
	free(s->description);
	free(s->content);
	free(s->block);
	free(s->rng);
	free(s);
}

static void run_free(tb_run *r)
{
	for (size_t i = 0; i < r->n_series; i++)
		series_free(r->series[i]);
	free(r->series);
	tb_idxset_free(&r->index);
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

tb_series *tb_run_series_w(tb_run *r, const char *tag, size_t tag_len)
{
	uint64_t h = tb_hash_bytes(TB_HASH_SEED, tag, tag_len);
	size_t pos = 0, k;
	while ((k = tb_idxset_next(&r->index, h, &pos))) {
		tb_series *s = r->series[k - 1];
		if (s->tag_len == tag_len && (!tag_len || memcmp(s->tag, tag, tag_len) == 0))
			return s;
	}
	return NULL;
}

const tb_series *tb_run_find_series(const tb_run *r, const char *tag, size_t tag_len)
{
	return tb_run_series_w((tb_run *)r, tag, tag_len);
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
	if (tb_idxset_add(&r->index, tb_hash_bytes(TB_HASH_SEED, tag, tag_len), r->n_series - 1))
		abort(); /* out of memory: the server stops (alloc.h) */
	return s;
}

void tb_series_points(tb_points *out, const tb_series *s)
{
	*out = points_of(s);
}

int64_t tb_series_step(const tb_series *s, size_t i)
{
	return step_at(s, i);
}

double tb_series_wall(const tb_series *s, size_t i)
{
	return wall_at(s, i);
}

double tb_series_value(const tb_series *s, size_t i)
{
	return value_at(s, i);
}

size_t tb_series_lower_bound(const tb_series *s, int64_t step)
{
	size_t lo = 0, hi = s->len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (step_at(s, mid) < step)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* out[i] = base + the unsigned w-byte slot i of p, for i < n: one loop per
 * width, so each vectorises. */
static void unpack(int64_t *out, const uint8_t *p, unsigned w, size_t n, uint64_t base)
{
	switch (w) {
	case 1:
		for (size_t i = 0; i < n; i++)
			out[i] = (int64_t)(base + p[i]);
		break;
	case 2:
		for (size_t i = 0; i < n; i++) {
			uint16_t v;
			memcpy(&v, p + 2 * i, 2);
			out[i] = (int64_t)(base + v);
		}
		break;
	case 4:
		for (size_t i = 0; i < n; i++) {
			uint32_t v;
			memcpy(&v, p + 4 * i, 4);
			out[i] = (int64_t)(base + v);
		}
		break;
	default:
		for (size_t i = 0; i < n; i++) {
			uint64_t v;
			memcpy(&v, p + 8 * i, 8);
			out[i] = (int64_t)(base + v);
		}
	}
}

void tb_series_copy(const tb_series *s, size_t i0, size_t i1, int64_t *steps, double *values)
{
	size_t k = s->start + i0, n = i1 - i0;
	if (steps)
		unpack(steps, s->steps_pk + k * s->pk.step_w, s->pk.step_w, n,
		       (uint64_t)s->pk.step0);
	if (s->pk.value_w == 8) {
		memcpy(values, s->values_pk + 8 * k, 8 * n);
		return;
	}
	const uint8_t *p = s->values_pk + 4 * k;
	for (size_t i = 0; i < n; i++) {
		float f;
		memcpy(&f, p + 4 * i, 4);
		values[i] = f;
	}
}

/* Drop retained points with step >= step, rescaling `seen` as upstream's
 * purge does (round half to even of seen * kept / before). */
static void preempt(tb_series *s, int64_t step)
{
	size_t lo = tb_series_lower_bound(s, step);
	size_t before = s->len;
	if (s->tensors)
		for (size_t i = lo; i < before; i++)
			drop_tensor(s->tensors[i]);
	s->len = lo;
	s->seen = (uint64_t)nearbyint((double)s->seen * (double)lo / (double)before);
}

static void pk_set(uint8_t *p, unsigned w, size_t i, uint64_t v)
{
	switch (w) {
	case 1:
		p[i] = (uint8_t)v;
		break;
	case 2: {
		uint16_t x = (uint16_t)v;
		memcpy(p + 2 * i, &x, 2);
		break;
	}
	case 4: {
		uint32_t x = (uint32_t)v;
		memcpy(p + 4 * i, &x, 4);
		break;
	}
	default:
		memcpy(p + 8 * i, &v, 8);
	}
}

/* The narrowest width holding v as unsigned (is_signed = 0) or signed. */
static unsigned pk_width(uint64_t v, int is_signed)
{
	if (is_signed) {
		int64_t x = (int64_t)v;
		return x == (int8_t)x ? 1 : x == (int16_t)x ? 2 : x == (int32_t)x ? 4 : 8;
	}
	return v <= UINT8_MAX ? 1 : v <= UINT16_MAX ? 2 : v <= UINT32_MAX ? 4 : 8;
}

static uint64_t wall_bits(double wall)
{
	uint64_t b;
	memcpy(&b, &wall, sizeof b);
	return b;
}

static int value_is_float(double v)
{
	double back = (double)(float)v;
	return memcmp(&back, &v, sizeof v) == 0;
}

/* A point in packed form under layout L. */
typedef struct {
	uint64_t step, resid;
} pk_point;

static pk_point pk_encode(const tb_series_layout *L, int64_t step, double wall)
{
	uint64_t d = (uint64_t)step - (uint64_t)L->step0;
	return (pk_point){d, wall_bits(wall) - L->wall0 - (uint64_t)L->slope * d};
}

static int pk_fits(const tb_series_layout *L, pk_point p, double value, int scalar)
{
	return pk_width(p.step, 0) <= L->step_w && pk_width(p.resid, 1) <= L->wall_w &&
	       (!scalar || L->value_w == 8 || value_is_float(value));
}

static size_t block_size(const tb_series *s, const tb_series_layout *L, size_t alloc)
{
	size_t per = (size_t)L->step_w + L->wall_w +
		     (s->data_class == TB_DC_SCALAR ? L->value_w : sizeof(uintptr_t));
	return alloc * per;
}

/* Re-pack every point into a new block of `alloc` slots under layout L
 * (the points then start at slot 0). */
static void repack(tb_series *s, const tb_series_layout *L, size_t alloc)
{
	uint8_t *blk = tb_xmalloc(block_size(s, L, alloc));
	int scalar = s->data_class == TB_DC_SCALAR;
	/* the tensor pointers first, so they stay aligned */
	uintptr_t *tensors = scalar ? NULL : (uintptr_t *)blk;
	uint8_t *steps = blk + (scalar ? 0 : alloc * sizeof *tensors);
	uint8_t *walls = steps + alloc * L->step_w;
	uint8_t *values = scalar ? walls + alloc * L->wall_w : NULL;
	for (size_t i = 0; i < s->len; i++) {
		pk_point p = pk_encode(L, step_at(s, i), wall_at(s, i));
		pk_set(steps, L->step_w, i, p.step);
		pk_set(walls, L->wall_w, i, p.resid);
		if (!scalar)
			continue;
		double v = value_at(s, i);
		if (L->value_w == 4) {
			float f = (float)v;
			memcpy(values + 4 * i, &f, 4);
		} else {
			memcpy(values + 8 * i, &v, 8);
		}
	}
	if (tensors && s->len)
		memcpy(tensors, s->tensors, s->len * sizeof *tensors);
	free(s->block);
	s->block = blk;
	s->pk = *L;
	s->alloc = alloc;
	s->start = 0;
	s->steps_pk = steps;
	s->walls_pk = walls;
	s->values_pk = values;
	s->tensors = tensors;
}

/* A layout that holds every kept point and the new one: the old layout
 * widened, its wall line refitted through the first and the new point when
 * the series has doubled since the last fit. */
static tb_series_layout widen(tb_series *s, const tb_series_layout *from, int64_t step, double wall,
			      double value)
{
	tb_series_layout L = *from;
	if (s->len && s->len >= 2 * s->fit_len) {
		uint64_t b0 = wall_bits(wall_at(s, 0));
		uint64_t d0 = (uint64_t)step_at(s, 0) - (uint64_t)L.step0;
		uint64_t d1 = (uint64_t)step - (uint64_t)L.step0;
		int64_t span = (int64_t)(d1 - d0);
		L.slope = span > 0 ? (int64_t)(wall_bits(wall) - b0) / span : 0;
		L.wall0 = b0 - (uint64_t)L.slope * d0;
		s->fit_len = s->len;
	}
	unsigned ww = 1;
	for (size_t i = 0; i <= s->len; i++) {
		pk_point p = i < s->len ? pk_encode(&L, step_at(s, i), wall_at(s, i))
					: pk_encode(&L, step, wall);
		unsigned w = pk_width(p.resid, 1);
		ww = w > ww ? w : ww;
	}
	pk_point p = pk_encode(&L, step, wall);
	unsigned sw = pk_width(p.step, 0);
	L.step_w = sw > L.step_w ? (uint8_t)sw : L.step_w;
	L.wall_w = ww > L.wall_w ? (uint8_t)ww : L.wall_w;
	if (s->data_class == TB_DC_SCALAR && !value_is_float(value))
		L.value_w = 8;
	return L;
}

/* Remove point i, moving whichever side of it is shorter. */
static void remove_at(tb_series *s, size_t i)
{
	if (s->tensors)
		drop_tensor(s->tensors[i]);
	uint8_t *col[3] = {s->steps_pk, s->walls_pk, s->values_pk};
	unsigned w[3] = {s->pk.step_w, s->pk.wall_w, s->pk.value_w};
	size_t k = s->start + i;
	if (i < s->len / 2) {
		for (int c = 0; c < 3; c++)
			if (col[c])
				memmove(col[c] + (s->start + 1) * w[c], col[c] + s->start * w[c],
					i * w[c]);
		if (s->tensors) {
			memmove(s->tensors + 1, s->tensors, i * sizeof *s->tensors);
			s->tensors++;
		}
		s->start++;
	} else {
		size_t tail = s->len - i - 1;
		for (int c = 0; c < 3; c++)
			if (col[c])
				memmove(col[c] + k * w[c], col[c] + (k + 1) * w[c], tail * w[c]);
		if (s->tensors)
			memmove(s->tensors + i, s->tensors + i + 1, tail * sizeof *s->tensors);
	}
	s->len--;
}

/* Make room for one more point at the end under layout L; changed is 0
 * when L is a copy of the series' layout (the common case: no comparing). */
static void reserve_slot(tb_series *s, const tb_series_layout *L, int changed)
{
	const tb_series_layout *o = &s->pk;
	int same = s->block && (!changed || (L->step0 == o->step0 && L->wall0 == o->wall0 &&
					     L->slope == o->slope && L->step_w == o->step_w &&
					     L->wall_w == o->wall_w && L->value_w == o->value_w));
	if (same && s->start + s->len < s->alloc)
		return;
	if (same && s->start > 0) {
		/* recentre: the block has room at the front */
		uint8_t *col[3] = {s->steps_pk, s->walls_pk, s->values_pk};
		unsigned w[3] = {o->step_w, o->wall_w, o->value_w};
		for (int c = 0; c < 3; c++)
			if (col[c])
				memmove(col[c], col[c] + s->start * w[c], s->len * w[c]);
		if (s->tensors) {
			memmove(s->tensors - s->start, s->tensors, s->len * sizeof *s->tensors);
			s->tensors -= s->start;
		}
		s->start = 0;
		return;
	}
	size_t want = s->alloc;
	if (s->len + 1 > s->alloc) {
		want = s->alloc ? s->alloc + s->alloc / 2 : 8; /* 1.5x: less slack */
		/* a bounded reservoir needs one spare slot beyond its capacity
		 * so a removal at the front never forces a copy of the whole
		 * buffer */
		if (s->capacity && want > s->capacity + s->capacity / 8 + 1)
			want = (size_t)(s->capacity + s->capacity / 8 + 1);
		if (want <= s->len)
			want = s->len + 1;
	}
	repack(s, L, want);
}

/* Decide where a new point goes: returns the slot index to write (len for
 * an append), after making room. */
static size_t make_slot(tb_series *s, int64_t step, double wall, double value)
{
	if (s->len && step_at(s, s->len - 1) >= step)
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
			drop_tensor(s->tensors[--s->len]);
		else
			s->len--;
		slot = s->len;
	}
	s->seen++;
	s->changes++;
	tb_series_layout L = s->pk;
	int changed = 0;
	if (!s->len) {
		/* an empty series starts over at the narrowest layout */
		L = (tb_series_layout){step, wall_bits(wall), 0, 1, 1, 4};
		s->fit_len = 0;
		changed = 1;
	}
	int scalar = s->data_class == TB_DC_SCALAR;
	pk_point p = pk_encode(&L, step, wall);
	if (!pk_fits(&L, p, value, scalar)) {
		L = widen(s, &L, step, wall, value);
		p = pk_encode(&L, step, wall);
		changed = 1;
	}
	/* (comparing the layouts field by field on every point cost a
	 * store-forwarding stall: two byte fields stored, read back as one
	 * word) */
	reserve_slot(s, &L, changed);
	size_t k = s->start + slot;
	pk_set(s->steps_pk, L.step_w, k, p.step);
	pk_set(s->walls_pk, L.wall_w, k, p.resid);
	if (scalar) {
		if (L.value_w == 4) {
			float f = (float)value;
			memcpy(s->values_pk + 4 * k, &f, 4);
		} else {
			memcpy(s->values_pk + 8 * k, &value, 8);
		}
	}
	s->len = slot + 1;
	return slot;
}

void tb_series_add_scalar(tb_series *s, int64_t step, double wall, double value)
{
	if (s->data_class != TB_DC_SCALAR)
		return;
	make_slot(s, step, wall, value);
}

void tb_series_add_tensor(tb_series *s, int64_t step, double wall, tb_tensor *t)
{
	if (s->data_class == TB_DC_SCALAR) {
		drop_tensor((uintptr_t)t);
		return;
	}
	size_t i = make_slot(s, step, wall, 0);
	s->tensors[i] = tensor_slot(t);
}

void tb_series_set_tensor(tb_series *s, size_t i, tb_tensor *t)
{
	drop_tensor(s->tensors[i]);
	s->tensors[i] = tensor_slot(t);
}

void tb_series_set_tensor_unpacked(tb_series *s, size_t i, tb_tensor *t)
{
	drop_tensor(s->tensors[i]);
	s->tensors[i] = (uintptr_t)t;
}

void tb_series_pack(tb_series *s, size_t i)
{
	uintptr_t v = s->tensors[i];
	if (!TB_TENSOR_IS_DEFERRED(v) && !(v & SLOT_PACKED))
		s->tensors[i] = tensor_slot((tb_tensor *)v);
}

uintptr_t tb_series_slot(const tb_series *s, size_t i)
{
	return s->tensors[i];
}

void tb_series_set_histpack(tb_series *s, size_t i, tb_histpack *p)
{
	drop_tensor(s->tensors[i]);
	s->tensors[i] = (uintptr_t)p | SLOT_PACKED;
}

const tb_tensor *tb_series_tensor(const tb_series *s, size_t i, tb_tensor_tmp *tmp)
{
	uintptr_t v = s->tensors[i];
	if (!(v & SLOT_PACKED))
		return (const tb_tensor *)v;
	tb_histpack_unpack(&tmp->t, &tmp->buf, &tmp->cap, (const tb_histpack *)(v & ~SLOT_PACKED));
	return &tmp->t;
}

size_t tb_series_tensor_n(const tb_series *s, size_t i)
{
	uintptr_t v = s->tensors[i];
	if (v & SLOT_PACKED)
		return tb_histpack_n((const tb_histpack *)(v & ~SLOT_PACKED));
	return ((const tb_tensor *)v)->n;
}

void tb_tensor_tmp_free(tb_tensor_tmp *tmp)
{
	free(tmp->buf);
	tmp->buf = NULL;
	tmp->cap = 0;
}

void tb_series_clear(tb_series *s)
{
	if (s->tensors)
		for (size_t i = 0; i < s->len; i++)
			drop_tensor(s->tensors[i]);
	s->len = 0;
	s->seen = 0;
}

void tb_series_remove(tb_series *s, size_t i)
{
	remove_at(s, i);
	s->changes++;
}

/* --- reading (store.h) --------------------------------------------------- */

void tb_reader_begin(tb_reader *rd, tb_store *s)
{
	*rd = (tb_reader){.store = s};
	tb_store_rdlock(s);
}

void tb_reader_release(tb_reader *rd)
{
	if (rd->all)
		for (size_t i = 0; i < rd->store->n_runs; i++)
			tb_run_unlock(rd->store->runs[i]);
	for (size_t i = 0; i < rd->n_held; i++)
		tb_run_unlock(rd->held[i]);
	rd->n_held = 0;
	rd->all = 0;
}

void tb_reader_end(tb_reader *rd)
{
	tb_reader_release(rd);
	free(rd->held);
	tb_store_unlock(rd->store);
	*rd = (tb_reader){0};
}

const tb_run *tb_reader_hold(tb_reader *rd, const tb_run *r)
{
	if (!r || rd->all)
		return r;
	/* a request holds one or two runs at a time: the list stays short */
	for (size_t i = rd->n_held; i-- > 0;)
		if (rd->held[i] == r)
			return r;
	rd->held = tb_xgrow(rd->held, &rd->held_alloc, rd->n_held + 1, sizeof *rd->held);
	rd->held[rd->n_held++] = (tb_run *)r;
	tb_run_rdlock((tb_run *)r);
	return r;
}

void tb_reader_hold_all(tb_reader *rd)
{
	if (rd->all)
		return;
	tb_reader_release(rd);
	for (size_t i = 0; i < rd->store->n_runs; i++)
		tb_run_rdlock(rd->store->runs[i]);
	rd->all = 1;
}

size_t tb_reader_run_count(const tb_reader *rd)
{
	return rd->store->n_runs;
}

const tb_run *tb_reader_run_at(tb_reader *rd, size_t i)
{
	return tb_reader_hold(rd, tb_store_run_at(rd->store, i));
}

const char *tb_reader_run_name(const tb_reader *rd, size_t i)
{
	return rd->store->runs[i]->name;
}

const tb_run *tb_reader_find_run(tb_reader *rd, const char *name)
{
	return name ? tb_reader_hold(rd, tb_store_find_run(rd->store, name)) : NULL;
}

const tb_run *tb_reader_next_run(tb_reader *rd, size_t *pos)
{
	if (!rd->all)
		tb_reader_release(rd);
	if (*pos >= rd->store->n_runs)
		return NULL;
	return tb_reader_run_at(rd, (*pos)++);
}

const char *tb_run_name(const tb_run *r)
{
	return r->name;
}

uint64_t tb_run_uid(const tb_run *r)
{
	return r->uid;
}

int tb_run_start_time(double *out, const tb_run *r)
{
	*out = r->has_start ? r->start_time : 0;
	return r->has_start;
}

size_t tb_run_series_count(const tb_run *r)
{
	return r->n_series;
}

const tb_series *tb_run_series_at(const tb_run *r, size_t i)
{
	return r->series[i];
}

const tb_series *tb_run_next_series(const tb_run *r, size_t *pos, const char *plugin, int dc)
{
	while (*pos < r->n_series) {
		const tb_series *s = r->series[(*pos)++];
		if ((dc < 0 || s->data_class == dc) && (!plugin || strcmp(s->plugin, plugin) == 0))
			return s;
	}
	return NULL;
}

const char *tb_series_tag(const tb_series *s)
{
	return s->tag;
}

size_t tb_series_tag_len(const tb_series *s)
{
	return s->tag_len;
}

const char *tb_series_plugin(const tb_series *s)
{
	return s->plugin;
}

int tb_series_data_class(const tb_series *s)
{
	return s->data_class;
}

const char *tb_series_display_name(const tb_series *s)
{
	return s->display_name;
}

const char *tb_series_description(const tb_series *s)
{
	return s->description;
}

tb_slice tb_series_content(const tb_series *s)
{
	return tb_slice_make(s->content, s->content_len);
}

size_t tb_series_len(const tb_series *s)
{
	return s->len;
}

uint64_t tb_series_changes(const tb_series *s)
{
	return s->changes;
}
