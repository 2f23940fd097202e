/* The store's runs as a run-query table (query/rql.h): every run by name,
 * its hyperparameters from the hparams plugin's session_start_info as the
 * hparams dashboard decodes it, and its scalar series read in place.
 *
 * PyTorch's add_hparams (and libtboard's) writes a trial's hparams into a
 * child run "<run>/<time>" beside the run that holds the training curves.
 * A run without a session of its own and exactly one such child session
 * takes the child's hparams and, for tags it lacks, the child's scalars;
 * the child is then not listed on its own. Used by one thread while the
 * caller holds the store read lock. */
#ifndef TB_RUNTABLE_H
#define TB_RUNTABLE_H

#include <stddef.h>

#include "query/rql.h"
#include "store/store.h"

typedef struct tb_runtable tb_runtable;

/* Build the table of the runs in s. The caller holds the store read lock
 * (and no run lock) until tb_runtable_free. Runs whose hparams data does
 * not decode are listed without hparams. */
tb_runtable *tb_runtable_new(tb_store *s);
/* NULL is a no-op. */
void tb_runtable_free(tb_runtable *rt);
/* The query table (borrowed from rt). */
tb_rql_table *tb_runtable_table(tb_runtable *rt);
/* Run `row`'s scalar series `tag` (its own, else its hparams child's):
 * returns 1 with *out set and the run read-locked until
 * tb_runtable_done, or 0 with nothing locked. */
int tb_runtable_series(tb_rql_series *out, size_t row, const char *tag, void *rt);
void tb_runtable_done(size_t row, void *rt);

#endif
