/* Streaming Parquet writer (see parquet.h). The layout follows the
 * parquet-format specification (apache/parquet-format, Encodings.md and
 * parquet.thrift); the footer is Thrift's compact protocol, written by the
 * few helpers below since no Debian package writes Parquet from C.
 *
 * A row group is buffered column by column (numbers as PLAIN bytes, strings
 * as dictionary indices with the dictionary beside them, one definition
 * level byte per row for optional columns) and written when it holds
 * TB_TABLE_GROUP_ROWS rows or at finish; only the row groups' offsets and
 * sizes stay for the footer. */
#include "parquet.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hash.h"
#include "tboard/version.h"

/* parquet.thrift enum values */
enum { PQ_INT64 = 2, PQ_DOUBLE = 5, PQ_BYTE_ARRAY = 6 };
enum { PQ_PLAIN = 0, PQ_PLAIN_DICTIONARY = 2, PQ_RLE = 3, PQ_RLE_DICTIONARY = 8 };
enum { PQ_DATA_PAGE = 0, PQ_DICTIONARY_PAGE = 2 };
enum { PQ_UNCOMPRESSED = 0, PQ_GZIP = 2 };

/* Thrift compact protocol type ids */
enum { TC_I32 = 5, TC_I64 = 6, TC_BINARY = 8, TC_LIST = 9 };
enum { TC_STRUCT = 12 };

typedef struct pq_chunk {
	uint64_t start;	    /* file offset of the chunk's first page */
	uint64_t data_off;  /* of its data page */
	uint64_t size, raw; /* bytes written, bytes before compression (headers included) */
} pq_chunk;

typedef struct pq_col {
	const tb_table_col *def;
	tb_buf vals; /* numbers: PLAIN; strings: uint32 dictionary indices */
	tb_buf defs; /* optional columns: one byte per row, 1 = present */
	/* strings: the row group's dictionary, PLAIN (u32 length, bytes) */
	tb_buf dict;
	size_t *dict_off; /* offset of entry i in dict */
	size_t dict_n, dict_alloc;
	tb_idxset dict_set;
} pq_col;

struct tb_pq {
	pq_col *cols;
	size_t n_cols;
	int gzip;
	tb_table_out_fn out;
	void *payload;
	int err;
	uint64_t off;	   /* bytes written */
	uint64_t rows;	   /* rows in all */
	size_t group_rows; /* rows in the buffered row group */
	pq_chunk *chunks;  /* n_cols per written row group */
	uint64_t *group_rows_v;
	size_t n_groups, groups_alloc, chunks_alloc;
	tb_buf page, tmp, zbuf; /* scratch */
};

/* --- Thrift compact protocol --------------------------------------------- */

typedef struct tc {
	tb_buf *b;
	int last[8]; /* last field id per struct depth */
	int depth;
} tc;

