/* Projector dashboard (spec HTTP_API.md 11.1, FORMAT.md 12): embeddings
 * described by projector_config.pbtxt files beside the event files.
 *
 * Unlike the other dashboards the projector reads plain files, not event
 * records; it only ever opens paths inside the log directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "dash.h"

/* Nonzero when dir holds a projector config that names a tensor file. */
static int has_config(const char *dir)
{
	static const char *const names[] = {
		"projector_config.pbtxt",
		"plugins/org_tensorflow_tensorboard_projector/projector_config.pbtxt",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *path = tb_xasprintf("%s/%s", dir, names[i]);
		FILE *f = fopen(path, "r");
		free(path);
		if (!f)
			continue;
		char line[4096];
		int found = 0;
		while (!found && fgets(line, sizeof line, f))
			found = strstr(line, "tensor_path") != NULL;
		fclose(f);
		if (found)
			return 1;
	}
	return 0;
}

int tb_projector_active(tb_dash *d)
{
	if (__atomic_load_n(&d->projector_seen, __ATOMIC_RELAXED))
		return 1;
	/* run folders are <logdir>/<run>, so --logdir_spec has no projector */
	if (!d->logdir)
		return 0;
	int found = has_config(d->logdir);
	tb_store_rdlock(d->store);
	for (size_t i = 0; !found && i < tb_store_run_count(d->store); i++) {
		char *dir = tb_xasprintf("%s/%s", d->logdir, tb_store_run_at(d->store, i)->name);
		found = has_config(dir);
		free(dir);
	}
	tb_store_unlock(d->store);
	if (found)
		__atomic_store_n(&d->projector_seen, 1, __ATOMIC_RELAXED);
	return found;
}

void tb_projector_register(tb_router *r, tb_dash *d)
{
	(void)r;
	(void)d;
}
