/* Blob keys, the other way round: decode a key that tb_dash_blob_key made
 * (spec HTTP_API.md 5.4: URL-safe base64 without padding of the compact
 * JSON array [eid, run, tag, step, index]), find the blob in the store and
 * answer a fetch route with its bytes.
 *
 * Keys arrive in URLs, so every byte is untrusted: the decoder accepts
 * exactly that shape (strict base64, one array of three strings and two
 * integers, nothing after it) and reports anything else as the client's
 * error. It never allocates more than the key's own length and never
 * recurses. The lookup is one run lookup, one tag lookup and a binary
 * search on the step, all under the read locks. */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "dash.h"
#include "proto/event.h"
#include "common/chars.h"


/* --- the JSON array --------------------------------------------------------- */

typedef struct cursor {
	const unsigned char *p, *end;
	tb_buf *err;
} cursor;

static void skip_ws(cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int expect(cursor *c, char ch, const char *what)
{
	skip_ws(c);
	if (c->p >= c->end || *c->p != (unsigned char)ch) {
		tb_buf_printf(c->err, "expected %s", what);
		return TB_EINVAL;
	}
	c->p++;
	return 0;
}

static int hex4(unsigned *out, cursor *c)
{
	if (c->end - c->p < 4)
		return TB_EINVAL;
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char h = c->p[i];
		int d = tb_hex_digit(h);
		if (d < 0)
			return TB_EINVAL;
		v = v << 4 | (unsigned)d;
	}
	c->p += 4;
	*out = v;
	return 0;
}

/* A JSON string into out (NUL-terminated, may hold NULs). Raw bytes of
 * 0x80 and above pass through; tags may be any bytes. */
static int parse_string(char **out, size_t *out_len, cursor *c, const char *what)
{
	tb_buf b = TB_BUF_INIT;
	if (expect(c, '"', what))
		return TB_EINVAL;
	for (;;) {
		if (c->p >= c->end) {
			tb_buf_printf(c->err, "unterminated %s", what);
			goto bad;
		}
		unsigned char ch = *c->p++;
		if (ch == '"')
			break;
		if (ch < 0x20) {
			tb_buf_printf(c->err, "control character in %s", what);
			goto bad;
		}
		if (ch != '\\') {
			tb_buf_putc(&b, (char)ch);
			continue;
		}
		if (c->p >= c->end) {
			tb_buf_printf(c->err, "unterminated %s", what);
			goto bad;
		}
		unsigned char e = *c->p++;
		unsigned cp;
		switch (e) {
		case '"':
		case '\\':
		case '/':
			tb_buf_putc(&b, (char)e);
			break;
		case 'b':
			tb_buf_putc(&b, '\b');
			break;
		case 'f':
			tb_buf_putc(&b, '\f');
			break;
		case 'n':
			tb_buf_putc(&b, '\n');
			break;
		case 'r':
			tb_buf_putc(&b, '\r');
			break;
		case 't':
			tb_buf_putc(&b, '\t');
			break;
		case 'u':
			if (hex4(&cp, c))
				goto bad_escape;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				goto bad_escape;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				unsigned lo;
				if (c->end - c->p < 2 || c->p[0] != '\\' || c->p[1] != 'u')
					goto bad_escape;
				c->p += 2;
				if (hex4(&lo, c) || lo < 0xdc00 || lo > 0xdfff)
					goto bad_escape;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			char u[4];
			tb_buf_append(&b, u, tb_utf8_encode(u, cp));
			break;
		default:
			goto bad_escape;
		}
	}
	*out_len = b.len;
	*out = tb_buf_detach(&b);
	return 0;
bad_escape:
	tb_buf_printf(c->err, "bad escape in %s", what);
bad:
	tb_buf_free(&b);
	return TB_EINVAL;
}

/* A JSON integer (no fraction or exponent) within [min, max]; the bounds
 * are given as a sign and a magnitude so the whole int64 and uint64
 * ranges fit. */
static int parse_int(int *neg_out, uint64_t *mag_out, cursor *c, const char *what, int allow_neg,
		     uint64_t max_pos, uint64_t max_neg)
{
	skip_ws(c);
	int neg = 0;
	if (c->p < c->end && *c->p == '-') {
		neg = 1;
		c->p++;
	}
	if (c->p >= c->end || *c->p < '0' || *c->p > '9') {
		tb_buf_printf(c->err, "%s must be an integer", what);
		return TB_EINVAL;
	}
	if (*c->p == '0' && c->end - c->p > 1 && c->p[1] >= '0' && c->p[1] <= '9') {
		tb_buf_printf(c->err, "%s has a leading zero", what);
		return TB_EINVAL;
	}
	uint64_t v = 0;
	int over = 0;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned d = (unsigned)(*c->p++ - '0');
		if (v > (UINT64_MAX - d) / 10)
			over = 1;
		else
			v = v * 10 + d;
	}
	if (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E')) {
		tb_buf_printf(c->err, "%s must be an integer", what);
		return TB_EINVAL;
	}
	if (neg && v && !allow_neg) {
		tb_buf_printf(c->err, "%s must not be negative", what);
		return TB_EINVAL;
	}
	if (over || v > (neg ? max_neg : max_pos)) {
		tb_buf_printf(c->err, "%s out of range", what);
		return TB_EINVAL;
	}
	*neg_out = neg;
	*mag_out = v;
	return 0;
}

void tb_dash_blob_ref_free(tb_dash_blob_ref *ref)
{
	if (!ref)
		return;
	free(ref->eid);
	free(ref->run);
	free(ref->tag);
	memset(ref, 0, sizeof *ref);
}

