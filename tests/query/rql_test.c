/* The run query language: grammar and precedence, every parse error with
 * its column, missing values, metric summaries, sorting and limits, and
 * the regular-expression match limit on a hostile pattern. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "../harness.h"
#include "query/rql.h"

typedef struct fake_series {
	const char *tag;
	int64_t steps[8];
	double values[8];
	size_t n;
} fake_series;

/* Series by run; a run has at most two. */
static const fake_series series[][2] = {
    {{"val/acc", {0, 10, 20, 30}, {0.1, 0.5, 0.4, 0.9}, 4}, {"loss", {0, 10}, {2, 1}, 2}},
    {{"val/acc", {0, 10, 20}, {0.2, 0.3, NAN}, 3}, {NULL, {0}, {0}, 0}},
    {{NULL, {0}, {0}, 0}, {NULL, {0}, {0}, 0}},
    {{"val/acc", {5}, {1.0}, 1}, {NULL, {0}, {0}, 0}},
};
static int open_calls, done_calls;

static int get_series(tb_rql_series *out, size_t run, const char *tag, void *payload)
{
	(void)payload;
	for (int k = 0; k < 2; k++) {
		const fake_series *f = &series[run][k];
		if (f->tag && strcmp(f->tag, tag) == 0) {
			*out = (tb_rql_series){f->steps, f->values, f->n, NULL};
			open_calls++;
			return 1;
		}
	}
	return 0;
}

static void series_done(size_t run, void *payload)
{
	(void)run;
	(void)payload;
	done_calls++;
}

static tb_rql_table *make_table(void)
{
	tb_rql_table *t = tb_rql_table_new();
	static const char *names[] = {"lr0.1/seed0", "lr0.1/seed1", "lr0.01/seed0", "other"};
	for (size_t i = 0; i < 4; i++)
		tb_rql_table_add_run(t, names[i]);
	tb_rql_value v = {TB_RQL_NUM, 0.1, NULL};
	tb_rql_table_set(t, 0, "lr", &v);
	tb_rql_table_set(t, 1, "lr", &v);
	v.num = 0.01;
	tb_rql_table_set(t, 2, "lr", &v);
	v = (tb_rql_value){TB_RQL_STR, 0, "adam"};
	tb_rql_table_set(t, 0, "opt", &v);
	tb_rql_table_set(t, 2, "opt", &v);
	v.str = "sgd";
	tb_rql_table_set(t, 1, "opt", &v);
	v = (tb_rql_value){TB_RQL_BOOL, 1, NULL};
	tb_rql_table_set(t, 0, "use_bn", &v);
	v.num = 0;
	tb_rql_table_set(t, 1, "use_bn", &v);
	v = (tb_rql_value){TB_RQL_NUM, 32, NULL};
	tb_rql_table_set(t, 0, "batch size", &v);
	tb_rql_table_series(t, get_series, series_done, NULL);
	return t;
}

/* Run q over t: "ERR col N: msg", or the rows as "run[=v1|v2...],..." with
 * values when with_values, then " total=N" when it differs from the rows. */
static char *run(tb_rql_table *t, const char *q, int with_values)
{
	tb_buf b = TB_BUF_INIT;
	tb_rql *rq;
	tb_rql_error e;
	tb_rql_result *r;
	int rc = tb_rql_parse(&rq, q, strlen(q), &e);
	if (!rc && (rc = tb_rql_eval(&r, rq, t, &e)) != 0)
		tb_rql_free(rq);
	if (rc) {
		tb_buf_printf(&b, "ERR col %zu: %s", e.col, e.msg);
		return tb_buf_detach(&b);
	}
	tb_buf_puts(&b, "");
	for (size_t i = 0; i < tb_rql_result_rows(r); i++) {
		tb_buf_printf(&b, "%s%s", i ? "," : "",
			      tb_rql_table_run_name(t, tb_rql_result_run(r, i)));
		for (size_t c = 0; with_values && c < tb_rql_columns(rq); c++) {
			char num[40];
			tb_rql_value v = tb_rql_result_value(r, i, c);
			tb_buf_printf(&b, "%s%s", c ? "|" : "=",
				      v.type ? tb_rql_format(num, v) : "-");
		}
	}
	if (tb_rql_result_total(r) != tb_rql_result_rows(r))
		tb_buf_printf(&b, " total=%zu", tb_rql_result_total(r));
	tb_rql_result_free(r);
	tb_rql_free(rq);
	return tb_buf_detach(&b);
}

