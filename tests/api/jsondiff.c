/* JSON comparison for the API test. It walks expected and got together,
 * building the JSON path as it descends, and records the first difference
 * in full; later ones are only counted. Arrays of different length are one
 * difference (their elements are not compared), so a missing point does
 * not produce a cascade of shifted-element reports. */
#include "jsondiff.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOW_MAX 80 /* characters of a value shown in a difference */

void tb_jsondiff_init(tb_jsondiff *d)
{
	memset(d, 0, sizeof *d);
	d->rel_tol = 1e-6;
}

static void show(char *out, size_t n, const json_t *v)
{
	if (!v) {
		snprintf(out, n, "(absent)");
		return;
	}
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!s) {
		snprintf(out, n, "(unprintable)");
		return;
	}
	if (strlen(s) > SHOW_MAX)
		snprintf(out, n, "%.*s...", SHOW_MAX, s);
	else
		snprintf(out, n, "%s", s);
	free(s);
}

static void differ(tb_jsondiff *d, const char *path, const char *what, const json_t *e,
		   const json_t *g)
{
	if (d->diffs++ > 0)
		return;
	snprintf(d->where, sizeof d->where, "%s", path);
	char es[SHOW_MAX + 8], gs[SHOW_MAX + 8];
	show(es, sizeof es, e);
	show(gs, sizeof gs, g);
	snprintf(d->detail, sizeof d->detail, "%s: expected %s, got %s", what, es, gs);
}

/* Append ".key" or "[i]" to path; the result is truncated, never overrun. */
static void child_path(char *out, size_t n, const char *path, const char *key, size_t index)
{
	if (key)
		snprintf(out, n, "%s.%s", path, key);
	else
		snprintf(out, n, "%s[%zu]", path, index);
}

