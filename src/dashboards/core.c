/* Core routes (spec HTTP_API.md 3-4): environment, logdir, window
 * properties, runs, experiments and the plugin listing. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "dash.h"
#include "fs/fs.h"
#include "registry.h"
#include "proto/event.h"

static void begin_json(tb_resp *resp, tb_json *j)
{
	tb_resp_type(resp, "application/json");
	tb_json_init(j, tb_resp_body(resp));
}

static void handle_environment(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	const tb_dash *d = payload;
	tb_json j;
	begin_json(resp, &j);
	tb_json_obj_begin(&j);
	tb_json_key_str(&j, "version", d->version);
	tb_json_key_str(&j, "data_location", d->data_location);
	tb_json_key_str(&j, "window_title", d->window_title);
	tb_json_key_str(&j, "experiment_name", "");
	tb_json_key_str(&j, "experiment_description", "");
	tb_json_key(&j, "creation_time");
	tb_json_int(&j, 0);
	tb_json_key(&j, "debug");
	tb_json_obj_begin(&j);
	tb_json_key_str(&j, "data_provider", "tboard in-memory store");
	tb_json_key(&j, "flags");
	tb_json_obj_begin(&j);
	for (size_t i = 0; i < d->n_flags; i++)
		tb_json_key_str(&j, d->flags[i].name, d->flags[i].value);
	tb_json_obj_end(&j);
	tb_json_obj_end(&j);
	tb_json_obj_end(&j);
}

/* An object with one string member, key: value. */
static void one_member(tb_resp *resp, const char *key, const char *value)
{
	tb_json j;
	begin_json(resp, &j);
	tb_json_obj_begin(&j);
	tb_json_key_str(&j, key, value);
	tb_json_obj_end(&j);
}

static void handle_logdir(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	const tb_dash *d = payload;
	one_member(resp, "logdir", d->data_location);
}

static void handle_window_properties(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	const tb_dash *d = payload;
	one_member(resp, "window_title", d->window_title);
}

static void handle_empty_list(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	(void)payload;
	tb_resp_type(resp, "application/json");
	tb_buf_puts(tb_resp_body(resp), "[]");
}

typedef struct run_order {
	const char *name;
	int has_start;
	double start;
} run_order;

