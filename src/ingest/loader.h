/* The log directory loader: discovers runs, reads their event files
 * incrementally on a small thread pool, and commits points to the store.
 *
 * One cycle = scan every source for runs and files, then read each run's
 * files in name order from where the last cycle stopped (spec LOADING.md
 * 5-7). Runs are read in parallel, one run per worker at a time; a worker
 * reads and decodes a batch of records with no lock held and takes the
 * run's write lock only to commit it, so readers never wait long. A
 * background thread repeats cycles every reload_interval seconds, and
 * sooner when the file-system layer reports a change under a source.
 *
 * Resources stay bounded with any number of runs: the process holds at
 * most max_open_files descriptors, event files taking what sockets, the
 * watcher and the rest leave (counted before each read pass; least
 * recently used file closed first), read
 * buffers are shared, and a damaged file's resync scan examines a bounded
 * number of bytes per pass. Folders and files that cannot be read now
 * (permissions, out of descriptors) are warned about once, retried with
 * back-off and never taken for deleted. A file that shrank or was replaced
 * is read again from the start. Damage is logged once per damaged record,
 * naming the file and offset. */
#ifndef TB_LOADER_H
#define TB_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct tb_loader tb_loader;

typedef struct tb_loader_source {
	const char *name; /* run-name prefix from --logdir_spec, or NULL */
	const char *path;
} tb_loader_source;

typedef struct tb_loader_opts {
	const tb_loader_source *sources;
	size_t n_sources;
	double reload_interval; /* seconds between cycles; <= 0: load once */
	int threads;		/* 0 = number of cores */
	size_t max_open_files;	/* descriptor budget of the whole process: event files
				 * take what the rest leave; 0 = the default below */
} tb_loader_opts;

/* A quarter of the soft RLIMIT_NOFILE (at least 8, at most 512). */
size_t tb_loader_default_open_files(void);

/* A loader for `store` (borrowed). Sources are copied. */
tb_loader *tb_loader_new(tb_store *store, const tb_loader_opts *opts);
/* Run one full cycle on the calling thread (plus workers). */
void tb_loader_cycle(tb_loader *l);
/* Start the background reload thread (first cycle immediately). */
void tb_loader_start(tb_loader *l);
/* Number of completed cycles. Thread-safe. */
uint64_t tb_loader_cycles(const tb_loader *l);
/* Stop the background thread (if any) and free. NULL is a no-op. */
void tb_loader_free(tb_loader *l);

/* Split a --logdir_spec value, name:path,name:path,... (spec LOADING.md 4),
 * into sources: a path with a scheme (s3://), a leading '/' or a drive
 * letter has no name. The sources point into spec, which is modified;
 * *out is the caller's to free(). Returns the count. */
size_t tb_loader_split_spec(tb_loader_source **out, char *spec);

/* Counters for the last cycles, for logs and benchmarks. */
typedef struct tb_loader_stats {
	uint64_t records; /* records read */
	uint64_t bytes;	  /* bytes consumed */
	uint64_t damaged; /* damage reports */
	size_t open_files;	 /* event files open now */
	size_t open_files_peak;	 /* most ever open at once */
	size_t open_files_limit; /* the descriptor budget (max_open_files) */
} tb_loader_stats;
void tb_loader_get_stats(const tb_loader *l, tb_loader_stats *out);

#endif
