/* Object store XML answers (see s3xml.h). The element handlers keep the
 * text of the innermost element and file it when the element ends: Key,
 * ETag and Size inside Contents, IsTruncated, NextContinuationToken, Code
 * and Message anywhere else. Tuned for ListObjectsV2 pages of 1000 entries
 * (~250 KB). */
#include "s3xml.h"

#include <expat.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"

typedef struct state {
	XML_Parser p;
	tb_s3xml *out;
	tb_buf text;
	int in_contents;
	tb_s3xml_obj cur;
	size_t alloc;
	int bad; /* a refused construct was met: the parse fails */
} state;

static void XMLCALL on_start(void *payload, const XML_Char *name, const XML_Char **attrs)
{
	(void)attrs;
	state *x = payload;
	tb_buf_clear(&x->text);
	if (strcmp(name, "Contents") == 0) {
		free(x->cur.key);
		free(x->cur.etag);
		memset(&x->cur, 0, sizeof x->cur);
		x->in_contents = 1;
	}
}

static void XMLCALL on_text(void *payload, const XML_Char *s, int len)
{
	state *x = payload;
	tb_buf_append(&x->text, s, (size_t)len);
}

static void XMLCALL on_doctype(void *payload, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	state *x = payload;
	x->bad = 1;
	XML_StopParser(x->p, XML_FALSE);
}

static void set_text(char **dst, const state *x)
{
	free(*dst);
	*dst = tb_xstrdup(x->text.ptr ? x->text.ptr : "");
}

/* A byte count written as decimal digits, at most TB_S3XML_MAX_SIZE. */
static int parse_size(uint64_t *out, const char *t)
{
	uint64_t v = 0;
	if (!*t)
		return -1;
	for (; *t; t++) {
		if (*t < '0' || *t > '9')
			return -1;
		v = v * 10 + (uint64_t)(*t - '0');
		if (v > TB_S3XML_MAX_SIZE)
			return -1;
	}
	*out = v;
	return 0;
}

static void end_contents(state *x)
{
	tb_s3xml *o = x->out;
	x->in_contents = 0;
	if (!x->cur.key) {
		free(x->cur.etag);
		memset(&x->cur, 0, sizeof x->cur);
		return;
	}
	if (!x->cur.etag)
		x->cur.etag = tb_xstrdup("");
	o->v = tb_xgrow(o->v, &x->alloc, o->n + 1, sizeof *o->v);
	o->v[o->n++] = x->cur;
	memset(&x->cur, 0, sizeof x->cur);
}

static void XMLCALL on_end(void *payload, const XML_Char *name)
{
	state *x = payload;
	tb_s3xml *o = x->out;
	const char *t = x->text.ptr ? x->text.ptr : "";
	if (x->in_contents) {
		if (strcmp(name, "Key") == 0) {
			set_text(&x->cur.key, x);
		} else if (strcmp(name, "ETag") == 0) {
			set_text(&x->cur.etag, x);
		} else if (strcmp(name, "Size") == 0) {
			if (parse_size(&x->cur.size, t) != 0) {
				x->bad = 1;
				XML_StopParser(x->p, XML_FALSE);
			}
		} else if (strcmp(name, "Contents") == 0) {
			end_contents(x);
		}
	} else if (strcmp(name, "IsTruncated") == 0) {
		o->truncated = strcmp(t, "true") == 0;
	} else if (strcmp(name, "NextContinuationToken") == 0) {
		set_text(&o->next_token, x);
	} else if (strcmp(name, "Code") == 0) {
		set_text(&o->code, x);
	} else if (strcmp(name, "Message") == 0) {
		set_text(&o->message, x);
	}
	tb_buf_clear(&x->text);
}

int tb_s3xml_parse(tb_s3xml *out, const char *body, size_t n)
{
	memset(out, 0, sizeof *out);
	state x = {.out = out, .text = TB_BUF_INIT};
	int rc = TB_ECORRUPT;
	if (n > INT_MAX)
		goto out;
	x.p = XML_ParserCreate("UTF-8");
	if (!x.p) {
		rc = TB_ENOMEM;
		goto out;
	}
	XML_SetUserData(x.p, &x);
	XML_SetElementHandler(x.p, on_start, on_end);
	XML_SetCharacterDataHandler(x.p, on_text);
	XML_SetStartDoctypeDeclHandler(x.p, on_doctype);
	if (XML_Parse(x.p, body ? body : "", (int)n, 1) == XML_STATUS_OK && !x.bad)
		rc = 0;
out:
	if (x.p)
		XML_ParserFree(x.p);
	tb_buf_free(&x.text);
	free(x.cur.key);
	free(x.cur.etag);
	return rc;
}

void tb_s3xml_release(tb_s3xml *x)
{
	for (size_t i = 0; i < x->n; i++) {
		free(x->v[i].key);
		free(x->v[i].etag);
	}
	free(x->v);
	free(x->next_token);
	free(x->code);
	free(x->message);
	memset(x, 0, sizeof *x);
}
