/* Table-driven protobuf trees and their text format (spec HTTP_API.md 8.6).
 *
 * Invariant: a message's items never move once appended; deletion leaves a
 * tombstone (f == NULL, num == 0), so the per-field slot index of singular
 * fields stays valid and parsing a singular field is O(1) however often the
 * input repeats it. Printing sorts a copy of the item order by field number
 * (stable), which is the order upstream's printer lists fields in.
 *
 * Tuned for graphs of a few thousand nodes with small attributes and the
 * occasional large constant tensor, which stays a view into the input. */
#include "proto/textformat.h"

#include <float.h>
#include <protobuf-c/protobuf-c.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "proto/pb_decode.h"
#include "common/chars.h"

/* --- schemas ------------------------------------------------------------- */

/* Built once per descriptor under schema_lock and never freed: the tables
 * are shared by every tree of the process. */
typedef struct schema_ref {
	const void *desc; /* ProtobufCMessageDescriptor or ProtobufCEnumDescriptor */
	const void *built; /* tb_pbt_msg or tb_pbt_enum */
} schema_ref;

static pthread_mutex_t schema_lock = PTHREAD_MUTEX_INITIALIZER;
static schema_ref *schemas;
static size_t n_schemas;

static const void *schema_find(const void *desc)
{
	for (size_t i = 0; i < n_schemas; i++)
		if (schemas[i].desc == desc)
			return schemas[i].built;
	return NULL;
}

static void schema_add(const void *desc, const void *built)
{
	schemas = tb_xrealloc(schemas, (n_schemas + 1) * sizeof *schemas);
	schemas[n_schemas++] = (schema_ref){desc, built};
}

static const tb_pbt_enum *build_enum(const ProtobufCEnumDescriptor *d)
{
	const tb_pbt_enum *have = schema_find(d);
	if (have)
		return have;
	tb_pbt_enumval *vals = tb_xcalloc(d->n_values ? d->n_values : 1, sizeof *vals);
	for (unsigned i = 0; i < d->n_values; i++)
		vals[i] = (tb_pbt_enumval){d->values[i].value, d->values[i].name};
	tb_pbt_enum *e = tb_xmalloc(sizeof *e);
	*e = (tb_pbt_enum){vals, d->n_values};
	schema_add(d, e);
	return e;
}

static uint8_t field_type(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
		return TB_PBT_INT32;
	case PROTOBUF_C_TYPE_INT64:
		return TB_PBT_INT64;
	case PROTOBUF_C_TYPE_UINT32:
		return TB_PBT_UINT32;
	case PROTOBUF_C_TYPE_UINT64:
		return TB_PBT_UINT64;
	case PROTOBUF_C_TYPE_BOOL:
		return TB_PBT_BOOL;
	case PROTOBUF_C_TYPE_ENUM:
		return TB_PBT_ENUM;
	case PROTOBUF_C_TYPE_FLOAT:
		return TB_PBT_FLOAT;
	case PROTOBUF_C_TYPE_DOUBLE:
		return TB_PBT_DOUBLE;
	case PROTOBUF_C_TYPE_FIXED64:
		return TB_PBT_FIXED64;
	case PROTOBUF_C_TYPE_STRING:
		return TB_PBT_STRING;
	case PROTOBUF_C_TYPE_BYTES:
		return TB_PBT_BYTES;
	case PROTOBUF_C_TYPE_MESSAGE:
		return TB_PBT_MESSAGE;
	default:
		/* zigzag and the other fixed widths: no message of the schema
		 * uses them, and the wire reader has no case for them */
		abort();
	}
}

/* Whether d is a map entry: protoc turns map<K, V> name into a repeated
 * nested message <Name>Entry {K key = 1; V value = 2;}. */
static int is_entry(const ProtobufCMessageDescriptor *d)
{
	size_t sl = strlen(d->short_name);
	return sl > 5 && strcmp(d->short_name + sl - 5, "Entry") == 0 && d->n_fields == 2 &&
	       d->fields[0].id == 1 && d->fields[1].id == 2;
}

/* Whether field f of message d is a map field. */
static int is_map(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f)
{
	if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return 0;
	const ProtobufCMessageDescriptor *e = f->descriptor;
	size_t pl = strlen(d->name);
	return is_entry(e) && strncmp(e->name, d->name, pl) == 0 && e->name[pl] == '.';
}

static int wire_of(int type);

static int by_num(const void *a, const void *b)
{
	uint32_t x = ((const tb_pbt_field *)a)->num, y = ((const tb_pbt_field *)b)->num;
	return (x > y) - (x < y);
}

