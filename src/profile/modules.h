/* The Module view of one trace, as the reference plugin builds it: the
 * nn.Module hierarchy taken from the python_function events (each names
 * its Python id and its caller's), with, per module, the statistics of
 * the module nodes of the operator tree that share its name and module
 * id: occurrences, operators directly inside, host and device time, total
 * and self.
 *
 * The trace reader adds the python_function events as it parses (a few
 * numbers each, and the name of a module), the operator tree builder adds
 * each module node's statistics and finishes the view; then only the
 * view's rows stay, immutable, readable from any thread. */
#ifndef TB_PROF_MODULES_H
#define TB_PROF_MODULES_H

#include <stddef.h>
#include <stdint.h>

typedef struct tb_prof_modules tb_prof_modules;

/* One row of the view; its children are the next rows, the first at
 * index + 1 and each next one `size` rows after the previous. */
typedef struct tb_prof_modrow {
	char *name; /* "nn.Module: " removed */
	int64_t id; /* the Python module id */
	uint64_t occurrences, operators;
	double host, self_host, device, self_device, avg;
	uint32_t n_children, size; /* size: rows in its subtree, itself included */
} tb_prof_modrow;

tb_prof_modules *tb_prof_modules_new(void);
void tb_prof_modules_free(tb_prof_modules *m);

/* A python_function event: its Python id and parent id (has_*: given),
 * and when it is an nn.Module call, its name and module id. */
void tb_prof_modules_event(tb_prof_modules *m, int has_id, int64_t id, int has_parent,
			   int64_t parent, const char *module_name, int64_t module_id);

/* A module node of the final operator tree (in any order). */
void tb_prof_modules_node(tb_prof_modules *m, const char *name, int64_t module_id,
			  uint64_t operators, double host, double self_host, double device,
			  double self_device);

/* Build the rows (top-level modules sorted by name). Called once. */
void tb_prof_modules_finish(tb_prof_modules *m);

/* The rows, in pre-order; *out borrowed from m. Returns the count (0: the
 * trace has no Module view). */
size_t tb_prof_modules_rows(const tb_prof_modrow **out, const tb_prof_modules *m);

#endif
