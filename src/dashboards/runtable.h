/* The store's runs as a run-query table (query/rql.h): every run by name,
 * its hyperparameters from the hparams plugin's session_start_info as the
 * hparams dashboard decodes it, and its scalar series read in place.
 *
 * PyTorch's add_hparams (and libtboard's) writes a trial's hparams into a
 * child run "<run>/<time>" beside the run that holds the training curves.
 * A run without a session of its own and exactly one such child session
 * takes the child's hparams and, for tags it lacks, the child's scalars;
 * the child is then not listed on its own. A table is read within the
 * reader it was got with; tb_runtable_get shares one cached
 * table between requests for as long as the runs and their sessions stay
 * the same (scalar series are read live, so new points need no rebuild). */
#ifndef TB_RUNTABLE_H
#define TB_RUNTABLE_H

#include <stddef.h>

#include "query/rql.h"
#include "store/store.h"

typedef struct tb_runtable tb_runtable;

/* Build the table of the runs rd reads. The caller keeps rd open until
 * tb_runtable_free, and uses the table on this thread. Runs whose hparams
 * data does not decode are listed without hparams. */
tb_runtable *tb_runtable_new(tb_reader *rd);
/* Free a table from tb_runtable_new. NULL is a no-op. */
void tb_runtable_free(tb_runtable *rt);
/* A table of the runs rd reads, shared between threads: the cached one when
 * the store still holds the runs and session_start_info contents it was
 * built from (checked run by run, a pointer, a name and a memcmp each), else
 * a new one that replaces it in the cache. The caller keeps rd open until
 * tb_runtable_put, and uses the table on this thread. Thread-safe. */
tb_runtable *tb_runtable_get(tb_reader *rd);
/* Release a table from tb_runtable_get. NULL is a no-op. Thread-safe. */
void tb_runtable_put(tb_runtable *rt);
/* The query table (borrowed from rt). */
tb_rql_table *tb_runtable_table(tb_runtable *rt);
/* Run `row`'s scalar series `tag` (its own, else its hparams child's):
 * returns 1 with *out set and the run held by the table's reader until
 * tb_runtable_done on the same thread, or 0. */
int tb_runtable_series(tb_rql_series *out, size_t row, const char *tag, void *rt);
void tb_runtable_done(size_t row, void *rt);

#endif
