/* The Profile dashboard's Distributed view routes (profile_dist.c) and
 * what they borrow from profile.c. */
#ifndef TB_DASH_PROFILE_DIST_H
#define TB_DASH_PROFILE_DIST_H

#include "dash.h"
#include "profile/profiles.h"

/* The run of a Distributed profile (worker "All") and its span, or NULL
 * after answering 400 or 404. */
tb_prof_run *tb_profile_dist_run(const char **span, tb_resp *resp, const tb_req *req,
				 const tb_dash *d);
/* A number as Python prints it: an int or a float. */
void tb_profile_json_num(tb_json *j, tb_prof_num n);

/* distributed/overlap, distributed/waittime, distributed/commops */
void tb_profile_dist_register(tb_router *r, tb_dash *d, const char *prefix);

#endif