int tb_dash_blob_decode(tb_dash_blob_ref *out, tb_buf *err, const char *key, size_t n)
{
	memset(out, 0, sizeof *out);
	if (!key || !n) {
		tb_buf_puts(err, "empty key");
		return TB_EINVAL;
	}
	tb_buf raw = TB_BUF_INIT;
	int rc = tb_buf_unbase64url(&raw, err, key, n);
	if (rc)
		goto out;
	cursor c = {(const unsigned char *)raw.ptr, (const unsigned char *)raw.ptr + raw.len, err};
	int neg;
	uint64_t mag;
	rc = TB_EINVAL;
	if (expect(&c, '[', "a JSON array") ||
	    parse_string(&out->eid, &out->eid_len, &c, "experiment id") ||
	    expect(&c, ',', "',' after the experiment id") ||
	    parse_string(&out->run, &out->run_len, &c, "run") ||
	    expect(&c, ',', "',' after the run") ||
	    parse_string(&out->tag, &out->tag_len, &c, "tag") ||
	    expect(&c, ',', "',' after the tag"))
		goto out;
	if (parse_int(&neg, &mag, &c, "step", 1, (uint64_t)INT64_MAX, (uint64_t)INT64_MAX + 1))
		goto out;
	out->step = neg ? (mag ? -(int64_t)(mag - 1) - 1 : 0) : (int64_t)mag;
	if (expect(&c, ',', "',' after the step") ||
	    parse_int(&neg, &out->index, &c, "index", 0, UINT64_MAX, 0) ||
	    expect(&c, ']', "']' after the index"))
		goto out;
	skip_ws(&c);
	if (c.p != c.end) {
		tb_buf_puts(err, "trailing data after the array");
		goto out;
	}
	rc = 0;
out:
	tb_buf_free(&raw);
	if (rc)
		tb_dash_blob_ref_free(out);
	return rc;
}

/* --- lookup ------------------------------------------------------------------- */

const char *tb_dash_image_type(tb_slice b)
{
	const uint8_t *p = b.ptr;
	if (b.len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (b.len >= 3 && memcmp(p, "\xff\xd8\xff", 3) == 0)
		return "image/jpeg";
	if (b.len >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
		return "image/gif";
	if (b.len >= 2 && memcmp(p, "BM", 2) == 0)
		return "image/bmp";
	return "application/octet-stream";
}

/* Index of the point with this step, or -1. Steps are strictly increasing. */
static ptrdiff_t find_step(const tb_series *s, int64_t step)
{
	size_t lo = tb_series_lower_bound(s, step);
	return lo < tb_series_len(s) && tb_series_step(s, lo) == step ? (ptrdiff_t)lo : -1;
}

void tb_dash_blob_serve(tb_resp *resp, tb_dash *d, const char *key, const char *plugin,
			const char *content_type)
{
	tb_dash_blob_ref ref;
	tb_buf msg = TB_BUF_INIT;
	if (tb_dash_blob_decode(&ref, &msg, key, key ? strlen(key) : 0)) {
		tb_resp_error(resp, 400, "Invalid argument: failed to parse blob key: %s",
			      msg.ptr ? msg.ptr : "");
		tb_buf_free(&msg);
		return;
	}
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	/* a run name with a NUL in it cannot name a stored run */
	const tb_run *r = strlen(ref.run) == ref.run_len ? tb_reader_find_run(&rd, ref.run) : NULL;
	const tb_series *s = NULL;
	ptrdiff_t p = -1;
	tb_tensor_tmp tmp = {0};
	tb_buf_puts(&msg, "Not found: ");
	if (!r) {
		tb_buf_puts(&msg, "no such run: ");
		tb_dash_pyrepr(&msg, ref.run);
		goto fail;
	}
	s = tb_run_find_series(r, ref.tag, ref.tag_len);
	if (!s || tb_series_data_class(s) != TB_DC_BLOB_SEQUENCE ||
	    strcmp(tb_series_plugin(s), plugin) != 0) {
		tb_buf_puts(&msg, "run ");
		tb_dash_pyrepr(&msg, ref.run);
		tb_buf_printf(&msg, " has no such %s tag: ", plugin);
		tb_dash_pyrepr(&msg, ref.tag);
		goto fail;
	}
	p = find_step(s, ref.step);
	const tb_tensor *t = p >= 0 ? tb_series_tensor(s, (size_t)p, &tmp) : NULL;
	if (!t || t->dtype != TB_DT_STRING || ref.index >= t->n) {
		tb_buf_puts(&msg, "run ");
		tb_dash_pyrepr(&msg, ref.run);
		tb_buf_puts(&msg, ", tag ");
		tb_dash_pyrepr(&msg, ref.tag);
		if (!t)
			tb_buf_printf(&msg, " has no step %lld", (long long)ref.step);
		else
			tb_buf_printf(&msg, " has no blob %llu at step %lld",
				      (unsigned long long)ref.index, (long long)ref.step);
		goto fail;
	}
	tb_slice bytes = tb_tensor_str(t, (size_t)ref.index);
	tb_resp_bytes(resp, content_type ? content_type : tb_dash_image_type(bytes),
		      bytes.len ? (const void *)bytes.ptr : "", bytes.len);
	tb_resp_no_gzip(resp);
	goto out;
fail:
	tb_resp_error(resp, 404, "%s", msg.ptr);
out:
	tb_reader_end(&rd);
	tb_buf_free(&msg);
	tb_tensor_tmp_free(&tmp);
	tb_dash_blob_ref_free(&ref);
}
