/* TensorProto -> canonical tensor (see tensor.h).
 *
 * Decoding is two passes over the message: the first finds dtype, shape and
 * where the values are; the second copies them into one allocation sized
 * for the result. Typed value fields may be split across several packed and
 * unpacked occurrences, so they are gathered field by field. */
#include "tensor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "pb_decode.h"

size_t tb_dtype_size(int dtype)
{
	switch (dtype) {
	case TB_DT_FLOAT:
	case TB_DT_INT32:
	case TB_DT_QINT32:
	case TB_DT_UINT32:
		return 4;
	case TB_DT_DOUBLE:
	case TB_DT_INT64:
	case TB_DT_UINT64:
	case TB_DT_COMPLEX64:
		return 8;
	case TB_DT_UINT8:
	case TB_DT_INT8:
	case TB_DT_BOOL:
	case TB_DT_QINT8:
	case TB_DT_QUINT8:
		return 1;
	case TB_DT_INT16:
	case TB_DT_UINT16:
	case TB_DT_QINT16:
	case TB_DT_QUINT16:
	case TB_DT_BFLOAT16:
	case TB_DT_HALF:
		return 2;
	case TB_DT_COMPLEX128:
		return 16;
	}
	return 0;
}

int tb_dtype_is_numeric(int dtype)
{
	return tb_dtype_size(dtype) != 0;
}

/* Which TensorProto field holds values of a dtype, and its element form. */
static uint32_t typed_field(int dtype)
{
	switch (dtype) {
	case TB_DT_FLOAT:
		return 5;
	case TB_DT_DOUBLE:
		return 6;
	case TB_DT_INT32:
	case TB_DT_UINT8:
	case TB_DT_INT16:
	case TB_DT_INT8:
	case TB_DT_UINT16:
	case TB_DT_QINT8:
	case TB_DT_QUINT8:
	case TB_DT_QINT32:
	case TB_DT_QINT16:
	case TB_DT_QUINT16:
		return 7;
	case TB_DT_STRING:
		return 8;
	case TB_DT_COMPLEX64:
		return 9;
	case TB_DT_INT64:
		return 10;
	case TB_DT_BOOL:
		return 11;
	case TB_DT_COMPLEX128:
		return 12;
	case TB_DT_HALF:
	case TB_DT_BFLOAT16:
		return 13;
	case TB_DT_UINT32:
		return 16;
	case TB_DT_UINT64:
		return 17;
	}
	return 0;
}

/* Wire width of one element in a packed typed field: 4 or 8 for fixed
 * encodings, 0 for varints. */
static int fixed_width(uint32_t field)
{
	switch (field) {
	case 5:
	case 9:
		return 4;
	case 6:
	case 12:
		return 8;
	}
	return 0;
}

typedef struct header {
	int dtype;
	int rank;
	int64_t dims[TB_TENSOR_MAX_RANK];
	int64_t n;
	tb_slice content;
	size_t typed_count; /* values in the typed field, elements for complex count per scalar */
	size_t string_bytes;
} header;

static int parse_shape(header *h, tb_slice in)
{
	tb_pb r = tb_pb_make(in);
	tb_pb_field f;
	int rc;
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		if (f.num != 2 || f.wire != TB_PB_LEN)
			continue;
		if (h->rank >= TB_TENSOR_MAX_RANK)
			return TB_ECORRUPT;
		int64_t size = 0;
		tb_pb d = tb_pb_make(f.len);
		tb_pb_field g;
		int rc2;
		while ((rc2 = tb_pb_next(&g, &d)) == 1)
			if (g.num == 1 && g.wire == TB_PB_VARINT)
				size = (int64_t)g.u;
		if (rc2 < 0)
			return rc2;
		h->dims[h->rank++] = size;
	}
	return rc;
}

static int count_varints(size_t *count, tb_slice s)
{
	size_t c = 0;
	for (size_t i = 0; i < s.len; i++)
		if (!(s.ptr[i] & 0x80))
			c++;
	if (s.len && (s.ptr[s.len - 1] & 0x80))
		return TB_ECORRUPT;
	*count += c;
	return 0;
}

/* The layout TensorFlow and the writers here give a dense tensor: dtype,
 * a shape whose dims hold at most a size, and a non-empty tensor_content
 * ending the message, each once and in that order. Returns 1 with h's
 * dtype, rank, dims and content set as the general loop below would set
 * them when in is exactly that; 0 (h partly set) for anything else, which
 * the general loop then reads. Saves that loop's field dispatch on the
 * histograms the loader packs. */