static void put_varint(tb_buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;
	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	tb_buf_append(b, tmp, n);
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static void tc_field(tc *t, int id, int type)
{
	int delta = id - t->last[t->depth];
	if (delta > 0 && delta <= 15) {
		tb_buf_putc(t->b, (char)(delta << 4 | type));
	} else {
		tb_buf_putc(t->b, (char)type);
		put_varint(t->b, zigzag(id));
	}
	t->last[t->depth] = id;
}

static void tc_i32(tc *t, int id, int32_t v)
{
	tc_field(t, id, TC_I32);
	put_varint(t->b, zigzag(v));
}

static void tc_i64(tc *t, int id, int64_t v)
{
	tc_field(t, id, TC_I64);
	put_varint(t->b, zigzag(v));
}

static void tc_binary(tb_buf *b, const char *s, size_t n)
{
	put_varint(b, n);
	tb_buf_append(b, s, n);
}

static void tc_string(tc *t, int id, const char *s)
{
	tc_field(t, id, TC_BINARY);
	tc_binary(t->b, s, strlen(s));
}

/* A list field of n elements of type elem; the elements follow. */
static void tc_list(tc *t, int id, int elem, size_t n)
{
	tc_field(t, id, TC_LIST);
	if (n < 15) {
		tb_buf_putc(t->b, (char)(n << 4 | (size_t)elem));
	} else {
		tb_buf_putc(t->b, (char)(0xF0 | elem));
		put_varint(t->b, n);
	}
}

/* A struct: as a field (id > 0) or a list element (id 0). */
static void tc_begin(tc *t, int id)
{
	if (id)
		tc_field(t, id, TC_STRUCT);
	t->last[++t->depth] = 0;
}

static void tc_end(tc *t)
{
	tb_buf_putc(t->b, 0);
	t->depth--;
}

/* --- RLE / bit-packed hybrid (Encodings.md) ------------------------------- */

/* Encode v[0..n) with `width` bits per value: runs of 8 or more equal
 * values as RLE runs, the rest bit-packed in groups of 8. */
static void put_hybrid(tb_buf *b, const uint32_t *v, size_t n, int width)
{
	size_t bytes = ((size_t)width + 7) / 8;
	size_t i = 0;
	while (i < n) {
		size_t run = 1;
		while (i + run < n && v[i + run] == v[i])
			run++;
		if (run >= 8) {
			put_varint(b, (uint64_t)run << 1);
			for (size_t k = 0; k < bytes; k++)
				tb_buf_putc(b, (char)(v[i] >> (8 * k)));
			i += run;
			continue;
		}
		/* bit-packed groups until a run of 8 starts on a group boundary */
		size_t j = i;
		while (j < n) {
			size_t r = 1;
			while (j + r < n && r < 8 && v[j + r] == v[j])
				r++;
			if (r >= 8)
				break;
			j += 8;
		}
		size_t groups = (j - i + 7) / 8;
		put_varint(b, (uint64_t)groups << 1 | 1);
		uint64_t acc = 0;
		int bits = 0;
		for (size_t k = 0; k < groups * 8; k++) {
			uint64_t x = i + k < n ? v[i + k] : 0;
			acc |= x << bits;
			bits += width;
			while (bits >= 8) {
				tb_buf_putc(b, (char)acc);
				acc >>= 8;
				bits -= 8;
			}
		}
		i = j < n ? j : n;
	}
}

/* --- output --------------------------------------------------------------- */

static void emit(tb_pq *p, const void *data, size_t n)
{
	if (p->err || !n)
		return;
	p->err = p->out(p->payload, data, n);
	p->off += n;
}

/* Write one page: header then body, gzip-compressed when asked. Adds the
 * written and raw sizes to *c. */
static void write_page(tb_pq *p, pq_chunk *c, int type, const tb_buf *body, int32_t n_values,
		       int encoding, int dict_entries)
{
	const uint8_t *data = (const uint8_t *)body->ptr;
	size_t len = body->len;
	if (p->gzip) {
		z_stream zs;
		memset(&zs, 0, sizeof zs);
		deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
		tb_buf_clear(&p->zbuf);
		tb_buf_reserve(&p->zbuf, deflateBound(&zs, body->len) + 32);
		zs.next_in = (Bytef *)body->ptr;
		zs.avail_in = (uInt)body->len;
		zs.next_out = (Bytef *)p->zbuf.ptr;
		zs.avail_out = (uInt)(p->zbuf.cap - 1);
		deflate(&zs, Z_FINISH);
		p->zbuf.len = zs.total_out;
		deflateEnd(&zs);
		data = (const uint8_t *)p->zbuf.ptr;
		len = p->zbuf.len;
	}
	tb_buf hdr = TB_BUF_INIT;
	tc t = {.b = &hdr};
	tc_i32(&t, 1, type);
	tc_i32(&t, 2, (int32_t)body->len);
	tc_i32(&t, 3, (int32_t)len);
	if (type == PQ_DATA_PAGE) {
		tc_begin(&t, 5); /* DataPageHeader */
		tc_i32(&t, 1, n_values);
		tc_i32(&t, 2, encoding);
		tc_i32(&t, 3, PQ_RLE);
		tc_i32(&t, 4, PQ_RLE);
		tc_end(&t);
	} else {
		tc_begin(&t, 7); /* DictionaryPageHeader */
		tc_i32(&t, 1, dict_entries);
		tc_i32(&t, 2, PQ_PLAIN_DICTIONARY);
		tc_end(&t);
	}
	tb_buf_putc(&hdr, 0);
	emit(p, hdr.ptr, hdr.len);
	emit(p, data, len);
	c->size += hdr.len + len;
	c->raw += hdr.len + body->len;
	tb_buf_free(&hdr);
}

static int bit_width(size_t max)
{
	int w = 1;
	while (w < 32 && ((uint64_t)1 << w) <= max)
		w++;
	return w;
}

static void flush_column(tb_pq *p, pq_col *c, pq_chunk *ch)
{
	size_t rows = p->group_rows;
	ch->start = p->off;
	int is_str = c->def->type == TB_COL_STRING;
	if (is_str) {
		write_page(p, ch, PQ_DICTIONARY_PAGE, &c->dict, 0, 0, (int)c->dict_n);
	}
	ch->data_off = p->off;
	tb_buf_clear(&p->page);
	if (c->def->optional) {
		uint32_t *lv = tb_xmalloc((rows + 1) * sizeof *lv);
		for (size_t i = 0; i < rows; i++)
			lv[i] = (uint8_t)c->defs.ptr[i];
		tb_buf_clear(&p->tmp);
		put_hybrid(&p->tmp, lv, rows, 1);
		free(lv);
		uint32_t n = (uint32_t)p->tmp.len;
		uint8_t le[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16),
				 (uint8_t)(n >> 24)};
		tb_buf_append(&p->page, le, 4);
		tb_buf_append(&p->page, p->tmp.ptr, p->tmp.len);
	}
	if (is_str) {
		int w = bit_width(c->dict_n ? c->dict_n - 1 : 0);
		tb_buf_putc(&p->page, (char)w);
		put_hybrid(&p->page, (const uint32_t *)c->vals.ptr, c->vals.len / sizeof(uint32_t),
			   w);
	} else {
		tb_buf_append(&p->page, c->vals.ptr, c->vals.len);
	}
	write_page(p, ch, PQ_DATA_PAGE, &p->page, (int32_t)rows,
		   is_str ? PQ_RLE_DICTIONARY : PQ_PLAIN, 0);
	tb_buf_clear(&c->vals);
	tb_buf_clear(&c->defs);
	tb_buf_clear(&c->dict);
	c->dict_n = 0;
	tb_idxset_free(&c->dict_set);
}

