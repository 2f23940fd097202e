/* Tests for the memory tables (src/profile/memory.c) and the Module view
 * (src/profile/modules.c) on small traces: allocations tied to the
 * operator running on their thread, self and total statistics, a time
 * range, allocations paired with their frees, and the module hierarchy
 * with its times. */
#include "../harness.h"
#include "profile/memory.h"
#include "profile/modules.h"
#include "profile/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static tb_prof_trace *parse_ops(const char *text)
{
	tb_prof_parser *p = tb_prof_parser_new();
	tb_prof_parser_keep_ops(p);
	CHECK_INT(tb_prof_parser_feed(p, text, strlen(text)), 0);
	tb_prof_trace *t;
	tb_prof_parser_finish(&t, p);
	return t;
}

#define OP(name, ts, dur)                                                                          \
	"{\"ph\":\"X\",\"cat\":\"cpu_op\",\"name\":\"" name "\",\"pid\":1,\"tid\":1,\"ts\":" #ts   \
	",\"dur\":" #dur "},"
#define MEM(ts, addr, bytes, tid)                                                                  \
	"{\"ph\":\"i\",\"s\":\"t\",\"name\":\"[memory]\",\"pid\":1,\"tid\":" tid ",\"ts\":" #ts    \
	",\"args\":{\"Addr\":" #addr ",\"Bytes\":" #bytes ",\"Device Type\":1,\"Device Id\":0,"    \
	"\"Total Allocated\":0,\"Total Reserved\":0}},"
#define PY(name, ts, dur, id, parent, extra)                                                       \
	"{\"ph\":\"X\",\"cat\":\"python_function\",\"name\":\"" name "\",\"pid\":1,\"tid\":1,"     \
	"\"ts\":" #ts ",\"dur\":" #dur ",\"args\":{\"Python id\":" #id                             \
	",\"Python parent id\":" #parent extra "}},"

/* aten::linear [0, 100) holds aten::empty [10, 20) and aten::add [50, 60);
 * allocations in empty (100 and 50 bytes) and add (30), a free of
 * empty's 100 in add, one allocation outside every operator, one on a
 * thread written as a string (never tied), and one never freed. */
static const char TRACE[] = "{\"traceEvents\":[" OP("aten::linear", 0, 100)
    OP("aten::empty", 10, 10) OP("aten::add", 50, 10) MEM(12, 1, 100, "1") MEM(14, 2, 50, "1")
	MEM(52, 3, 30, "1") MEM(55, 1, -100, "1") MEM(200, 4, 7, "1") MEM(
	    15, 5, 9,
	    "\"1\"") "{\"ph\":\"X\",\"cat\":\"cpu_op\",\"name\":\"aten::mul\",\"pid\":1,\"tid\":1,"
		     "\"ts\":300,\"dur\":1}]}";

static const tb_prof_memstat *stat_of(const tb_prof_memstat *s, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s[i].name, name) == 0)
			return &s[i];
	return NULL;
}

static void test_stats(void)
{
	tb_prof_trace *t = parse_ops(TRACE);
	CHECK_INT(t->status, TB_PROF_OK);
	CHECK(t->memory != NULL);
	CHECK_INT(tb_prof_memory_count(t->memory), 6);
	tb_prof_mrange all = {0};
	tb_prof_memstat *s;
	size_t n = tb_prof_memory_stats(&s, t->memory, &all);
	CHECK_INT(n, 3);
	const tb_prof_memstat *lin = stat_of(s, n, "aten::linear");
	const tb_prof_memstat *emp = stat_of(s, n, "aten::empty");
	const tb_prof_memstat *add = stat_of(s, n, "aten::add");
	CHECK(lin && emp && add);
	if (lin && emp && add) {
		CHECK_INT(emp->v[TB_MS_SELF_ALLOC_COUNT], 2);
		CHECK_INT(emp->v[TB_MS_SELF_ALLOC_SIZE], 150);
		CHECK_INT(add->v[TB_MS_SELF_INCREASE], 30 - 100);
		CHECK_INT(lin->v[TB_MS_SELF_INCREASE], 0);
		CHECK_INT(lin->v[TB_MS_INCREASE], 150 + 30 - 100);
		CHECK_INT(lin->v[TB_MS_ALLOC_COUNT], 3);
		CHECK_INT(lin->calls, 1);
		CHECK_INT(lin->device, 0);
	}
	free(s);
	/* from 50 on: only add's records, and linear still holds them */
	tb_prof_mrange late = {1, 0, 50, 0};
	n = tb_prof_memory_stats(&s, t->memory, &late);
	CHECK(stat_of(s, n, "aten::empty") == NULL);
	lin = stat_of(s, n, "aten::linear");
	CHECK(lin && lin->v[TB_MS_INCREASE] == -70 && lin->v[TB_MS_ALLOC_COUNT] == 1);
	free(s);
	tb_prof_trace_free(t);
}

