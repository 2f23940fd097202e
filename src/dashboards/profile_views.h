/* Profile dashboard routes: what every route handler shares (the request
 * prologue and the cache of traces read again, profile_req.c), the routes
 * of the Distributed view (profile_dist.c), the Diff view
 * (profile_diff.c), the Memory tables and the Module view
 * (profile_memory.c), and what they borrow from profile.c. */
#ifndef TB_DASH_PROFILE_VIEWS_H
#define TB_DASH_PROFILE_VIEWS_H

#include "dash.h"
#include "profile/profiles.h"

/* The dashboard's profiles, made on first use. */
tb_prof_store *tb_profile_store(const tb_dash *d);

/* What a route needs before its handler runs; each includes the one
 * before. */
enum tb_profile_need {
	TB_PROFILE_NOTHING,
	TB_PROFILE_RUN,	    /* the run named by `run` */
	TB_PROFILE_PROFILE, /* and its profile of `worker` and `span` */
	TB_PROFILE_DIST,    /* the run and a `span` it has a Distributed profile for */
};

/* One request to a route, as its handler receives it with the answer's
 * JSON begun (an error answer replaces the type and the body). */
typedef struct tb_profile_ask {
	tb_resp *resp;
	const tb_req *req;
	const tb_dash *dash;
	tb_prof_run *run;		/* TB_PROFILE_RUN and after */
	const tb_prof_profile *profile; /* TB_PROFILE_PROFILE */
	const char *span;		/* TB_PROFILE_DIST */
} tb_profile_ask;

typedef struct tb_profile_route {
	const char *path; /* after /data/plugin/pytorch_profiler */
	void (*fn)(tb_json *j, const tb_profile_ask *a);
	int need; /* enum tb_profile_need */
	/* parameters required besides `run` (and `worker` for a profile),
	 * 400 when missing, in this order, before the run is looked up */
	const char *params[4];
	const tb_dash *dash; /* set by tb_profile_routes */
} tb_profile_route;

/* Serve routes[0..n) of d: each handler runs once its parameters, run,
 * profile or span are there; otherwise the request is answered 400 or 404
 * (a profile of worker "All" for a Distributed span: 400). routes must
 * outlive r. */
void tb_profile_routes(tb_router *r, const tb_dash *d, tb_profile_route *routes, size_t n);

/* The profile of run, worker and span, or NULL after answering 404. */
const tb_prof_profile *tb_profile_find(tb_resp *resp, const tb_dash *d, const char *run,
				       const char *worker, const char *span);

/* How tb_profile_cached makes and uses a value: build gives it (NULL
 * after answering an error), use answers from it, drop frees it. */
typedef struct tb_profile_build {
	void *(*build)(const tb_profile_ask *a, void *payload);
	void (*use)(tb_json *j, const tb_profile_ask *a, void *value, void *payload);
	void (*drop)(void *value);
	void *payload;
} tb_profile_build;

/* Values built from traces read again (the Diff view's comparisons, the
 * operator trees the load did not keep) live in one cache of this many,
 * shared by every route; the least recently used goes first. */
#define TB_PROFILE_CACHED 4

/* Answer a in j from the value cached under key, built first when it is
 * not there. Requests hold the cache's lock while they build and use. */
void tb_profile_cached(tb_json *j, const tb_profile_ask *a, const char *key,
		       const tb_profile_build *b);

/* An object of n string fields: keys kv[0], kv[2], ... with values
 * kv[1], kv[3], ...; a field whose value is NULL is left out. */
void tb_profile_json_strs(tb_json *j, size_t n, const char *const *kv);
/* A number as Python prints it: an int or a float. */
void tb_profile_json_num(tb_json *j, tb_prof_num n);
/* The reference's unit for query value q (a time unit unless memory):
 * its display name and the factor from microseconds or bytes. Returns 0,
 * or -1 for an unknown unit. */
int tb_profile_unit(const char **name, double *factor, int memory, const char *q);

/* distributed/overlap, distributed/waittime, distributed/commops */
void tb_profile_dist_register(tb_router *r, tb_dash *d);
/* diff, diffnode */
void tb_profile_diff_register(tb_router *r, tb_dash *d);
/* memory, memory_events, module and tree */
void tb_profile_memory_register(tb_router *r, tb_dash *d);

#endif
