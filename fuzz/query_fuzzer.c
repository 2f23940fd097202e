/* Fuzz target for the request parsers that see untrusted bytes: query
 * strings / urlencoded bodies, multipart/form-data bodies, percent-decoding,
 * the Accept-Encoding rule and the JSON string escaper.
 *
 * Input layout: the first line is used as a Content-Type header value (it
 * names the multipart boundary), the rest as the body. The whole input is
 * also fed to the other parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "http/form.h"
#include "http/json.h"
#include "http/message.h"

static void check_form(const tb_form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const char *v[4];
		if (tb_form_get_all(f, f->v[i].name, v, 4) == 0)
			abort();
		if (!tb_form_get(f, f->v[i].name))
			abort();
		if (f->v[i].value[f->v[i].value_len] != '\0')
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *nl = memchr(s, '\n', size);
	size_t ct_len = nl ? (size_t)(nl - s) : size;
	char *ct = malloc(ct_len + 1);
	memcpy(ct, s, ct_len);
	ct[ct_len] = '\0';
	const char *body = nl ? nl + 1 : s + size;
	size_t body_len = size - (size_t)(body - s);

	tb_form f = TB_FORM_INIT;
	tb_form_parse_urlencoded(&f, s, size);
	check_form(&f);
	tb_form_parse_multipart(&f, ct, body, body_len);
	check_form(&f);
	tb_form_free(&f);

	char *dec = malloc(size + 1);
	size_t n = tb_url_decode(dec, s, size, 1);
	if (n > size || dec[n] != '\0')
		abort();
	free(dec);

	(void)tb_accept_encoding_gzip(ct);

	tb_buf b = TB_BUF_INIT;
	tb_json j;
	tb_json_init(&j, &b);
	tb_json_str_n(&j, s, size);
	for (size_t i = 0; i < b.len; i++)
		if ((unsigned char)b.ptr[i] < 0x20 || (unsigned char)b.ptr[i] >= 0x7f)
			abort();
	tb_buf_free(&b);
	free(ct);
	return 0;
}
