/* Export tables in three formats (see table.h). A row's cells are held
 * until the row ends, then spelled as CSV or JSON Lines into a buffer that
 * goes out every 256 KiB, or handed to the Parquet writer. Doubles are
 * spelled by the JSON writer's shortest round-trip formatter. */
#include "table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "http/json.h"
#include "parquet.h"

#define FLUSH_BYTES (256u << 10)

struct tb_table {
	int format;
	const tb_table_col *cols;
	size_t n_cols;
	tb_table_cell *cells;
	tb_buf text;	/* CSV / JSON Lines waiting to go out */
	tb_buf scratch; /* the current row's string bytes */
	tb_pq *pq;
	tb_table_out_fn out;
	void *payload;
	int err;
	uint64_t rows;
};

tb_table *tb_table_new(int format, const tb_table_col *cols, size_t n, int gzip,
		       tb_table_out_fn out, void *payload)
{
	tb_table *t = tb_xcalloc(1, sizeof *t);
	t->format = format;
	t->cols = cols;
	t->n_cols = n;
	t->cells = tb_xcalloc(n, sizeof *t->cells);
	t->out = out;
	t->payload = payload;
	if (format == TB_TABLE_PARQUET)
		t->pq = tb_pq_new(cols, n, gzip, out, payload);
	return t;
}

void tb_table_str(tb_table *t, size_t col, const char *s, size_t n)
{
	/* kept as an offset into scratch: the caller's bytes may not outlive
	 * the call */
	t->cells[col] = (tb_table_cell){1, (int64_t)t->scratch.len, 0, NULL, n};
	tb_buf_append(&t->scratch, s, n);
}

void tb_table_i64(tb_table *t, size_t col, int64_t v)
{
	t->cells[col] = (tb_table_cell){1, v, 0, NULL, 0};
}

void tb_table_f64(tb_table *t, size_t col, double v)
{
	t->cells[col] = (tb_table_cell){1, 0, v, NULL, 0};
}

static void flush_text(tb_table *t)
{
	if (t->text.len && !t->err)
		t->err = t->out(t->payload, t->text.ptr, t->text.len);
	tb_buf_clear(&t->text);
}

static void csv_str(tb_buf *b, const char *s, size_t n)
{
	if (n && strcspn(s, ",\"\r\n") >= n && s[0] != ' ' && s[n - 1] != ' ') {
		tb_buf_append(b, s, n);
		return;
	}
	tb_buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			tb_buf_putc(b, '"');
		tb_buf_putc(b, s[i]);
	}
	tb_buf_putc(b, '"');
}

static void put_double(tb_buf *b, double v, int json)
{
	char num[40];
	if (json && !isfinite(v)) {
		tb_buf_puts(b, isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
		return;
	}
	tb_buf_append(b, num, tb_fmt_double(num, v));
}

/* A string as a JSON string, escaped by the JSON writer. */
static void json_str(tb_buf *b, const char *s, size_t n)
{
	tb_json j;
	tb_json_init(&j, b);
	tb_json_str_n(&j, s, n);
}

static void put_row(tb_table *t)
{
	tb_buf *b = &t->text;
	int json = t->format == TB_TABLE_JSONL;
	if (!json && t->rows == 0) {
		for (size_t i = 0; i < t->n_cols; i++) {
			if (i)
				tb_buf_putc(b, ',');
			csv_str(b, t->cols[i].name, strlen(t->cols[i].name));
		}
		tb_buf_puts(b, "\r\n");
	}
	if (json)
		tb_buf_putc(b, '{');
	for (size_t i = 0; i < t->n_cols; i++) {
		const tb_table_cell *c = &t->cells[i];
		if (i)
			tb_buf_putc(b, ',');
		if (json) {
			json_str(b, t->cols[i].name, strlen(t->cols[i].name));
			tb_buf_putc(b, ':');
			if (!c->set)
				tb_buf_puts(b, "null");
		}
		if (!c->set)
			continue;
		if (t->cols[i].type == TB_COL_STRING) {
			if (json)
				json_str(b, c->s, c->n);
			else
				csv_str(b, c->s, c->n);
		} else if (t->cols[i].type == TB_COL_INT64) {
			tb_buf_printf(b, "%lld", (long long)c->i);
		} else {
			put_double(b, c->d, json);
		}
	}
	tb_buf_puts(b, json ? "}\n" : "\r\n");
}

int tb_table_end_row(tb_table *t)
{
	for (size_t i = 0; i < t->n_cols; i++) {
		tb_table_cell *c = &t->cells[i];
		if (c->set && t->cols[i].type == TB_COL_STRING)
			c->s = t->scratch.ptr ? t->scratch.ptr + c->i : "";
	}
	if (t->pq) {
		int rc = tb_pq_row(t->pq, t->cells);
		if (rc && !t->err)
			t->err = rc;
	} else {
		put_row(t);
		if (t->text.len >= FLUSH_BYTES)
			flush_text(t);
	}
	t->rows++;
	memset(t->cells, 0, t->n_cols * sizeof *t->cells);
	tb_buf_clear(&t->scratch);
	return t->err;
}

int tb_table_finish(tb_table *t)
{
	if (t->pq) {
		int rc = tb_pq_finish(t->pq);
		if (rc && !t->err)
			t->err = rc;
		return t->err;
	}
	if (t->format == TB_TABLE_CSV && t->rows == 0) {
		put_row(t); /* the header alone: an empty table still names its columns */
		t->text.len = strstr(t->text.ptr, "\r\n") - t->text.ptr + 2;
	}
	flush_text(t);
	return t->err;
}

uint64_t tb_table_rows(const tb_table *t)
{
	return t->rows;
}

void tb_table_free(tb_table *t)
{
	if (!t)
		return;
	tb_pq_free(t->pq);
	tb_buf_free(&t->text);
	tb_buf_free(&t->scratch);
	free(t->cells);
	free(t);
}

int tb_table_format(const char *name)
{
	if (!name)
		return 0;
	if (strcmp(name, "csv") == 0)
		return TB_TABLE_CSV;
	if (strcmp(name, "jsonl") == 0)
		return TB_TABLE_JSONL;
	if (strcmp(name, "parquet") == 0)
		return TB_TABLE_PARQUET;
	return 0;
}

const char *tb_table_ext(int format)
{
	return format == TB_TABLE_CSV ? "csv" : format == TB_TABLE_JSONL ? "jsonl" : "parquet";
}
