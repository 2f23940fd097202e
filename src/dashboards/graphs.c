/* Graphs dashboard routes (spec HTTP_API.md 8): which runs and tags have
 * graphs, one graph as protobuf text, and a step's RunMetadata.
 *
 * Graphs are stored as blobs (the run-level GraphDef, RunMetadata with
 * function graphs, Keras model JSON). A request copies the newest blob out
 * of the store under the locks, then decodes, edits (attribute filter,
 * merging function graphs, Keras conversion) and prints it without them,
 * so a large graph never holds up the loader. */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "dash.h"
#include "proto/event.h"
#include "graph.pb-c.h"
#include "proto/textformat.h"

#define RUN_GRAPH_TAG "__run_graph__"
#define PROTO_TEXT "text/x-protobuf; charset=utf-8"

/* Field numbers used below (graph.proto, node_def.proto, attr_value.proto,
 * function.proto, op_def.proto, versions.proto, config.proto). */
enum {
	GRAPH_NODE = 1,
	GRAPH_LIBRARY = 2,
	GRAPH_VERSIONS = 4,
	NODE_NAME = 1,
	NODE_OP = 2,
	NODE_INPUT = 3,
	NODE_ATTR = 5,
	ATTR_LIST = 1,
	ATTR_S = 2,
	ATTR_TYPE = 6,
	ATTR_FUNC = 10,
	LIST_S = 2,
	FUNC_NAME = 1,
	LIB_FUNCTION = 1,
	LIB_GRADIENT = 2,
	FUNCDEF_SIGNATURE = 1,
	OPDEF_NAME = 1,
	GRADIENT_FUNCTION_NAME = 1,
	GRADIENT_GRADIENT_FUNC = 2,
	VERSIONS_PRODUCER = 1,
	RUNMD_FUNCTION_GRAPHS = 4,
	FUNCGRAPHS_PRE_OPTIMIZATION = 2,
};

/* --- info ---------------------------------------------------------------- */

typedef struct tag_item {
	const char *tag; /* borrowed from the series; valid under the store lock */
	size_t len;
	int conceptual, op, profile;
} tag_item;

typedef struct run_item {
	const char *run;
	int run_graph;
	tag_item *tags;
	size_t n, cap;
} run_item;

typedef struct info {
	run_item *runs;
	size_t n, cap;
} info;

static run_item *row(info *in, const char *run)
{
	for (size_t i = 0; i < in->n; i++)
		if (strcmp(in->runs[i].run, run) == 0)
			return &in->runs[i];
	in->runs = tb_xgrow(in->runs, &in->cap, in->n + 1, sizeof *in->runs);
	run_item *r = &in->runs[in->n++];
	memset(r, 0, sizeof *r);
	r->run = run;
	return r;
}

/* The tag entry of run for tag, created on first touch; NULL for an empty
 * tag (which only creates the run entry, as upstream's does). */
static tag_item *tag_row(info *in, const char *run, const tb_series *s)
{
	run_item *r = row(in, run);
	const char *tag = tb_series_tag(s);
	size_t len = tb_series_tag_len(s);
	if (len == 0)
		return NULL;
	for (size_t i = 0; i < r->n; i++)
		if (r->tags[i].len == len && memcmp(r->tags[i].tag, tag, len) == 0)
			return &r->tags[i];
	r->tags = tb_xgrow(r->tags, &r->cap, r->n + 1, sizeof *r->tags);
	tag_item *t = &r->tags[r->n++];
	memset(t, 0, sizeof *t);
	t->tag = tag;
	t->len = len;
	return t;
}

static int content_is_1(const tb_series *s)
{
	tb_slice c = tb_series_content(s);
	return c.len == 1 && c.ptr[0] == '1';
}

enum { STEP_OP_GRAPH, STEP_RUN_METADATA, STEP_KERAS, STEP_RUN_GRAPH, STEP_TAGGED };

