/* Fuzz target for the run query parser and evaluator (queries come from
 * URLs, so their bytes are untrusted). A parse either fails with a message
 * and a column inside the text (or just past its end), or yields a query
 * whose column names parse back to themselves and which evaluates over a
 * small table without error other than a regex limit. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "query/rql.h"

static const int64_t steps[] = {0, 10, 20};
static const double values[] = {0.5, NAN, 0.25};

static int get(tb_rql_series *out, size_t run, const char *tag, void *payload)
{
	(void)payload;
	if (run == 1 || !tag[0])
		return 0;
	*out = (tb_rql_series){steps, values, 3, NULL};
	return 1;
}

static void done(size_t run, void *payload)
{
	(void)run;
	(void)payload;
}

/* A column name read as a query names exactly that column. */
static void check_roundtrip(const char *name)
{
	tb_rql *q;
	tb_rql_error e;
	if (tb_rql_parse(&q, name, strlen(name), &e) != 0)
		abort();
	if (tb_rql_columns(q) != 1 || strcmp(tb_rql_column_name(q, 0), name) != 0)
		abort();
	tb_rql_free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tb_rql *q = NULL;
	tb_rql_error e;
	size_t chars = 0;
	for (size_t i = 0; i < size; i++)
		chars += (data[i] & 0xC0) != 0x80;
	if (tb_rql_parse(&q, (const char *)data, size, &e) != 0) {
		if (q || e.col < 1 || e.col > chars + 1 || !e.msg[0])
			abort();
		return 0;
	}
	for (size_t c = 0; c < tb_rql_columns(q); c++)
		check_roundtrip(tb_rql_column_name(q, c));
	tb_rql_table *t = tb_rql_table_new();
	tb_rql_table_add_run(t, "a/b");
	tb_rql_table_add_run(t, "c");
	tb_rql_value v = {TB_RQL_NUM, 0.1, NULL};
	tb_rql_table_set(t, 0, "lr", &v);
	v = (tb_rql_value){TB_RQL_STR, 0, "adam"};
	tb_rql_table_set(t, 1, "opt", &v);
	tb_rql_table_series(t, get, done, NULL);
	tb_rql_result *r;
	if (tb_rql_eval(&r, q, t, &e) == 0) {
		if (tb_rql_result_rows(r) > tb_rql_result_total(r) || tb_rql_result_total(r) > 2)
			abort();
		tb_rql_result_free(r);
	} else if (!e.msg[0] || e.col < 1) {
		abort();
	}
	tb_rql_table_free(t);
	tb_rql_free(q);
	return 0;
}