#define EXPECT_RUN(t, q, with_values, want)                                                        \
	do {                                                                                       \
		char *got_ = run(t, q, with_values);                                               \
		CHECK_STR(got_, want);                                                             \
		free(got_);                                                                        \
	} while (0)
#define EXPECT(t, q, want) EXPECT_RUN(t, q, 0, want)
#define EXPECT_V(t, q, want) EXPECT_RUN(t, q, 1, want)

static void test_rql__comparisons_and_literals(void)
{
	tb_rql_table *t = make_table();
	EXPECT(t, "", "lr0.01/seed0,lr0.1/seed0,lr0.1/seed1,other");
	EXPECT(t, "hp.lr = 0.1", "lr0.1/seed0,lr0.1/seed1");
	EXPECT(t, "hp.lr == 0.1", "lr0.1/seed0,lr0.1/seed1");
	EXPECT(t, "hp.lr < 0.1", "lr0.01/seed0");
	EXPECT(t, "hp.lr <= 0.1", "lr0.01/seed0,lr0.1/seed0,lr0.1/seed1");
	EXPECT(t, "hp.lr > 1e-2", "lr0.1/seed0,lr0.1/seed1");
	EXPECT(t, "hp.lr >= .1", "lr0.1/seed0,lr0.1/seed1");
	EXPECT(t, "hp.lr > -1", "lr0.01/seed0,lr0.1/seed0,lr0.1/seed1");
	EXPECT(t, "hp.opt = 'adam'", "lr0.01/seed0,lr0.1/seed0");
	EXPECT(t, "hp.opt = \"sgd\"", "lr0.1/seed1");
	EXPECT(t, "hp.opt < 'b'", "lr0.01/seed0,lr0.1/seed0");
	EXPECT(t, "hp.use_bn = true", "lr0.1/seed0");
	EXPECT(t, "hp.use_bn = false", "lr0.1/seed1");
	EXPECT(t, "hp.use_bn", "lr0.1/seed0"); /* a bare value holds when true */
	EXPECT(t, "hp[\"batch size\"] = 32", "lr0.1/seed0");
	EXPECT(t, "hp.opt = 1", ""); /* a string is never equal to a number */
	EXPECT(t, "hp.opt != 1", "lr0.01/seed0,lr0.1/seed0,lr0.1/seed1");
	EXPECT(t, "run = 'other'", "other");
	EXPECT(t, "folder = 'lr0.1'", "lr0.1/seed0,lr0.1/seed1");
	EXPECT(t, "folder = '.'", "other");
	EXPECT(t, "hp.lr in [0.01, 5]", "lr0.01/seed0");
	EXPECT(t, "hp.opt in ['sgd', 'x']", "lr0.1/seed1");
	EXPECT(t, "hp.opt not in ['sgd']", "lr0.01/seed0,lr0.1/seed0");
	EXPECT(t, "hp.lr in []", "");
	EXPECT(t, "1 = 1", "lr0.01/seed0,lr0.1/seed0,lr0.1/seed1,other");
	tb_rql_table_free(t);
}