static void info_step(info *in, tb_reader *rd, int step)
{
	static const char *const plugins[] = {"graph_run_metadata_graph", "graph_run_metadata",
					      "graph_keras_model", "graphs",
					      "graph_tagged_run_metadata"};
	size_t pos = 0;
	for (const tb_run *r; (r = tb_reader_next_run(rd, &pos));) {
		size_t k = 0;
		for (const tb_series *s;
		     (s = tb_run_next_series(r, &k, plugins[step], TB_DC_BLOB_SEQUENCE));) {
			if (step <= STEP_KERAS && !content_is_1(s))
				continue;
			if (step == STEP_RUN_GRAPH) {
				if (tb_series_tag_len(s) == sizeof RUN_GRAPH_TAG - 1 &&
				    memcmp(tb_series_tag(s), RUN_GRAPH_TAG, tb_series_tag_len(s)) ==
					0)
					row(in, tb_run_name(r))->run_graph = 1;
				continue;
			}
			tag_item *t = tag_row(in, tb_run_name(r), s);
			if (!t)
				continue;
			if (step == STEP_OP_GRAPH)
				t->op = 1;
			else if (step == STEP_RUN_METADATA)
				t->op = t->profile = 1;
			else if (step == STEP_KERAS)
				t->conceptual = 1;
			else
				t->profile = 1;
		}
	}
	tb_reader_release(rd);
}

static void handle_info(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_dash *d = payload;
	info in = {NULL, 0, 0};
	tb_json j;
	tb_json_init(&j, tb_resp_body(resp));
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	for (int step = STEP_OP_GRAPH; step <= STEP_TAGGED; step++)
		info_step(&in, &rd, step);
	tb_json_obj_begin(&j);
	for (size_t i = 0; i < in.n; i++) {
		run_item *r = &in.runs[i];
		tb_json_key(&j, r->run);
		tb_json_obj_begin(&j);
		tb_json_key(&j, "run");
		tb_json_str(&j, r->run);
		tb_json_key(&j, "tags");
		tb_json_obj_begin(&j);
		for (size_t k = 0; k < r->n; k++) {
			tag_item *t = &r->tags[k];
			tb_json_key_n(&j, t->tag, t->len);
			tb_json_obj_begin(&j);
			tb_json_key(&j, "tag");
			tb_json_str_n(&j, t->tag, t->len);
			tb_json_key(&j, "conceptual_graph");
			tb_json_bool(&j, t->conceptual);
			tb_json_key(&j, "op_graph");
			tb_json_bool(&j, t->op);
			tb_json_key(&j, "profile");
			tb_json_bool(&j, t->profile);
			tb_json_obj_end(&j);
		}
		tb_json_obj_end(&j);
		tb_json_key(&j, "run_graph");
		tb_json_bool(&j, r->run_graph);
		tb_json_obj_end(&j);
		free(r->tags);
	}
	tb_json_obj_end(&j);
	tb_reader_end(&rd);
	free(in.runs);
}

/* --- reading blobs ------------------------------------------------------- */

/* Copy the first blob of the newest step of (run, tag) from the first of
 * `plugins` that has one. Returns 0 with *out filled (caller frees), or
 * TB_ENOTFOUND. */
static int read_blob(tb_buf *out, tb_dash *d, const char *run, const char *tag,
		     const char *const *plugins, size_t n_plugins)
{
	int rc = TB_ENOTFOUND;
	tb_tensor_tmp tmp = {0};
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	const tb_run *r = tag ? tb_reader_find_run(&rd, run) : NULL;
	for (size_t i = 0; r && i < n_plugins && rc; i++) {
		const tb_series *s = tb_dash_series(r, tag, plugins[i], TB_DC_BLOB_SEQUENCE);
		if (!s || tb_series_len(s) == 0)
			continue;
		const tb_tensor *t = tb_series_tensor(s, tb_series_len(s) - 1, &tmp);
		if (!t || t->dtype != TB_DT_STRING || t->n == 0)
			continue;
		tb_slice b = tb_tensor_str(t, 0);
		tb_buf_append(out, b.ptr, b.len);
		rc = 0;
	}
	tb_reader_end(&rd);
	tb_tensor_tmp_free(&tmp);
	return rc;
}

