/* Fuzz target for the protobuf text-format parser (projector configs come
 * from the log directory, so their bytes are untrusted). Checks that a
 * parse either fails with a message or yields a tree whose strings are
 * terminated and whose messages nest no deeper than the cap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "proto/pbtxt.h"

static void check(const tb_pbtxt_field *f, int depth)
{
	if (depth > TB_PBTXT_MAX_DEPTH + 1 || !f->name)
		abort();
	if (f->kind == TB_PBTXT_MESSAGE) {
		if (f->value)
			abort();
		for (size_t i = 0; i < f->n_fields; i++)
			check(&f->fields[i], depth + 1);
	} else {
		if (!f->value || f->value[f->value_len] != '\0' || f->n_fields)
			abort();
		if (f->kind == TB_PBTXT_SCALAR && strlen(f->value) != f->value_len)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tb_pbtxt_field *root = NULL;
	char err[128];
	int rc = tb_pbtxt_parse(&root, (const char *)data, size, err, sizeof err);
	if (rc == 0) {
		if (!root || root->kind != TB_PBTXT_MESSAGE)
			abort();
		check(root, 0);
	} else if (rc != TB_ECORRUPT || root || strncmp(err, "line ", 5) != 0) {
		abort();
	}
	tb_pbtxt_free(root);
	return 0;
}
