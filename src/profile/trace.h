/* One PyTorch profiler trace (`*.pt.trace.json[.gz]`) reduced to what the
 * Profile dashboard serves: a few flags that decide its views and, per
 * kernel name, the kernel statistics. The file is read once, streaming,
 * through the file-system layer (ranged reads of 128 KiB, gzip inflated
 * as it arrives, yajl on the text), so a trace in object storage reads
 * as a local one and memory stays bounded by the number of distinct
 * kernel names and communication operators, never by the file's size.
 *
 * A trace is either a Kineto JSON object ({"traceEvents": [...], ...}),
 * the legacy bare array written by profilers built without Kineto (listed,
 * no views), or unusable (truncated, invalid JSON, or an event the
 * reference plugin rejects); the last two carry a message. A Chrome trace
 * of another profiler (`<host>.trace.json[.gz]` as TensorFlow and JAX
 * write them) is only checked: valid JSON, an object with a traceEvents
 * array or a bare array; its events are counted, not folded.
 *
 * A tb_prof_trace is immutable once built and may be read from any
 * thread. */
#ifndef TB_PROF_TRACE_H
#define TB_PROF_TRACE_H

#include <stddef.h>
#include <stdint.h>

enum tb_prof_status {
	TB_PROF_OK = 0,	    /* a Kineto trace object */
	TB_PROF_LEGACY = 1, /* a bare event array: no views */
	TB_PROF_BAD = 2,    /* unreadable or rejected; see error */
	TB_PROF_CHROME = 3, /* a Chrome trace another profiler wrote
			     * (TensorFlow, JAX): drawn, no other view */
};

/* Communication libraries seen (bits of comm_libs). */
#define TB_PROF_NCCL 1
#define TB_PROF_GLOO 2

/* Statistics of the kernels that share a name. */
typedef struct tb_prof_kernel {
	char *name;
	uint64_t count;
	double sum, min, max; /* durations in microseconds */
	double wbps, wocc;    /* sums of duration x blocks per SM / occupancy */
	int tensor_cores;     /* the name marks a Tensor Core kernel */
} tb_prof_kernel;

/* A communication operator (nccl:* or gloo:* collective) with the number
 * of time ranges the reference attaches to it (itself plus its NCCL
 * kernels), in (start, -end) order. */
typedef struct tb_prof_comm {
	double start, end;
	uint32_t ranges;
} tb_prof_comm;

/* A number as Python holds it after json.loads: an int or a float. */
typedef struct tb_prof_num {
	double v;
	int is_float;
} tb_prof_num;

/* A kernel on a device, kept only when asked (tb_prof_parser_keep_kernels). */
typedef struct tb_prof_kspan {
	tb_prof_num start, end, bps;
	int device;
	int has_bps;
} tb_prof_kspan;

/* A [memory] event with an address and both totals: one point of the
 * memory curve. */
typedef struct tb_prof_mem {
	tb_prof_num ts;
	int device; /* -1: CPU, else the CUDA device id */
	double allocated, reserved;
} tb_prof_mem;

/* One entry of the trace's deviceProperties, as far as the views use it. */
typedef struct tb_prof_device {
	char *name; /* NULL when absent */
	int has_mem, has_major, has_minor;
	tb_prof_num mem, major, minor; /* totalGlobalMem, computeMajor, computeMinor */
} tb_prof_device;

/* Operators that share a key (name; name and input shapes; and, for the
 * call-stack groupings, the call stack too), summed over their calls.
 * Times in microseconds, as read (whole numbers unless the trace has
 * fractional times). */
typedef struct tb_prof_opagg {
	char *name;
	char *shape; /* Python's str() of the first call's input shapes */
	char *stack; /* the call stack (stack groupings only), else NULL */
	uint64_t calls;
	double host, self_host, device, self_device, tc_self, tc_total;
	int tc_eligible;
} tb_prof_opagg;

/* Operator groupings (index of tb_prof_trace.ops). */
enum tb_prof_group {
	TB_PROF_BY_NAME,
	TB_PROF_BY_SHAPE,	/* name and input shapes */
	TB_PROF_BY_NAME_STACK,	/* name and call stack, only calls with a stack */
	TB_PROF_BY_SHAPE_STACK, /* name, input shapes and call stack, likewise */
	TB_PROF_N_GROUPS,
};

/* Kernels that share name, launching operator, grid, block, registers
 * and shared memory. */