static void test_rql__precedence(void)
{
	tb_rql_table *t = make_table();
	/* and binds tighter than or */
	EXPECT(t, "run = 'other' or hp.opt = 'adam' and hp.lr = 0.1", "lr0.1/seed0,other");
	EXPECT(t, "(run = 'other' or hp.opt = 'adam') and hp.lr = 0.1", "lr0.1/seed0");
	/* not binds tighter than and */
	EXPECT(t, "not hp.opt = 'adam' and hp.lr = 0.1", "lr0.1/seed1");
	EXPECT(t, "not (hp.opt = 'adam' and hp.lr = 0.1)", "lr0.01/seed0,lr0.1/seed1,other");
	EXPECT(t, "not not run = 'other'", "other");
	/* keywords in any case */
	EXPECT(t, "hp.lr = 0.1 AND NOT hp.use_bn Or RUN = 'other'", "lr0.1/seed1,other");
	EXPECT(t, "hp.lr=0.1and hp.opt='sgd'", "lr0.1/seed1"); /* a number ends at a letter */
	tb_rql_table_free(t);
}

static void test_rql__missing_values(void)
{
	tb_rql_table *t = make_table();
	/* "other" has no hparams: it never matches a comparison, either way */
	EXPECT(t, "hp.lr != 0.1", "lr0.01/seed0");
	EXPECT(t, "hp.lr < 100 or hp.lr >= 100", "lr0.01/seed0,lr0.1/seed0,lr0.1/seed1");
	EXPECT(t, "hp.nope = 1 or hp.nope != 1", "");
	EXPECT(t, "hp.lr not in [5]", "lr0.01/seed0,lr0.1/seed0,lr0.1/seed1");
	EXPECT(t, "hp.lr ~ '.'", "lr0.01/seed0,lr0.1/seed0,lr0.1/seed1");
	EXPECT(t, "hp.lr !~ 'x'", "lr0.01/seed0,lr0.1/seed0,lr0.1/seed1");
	/* ... but `not` of a comparison it fails does hold */
	EXPECT(t, "not hp.lr = 0.1", "lr0.01/seed0,other");
	/* missing sorts last in both directions */
	EXPECT_V(t, "sort by hp.lr", "lr0.01/seed0=0.01,lr0.1/seed0=0.1,lr0.1/seed1=0.1,other=-");
	EXPECT_V(t, "sort by hp.lr desc",
		 "lr0.1/seed0=0.1,lr0.1/seed1=0.1,lr0.01/seed0=0.01,other=-");
	/* a metric of a run without the series is missing; its count is 0 */
	EXPECT_V(t, "run ~ 'seed0' sort by last(val/acc) desc, run",
		 "lr0.1/seed0=0.9,lr0.01/seed0=-");
	EXPECT_V(t, "count(val/acc) = 0", "lr0.01/seed0=0.0");
	tb_rql_table_free(t);
}

