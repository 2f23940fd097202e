/* Tests for src/ingest/inspect.c: the --inspect report on the damaged
 * shared corpus names the damage with its byte offset. */
#include <stdlib.h>

#include "../api/testutil.h"
#include "../harness.h"
#include "common/error.h"
#include "common/log.h"
#include "ingest/inspect.h"

static void test_inspect__edge_cases(void)
{
	char dir[4096];
	tb_test_corpus(dir, sizeof dir, "edge-cases/logdir");
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	tb_log_set_level(TB_LOG_ERROR);
	CHECK_INT(tb_inspect(out, dir, NULL, NULL), 0);
	fclose(out);
	CHECK(strstr(text, "11 runs under") != NULL);
	CHECK(strstr(text, "damaged record at byte 4244: bad data checksum") != NULL);
	CHECK(strstr(text, "200 records, 8558 bytes, 1 damaged") != NULL);
	CHECK(strstr(text, "steps 0 .. 4611686018427387904") != NULL);
	CHECK(strstr(text, "1 out of order") != NULL); /* legacy_no_file_version goes back */
	free(text);

	/* one tag only */
	text = NULL;
	out = open_memstream(&text, &len);
	char file[4200];
	snprintf(file, sizeof file, "%s/huge_steps/events.out.tfevents.1795334643.vm.25771.8", dir);
	CHECK_INT(tb_inspect(out, NULL, file, "metric/acc"), 0);
	fclose(out);
	CHECK(strstr(text, "metric/acc") != NULL);
	CHECK(strstr(text, "    loss ") == NULL);
	free(text);

	text = NULL;
	out = open_memstream(&text, &len);
	CHECK_INT(tb_inspect(out, "/nonexistent-dir", NULL, NULL), TB_ENOTFOUND);
	fclose(out);
	free(text);
	tb_log_set_level(TB_LOG_INFO);
}

int main(void)
{
	TB_RUN(test_inspect__edge_cases);
	return tb_test_finish();
}
