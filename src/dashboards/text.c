/* text dashboard: routes not served yet. */
#include "dash.h"

void tb_text_register(tb_router *r, tb_dash *d)
{
	(void)r;
	(void)d;
}
