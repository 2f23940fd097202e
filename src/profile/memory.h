/* The memory side of one trace, as the reference plugin computes it: every
 * [memory] event (allocation or free) of the trace, each allocation tied
 * to the operator that was running on its thread when it happened, and a
 * compact copy of the operator tree those operators live in (names,
 * times, children), so that the statistics of any time range can be
 * summed again without re-reading the file.
 *
 * The tree also answers the operator tree route of the Module view.
 *
 * Built by the run load only for traces that have [memory] events or
 * nn.Module events, and for any trace read with tb_prof_trace_read_copy
 * (the tree route reads the others again so).
 * The trace reader adds
 * the events while it parses, the operator tree builder (optree.c) hands
 * over the tree at the end of the file, and from then on the object is
 * immutable and may be read from any thread.
 *
 * Memory: one record per [memory] event (40 bytes) and one node per
 * operator-like event (56 bytes). */
#ifndef TB_PROF_MEMORY_H
#define TB_PROF_MEMORY_H

#include <stddef.h>
#include <stdint.h>

/* Device of a record that is neither CPU nor CUDA: left out of the
 * tables, as the reference leaves it out. */
#define TB_PROF_MEM_NODEV (-2)

/* The reference's name of a device: "CPU" (-1), "GPU<id>". */
void tb_prof_device_name(char *out, size_t n, int device);
/* qsort comparison of two int devices by name ("GPU10" < "GPU2"). */
int tb_prof_device_cmp(const void *a, const void *b);

/* One [memory] event. */
typedef struct tb_prof_memrec {
	double ts;
	int64_t tid;
	int64_t bytes; /* > 0: an allocation, else a free */
	uint64_t addr;
	int device; /* -1: CPU, >= 0: CUDA device id, TB_PROF_MEM_NODEV */
	uint8_t has_tid, tid_is_str, has_addr;
	uint32_t op, parent; /* names (tb_prof_memory_name) of the allocating
				operator and its parent; 0: unknown */
} tb_prof_memrec;

/* A node of the operator tree: its children are nodes[first .. first+n). */
typedef struct tb_prof_mnode {
	double start, end;
	int64_t tid;
	uint32_t name;
	uint32_t first, n;
	uint32_t rec_first, n_recs; /* its records: rec_of[rec_first ..] */
	uint8_t kind;		    /* enum tb_prof_okind (optree.h), 0xff: backward module */
	uint8_t is_op;		    /* an operator node (not a step, module, ...) */
	uint8_t processed;	    /* reached while tying records to nodes */
} tb_prof_mnode;

typedef struct tb_prof_memory tb_prof_memory;

tb_prof_memory *tb_prof_memory_new(void);
void tb_prof_memory_free(tb_prof_memory *m);

/* Add one event as read (op and parent ignored). */
void tb_prof_memory_add(tb_prof_memory *m, const tb_prof_memrec *r);

/* The tree as the operator tree builder ends it: n nodes, the roots
 * (thread trees, in the reference's order) with their thread ids, and the
 * names the nodes' name fields index (names[0] unused; m takes the
 * strings and the arrays). Ties each record to the innermost node that
 * contains it on its thread, as the reference does, then orders the
 * records by time. Called once. */
void tb_prof_memory_set_tree(tb_prof_memory *m, tb_prof_mnode *nodes, size_t n, uint32_t *roots,
			     const int64_t *root_tids, size_t n_roots, char **names,
			     size_t n_names);

/* Whether the trace had [memory] events at all. */
size_t tb_prof_memory_count(const tb_prof_memory *m);

/* The first thread's tree (the reference's operator tree answer): the
 * nodes, the name table and the root's index, or -1 when there is none. */
int64_t tb_prof_memory_tree(const tb_prof_mnode **nodes, char *const **names,
			    const tb_prof_memory *m);

/* Time range of a query: has_start / has_end say which bound is given. */
typedef struct tb_prof_mrange {
	int has_start, has_end;
	double start, end;
} tb_prof_mrange;

/* Memory statistics of the operators of one name on one device. */
enum {
	TB_MS_SELF_INCREASE,
	TB_MS_SELF_ALLOC_SIZE,
	TB_MS_SELF_ALLOC_COUNT,
	TB_MS_INCREASE,
	TB_MS_ALLOC_SIZE,
	TB_MS_ALLOC_COUNT,
	TB_MS_N,
};
typedef struct tb_prof_memstat {
	int device;
	const char *name;   /* borrowed from m */
	int64_t v[TB_MS_N]; /* bytes and counts, in the order above */
	uint64_t calls;	    /* operators of the name in the range */
} tb_prof_memstat;

/* The statistics of range r, as the reference's /memory computes them:
 * rows with some non-zero value, by device name ("CPU" < "GPU0" ...),
 * then operator name. *out is the caller's to free. Returns the count. */
size_t tb_prof_memory_stats(tb_prof_memstat **out, const tb_prof_memory *m,
			    const tb_prof_mrange *r);

/* One row of the events table: an allocation and its free, or one of
 * them alone. */
typedef struct tb_prof_memevent {
	int device;
	const char *op;	    /* operator name, NULL: unknown */
	const char *parent; /* its parent's, NULL: none */
	int64_t bytes;	    /* the size (positive) */
	int has_alloc, has_free;
	double alloc_ts, free_ts;
} tb_prof_memevent;

/* The events in range r, in the reference's order (paired ones as their
 * frees come, then lone allocations, then lone frees). *out is the
 * caller's to free. Returns the count. */
size_t tb_prof_memory_events(tb_prof_memevent **out, const tb_prof_memory *m,
			     const tb_prof_mrange *r);

#endif