static int parse_common(header *h, tb_slice in)
{
	const uint8_t *end = in.ptr + in.len;
	tb_pb r = {in.ptr, end};
	uint64_t u;
	if (r.p == end || *r.p++ != 0x08 || tb_pb_varint(&u, &r))
		return 0;
	h->dtype = (int)(uint32_t)u;
	if (r.p == end || *r.p++ != 0x12 || tb_pb_varint(&u, &r) || u > (uint64_t)(end - r.p))
		return 0;
	const uint8_t *s = r.p, *s_end = r.p + u;
	while (s < s_end) { /* dims: 0x12 len [0x08 size] */
		if (*s != 0x12 || h->rank >= TB_TENSOR_MAX_RANK)
			return 0;
		tb_pb d = {s + 1, s_end};
		if (tb_pb_varint(&u, &d) || u > (uint64_t)(s_end - d.p))
			return 0;
		const uint8_t *d_end = d.p + u;
		int64_t size = 0;
		if (d.p < d_end) {
			d.end = d_end;
			if (*d.p++ != 0x08 || tb_pb_varint(&u, &d) || d.p != d_end)
				return 0;
			size = (int64_t)u;
		}
		h->dims[h->rank++] = size;
		s = d_end;
	}
	r.p = s_end;
	if (r.p == end || *r.p++ != 0x22 || tb_pb_varint(&u, &r) || !u ||
	    u != (uint64_t)(end - r.p))
		return 0;
	h->content = tb_slice_make(r.p, (size_t)u);
	return 1;
}

static int parse_header(header *h, tb_slice in)
{
	memset(h, 0, sizeof *h);
	tb_pb r = tb_pb_make(in);
	tb_pb_field f;
	int rc = 0;
	if (!parse_common(h, in)) {
		memset(h, 0, sizeof *h);
		/* dtype may follow the values on the wire, so find it first */
		while ((rc = tb_pb_next(&f, &r)) == 1) {
			if (f.num == 1 && f.wire == TB_PB_VARINT) {
				h->dtype = (int)(uint32_t)f.u;
			} else if (f.num == 2 && f.wire == TB_PB_LEN) {
				h->rank = 0;
				if ((rc = parse_shape(h, f.len)))
					return rc;
			} else if (f.num == 4 && f.wire == TB_PB_LEN) {
				h->content = f.len;
			}
		}
	}
	if (rc < 0)
		return rc;
	if (h->dtype >= 101)
		h->dtype -= 100; /* reference types */
	uint32_t field = typed_field(h->dtype);
	if (!field)
		return TB_ECORRUPT;
	h->n = 1;
	for (int i = 0; i < h->rank; i++) {
		if (h->dims[i] < 0)
			return TB_ECORRUPT;
		if (h->dims[i] && h->n > TB_TENSOR_MAX_ELEMS / h->dims[i])
			return TB_ECORRUPT;
		h->n *= h->dims[i];
	}
	if (h->content.len && h->dtype != TB_DT_STRING)
		return 0; /* the typed values are not read then */
	r = tb_pb_make(in);
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		if (f.num != field)
			continue;
		if (field == 8) {
			if (f.wire != TB_PB_LEN)
				return TB_ECORRUPT;
			h->typed_count++;
			h->string_bytes += f.len.len;
		} else if (f.wire == TB_PB_LEN) {
			int w = fixed_width(field);
			if (w) {
				if (f.len.len % (size_t)w)
					return TB_ECORRUPT;
				h->typed_count += f.len.len / (size_t)w;
			} else if (count_varints(&h->typed_count, f.len)) {
				return TB_ECORRUPT;
			}
		} else {
			h->typed_count++;
		}
	}
	return rc;
}

static void put_elem(uint8_t *dst, size_t size, uint64_t bits)
{
	for (size_t i = 0; i < size && i < 8; i++)
		dst[i] = (uint8_t)(bits >> (8 * i));
}

/* Copy the typed values (count of them) into dst as elements of `size`
 * bytes. Complex dtypes count two wire values per element. */
static int gather(uint8_t *dst, const header *h, tb_slice in, size_t size)
{
	uint32_t field = typed_field(h->dtype);
	int w = fixed_width(field);
	size_t wire_size = w ? (size_t)w : size; /* bytes per wire value once stored */
	if (h->dtype == TB_DT_COMPLEX64 || h->dtype == TB_DT_COMPLEX128)
		wire_size = size / 2;
	tb_pb r = tb_pb_make(in);
	tb_pb_field f;
	int rc;
	size_t k = 0;
	while ((rc = tb_pb_next(&f, &r)) == 1) {
		if (f.num != field)
			continue;
		if (f.wire == TB_PB_LEN && w) {
			memcpy(dst + k * wire_size, f.len.ptr, f.len.len);
			k += f.len.len / wire_size;
		} else if (f.wire == TB_PB_LEN) {
			tb_pb v = tb_pb_make(f.len);
			uint64_t x;
			while (v.p < v.end) {
				if (tb_pb_varint(&x, &v))
					return TB_ECORRUPT;
				put_elem(dst + k++ * wire_size, wire_size, x);
			}
		} else {
			put_elem(dst + k++ * wire_size, wire_size, f.u);
		}
	}
	return rc;
}

