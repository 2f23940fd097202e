/* The table of dashboards (see registry.h). */
#include "registry.h"

#include <assert.h>
#include <string.h>

#include "snapshot.h"

/* Each dashboard file defines its register function; only this table calls
 * it. */
void tb_scalars_register(tb_router *r, tb_dash *d);
void tb_timeseries_register(tb_router *r, tb_dash *d);
void tb_histograms_register(tb_router *r, tb_dash *d);
void tb_distributions_register(tb_router *r, tb_dash *d);
void tb_images_register(tb_router *r, tb_dash *d);
void tb_audio_register(tb_router *r, tb_dash *d);
void tb_text_register(tb_router *r, tb_dash *d);
void tb_pr_curves_register(tb_router *r, tb_dash *d);
void tb_custom_scalars_register(tb_router *r, tb_dash *d);
void tb_hparams_register(tb_router *r, tb_dash *d);
void tb_graphs_register(tb_router *r, tb_dash *d);
void tb_projector_register(tb_router *r, tb_dash *d);
void tb_mesh_register(tb_router *r, tb_dash *d);
void tb_compare_register(tb_router *r, tb_dash *d);
void tb_profile_register(tb_router *r, tb_dash *d);
int tb_profile_active(tb_dash *d);

#define NG TB_LOAD_NG, NULL
#define EL(name) TB_LOAD_ELEMENT, name
#define IFRAME TB_LOAD_IFRAME, NULL
#define NONE                                                                                       \
	{                                                                                          \
		NULL                                                                               \
	}

/* One row per dashboard, in tab order:
 * key, tab name, loading, reload, data plugins, samples, register, active. */
/* clang-format off */
static const tb_dashboard dashboards[] = {
    {"timeseries", "Time Series", NG, 0, {"scalars", "histograms", "images"}, 0, tb_timeseries_register, NULL},
    {"scalars", "scalars", EL("tf-scalar-dashboard"), 0, {"scalars"}, 1000, tb_scalars_register, NULL},
    {"custom_scalars", "Custom Scalars", EL("tf-custom-scalar-dashboard"), 0, {"custom_scalars"}, 0, tb_custom_scalars_register, NULL},
    {"images", "images", EL("tf-image-dashboard"), 0, {"images"}, 10, tb_images_register, NULL},
    {"audio", "audio", EL("tf-audio-dashboard"), 0, {"audio"}, 10, tb_audio_register, NULL},
    {"debugger-v2", "Debugger V2", NG, 0, NONE, 0, NULL, NULL},
    {"graphs", "graphs", EL("tf-graph-dashboard"), 1, {"graphs", "graph_run_metadata", "graph_run_metadata_graph", "graph_keras_model", "graph_tagged_run_metadata"}, 0, tb_graphs_register, NULL},
    {"distributions", "distributions", EL("tf-distribution-dashboard"), 0, {"histograms"}, 501, tb_distributions_register, NULL},
    {"histograms", "histograms", EL("tf-histogram-dashboard"), 0, {"histograms"}, 51, tb_histograms_register, NULL},
    {"text", "text", EL("tf-text-dashboard"), 0, {"text"}, 100, tb_text_register, NULL},
    {"pr_curves", "PR Curves", EL("tf-pr-curve-dashboard"), 0, {"pr_curves"}, 100, tb_pr_curves_register, NULL},
    {"profile_redirect", "Profile", EL("tf-profile-redirect-dashboard"), 0, NONE, 0, NULL, NULL},
    {"hparams", "hparams", EL("tf-hparams-dashboard"), 0, {"hparams"}, 0, tb_hparams_register, NULL},
    {"mesh", "mesh", EL("mesh-dashboard"), 0, {"mesh"}, 100, tb_mesh_register, NULL},
    {"wit_redirect", "What-If Tool", EL("tf-wit-redirect-dashboard"), 0, NONE, 0, NULL, NULL},
    {"projector", "projector", IFRAME, 1, NONE, 0, tb_projector_register, tb_projector_active},
    {"pytorch_profiler", "pytorch_profiler", IFRAME, 1, NONE, 0, tb_profile_register, tb_profile_active},
};
/* clang-format on */

#define N_DASHBOARDS (sizeof dashboards / sizeof dashboards[0])
_Static_assert(N_DASHBOARDS <= 32, "the plugin listing keeps one bit per dashboard");

size_t tb_dashboard_count(void)
{
	return N_DASHBOARDS;
}

const tb_dashboard *tb_dashboard_at(size_t i)
{
	return i < N_DASHBOARDS ? &dashboards[i] : NULL;
}

const tb_dashboard *tb_dashboard_find(const char *key)
{
	for (size_t i = 0; i < N_DASHBOARDS; i++)
		if (strcmp(dashboards[i].key, key) == 0)
			return &dashboards[i];
	return NULL;
}

uint64_t tb_dashboard_samples(const char *key)
{
	const tb_dashboard *db = tb_dashboard_find(key);
	assert(db && db->samples);
	return db ? db->samples : 0;
}

void tb_dashboards_register(tb_router *r, tb_dash *d)
{
	tb_core_register(r, d);
	for (size_t i = 0; i < N_DASHBOARDS; i++)
		if (dashboards[i].register_routes)
			dashboards[i].register_routes(r, d);
	tb_compare_register(r, d); /* run comparison routes, not a tab */
	d->router = r;
	tb_snapshot_register(r, d); /* static snapshots, built from the routes above */
	tb_tboard_events_register(r, d);
	tb_tboard_data_register(r, d);
	tb_tboard_export_register(r, d);
}