static void test_events(void)
{
	tb_prof_trace *t = parse_ops(TRACE);
	tb_prof_mrange all = {0};
	tb_prof_memevent *e;
	size_t n = tb_prof_memory_events(&e, t->memory, &all);
	CHECK_INT(n, 5);
	if (n == 5) {
		/* the pair first (as its free comes), then lone allocations in
		 * the order their addresses were first allocated */
		CHECK(e[0].has_alloc && e[0].has_free && e[0].bytes == 100);
		CHECK_STR(e[0].op, "aten::empty");
		CHECK_STR(e[0].parent, "aten::linear");
		CHECK(e[0].alloc_ts == 12 && e[0].free_ts == 55);
		CHECK(e[1].has_alloc && !e[1].has_free && e[1].bytes == 50);
		CHECK(e[2].op == NULL && e[2].bytes == 9); /* string thread id */
		CHECK(e[3].bytes == 30 && e[3].op && strcmp(e[3].op, "aten::add") == 0);
		CHECK(e[4].op == NULL && e[4].bytes == 7); /* outside every operator */
	}
	free(e);
	/* from 50 on, the free's allocation is out of range: a lone free,
	 * still named after its allocation's operator */
	tb_prof_mrange late = {1, 0, 50, 0};
	n = tb_prof_memory_events(&e, t->memory, &late);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK(!e[2].has_alloc && e[2].has_free && e[2].bytes == 100);
		CHECK_STR(e[2].op, "aten::empty");
	}
	free(e);
	tb_prof_trace_free(t);
}

/* Net_0 calls Linear_0 twice (module id 7) and ReLU_0; a plain function
 * sits between Net and its second Linear call. */
static const char MODULES[] =
    "{\"traceEvents\":[" PY("nn.Module: Net_0", 0, 100, 1, 0, ",\"Python module id\":1")
	PY("nn.Module: Linear_0", 10, 20, 2, 1, ",\"Python module id\":7")
	    PY("utils.py(3): pad", 40, 30, 3, 1, "") PY("nn.Module: Linear_0", 45, 20, 4, 3,
							",\"Python module id\":7")
		PY("nn.Module: ReLU_0", 80, 10, 5, 1, ",\"Python module id\":9")
		    OP("aten::linear", 12, 10)
			OP("aten::linear", 47,
			   10) "{\"ph\":\"X\",\"cat\":\"cpu_op\",\"name\":\"aten::relu\",\"pid\":1,"
			       "\"tid\":1,\"ts\":81,\"dur\":5}]}";

