/* `tboard snapshot --logdir DIR [--runs QUERY] [--tags REGEX] -o FILE`.
 *
 * main loads the log directory once and registers every route as for
 * serving; this file takes the command's own flags out of argv and writes
 * the page tb_snapshot_build makes from those routes. */
#include "snapshot_cmd.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "dashboards/snapshot.h"

static const struct {
	const char *name;
	size_t offset;
} flags[] = {
    {"runs", offsetof(tb_snapshot_args, runs)},
    {"tags", offsetof(tb_snapshot_args, tags)},
    {"o", offsetof(tb_snapshot_args, output)},
    {"output", offsetof(tb_snapshot_args, output)},
};

int tb_snapshot_cmd_args(tb_snapshot_args *out, int *argc, char **argv, FILE *err)
{
	int w = 1;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		int taken = 0;
		if (a[0] == '-') {
			a += a[1] == '-' ? 2 : 1;
			size_t n = strcspn(a, "=");
			for (size_t k = 0; !taken && k < sizeof flags / sizeof *flags; k++) {
				if (strlen(flags[k].name) != n || strncmp(flags[k].name, a, n))
					continue;
				const char *v = a[n] == '=' ? a + n + 1 : NULL;
				if (!v && i + 1 >= *argc) {
					fprintf(err, "tboard snapshot: --%s needs a value\n",
						flags[k].name);
					return TB_EINVAL;
				}
				if (!v)
					v = argv[++i];
				*(const char **)((char *)out + flags[k].offset) = v;
				taken = 1;
			}
		}
		if (!taken)
			argv[w++] = argv[i];
	}
	*argc = w;
	argv[w] = NULL;
	return 0;
}

int tb_snapshot_cmd(FILE *out, FILE *err, tb_dash *d, const tb_snapshot_args *a)
{
	if (!a->output) {
		fprintf(err, "tboard snapshot: an output file is required: -o report.html\n");
		return 2;
	}
	tb_snapshot_opts o = {.run_query = a->runs, .tags = a->tags};
	tb_buf html = TB_BUF_INIT;
	char *msg = NULL;
	int status = 0;
	int rc = tb_snapshot_build(&html, &msg, d, &o);
	if (rc) {
		fprintf(err, "tboard snapshot: %s\n", msg ? msg : tb_strerror(rc));
		status = rc == TB_EINVAL || rc == TB_ENOTFOUND ? 2 : 1;
		goto out;
	}
	FILE *f = strcmp(a->output, "-") ? fopen(a->output, "wb") : stdout;
	if (!f || fwrite(html.ptr, 1, html.len, f) != html.len || (f != stdout && fclose(f))) {
		fprintf(err, "tboard snapshot: cannot write %s\n", a->output);
		status = 1;
		goto out;
	}
	if (f != stdout)
		fprintf(out, "wrote %s (%zu bytes)\n", a->output, html.len);
out:
	tb_buf_free(&html);
	free(msg);
	return status;
}