int tb_jsondiff_blob_key_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0, pad = 0;
	if (n == 0)
		return 0;
	while (pad < n && pad < 2 && s[n - 1 - pad] == '=')
		pad++;
	if (pad == n)
		return 0;
	for (size_t i = 0; i < n - pad; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static int reals_close(double e, double g, double tol)
{
	if (e == g)
		return 1;
	return fabs(e - g) <= tol * fmax(fabs(e), fabs(g));
}

/* A query string "k=v&k2=v2": the parameters must match as a multiset,
 * except that blob_key values are opaque. */
static void compare_query(tb_jsondiff *d, const char *path, const json_t *e, const json_t *g)
{
	const char *es = json_string_value(e), *gs = json_string_value(g);
	char *ecopy = strdup(es), *gcopy = strdup(gs);
	char *eparams[64], *gparams[64];
	int ne = 0, ng = 0, used[64] = {0};
	for (char *save = NULL, *t = strtok_r(ecopy, "&", &save); t && ne < 64;
	     t = strtok_r(NULL, "&", &save))
		eparams[ne++] = t;
	for (char *save = NULL, *t = strtok_r(gcopy, "&", &save); t && ng < 64;
	     t = strtok_r(NULL, "&", &save))
		gparams[ng++] = t;
	if (ne != ng) {
		differ(d, path, "query parameter count", e, g);
		goto out;
	}
	for (int i = 0; i < ne; i++) {
		const char *eq = strchr(eparams[i], '=');
		size_t klen = eq ? (size_t)(eq - eparams[i]) : strlen(eparams[i]);
		int blob = klen == 8 && strncmp(eparams[i], "blob_key", 8) == 0;
		int found = 0;
		for (int j = 0; j < ng && !found; j++) {
			if (used[j] || strncmp(gparams[j], eparams[i], klen) != 0 ||
			    (gparams[j][klen] != '=' && gparams[j][klen] != '\0'))
				continue;
			if (blob ? tb_jsondiff_blob_key_ok(gparams[j] + klen +
							   (gparams[j][klen] == '='))
				 : strcmp(gparams[j], eparams[i]) == 0) {
				used[j] = 1;
				found = 1;
			}
		}
		if (!found) {
			differ(d, path,
			       blob ? "query blob_key missing or malformed"
				    : "query parameter differs",
			       e, g);
			goto out;
		}
	}
out:
	free(ecopy);
	free(gcopy);
}

static int is_number(const json_t *v)
{
	return json_is_integer(v) || json_is_real(v);
}

static int has_keys(const json_t *o, const char *a, const char *b, const char *c)
{
	return json_is_object(o) && json_object_size(o) == 3 && json_object_get(o, a) &&
	       json_object_get(o, b) && json_object_get(o, c);
}

size_t tb_jsondiff_series_cap(const json_t *arr)
{
	size_t n = json_array_size(arr);
	if (!json_is_array(arr) || n == 0)
		return 0;
	size_t cap = 0;
	for (size_t i = 0; i < n; i++) {
		const json_t *p = json_array_get(arr, i);
		size_t c = 0;
		if (json_is_array(p) && json_array_size(p) == 3 &&
		    is_number(json_array_get(p, 0)) && json_is_integer(json_array_get(p, 1)) &&
		    (is_number(json_array_get(p, 2)) || json_is_string(json_array_get(p, 2))))
			c = 1000;
		else if (has_keys(p, "wallTime", "step", "value"))
			c = 1000;
		else if (has_keys(p, "wallTime", "step", "bins"))
			c = 51;
		if (c == 0 || (cap && c != cap))
			return 0;
		cap = c;
	}
	return cap;
}

static void compare_at(tb_jsondiff *d, const char *path, const char *key, const json_t *e,
		       const json_t *g);

static void compare_elements(tb_jsondiff *d, const char *path, const json_t *e, const json_t *g)
{
	char sub[256];
	for (size_t i = 0; i < json_array_size(e); i++) {
		child_path(sub, sizeof sub, path, NULL, i);
		compare_at(d, sub, NULL, json_array_get(e, i), json_array_get(g, i));
	}
}

static void compare_array(tb_jsondiff *d, const char *path, const json_t *e, const json_t *g)
{
	size_t ne = json_array_size(e), ng = json_array_size(g);
	size_t cap = tb_jsondiff_series_cap(e);
	if (cap && ne == cap) {
		/* Upstream downsampled this series: which points it kept is
		 * its own random choice, so equal points are a bonus. */
		tb_jsondiff trial;
		tb_jsondiff_init(&trial);
		trial.rel_tol = d->rel_tol;
		if (ng == ne)
			compare_elements(&trial, path, e, g);
		if (ng == ne && trial.diffs == 0) {
			d->series_exact++;
			return;
		}
		if (ng != ne) {
			char what[96];
			snprintf(what, sizeof what, "downsampled series length %zu vs %zu", ne, ng);
			differ(d, path, what, json_array_get(e, ne - 1),
			       ng ? json_array_get(g, ng - 1) : NULL);
			return;
		}
		int before = d->diffs;
		char sub[256];
		child_path(sub, sizeof sub, path, NULL, ne - 1);
		compare_at(d, sub, NULL, json_array_get(e, ne - 1), json_array_get(g, ng - 1));
		if (d->diffs == before)
			d->series_sampled++;
		return;
	}
	if (ne != ng) {
		char what[64];
		snprintf(what, sizeof what, "array length %zu vs %zu", ne, ng);
		differ(d, path, what, ne ? json_array_get(e, 0) : e, ng ? json_array_get(g, 0) : g);
		return;
	}
	compare_elements(d, path, e, g);
}

static void compare_object(tb_jsondiff *d, const char *path, const json_t *e, const json_t *g)
{
	const char *k;
	json_t *v;
	char sub[256];
	json_object_foreach((json_t *)e, k, v)
	{
		child_path(sub, sizeof sub, path, k, 0);
		json_t *gv = json_object_get(g, k);
		if (!gv)
			differ(d, sub, "missing key", v, NULL);
		else
			compare_at(d, sub, k, v, gv);
	}
	json_object_foreach((json_t *)g, k, v)
	{
		if (!json_object_get(e, k)) {
			child_path(sub, sizeof sub, path, k, 0);
			differ(d, sub, "unexpected key", NULL, v);
		}
	}
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "real";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

static void compare_at(tb_jsondiff *d, const char *path, const char *key, const json_t *e,
		       const json_t *g)
{
	char what[64];
	if (json_is_string(e) && key &&
	    (strcmp(key, "blob_key") == 0 || strcmp(key, "imageId") == 0)) {
		if (!json_is_string(g) || !tb_jsondiff_blob_key_ok(json_string_value(g)))
			differ(d, path, "blob key missing or malformed", e, g);
		return;
	}
	if (json_is_real(e) && json_is_integer(g)) {
		/* 1.0 written as 1 reads back the same in every client. */
		if (!reals_close(json_real_value(e), (double)json_integer_value(g), d->rel_tol))
			differ(d, path, "number", e, g);
		return;
	}
	if (json_typeof(e) != json_typeof(g) && !(json_is_boolean(e) && json_is_boolean(g))) {
		snprintf(what, sizeof what, "type %s vs %s", type_name(e), type_name(g));
		differ(d, path, what, e, g);
		return;
	}
	switch (json_typeof(e)) {
	case JSON_OBJECT:
		compare_object(d, path, e, g);
		break;
	case JSON_ARRAY:
		compare_array(d, path, e, g);
		break;
	case JSON_STRING:
		if (key && strcmp(key, "query") == 0)
			compare_query(d, path, e, g);
		else if (json_string_length(e) != json_string_length(g) ||
			 memcmp(json_string_value(e), json_string_value(g), json_string_length(e)))
			differ(d, path, "string", e, g);
		break;
	case JSON_INTEGER:
		if (json_integer_value(e) != json_integer_value(g))
			differ(d, path, "integer", e, g);
		break;
	case JSON_REAL:
		if (!reals_close(json_real_value(e), json_real_value(g), d->rel_tol))
			differ(d, path, "real", e, g);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		if (json_typeof(e) != json_typeof(g))
			differ(d, path, "boolean", e, g);
		break;
	case JSON_NULL:
		break;
	}
}

int tb_jsondiff_compare(tb_jsondiff *d, const json_t *expected, const json_t *got)
{
	int before = d->diffs;
	if (!got)
		differ(d, "$", "no JSON answer", expected, NULL);
	else
		compare_at(d, "$", NULL, expected, got);
	return d->diffs == before;
}

static char *replace_all(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), count = 0;
	for (const char *p = strstr(s, from); p; p = strstr(p + fl, from))
		count++;
	if (count == 0)
		return NULL;
	char *out = malloc(strlen(s) + count * tl + 1), *w = out;
	if (!out)
		return NULL;
	const char *p = s, *q;
	while ((q = strstr(p, from))) {
		memcpy(w, p, (size_t)(q - p));
		w += q - p;
		memcpy(w, to, tl);
		w += tl;
		p = q + fl;
	}
	strcpy(w, p);
	return out;
}

void tb_jsondiff_subst(json_t *j, const char *from, const char *to)
{
	const char *k;
	json_t *v;
	if (!*from)
		return;
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		json_object_foreach(j, k, v) tb_jsondiff_subst(v, from, to);
		break;
	case JSON_ARRAY:
		for (size_t i = 0; i < json_array_size(j); i++)
			tb_jsondiff_subst(json_array_get(j, i), from, to);
		break;
	case JSON_STRING: {
		char *r = replace_all(json_string_value(j), from, to);
		if (r) {
			json_string_set(j, r);
			free(r);
		}
		break;
	}
	default:
		break;
	}
}