/* --- Keras model JSON -> GraphDef (spec HTTP_API.md 8.4) ----------------- */

typedef struct name_list {
	char *key;
	char **names;
	size_t n;
} name_list;

typedef struct keras {
	tb_pbt_arena *a;
	tb_pbm *graph;
	char *prev;
	name_list *input_map; /* names[0] is the mapped node */
	size_t n_input_map, cap_input_map;
	name_list *outputs;
	size_t n_outputs, cap_outputs;
	const char *err;
} keras;

static char *scoped(const char *scope, const char *name)
{
	if (scope && *scope)
		return tb_xasprintf("%s/%s", scope, name);
	return tb_xstrdup(name);
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static name_list *find_list(name_list *l, size_t n, const char *key)
{
	for (size_t i = n; i-- > 0;)
		if (strcmp(l[i].key, key) == 0)
			return &l[i];
	return NULL;
}

static name_list *put_list(name_list **l, size_t *n, size_t *cap, const char *key)
{
	name_list *e = find_list(*l, *n, key);
	if (e) {
		for (size_t i = 0; i < e->n; i++)
			free(e->names[i]);
		free(e->names);
		e->names = NULL;
		e->n = 0;
		return e;
	}
	*l = tb_xgrow(*l, cap, *n + 1, sizeof **l);
	e = &(*l)[(*n)++];
	e->key = tb_xstrdup(key);
	e->names = NULL;
	e->n = 0;
	return e;
}

static void list_add(name_list *e, char *name)
{
	e->names = tb_xrealloc(e->names, (e->n + 1) * sizeof *e->names);
	e->names[e->n++] = name;
}

static void free_lists(name_list *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < l[i].n; k++)
			free(l[i].names[k]);
		free(l[i].names);
		free(l[i].key);
	}
	free(l);
}

typedef struct ref {
	const char *layer;
	json_int_t tensor;
} ref;

/* The (layer, node, tensor) references of a layer's inbound_nodes in the
 * object form ({"args": ...}); older list-form entries are ignored. */
static size_t inbound_refs(ref **out, json_t *layer)
{
	json_t *nodes = json_object_get(layer, "inbound_nodes");
	ref *refs = NULL;
	size_t n = 0, cap = 0;
	size_t i;
	json_t *node;
	json_array_foreach(nodes, i, node)
	{
		if (!json_is_object(node))
			continue;
		json_t *args = json_object_get(node, "args");
		json_t *one[1] = {args};
		json_t **list = one;
		size_t n_list = 1;
		if (json_is_array(args)) {
			n_list = json_array_size(args);
			list = NULL;
		}
		for (size_t k = 0; k < n_list; k++) {
			json_t *arg = list ? list[k] : json_array_get(args, k);
			/* a multi-input layer passes its tensors as one list argument */
			size_t n_sub = json_is_array(arg) ? json_array_size(arg) : 1;
			for (size_t m = 0; m < n_sub; m++) {
				json_t *x = json_is_array(arg) ? json_array_get(arg, m) : arg;
				json_t *hist =
				    json_object_get(json_object_get(x, "config"), "keras_history");
				if (!json_is_array(hist) || json_array_size(hist) < 3)
					continue;
				refs = tb_xgrow(refs, &cap, n + 1, sizeof *refs);
				refs[n].layer = json_string_value(json_array_get(hist, 0));
				if (!refs[n].layer)
					refs[n].layer = "";
				refs[n].tensor = json_integer_value(json_array_get(hist, 2));
				n++;
			}
		}
	}
	*out = refs;
	return n;
}

/* Names of the layers listed in input_layers/output_layers: one flat
 * [name, node, tensor] triple or a list of them. */
static size_t layer_names(const char ***out, json_t *v)
{
	size_t n = json_array_size(v);
	const char **names = tb_xcalloc(n ? n : 1, sizeof *names);
	if (n && json_is_string(json_array_get(v, 0))) {
		names[0] = json_string_value(json_array_get(v, 0));
		*out = names;
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(json_array_get(v, i), 0));
		names[i] = s ? s : "";
	}
	*out = names;
	return n;
}

