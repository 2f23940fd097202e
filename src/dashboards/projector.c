/* Projector dashboard (spec HTTP_API.md 3.12, 4.4, 11.1; FORMAT.md 12-13):
 * the routes over the embeddings that projector_config.pbtxt files beside
 * the event files describe, and the module-loading page the UI frame
 * starts from. Finding and reading those files is projector_files.c's
 * work; the config model is projector_config.c's and the TSV tensor
 * parser projector_tensor.c's.
 *
 * Discovery is redone on each request, as upstream's is; configs are a few
 * hundred bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/chars.h"
#include "projector_files.h"
#include "registry.h"

/* ---- routes ----------------------------------------------------------------- */

/* num_rows as upstream reads it: absent or empty means all rows; otherwise
 * Python int() of the text, which must be > 0. Values beyond SIZE_MAX mean
 * all rows too. Returns 0 with *out (0 = all), or -1. */
static int parse_num_rows(size_t *out, const char *s)
{
	*out = 0;
	if (!s || !*s)
		return 0;
	static const char ws[] = " \t\n\v\f\r\x1c\x1d\x1e\x1f";
	size_t n = strlen(s);
	while (n && strchr(ws, *s))
		s++, n--;
	while (n && strchr(ws, s[n - 1]))
		n--;
	size_t i = 0;
	int neg = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	size_t digits = 0, v = 0;
	int nonzero = 0, big = 0;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		unsigned dg = (unsigned)(s[i] - '0');
		nonzero |= dg != 0;
		if (v > (SIZE_MAX - dg) / 10)
			big = 1;
		else
			v = v * 10 + dg;
		i++, digits++;
		if (i + 1 < n && s[i] == '_' && s[i + 1] >= '0' && s[i + 1] <= '9')
			i++;
	}
	if (!digits || i != n || neg || !nonzero)
		return -1;
	*out = big ? SIZE_MAX : v;
	return 0;
}

/* Common start of the run/name routes: parameters in upstream's order, then
 * the run's config. Returns the config or NULL after answering. */
static const tb_proj_found *begin(tb_resp *resp, const tb_req *req, const tb_proj_discovery *dv,
				  int run_nonempty, int rows, const char **name, size_t *num_rows)
{
	const char *run = tb_req_query(req, "run");
	if (!run || (run_nonempty && !*run)) {
		tb_resp_error(resp, 400, "query parameter \"run\" is required");
		return NULL;
	}
	*name = tb_req_query(req, "name");
	if (!*name) {
		tb_resp_error(resp, 400, "query parameter \"name\" is required");
		return NULL;
	}
	if (rows && parse_num_rows(num_rows, tb_req_query(req, "num_rows")) != 0) {
		tb_resp_error(resp, 400, "query parameter num_rows must be integer > 0");
		return NULL;
	}
	const tb_proj_found *f = tb_proj_find_run(dv, run);
	if (!f)
		tb_proj_unknown_run(resp, dv, run);
	return f;
}

static void handle_runs(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_proj_discovery dv;
	tb_proj_discover(&dv, payload, 0);
	tb_json j;
	tb_resp_type(resp, "application/json");
	tb_json_init(&j, tb_resp_body(resp));
	tb_json_arr_begin(&j);
	for (size_t i = 0; i < dv.n; i++)
		tb_json_str(&j, dv.v[i].run);
	tb_json_arr_end(&j);
	tb_proj_discovery_free(&dv);
}

/* ProjectorConfig as protobuf JSON (spec 2.3): an indenting writer, and
 * fields at their defaults left out. */
static void pr_str_field(tb_json *w, const char *key, const char *v)
{
	if (!*v)
		return;
	tb_json_key(w, key);
	tb_json_str(w, v);
}

static void pr_u32_field(tb_json *w, const char *key, const tb_proj_u32s *v)
{
	if (!v->n)
		return;
	tb_json_key(w, key);
	tb_json_arr_begin(w);
	for (size_t i = 0; i < v->n; i++)
		tb_json_int(w, v->v[i]);
	tb_json_arr_end(w);
}