static const tb_pbt_msg *build_msg(const ProtobufCMessageDescriptor *d)
{
	const tb_pbt_msg *have = schema_find(d);
	if (have)
		return have;
	/* Registered before its fields are built: messages nest recursively
	 * (AttrValue holds NameAttrList, which holds AttrValue). */
	tb_pbt_msg *m = tb_xcalloc(1, sizeof *m);
	schema_add(d, m);
	tb_pbt_field *fs = tb_xcalloc(d->n_fields ? d->n_fields : 1, sizeof *fs);
	unsigned oneof_at[16];
	size_t n_oneof = 0;
	int entry = is_entry(d);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		tb_pbt_field *f = &fs[i];
		f->num = fd->id;
		f->name = fd->name;
		f->type = field_type(fd->type);
		if (fd->label == PROTOBUF_C_LABEL_REPEATED)
			f->flags |= TB_PBT_REPEATED;
		if (fd->label == PROTOBUF_C_LABEL_OPTIONAL ||
		    fd->label == PROTOBUF_C_LABEL_REQUIRED) {
			/* an entry's key and value are printed by their own
			 * rule (print_entry), proto2 or not */
			if (!entry)
				f->flags |= TB_PBT_PRESENCE;
			m->proto2 = 1;
		}
		if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			size_t g = 0;
			while (g < n_oneof && oneof_at[g] != fd->quantifier_offset)
				g++;
			if (g == n_oneof) {
				if (n_oneof == sizeof oneof_at / sizeof oneof_at[0])
					abort();
				oneof_at[n_oneof++] = fd->quantifier_offset;
			}
			f->oneof = (uint8_t)(g + 1);
		}
		if (fd->type == PROTOBUF_C_TYPE_ENUM)
			f->en = build_enum(fd->descriptor);
		if (fd->type == PROTOBUF_C_TYPE_MESSAGE)
			f->msg = build_msg(fd->descriptor);
		if (is_map(d, fd)) {
			f->flags |= TB_PBT_MAP;
			m->proto2 |= f->msg->proto2;
		}
		/* Descriptors do not name their file's syntax. What tells
		 * proto2 apart when no field is singular: repeated numbers
		 * unpacked by default, and map entries whose key and value
		 * have presence. */
		if (fd->label == PROTOBUF_C_LABEL_REPEATED && wire_of(f->type) != TB_PB_LEN &&
		    !(fd->flags & PROTOBUF_C_FIELD_FLAG_PACKED))
			m->proto2 = 1;
	}
	qsort(fs, d->n_fields, sizeof *fs, by_num);
	m->name = d->short_name;
	m->fields = fs;
	m->n_fields = d->n_fields;
	return m;
}

const tb_pbt_msg *tb_pbt_schema(const struct ProtobufCMessageDescriptor *d)
{
	pthread_mutex_lock(&schema_lock);
	const tb_pbt_msg *m = build_msg(d);
	pthread_mutex_unlock(&schema_lock);
	return m;
}

/* --- arena --------------------------------------------------------------- */

#define CHUNK_SIZE ((size_t)64 << 10)

typedef struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
} chunk;

struct tb_pbt_arena {
	chunk *head;
};

tb_pbt_arena *tb_pbt_arena_new(void)
{
	return tb_xcalloc(1, sizeof(tb_pbt_arena));
}