static void flush_group(tb_pq *p)
{
	if (!p->group_rows)
		return;
	if (p->off == 0)
		emit(p, "PAR1", 4);
	p->chunks =
	    tb_xgrow(p->chunks, &p->chunks_alloc, (p->n_groups + 1) * p->n_cols, sizeof *p->chunks);
	p->group_rows_v =
	    tb_xgrow(p->group_rows_v, &p->groups_alloc, p->n_groups + 1, sizeof *p->group_rows_v);
	pq_chunk *ch = p->chunks + p->n_groups * p->n_cols;
	memset(ch, 0, p->n_cols * sizeof *ch);
	for (size_t i = 0; i < p->n_cols; i++)
		flush_column(p, &p->cols[i], &ch[i]);
	p->group_rows_v[p->n_groups++] = p->group_rows;
	p->group_rows = 0;
}

tb_pq *tb_pq_new(const tb_table_col *cols, size_t n, int gzip, tb_table_out_fn out, void *payload)
{
	tb_pq *p = tb_xcalloc(1, sizeof *p);
	p->cols = tb_xcalloc(n, sizeof *p->cols);
	for (size_t i = 0; i < n; i++) {
		p->cols[i].def = &cols[i];
	}
	p->n_cols = n;
	p->gzip = gzip;
	p->out = out;
	p->payload = payload;
	return p;
}

/* The dictionary index of s in c, added when new. */
static uint32_t dict_index(pq_col *c, const char *s, size_t n)
{
	uint64_t h = tb_hash_bytes(TB_HASH_SEED, s, n);
	size_t pos = 0, idx1;
	while ((idx1 = tb_idxset_next(&c->dict_set, h, &pos)) != 0) {
		const char *e = c->dict.ptr + c->dict_off[idx1 - 1];
		uint32_t len;
		memcpy(&len, e, 4);
		if (len == n && memcmp(e + 4, s, n) == 0)
			return (uint32_t)(idx1 - 1);
	}
	c->dict_off = tb_xgrow(c->dict_off, &c->dict_alloc, c->dict_n + 1, sizeof *c->dict_off);
	c->dict_off[c->dict_n] = c->dict.len;
	uint32_t len = (uint32_t)n;
	tb_buf_append(&c->dict, &len, 4); /* little-endian hosts only (x86-64, arm64) */
	tb_buf_append(&c->dict, s, n);
	if (tb_idxset_add(&c->dict_set, h, c->dict_n))
		tb_xmalloc((size_t)-1); /* out of memory: abort as tb_x* do */
	return (uint32_t)c->dict_n++;
}

int tb_pq_row(tb_pq *p, const tb_table_cell *cells)
{
	for (size_t i = 0; i < p->n_cols; i++) {
		pq_col *c = &p->cols[i];
		const tb_table_cell *v = &cells[i];
		if (c->def->optional)
			tb_buf_putc(&c->defs, v->set ? 1 : 0);
		/* a required column left unset is written as its zero */
		static const tb_table_cell zero = {1, 0, 0, "", 0};
		if (!v->set && !c->def->optional)
			v = &zero;
		if (!v->set)
			continue;
		if (c->def->type == TB_COL_STRING) {
			uint32_t k = dict_index(c, v->s, v->n);
			tb_buf_append(&c->vals, &k, sizeof k);
		} else if (c->def->type == TB_COL_INT64) {
			tb_buf_append(&c->vals, &v->i, 8);
		} else {
			tb_buf_append(&c->vals, &v->d, 8);
		}
	}
	p->rows++;
	if (++p->group_rows >= TB_TABLE_GROUP_ROWS)
		flush_group(p);
	return p->err;
}

