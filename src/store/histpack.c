/* Histogram packing (see histpack.h).
 *
 * Layout after the header: the edges (k + 1 when joined, else a left and a
 * right edge per row, as edge_w-byte floats or doubles), then k counts
 * (count_w-byte unsigned integers, or the dtype's own values when
 * count_w is 0). */
#include "histpack.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"

struct tb_histpack {
	uint32_t k;	 /* rows */
	uint8_t dtype;	 /* TB_DT_FLOAT or TB_DT_DOUBLE */
	uint8_t edge_w;	 /* 4: edges stored as floats; 8: as doubles */
	uint8_t count_w; /* 1, 2, 4: unsigned integers; 0: dtype values */
	uint8_t joined;	 /* 1: right edge i is left edge i + 1 */
	uint8_t data[];
};

/* Element i of a float (es 4) or double tensor as a double; *bits gets
 * its raw bits, so that equality checks are exact (NaNs, -0.0). */
static inline __attribute__((always_inline)) double value_at(const tb_tensor *t, size_t i,
							     size_t es, uint64_t *bits)
{
	if (es == 4) {
		uint32_t u;
		float f;
		memcpy(&u, t->data + 4 * i, 4);
		memcpy(&f, &u, 4);
		*bits = u;
		return f;
	}
	double d;
	memcpy(bits, t->data + 8 * i, 8);
	memcpy(&d, bits, 8);
	return d;
}

/* The raw bits of v as a float (size 4) or a double. */
static inline uint64_t bits_of(double v, size_t size)
{
	if (size == 4) {
		float f = (float)v;
		uint32_t u;
		memcpy(&u, &f, 4);
		return u;
	}
	uint64_t u;
	memcpy(&u, &v, 8);
	return u;
}

static inline void put(uint8_t *p, unsigned w, uint64_t v)
{
	if (w == 1) {
		*p = (uint8_t)v;
	} else if (w == 2) {
		uint16_t u = (uint16_t)v;
		memcpy(p, &u, 2);
	} else if (w == 4) {
		uint32_t u = (uint32_t)v;
		memcpy(p, &u, 4);
	} else {
		memcpy(p, &v, 8);
	}
}

/* Copy one element of size w (4 or 8) with a constant-size copy. */
static inline void copy_elem(uint8_t *to, const uint8_t *from, size_t w)
{
	if (w == 4)
		memcpy(to, from, 4);
	else
		memcpy(to, from, 8);
}

static uint64_t get(const uint8_t *p, unsigned w)
{
	if (w == 1)
		return *p;
	if (w == 2) {
		uint16_t u;
		memcpy(&u, p, 2);
		return u;
	}
	uint32_t u;
	memcpy(&u, p, 4);
	return u;
}

/* Store element i of t as an edge of w bytes: its own bytes, or a double
 * narrowed to the float it equals. Raw copies keep every NaN's bits. */
static inline __attribute__((always_inline)) void put_edge(uint8_t *p, unsigned w, size_t es,
							   const tb_tensor *t, size_t i)
{
	if (w == es) {
		copy_elem(p, t->data + i * w, w);
	} else {
		uint64_t bits;
		float f = (float)value_at(t, i, 8, &bits);
		memcpy(p, &f, 4);
	}
}

/* The inverse of put_edge, into element i of t. */
static void get_edge(tb_tensor *t, size_t i, const uint8_t *p, unsigned w)
{
	if (w == t->elem_size) {
		copy_elem(t->data + i * w, p, w);
	} else {
		float f;
		memcpy(&f, p, 4);
		double d = f;
		memcpy(t->data + i * 8, &d, 8);
	}
}

typedef struct packing {
	int joined, edges_float, whole;
	uint32_t max; /* the largest count, when whole */
} packing;

/* Note an edge of bits b (value v) in pk: still a float? */
static inline void see_edge(packing *pk, double v, uint64_t b, size_t es)
{
	pk->edges_float &= bits_of((float)v, es) == b;
}

