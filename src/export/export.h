/* Bulk export: every point of the selected runs and tags, read straight
 * from the event files (not the store's samples), into up to four tables
 * (table.h):
 *
 *   scalars     run, tag, step, wall_time, value
 *   histograms  run, tag, step, wall_time, bucket_left, bucket_right, count
 *   hparams     run, name, number, text   (a session's hyperparameters; a
 *               bool is the number 1 or 0 and the text "true" or "false")
 *   summaries   run, tag, points, first_step, last_step, last_wall_time,
 *               min, max, mean, last      (one row per scalar series)
 *
 * Runs are found as the loader finds them and read one at a time, file by
 * file in name order, through the loader's event conversions
 * (ingest/compat.h): a point leaves for its table as soon as its event is
 * decoded, in file order, every point the files hold (no sampling, and the
 * server's rule that a restarted step replaces later ones is not applied).
 * Memory holds one run's series headers and one read buffer, whatever the
 * size of the files. A record cut short at the end of a file (a file still
 * being written) ends that file; damage is skipped as the loader skips it. */
#ifndef TB_EXPORT_H
#define TB_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "common/regex.h"
#include "ingest/loader.h"
#include "table.h"

enum { TB_EXPORT_SCALARS, TB_EXPORT_HISTOGRAMS, TB_EXPORT_HPARAMS, TB_EXPORT_SUMMARIES };
#define TB_EXPORT_TABLES 4

/* "scalars", "histograms", "hparams", "summaries". */
const char *tb_export_table_name(int which);
/* The table called name, or -1. */
int tb_export_table_find(const char *name);
/* A new table with the columns of table `which` (see tb_table_new). */
tb_table *tb_export_table_new(int which, int format, int gzip, tb_table_out_fn out, void *payload);

typedef struct tb_export_progress {
	size_t runs_done, runs;	    /* runs read / to read */
	uint64_t bytes_done, bytes; /* event-file bytes read / to read */
	uint64_t points;	    /* scalar points and histograms written */
} tb_export_progress;

typedef struct tb_export_opts {
	const tb_loader_source *sources; /* log directories, as the loader takes them */
	size_t n_sources;
	const char *const *runs; /* run names to export; NULL: every run */
	size_t n_runs;
	const tb_regex *tags;	      /* tags to export; NULL: every tag */
	const char *const *tag_names; /* and only these tags; NULL: no such limit */
	size_t n_tag_names;
	tb_table *tables[TB_EXPORT_TABLES]; /* by TB_EXPORT_*; NULL: not written */
	/* tb_export_run calls it every 64k records; nonzero stops the
	 * export. May be NULL. */
	int (*progress)(const tb_export_progress *p, void *payload);
	void *payload;
} tb_export_opts;

typedef struct tb_export tb_export;

/* An export of o (borrowed until tb_export_free): finds the runs to read
 * and the bytes they hold; reads nothing yet. */
tb_export *tb_export_new(const tb_export_opts *o);
/* Read up to `records` more records, writing their points to the tables
 * (and a run's summaries and hparams after its last file). Returns 1 while
 * there is more to read, 0 when everything is written, or a table's output
 * error. Lets a caller interleave an export with other work (a streamed
 * HTTP answer asks for the next chunk). */
int tb_export_step(tb_export *x, size_t records);
/* Counts so far (borrowed from x). */
const tb_export_progress *tb_export_progress_of(const tb_export *x);
/* Close what is open and free. NULL is a no-op. */
void tb_export_free(tb_export *x);

/* Write the tables of o (it does not finish them: the caller calls
 * tb_table_finish). Files that cannot be read are logged and skipped.
 * Returns 0, a table's output error, or TB_EINVAL when progress asked to
 * stop. *out (may be NULL) holds the final counts. */
int tb_export_run(tb_export_progress *out, const tb_export_opts *o);

#endif
