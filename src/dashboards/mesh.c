/* mesh dashboard: routes not served yet. */
#include "dash.h"

void tb_mesh_register(tb_router *r, tb_dash *d)
{
	(void)r;
	(void)d;
}