static void test_modules(void)
{
	tb_prof_trace *t = parse_ops(MODULES);
	CHECK_INT(t->status, TB_PROF_OK);
	const tb_prof_modrow *r;
	size_t n = tb_prof_modules_rows(&r, t->modules);
	/* Net, then its children in the order they were met: Linear (the
	 * first call's id), Linear again (the second call), ReLU */
	CHECK_INT(n, 4);
	if (n == 4) {
		CHECK_STR(r[0].name, "Net_0");
		CHECK_INT(r[0].n_children, 3);
		CHECK_INT(r[0].size, 4);
		CHECK_STR(r[1].name, "Linear_0");
		CHECK_INT(r[1].occurrences, 2);
		CHECK_INT(r[1].operators, 2);
		CHECK(r[1].host == 40);
		CHECK_STR(r[3].name, "ReLU_0");
		CHECK_INT(r[3].operators, 1);
		CHECK(r[3].self_host == 5);
		CHECK(r[3].avg == 10); /* no device time: the host average */
	}
	/* no [memory] events: the tree is kept for the Module view alone */
	const tb_prof_mnode *nodes;
	char *const *names;
	int64_t root = tb_prof_memory_tree(&nodes, &names, t->memory);
	CHECK(root >= 0);
	if (root >= 0)
		CHECK_STR(names[nodes[root].name], "CallTreeRoot");
	tb_prof_trace_free(t);
}

/* The operators of TRACE without its [memory] events. */
static const char OPS_ONLY[] = "{\"traceEvents\":[" OP("aten::linear", 0, 100)
    OP("aten::empty", 10, 10) OP("aten::add", 50, 10) "{\"ph\":\"X\",\"cat\":\"cpu_op\","
						      "\"name\":\"aten::mul\",\"pid\":1,\"tid\":1,"
						      "\"ts\":300,\"dur\":1}]}";

/* Whether the subtrees at a and b are the same: names, times, kinds,
 * threads and children. */
static int same_tree(const tb_prof_mnode *an, char *const *anames, uint32_t a,
		     const tb_prof_mnode *bn, char *const *bnames, uint32_t b)
{
	const tb_prof_mnode *x = &an[a], *y = &bn[b];
	if (strcmp(anames[x->name], bnames[y->name]) != 0 || x->start != y->start ||
	    x->end != y->end || x->kind != y->kind || x->tid != y->tid || x->n != y->n)
		return 0;
	for (uint32_t c = 0; c < x->n; c++)
		if (!same_tree(an, anames, x->first + c, bn, bnames, y->first + c))
			return 0;
	return 1;
}

/* A trace without [memory] or module events keeps no tree after the load;
 * read again with its tree (as the tree route does), it has the one the
 * load keeps when the trace has [memory] events. */
static void test_tree_read_again(void)
{
	tb_prof_trace *loaded = parse_ops(OPS_ONLY);
	CHECK_INT(loaded->status, TB_PROF_OK);
	CHECK(loaded->memory == NULL);
	tb_prof_trace_free(loaded);

	char path[] = "/tmp/tb_prof_treeXXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_INT((int)write(fd, OPS_ONLY, sizeof OPS_ONLY - 1), (int)(sizeof OPS_ONLY - 1));
	close(fd);
	tb_prof_trace *again;
	tb_prof_trace_read_copy(&again, path);
	unlink(path);
	tb_prof_trace *kept = parse_ops(TRACE);
	const tb_prof_mnode *an, *kn;
	char *const *anames, *const *knames;
	int64_t ar = tb_prof_memory_tree(&an, &anames, again->memory);
	int64_t kr = tb_prof_memory_tree(&kn, &knames, kept->memory);
	CHECK(ar >= 0 && kr >= 0);
	if (ar >= 0 && kr >= 0) {
		CHECK_STR(anames[an[ar].name], "CallTreeRoot");
		CHECK_INT(an[ar].n, 2); /* aten::linear (with empty and add), aten::mul */
		CHECK(same_tree(an, anames, (uint32_t)ar, kn, knames, (uint32_t)kr));
	}
	CHECK_INT(tb_prof_memory_count(again->memory), 0);
	tb_prof_trace_free(again);
	tb_prof_trace_free(kept);
}

int main(void)
{
	TB_RUN(test_stats);
	TB_RUN(test_events);
	TB_RUN(test_modules);
	TB_RUN(test_tree_read_again);
	return tb_test_finish();
}