void tb_pbt_arena_free(tb_pbt_arena *a)
{
	if (!a)
		return;
	for (chunk *c = a->head, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

static void *arena_alloc(tb_pbt_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		size_t size = n > CHUNK_SIZE / 4 ? n : CHUNK_SIZE;
		c = tb_xmalloc(sizeof(chunk) + size);
		c->used = 0;
		c->size = size;
		if (size == n && a->head) {
			/* a big block goes behind the current chunk, which keeps its room */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

tb_slice tb_pbt_strdup(tb_pbt_arena *a, const void *p, size_t n)
{
	char *d = arena_alloc(a, n + 1);
	if (n)
		memcpy(d, p, n);
	d[n] = 0;
	return tb_slice_make(d, n);
}

/* --- tree basics --------------------------------------------------------- */

tb_pbm *tb_pbm_new(tb_pbt_arena *a, const tb_pbt_msg *type)
{
	tb_pbm *m = arena_alloc(a, sizeof *m);
	m->type = type;
	m->items = NULL;
	m->n = m->cap = 0;
	m->slot = arena_alloc(a, (type->n_fields ? type->n_fields : 1) * sizeof(int32_t));
	for (size_t i = 0; i < type->n_fields; i++)
		m->slot[i] = -1;
	return m;
}

static const tb_pbt_field *find_field(const tb_pbt_msg *t, uint32_t num)
{
	size_t lo = 0, hi = t->n_fields;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->fields[mid].num == num)
			return &t->fields[mid];
		if (t->fields[mid].num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static tb_pbv *push(tb_pbt_arena *a, tb_pbm *m)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 4;
		tb_pbv *items = arena_alloc(a, cap * sizeof *items);
		if (m->n)
			memcpy(items, m->items, m->n * sizeof *items);
		m->items = items;
		m->cap = cap;
	}
	tb_pbv *v = &m->items[m->n++];
	memset(v, 0, sizeof *v);
	return v;
}

static void kill_item(tb_pbm *m, size_t i)
{
	tb_pbv *v = &m->items[i];
	if (v->f && !(v->f->flags & TB_PBT_REPEATED))
		m->slot[v->f - m->type->fields] = -1;
	v->f = NULL;
	v->num = 0;
}

/* A new item for field f at the end of m. */
static tb_pbv *push_field(tb_pbt_arena *a, tb_pbm *m, const tb_pbt_field *f)
{
	tb_pbv *v = push(a, m);
	v->f = f;
	v->num = f->num;
	return v;
}

/* The item of singular field f, created when unset; clears the other
 * members of f's oneof. *fresh tells whether it was created. */
static tb_pbv *singular(tb_pbt_arena *a, tb_pbm *m, const tb_pbt_field *f, int *fresh)
{
	size_t fi = (size_t)(f - m->type->fields);
	if (f->oneof) {
		for (size_t k = 0; k < m->type->n_fields; k++) {
			const tb_pbt_field *g = &m->type->fields[k];
			if (k != fi && g->oneof == f->oneof && m->slot[k] >= 0)
				kill_item(m, (size_t)m->slot[k]);
		}
	}
	if (m->slot[fi] >= 0) {
		*fresh = 0;
		return &m->items[m->slot[fi]];
	}
	tb_pbv *v = push_field(a, m, f);
	m->slot[fi] = (int32_t)(m->n - 1);
	*fresh = 1;
	return v;
}

/* --- decoding ------------------------------------------------------------ */

static int wire_of(int type)
{
	switch (type) {
	case TB_PBT_FLOAT:
		return TB_PB_I32;
	case TB_PBT_DOUBLE:
	case TB_PBT_FIXED64:
		return TB_PB_I64;
	case TB_PBT_STRING:
	case TB_PBT_BYTES:
	case TB_PBT_MESSAGE:
		return TB_PB_LEN;
	}
	return TB_PB_VARINT;
}

/* Normalise a decoded number to the value the field holds. */
static uint64_t norm(int type, uint64_t u)
{
	switch (type) {
	case TB_PBT_INT32:
	case TB_PBT_ENUM:
		return (uint64_t)(int64_t)(int32_t)(uint32_t)u;
	case TB_PBT_UINT32:
		return (uint32_t)u;
	case TB_PBT_BOOL:
		return u != 0;
	}
	return u;
}

static int parse_into(tb_pbt_arena *a, tb_pbm *m, tb_slice in, int depth);

/* The item a decoded value of f goes to: a new one for a repeated field,
 * else f's single item (singular()). *fresh tells whether it was created. */
static tb_pbv *decoded_item(tb_pbt_arena *a, tb_pbm *m, const tb_pbt_field *f, int *fresh)
{
	if (f->flags & TB_PBT_REPEATED) {
		*fresh = 1;
		return push_field(a, m, f);
	}
	return singular(a, m, f, fresh);
}

static int add_scalar(tb_pbt_arena *a, tb_pbm *m, const tb_pbt_field *f, uint64_t u)
{
	int fresh;
	decoded_item(a, m, f, &fresh)->v.u = norm(f->type, u);
	return 0;
}

static int add_len(tb_pbt_arena *a, tb_pbm *m, const tb_pbt_field *f, tb_slice s, int depth)
{
	if (f->type == TB_PBT_STRING && !m->type->proto2 && !tb_utf8_valid(s.ptr, s.len))
		return TB_ECORRUPT;
	int fresh;
	if (f->type != TB_PBT_MESSAGE) {
		decoded_item(a, m, f, &fresh)->v.s = s;
		return 0;
	}
	if (depth >= TB_PBT_MAX_DEPTH)
		return TB_ECORRUPT;
	tb_pbv *v = decoded_item(a, m, f, &fresh);
	if (fresh) /* else a repeated singular message merges */
		v->v.m = tb_pbm_new(a, f->msg);
	return parse_into(a, v->v.m, s, depth + 1);
}

static int parse_packed(tb_pbt_arena *a, tb_pbm *m, const tb_pbt_field *f, tb_slice s)
{
	tb_pb r = tb_pb_make(s);
	while (r.p < r.end) {
		uint64_t u;
		switch (wire_of(f->type)) {
		case TB_PB_VARINT:
			if (tb_pb_varint(&u, &r))
				return TB_ECORRUPT;
			break;
		case TB_PB_I32: {
			if (r.end - r.p < 4)
				return TB_ECORRUPT;
			uint32_t x;
			memcpy(&x, r.p, 4);
			r.p += 4;
			u = x;
			break;
		}
		default:
			if (r.end - r.p < 8)
				return TB_ECORRUPT;
			memcpy(&u, r.p, 8);
			r.p += 8;
		}
		add_scalar(a, m, f, u);
	}
	return 0;
}

static int parse_into(tb_pbt_arena *a, tb_pbm *m, tb_slice in, int depth)
{
	tb_pb r = tb_pb_make(in);
	tb_pb_field pf;
	for (;;) {
		const uint8_t *start = r.p;
		int rc = tb_pb_next(&pf, &r);
		if (rc == 0)
			return 0;
		if (rc < 0)
			return TB_ECORRUPT;
		const tb_pbt_field *f = find_field(m->type, pf.num);
		int want = f ? wire_of(f->type) : -1;
		if (f && pf.wire == want) {
			rc = pf.wire == TB_PB_LEN ? add_len(a, m, f, pf.len, depth)
						  : add_scalar(a, m, f, pf.u);
		} else if (f && pf.wire == TB_PB_LEN && (f->flags & TB_PBT_REPEATED) &&
			   want != TB_PB_LEN) {
			rc = parse_packed(a, m, f, pf.len);
		} else {
			tb_pbv *v = push(a, m);
			v->num = pf.num;
			v->v.s = tb_slice_make(start, (size_t)(r.p - start));
			rc = 0;
		}
		if (rc)
			return rc;
	}
}

int tb_pbm_parse(tb_pbm **out, tb_pbt_arena *a, const tb_pbt_msg *type, tb_slice in)
{
	tb_pbm *m = tb_pbm_new(a, type);
	int rc = parse_into(a, m, in, 0);
	if (rc)
		return rc;
	*out = m;
	return 0;
}

/* --- ordering helpers ---------------------------------------------------- */

typedef struct ord {
	uint32_t num;
	uint32_t idx;
} ord;

static int cmp_ord(const void *x, const void *y)
{
	const ord *a = x, *b = y;
	if (a->num != b->num)
		return a->num < b->num ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Live known items of m in print order; returns the count (*out malloc'd). */
static size_t ordered(ord **out, const tb_pbm *m)
{
	ord *o = tb_xmalloc((m->n ? m->n : 1) * sizeof *o);
	size_t k = 0;
	int sorted = 1;
	for (size_t i = 0; i < m->n; i++) {
		if (!m->items[i].f)
			continue;
		o[k].num = m->items[i].num;
		o[k].idx = (uint32_t)i;
		if (k && o[k].num < o[k - 1].num)
			sorted = 0;
		k++;
	}
	if (!sorted)
		qsort(o, k, sizeof *o, cmp_ord);
	*out = o;
	return k;
}

static int key_is_str(const tb_pbt_msg *entry)
{
	int t = entry->fields[0].type;
	return t == TB_PBT_STRING || t == TB_PBT_BYTES;
}

typedef struct entry_ref {
	const tb_pbm *e;
	const tb_pbt_msg *type; /* the entry schema, for qsort's comparator */
	size_t idx;
} entry_ref;

static int entry_key_cmp(const tb_pbm *x, const tb_pbm *y, const tb_pbt_msg *t)
{
	tb_pbm *a = (tb_pbm *)x, *b = (tb_pbm *)y;
	if (key_is_str(t)) {
		tb_slice ka = tb_pbm_get_str(a, 1), kb = tb_pbm_get_str(b, 1);
		size_t n = ka.len < kb.len ? ka.len : kb.len;
		int c = n ? memcmp(ka.ptr, kb.ptr, n) : 0;
		if (c)
			return c;
		return ka.len < kb.len ? -1 : ka.len > kb.len;
	}
	uint64_t ua = tb_pbm_get_u(a, 1), ub = tb_pbm_get_u(b, 1);
	return ua < ub ? -1 : ua > ub;
}

static int cmp_entry(const void *x, const void *y)
{
	const entry_ref *a = x, *b = y;
	int c = entry_key_cmp(a->e, b->e, a->type);
	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* The entries of map field f of m, one per key (the last), sorted by key.
 * Returns the count; *out malloc'd. */
static size_t map_entries(entry_ref **out, const tb_pbm *m, const tb_pbt_field *f)
{
	entry_ref *r = tb_xmalloc((m->n ? m->n : 1) * sizeof *r);
	size_t k = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (m->items[i].f == f) {
			r[k].e = m->items[i].v.m;
			r[k].type = f->msg;
			r[k].idx = i;
			k++;
		}
	}
	qsort(r, k, sizeof *r, cmp_entry);
	size_t w = 0;
	for (size_t i = 0; i < k; i++) {
		if (i + 1 < k && entry_key_cmp(r[i].e, r[i + 1].e, f->msg) == 0)
			continue; /* a later entry with the same key wins */
		r[w++] = r[i];
	}
	*out = r;
	return w;
}

/* --- printing ------------------------------------------------------------ */

/* Python repr() of a double. */
static void put_double(tb_buf *out, double v)
{
	if (isnan(v)) {
		tb_buf_puts(out, "nan");
		return;
	}
	if (isinf(v)) {
		tb_buf_puts(out, v > 0 ? "inf" : "-inf");
		return;
	}
	if (signbit(v)) {
		tb_buf_putc(out, '-');
		v = -v;
	}
	char tmp[40], digits[24];
	int nd = 1, e = 0;
	if (v == 0) {
		digits[0] = '0';
	} else {
		/* fewest significant digits that read back as v */
		for (int prec = 0; prec < 17; prec++) {
			snprintf(tmp, sizeof tmp, "%.*e", prec, v);
			if (strtod(tmp, NULL) == v || prec == 16)
				break;
		}
		nd = 0;
		const char *p = tmp;
		for (; *p && *p != 'e'; p++)
			if (*p >= '0' && *p <= '9')
				digits[nd++] = *p;
		while (nd > 1 && digits[nd - 1] == '0')
			nd--;
		e = atoi(p + 1);
	}
	if (e >= -4 && e < 16) {
		if (e < 0) {
			tb_buf_puts(out, "0.");
			for (int i = -1; i > e; i--)
				tb_buf_putc(out, '0');
			tb_buf_append(out, digits, (size_t)nd);
		} else {
			for (int i = 0; i <= e; i++)
				tb_buf_putc(out, i < nd ? digits[i] : '0');
			tb_buf_putc(out, '.');
			if (nd > e + 1)
				tb_buf_append(out, digits + e + 1, (size_t)(nd - e - 1));
			else
				tb_buf_putc(out, '0');
		}
	} else {
		tb_buf_putc(out, digits[0]);
		if (nd > 1) {
			tb_buf_putc(out, '.');
			tb_buf_append(out, digits + 1, (size_t)(nd - 1));
		}
		tb_buf_printf(out, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
	}
}

/* A float32: the shortest "%g" form with at least 6 digits that reads back
 * as the same float, then printed as Python prints that double. */
static void put_float(tb_buf *out, float f)
{
	if (isnan(f)) {
		tb_buf_puts(out, "nan");
		return;
	}
	char tmp[48];
	double r = f;
	for (int prec = 6; prec <= 9; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, (double)f);
		r = strtod(tmp, NULL);
		if ((float)r == f)
			break;
	}
	put_double(out, r);
}

static void put_escaped(tb_buf *out, tb_slice s)
{
	tb_buf_putc(out, '"');
	for (size_t i = 0; i < s.len; i++) {
		uint8_t c = s.ptr[i];
		switch (c) {
		case '\n':
			tb_buf_puts(out, "\\n");
			break;
		case '\r':
			tb_buf_puts(out, "\\r");
			break;
		case '\t':
			tb_buf_puts(out, "\\t");
			break;
		case '"':
			tb_buf_puts(out, "\\\"");
			break;
		case '\'':
			tb_buf_puts(out, "\\'");
			break;
		case '\\':
			tb_buf_puts(out, "\\\\");
			break;
		default:
			if (c < 0x20 || c >= 0x7F) {
				char o[5];
				snprintf(o, sizeof o, "\\%03o", c);
				tb_buf_append(out, o, 4);
			} else {
				tb_buf_putc(out, (char)c);
			}
		}
	}
	tb_buf_putc(out, '"');
}

static void indent(tb_buf *out, int level)
{
	for (int i = 0; i < level; i++)
		tb_buf_append(out, "  ", 2);
}

static void put_scalar(tb_buf *out, const tb_pbt_field *f, const tb_pbv *v)
{
	switch (f->type) {
	case TB_PBT_INT32:
	case TB_PBT_INT64:
		tb_buf_printf(out, "%lld", (long long)(int64_t)v->v.u);
		break;
	case TB_PBT_UINT32:
	case TB_PBT_UINT64:
	case TB_PBT_FIXED64:
		tb_buf_printf(out, "%llu", (unsigned long long)v->v.u);
		break;
	case TB_PBT_BOOL:
		tb_buf_puts(out, v->v.u ? "true" : "false");
		break;
	case TB_PBT_ENUM: {
		int32_t x = (int32_t)(int64_t)v->v.u;
		for (size_t i = 0; i < f->en->n; i++) {
			if (f->en->vals[i].value == x) {
				tb_buf_puts(out, f->en->vals[i].name);
				return;
			}
		}
		tb_buf_printf(out, "%d", (int)x);
		break;
	}
	case TB_PBT_FLOAT: {
		uint32_t b = (uint32_t)v->v.u;
		float x;
		memcpy(&x, &b, 4);
		put_float(out, x);
		break;
	}
	case TB_PBT_DOUBLE: {
		double x;
		memcpy(&x, &v->v.u, 8);
		put_double(out, x);
		break;
	}
	case TB_PBT_STRING:
	case TB_PBT_BYTES:
		put_escaped(out, v->v.s);
		break;
	}
}

static int is_zero(const tb_pbt_field *f, const tb_pbv *v)
{
	if (f->type == TB_PBT_STRING || f->type == TB_PBT_BYTES)
		return v->v.s.len == 0;
	if (f->type == TB_PBT_MESSAGE)
		return 0;
	return v->v.u == 0;
}

static void print_msg(tb_buf *out, const tb_pbm *m, int level);

static void print_field(tb_buf *out, const tb_pbt_field *f, const tb_pbv *v, int level)
{
	indent(out, level);
	tb_buf_puts(out, f->name);
	if (f->type == TB_PBT_MESSAGE) {
		tb_buf_puts(out, " {\n");
		if (v)
			print_msg(out, v->v.m, level + 1);
		indent(out, level);
		tb_buf_puts(out, "}\n");
		return;
	}
	tb_buf_puts(out, ": ");
	put_scalar(out, f, v);
	tb_buf_putc(out, '\n');
}

static void print_entry(tb_buf *out, const tb_pbt_field *f, tb_pbm *e, int level)
{
	indent(out, level);
	tb_buf_puts(out, f->name);
	tb_buf_puts(out, " {\n");
	const tb_pbt_msg *t = f->msg;
	for (size_t k = 0; k < 2 && k < t->n_fields; k++) {
		const tb_pbt_field *ef = &t->fields[k];
		tb_pbv *v = tb_pbm_get(e, ef->num);
		tb_pbv zero;
		if (!v) {
			memset(&zero, 0, sizeof zero);
			v = &zero;
			if (ef->type == TB_PBT_MESSAGE) {
				print_field(out, ef, NULL, level + 1);
				continue;
			}
		}
		if (!t->proto2 && is_zero(ef, v))
			continue;
		print_field(out, ef, v, level + 1);
	}
	indent(out, level);
	tb_buf_puts(out, "}\n");
}

static void print_msg(tb_buf *out, const tb_pbm *m, int level)
{
	ord *o;
	size_t n = ordered(&o, m);
	for (size_t i = 0; i < n; i++) {
		const tb_pbv *v = &m->items[o[i].idx];
		const tb_pbt_field *f = v->f;
		if (f->flags & TB_PBT_MAP) {
			entry_ref *r;
			size_t ne = map_entries(&r, m, f);
			for (size_t k = 0; k < ne; k++)
				print_entry(out, f, (tb_pbm *)r[k].e, level);
			free(r);
			while (i + 1 < n && o[i + 1].num == f->num)
				i++;
			continue;
		}
		if (!(f->flags & (TB_PBT_REPEATED | TB_PBT_PRESENCE)) && !f->oneof && is_zero(f, v))
			continue;
		print_field(out, f, v, level);
	}
	free(o);
}

void tb_pbm_print(tb_buf *out, const tb_pbm *m)
{
	print_msg(out, m, 0);
}

int tb_textformat(tb_buf *out, const tb_pbt_msg *type, tb_slice in)
{
	tb_pbt_arena *a = tb_pbt_arena_new();
	tb_pbm *m;
	int rc = tb_pbm_parse(&m, a, type, in);
	if (rc == 0)
		tb_pbm_print(out, m);
	tb_pbt_arena_free(a);
	return rc;
}

/* --- size ---------------------------------------------------------------- */

static uint64_t varint_size(uint64_t u)
{
	uint64_t n = 1;
	while (u >= 0x80) {
		u >>= 7;
		n++;
	}
	return n;
}

static uint64_t payload_size(const tb_pbt_field *f, const tb_pbv *v)
{
	switch (f->type) {
	case TB_PBT_FLOAT:
		return 4;
	case TB_PBT_DOUBLE:
	case TB_PBT_FIXED64:
		return 8;
	case TB_PBT_STRING:
	case TB_PBT_BYTES:
		return varint_size(v->v.s.len) + v->v.s.len;
	case TB_PBT_MESSAGE: {
		uint64_t n = v->v.m ? tb_pbm_size(v->v.m) : 0;
		return varint_size(n) + n;
	}
	}
	return varint_size(v->v.u); /* negative int32/enum are sign-extended: 10 bytes */
}

static uint64_t entry_size(const tb_pbt_msg *t, tb_pbm *e)
{
	uint64_t n = 0;
	for (size_t k = 0; k < 2 && k < t->n_fields; k++) {
		const tb_pbt_field *ef = &t->fields[k];
		tb_pbv *v = tb_pbm_get(e, ef->num), zero;
		if (!v) {
			memset(&zero, 0, sizeof zero);
			v = &zero;
		}
		n += varint_size((uint64_t)ef->num << 3) + payload_size(ef, v);
	}
	return n;
}

uint64_t tb_pbm_size(const tb_pbm *m)
{
	uint64_t total = 0;
	ord *o;
	size_t n = ordered(&o, m);
	for (size_t i = 0; i < n; i++) {
		const tb_pbv *v = &m->items[o[i].idx];
		const tb_pbt_field *f = v->f;
		uint64_t tag = varint_size((uint64_t)f->num << 3);
		if (f->flags & TB_PBT_MAP) {
			entry_ref *r;
			size_t ne = map_entries(&r, m, f);
			for (size_t k = 0; k < ne; k++) {
				uint64_t es = entry_size(f->msg, (tb_pbm *)r[k].e);
				total += tag + varint_size(es) + es;
			}
			free(r);
			while (i + 1 < n && o[i + 1].num == f->num)
				i++;
		} else if ((f->flags & TB_PBT_REPEATED) && wire_of(f->type) != TB_PB_LEN) {
			uint64_t body = 0;
			for (; i < n && o[i].num == f->num; i++)
				body += payload_size(f, &m->items[o[i].idx]);
			i--;
			total += tag + varint_size(body) + body;
		} else if ((f->flags & (TB_PBT_REPEATED | TB_PBT_PRESENCE)) || f->oneof ||
			   !is_zero(f, v)) {
			total += tag + payload_size(f, v);
		}
	}
	free(o);
	for (size_t i = 0; i < m->n; i++)
		if (!m->items[i].f && m->items[i].num)
			total += m->items[i].v.s.len;
	return total;
}

/* --- editing ------------------------------------------------------------- */

tb_pbv *tb_pbm_get(tb_pbm *m, uint32_t num)
{
	const tb_pbt_field *f = find_field(m->type, num);
	if (!f || (f->flags & TB_PBT_REPEATED))
		return NULL;
	int32_t s = m->slot[f - m->type->fields];
	return s >= 0 ? &m->items[s] : NULL;
}

tb_slice tb_pbm_get_str(tb_pbm *m, uint32_t num)
{
	tb_pbv *v = tb_pbm_get(m, num);
	if (v && (v->f->type == TB_PBT_STRING || v->f->type == TB_PBT_BYTES))
		return v->v.s;
	return tb_slice_make("", 0);
}

uint64_t tb_pbm_get_u(tb_pbm *m, uint32_t num)
{
	tb_pbv *v = tb_pbm_get(m, num);
	return v && wire_of(v->f->type) != TB_PB_LEN ? v->v.u : 0;
}

tb_pbm *tb_pbm_mutable(tb_pbt_arena *a, tb_pbm *m, uint32_t num)
{
	const tb_pbt_field *f = find_field(m->type, num);
	if (!f || f->type != TB_PBT_MESSAGE || (f->flags & TB_PBT_REPEATED))
		return NULL;
	int fresh;
	tb_pbv *v = singular(a, m, f, &fresh);
	if (fresh)
		v->v.m = tb_pbm_new(a, f->msg);
	return v->v.m;
}

void tb_pbm_set_str(tb_pbt_arena *a, tb_pbm *m, uint32_t num, tb_slice s)
{
	const tb_pbt_field *f = find_field(m->type, num);
	if (!f || (f->type != TB_PBT_STRING && f->type != TB_PBT_BYTES) ||
	    (f->flags & TB_PBT_REPEATED))
		return;
	int fresh;
	singular(a, m, f, &fresh)->v.s = s;
}

void tb_pbm_set_u(tb_pbt_arena *a, tb_pbm *m, uint32_t num, uint64_t u)
{
	const tb_pbt_field *f = find_field(m->type, num);
	if (!f || wire_of(f->type) == TB_PB_LEN || (f->flags & TB_PBT_REPEATED))
		return;
	int fresh;
	singular(a, m, f, &fresh)->v.u = norm(f->type, u);
}

void tb_pbm_add_str(tb_pbt_arena *a, tb_pbm *m, uint32_t num, tb_slice s)
{
	const tb_pbt_field *f = find_field(m->type, num);
	if (!f || (f->type != TB_PBT_STRING && f->type != TB_PBT_BYTES) ||
	    !(f->flags & TB_PBT_REPEATED))
		return;
	tb_pbv *v = push_field(a, m, f);
	v->v.s = s;
}

tb_pbm *tb_pbm_add_msg(tb_pbt_arena *a, tb_pbm *m, uint32_t num)
{
	const tb_pbt_field *f = find_field(m->type, num);
	if (!f || f->type != TB_PBT_MESSAGE || !(f->flags & TB_PBT_REPEATED))
		return NULL;
	tb_pbv *v = push_field(a, m, f);
	v->v.m = tb_pbm_new(a, f->msg);
	return v->v.m;
}

tb_pbm *tb_pbm_copy(tb_pbt_arena *a, const tb_pbm *src)
{
	tb_pbm *m = tb_pbm_new(a, src->type);
	for (size_t i = 0; i < src->n; i++) {
		const tb_pbv *s = &src->items[i];
		if (!s->f && !s->num)
			continue;
		tb_pbv *v = push(a, m);
		*v = *s;
		if (s->f && s->f->type == TB_PBT_MESSAGE)
			v->v.m = tb_pbm_copy(a, s->v.m);
		if (s->f && !(s->f->flags & TB_PBT_REPEATED))
			m->slot[s->f - m->type->fields] = (int32_t)(m->n - 1);
	}
	return m;
}

tb_pbm *tb_pbm_add_copy(tb_pbt_arena *a, tb_pbm *m, uint32_t num, const tb_pbm *src)
{
	const tb_pbt_field *f = find_field(m->type, num);
	if (!f || f->msg != src->type || !(f->flags & TB_PBT_REPEATED))
		return NULL;
	tb_pbv *v = push_field(a, m, f);
	v->v.m = tb_pbm_copy(a, src);
	return v->v.m;
}

static int slice_eq(tb_slice x, tb_slice y)
{
	return x.len == y.len && (x.len == 0 || memcmp(x.ptr, y.ptr, x.len) == 0);
}

tb_pbm *tb_pbm_map_find(tb_pbm *m, uint32_t num, tb_slice key)
{
	for (size_t i = m->n; i-- > 0;) {
		tb_pbv *v = &m->items[i];
		if (v->f && v->num == num && (v->f->flags & TB_PBT_MAP) &&
		    slice_eq(tb_pbm_get_str(v->v.m, 1), key))
			return v->v.m;
	}
	return NULL;
}

void tb_pbm_map_delete(tb_pbm *m, uint32_t num, tb_slice key)
{
	for (size_t i = 0; i < m->n; i++) {
		tb_pbv *v = &m->items[i];
		if (v->f && v->num == num && (v->f->flags & TB_PBT_MAP) &&
		    slice_eq(tb_pbm_get_str(v->v.m, 1), key))
			kill_item(m, i);
	}
}

tb_pbm *tb_pbm_map_value(tb_pbt_arena *a, tb_pbm *m, uint32_t num, tb_slice key)
{
	tb_pbm *e = tb_pbm_map_find(m, num, key);
	if (!e) {
		e = tb_pbm_add_msg(a, m, num);
		if (!e)
			return NULL;
		tb_pbm_set_str(a, e, 1, key);
	}
	return tb_pbm_mutable(a, e, 2);
}

size_t tb_pbm_map_keys(tb_slice **out, tb_pbt_arena *a, tb_pbm *m, uint32_t num)
{
	const tb_pbt_field *f = find_field(m->type, num);
	*out = NULL;
	if (!f || !(f->flags & TB_PBT_MAP) || !key_is_str(f->msg))
		return 0;
	entry_ref *r;
	size_t n = map_entries(&r, m, f);
	tb_slice *keys = arena_alloc(a, (n ? n : 1) * sizeof *keys);
	for (size_t i = 0; i < n; i++)
		keys[i] = tb_pbm_get_str((tb_pbm *)r[i].e, 1);
	free(r);
	*out = keys;
	return n;
}