static void model_layer(keras *k, json_t *layer, const char *scope)
{
	json_t *cfg = json_object_get(layer, "config");
	json_t *layers = json_object_get(cfg, "layers");
	if (json_array_size(layers) == 0) {
		k->err = "layer is not a model.";
		return;
	}
	char *node = scoped(scope, jstr(cfg, "name"));
	ref *in;
	size_t n_in = inbound_refs(&in, layer);
	const char **inputs, **outputs;
	size_t n_inputs = layer_names(&inputs, json_object_get(cfg, "input_layers"));
	size_t n_outputs = layer_names(&outputs, json_object_get(cfg, "output_layers"));
	int functional = n_inputs > 0 && n_outputs > 0;
	int parent_functional = n_in > 0;
	if (functional && parent_functional) {
		for (size_t i = 0; i < n_inputs && i < n_in; i++) {
			char *key = scoped(node, inputs[i]);
			name_list *e =
			    put_list(&k->input_map, &k->n_input_map, &k->cap_input_map, key);
			list_add(e, scoped(scope, in[i].layer));
			free(key);
		}
	} else if (parent_functional) {
		free(k->prev);
		k->prev = scoped(scope, in[0].layer);
	} else if (k->prev && functional && n_inputs == 1) {
		char *key = scoped(node, inputs[0]);
		name_list *e = put_list(&k->input_map, &k->n_input_map, &k->cap_input_map, key);
		list_add(e, tb_xstrdup(k->prev));
		free(key);
	}
	name_list *e = put_list(&k->outputs, &k->n_outputs, &k->cap_outputs, node);
	if (functional) {
		for (size_t i = 0; i < n_outputs; i++)
			list_add(e, scoped(node, outputs[i]));
	} else {
		json_t *last = json_array_get(layers, json_array_size(layers) - 1);
		list_add(e, scoped(node, jstr(json_object_get(last, "config"), "name")));
	}
	free(inputs);
	free(outputs);
	free(in);
	free(node);
}

static int keras_dtype(const char *name)
{
	static const struct {
		const char *name;
		int dt;
	} table[] = {
	    {"float16", 19},
	    {"half", 19},
	    {"float32", 1},
	    {"float", 1},
	    {"float64", 2},
	    {"double", 2},
	    {"bfloat16", 14},
	    {"complex64", 8},
	    {"complex128", 18},
	    {"int8", 6},
	    {"uint8", 4},
	    {"int16", 5},
	    {"uint16", 17},
	    {"int32", 3},
	    {"uint32", 22},
	    {"int64", 9},
	    {"uint64", 23},
	    {"bool", 10},
	    {"string", 7},
	    {"qint8", 11},
	    {"quint8", 12},
	    {"qint16", 15},
	    {"quint16", 16},
	    {"qint32", 13},
	    {"resource", 20},
	    {"variant", 21},
	    {"float8_e5m2", 24},
	    {"float8_e4m3fn", 25},
	    {"float8_e4m3fnuz", 26},
	    {"float8_e4m3b11fnuz", 27},
	    {"float8_e5m2fnuz", 28},
	    {"int4", 29},
	    {"uint4", 30},
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strcmp(table[i].name, name) == 0)
			return table[i].dt;
	return -1;
}

static tb_slice arena_str(keras *k, const char *s)
{
	return tb_pbt_strdup(k->a, s, strlen(s));
}