static void handle_info(tb_resp *resp, const tb_req *req, void *payload)
{
	const char *run = tb_req_query(req, "run");
	if (!run) {
		tb_resp_error(resp, 400, "query parameter \"run\" is required");
		return;
	}
	tb_proj_discovery dv;
	tb_proj_discover(&dv, payload, 1);
	const tb_proj_found *f = tb_proj_find_run(&dv, run);
	if (!f) {
		tb_proj_unknown_run(resp, &dv, run);
		tb_proj_discovery_free(&dv);
		return;
	}
	const tb_proj_config *c = &f->cfg;
	tb_resp_type(resp, "application/json");
	tb_json w;
	tb_json_init_indent(&w, tb_resp_body(resp), 2);
	tb_json_obj_begin(&w);
	pr_str_field(&w, "modelCheckpointPath", c->model_checkpoint_path);
	if (c->n_emb) {
		tb_json_key(&w, "embeddings");
		tb_json_arr_begin(&w);
		for (size_t i = 0; i < c->n_emb; i++) {
			const tb_proj_embedding *e = &c->emb[i];
			tb_json_obj_begin(&w);
			pr_str_field(&w, "tensorName", e->tensor_name);
			pr_str_field(&w, "metadataPath", e->metadata_path);
			pr_str_field(&w, "bookmarksPath", e->bookmarks_path);
			pr_u32_field(&w, "tensorShape", &e->tensor_shape);
			if (e->has_sprite) {
				tb_json_key(&w, "sprite");
				tb_json_obj_begin(&w);
				pr_str_field(&w, "imagePath", e->image_path);
				pr_u32_field(&w, "singleImageDim", &e->single_image_dim);
				tb_json_obj_end(&w);
			}
			pr_str_field(&w, "tensorPath", e->tensor_path);
			tb_json_obj_end(&w);
		}
		tb_json_arr_end(&w);
	}
	pr_str_field(&w, "modelCheckpointDir", c->model_checkpoint_dir);
	tb_json_obj_end(&w);
	tb_proj_discovery_free(&dv);
}

static void handle_tensor(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_proj_discovery dv;
	tb_proj_discover(&dv, payload, 0);
	const char *name;
	size_t num_rows = 0;
	const tb_proj_found *f = begin(resp, req, &dv, 0, 1, &name, &num_rows);
	if (!f)
		goto out;
	const tb_proj_embedding *em = tb_proj_find_embedding(f, name);
	if (!em || !em->tensor_path[0]) {
		tb_resp_error(resp, 400, "Tensor \"%s\" not found in checkpoint dir \"%s\"", name,
			      f->cfg.model_checkpoint_path);
		goto out;
	}
	char *joined, *real, *msg;
	float *t = NULL;
	size_t rows, cols;
	if (tb_proj_asset_path(&joined, &real, &msg, &dv, f, em->tensor_path) == 0 &&
	    tb_proj_load_tensor(&t, &rows, &cols, em, dv.root, real, joined, &msg) == 0) {
		if (num_rows && num_rows < rows)
			rows = num_rows;
		size_t n = rows * cols;
		tb_buf *body = tb_resp_body(resp);
		tb_buf_reserve(body, n * 4);
		for (size_t i = 0; i < n; i++) {
			uint32_t u;
			memcpy(&u, &t[i], 4);
			unsigned char q[4] = {(unsigned char)u, (unsigned char)(u >> 8),
					      (unsigned char)(u >> 16), (unsigned char)(u >> 24)};
			tb_buf_append(body, q, 4);
		}
		tb_resp_type(resp, "application/octet-stream");
	} else {
		tb_resp_error(resp, 400, "%s", msg);
	}
	free(t);
	free(joined);
	free(real);
	free(msg);
out:
	tb_proj_discovery_free(&dv);
}

/* Resolve and read one of an embedding's asset files for a route. Answers
 * the error itself and returns nonzero on failure. */
