/* What the Profile dashboard's route files share (profile.c owns the
 * store of profiler runs; profile_memory.c serves the Memory view's
 * tables). */
#ifndef TB_DASH_PROFILE_H
#define TB_DASH_PROFILE_H

#include "dash.h"
#include "profile/profiles.h"

/* The profile named by the request's run, worker and span, or NULL after
 * answering 400 or 404. Borrowed from the store. */
const tb_prof_profile *tb_profile_need(tb_resp *resp, const tb_req *req, const tb_dash *d);

/* The reference's unit for query value q (a time unit unless memory):
 * its display name and the factor from microseconds or bytes. Returns 0,
 * or -1 for an unknown unit. */
int tb_profile_unit(const char **name, double *factor, int memory, const char *q);

/* The routes memory, memory_events, module and tree (profile_memory.c). */
void tb_profile_memory_register(tb_router *r, tb_dash *d);

#endif