/* Note a count of bits b (value c) in pk: still a whole number that an
 * unsigned 32-bit integer holds (no fraction, no -0.0)? */
static inline void see_count(packing *pk, double c, uint64_t b, size_t es)
{
	if (pk->whole & (c >= 0) & (c <= 4294967295.0)) { /* one branch; NaN fails both */
		uint32_t u = (uint32_t)c;
		pk->whole = bits_of(u, es) == b;
		pk->max = u > pk->max ? u : pk->max;
	} else {
		pk->whole = 0;
	}
}

/* Which packings keep every bit of t's k rows, in one pass; es is
 * t->elem_size, a constant at each call so that the loop is compiled once
 * per element type. */
static inline __attribute__((always_inline)) packing scan(const tb_tensor *t, size_t k, size_t es)
{
	packing pk = {1, 1, 1, 0};
	uint64_t right = 0;
	for (size_t i = 0; i < k; i++) {
		uint64_t lb, rb, cb;
		double l = value_at(t, 3 * i, es, &lb), r = value_at(t, 3 * i + 1, es, &rb);
		double c = value_at(t, 3 * i + 2, es, &cb);
		if (i == 0 || lb != right) { /* else l was seen as the last r */
			pk.joined &= i == 0;
			if (pk.edges_float)
				see_edge(&pk, l, lb, es);
		}
		right = rb;
		if (pk.edges_float) /* most edges are doubles: one test, then none */
			see_edge(&pk, r, rb, es);
		see_count(&pk, c, cb, es);
	}
	return pk;
}

/* A packed histogram of k rows laid out as pk allows, data unfilled; NULL
 * when that is no smaller than the tensor. */
static tb_histpack *alloc_pack(const packing *pk, size_t k, int dtype, size_t es)
{
	unsigned ew = es == 4 || pk->edges_float ? 4 : 8;
	unsigned cw = !pk->whole ? 0 : pk->max < 256 ? 1 : pk->max < 65536 ? 2 : 4;
	size_t n_edges = pk->joined ? k + 1 : 2 * k;
	size_t size = n_edges * ew + k * (cw ? cw : es);
	if (size >= 3 * k * es)
		return NULL;
	tb_histpack *p = tb_xmalloc(sizeof *p + size);
	*p = (tb_histpack){(uint32_t)k, (uint8_t)dtype, (uint8_t)ew, (uint8_t)cw,
			   (uint8_t)pk->joined};
	return p;
}

tb_histpack *tb_histpack_joined(const double *edges, const double *counts, size_t k)
{
	if (k < 1 || k > UINT32_MAX)
		return NULL;
	packing pk = {1, 1, 1, 0};
	for (size_t j = 0; j <= k; j++)
		see_edge(&pk, edges[j], bits_of(edges[j], 8), 8);
	for (size_t i = 0; i < k && pk.whole; i++)
		see_count(&pk, counts[i], bits_of(counts[i], 8), 8);
	tb_histpack *p = alloc_pack(&pk, k, TB_DT_DOUBLE, 8);
	if (!p)
		return NULL;
	unsigned ew = p->edge_w, cw = p->count_w;
	uint8_t *c = p->data + (k + 1) * ew;
	for (size_t j = 0; j <= k; j++) {
		if (ew == 4) {
			float f = (float)edges[j];
			memcpy(p->data + 4 * j, &f, 4);
		} else {
			memcpy(p->data + 8 * j, &edges[j], 8);
		}
	}
	for (size_t i = 0; i < k; i++) {
		if (cw)
			put(c + i * cw, cw, (uint32_t)counts[i]);
		else
			memcpy(c + 8 * i, &counts[i], 8);
	}
	return p;
}

/* Write t's k rows into p as p's header lays them out. es, ew (edge
 * width) and cw (count width) are constants at each call, so that each
 * layout gets a loop without their branches. */
