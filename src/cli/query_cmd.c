/* `tboard query --logdir DIR 'QUERY'` (see query_cmd.h). The store is
 * loaded once by main before this runs; the table and the evaluation are
 * the same as the HTTP route's. Values are printed as the JSON answer
 * writes them (numbers in Python's repr), so scripts can compare both. */
#include <string.h>

#include "dashboards/runtable.h"
#include "query/rql.h"
#include "query_cmd.h"

/* The message, then the line of the query at fault with a caret under the
 * error's column (tabs kept, so the caret lines up in a terminal). */
static void report(FILE *err, const char *text, const tb_rql_error *e)
{
	fprintf(err, "tboard query: col %zu: %s\n", e->col, e->msg);
	size_t off = 0, col = 1, n = strlen(text);
	while (off < n && col < e->col) {
		off++;
		while (off < n && ((unsigned char)text[off] & 0xC0) == 0x80)
			off++;
		col++;
	}
	size_t start = off;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	size_t end = start;
	while (end < n && text[end] != '\n')
		end++;
	fprintf(err, "  %.*s\n  ", (int)(end - start), text + start);
	for (size_t i = start; i < off; i++)
		if (((unsigned char)text[i] & 0xC0) != 0x80)
			fputc(text[i] == '\t' ? '\t' : ' ', err);
	fputs("^\n", err);
}

/* A cell: tabs and newlines would break the row, so they print as spaces. */
static void put_cell(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, out);
}

int tb_query_cmd(FILE *out, FILE *err, tb_store *s, const char *text)
{
	tb_rql *q;
	tb_rql_error e;
	if (tb_rql_parse(&q, text, strlen(text), &e)) {
		report(err, text, &e);
		return 2;
	}
	tb_reader rd;
	tb_reader_begin(&rd, s);
	tb_runtable *rt = tb_runtable_new(&rd);
	tb_rql_table *t = tb_runtable_table(rt);
	tb_rql_result *r;
	int rc = tb_rql_eval(&r, q, t, &e);
	if (rc == 0) {
		size_t nc = tb_rql_columns(q);
		fputs("run", out);
		for (size_t c = 0; c < nc; c++) {
			fputc('\t', out);
			put_cell(out, tb_rql_column_name(q, c));
		}
		fputc('\n', out);
		for (size_t i = 0; i < tb_rql_result_rows(r); i++) {
			put_cell(out, tb_rql_table_run_name(t, tb_rql_result_run(r, i)));
			for (size_t c = 0; c < nc; c++) {
				char buf[40];
				fputc('\t', out);
				put_cell(out, tb_rql_format(buf, tb_rql_result_value(r, i, c)));
			}
			fputc('\n', out);
		}
		tb_rql_result_free(r);
	} else {
		report(err, text, &e);
	}
	tb_runtable_free(rt);
	tb_reader_end(&rd);
	tb_rql_free(q);
	return rc ? 2 : 0;
}