typedef struct tb_prof_kopagg {
	char *name, *op, *grid, *block, *regs, *shmem;
	uint64_t calls;
	double sum, min, max, wbps, wocc;
	int tc_used, op_tc_eligible;
} tb_prof_kopagg;

/* Where a step's time goes, in the reference's order. */
enum tb_prof_role {
	TB_PROF_ROLE_KERNEL,
	TB_PROF_ROLE_MEMCPY,
	TB_PROF_ROLE_MEMSET,
	TB_PROF_ROLE_COMM,
	TB_PROF_ROLE_RUNTIME,
	TB_PROF_ROLE_DATALOADER,
	TB_PROF_ROLE_CPU,
	TB_PROF_ROLE_OTHER,
	TB_PROF_N_ROLES,
};

/* One step of the Overview: its name ("5" for ProfilerStep#5, "0" for a
 * trace without steps), its time per role and in all. Each number carries
 * whether Python holds it as a float (a sum over no range is the int 0). */
typedef struct tb_prof_step {
	char *name;
	tb_prof_num cost[TB_PROF_N_ROLES], total;
	/* the Distributed view's split: compute (kernels, else CPU
	 * operators), communication, their overlap, and the rest */
	tb_prof_num compute, comm, overlap, other;
} tb_prof_step;

/* Device ids the GPU summary counts (args.device below this). */
#define TB_PROF_MAX_GPUS 1024

/* What the Overview's GPU summary says of one device that ran kernels. */
typedef struct tb_prof_gpu {
	int id;
	double util; /* busy time / all steps' time */
	int has_sm_eff, has_occ, has_tc;
	double sm_eff, occ, tc; /* est. SM efficiency, achieved occupancy (%), Tensor Core share */
} tb_prof_gpu;

/* A communication operator as the Distributed view reads it: its ranges
 * (its own, then with NCCL its kernels', by start then longest first),
 * the bytes of its inputs and the index of its step (-1: none). */
typedef struct tb_prof_commnode {
	char *name;
	double bytes;
	double *ranges; /* n_ranges pairs of start, end */
	size_t n_ranges;
	long step;
} tb_prof_commnode;

typedef struct tb_prof_trace {
	int status;
	char *error; /* status TB_PROF_BAD: what is wrong, one line */
	uint64_t events;
	int has_kernel, has_runtime, has_memcpy_or_memset;
	int has_memory;	    /* [memory] instant events */
	int has_module;	    /* python_function events of nn.Modules */
	int has_blocks_per_sm, has_occupancy;
	int kernel_dur_float; /* some kernel duration is not an integer */
	int comm_libs;	      /* TB_PROF_NCCL | TB_PROF_GLOO */
	tb_prof_kernel *kernels; /* by total duration, descending, then name */
	size_t n_kernels;
	tb_prof_comm *comms; /* empty when both libraries are used */
	size_t n_comms;
	size_t n_comm_ops; /* communication operators, before deduplication */
	/* the time range the reference draws GPU counters over: the
	 * "PyTorch Profiler (0)" event, else all complete events */
	int has_range;
	tb_prof_num range_start, range_end;
	tb_prof_kspan *kspans; /* in time order (stable); only when kept */
	size_t n_kspans;
	tb_prof_device *devices; /* deviceProperties, in order */
	size_t n_devices;
	int *used_devices; /* pids of kernels, memcpys and memsets, ascending */
	size_t n_used_devices;
	int has_start;
	tb_prof_num start; /* earliest event the reference reads (profiler_start_ts) */
	tb_prof_mem *mem; /* memory curve points in time order (stable) */
	size_t n_mem;
	/* the operator tree's aggregates (optree.h), in the reference's
	 * order: first seen in a post-order walk of the threads' trees */
	tb_prof_opagg *ops[TB_PROF_N_GROUPS];
	size_t n_ops[TB_PROF_N_GROUPS];
	tb_prof_kopagg *kops;
	size_t n_kops;
	/* the Overview */
	int has_overview;
	int has_comm_role;   /* some communication time */
	int use_dp, use_ddp; /* DataParallel.forward / DistributedDataParallel.forward seen */
	tb_prof_step *steps;
	size_t n_steps;
	/* the memory tables (memory.h), kept when the run load builds the
	 * operator tree and the trace has [memory] events, else NULL */
	struct tb_prof_memory *memory;
	/* the Module view (modules.h), likewise for traces with
	 * python_function events, else NULL */
	struct tb_prof_modules *modules;
	/* GPU activity: the Overview's GPU summary, the share of kernel time
	 * launched by Tensor Core eligible operators, the communication
	 * operators in time order (none when both libraries are used) */
	double steps_start, steps_end; /* from the first step's start to the last's end */
	tb_prof_gpu *gpus;
	size_t n_gpus;
	double tc_eligible_ratio;
	tb_prof_commnode *commnodes;
	size_t n_commnodes;
	int times_float;	     /* some time was written with a fraction */
	struct tb_prof_optree *tree; /* only when read with tb_prof_trace_read_tree */
} tb_prof_trace;