static void plain_layer(keras *k, json_t *layer, const char *scope)
{
	json_t *cfg = json_object_get(layer, "config");
	char *name = scoped(scope, jstr(cfg, "name"));
	tb_pbm *node = tb_pbm_add_msg(k->a, k->graph, GRAPH_NODE);
	tb_pbm_set_str(k->a, node, NODE_NAME, arena_str(k, name));
	const char *cls = json_string_value(json_object_get(layer, "class_name"));
	if (cls) {
		tb_pbm *v =
		    tb_pbm_map_value(k->a, node, NODE_ATTR, tb_slice_make("keras_class", 11));
		tb_pbm_set_str(k->a, v, ATTR_S, arena_str(k, cls));
	}
	json_t *dt = json_object_get(cfg, "dtype");
	if (json_is_object(dt))
		dt = json_object_get(json_object_get(dt, "config"), "name");
	if (json_is_string(dt)) {
		int t = keras_dtype(json_string_value(dt));
		if (t >= 0) {
			tb_pbm *v =
			    tb_pbm_map_value(k->a, node, NODE_ATTR, tb_slice_make("dtype", 5));
			tb_pbm_set_u(k->a, v, ATTR_TYPE, (uint64_t)t);
		}
	}
	json_t *inbound = json_object_get(layer, "inbound_nodes");
	if (inbound && !json_is_null(inbound)) {
		ref *in;
		size_t n_in = inbound_refs(&in, layer);
		for (size_t i = 0; i < n_in; i++) {
			char *src = scoped(scope, in[i].layer);
			name_list *outs = find_list(k->outputs, k->n_outputs, src);
			const char *input = src;
			if (outs && outs->n) {
				json_int_t t = in[i].tensor;
				if (t < 0)
					t += (json_int_t)outs->n;
				input = t >= 0 && t < (json_int_t)outs->n
					    ? outs->names[t]
					    : outs->names[outs->n - 1];
			}
			tb_pbm_add_str(k->a, node, NODE_INPUT, arena_str(k, input));
			free(src);
		}
		free(in);
	} else if (k->prev) {
		tb_pbm_add_str(k->a, node, NODE_INPUT, arena_str(k, k->prev));
	}
	name_list *m = find_list(k->input_map, k->n_input_map, name);
	if (m && m->n)
		tb_pbm_add_str(k->a, node, NODE_INPUT, arena_str(k, m->names[0]));
	free(k->prev);
	k->prev = name;
}

static void walk(keras *k, json_t *layer, const char *scope, int depth)
{
	if (k->err)
		return;
	if (depth > TB_PBT_MAX_DEPTH) {
		k->err = "model nesting is too deep";
		return;
	}
	json_t *cfg = json_object_get(layer, "config");
	json_t *layers = json_object_get(cfg, "layers");
	if (layers)
		model_layer(k, layer, scope);
	else
		plain_layer(k, layer, scope);
	if (json_array_size(layers) > 0) {
		char *child = scoped(scope, jstr(cfg, "name"));
		size_t i;
		json_t *c;
		json_array_foreach(layers, i, c) walk(k, c, child, depth + 1);
		free(child);
	}
}

/* Build the conceptual graph of a Keras model. Returns NULL with *err set
 * when the JSON is unusable. */
static tb_pbm *keras_graph(tb_pbt_arena *a, tb_slice json, const char **err)
{
	json_error_t je;
	json_t *root = json_loadb((const char *)json.ptr, json.len, JSON_ALLOW_NUL, &je);
	if (!root || !json_is_object(root)) {
		json_decref(root);
		*err = "the stored Keras model is not a JSON object";
		return NULL;
	}
	keras k;
	memset(&k, 0, sizeof k);
	k.a = a;
	k.graph = tb_pbm_new(a, tb_pbt_schema(&tensorflow__graph_def__descriptor));
	walk(&k, root, "", 0);
	free(k.prev);
	free_lists(k.input_map, k.n_input_map);
	free_lists(k.outputs, k.n_outputs);
	json_decref(root);
	if (k.err) {
		*err = k.err;
		return NULL;
	}
	return k.graph;
}

/* --- merging function graphs (spec HTTP_API.md 8.5) ---------------------- */

static tb_slice prefixed(tb_pbt_arena *a, const char *prefix, char sep, tb_slice s)
{
	size_t pl = strlen(prefix);
	char *tmp = tb_xmalloc(pl + 1 + s.len + 1);
	memcpy(tmp, prefix, pl);
	tmp[pl] = sep;
	if (s.len)
		memcpy(tmp + pl + 1, s.ptr, s.len);
	tb_slice r = tb_pbt_strdup(a, tmp, pl + 1 + s.len);
	free(tmp);
	return r;
}

