/* The --inspect report (see inspect.h). Each file is read once, start to
 * end; per-tag statistics are kept in a small table per file. */
#include "inspect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/log.h"
#include "proto/event.h"
#include "record/rec_reader.h"
#include "scan.h"

typedef struct tag_stat {
	char *tag;
	char *kind; /* "scalar", "histogram", "image", "audio", "tensor[plugin]", ... */
	uint64_t count;
	int64_t min_step, max_step, last_step;
	uint64_t out_of_order; /* values whose step went backwards */
} tag_stat;

typedef struct file_stat {
	uint64_t records, bytes, damaged, events;
	int64_t min_step, max_step;
	double min_wall, max_wall;
	char file_version[64];
	tag_stat *tags;
	size_t n_tags, tags_alloc;
} file_stat;

static const char *value_kind(const tb_value *v, char *buf, size_t n)
{
	tb_metadata md;
	switch (v->kind) {
	case TB_VAL_SIMPLE:
		return "scalar (simple_value)";
	case TB_VAL_HISTO:
		return "histogram (histo)";
	case TB_VAL_IMAGE:
		return "image";
	case TB_VAL_AUDIO:
		return "audio";
	}
	const char *what = v->kind == TB_VAL_TENSOR ? "tensor" : "metadata only";
	if (v->has_metadata && tb_metadata_decode(&md, v->metadata) == 0 && md.plugin_name.len) {
		snprintf(buf, n, "%s [%.*s]", what, (int)md.plugin_name.len,
			 (const char *)md.plugin_name.ptr);
		return buf;
	}
	return what;
}

static void count_tag(file_stat *fs, const char *tag, size_t tag_len, const char *kind,
		      int64_t step)
{
	tag_stat *t = NULL;
	for (size_t i = 0; i < fs->n_tags; i++)
		if (strlen(fs->tags[i].tag) == tag_len && !memcmp(fs->tags[i].tag, tag, tag_len))
			t = &fs->tags[i];
	if (!t) {
		fs->tags = tb_xgrow(fs->tags, &fs->tags_alloc, fs->n_tags + 1, sizeof *fs->tags);
		t = &fs->tags[fs->n_tags++];
		memset(t, 0, sizeof *t);
		t->tag = tb_xstrndup(tag, tag_len);
		t->kind = tb_xstrdup(kind);
		t->min_step = t->max_step = step;
	} else if (step < t->last_step) {
		t->out_of_order++;
	}
	t->count++;
	t->last_step = step;
	if (step < t->min_step)
		t->min_step = step;
	if (step > t->max_step)
		t->max_step = step;
}