static void test_rql__metrics(void)
{
	tb_rql_table *t = make_table();
	EXPECT_V(t, "run = 'lr0.1/seed0' and last(val/acc) > 0 and first(val/acc) >= 0",
		 "lr0.1/seed0=0.9|0.1");
	EXPECT_V(t,
		 "run = 'lr0.1/seed0' and max(val/acc) > 0 and min(val/acc) > 0 and "
		 "mean(val/acc) > 0 and count(val/acc) > 0",
		 "lr0.1/seed0=0.9|0.1|0.475|4.0");
	/* ranges include both ends; open ends reach the first or last point */
	EXPECT_V(t,
		 "run = 'lr0.1/seed0' and max(val/acc, 10:20) > 0 and last(val/acc, :15) > 0 "
		 "and count(val/acc, 11:) > 0 and mean(val/acc, 30:99) > 0",
		 "lr0.1/seed0=0.5|0.5|2.0|0.9");
	EXPECT_V(t, "run = 'lr0.1/seed0' and count(val/acc, 40:50) = 0", "lr0.1/seed0=0.0");
	EXPECT(t, "max(val/acc, 40:50) > 0 or max(val/acc, 40:50) <= 0", "");
	/* at(): the point at the step, else the last before it while the run
	 * reaches the step */
	EXPECT_V(t, "at(val/acc, 10) > 0", "lr0.1/seed0=0.5,lr0.1/seed1=0.3");
	EXPECT_V(t, "at(val/acc, 15) > 0", "lr0.1/seed0=0.5,lr0.1/seed1=0.3");
	EXPECT_V(t, "at(val/acc, 25) > 0", "lr0.1/seed0=0.4");
	EXPECT(t, "at(val/acc, 4) >= 0", "lr0.1/seed0,lr0.1/seed1");
	/* NaN points: last() shows them, max/min/mean leave them out */
	EXPECT_V(t, "run = 'lr0.1/seed1' and max(val/acc) > 0 and mean(val/acc) > 0",
		 "lr0.1/seed1=0.3|0.25");
	EXPECT(t, "last(val/acc) > 0 and run = 'lr0.1/seed1'", "");
	/* tags with '.', '-', '/' and quoted ones */
	EXPECT(t, "last(\"val/acc\") = 1", "other");
	EXPECT(t, "last( 'loss' ) = 1", "lr0.1/seed0");
	/* summaries are read once per run and column; every read is released */
	open_calls = done_calls = 0;
	EXPECT(t, "last(val/acc) > 0.5 or last(val/acc) < 0.2 sort by last(val/acc)",
	       "lr0.1/seed0,other");
	CHECK_INT(open_calls, 3);
	CHECK_INT(done_calls, 3);
	tb_rql_table_free(t);
}

static void test_rql__sort_and_limit(void)
{
	tb_rql_table *t = make_table();
	EXPECT(t, "sort by last(val/acc) desc", "other,lr0.1/seed0,lr0.01/seed0,lr0.1/seed1");
	EXPECT(t, "sort by hp.opt desc, run desc", "lr0.1/seed1,lr0.1/seed0,lr0.01/seed0,other");
	EXPECT(t, "sort by hp.opt asc, run", "lr0.01/seed0,lr0.1/seed0,lr0.1/seed1,other");
	EXPECT(t, "sort by run desc limit 2", "other,lr0.1/seed1 total=4");
	EXPECT(t, "hp.lr = 0.1 limit 1", "lr0.1/seed0 total=2");
	EXPECT(t, "limit 0", " total=4");
	EXPECT(t, "sort by folder desc, run limit 3",
	       "lr0.1/seed0,lr0.1/seed1,lr0.01/seed0 total=4");
	tb_rql_table_free(t);
}

static void check_columns(const char *q, const char *want)
{
	tb_rql *rq;
	tb_rql_error e;
	tb_buf b = TB_BUF_INIT;
	tb_buf_puts(&b, "");
	if (tb_rql_parse(&rq, q, strlen(q), &e) == 0) {
		for (size_t c = 0; c < tb_rql_columns(rq); c++)
			tb_buf_printf(&b, "%s%s", c ? " ; " : "", tb_rql_column_name(rq, c));
		tb_rql_free(rq);
	}
	CHECK_STR(b.ptr, want);
	tb_buf_free(&b);
}

static void test_rql__columns(void)
{
	check_columns("hp[\"lr\"] > 0 and hp.lr < 1 and run ~ 'x'", "hp.lr");
	check_columns("hp['batch size'] = 1 sort by last(val/acc)",
		      "hp[\"batch size\"] ; last(val/acc)");
	check_columns("MAX( 'val acc' , 1 : ) > 0 and max(val/acc,:5) > 0 and at(x.y-z, -3) > 0",
		      "max(\"val acc\", 1:) ; max(val/acc, :5) ; at(x.y-z, -3)");
	check_columns("folder = 'a' sort by folder, mean(loss)", "folder ; mean(loss)");
	check_columns("hp.a.b = 1 and hp[\"x\\\"y\"] = 2", "hp.a.b ; hp[\"x\\\"y\"]");
}

