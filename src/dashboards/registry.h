/* The dashboards tboard serves: one descriptor each, in one table
 * (registry.c) in upstream's tab order (spec HTTP_API.md 4.3). The plugin
 * listing, route registration, the plugin entry page and the default
 * number of points a read route serves all come from it.
 *
 * A new dashboard is its own .c file, which defines
 * `void tb_<name>_register(tb_router *, tb_dash *)`, plus one row (and that
 * function's declaration) in registry.c. The table is constant. */
#ifndef TB_REGISTRY_H
#define TB_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "dash.h"

enum {
	TB_LOAD_NG,	 /* NG_COMPONENT: built into upstream's shell */
	TB_LOAD_ELEMENT, /* CUSTOM_ELEMENT named by `element` */
	TB_LOAD_IFRAME,	 /* IFRAME loading data/plugin/<key>/index.js */
};

#define TB_DASHBOARD_MAX_PLUGINS 6

typedef struct tb_dashboard {
	const char *key;      /* plugin name in data/plugins_listing */
	const char *tab_name; /* as upstream's listing names it */
	int loading;	      /* TB_LOAD_* */
	const char *element;  /* TB_LOAD_ELEMENT: the custom element's name */
	int disable_reload;
	/* Stored data plugins it reads (NULL-terminated); a series of one of
	 * them makes it active unless `active` is set. */
	const char *data_plugins[TB_DASHBOARD_MAX_PLUGINS];
	/* Points per series its read routes serve by default (0: none). */
	uint64_t samples;
	/* Adds its routes; NULL for upstream's tabs that tboard only lists. */
	void (*register_routes)(tb_router *r, tb_dash *d);
	/* Whether it has data, when that is not "a series of data_plugins is
	 * stored"; takes the locks it needs itself. */
	int (*active)(tb_dash *d);
} tb_dashboard;

/* Number of dashboards, and the i-th in tab order. */
size_t tb_dashboard_count(void);
const tb_dashboard *tb_dashboard_at(size_t i);

/* The dashboard with plugin name `key`, or NULL. */
const tb_dashboard *tb_dashboard_find(const char *key);

/* Default points per series served by dashboard `key` (its `samples`);
 * `key` must name a dashboard of the table. */
uint64_t tb_dashboard_samples(const char *key);

/* Register the core routes and every dashboard's routes. */
void tb_dashboards_register(tb_router *r, tb_dash *d);

/* Core routes (core.c): environment, runs, plugin listing, ... */
void tb_core_register(tb_router *r, tb_dash *d);

#endif