static void fmt_time(char *buf, size_t n, double wall)
{
	time_t t = (time_t)wall;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void inspect_file(FILE *out, const char *path, const char *only_tag)
{
	file_stat fs;
	memset(&fs, 0, sizeof fs);
	fs.min_step = INT64_MAX;
	fs.max_step = INT64_MIN;
	fs.min_wall = INFINITY;
	fs.max_wall = -INFINITY;
	tb_rec_reader *r;
	fprintf(out, "  %s\n", path);
	if (tb_rec_reader_open(&r, path)) {
		fprintf(out, "    cannot be opened\n");
		return;
	}
	for (;;) {
		tb_slice rec;
		int rc = tb_rec_reader_next(&rec, r);
		if (rc == TB_EPARTIAL || rc == TB_EIO)
			break;
		if (rc == TB_ECORRUPT) {
			fs.damaged++;
			fprintf(out, "    damaged record at byte %llu: %s\n",
				(unsigned long long)tb_rec_reader_damage_offset(r),
				tb_rec_reader_damage_reason(r));
			continue;
		}
		fs.records++;
		tb_event ev;
		if (tb_event_decode(&ev, rec)) {
			fs.damaged++;
			fprintf(out, "    record at byte %llu is not a valid event\n",
				(unsigned long long)tb_rec_reader_record_offset(r));
			continue;
		}
		fs.events++;
		if (ev.step < fs.min_step)
			fs.min_step = ev.step;
		if (ev.step > fs.max_step)
			fs.max_step = ev.step;
		if (isfinite(ev.wall_time)) {
			if (ev.wall_time < fs.min_wall)
				fs.min_wall = ev.wall_time;
			if (ev.wall_time > fs.max_wall)
				fs.max_wall = ev.wall_time;
		}
		char kind[160];
		switch (ev.what) {
		case TB_EV_FILE_VERSION:
			snprintf(fs.file_version, sizeof fs.file_version, "%.*s",
				 (int)(ev.data.len < 60 ? ev.data.len : 60),
				 (const char *)ev.data.ptr);
			break;
		case TB_EV_SUMMARY: {
			tb_pb it = tb_pb_make(ev.data);
			tb_value v;
			while (tb_summary_next(&v, &it) == 1) {
				if (only_tag && !tb_slice_eq_str(v.tag, only_tag))
					continue;
				count_tag(&fs, (const char *)v.tag.ptr, v.tag.len,
					  value_kind(&v, kind, sizeof kind), ev.step);
			}
			break;
		}
		case TB_EV_GRAPH_DEF:
			if (!only_tag)
				count_tag(&fs, "(graph_def)", 11, "graph", ev.step);
			break;
		case TB_EV_TAGGED_RUN_METADATA:
			if (!only_tag)
				count_tag(&fs, "(tagged_run_metadata)", 21, "run metadata",
					  ev.step);
			break;
		case TB_EV_SESSION_LOG: {
			int status = 0;
			tb_session_log_decode(&status, ev.data);
			static const char *names[] = {"unspecified", "start", "stop", "checkpoint"};
			snprintf(kind, sizeof kind, "session_log %s",
				 status >= 0 && status < 4 ? names[status] : "?");
			if (!only_tag)
				count_tag(&fs, "(session_log)", 13, kind, ev.step);
			break;
		}
		}
	}
	fs.bytes = tb_rec_reader_offset(r);
	tb_rec_reader_free(r);
	fprintf(out, "    %llu records, %llu bytes, %llu damaged\n", (unsigned long long)fs.records,
		(unsigned long long)fs.bytes, (unsigned long long)fs.damaged);
	if (fs.file_version[0])
		fprintf(out, "    file_version %s\n", fs.file_version);
	if (fs.events) {
		fprintf(out, "    steps %lld .. %lld\n", (long long)fs.min_step,
			(long long)fs.max_step);
		if (isfinite(fs.min_wall)) {
			char a[64], b[64];
			fmt_time(a, sizeof a, fs.min_wall);
			fmt_time(b, sizeof b, fs.max_wall);
			fprintf(out, "    wall time %s .. %s (%.3f .. %.3f)\n", a, b, fs.min_wall,
				fs.max_wall);
		}
	}
	for (size_t i = 0; i < fs.n_tags; i++) {
		tag_stat *t = &fs.tags[i];
		fprintf(out, "    %-28s %-26s %8llu values, steps %lld .. %lld", t->tag, t->kind,
			(unsigned long long)t->count, (long long)t->min_step,
			(long long)t->max_step);
		if (t->out_of_order)
			fprintf(out, ", %llu out of order", (unsigned long long)t->out_of_order);
		fputc('\n', out);
		free(t->tag);
		free(t->kind);
	}
	free(fs.tags);
}

int tb_inspect(FILE *out, const char *logdir, const char *event_file, const char *tag)
{
	if (event_file) {
		inspect_file(out, event_file, tag);
		return 0;
	}
	tb_scan_result res;
	tb_scan(&res, logdir);
	if (!res.n_runs) {
		fprintf(out, "No event files found under %s\n", logdir);
		tb_scan_result_release(&res);
		return TB_ENOTFOUND;
	}
	fprintf(out, "%zu runs under %s\n", res.n_runs, logdir);
	for (size_t i = 0; i < res.n_runs; i++) {
		fprintf(out, "\nrun %s (%zu event file%s)\n", res.runs[i].name, res.runs[i].n_files,
			res.runs[i].n_files == 1 ? "" : "s");
		for (size_t k = 0; k < res.runs[i].n_files; k++) {
			char *path = tb_xasprintf("%s/%s", res.runs[i].dir, res.runs[i].files[k]);
			inspect_file(out, path, tag);
			free(path);
		}
	}
	tb_scan_result_release(&res);
	return 0;
}