/* Runs with sub-runs, as Keras writes them: a session run and its train
 * and validation runs, each with epoch_loss = 1 / (index + 1) at step 1. */
static const char *const sub_names[] = {"b",   "a/validation", "a",	   "a/train",
					"a.b", "b/train",      "ab/train", "a/train/x"};

static int get_sub_series(tb_rql_series *out, size_t run, const char *tag, void *payload)
{
	static const int64_t step = 1;
	static double values[8];
	(void)payload;
	if (strcmp(tag, "epoch_loss") != 0 || strchr(sub_names[run], '/') == NULL)
		return 0;
	values[run] = 1.0 / (double)(run + 1);
	*out = (tb_rql_series){&step, &values[run], 1, NULL};
	return 1;
}

static void test_rql__sub_runs(void)
{
	tb_rql_table *t = tb_rql_table_new();
	for (size_t i = 0; i < sizeof sub_names / sizeof *sub_names; i++)
		tb_rql_table_add_run(t, sub_names[i]);
	tb_rql_table_series(t, get_sub_series, NULL, NULL);
	/* a/train is run 3 (0.25), a/validation run 1 (0.5), b/train run 5 */
	EXPECT_V(t, "last(epoch_loss, in 'train') > 0", "a=0.25,b=0.16666666666666666");
	EXPECT_V(t, "last(epoch_loss, in \"validation\") >= 0.5", "a=0.5");
	EXPECT_V(t, "max(epoch_loss, 0:, in 'train') < 0.2", "b=0.16666666666666666");
	EXPECT_V(t, "at(epoch_loss, 1, in 'train/x') > 0", "a=0.125");
	EXPECT(t, "count(epoch_loss, in 'test') = 0",
	       "a,a.b,a/train,a/train/x,a/validation,ab/train,b,b/train");
	EXPECT(t, "last(epoch_loss, in 'train') < 1 sort by last(epoch_loss, in 'train')", "b,a");
	check_columns("last(epoch_loss,in 'train') > 0 and last(epoch_loss, in \"train\") > 0 and "
		      "mean(x, 1:2, in 'a\"b') > 0",
		      "last(epoch_loss, in \"train\") ; mean(x, 1:2, in \"a\\\"b\")");
	EXPECT(t, "last(x, in train)",
	       "ERR col 12: expected a quoted sub-run name after 'in', found 'train'");
	EXPECT(t, "last(x, in '')", "ERR col 12: expected a sub-run name, found ''");
	EXPECT(t, "last(x, 1:, 'a')", "ERR col 13: expected in 'SUB-RUN', found ''a''");
	EXPECT(t, "at(x, in 'a')", "ERR col 7: expected an integer step, found 'in'");
	tb_rql_table_free(t);
}

