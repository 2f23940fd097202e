/* pr_curves dashboard: routes not served yet. */
#include "dash.h"

void tb_pr_curves_register(tb_router *r, tb_dash *d)
{
	(void)r;
	(void)d;
}