int tb_tensor_decode(tb_tensor **out, tb_slice in)
{
	header h;
	int rc = parse_header(&h, in);
	if (rc)
		return rc;
	size_t n = (size_t)h.n;
	tb_tensor *t;
	if (h.dtype == TB_DT_STRING) {
		if (h.typed_count != n && !(h.typed_count == 1 && n > 1))
			return TB_ECORRUPT;
		size_t bytes = h.typed_count == n ? h.string_bytes : h.string_bytes * n;
		if (h.typed_count == 1 && n > 1 && bytes / n != h.string_bytes)
			return TB_ECORRUPT;
		if (bytes > in.len && bytes > TB_TENSOR_MAX_BROADCAST)
			return TB_ECORRUPT;
		t = tb_xcalloc(1, sizeof *t + (n + 1) * sizeof(uint64_t) + bytes + 1);
		t->str_off = (uint64_t *)(t + 1);
		t->data = (uint8_t *)(t->str_off + n + 1);
		t->data_len = bytes;
		tb_pb r = tb_pb_make(in);
		tb_pb_field f;
		size_t k = 0, off = 0;
		while (tb_pb_next(&f, &r) == 1) {
			if (f.num != 8 || f.wire != TB_PB_LEN)
				continue;
			size_t reps = h.typed_count == n ? 1 : n;
			for (size_t i = 0; i < reps; i++) {
				memcpy(t->data + off, f.len.ptr, f.len.len);
				t->str_off[k++] = off;
				off += f.len.len;
			}
		}
		t->str_off[n] = off;
	} else {
		size_t size = tb_dtype_size(h.dtype);
		if (!size)
			return TB_ECORRUPT;
		if (h.content.len) {
			if (h.content.len != n * size)
				return TB_ECORRUPT;
		} else {
			size_t per =
			    (h.dtype == TB_DT_COMPLEX64 || h.dtype == TB_DT_COMPLEX128) ? 2 : 1;
			if (h.typed_count != n * per && !(h.typed_count == per && n > 1))
				return TB_ECORRUPT;
			if (n * size > 8 * in.len && n * size > TB_TENSOR_MAX_BROADCAST)
				return TB_ECORRUPT;
		}
		/* every element is written below: clear only the header */
		t = tb_xmalloc(sizeof *t + n * size + 1);
		memset(t, 0, sizeof *t);
		t->data = (uint8_t *)(t + 1);
		t->data[n * size] = 0;
		t->data_len = n * size;
		if (h.content.len) {
			memcpy(t->data, h.content.ptr, n * size);
		} else if (n) {
			if (gather(t->data, &h, in, size)) {
				free(t);
				return TB_ECORRUPT;
			}
			size_t per =
			    (h.dtype == TB_DT_COMPLEX64 || h.dtype == TB_DT_COMPLEX128) ? 2 : 1;
			if (h.typed_count == per && n > 1) /* broadcast the single value */
				for (size_t i = 1; i < n; i++)
					memcpy(t->data + i * size, t->data, size);
		}
		t->elem_size = size;
	}
	t->dtype = h.dtype;
	t->rank = h.rank;
	memcpy(t->dims, h.dims, sizeof h.dims);
	t->n = n;
	*out = t;
	return 0;
}

int tb_tensor_view(tb_tensor *out, tb_slice in)
{
	header h;
	if (parse_header(&h, in) || !h.content.len || h.dtype == TB_DT_STRING)
		return TB_EINVAL;
	size_t n = (size_t)h.n, size = tb_dtype_size(h.dtype);
	if (!size || h.content.len != n * size)
		return TB_EINVAL;
	memset(out, 0, sizeof *out);
	out->dtype = h.dtype;
	out->rank = h.rank;
	memcpy(out->dims, h.dims, sizeof h.dims);
	out->n = n;
	out->elem_size = size;
	out->data = (uint8_t *)h.content.ptr; /* read only, by the contract */
	out->data_len = h.content.len;
	return 0;
}

