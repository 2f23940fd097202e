/* A shareable static snapshot: one HTML file holding the web app and the
 * answers it needs for a selection of runs and tags, so the page opens from
 * disk with no server and no network (docs/HTTP_API.md, "Snapshots").
 *
 * The answers are the server's own: every one comes from running a route's
 * handler in-process (tb_router_call), or for scalars from the function
 * behind /data/tboard/scalars (tb_scalar_columns), so a snapshot shows what
 * the server would. `tboard snapshot` and POST /data/tboard/snapshot build
 * it with the same function. */
#ifndef TB_SNAPSHOT_H
#define TB_SNAPSHOT_H

#include <stddef.h>

#include "common/buf.h"
#include "dash.h"
#include "http/http.h"

typedef struct tb_snapshot_opts {
	/* Runs by name; NULL with n_runs 0 means every run (or run_query). */
	const char *const *runs;
	size_t n_runs;
	/* A run query (docs/HTTP_API.md) choosing the runs instead; NULL: none. */
	const char *run_query;
	/* A regular expression a tag must match somewhere; NULL or "": all. */
	const char *tags;
	/* The request being served, polled between answers so a snapshot stops
	 * when its client leaves or its time is up; NULL for the command. */
	const tb_req *parent;
	tb_resp *parent_resp;
} tb_snapshot_opts;

/* Points per series in a snapshot: a scalar series longer than the budget
 * is kept as that many min/max buckets. The budget is
 * TB_SNAPSHOT_POINTS / (number of series), clamped to
 * [TB_SNAPSHOT_MIN_BUCKETS, TB_SNAPSHOT_MAX_BUCKETS]. */
#define TB_SNAPSHOT_POINTS 1000000
#define TB_SNAPSHOT_MIN_BUCKETS 16
#define TB_SNAPSHOT_MAX_BUCKETS 1000

/* Append the snapshot HTML for o to out, asking d's router for every answer.
 * Returns 0; TB_EINVAL for a bad tag pattern or run query, with a message
 * in *errmsg (caller frees); TB_ENOTFOUND when no run is selected; TB_EIO
 * when the parent request was stopped (its response already says why). */
int tb_snapshot_build(tb_buf *out, char **errmsg, tb_dash *d, const tb_snapshot_opts *o);

/* POST /data/tboard/snapshot: the snapshot of a JSON body {"runs": [...],
 * "tags": "regex"} (both optional), as an HTML attachment. d->router must
 * be r. */
void tb_snapshot_register(tb_router *r, tb_dash *d);

#endif