static void test_rql__errors_name_their_column(void)
{
	static const struct {
		const char *q;
		const char *want;
	} cases[] = {
	    {"hp.lr >", "ERR col 8: expected a value (hp.NAME, run, folder, last(TAG), ..., a "
			"number, a string, true or false), found the end of the query"},
	    {"hp.lr > 0.1 and (last(val/acc) > 0.5",
	     "ERR col 37: expected ')', found the end of the query"},
	    {"(hp.lr > 0.1 and x", "ERR col 18: unknown name 'x': expected hp.NAME, run, folder, "
				   "true, false or last, first, max, min, mean, count, at"},
	    {"hp.", "ERR col 4: expected a hyperparameter name after 'hp.'"},
	    {"hp = 1", "ERR col 4: expected '.' or '[' after 'hp', found '='"},
	    {"hp[lr]", "ERR col 4: expected a quoted hyperparameter name, found 'lr'"},
	    {"hp['lr'", "ERR col 8: expected ']', found the end of the query"},
	    {"last val", "ERR col 6: expected '(' after a function name, found 'val'"},
	    {"last()", "ERR col 6: expected a tag name, found ')'"},
	    {"last(val/acc", "ERR col 13: expected ')', found the end of the query"},
	    {"max(val/acc, 5)",
	     "ERR col 15: expected ':' in a step range such as 100:500, found ')'"},
	    {"max(val/acc, a:5)", "ERR col 14: expected an integer step, found 'a'"},
	    {"at(val/acc)", "ERR col 11: expected ',' and a step: at(TAG, STEP), found ')'"},
	    {"at(val/acc, 1.5)", "ERR col 13: expected an integer step"},
	    {"at(val/acc, 99999999999999999999)", "ERR col 13: step out of range"},
	    {"run = 'abc", "ERR col 7: unterminated string"},
	    {"run ~ 5", "ERR col 7: expected a quoted regular expression, found '5'"},
	    {"run ~ 'a(b'", "ERR col 7: bad regular expression (at pattern offset 3): missing "
			    "closing parenthesis"},
	    {"hp.lr in 1", "ERR col 10: expected '[' after 'in', found '1'"},
	    {"hp.lr in [1 2]", "ERR col 13: expected ',' or ']', found '2'"},
	    {"hp.lr in [hp.x]", "ERR col 11: expected a number, string, true or false, found 'hp'"},
	    {"hp.lr not 1", "ERR col 11: expected 'in' after 'not', found '1'"},
	    {"hp.lr = 1 sort hp.lr", "ERR col 16: expected 'by' after 'sort', found 'hp'"},
	    {"sort by 1", "ERR col 9: expected a column to sort by (hp.NAME, run, folder or a "
			  "metric)"},
	    {"sort by run up", "ERR col 13: expected ',', 'asc', 'desc', 'limit' or the end of the "
			       "query, found 'up'"},
	    {"limit -1", "ERR col 7: limit must not be negative"},
	    {"limit x", "ERR col 7: expected an integer step, found 'x'"},
	    {"limit 5 x", "ERR col 9: expected the end of the query, found 'x'"},
	    {"hp.lr = 1)", "ERR col 10: unmatched ')'"},
	    {"(hp.lr = 1) = 2", "ERR col 13: a condition in parentheses cannot be compared"},
	    {"hp.lr = 1 hp.bs = 2", "ERR col 11: expected 'and', 'or', 'sort by', 'limit' or the "
				    "end of the query, found 'hp'"},
	    {"hp.lr = 1 @", "ERR col 11: expected 'and', 'or', 'sort by', 'limit' or the end of "
			    "the query, found '@'"},
	    {"hp.lr ! 1", "ERR col 7: expected 'and', 'or', 'sort by', 'limit' or the end of the "
			  "query, found '!'"},
	    /* columns count characters, not bytes */
	    {"'\xc3\xa9' = 1 and @", "ERR col 13: expected a value (hp.NAME, run, folder, "
				     "last(TAG), ..., a number, a string, true or false), found "
				     "'@'"},
	    {"run = '\x01", "ERR col 7: unterminated string"},
	    {"run = 1 and \x01", "ERR col 13: expected a value (hp.NAME, run, folder, last(TAG), "
				 "..., a number, a string, true or false), found byte 0x01"},
	    {"not", "ERR col 4: expected a value (hp.NAME, run, folder, last(TAG), ..., a number, "
		    "a string, true or false), found the end of the query"},
	    {"- x", "ERR col 3: expected a number after '-', found 'x'"},
	};
	tb_rql_table *t = make_table();
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		EXPECT(t, cases[i].q, cases[i].want);
	/* nesting is capped */
	tb_buf deep = TB_BUF_INIT;
	for (int i = 0; i < 100; i++)
		tb_buf_putc(&deep, '(');
	tb_buf_puts(&deep, "run = 'x'");
	EXPECT(t, deep.ptr, "ERR col 65: conditions nested too deeply");
	tb_buf_clear(&deep);
	for (int i = 0; i < 100; i++)
		tb_buf_puts(&deep, "not ");
	tb_buf_puts(&deep, "run = 'x'");
	EXPECT(t, deep.ptr, "ERR col 257: conditions nested too deeply");
	tb_buf_free(&deep);
	tb_rql_table_free(t);
}