static int32_t producer(tb_pbm *g)
{
	tb_pbv *v = tb_pbm_get(g, GRAPH_VERSIONS);
	return v ? (int32_t)tb_pbm_get_u(v->v.m, VERSIONS_PRODUCER) : 0;
}

static void add_prefixed(tb_pbt_arena *a, tb_pbm *dst, tb_pbm *g, const char *prefix)
{
	for (size_t i = 0; i < g->n; i++) {
		tb_pbv *v = &g->items[i];
		if (!v->f || v->num != GRAPH_NODE)
			continue;
		tb_pbm *node = tb_pbm_add_copy(a, dst, GRAPH_NODE, v->v.m);
		tb_pbm_set_str(a, node, NODE_NAME,
			       prefixed(a, prefix, '/', tb_pbm_get_str(node, NODE_NAME)));
		for (size_t k = 0; k < node->n; k++)
			if (node->items[k].f && node->items[k].num == NODE_INPUT)
				node->items[k].v.s = prefixed(a, prefix, '/', node->items[k].v.s);
		if (tb_slice_eq_str(tb_pbm_get_str(node, NODE_OP), "PartitionedCall") &&
		    tb_pbm_map_find(node, NODE_ATTR, tb_slice_make("f", 1))) {
			tb_pbm *f = tb_pbm_map_value(a, node, NODE_ATTR, tb_slice_make("f", 1));
			tb_pbm *func = tb_pbm_mutable(a, f, ATTR_FUNC);
			tb_pbm_set_str(a, func, FUNC_NAME,
				       prefixed(a, prefix, '_', tb_pbm_get_str(func, FUNC_NAME)));
		}
	}
	tb_pbv *lv = tb_pbm_get(g, GRAPH_LIBRARY);
	if (!lv)
		return;
	tb_pbm *lib = lv->v.m;
	for (size_t i = 0; i < lib->n; i++) {
		tb_pbv *v = &lib->items[i];
		if (!v->f || v->num != LIB_FUNCTION)
			continue;
		tb_pbm *fn =
		    tb_pbm_add_copy(a, tb_pbm_mutable(a, dst, GRAPH_LIBRARY), LIB_FUNCTION, v->v.m);
		tb_pbm *sig = tb_pbm_mutable(a, fn, FUNCDEF_SIGNATURE);
		tb_pbm_set_str(a, sig, OPDEF_NAME,
			       prefixed(a, prefix, '_', tb_pbm_get_str(sig, OPDEF_NAME)));
	}
	for (size_t i = 0; i < lib->n; i++) {
		tb_pbv *v = &lib->items[i];
		if (!v->f || v->num != LIB_GRADIENT)
			continue;
		tb_pbm *gr =
		    tb_pbm_add_copy(a, tb_pbm_mutable(a, dst, GRAPH_LIBRARY), LIB_GRADIENT, v->v.m);
		tb_pbm_set_str(
		    a, gr, GRADIENT_FUNCTION_NAME,
		    prefixed(a, prefix, '_', tb_pbm_get_str(gr, GRADIENT_FUNCTION_NAME)));
		tb_pbm_set_str(
		    a, gr, GRADIENT_GRADIENT_FUNC,
		    prefixed(a, prefix, '_', tb_pbm_get_str(gr, GRADIENT_GRADIENT_FUNC)));
	}
}

/* The op graph of a RunMetadata: its function graphs' pre-optimization
 * graphs, merged. NULL when their producers differ. */
