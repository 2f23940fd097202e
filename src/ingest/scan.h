/* Run discovery (spec LOADING.md 3): walk a log directory through the
 * file-system layer, following symbolic links with loop detection, and
 * report every directory that directly holds an event file (a regular file
 * whose name contains "tfevents") together with those files in name order.
 *
 * On the way it notes the files dashboards look for, so they need not walk
 * the log directory themselves: projector configs and profiler traces
 * (tb_store_asset kinds).
 *
 * The walk never logs: folders it could not read are returned in `failed`,
 * with the reason and whether the failure may pass by itself, so the
 * caller can warn once per change and keep the runs below them. A missing
 * root simply has no runs. */
#ifndef TB_SCAN_H
#define TB_SCAN_H

#include <stddef.h>

#include "store/store.h"

typedef struct tb_scan_run {
	char *name;   /* relative path from the root, "." for the root itself */
	char *dir;    /* full path of the directory */
	char **files; /* file names (not paths), sorted bytewise */
	size_t n_files;
} tb_scan_run;

typedef struct tb_scan_failure {
	char *path; /* folder that could not be read (fully) */
	char *msg;
	int transient; /* out of descriptors or memory: likely to pass */
} tb_scan_failure;

typedef struct tb_scan_result {
	tb_scan_run *runs; /* sorted by name */
	size_t n_runs;
	char **dirs; /* every directory visited, runs or not (for watching) */
	size_t n_dirs;
	tb_scan_failure *failed;
	size_t n_failed;
	tb_store_asset *assets; /* run = relative directory, path = full path */
	size_t n_assets;
} tb_scan_result;

/* Walk `root`. Always succeeds; the result is owned by the caller. */
void tb_scan(tb_scan_result *out, const char *root);
void tb_scan_result_release(tb_scan_result *r);

/* Nonzero when a file name marks an event file. */
int tb_scan_is_event_file(const char *name);

#endif
