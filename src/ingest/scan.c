/* Recursive log directory walk (see scan.h). Directories on the current
 * path are remembered by (device, inode) so a symlink loop is reported and
 * cut instead of followed forever. */
#include "scan.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "common/log.h"

#define MAX_DEPTH 64

typedef struct walk {
	tb_scan_result *out;
	size_t alloc, dirs_alloc;
	dev_t devs[MAX_DEPTH];
	ino_t inos[MAX_DEPTH];
	int depth;
} walk;

int tb_scan_is_event_file(const char *name)
{
	return strstr(name, "tfevents") != NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_run(const void *a, const void *b)
{
	return strcmp(((const tb_scan_run *)a)->name, ((const tb_scan_run *)b)->name);
}

static void visit(walk *w, const char *dir, const char *rel)
{
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return;
	for (int i = 0; i < w->depth; i++) {
		if (w->devs[i] == st.st_dev && w->inos[i] == st.st_ino) {
			tb_log_warn("%s: symbolic link loop, not followed", dir);
			return;
		}
	}
	if (w->depth == MAX_DEPTH) {
		tb_log_warn("%s: nested too deeply, not read", dir);
		return;
	}
	DIR *d = opendir(dir);
	if (!d) {
		if (errno != ENOENT)
			tb_log_warn("cannot read directory %s: %s", dir, strerror(errno));
		return;
	}
	w->devs[w->depth] = st.st_dev;
	w->inos[w->depth] = st.st_ino;
	w->depth++;
	w->out->dirs = tb_xgrow(w->out->dirs, &w->dirs_alloc, w->out->n_dirs + 1, sizeof(char *));
	w->out->dirs[w->out->n_dirs++] = tb_xstrdup(dir);

	char **files = NULL, **subdirs = NULL;
	size_t n_files = 0, files_alloc = 0, n_sub = 0, sub_alloc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *path = tb_xasprintf("%s/%s", dir, e->d_name);
		struct stat es;
		if (stat(path, &es) == 0) {
			if (S_ISREG(es.st_mode) && tb_scan_is_event_file(e->d_name)) {
				files = tb_xgrow(files, &files_alloc, n_files + 1, sizeof *files);
				files[n_files++] = tb_xstrdup(e->d_name);
			} else if (S_ISDIR(es.st_mode)) {
				subdirs = tb_xgrow(subdirs, &sub_alloc, n_sub + 1, sizeof *subdirs);
				subdirs[n_sub++] = tb_xstrdup(e->d_name);
			}
		}
		free(path);
	}
	closedir(d);

	if (n_files) {
		qsort(files, n_files, sizeof *files, cmp_str);
		tb_scan_result *o = w->out;
		o->runs = tb_xgrow(o->runs, &w->alloc, o->n_runs + 1, sizeof *o->runs);
		tb_scan_run *run = &o->runs[o->n_runs++];
		run->name = tb_xstrdup(rel);
		run->dir = tb_xstrdup(dir);
		run->files = files;
		run->n_files = n_files;
	} else {
		free(files);
	}
	if (n_sub)
		qsort(subdirs, n_sub, sizeof *subdirs, cmp_str);
	for (size_t i = 0; i < n_sub; i++) {
		char *path = tb_xasprintf("%s/%s", dir, subdirs[i]);
		char *sub_rel = strcmp(rel, ".") == 0 ? tb_xstrdup(subdirs[i])
						      : tb_xasprintf("%s/%s", rel, subdirs[i]);
		visit(w, path, sub_rel);
		free(path);
		free(sub_rel);
		free(subdirs[i]);
	}
	free(subdirs);
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
	visit(&w, r, ".");
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
	memset(r, 0, sizeof *r);
}
