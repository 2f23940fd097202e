/* What every Profile route does before it answers: find the store's
 * profiles, check the query parameters the route needs, look up the run,
 * the profile of a worker and span or the span of a Distributed profile,
 * answer the error when one is missing, and begin the JSON answer. The
 * handlers in profile*.c receive the result (tb_profile_ask).
 *
 * Also the one cache of things built from traces read again on request
 * (the Diff view's comparisons, the operator trees the run load did not
 * keep), so that together they stay few. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "profile_views.h"

#define PREFIX "/data/plugin/pytorch_profiler"

static pthread_once_t store_once = PTHREAD_ONCE_INIT;
static tb_prof_store *store;
static const tb_dash *store_dash;

static void store_init(void)
{
	store = tb_prof_store_new(store_dash->store, store_dash->logdir);
}

tb_prof_store *tb_profile_store(const tb_dash *d)
{
	store_dash = d;
	pthread_once(&store_once, store_init);
	return store;
}

static tb_prof_run *need_run(tb_resp *resp, const tb_dash *d, const char *name)
{
	tb_prof_run *r = tb_prof_store_run(tb_profile_store(d), name);
	if (!r)
		tb_resp_error(resp, 404, "could not find the run for %s", name);
	return r;
}

/* Answers that run/worker/span has no profile of the reference's views:
 * another profiler's trace says so, as it has the Trace view only. */
static void no_profile(tb_resp *resp, const tb_prof_run *r, const char *worker, const char *span)
{
	if (span && tb_prof_run_chrome(r, worker, span))
		tb_resp_error(resp, 400,
			      "%s/%s/%s is a Chrome trace of another profiler (TensorFlow, JAX): "
			      "it has the Trace view only (the timeline route)",
			      r->name, worker, span);
	else
		tb_resp_error(resp, 404, "could not find the profile for %s/%s/%s", r->name, worker,
			      span ? span : "None");
}

const tb_prof_profile *tb_profile_find(tb_resp *resp, const tb_dash *d, const char *run,
				       const char *worker, const char *span)
{
	tb_prof_run *r = need_run(resp, d, run);
	const tb_prof_profile *p = r ? tb_prof_run_profile(r, worker, span) : NULL;
	if (r && !p)
		no_profile(resp, r, worker, span);
	return p;
}

/* The profile of worker and span in run a->run; 0, or -1 after answering. */
static int need_profile(tb_profile_ask *a)
{
	const char *run = a->run->name, *worker = tb_req_query(a->req, "worker");
	const char *span = tb_req_query(a->req, "span");
	a->profile = span ? tb_prof_run_profile(a->run, worker, span) : NULL;
	if (!a->profile && span && strcmp(worker, "All") == 0 &&
	    tb_prof_run_has_dist(a->run, span)) {
		tb_resp_error(a->resp, 400, "the profile of %s/All is the distributed one", run);
		return -1;
	}
	if (!a->profile) {
		no_profile(a->resp, a->run, worker, span);
		return -1;
	}
	return 0;
}

/* The span of a Distributed profile of run a->run; 0, or -1 after
 * answering. */
static int need_dist(tb_profile_ask *a)
{
	a->span = tb_req_query(a->req, "span");
	if (!a->span || !tb_prof_run_has_dist(a->run, a->span)) {
		tb_resp_error(a->resp, 404, "could not find the profile for %s/All/%s",
			      a->run->name, a->span ? a->span : "None");
		return -1;
	}
	return 0;
}

/* The parameters a route requires, in the order their absence is told. */
static int need_params(tb_resp *resp, const tb_req *req, const tb_profile_route *rt)
{
	const char *implied[2] = {rt->need >= TB_PROFILE_RUN ? "run" : NULL,
				  rt->need == TB_PROFILE_PROFILE ? "worker" : NULL};
	for (size_t i = 0; i < 2 + sizeof rt->params / sizeof rt->params[0]; i++) {
		const char *name = i < 2 ? implied[i] : rt->params[i - 2];
		if (name && !tb_req_query(req, name)) {
			tb_resp_error(resp, 400, "Must specify %s in request url", name);
			return -1;
		}
	}
	return 0;
}

static void handle(tb_resp *resp, const tb_req *req, void *payload)
{
	const tb_profile_route *rt = payload;
	tb_profile_ask a = {.resp = resp, .req = req, .dash = rt->dash};
	tb_json j;
	if (need_params(resp, req, rt) != 0)
		return;
	if (rt->need >= TB_PROFILE_RUN &&
	    !(a.run = need_run(resp, rt->dash, tb_req_query(req, "run"))))
		return;
	if ((rt->need == TB_PROFILE_PROFILE && need_profile(&a) != 0) ||
	    (rt->need == TB_PROFILE_DIST && need_dist(&a) != 0))
		return;
	/* an error answer from the handler replaces the type and the body */
	tb_resp_type(resp, "application/json");
	tb_json_init(&j, tb_resp_body(resp));
	rt->fn(&j, &a);
}

void tb_profile_routes(tb_router *r, const tb_dash *d, tb_profile_route *routes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		routes[i].dash = d;
		char *path = tb_xasprintf(PREFIX "%s", routes[i].path);
		tb_router_add(r, path, handle, &routes[i]);
		free(path);
	}
}

void tb_profile_json_strs(tb_json *j, size_t n, const char *const *kv)
{
	tb_json_obj_begin(j);
	for (size_t i = 0; i < n; i++) {
		if (!kv[2 * i + 1])
			continue;
		tb_json_key(j, kv[2 * i]);
		tb_json_str(j, kv[2 * i + 1]);
	}
	tb_json_obj_end(j);
}

/* ---- things built from traces read again -------------------------------------- */

typedef struct cached {
	char *key;
	void *value;
	void (*drop)(void *);
	uint64_t used;
} cached;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static cached cache[TB_PROFILE_CACHED];
static uint64_t cache_clock;

void tb_profile_cached(tb_json *j, const tb_profile_ask *a, const char *key,
		       const tb_profile_build *b)
{
	pthread_mutex_lock(&cache_lock);
	cached *c = &cache[0];
	for (int i = 0; i < TB_PROFILE_CACHED; i++) {
		if (cache[i].key && strcmp(cache[i].key, key) == 0) {
			c = &cache[i];
			goto use;
		}
		if (cache[i].used < c->used)
			c = &cache[i];
	}
	/* the least recently used goes before the new one is built */
	if (c->key)
		c->drop(c->value);
	free(c->key);
	memset(c, 0, sizeof *c);
	void *value = b->build(a, b->payload);
	if (!value)
		goto out;
	c->key = tb_xstrdup(key);
	c->value = value;
	c->drop = b->drop;
use:
	c->used = ++cache_clock;
	b->use(j, a, c->value, b->payload);
out:
	pthread_mutex_unlock(&cache_lock);
}
