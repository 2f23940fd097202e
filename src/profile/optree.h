/* The operator tree of one trace, as the reference plugin builds it, and
 * the Operator and Kernel view aggregates taken from it.
 *
 * The trace reader (trace.c) hands every host and device event it meets
 * to a builder; at the end of the file the builder sorts them by time,
 * links device activity to the runtime call that launched it (through
 * the correlation id) and runtime calls to their operator (through the
 * external id), nests operators per thread by time range, merges a node
 * with its only child of the same name, fills in the host and device
 * times, and aggregates operators by name, by name and input shapes, and
 * by those plus the call stack, and kernels by name and operator. Only
 * the aggregates stay (in tb_prof_trace); the events and the tree are
 * freed.
 *
 * When the trace has nn.Module events and forward/backward flows, the
 * backward operators move under "<module>.backward" nodes placed in the
 * main thread's tree, as the reference does; backward operators it cannot
 * pair with a forward operator of a module leave the tree (and so the
 * aggregates) there too.
 *
 * It also splits each step's time into the reference's roles (the
 * Overview), with steps stretched to the device activity they launched,
 * and keeps the GPU summary and the communication operators. */
#ifndef TB_PROF_OPTREE_H
#define TB_PROF_OPTREE_H

#include <stdint.h>

#include "trace.h"

/* Kinds of the events the tree is built from. */
enum tb_prof_okind {
	TB_OK_KERNEL,
	TB_OK_MEMCPY,
	TB_OK_MEMSET,
	TB_OK_RUNTIME,
	TB_OK_OPERATOR,	  /* cpu_op / Operator */
	TB_OK_ANNOTATION, /* user_annotation */
	TB_OK_PYTHON,	  /* cat "python" */
	TB_OK_MODULE,	  /* python_function of an nn.Module */
	TB_OK_STEP,	  /* ProfilerStep#N */
};

/* One event as read; strings are copied by the builder. */
typedef struct tb_prof_oprec {
	int kind;
	const char *name;
	double ts, dur;
	int64_t tid;
	int tid_is_str; /* the trace wrote the thread id as a string */
	int has_ext, has_corr;
	int64_t ext, corr;
	const char *stack; /* "Call stack", NULL when absent */
	const char *shape; /* Python's str() of the input shapes */
	/* kernels: Python's str() of grid and block, str(x or '0') of the
	 * registers per thread and shared memory */
	const char *grid, *block, *regs, *shmem;
	int has_bps, has_occ;
	double bps, occ;
	int is_float; /* ts or dur was written with a fraction */
	int64_t module_id; /* modules: "Python module id" */
	int device;   /* kernels: args.device, -1 when absent */
	const char *types; /* Python's str() of "Input type", NULL when absent */
} tb_prof_oprec;

typedef struct tb_prof_opbuild tb_prof_opbuild;

/* Node classes of the operator tree, as the reference's node types. */
enum tb_prof_tclass {
	TB_TC_OP,
	TB_TC_STEP,
	TB_TC_MODULE,
	TB_TC_DATALOADER,
	TB_TC_OPTIMIZER,
	TB_TC_ROOT,
	TB_TC_BACKWARD,
};

/* One node of a kept tree; times in microseconds. */
typedef struct tb_prof_tnode {
	char *name;
	int cls;   /* enum tb_prof_tclass */
	int is_op; /* aggregated as an operator */
	double start, end, dev, self_host, self_dev;
	size_t first_kid, n_kids; /* its children are nodes first_kid.. */
} tb_prof_tnode;

/* The first thread's operator tree (node 0 is its root), kept when asked
 * (tb_prof_opbuild_keep_tree) for the Diff view. */
typedef struct tb_prof_optree {
	tb_prof_tnode *nodes;
	size_t n_nodes;
} tb_prof_optree;

void tb_prof_optree_free(tb_prof_optree *t);

tb_prof_opbuild *tb_prof_opbuild_new(void);
void tb_prof_opbuild_add(tb_prof_opbuild *b, const tb_prof_oprec *r);
/* A forward/backward flow event: its start (is_start) or its end. */
void tb_prof_opbuild_flow(tb_prof_opbuild *b, int is_start, int64_t id, double ts);
/* Also keep the first thread's tree in t->tree. */
void tb_prof_opbuild_keep_tree(tb_prof_opbuild *b);
/* Also make the memory tables' copy of the trees (t->memory) when the
 * trace has neither [memory] nor module events. */
void tb_prof_opbuild_keep_copy(tb_prof_opbuild *b);
/* Build the tree, store the aggregates in t and free b. */
void tb_prof_opbuild_finish(tb_prof_opbuild *b, tb_prof_trace *t);
void tb_prof_opbuild_free(tb_prof_opbuild *b);

#endif
