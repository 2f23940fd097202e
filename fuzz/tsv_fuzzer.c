/* Fuzz target for the projector's TSV tensor parser (tensor files come
 * from the log directory, so their bytes are untrusted). Checks that a
 * parse either fails with a message and no array, or yields rows × cols
 * values with every row as long as the first, and that the line splitter
 * the metadata route shares covers the text exactly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "dashboards/projector_files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	float *v = NULL;
	size_t rows = 0, cols = 0;
	char *msg = NULL;
	int rc = tb_proj_parse_tsv(&v, &rows, &cols, text, size, "fuzz.tsv", &msg);
	if (rc == 0) {
		if (!v || rows == 0 || cols == 0 || msg)
			abort();
		volatile float sum = 0;
		for (size_t i = 0; i < rows * cols; i++)
			sum += v[i]; /* every value is there (ASan checks the reads) */
		(void)sum;
	} else if (rc != TB_ECORRUPT || v || !msg || strncmp(msg, "Tensor file \"fuzz.tsv\"", 22) != 0) {
		abort();
	}
	free(v);
	free(msg);

	const char *p = text, *end = text + size, *line;
	size_t len, covered = 0;
	int had_end;
	while (tb_proj_next_line(&line, &len, &had_end, &p, end)) {
		if (line < text || line + len > end || memchr(line, '\n', len) || memchr(line, '\r', len))
			abort();
		covered = (size_t)(p - text);
	}
	if (covered != size)
		abort();
	return 0;
}
