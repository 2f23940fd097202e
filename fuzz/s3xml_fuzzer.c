/* Fuzz target: the object store XML answers (src/fs/s3xml.c), ListObjectsV2
 * pages and error documents as the expat handlers file them. Every
 * listed object must have a key, an ETag and a size within bounds, and
 * every answer, refused or not, must leave nothing behind once released. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/error.h"
#include "fs/s3xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tb_s3xml x;
	int rc = tb_s3xml_parse(&x, (const char *)data, size);
	for (size_t i = 0; i < x.n; i++)
		if (!x.v[i].key || !x.v[i].etag || x.v[i].size > TB_S3XML_MAX_SIZE)
			abort();
	if (rc != 0 && rc != TB_ECORRUPT && rc != TB_ENOMEM)
		abort();
	tb_s3xml_release(&x);
	return 0;
}