static int read_asset(tb_buf *out, tb_resp *resp, const tb_proj_discovery *dv,
		      const tb_proj_found *f, const char *written, int sprite)
{
	char *joined, *real, *msg;
	int rc = tb_proj_asset_path(&joined, &real, &msg, dv, f, written);
	if (rc) {
		tb_resp_error(resp, 400, "%s", msg);
	} else {
		size_t cap = TB_PROJ_ASSET_MAX;
		switch (tb_proj_read_file(out, dv->root, real, cap)) {
		case TB_PROJ_FILE_OK:
			break;
		case TB_PROJ_FILE_TOO_BIG:
			tb_resp_error(resp, 400, "\"%s\" is larger than %zu bytes", joined, cap);
			rc = TB_EINVAL;
			break;
		case TB_PROJ_FILE_IO:
			tb_resp_error(resp, 400, "\"%s\" could not be read", joined);
			rc = TB_EIO;
			break;
		default:
			if (sprite)
				tb_resp_error(resp, 400, "\"%s\" does not exist or is directory",
					      joined);
			else
				tb_resp_error(resp, 400, "\"%s\" not found, or is not a file",
					      joined);
			rc = TB_ENOTFOUND;
			break;
		}
	}
	free(joined);
	free(real);
	free(msg);
	return rc;
}

static void handle_metadata(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_proj_discovery dv;
	tb_proj_discover(&dv, payload, 0);
	const char *name;
	size_t num_rows = 0;
	tb_buf text = TB_BUF_INIT;
	const tb_proj_found *f = begin(resp, req, &dv, 0, 1, &name, &num_rows);
	if (!f)
		goto out;
	const tb_proj_embedding *em = tb_proj_find_embedding(f, name);
	if (!em || !em->metadata_path[0]) {
		tb_resp_error(resp, 400,
			      "No metadata file found for tensor \"%s\" in the config file \"%s\"",
			      name, f->config_path);
		goto out;
	}
	if (read_asset(&text, resp, &dv, f, em->metadata_path, 0))
		goto out;
	if (!tb_utf8_valid(text.ptr, text.len)) {
		tb_resp_error(resp, 400, "Metadata file \"%s\" is not UTF-8 text",
			      em->metadata_path);
		goto out;
	}
	/* Lines with their ends turned into \n; with num_rows, that many plus a
	 * header line when the first line holds a tab. */
	tb_buf *body = tb_resp_body(resp);
	const char *p = text.ptr ? text.ptr : "", *end = p + text.len, *line;
	size_t ll, count = 0, header = 0;
	int had_end;
	while (tb_proj_next_line(&line, &ll, &had_end, &p, end)) {
		tb_buf_append(body, line, ll);
		if (had_end)
			tb_buf_putc(body, '\n');
		if (++count == 1 && memchr(line, '\t', ll))
			header = 1;
		if (num_rows && count >= num_rows + header)
			break;
	}
	tb_resp_type(resp, "text/plain; charset=utf-8");
out:
	tb_buf_free(&text);
	tb_proj_discovery_free(&dv);
}

/* Answer bookmarks (sprite 0) or sprite_image (sprite 1): the file the
 * embedding named by the query names, whole. */
static void serve_asset(tb_resp *resp, const tb_req *req, void *payload, int sprite)
{
	tb_proj_discovery dv;
	tb_proj_discover(&dv, payload, 0);
	const char *name;
	tb_buf data = TB_BUF_INIT;
	const tb_proj_found *f = begin(resp, req, &dv, 1, 0, &name, NULL);
	if (!f)
		goto out;
	const tb_proj_embedding *em = tb_proj_find_embedding(f, name);
	const char *path = !em ? "" : sprite ? em->image_path : em->bookmarks_path;
	if (!path[0]) {
		tb_resp_error(resp, 400,
			      "No %s file found for tensor \"%s\" in the config file \"%s\"",
			      sprite ? "sprite image" : "bookmarks", name, f->config_path);
		goto out;
	}
	if (read_asset(&data, resp, &dv, f, path, sprite))
		goto out;
	const unsigned char *p = (const unsigned char *)(data.ptr ? data.ptr : "");
	tb_resp_bytes(resp,
		      sprite ? tb_dash_image_type(tb_slice_make(p, data.len)) : "application/json",
		      p, data.len);
out:
	tb_buf_free(&data);
	tb_proj_discovery_free(&dv);
}

