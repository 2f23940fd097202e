/* Profile dashboard routes served outside profile.c: the Distributed
 * view (profile_dist.c), the Diff view (profile_diff.c), the Memory
 * tables and the Module view (profile_memory.c), and what they borrow
 * from profile.c. */
#ifndef TB_DASH_PROFILE_VIEWS_H
#define TB_DASH_PROFILE_VIEWS_H

#include "dash.h"
#include "profile/profiles.h"

/* The run of a Distributed profile (worker "All") and its span, or NULL
 * after answering 400 or 404. */
tb_prof_run *tb_profile_dist_run(const char **span, tb_resp *resp, const tb_req *req,
				 const tb_dash *d);
/* The profile of run, worker and span, or NULL after answering 404. */
const tb_prof_profile *tb_profile_find(tb_resp *resp, const tb_dash *d, const char *run,
				       const char *worker, const char *span);
/* A number as Python prints it: an int or a float. */
void tb_profile_json_num(tb_json *j, tb_prof_num n);

/* distributed/overlap, distributed/waittime, distributed/commops */
void tb_profile_dist_register(tb_router *r, tb_dash *d, const char *prefix);
/* diff, diffnode */
void tb_profile_diff_register(tb_router *r, tb_dash *d, const char *prefix);

/* The profile named by the request's run, worker and span, or NULL after
 * answering 400 or 404. Borrowed from the store. */
const tb_prof_profile *tb_profile_need(tb_resp *resp, const tb_req *req, const tb_dash *d);
/* The reference's unit for query value q (a time unit unless memory):
 * its display name and the factor from microseconds or bytes. Returns 0,
 * or -1 for an unknown unit. */
int tb_profile_unit(const char **name, double *factor, int memory, const char *q);
/* memory, memory_events, module and tree */
void tb_profile_memory_register(tb_router *r, tb_dash *d);

#endif
