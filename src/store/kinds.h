/* Summary kinds: the data plugins whose series the store keeps, one row
 * each with the data class their values decode to and how many points a
 * series keeps by default. The table (kinds.c) is the only place these
 * facts live; the loader, the store and the usage text read it.
 *
 * A new summary kind is one row in kinds.c. */
#ifndef TB_KINDS_H
#define TB_KINDS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

typedef struct tb_kind {
	const char *name; /* data plugin name, e.g. "scalars" */
	int data_class;	  /* TB_DC_* from proto/event.h */
	uint64_t keep;	  /* default reservoir size; 0 = set by data class */
} tb_kind;

/* The row of data plugin `name`, or NULL for a plugin tboard does not
 * know. */
const tb_kind *tb_kind_find(tb_slice name);

/* The data class of series of data plugin `name` written without one
 * (TB_DC_UNKNOWN for unknown plugins). */
int tb_kind_data_class(tb_slice name);

/* Default reservoir size for a series of data plugin `name` and data class
 * `data_class`: the kind's own size, else by data class (upstream's
 * defaults: scalars 1000, tensors 100, blob sequences 10). */
uint64_t tb_kind_keep(const char *name, int data_class);

/* Append "scalars 1000, histograms 500, ..." (the kinds with a size of
 * their own, then the per-class fallbacks) to b, for the usage text. */
void tb_kind_describe_defaults(tb_buf *b);

#endif