static void handle_bookmarks(tb_resp *resp, const tb_req *req, void *payload)
{
	serve_asset(resp, req, payload, 0);
}

static void handle_sprite_image(tb_resp *resp, const tb_req *req, void *payload)
{
	serve_asset(resp, req, payload, 1);
}

/* ---- the module page (spec 3.12) ------------------------------------------ */

/* The stock plugins (spec 4.3); only the projector is module-based. */
#define ENTRY_SCRIPT "import(\"./index.js\").then((m) => void m.render());"
/* base64 of the SHA-256 of ENTRY_SCRIPT, allowed by the page's CSP */
#define ENTRY_SCRIPT_SHA256 "PVZp/wXI2V6hq7T2aNiDNM+vJWIOWwNwyhE53i+6lSQ="

static const char ENTRY_CSP[] =
    "default-src 'self';font-src 'self' data:;frame-src 'self' https://ui.perfetto.dev;"
    "img-src 'self' data: blob:;object-src 'none';"
    "style-src 'self' https://www.gstatic.com data: 'unsafe-inline';connect-src 'self';"
    "script-src 'self' 'unsafe-eval' 'sha256-" ENTRY_SCRIPT_SHA256 "'";

static const char ENTRY_PAGE[] = "\n<!DOCTYPE html>\n"
				 "<head><base href=\"plugin/projector/\" /></head>\n"
				 "<body><script type=\"module\">" ENTRY_SCRIPT "</script></body>\n";

static void handle_plugin_entry(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)payload;
	const char *name = tb_req_query(req, "name");
	const tb_dashboard *db = name ? tb_dashboard_find(name) : NULL;
	if (!name) {
		tb_resp_error(resp, 404, "Not found");
	} else if (!db) {
		tb_resp_error(resp, 404, "Not found: %s", name);
	} else if (db->loading != TB_LOAD_IFRAME) {
		tb_resp_error(resp, 400, "Plugin is not module loadable");
	} else {
		tb_resp_bytes(resp, "text/html; charset=utf-8", ENTRY_PAGE, sizeof ENTRY_PAGE - 1);
		tb_resp_header(resp, "Content-Security-Policy", ENTRY_CSP);
	}
}

/* A stand-in for the projector application: the frame shows a notice. */
static const char INDEX_JS[] =
    "export function render() {\n"
    "  const p = document.createElement(\"p\");\n"
    "  p.style.font = \"14px sans-serif\";\n"
    "  p.style.margin = \"24px\";\n"
    "  p.textContent = \"The embedding projector view is coming in a later version of "
    "tboard. Its data is already served under data/plugin/projector/.\";\n"
    "  document.body.appendChild(p);\n"
    "}\n";

static void handle_index_js(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	(void)payload;
	tb_resp_bytes(resp, "application/javascript", INDEX_JS, sizeof INDEX_JS - 1);
}

/* ---- registration ------------------------------------------------------------- */

int tb_projector_active(tb_dash *d)
{
	if (__atomic_load_n(&d->projector_seen, __ATOMIC_RELAXED))
		return 1;
	tb_proj_discovery dv;
	tb_proj_discover(&dv, d, 0);
	int found = dv.n > 0;
	tb_proj_discovery_free(&dv);
	if (found)
		__atomic_store_n(&d->projector_seen, 1, __ATOMIC_RELAXED);
	return found;
}

void tb_projector_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/plugin_entry.html", handle_plugin_entry, d);
	tb_router_add(r, "/data/plugin/projector/runs", handle_runs, d);
	tb_router_add(r, "/data/plugin/projector/info", handle_info, d);
	tb_router_add(r, "/data/plugin/projector/tensor", handle_tensor, d);
	tb_router_add(r, "/data/plugin/projector/metadata", handle_metadata, d);
	tb_router_add(r, "/data/plugin/projector/bookmarks", handle_bookmarks, d);
	tb_router_add(r, "/data/plugin/projector/sprite_image", handle_sprite_image, d);
	tb_router_add(r, "/data/plugin/projector/index.js", handle_index_js, d);
}