static inline __attribute__((always_inline)) void fill(tb_histpack *p, const tb_tensor *t, size_t k,
						       size_t es, unsigned ew, unsigned cw)
{
	int joined = p->joined;
	size_t n_edges = joined ? k + 1 : 2 * k;
	uint8_t *e = p->data, *c = p->data + n_edges * ew;
	if (joined) { /* the first left edge, then each row's right one */
		put_edge(e, ew, es, t, 0);
		e += ew;
	}
	for (size_t i = 0; i < k; i++) {
		if (!joined) {
			put_edge(e, ew, es, t, 3 * i);
			e += ew;
		}
		put_edge(e, ew, es, t, 3 * i + 1);
		e += ew;
		if (cw) {
			uint64_t bits;
			put(c, cw, (uint32_t)value_at(t, 3 * i + 2, es, &bits));
		} else {
			copy_elem(c, t->data + (3 * i + 2) * es, es);
		}
		c += cw ? cw : es;
	}
}

static inline __attribute__((always_inline)) void fill_cw(tb_histpack *p, const tb_tensor *t,
							  size_t k, size_t es, unsigned ew)
{
	switch (p->count_w) {
	case 1:
		fill(p, t, k, es, ew, 1);
		break;
	case 2:
		fill(p, t, k, es, ew, 2);
		break;
	case 4:
		fill(p, t, k, es, ew, 4);
		break;
	default:
		fill(p, t, k, es, ew, 0);
	}
}

tb_histpack *tb_histpack_new(const tb_tensor *t)
{
	if ((t->dtype != TB_DT_FLOAT && t->dtype != TB_DT_DOUBLE) || t->rank != 2 ||
	    t->dims[1] != 3 || t->dims[0] < 1 || t->dims[0] > UINT32_MAX)
		return NULL;
	size_t k = (size_t)t->dims[0], es = t->elem_size;
	packing pk = es == 8 ? scan(t, k, 8) : scan(t, k, 4);
	tb_histpack *p = alloc_pack(&pk, k, t->dtype, es);
	if (!p)
		return NULL;
	if (es == 4)
		fill_cw(p, t, k, 4, 4);
	else if (p->edge_w == 8)
		fill_cw(p, t, k, 8, 8);
	else
		fill_cw(p, t, k, 8, 4);
	return p;
}

size_t tb_histpack_n(const tb_histpack *p)
{
	return 3 * (size_t)p->k;
}

static void set_elem(tb_tensor *t, size_t i, double v)
{
	if (t->dtype == TB_DT_FLOAT) {
		float f = (float)v;
		memcpy(t->data + 4 * i, &f, 4);
	} else {
		memcpy(t->data + 8 * i, &v, 8);
	}
}

void tb_histpack_unpack(tb_tensor *out, uint8_t **buf, size_t *cap, const tb_histpack *p)
{
	size_t k = p->k, es = p->dtype == TB_DT_FLOAT ? 4 : 8, bytes = 3 * k * es;
	if (*cap < bytes + 1) {
		free(*buf);
		*buf = tb_xmalloc(bytes + 1);
		*cap = bytes + 1;
	}
	memset(out, 0, sizeof *out);
	out->dtype = p->dtype;
	out->rank = 2;
	out->dims[0] = (int64_t)k;
	out->dims[1] = 3;
	out->n = 3 * k;
	out->elem_size = es;
	out->data = *buf;
	out->data_len = bytes;
	out->data[bytes] = 0; /* as tb_tensor_new leaves it */
	unsigned ew = p->edge_w, cw = p->count_w;
	size_t n_edges = p->joined ? k + 1 : 2 * k;
	const uint8_t *e = p->data, *c = p->data + n_edges * ew;
	for (size_t i = 0; i < k; i++) {
		get_edge(out, 3 * i, e, ew);
		e += ew;
		get_edge(out, 3 * i + 1, e, ew);
		if (!p->joined)
			e += ew;
		if (cw)
			set_elem(out, 3 * i + 2, (double)get(c, cw));
		else
			copy_elem(out->data + (3 * i + 2) * es, c, es);
		c += cw ? cw : es;
	}
}