static tb_pbm *op_graph(tb_pbt_arena *a, tb_pbm *rm)
{
	tb_pbm **graphs = tb_xcalloc(rm->n ? rm->n : 1, sizeof *graphs);
	size_t n = 0;
	for (size_t i = 0; i < rm->n; i++) {
		tb_pbv *v = &rm->items[i];
		if (!v->f || v->num != RUNMD_FUNCTION_GRAPHS)
			continue;
		tb_pbv *pre = tb_pbm_get(v->v.m, FUNCGRAPHS_PRE_OPTIMIZATION);
		graphs[n++] = pre ? pre->v.m : tb_pbm_new(a, tb_pbt_schema(&tensorflow__graph_def__descriptor));
	}
	tb_pbm *dst = NULL;
	if (n == 0) {
		dst = tb_pbm_new(a, tb_pbt_schema(&tensorflow__graph_def__descriptor));
	} else if (n == 1) {
		dst = graphs[0];
	} else {
		dst = tb_pbm_new(a, tb_pbt_schema(&tensorflow__graph_def__descriptor));
		tb_pbv *ver = tb_pbm_get(graphs[0], GRAPH_VERSIONS);
		if (producer(graphs[0])) {
			tb_pbm_mutable(a, dst, GRAPH_VERSIONS);
			tb_pbm_get(dst, GRAPH_VERSIONS)->v.m = tb_pbm_copy(a, ver->v.m);
		}
		for (size_t i = 0; i < n && dst; i++) {
			if (producer(dst) != producer(graphs[i])) {
				dst = NULL;
				break;
			}
			char prefix[32];
			snprintf(prefix, sizeof prefix, "graph_%zu", i + 1);
			add_prefixed(a, dst, graphs[i], prefix);
		}
	}
	free(graphs);
	return dst;
}

/* --- attribute filter (spec HTTP_API.md 8.2) ----------------------------- */

static void limit_attrs(tb_pbt_arena *a, tb_pbm *graph, uint64_t limit, tb_slice key)
{
	for (size_t i = 0; i < graph->n; i++) {
		tb_pbv *v = &graph->items[i];
		if (!v->f || v->num != GRAPH_NODE)
			continue;
		tb_pbm *node = v->v.m;
		tb_slice *keys;
		size_t nk = tb_pbm_map_keys(&keys, a, node, NODE_ATTR);
		for (size_t k = 0; k < nk; k++) {
			tb_pbm *e = tb_pbm_map_find(node, NODE_ATTR, keys[k]);
			tb_pbv *val = e ? tb_pbm_get(e, 2) : NULL;
			uint64_t size = val ? tb_pbm_size(val->v.m) : 0;
			if (size <= limit)
				continue;
			tb_pbm_map_delete(node, NODE_ATTR, keys[k]);
			tb_pbm *big = tb_pbm_map_value(a, node, NODE_ATTR, key);
			tb_pbm_add_str(a, tb_pbm_mutable(a, big, ATTR_LIST), LIST_S, keys[k]);
		}
	}
}

/* Python's int() on a query value: optional blanks and sign, decimal
 * digits with single underscores between them. */
static int parse_int(long long *out, const char *s)
{
	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	int neg = 0;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!(*s >= '0' && *s <= '9'))
		return -1;
	unsigned long long v = 0;
	int overflow = 0;
	for (; (*s >= '0' && *s <= '9') || *s == '_'; s++) {
		if (*s == '_') {
			if (!(s[1] >= '0' && s[1] <= '9'))
				return -1;
			continue;
		}
		if (v > (unsigned long long)LLONG_MAX / 10)
			overflow = 1;
		v = v * 10 + (unsigned long long)(*s - '0');
		if (v > (unsigned long long)LLONG_MAX)
			overflow = 1;
	}
	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	if (*s)
		return -1;
	/* beyond 64 bits the value only matters through its sign */
	*out = overflow ? (neg ? LLONG_MIN : LLONG_MAX) : (neg ? -(long long)v : (long long)v);
	return 0;
}

/* --- routes -------------------------------------------------------------- */

