/* What the run query parser hands the evaluator: a tree of conditions over
 * value columns, the sort keys and the limit. Private to src/query. */
#ifndef TB_RQL_INT_H
#define TB_RQL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rql.h"
#include "common/regex.h"

/* Column kinds. */
enum { RQ_COL_FOLDER, RQ_COL_HP, RQ_COL_METRIC };
/* Metric summaries. */
enum { RQ_LAST, RQ_FIRST, RQ_MAX, RQ_MIN, RQ_MEAN, RQ_COUNT, RQ_AT };

typedef struct rq_col {
	int kind;
	char *name; /* canonical text, e.g. "max(val/acc, 100:500)" (owned) */
	char *key;  /* RQ_COL_HP: hparam name; RQ_COL_METRIC: tag (owned) */
	char *sub;  /* RQ_COL_METRIC: the sub-run "<run>/<sub>" the tag is read
		     * from, or NULL for the run itself (owned) */
	int fn;	    /* RQ_COL_METRIC: RQ_* */
	int has_lo, has_hi;
	int64_t lo, hi; /* step range, both ends included; RQ_AT: lo = the step */
} rq_col;

/* Node kinds. */
enum { RQ_OR, RQ_AND, RQ_NOT, RQ_CMP, RQ_IN, RQ_MATCH, RQ_TRUTH, RQ_TRUE };
/* Comparison operators. */
enum { RQ_EQ, RQ_NE, RQ_LT, RQ_LE, RQ_GT, RQ_GE };

/* An operand: a column of the query or a literal. */
/* Operand and sort-key sources besides column indices. */
enum { RQ_LITERAL = -1, RQ_RUN = -2 };

typedef struct rq_operand {
	int col;	  /* index into columns, RQ_LITERAL or RQ_RUN (the name) */
	tb_rql_value lit; /* literal; its string is owned */
} rq_operand;

typedef struct rq_node {
	int kind;
	size_t col;	       /* 1-based query column, for messages */
	struct rq_node *a, *b; /* RQ_OR, RQ_AND: both; RQ_NOT: a */
	int op;		       /* RQ_CMP: RQ_EQ...; RQ_IN, RQ_MATCH: 1 = negated */
	rq_operand l, r;       /* RQ_CMP: l op r; RQ_IN, RQ_MATCH, RQ_TRUTH: l */
	rq_operand *set;       /* RQ_IN: literals (owned) */
	size_t n_set;
	tb_regex *re; /* RQ_MATCH (owned) */
} rq_node;

typedef struct rq_sort {
	int col; /* index into columns or RQ_RUN */
	int desc;
} rq_sort;

struct tb_rql {
	rq_node *where; /* never NULL; RQ_TRUE when the query has no condition */
	rq_col *cols;
	size_t n_cols;
	rq_sort *sort;
	size_t n_sort;
	int has_limit;
	uint64_t limit;
};

#endif