static int cmp_runs(const void *a, const void *b)
{
	const run_order *x = a, *y = b;
	if (x->has_start != y->has_start)
		return x->has_start ? -1 : 1;
	if (x->has_start && x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Runs by the wall time of their first event, runs without events last,
 * ties by name (spec HTTP_API.md 3.6). */
static void handle_runs(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_dash *d = payload;
	tb_json j;
	begin_json(resp, &j);
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	size_t n = tb_reader_run_count(&rd), pos = 0;
	run_order *order = tb_xcalloc(n ? n : 1, sizeof *order);
	for (size_t i = 0; i < n; i++) {
		const tb_run *r = tb_reader_next_run(&rd, &pos);
		order[i].name = tb_run_name(r);
		order[i].has_start = tb_run_start_time(&order[i].start, r);
	}
	qsort(order, n, sizeof *order, cmp_runs);
	tb_json_arr_begin(&j);
	for (size_t i = 0; i < n; i++)
		tb_json_str(&j, order[i].name);
	tb_json_arr_end(&j);
	tb_reader_end(&rd);
	free(order);
}

/* Bit i set when some stored series of a known data class belongs to a
 * data plugin of dashboard i. One pass over the store; a series whose
 * plugin name equals the previous series' is not matched again, so the
 * cost is about one string compare per series. */
static uint32_t active_plugins(tb_store *s)
{
	uint32_t mask = 0;
	size_t n = tb_dashboard_count(), pos = 0;
	tb_reader rd;
	tb_reader_begin(&rd, s);
	for (const tb_run *r; (r = tb_reader_next_run(&rd, &pos));) {
		const char *prev = NULL;
		for (size_t k = 0; k < tb_run_series_count(r); k++) {
			const tb_series *ser = tb_run_series_at(r, k);
			const char *plugin = tb_series_plugin(ser);
			if (tb_series_data_class(ser) == TB_DC_UNKNOWN ||
			    (prev && strcmp(prev, plugin) == 0))
				continue;
			prev = plugin;
			for (size_t e = 0; e < n; e++) {
				const tb_dashboard *db = tb_dashboard_at(e);
				for (int m = 0; m < TB_DASHBOARD_MAX_PLUGINS && db->data_plugins[m];
				     m++)
					if (strcmp(plugin, db->data_plugins[m]) == 0)
						mask |= 1u << e;
			}
		}
	}
	tb_reader_end(&rd);
	return mask;
}

static void handle_plugins_listing(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash *d = payload;
	tb_json j;
	uint32_t active = active_plugins(d->store);
	begin_json(resp, &j);
	tb_json_obj_begin(&j);
	for (size_t i = 0; i < tb_dashboard_count(); i++) {
		const tb_dashboard *p = tb_dashboard_at(i);
		if (strcmp(p->key, "pytorch_profiler") == 0 && !p->active(d))
			continue; /* listed only where there are profiler traces */
		tb_json_key(&j, p->key);
		tb_json_obj_begin(&j);
		tb_json_key(&j, "disable_reload");
		tb_json_bool(&j, p->disable_reload);
		tb_json_key(&j, "enabled");
		tb_json_bool(&j, p->active ? p->active(d) : (int)((active >> i) & 1));
		tb_json_key(&j, "remove_dom");
		tb_json_bool(&j, 0);
		tb_json_key_str(&j, "tab_name", p->tab_name);
		tb_json_key(&j, "loading_mechanism");
		tb_json_obj_begin(&j);
		tb_json_key(&j, "type");
		if (p->loading == TB_LOAD_IFRAME) {
			tb_json_str(&j, "IFRAME");
			tb_json_key(&j, "module_path");
			char *path = tb_xasprintf("%s/data/plugin/%s/index.js",
						  tb_req_script_root(req), p->key);
			tb_json_str(&j, path);
			free(path);
		} else if (p->loading == TB_LOAD_ELEMENT) {
			tb_json_str(&j, "CUSTOM_ELEMENT");
			tb_json_key_str(&j, "element_name", p->element);
		} else {
			tb_json_str(&j, "NG_COMPONENT");
		}
		tb_json_obj_end(&j);
		tb_json_obj_end(&j);
	}
	tb_json_obj_end(&j);
}

/* tboard's own route: a counter that changes whenever the store does, so
 * the UI can poll every second for one small answer and fetch data only
 * when something is new. */
static void handle_generation(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_dash *d = payload;
	tb_json j;
	begin_json(resp, &j);
	tb_json_obj_begin(&j);
	tb_json_key(&j, "generation");
	tb_json_int(&j, (int64_t)tb_store_generation(d->store));
	tb_json_obj_end(&j);
}

/* tboard's own route: the log directories as given and whether each is a
 * directory now (checked on every call, so one created later shows), and
 * how many runs were found, so the UI can tell a missing or mistyped
 * --logdir from an empty one. */
static void handle_status(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_dash *d = payload;
	tb_json j;
	begin_json(resp, &j);
	tb_json_obj_begin(&j);
	tb_json_key(&j, "logdirs");
	tb_json_arr_begin(&j);
	for (size_t i = 0; i < d->n_sources; i++) {
		const tb_loader_source *src = &d->sources[i];
		tb_fs_stat st; /* object storage: from the last listing */
		int found = tb_fs_stat_path(&st, src->path) == 0;
		tb_json_obj_begin(&j);
		tb_json_key(&j, "name");
		if (src->name)
			tb_json_str(&j, src->name);
		else
			tb_json_null(&j);
		tb_json_key_str(&j, "path", src->path);
		tb_json_key(&j, "exists");
		tb_json_bool(&j, found);
		tb_json_key(&j, "is_directory");
		tb_json_bool(&j, found && st.type == TB_FS_DIR);
		tb_json_obj_end(&j);
	}
	tb_json_arr_end(&j);
	tb_json_key(&j, "runs");
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	tb_json_int(&j, (int64_t)tb_reader_run_count(&rd));
	tb_reader_end(&rd);
	tb_json_obj_end(&j);
}

void tb_core_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/environment", handle_environment, d);
	tb_router_add(r, "/data/logdir", handle_logdir, d);
	tb_router_add(r, "/data/window_properties", handle_window_properties, d);
	tb_router_add(r, "/data/runs", handle_runs, d);
	tb_router_add(r, "/data/experiments", handle_empty_list, d);
	tb_router_add(r, "/data/experiment_runs", handle_empty_list, d);
	tb_router_add(r, "/data/plugins_listing", handle_plugins_listing, d);
	tb_router_add(r, "/data/tboard/generation", handle_generation, d);
	tb_router_add(r, "/data/tboard/status", handle_status, d);
}
