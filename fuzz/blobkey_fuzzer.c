/* Fuzz target for blob keys (src/dashboards/blob.c), which arrive in URLs.
 *
 * The whole input is decoded as a key: any bytes must give either a
 * complete reference or TB_EINVAL with a message, never a crash, a leak or
 * a read past the input. Then the input is cut into a run name (up to the
 * first newline) and a tag (the rest), a key is made for them with
 * tb_dash_blob_key, and decoding it must give back the same run, tag, step
 * and index (the strings only when they are valid UTF-8, since the JSON
 * writer replaces ill-formed sequences). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "dashboards/dash.h"

/* Strict UTF-8: no overlongs, surrogates or code points above U+10FFFF. */
static int utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = p[i];
		size_t len;
		uint8_t lo = 0x80, hi = 0xbf;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			lo = c == 0xe0 ? 0xa0 : 0x80;
			hi = c == 0xed ? 0x9f : 0xbf;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			lo = c == 0xf0 ? 0x90 : 0x80;
			hi = c == 0xf4 ? 0x8f : 0xbf;
		} else {
			return 0;
		}
		if (n - i < len || p[i + 1] < lo || p[i + 1] > hi)
			return 0;
		for (size_t k = 2; k < len; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xbf)
				return 0;
		i += len;
	}
	return 1;
}

static void check_ref(const tb_dash_blob_ref *r)
{
	if (!r->eid || !r->run || !r->tag)
		abort();
	if (r->eid[r->eid_len] || r->run[r->run_len] || r->tag[r->tag_len])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tb_dash_blob_ref ref;
	tb_buf err = TB_BUF_INIT;
	int rc = tb_dash_blob_decode(&ref, &err, (const char *)data, size);
	if (rc == 0) {
		check_ref(&ref);
		if (err.len)
			abort();
		tb_dash_blob_ref_free(&ref);
	} else if (rc != TB_EINVAL || !err.len) {
		abort();
	}
	tb_buf_free(&err);

	/* Round trip through the encoder. */
	const uint8_t *nl = memchr(data, '\n', size);
	size_t run_len = nl ? (size_t)(nl - data) : size;
	char *run = malloc(run_len + 1);
	memcpy(run, data, run_len);
	run[run_len] = '\0';
	run_len = strlen(run); /* run names are C strings */
	const char *tag = nl ? (const char *)nl + 1 : "";
	size_t tag_len = nl ? size - (size_t)(nl - data) - 1 : 0;
	int64_t step = 0;
	uint64_t index = 0;
	for (size_t i = 0; i < size && i < 8; i++) {
		step = (int64_t)((uint64_t)step << 8 | data[i]);
		index = index << 8 | data[size - 1 - i];
	}
	tb_buf key = TB_BUF_INIT;
	tb_dash_blob_key(&key, "eid", run, tag, tag_len, step, index);
	tb_buf err2 = TB_BUF_INIT;
	if (tb_dash_blob_decode(&ref, &err2, key.ptr, key.len) != 0)
		abort();
	check_ref(&ref);
	if (ref.step != step || ref.index != index || strcmp(ref.eid, "eid") != 0)
		abort();
	if (utf8_valid((const uint8_t *)run, run_len) &&
	    (ref.run_len != run_len || memcmp(ref.run, run, run_len) != 0))
		abort();
	if (utf8_valid((const uint8_t *)tag, tag_len) &&
	    (ref.tag_len != tag_len || memcmp(ref.tag, tag, tag_len) != 0))
		abort();
	tb_dash_blob_ref_free(&ref);
	tb_buf_free(&err2);
	tb_buf_free(&key);
	free(run);
	return 0;
}