static void handle_graph(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash *d = payload;
	const char *run = tb_req_query(req, "run");
	const char *tag = tb_req_query(req, "tag");
	const char *conceptual = tb_req_query(req, "conceptual");
	const char *limit_s = tb_req_query(req, "limit_attr_size");
	const char *large_key = tb_req_query(req, "large_attrs_key");
	if (!run) {
		tb_resp_error(resp, 400, "query parameter \"run\" is required");
		return;
	}
	long long limit = 0;
	if (limit_s && parse_int(&limit, limit_s)) {
		tb_resp_error(resp, 400, "query parameter `limit_attr_size` must be an integer");
		return;
	}
	int is_conceptual = conceptual && strcmp(conceptual, "true") == 0;
	static const char *const keras_plugins[] = {"graph_keras_model"};
	static const char *const run_plugins[] = {"graphs"};
	static const char *const op_plugins[] = {"graph_run_metadata", "graph_run_metadata_graph"};
	tb_buf blob = TB_BUF_INIT;
	int rc;
	if (is_conceptual)
		rc = read_blob(&blob, d, run, tag, keras_plugins, 1);
	else if (!tag)
		rc = read_blob(&blob, d, run, RUN_GRAPH_TAG, run_plugins, 1);
	else
		rc = read_blob(&blob, d, run, tag, op_plugins, 2);
	if (rc) {
		tb_resp_error(resp, 404, "Not found");
		tb_buf_free(&blob);
		return;
	}
	tb_pbt_arena *a = tb_pbt_arena_new();
	tb_slice in = tb_slice_make(blob.ptr ? blob.ptr : "", blob.len);
	tb_pbm *graph = NULL;
	const char *err = NULL;
	if (is_conceptual) {
		graph = keras_graph(a, in, &err);
	} else if (!tag) {
		if (tb_pbm_parse(&graph, a, tb_pbt_schema(&tensorflow__graph_def__descriptor), in))
			err = "the stored graph is not a valid GraphDef";
	} else {
		tb_pbm *rm;
		if (tb_pbm_parse(&rm, a, tb_pbt_schema(&tensorflow__run_metadata__descriptor), in))
			err = "the stored run metadata is not a valid RunMetadata";
		else if (!(graph = op_graph(a, rm)))
			err = "Cannot combine GraphDefs of different versions.";
	}
	if (!err && limit_s) {
		if (!large_key)
			err = "large_attrs_key must be given with limit_attr_size";
		else if (limit <= 0)
			err = "limit_attr_size must be > 0";
		else
			limit_attrs(a, graph, (uint64_t)limit,
				    tb_pbt_strdup(a, large_key, strlen(large_key)));
	}
	if (err) {
		tb_resp_error(resp, 400, "%s", err);
	} else {
		tb_resp_type(resp, PROTO_TEXT);
		tb_pbm_print(tb_resp_body(resp), graph);
	}
	tb_pbt_arena_free(a);
	tb_buf_free(&blob);
}

static void handle_run_metadata(tb_resp *resp, const tb_req *req, void *payload)
{
	tb_dash *d = payload;
	const char *run = tb_req_query(req, "run");
	const char *tag = tb_req_query(req, "tag");
	if (!tag) {
		tb_resp_error(resp, 400, "query parameter \"tag\" is required");
		return;
	}
	if (!run) {
		tb_resp_error(resp, 400, "query parameter \"run\" is required");
		return;
	}
	static const char *const plugins[] = {"graph_tagged_run_metadata", "graph_run_metadata"};
	tb_buf blob = TB_BUF_INIT;
	if (read_blob(&blob, d, run, tag, plugins, 2)) {
		tb_resp_error(resp, 404, "Not found");
	} else {
		tb_buf text = TB_BUF_INIT;
		if (tb_textformat(&text, tb_pbt_schema(&tensorflow__run_metadata__descriptor),
				  tb_slice_make(blob.ptr ? blob.ptr : "", blob.len))) {
			tb_resp_error(resp, 400,
				      "the stored run metadata is not a valid RunMetadata");
		} else {
			tb_resp_type(resp, PROTO_TEXT);
			tb_buf_append(tb_resp_body(resp), text.ptr ? text.ptr : "", text.len);
		}
		tb_buf_free(&text);
	}
	tb_buf_free(&blob);
}

void tb_graphs_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/plugin/graphs/info", handle_info, d);
	tb_router_add(r, "/data/plugin/graphs/graph", handle_graph, d);
	tb_router_add(r, "/data/plugin/graphs/run_metadata", handle_run_metadata, d);
}
