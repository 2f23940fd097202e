/* Recursive log directory walk (see scan.h), one tb_fs_list per folder
 * after one tb_fs_snapshot of the root (an object store lists it whole).
 * Directories on the current path are remembered by their identity so a
 * symlink loop is reported and cut instead of followed forever. */
#include "scan.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "fs/fs.h"

#define MAX_DEPTH 64

typedef struct walk {
	tb_scan_result *out;
	size_t alloc, dirs_alloc, failed_alloc, assets_alloc;
	uint64_t ids[MAX_DEPTH];
	int depth;
} walk;

int tb_scan_is_event_file(const char *name)
{
	return strstr(name, "tfevents") != NULL;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static int cmp_run(const void *a, const void *b)
{
	return strcmp(((const tb_scan_run *)a)->name, ((const tb_scan_run *)b)->name);
}

static void add_failure(walk *w, const char *path, char *msg, int transient)
{
	tb_scan_result *o = w->out;
	o->failed = tb_xgrow(o->failed, &w->failed_alloc, o->n_failed + 1, sizeof *o->failed);
	o->failed[o->n_failed++] = (tb_scan_failure){tb_xstrdup(path), msg, transient};
}

static void add_asset(walk *w, int kind, const char *run, const char *dir, const char *name)
{
	tb_scan_result *o = w->out;
	o->assets = tb_xgrow(o->assets, &w->assets_alloc, o->n_assets + 1, sizeof *o->assets);
	o->assets[o->n_assets++] =
	    (tb_store_asset){kind, tb_xstrdup(run), tb_xasprintf("%s/%s", dir, name)};
}

/* The files dashboards look for (see tb_store_asset). */
static void note_asset(walk *w, const char *dir, const char *rel, const char *name)
{
	if (strcmp(name, "projector_config.pbtxt") == 0) {
		add_asset(w, TB_ASSET_PROJECTOR_CONFIG, rel, dir, name);
		return;
	}
	if (ends_with(name, ".pt.trace.json") || ends_with(name, ".pt.trace.json.gz")) {
		add_asset(w, TB_ASSET_PROFILE_TRACE, rel, dir, name);
		return;
	}
	/* <run>/plugins/profile/<timestamp>/<host>.trace.json[.gz] */
	if (!ends_with(name, ".trace.json.gz") && !ends_with(name, ".trace.json"))
		return;
	const char *p = strstr(rel, "plugins/profile/");
	if (!p || (p != rel && p[-1] != '/') || strchr(p + 16, '/') || !p[16])
		return;
	char *run = p == rel ? tb_xstrdup(".") : tb_xstrndup(rel, (size_t)(p - rel - 1));
	add_asset(w, TB_ASSET_PROFILE_TRACE, run, dir, name);
	free(run);
}

static void visit(walk *w, const char *dir, const char *rel, uint64_t id)
{
	for (int i = 0; i < w->depth; i++) {
		if (w->ids[i] == id) {
			add_failure(w, dir, tb_xstrdup("symbolic link loop, not followed"), 0);
			return;
		}
	}
	if (w->depth == MAX_DEPTH) {
		add_failure(w, dir, tb_xstrdup("nested too deeply, not read"), 0);
		return;
	}
	tb_fs_dirent *ents;
	size_t n_ents;
	int rc = tb_fs_list(&ents, &n_ents, dir);
	if (rc == TB_ENOTFOUND)
		return;
	if (rc) {
		add_failure(w, dir, tb_xstrdup(tb_fs_errmsg()), tb_fs_transient());
		return;
	}
	w->ids[w->depth++] = id;
	w->out->dirs = tb_xgrow(w->out->dirs, &w->dirs_alloc, w->out->n_dirs + 1, sizeof(char *));
	w->out->dirs[w->out->n_dirs++] = tb_xstrdup(dir);

	char **files = NULL;
	size_t n_files = 0, files_alloc = 0;
	for (size_t i = 0; i < n_ents; i++) {
		if (ents[i].st.type != TB_FS_REG)
			continue;
		if (tb_scan_is_event_file(ents[i].name)) {
			files = tb_xgrow(files, &files_alloc, n_files + 1, sizeof *files);
			files[n_files++] = tb_xstrdup(ents[i].name);
		} else {
			note_asset(w, dir, rel, ents[i].name);
		}
	}
	if (n_files) {
		tb_scan_result *o = w->out;
		o->runs = tb_xgrow(o->runs, &w->alloc, o->n_runs + 1, sizeof *o->runs);
		tb_scan_run *run = &o->runs[o->n_runs++];
		run->name = tb_xstrdup(rel);
		run->dir = tb_xstrdup(dir);
		run->files = files; /* the listing is sorted, so are these */
		run->n_files = n_files;
	}
	for (size_t i = 0; i < n_ents; i++) {
		if (ents[i].st.type != TB_FS_DIR)
			continue;
		char *path = tb_xasprintf("%s/%s", dir, ents[i].name);
		char *sub_rel = strcmp(rel, ".") == 0 ? tb_xstrdup(ents[i].name)
						      : tb_xasprintf("%s/%s", rel, ents[i].name);
		visit(w, path, sub_rel, ents[i].st.id);
		free(path);
		free(sub_rel);
	}
	tb_fs_dirents_free(ents, n_ents);
	w->depth--;
}

void tb_scan(tb_scan_result *out, const char *root)
{
	memset(out, 0, sizeof *out);
	walk w = {.out = out};
	size_t n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	char *r = tb_xstrndup(root, n);
	tb_fs_stat st;
	int rc = tb_fs_snapshot(r);
	if (rc == 0)
		rc = tb_fs_stat_path(&st, r);
	if (rc == 0 && st.type == TB_FS_DIR)
		visit(&w, r, ".", st.id);
	else if (rc && rc != TB_ENOTFOUND)
		add_failure(&w, r, tb_xstrdup(tb_fs_errmsg()), tb_fs_transient());
	free(r);
	if (out->n_runs)
		qsort(out->runs, out->n_runs, sizeof *out->runs, cmp_run);
}

void tb_scan_result_release(tb_scan_result *r)
{
	for (size_t i = 0; i < r->n_runs; i++) {
		for (size_t j = 0; j < r->runs[i].n_files; j++)
			free(r->runs[i].files[j]);
		free(r->runs[i].files);
		free(r->runs[i].name);
		free(r->runs[i].dir);
	}
	free(r->runs);
	for (size_t i = 0; i < r->n_dirs; i++)
		free(r->dirs[i]);
	free(r->dirs);
	for (size_t i = 0; i < r->n_failed; i++) {
		free(r->failed[i].path);
		free(r->failed[i].msg);
	}
	free(r->failed);
	tb_store_assets_free(r->assets, r->n_assets);
	memset(r, 0, sizeof *r);
}