static void test_rql__regex(void)
{
	tb_rql_table *t = make_table();
	/* backslashes reach PCRE2 as written, only \' and \\ are escapes */
	EXPECT(t, "run ~ '^lr0\\.1/seed\\d$'", "lr0.1/seed0,lr0.1/seed1");
	EXPECT(t, "run ~ 'seed1' or run ~ 'O(?i)THER'", "lr0.1/seed1");
	EXPECT(t, "run ~ '(?i)OTHER'", "other");
	EXPECT(t, "run !~ 'seed'", "other");
	EXPECT(t, "hp.lr ~ '^0\\.01$'", "lr0.01/seed0"); /* numbers match their repr */
	EXPECT(t, "hp.use_bn ~ 'true'", "lr0.1/seed0");
	EXPECT(t, "run ~ 'it\\'s'", "");
	tb_rql_table_free(t);

	/* a catastrophic pattern stops at the match limit with an error naming
	 * the query column of the match and the run */
	tb_rql_table *h = tb_rql_table_new();
	tb_rql_table_add_run(h, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!");
	EXPECT(h, "run ~ 'x' or run ~ '^(a|aa)+$'",
	       "ERR col 14: the regular expression reached its match limit on run "
	       "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'");
	EXPECT(h, "run ~ '^a+!$'", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!");
	tb_rql_table_free(h);
}

static void test_rql__table(void)
{
	tb_rql_table *t = tb_rql_table_new();
	CHECK_INT(tb_rql_table_add_run(t, "a/b/c"), 0);
	CHECK_INT(tb_rql_table_add_run(t, "."), 1);
	CHECK_STR(tb_rql_table_folder(t, 0), "a/b");
	CHECK_STR(tb_rql_table_folder(t, 1), ".");
	tb_rql_value v = {TB_RQL_STR, 0, "x"};
	tb_rql_table_set(t, 1, "k", &v);
	v.str = "y";
	tb_rql_table_set(t, 1, "k", &v); /* replaces, no leak */
	CHECK_STR(tb_rql_table_get(t, 1, "k").str, "y");
	CHECK_INT(tb_rql_table_get(t, 0, "k").type, TB_RQL_MISSING);
	CHECK_INT(tb_rql_table_get(t, 0, "none").type, TB_RQL_MISSING);
	/* no series source: metrics are missing, counts 0 */
	EXPECT_V(t, "count(x) = 0 and last(x) != 1 or run = '.'", ".=0.0|-");
	char buf[40];
	CHECK_STR(tb_rql_format(buf, (tb_rql_value){TB_RQL_NUM, 1e-5, NULL}), "1e-05");
	CHECK_STR(tb_rql_format(buf, (tb_rql_value){TB_RQL_BOOL, 1, NULL}), "true");
	CHECK_STR(tb_rql_format(buf, (tb_rql_value){0}), "");
	tb_rql_table_free(t);
	tb_rql_table_free(NULL);
	tb_rql_free(NULL);
	tb_rql_result_free(NULL);
}

int main(void)
{
	TB_RUN(test_rql__comparisons_and_literals);
	TB_RUN(test_rql__precedence);
	TB_RUN(test_rql__missing_values);
	TB_RUN(test_rql__metrics);
	TB_RUN(test_rql__sort_and_limit);
	TB_RUN(test_rql__columns);
	TB_RUN(test_rql__sub_runs);
	TB_RUN(test_rql__errors_name_their_column);
	TB_RUN(test_rql__regex);
	TB_RUN(test_rql__table);
	return tb_test_finish();
}