tb_tensor *tb_tensor_new(int dtype, int rank, const int64_t *dims, const void *data,
			 const tb_slice *strs)
{
	if (rank < 0 || rank > TB_TENSOR_MAX_RANK)
		return NULL;
	size_t n = 1;
	for (int i = 0; i < rank; i++) {
		if (dims[i] < 0)
			return NULL;
		n *= (size_t)dims[i];
	}
	tb_tensor *t;
	if (dtype == TB_DT_STRING) {
		size_t bytes = 0;
		for (size_t i = 0; i < n; i++)
			bytes += strs[i].len;
		t = tb_xcalloc(1, sizeof *t + (n + 1) * sizeof(uint64_t) + bytes + 1);
		t->str_off = (uint64_t *)(t + 1);
		t->data = (uint8_t *)(t->str_off + n + 1);
		size_t off = 0;
		for (size_t i = 0; i < n; i++) {
			t->str_off[i] = off;
			if (strs[i].len)
				memcpy(t->data + off, strs[i].ptr, strs[i].len);
			off += strs[i].len;
		}
		t->str_off[n] = off;
		t->data_len = off;
	} else {
		size_t size = tb_dtype_size(dtype);
		if (!size)
			return NULL;
		/* every element is written below: clear only the header */
		t = tb_xmalloc(sizeof *t + n * size + 1);
		memset(t, 0, sizeof *t);
		t->data = (uint8_t *)(t + 1);
		t->data[n * size] = 0;
		t->data_len = n * size;
		t->elem_size = size;
		if (n)
			memcpy(t->data, data, n * size);
	}
	t->dtype = dtype;
	t->rank = rank;
	for (int i = 0; i < rank; i++)
		t->dims[i] = dims[i];
	t->n = n;
	return t;
}

static double half_to_double(uint16_t h)
{
	int exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
	double v;
	if (exp == 0)
		v = ldexp(mant, -24);
	else if (exp == 31)
		v = mant ? NAN : INFINITY;
	else
		v = ldexp(mant | 0x400, exp - 25);
	return (h & 0x8000) ? -v : v;
}

static double elem_double(int dtype, const uint8_t *p)
{
	uint64_t u = 0;
	size_t size = tb_dtype_size(dtype);
	for (size_t i = 0; i < size && i < 8; i++)
		u |= (uint64_t)p[i] << (8 * i);
	switch (dtype) {
	case TB_DT_FLOAT:
	case TB_DT_COMPLEX64: {
		uint32_t b = (uint32_t)u;
		float f;
		memcpy(&f, &b, 4);
		return f;
	}
	case TB_DT_DOUBLE:
	case TB_DT_COMPLEX128: {
		double d;
		memcpy(&d, p, 8);
		return d;
	}
	case TB_DT_INT32:
	case TB_DT_QINT32:
		return (int32_t)(uint32_t)u;
	case TB_DT_UINT32:
		return (uint32_t)u;
	case TB_DT_INT64:
		return (double)(int64_t)u;
	case TB_DT_UINT64:
		return (double)u;
	case TB_DT_INT16:
	case TB_DT_QINT16:
		return (int16_t)(uint16_t)u;
	case TB_DT_UINT16:
	case TB_DT_QUINT16:
		return (uint16_t)u;
	case TB_DT_INT8:
	case TB_DT_QINT8:
		return (int8_t)(uint8_t)u;
	case TB_DT_UINT8:
	case TB_DT_QUINT8:
		return (uint8_t)u;
	case TB_DT_BOOL:
		return u ? 1.0 : 0.0;
	case TB_DT_HALF:
		return half_to_double((uint16_t)u);
	case TB_DT_BFLOAT16: {
		uint32_t b = (uint32_t)(uint16_t)u << 16;
		float f;
		memcpy(&f, &b, 4);
		return f;
	}
	}
	return NAN;
}

double tb_tensor_double(const tb_tensor *t, size_t i)
{
	if (i >= t->n || !t->elem_size)
		return NAN;
	return elem_double(t->dtype, t->data + i * t->elem_size);
}

tb_slice tb_tensor_str(const tb_tensor *t, size_t i)
{
	if (!t->str_off || i >= t->n)
		return tb_slice_make(NULL, 0);
	return tb_slice_make(t->data + t->str_off[i], (size_t)(t->str_off[i + 1] - t->str_off[i]));
}

int tb_tensor_scalar(double *out, tb_slice in)
{
	header h;
	int rc = parse_header(&h, in);
	if (rc)
		return rc;
	if (h.n != 1 || h.dtype == TB_DT_STRING || h.dtype == TB_DT_COMPLEX64 ||
	    h.dtype == TB_DT_COMPLEX128)
		return TB_ECORRUPT;
	size_t size = tb_dtype_size(h.dtype);
	uint8_t elem[8];
	if (h.content.len) {
		if (h.content.len != size)
			return TB_ECORRUPT;
		memcpy(elem, h.content.ptr, size);
	} else {
		if (h.typed_count != 1 || gather(elem, &h, in, size))
			return TB_ECORRUPT;
	}
	*out = elem_double(h.dtype, elem);
	return 0;
}
