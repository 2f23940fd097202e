/* `tboard snapshot`: write the static snapshot of a loaded log directory to
 * a file (see dashboards/snapshot.h). */
#ifndef TB_SNAPSHOT_CMD_H
#define TB_SNAPSHOT_CMD_H

#include <stdio.h>

#include "dashboards/dash.h"
#include "http/http.h"

/* The command's own flags, taken out of argv by tb_snapshot_cmd_args. */
typedef struct tb_snapshot_args {
	const char *runs;   /* --runs QUERY */
	const char *tags;   /* --tags REGEX */
	const char *output; /* -o FILE / --output FILE */
} tb_snapshot_args;

/* Move --runs, --tags and -o/--output (as "--flag value" or "--flag=value")
 * from argv into out, closing the gaps; *argc shrinks accordingly. Returns 0,
 * or TB_EINVAL (message on err) when one lacks its value. */
int tb_snapshot_cmd_args(tb_snapshot_args *out, int *argc, char **argv, FILE *err);

/* Build the snapshot from d's router (every route registered) and write it to
 * a->output. Returns the process exit status: 0, 1 when the file cannot be
 * written, 2 for bad arguments; messages on err, the size on out. */
int tb_snapshot_cmd(FILE *out, FILE *err, tb_dash *d, const tb_snapshot_args *a);

#endif