static void put_footer(tb_pq *p, tb_buf *b)
{
	tc t = {.b = b};
	tc_i32(&t, 1, 1); /* version */
	tc_list(&t, 2, TC_STRUCT, p->n_cols + 1);
	tc_begin(&t, 0); /* the root */
	tc_string(&t, 4, "schema");
	tc_i32(&t, 5, (int32_t)p->n_cols);
	tc_end(&t);
	for (size_t i = 0; i < p->n_cols; i++) {
		const tb_table_col *d = p->cols[i].def;
		tc_begin(&t, 0);
		tc_i32(&t, 1,
		       d->type == TB_COL_STRING	 ? PQ_BYTE_ARRAY
		       : d->type == TB_COL_INT64 ? PQ_INT64
						 : PQ_DOUBLE);
		tc_i32(&t, 3, d->optional ? 1 : 0); /* OPTIONAL / REQUIRED */
		tc_string(&t, 4, d->name);
		if (d->type == TB_COL_STRING) {
			tc_i32(&t, 6, 0); /* ConvertedType UTF8 */
			tc_begin(&t, 10); /* LogicalType */
			tc_begin(&t, 1);  /* STRING: StringType {} */
			tc_end(&t);
			tc_end(&t);
		}
		tc_end(&t);
	}
	tc_i64(&t, 3, (int64_t)p->rows);
	tc_list(&t, 4, TC_STRUCT, p->n_groups);
	for (size_t g = 0; g < p->n_groups; g++) {
		const pq_chunk *ch = p->chunks + g * p->n_cols;
		uint64_t total = 0, raw = 0;
		for (size_t i = 0; i < p->n_cols; i++) {
			total += ch[i].size;
			raw += ch[i].raw;
		}
		tc_begin(&t, 0); /* RowGroup */
		tc_list(&t, 1, TC_STRUCT, p->n_cols);
		for (size_t i = 0; i < p->n_cols; i++) {
			const tb_table_col *d = p->cols[i].def;
			int is_str = d->type == TB_COL_STRING;
			tc_begin(&t, 0); /* ColumnChunk */
			tc_i64(&t, 2, (int64_t)ch[i].start);
			tc_begin(&t, 3); /* ColumnMetaData */
			tc_i32(&t, 1,
			       is_str			 ? PQ_BYTE_ARRAY
			       : d->type == TB_COL_INT64 ? PQ_INT64
							 : PQ_DOUBLE);
			if (is_str) {
				tc_list(&t, 2, TC_I32, 3);
				put_varint(b, zigzag(PQ_PLAIN_DICTIONARY));
				put_varint(b, zigzag(PQ_RLE));
				put_varint(b, zigzag(PQ_RLE_DICTIONARY));
			} else {
				tc_list(&t, 2, TC_I32, 2);
				put_varint(b, zigzag(PQ_PLAIN));
				put_varint(b, zigzag(PQ_RLE));
			}
			tc_list(&t, 3, TC_BINARY, 1);
			tc_binary(b, d->name, strlen(d->name));
			tc_i32(&t, 4, p->gzip ? PQ_GZIP : PQ_UNCOMPRESSED);
			tc_i64(&t, 5, (int64_t)p->group_rows_v[g]);
			tc_i64(&t, 6, (int64_t)ch[i].raw);
			tc_i64(&t, 7, (int64_t)ch[i].size);
			tc_i64(&t, 9, (int64_t)ch[i].data_off);
			if (is_str)
				tc_i64(&t, 11, (int64_t)ch[i].start);
			tc_end(&t);
			tc_end(&t);
		}
		tc_i64(&t, 2, (int64_t)raw);
		tc_i64(&t, 3, (int64_t)p->group_rows_v[g]);
		tc_i64(&t, 5, (int64_t)ch[0].start); /* file_offset */
		tc_i64(&t, 6, (int64_t)total);	     /* total_compressed_size */
		tc_end(&t);
	}
	tc_string(&t, 6, "tboard version " TB_VERSION_STRING);
	tb_buf_putc(b, 0);
}

int tb_pq_finish(tb_pq *p)
{
	flush_group(p);
	if (p->off == 0)
		emit(p, "PAR1", 4);
	tb_buf foot = TB_BUF_INIT;
	put_footer(p, &foot);
	uint32_t n = (uint32_t)foot.len;
	uint8_t le[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
	emit(p, foot.ptr, foot.len);
	emit(p, le, 4);
	emit(p, "PAR1", 4);
	tb_buf_free(&foot);
	return p->err;
}

void tb_pq_free(tb_pq *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_cols; i++) {
		tb_buf_free(&p->cols[i].vals);
		tb_buf_free(&p->cols[i].defs);
		tb_buf_free(&p->cols[i].dict);
		free(p->cols[i].dict_off);
		tb_idxset_free(&p->cols[i].dict_set);
	}
	free(p->cols);
	free(p->chunks);
	free(p->group_rows_v);
	tb_buf_free(&p->page);
	tb_buf_free(&p->tmp);
	tb_buf_free(&p->zbuf);
	free(p);
}
