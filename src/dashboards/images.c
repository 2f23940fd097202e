/* images dashboard: routes not served yet. */
#include "dash.h"

void tb_images_register(tb_router *r, tb_dash *d)
{
	(void)r;
	(void)d;
}
