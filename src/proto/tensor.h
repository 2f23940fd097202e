/* TensorProto decoding into an owned, canonical tensor (spec FORMAT.md 7).
 *
 * Whatever layout the writer chose (tensor_content, packed or unpacked typed
 * fields, a single value broadcast over the shape), the result holds the n
 * elements row-major as little-endian values of the dtype's own size, or,
 * for DT_STRING, n byte strings. One allocation per tensor: stored points
 * are freed with a single free(). */
#ifndef TB_TENSOR_H
#define TB_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

enum tb_dtype {
	TB_DT_INVALID = 0,
	TB_DT_FLOAT = 1,
	TB_DT_DOUBLE = 2,
	TB_DT_INT32 = 3,
	TB_DT_UINT8 = 4,
	TB_DT_INT16 = 5,
	TB_DT_INT8 = 6,
	TB_DT_STRING = 7,
	TB_DT_COMPLEX64 = 8,
	TB_DT_INT64 = 9,
	TB_DT_BOOL = 10,
	TB_DT_QINT8 = 11,
	TB_DT_QUINT8 = 12,
	TB_DT_QINT32 = 13,
	TB_DT_BFLOAT16 = 14,
	TB_DT_QINT16 = 15,
	TB_DT_QUINT16 = 16,
	TB_DT_UINT16 = 17,
	TB_DT_COMPLEX128 = 18,
	TB_DT_HALF = 19,
	TB_DT_UINT32 = 22,
	TB_DT_UINT64 = 23,
};

#define TB_TENSOR_MAX_RANK 16
/* Tensors with more elements than this are treated as corrupt. */
#define TB_TENSOR_MAX_ELEMS ((int64_t)1 << 31)
/* A single value broadcast over a shape (FORMAT.md 7.4 rule 3) may not
 * expand beyond this many bytes: it is the one way a small message could
 * ask for a huge allocation. */
#define TB_TENSOR_MAX_BROADCAST ((size_t)16 << 20)

typedef struct tb_tensor {
	int dtype;
	int rank;
	int64_t dims[TB_TENSOR_MAX_RANK];
	size_t n;	  /* element count */
	size_t elem_size; /* bytes per element; 0 for DT_STRING */
	uint8_t *data;	  /* numeric: n * elem_size bytes; strings: their bytes */
	size_t data_len;
	uint64_t *str_off; /* DT_STRING: n + 1 offsets into data, else NULL */
} tb_tensor;

/* Decode a TensorProto into a new tensor owned by the caller (free()).
 * Returns 0, or TB_ECORRUPT for malformed input, an element count that does
 * not match the shape (FORMAT.md 7.4 rule 4), or an unsupported dtype. */
int tb_tensor_decode(tb_tensor **out, tb_slice in);

/* The TensorProto in as *out without copying: out->data points into in
 * (read it only while in lives; it may be unaligned, and out->data[n] is
 * not a 0 byte as in a decoded tensor). Only numeric values held in
 * tensor_content, as TensorFlow and libtboard write them, can be viewed.
 * Returns 0, TB_EINVAL when they cannot (decode with tb_tensor_decode, which
 * also sorts out malformed input). */
int tb_tensor_view(tb_tensor *out, tb_slice in);

/* Build a tensor from parts (copies data). For DT_STRING pass the strings
 * as `strs` (n of them) and data = NULL. Returns NULL if n does not match
 * the dims. */
tb_tensor *tb_tensor_new(int dtype, int rank, const int64_t *dims, const void *data,
			 const tb_slice *strs);

/* Element i as a double (numeric dtypes; complex: real part; bool 0/1). */
double tb_tensor_double(const tb_tensor *t, size_t i);
/* String element i (DT_STRING only). */
tb_slice tb_tensor_str(const tb_tensor *t, size_t i);
/* Bytes per element of a numeric dtype, 0 for strings or unknown dtypes. */
size_t tb_dtype_size(int dtype);
/* Nonzero for dtypes with a real numeric value. */
int tb_dtype_is_numeric(int dtype);

/* Fast path for scalar series: the single element of a numeric tensor with
 * exactly one element, as a double, without allocating. Returns 0, or
 * TB_ECORRUPT when the tensor is malformed or not a one-element number. */
int tb_tensor_scalar(double *out, tb_slice in);

#endif