/* A streaming parser: feed the file's bytes in pieces, then finish. */
typedef struct tb_prof_parser tb_prof_parser;

tb_prof_parser *tb_prof_parser_new(void);
/* Parse the next n bytes. Returns 0, or TB_ECORRUPT once the input is
 * known to be bad (later calls do nothing). */
int tb_prof_parser_feed(tb_prof_parser *p, const void *buf, size_t n);
/* End of input: build the trace into *out (caller frees with
 * tb_prof_trace_free) and free p. Always succeeds; a bad input gives a
 * trace with status TB_PROF_BAD and a message. */
void tb_prof_parser_finish(tb_prof_trace **out, tb_prof_parser *p);
void tb_prof_parser_free(tb_prof_parser *p);
/* Also keep every kernel that names its device (kspans): memory grows with
 * the number of kernels, so this is for one pass that needs them. */
void tb_prof_parser_keep_kernels(tb_prof_parser *p);

/* Read the input as another profiler's Chrome trace (TB_PROF_CHROME):
 * check it and count its events, nothing else. */
void tb_prof_parser_chrome(tb_prof_parser *p);

/* Also build the operator tree (optree.h) and keep its aggregates: memory
 * grows with the number of events until the end of the input. The run
 * load (tb_prof_trace_read) does this. */
void tb_prof_parser_keep_ops(tb_prof_parser *p);

/* Receives a file's text piece by piece; nonzero stops the reading. */
typedef int (*tb_prof_sink)(const void *buf, size_t n, void *payload);

/* Read the file at path (a local path or an object storage URL) through
 * the file-system layer in chunks, inflating it when it starts as gzip
 * (concatenated members too), and pass its text to fn in pieces of at
 * most 128 KiB. Returns 0 once all of it was passed; fn's nonzero answer
 * as soon as it gives one; TB_ENOTFOUND or TB_EIO when the file cannot be
 * opened or read, or TB_ECORRUPT when the gzip stream is damaged or cut,
 * those three with *msg set to one line saying why (the caller frees it;
 * NULL otherwise). Thread-safe. */
int tb_prof_read_text(char **msg, const char *path, tb_prof_sink fn, void *payload);

/* The same text pulled piece by piece: open path (0, TB_ENOTFOUND or
 * TB_EIO with *msg set), read up to n bytes of text at a time (the count,
 * 0 at the end, or TB_EIO / TB_ECORRUPT with *msg set; the caller frees
 * *msg), close (NULL is a no-op). One reader per thread at a time. */
typedef struct tb_prof_text tb_prof_text;
int tb_prof_text_open(tb_prof_text **out, char **msg, const char *path);
int64_t tb_prof_text_read(tb_prof_text *t, void *buf, size_t n, char **msg);
void tb_prof_text_close(tb_prof_text *t);

/* Read and parse the file at path (gzip or not) with tb_prof_read_text. Always gives a trace;
 * an unreadable file gives TB_PROF_BAD. */
void tb_prof_trace_read(tb_prof_trace **out, const char *path);
/* The same, keeping the kernels (see tb_prof_parser_keep_kernels). */
void tb_prof_trace_read_kernels(tb_prof_trace **out, const char *path);
/* The same, keeping the first thread's operator tree (optree.h): memory
 * grows with its operators, so this is for one request that needs it. */
void tb_prof_trace_read_tree(tb_prof_trace **out, const char *path);
/* The same, keeping instead the memory tables' compact copy of the
 * threads' trees (memory.h) even when the trace has neither [memory] nor
 * module events. */
void tb_prof_trace_read_copy(tb_prof_trace **out, const char *path);
/* Check another profiler's Chrome trace (tb_prof_parser_chrome): status
 * TB_PROF_CHROME, or TB_PROF_BAD with a message. */
void tb_prof_trace_read_chrome(tb_prof_trace **out, const char *path);
void tb_prof_trace_free(tb_prof_trace *t);

/* Whether kernel `name` uses Tensor Cores by the reference's list of
 * name fragments. */
int tb_prof_tensor_core_kernel(const char *name);

#endif
