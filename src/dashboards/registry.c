/* The list of dashboards the server serves. */
#include "dash.h"

void tb_dashboards_register(tb_router *r, tb_dash *d)
{
	tb_core_register(r, d);
	tb_scalars_register(r, d);
	tb_timeseries_register(r, d);
	tb_histograms_register(r, d);
	tb_distributions_register(r, d);
	tb_images_register(r, d);
	tb_audio_register(r, d);
	tb_text_register(r, d);
	tb_pr_curves_register(r, d);
	tb_custom_scalars_register(r, d);
	tb_hparams_register(r, d);
	tb_graphs_register(r, d);
	tb_projector_register(r, d);
	tb_mesh_register(r, d);
	tb_compare_register(r, d);
	tb_tboard_events_register(r, d);
	tb_tboard_data_register(r, d);
}
