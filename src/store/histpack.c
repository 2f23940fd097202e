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

/* Nonzero when element i of t has the bits of v as a t->dtype value. */
static int holds(const tb_tensor *t, size_t i, double v)
{
	float f = (float)v;
	const void *b = t->dtype == TB_DT_FLOAT ? (const void *)&f : (const void *)&v;
	return memcmp(t->data + i * t->elem_size, b, t->elem_size) == 0;
}

static int float_exact(double v)
{
	double back = (float)v;
	return memcmp(&back, &v, sizeof v) == 0;
}

/* The narrowest unsigned width holding every count exactly (-0.0 and
 * fractions do not), or 0. */
static unsigned count_width(const tb_tensor *t, size_t k)
{
	uint32_t max = 0;
	for (size_t i = 0; i < k; i++) {
		double c = tb_tensor_double(t, 3 * i + 2);
		if (!(c >= 0 && c <= 4294967295.0))
			return 0;
		uint32_t u = (uint32_t)c;
		if (!holds(t, 3 * i + 2, u))
			return 0;
		if (u > max)
			max = u;
	}
	return max < 256 ? 1 : max < 65536 ? 2 : 4;
}

static void put(uint8_t *p, unsigned w, uint64_t v)
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

static uint64_t get(const uint8_t *p, unsigned w)
{
	uint8_t b[8] = {0};
	memcpy(b, p, w);
	uint64_t v;
	memcpy(&v, b, 8);
	return v; /* little-endian, as the store is */
}

/* Store element i of t as an edge of w bytes: its own bytes, or a double
 * narrowed to the float it equals. Raw copies keep every NaN's bits. */
static void put_edge(uint8_t *p, unsigned w, const tb_tensor *t, size_t i)
{
	if (w == t->elem_size) {
		memcpy(p, t->data + i * w, w);
	} else {
		float f = (float)tb_tensor_double(t, i);
		memcpy(p, &f, 4);
	}
}

/* The inverse of put_edge, into element i of t. */
static void get_edge(tb_tensor *t, size_t i, const uint8_t *p, unsigned w)
{
	if (w == t->elem_size) {
		memcpy(t->data + i * w, p, w);
	} else {
		float f;
		memcpy(&f, p, 4);
		double d = f;
		memcpy(t->data + i * 8, &d, 8);
	}
}

tb_histpack *tb_histpack_new(const tb_tensor *t)
{
	if ((t->dtype != TB_DT_FLOAT && t->dtype != TB_DT_DOUBLE) || t->rank != 2 ||
	    t->dims[1] != 3 || t->dims[0] < 1 || t->dims[0] > UINT32_MAX)
		return NULL;
	size_t k = (size_t)t->dims[0], es = t->elem_size;
	int joined = 1, edges_float = t->dtype == TB_DT_FLOAT;
	for (size_t i = 0; i + 1 < k && joined; i++)
		joined = memcmp(t->data + (3 * i + 1) * es, t->data + 3 * (i + 1) * es, es) == 0;
	if (!edges_float) {
		edges_float = 1;
		for (size_t i = 0; i < k && edges_float; i++)
			edges_float = float_exact(tb_tensor_double(t, 3 * i)) &&
				      float_exact(tb_tensor_double(t, 3 * i + 1));
	}
	unsigned ew = edges_float ? 4 : 8, cw = count_width(t, k);
	size_t n_edges = joined ? k + 1 : 2 * k;
	size_t size = n_edges * ew + k * (cw ? cw : es);
	if (size >= 3 * k * es)
		return NULL;
	tb_histpack *p = tb_xmalloc(sizeof *p + size);
	*p = (tb_histpack){(uint32_t)k, (uint8_t)t->dtype, (uint8_t)ew, (uint8_t)cw,
			   (uint8_t)joined};
	uint8_t *e = p->data, *c = p->data + n_edges * ew;
	for (size_t i = 0; i < k; i++) {
		if (!joined || i == 0) {
			put_edge(e, ew, t, 3 * i);
			e += ew;
		}
		put_edge(e, ew, t, 3 * i + 1);
		e += ew;
		if (cw)
			put(c, cw, (uint64_t)tb_tensor_double(t, 3 * i + 2));
		else
			memcpy(c, t->data + (3 * i + 2) * es, es);
		c += cw ? cw : es;
	}
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
			memcpy(out->data + (3 * i + 2) * es, c, es);
		c += cw ? cw : es;
	}
}
