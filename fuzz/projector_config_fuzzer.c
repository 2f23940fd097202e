/* Fuzz target for the projector's config model: a projector_config.pbtxt
 * (from the log directory, so untrusted) parsed as text format and mapped
 * onto ProjectorConfig. Checks that a mapping either fails with a message
 * or leaves every string set, and that nothing leaks either way. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "dashboards/projector_files.h"
#include "proto/pbtxt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet) {
		tb_log_set_level(TB_LOG_ERROR); /* unknown fields are warned of */
		quiet = 1;
	}
	tb_pbtxt_field *root = NULL;
	char err[256] = "";
	if (tb_pbtxt_parse(&root, (const char *)data, size, err, sizeof err) != 0)
		return 0;
	tb_proj_config c = {0};
	tb_proj_errbuf e = {err, sizeof err};
	err[0] = '\0';
	int rc = tb_proj_config_map(&c, root, e, "fuzz.pbtxt");
	if (rc == 0) {
		if (!c.model_checkpoint_path || !c.model_checkpoint_dir)
			abort();
		for (size_t i = 0; i < c.n_emb; i++) {
			const tb_proj_embedding *em = &c.emb[i];
			if (!em->tensor_name || !em->metadata_path || !em->bookmarks_path ||
			    !em->tensor_path || !em->image_path)
				abort();
		}
	} else if (!err[0]) {
		abort();
	}
	tb_proj_config_free(&c);
	tb_pbtxt_free(root);
	return 0;
}
