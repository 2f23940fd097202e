/* Fuzz target for the hparams dashboard's parsers of untrusted bytes: the
 * stored HParamsPluginData (as an experiment, a session start info and a
 * session end info), the protobuf-JSON requests, the session/group path
 * join, and the experiment written by the one-line and the indenting JSON
 * writers.
 *
 * The whole input goes to each parser; for the path join it is split at
 * the first newline into session and group. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "dashboards/hparams.h"

static void write_and_pretty(const hp_experiment *e)
{
	tb_buf compact = TB_BUF_INIT, pretty = TB_BUF_INIT;
	tb_json j;
	tb_json_init(&j, &compact);
	hp_write_experiment(&j, e);
	tb_json_init_indent(&j, &pretty, 2);
	hp_write_experiment(&j, e);
	if (pretty.len < compact.len / 2)
		abort();
	tb_buf_free(&compact);
	tb_buf_free(&pretty);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hp_experiment e = {0};
	if (hp_decode(&e, HP_DATA_EXPERIMENT, data, size) == 0)
		write_and_pretty(&e);
	hp_experiment_free(&e);

	hp_start_info st = {0};
	if (hp_decode(&st, HP_DATA_START, data, size) == 0 && st.hparams.kind != HP_STRUCT)
		abort();
	hp_start_info_free(&st);
	hp_end_info end = {0};
	hp_decode(&end, HP_DATA_END, data, size);

	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	tb_buf err = TB_BUF_INIT;
	hp_groups_req gq;
	if (hp_parse_groups_req(&gq, text, &err) == 0 && gq.n_cols && !gq.cols)
		abort();
	hp_groups_req_free(&gq);
	hp_exp_req xq;
	hp_parse_exp_req(&xq, text, &err);
	hp_evals_req vq;
	if (hp_parse_evals_req(&vq, text, &err) == 0 && (!vq.session || !vq.metric.tag))
		abort();
	hp_evals_req_free(&vq);
	tb_buf_free(&err);

	char *nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	char *run = hp_metric_run(text, nl ? nl + 1 : "");
	if (!run[0] || strstr(run, "//"))
		abort();
	free(run);
	free(text);
	return 0;
}
