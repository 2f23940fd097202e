/* API comparison test: start tboard on each corpus (read in place
 * under $TB_SOURCE_DIR/tests/corpora), replay every request that
 * upstream TensorBoard answered (expected/ROUTES.tsv) and compare status,
 * Content-Type and body with upstream's recorded answer. JSON is compared
 * structurally (tests/api/jsondiff.c), text exactly, binary by SHA-256.
 *
 * Two tables below steer it: the routes in scope (the server grows route
 * by route; the rest is counted as skipped) and the deliberate differences,
 * where tboard is meant to answer otherwise than upstream and the test
 * checks tboard's own documented behaviour instead.
 *
 * Environment: TB_SOURCE_DIR, TB_BINARY (set by CTest); optional
 * TB_API_CORPUS=name to run one corpus, TB_API_ALL=1 to compare every
 * route whatever the scope table says, TB_API_VERBOSE=1 to echo the
 * server's stdout, TB_API_LOGDIR_URL=s3://bucket to serve each corpus from
 * that URL + "/" + its name instead of the local folder (the corpora
 * uploaded there by tests/fs/s3_api_test.mjs), TB_API_SERVER_ARGS="--flag
 * value ..." to pass more flags to the server. */
#include "jsondiff.h"
#include "sha256sum.h"
#include "http_client.h"
#include "spawn.h"
#include "common/chars.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define START_TIMEOUT_S 60
#define REQUEST_TIMEOUT_S 60

/* ---- scope -------------------------------------------------------------- */

/* Route paths compared now. An entry ending in '/' is a prefix; any other
 * entry must equal the request path (without its query). Widen this list
 * as the server implements more routes. */
static const char *const scope_routes[] = {
    "/data/plugins_listing",
    "/data/runs",
    "/data/experiments",
    "/data/environment",
    "/data/logdir",
    "/data/window_properties",
    "/data/plugin/scalars/",
    "/data/plugin/timeseries/",

    /* Each dashboard enters scope on its own line, kept apart by blank lines
     * so that work on different dashboards never touches the same lines. */

    "/data/plugin/histograms/",

    "/data/plugin/distributions/",

    "/data/plugin/images/",

    "/data/plugin/audio/",

    "/data/plugin/text/",

    "/data/plugin/pr_curves/",

    "/data/plugin/custom_scalars/",

    "/data/plugin/hparams/",

    "/data/plugin/graphs/",

    "/data/plugin/projector/",

    "/data/plugin/mesh/",
};

/* Time Series serves several data plugins; only these are compared. In
 * timeseries/tags only these sections of the answer are compared, in
 * timeseries/timeSeries only these request objects are sent, and
 * timeseries/imageData belongs to "images". */
static const char *const scope_timeseries_plugins[] = {
    "scalars",

    "histograms",

    "images",
};

/* ---- deliberate differences ---------------------------------------------- */

typedef struct answer {
	long status;
	const char *ctype;
	const char *body;
	size_t len;
} answer;

typedef struct deliberate deliberate;

/* A check of tboard's own behaviour. For series entries exp and got are
 * the series of the entry's run and tag (arrays of [wall, step, value] or
 * of {wallTime, step, value}); for answer entries both are NULL. Returns 1
 * if tboard behaves as documented, else 0 with a reason in msg. */
typedef int (*dd_check)(char *msg, size_t n, const deliberate *dd, const answer *a,
			const json_t *exp, const json_t *got);

struct deliberate {
	const char *corpus; /* corpus folder name; "*" for every corpus */
	const char *file;   /* answer file name in expected/ */
	const char *run;    /* series of this run is checked; NULL: the whole answer */
	const char *tag;    /* with run: the tag, for answers that hold several */
	dd_check check;
	long long arg, arg2; /* parameters of check */
	const char *what;    /* what differs from upstream (for docs/COMPATIBILITY.md) */
	const char *reason;  /* why tboard differs (for docs/COMPATIBILITY.md) */
};

static int check_skip_one_record(char *, size_t, const deliberate *, const answer *, const json_t *,
				 const json_t *);
static int check_preempt(char *, size_t, const deliberate *, const answer *, const json_t *,
			 const json_t *);
static int check_4xx_text(char *, size_t, const deliberate *, const answer *, const json_t *,
			  const json_t *);

#define CRC_WHAT                                                                                   \
	"crc_corrupt_middle (one bit flipped in the payload of the record of step 99): tboard "    \
	"serves steps 0..98 and 100..199, all but step 99; upstream serves only 0..98."
#define CRC_WHY                                                                                    \
	"tboard verifies every payload CRC and skips just the damaged record, whose extent "       \
	"the intact length field still gives; upstream's Python reader stops reading the file "    \
	"at the first bad record and shows nothing after it although the rest is intact."
#define RESTART_WHAT                                                                               \
	"restart_no_sessionlog (a second event file restarts at step 120 without a "               \
	"SessionLog): tboard serves one series with strictly increasing steps, 0..119 from "       \
	"the first file and 120..269 from the second; upstream keeps both files' points, so "      \
	"steps 120..199 appear twice and the series goes backwards."
#define RESTART_WHY                                                                                \
	"tboard applies per-series preemption to every file (as upstream's Rust data server "      \
	"does): a point with step s drops the points already read at step s or later. "            \
	"upstream's Python loader purges only on SessionLog START in version-2 files."
#define BLOB_WHAT                                                                                  \
	"individualImage with a blob_key that does not decode (\"bm9fc3VjaF9ibG9i\"): tboard "     \
	"answers 400 text/plain \"Invalid argument: ...\"; upstream fails with a 500 HTML page."
#define BLOB_WHY                                                                                   \
	"a malformed parameter is the client's error (HTTP_API.md 5.4, decision D1); "             \
	"upstream's 500 is an unhandled exception."

static const deliberate deliberates[] = {
    {"edge-cases", "scalars__scalars__run=crc_corrupt_middle__tag=loss.json", "crc_corrupt_middle",
     "loss", check_skip_one_record, 99, 199, CRC_WHAT, CRC_WHY},
    {"edge-cases", "scalars__scalars_multirun__tag=loss.json", "crc_corrupt_middle", "loss",
     check_skip_one_record, 99, 199, CRC_WHAT, CRC_WHY},
    {"edge-cases", "timeseries__timeSeries__POST=scalars%2Bhistograms.json", "crc_corrupt_middle",
     "loss", check_skip_one_record, 99, 199, CRC_WHAT, CRC_WHY},
    {"edge-cases", "scalars__scalars__run=restart_no_sessionlog__tag=loss.json",
     "restart_no_sessionlog", "loss", check_preempt, 269, 0, RESTART_WHAT, RESTART_WHY},
    {"edge-cases", "scalars__scalars_multirun__tag=loss.json", "restart_no_sessionlog", "loss",
     check_preempt, 269, 0, RESTART_WHAT, RESTART_WHY},
    {"edge-cases", "timeseries__timeSeries__POST=scalars%2Bhistograms.json",
     "restart_no_sessionlog", "loss", check_preempt, 269, 0, RESTART_WHAT, RESTART_WHY},
    {"*", "images__individualImage__blob_key=bm9fc3VjaF9ibG9i.html", NULL, NULL, check_4xx_text, 0,
     0, BLOB_WHAT, BLOB_WHY},
};
#define N_DELIBERATE (sizeof deliberates / sizeof deliberates[0])

/* ---- bookkeeping ---------------------------------------------------------- */

typedef struct counter {
	char *key;
	int n;
} counter;

static struct {
	int passed, failed, deliberate;
	int served;	/* corpora where the server came up */
	int ts_partial; /* timeseries answers compared for some plugins only */
	int series_exact, series_sampled;
	counter *skipped; /* out-of-scope request paths and their counts */
	size_t nskipped;
	int dd_seen[N_DELIBERATE]; /* entry's file appeared in its corpus's ROUTES.tsv */
} st;

static void count_skip(const char *path)
{
	for (size_t i = 0; i < st.nskipped; i++)
		if (strcmp(st.skipped[i].key, path) == 0) {
			st.skipped[i].n++;
			return;
		}
	st.skipped = realloc(st.skipped, (st.nskipped + 1) * sizeof *st.skipped);
	st.skipped[st.nskipped].key = strdup(path);
	st.skipped[st.nskipped++].n = 1;
}

static int cmp_counter(const void *a, const void *b)
{
	return strcmp(((const counter *)a)->key, ((const counter *)b)->key);
}

static void fail(const char *corpus, const char *file, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	printf("FAIL %s %s: %s\n", corpus, file, msg);
}

/* ---- small utilities ------------------------------------------------------ */

typedef struct buf {
	char *p;
	size_t n, cap;
} buf;

static void buf_add(buf *b, const void *data, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	buf b = {0};
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	if (!b.p)
		buf_add(&b, "", 0);
	*len = b.n;
	return b.p;
}

static char *str_replace_all(const char *s, const char *from, const char *to)
{
	buf b = {0};
	size_t fl = strlen(from);
	const char *q;
	while ((q = strstr(s, from))) {
		buf_add(&b, s, (size_t)(q - s));
		buf_add(&b, to, strlen(to));
		s = q + fl;
	}
	buf_add(&b, s, strlen(s));
	return b.p;
}

static char *join(const char *a, const char *b)
{
	char *out;
	if (asprintf(&out, "%s/%s", a, b) < 0)
		abort();
	return out;
}

/* Decode application/x-www-form-urlencoded text (%XX and '+'). */
static char *form_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *w = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+')
			*w++ = ' ';
		else if (s[i] == '%' && i + 2 < n && tb_hex_digit(s[i + 1]) >= 0 &&
			 tb_hex_digit(s[i + 2]) >= 0) {
			*w++ = (char)(tb_hex_digit(s[i + 1]) * 16 + tb_hex_digit(s[i + 2]));
			i += 2;
		} else
			*w++ = s[i];
	}
	*w = '\0';
	return out;
}

static char *form_encode(const char *s)
{
	buf b = {0};
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char tmp[4];
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			tmp[0] = (char)*p;
			buf_add(&b, tmp, 1);
		} else if (*p == ' ') {
			buf_add(&b, "+", 1);
		} else {
			snprintf(tmp, sizeof tmp, "%%%02X", *p);
			buf_add(&b, tmp, 3);
		}
	}
	if (!b.p)
		buf_add(&b, "", 0);
	return b.p;
}

static int in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* TB_API_ALL=1 puts every route in scope, to see how far the server is. */
static int all_in_scope;

#define TS_PLUGIN_IN_SCOPE(p)                                                                      \
	(all_in_scope ||                                                                           \
	 in_list((p), scope_timeseries_plugins,                                                    \
		 sizeof scope_timeseries_plugins / sizeof scope_timeseries_plugins[0]))

static int route_in_scope(const char *path)
{
	if (all_in_scope)
		return 1;
	for (size_t i = 0; i < sizeof scope_routes / sizeof scope_routes[0]; i++) {
		const char *r = scope_routes[i];
		size_t n = strlen(r);
		if (n && r[n - 1] == '/' ? strncmp(path, r, n) == 0 : strcmp(path, r) == 0)
			return 1;
	}
	return 0;
}

/* ---- HTTP ------------------------------------------------------------------ */

/* Send one request; fills *status, ctype (copied) and body. */
static int http_do(CURL *c, int port, const char *method, const char *path, const char *body,
		   const char *body_ctype, long *status, char *ctype, size_t ctlen, buf *out,
		   char *err, size_t errlen)
{
	char h[128];
	snprintf(h, sizeof h, "Content-Type: %s", body_ctype ? body_ctype : "");
	const char *const post_headers[] = {h, "Expect:", NULL};
	tb_http_req req = {.method = method, .timeout_s = REQUEST_TIMEOUT_S};
	if (strcmp(method, "POST") == 0) {
		req.headers = post_headers;
		req.body = body;
		req.body_len = -1;
	}
	tb_http_reply r;
	if (tb_http_send(&r, c, port, path, &req) != CURLE_OK) {
		snprintf(err, errlen, "%s %s: request failed", method, path);
		tb_http_reply_free(&r);
		return -1;
	}
	*status = r.status;
	snprintf(ctype, ctlen, "%s", r.ctype[0] ? r.ctype : "(none)");
	buf_add(out, r.body.ptr, r.body.len);
	tb_http_reply_free(&r);
	if (!out->p)
		buf_add(out, "", 0);
	return 0;
}

/* ---- series helpers for the deliberate-difference checks -------------------- */

typedef struct point {
	double wall;
	long long step;
	const json_t *value;
} point;

/* Read a series of [wall, step, value] or {wallTime, step, value} into pts
 * (at most max). Returns the count, or -1 if the shape is wrong. */
static int read_points(point *pts, int max, const json_t *series)
{
	if (!json_is_array(series) || json_array_size(series) > (size_t)max)
		return -1;
	for (size_t i = 0; i < json_array_size(series); i++) {
		const json_t *p = json_array_get(series, i), *w, *s, *v;
		if (json_is_array(p)) {
			w = json_array_get(p, 0);
			s = json_array_get(p, 1);
			v = json_array_get(p, 2);
		} else {
			w = json_object_get(p, "wallTime");
			s = json_object_get(p, "step");
			v = json_object_get(p, "value");
		}
		if (!json_is_number(w) || !json_is_integer(s) || !v)
			return -1;
		pts[i] = (point){json_number_value(w), json_integer_value(s), v};
	}
	return (int)json_array_size(series);
}

static int point_equal(const point *a, const point *b)
{
	tb_jsondiff d;
	tb_jsondiff_init(&d);
	json_t *wa = json_real(a->wall), *wb = json_real(b->wall);
	int eq = a->step == b->step && tb_jsondiff_compare(&d, wa, wb) &&
		 tb_jsondiff_compare(&d, a->value, b->value);
	json_decref(wa);
	json_decref(wb);
	return eq;
}

#define MAX_POINTS 4096

/* Upstream stops at the damaged record (step arg); tboard skips only it
 * and goes on to the file's last step (arg2).
 * Upstream's points before it must come back unchanged, then the records
 * after it, which follow the same pattern as the ones before (value =
 * step, wall time = first wall time + step). */
static int check_skip_one_record(char *msg, size_t n, const deliberate *dd, const answer *a,
				 const json_t *exp, const json_t *got)
{
	(void)a;
	static point e[MAX_POINTS], g[MAX_POINTS];
	int ne = read_points(e, MAX_POINTS, exp), ng = read_points(g, MAX_POINTS, got);
	long long bad = dd->arg;
	if (ne < 1 || ng < 0) {
		snprintf(msg, n, "unexpected series shape");
		return 0;
	}
	if (e[ne - 1].step != bad - 1) {
		snprintf(msg, n, "upstream's answer no longer stops at step %lld", bad - 1);
		return 0;
	}
	double w0 = e[0].wall - (double)e[0].step;
	for (int i = 0; i < ne; i++)
		if (json_number_value(e[i].value) != (double)e[i].step ||
		    e[i].wall != w0 + (double)e[i].step) {
			snprintf(msg, n, "upstream's points no longer follow value = step");
			return 0;
		}
	long long last = dd->arg2;
	if (ng != (int)last) { /* steps 0..last without bad */
		snprintf(msg, n, "expected %lld points (steps 0..%lld without %lld), got %d", last,
			 last, bad, ng);
		return 0;
	}
	for (int i = 0; i < ng; i++) {
		long long step = i < bad ? i : i + 1;
		if (i < ne) {
			if (!point_equal(&e[i], &g[i])) {
				snprintf(msg, n, "point %d (step %lld) differs from upstream's", i,
					 step);
				return 0;
			}
		} else if (g[i].step != step || !json_is_number(g[i].value) ||
			   json_number_value(g[i].value) != (double)step ||
			   g[i].wall != w0 + (double)step) {
			snprintf(msg, n, "point %d: expected step %lld value %lld, got step %lld",
				 i, step, step, g[i].step);
			return 0;
		}
	}
	return 1;
}

/* tboard's rule: a point with step s drops every earlier point at step s
 * or later. Applied to upstream's (complete, unpurged) series this gives
 * what tboard must serve; its steps must increase strictly up to arg. */
static int check_preempt(char *msg, size_t n, const deliberate *dd, const answer *a,
			 const json_t *exp, const json_t *got)
{
	(void)a;
	static point e[MAX_POINTS], g[MAX_POINTS], want[MAX_POINTS];
	int ne = read_points(e, MAX_POINTS, exp), ng = read_points(g, MAX_POINTS, got);
	if (ne < 1 || ng < 0) {
		snprintf(msg, n, "unexpected series shape");
		return 0;
	}
	int nw = 0;
	for (int i = 0; i < ne; i++) {
		while (nw > 0 && want[nw - 1].step >= e[i].step)
			nw--;
		want[nw++] = e[i];
	}
	if (nw == ne) {
		snprintf(msg, n, "upstream's series has no restart any more");
		return 0;
	}
	for (int i = 1; i < ng; i++)
		if (g[i].step <= g[i - 1].step) {
			snprintf(msg, n,
				 "steps not strictly increasing at point %d: %lld after %lld", i,
				 g[i].step, g[i - 1].step);
			return 0;
		}
	if (ng == 0 || g[ng - 1].step != dd->arg) {
		snprintf(msg, n, "expected the last step to be %lld, got %lld", dd->arg,
			 ng ? g[ng - 1].step : -1);
		return 0;
	}
	if (ng != nw) {
		snprintf(msg, n, "expected %d points after preemption, got %d", nw, ng);
		return 0;
	}
	for (int i = 0; i < nw; i++)
		if (!point_equal(&want[i], &g[i])) {
			snprintf(msg, n, "point %d (step %lld) differs from upstream's point", i,
				 want[i].step);
			return 0;
		}
	return 1;
}

static int check_4xx_text(char *msg, size_t n, const deliberate *dd, const answer *a,
			  const json_t *exp, const json_t *got)
{
	(void)dd;
	(void)exp;
	(void)got;
	if (a->status < 400 || a->status > 499 || strcmp(a->ctype, "text/plain; charset=utf-8")) {
		snprintf(msg, n, "expected a 4xx text/plain error, got %ld %s", a->status,
			 a->ctype);
		return 0;
	}
	return 1;
}

/* Detach the series of run (and tag) from answer: a scalars/scalars
 * array (the whole answer), a scalars_multirun object, or a timeSeries
 * array of {tag, runToSeries}. Returns a new reference, or NULL. */
static json_t *take_series(json_t *answer, const char *run, const char *tag, int *whole)
{
	*whole = 0;
	if (json_is_object(answer)) {
		json_t *s = json_incref(json_object_get(answer, run));
		json_object_del(answer, run);
		return s;
	}
	if (!json_is_array(answer))
		return NULL;
	if (json_array_size(answer) == 0 || tb_jsondiff_series_cap(answer)) {
		*whole = 1;
		return json_incref(answer);
	}
	for (size_t i = 0; i < json_array_size(answer); i++) {
		json_t *r = json_array_get(answer, i);
		json_t *t = json_object_get(r, "tag");
		json_t *rts = json_object_get(r, "runToSeries");
		if (json_is_string(t) && strcmp(json_string_value(t), tag) == 0 && rts) {
			json_t *s = json_incref(json_object_get(rts, run));
			json_object_del(rts, run);
			return s;
		}
	}
	return NULL;
}

/* ---- one route ---------------------------------------------------------------- */

typedef struct route {
	char *method, *path, *body, *ctype, *file;
	long status;
} route;

typedef struct corpus {
	const char *name;
	const char *expected_dir;
	const char *logdir;
	CURL *curl;
	int port;
} corpus;

/* ---- blob keys in request URLs ---------------------------------------------------- */

/* Decode unpadded URL-safe base64; NULL if s is not that. */
static char *b64url_decode(const char *s, size_t n)
{
	char *out = malloc(n * 3 / 4 + 4);
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		const char *alpha =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		const char *q = s[i] ? strchr(alpha, s[i]) : NULL;
		if (s[i] == '=')
			break;
		if (!q) {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (unsigned)(q - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	out[o] = '\0';
	return out;
}

/* Upstream's blob keys are its own (HTTP_API.md 5.4), so a fetch route
 * replayed verbatim would ask tboard for a key it never issued. Decode
 * upstream's key [eid, plugin, run, tag, step, index], ask tboard's own
 * listing for that run, tag, sample and step, and put tboard's key in the
 * URL instead. Keys that do not decode (deliberately bogus ones) are sent
 * unchanged. Returns the path to send (malloc'd) or NULL with err set. */
static char *map_blob_key(corpus *c, const char *pq, char *err, size_t errlen)
{
	const char *names[] = {"blob_key=", "imageId="};
	const char *k = NULL;
	for (int i = 0; i < 2 && !k; i++) {
		const char *p = strstr(pq, names[i]);
		if (p && (p[-1] == '?' || p[-1] == '&'))
			k = p + strlen(names[i]);
	}
	if (!k)
		return strdup(pq);
	size_t klen = strcspn(k, "&");
	char *raw = b64url_decode(k, klen);
	json_t *key = raw ? json_loads(raw, 0, NULL) : NULL;
	free(raw);
	if (!json_is_array(key) || json_array_size(key) != 6) {
		json_decref(key);
		return strdup(pq);
	}
	const char *plugin = json_string_value(json_array_get(key, 1));
	const char *run = json_string_value(json_array_get(key, 2));
	const char *tag = json_string_value(json_array_get(key, 3));
	json_int_t step = json_integer_value(json_array_get(key, 4));
	json_int_t index = json_integer_value(json_array_get(key, 5));
	char *out = NULL, *listing_path = NULL;
	buf body = {0};
	json_t *listing = NULL;
	if (!plugin || !run || !tag) {
		snprintf(err, errlen, "upstream blob key has an unexpected shape");
		goto done;
	}
	/* Images keep width and height before the samples (HTTP_API.md 6.6). */
	json_int_t sample = strcmp(plugin, "images") == 0 ? index - 2 : index;
	char *erun = curl_easy_escape(c->curl, run, 0), *etag = curl_easy_escape(c->curl, tag, 0);
	if (asprintf(&listing_path, "/data/plugin/%s/%s?run=%s&tag=%s&sample=%lld", plugin,
		     strcmp(plugin, "audio") == 0 ? "audio" : "images", erun, etag,
		     (long long)sample) < 0)
		abort();
	curl_free(erun);
	curl_free(etag);
	long status;
	char ctype[256];
	if (http_do(c->curl, c->port, "GET", listing_path, "", "", &status, ctype, sizeof ctype,
		    &body, err, errlen) != 0)
		goto done;
	listing = json_loadb(body.p, body.n, 0, NULL);
	for (size_t i = 0; i < json_array_size(listing); i++) {
		json_t *e = json_array_get(listing, i);
		const char *q = json_string_value(json_object_get(e, "query"));
		const char *b = q ? strstr(q, "blob_key=") : NULL;
		if (!b || json_integer_value(json_object_get(e, "step")) != step)
			continue;
		b += strlen("blob_key=");
		size_t blen = strcspn(b, "&");
		size_t prefix = (size_t)(k - pq);
		out = malloc(strlen(pq) - klen + blen + 1);
		memcpy(out, pq, prefix);
		memcpy(out + prefix, b, blen);
		strcpy(out + prefix + blen, k + klen);
		break;
	}
	if (!out)
		snprintf(err, errlen, "no blob key for %s step %lld in tboard's answer to %s (%ld)",
			 plugin, (long long)step, listing_path, status);
done:
	json_decref(listing);
	json_decref(key);
	free(listing_path);
	free(body.p);
	return out;
}

static int dd_matches(const deliberate *dd, const corpus *c, const char *file)
{
	return (strcmp(dd->corpus, "*") == 0 || strcmp(dd->corpus, c->name) == 0) &&
	       strcmp(dd->file, file) == 0;
}

/* Render a text difference: the first differing line of both. */
static void text_diff(char *out, size_t n, const char *e, size_t el, const char *g, size_t gl)
{
	size_t i = 0, line = 1, start = 0;
	while (i < el && i < gl && e[i] == g[i]) {
		if (e[i] == '\n') {
			line++;
			start = i + 1;
		}
		i++;
	}
	char es[64], gs[64];
	size_t k = 0;
	for (size_t j = start; j < el && e[j] != '\n' && k < 60; j++)
		es[k++] = e[j] == '\r' ? '~' : e[j];
	es[k] = '\0';
	k = 0;
	for (size_t j = start; j < gl && g[j] != '\n' && k < 60; j++)
		gs[k++] = g[j] == '\r' ? '~' : g[j];
	gs[k] = '\0';
	snprintf(
	    out, n,
	    "text differs at byte %zu (line %zu; lengths %zu vs %zu): expected \"%s\", got \"%s\"",
	    i, line, el, gl, es, gs);
}

/* Narrow a timeSeries POST to the plugins in scope. Returns the body to
 * send (malloc'd) and sets *kept to the indexes of the request objects
 * kept (a JSON array of integers), or returns NULL if none is in scope. */
static char *narrow_timeseries(const char *body, json_t **kept, int *partial)
{
	*kept = json_array();
	*partial = 0;
	const char *p = strstr(body, "requests=");
	if (!p || (p != body && p[-1] != '&'))
		return strdup(body); /* malformed on purpose: send as is */
	p += strlen("requests=");
	size_t n = strcspn(p, "&");
	char *text = form_decode(p, n);
	json_t *reqs = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_array(reqs)) {
		json_decref(reqs);
		return strdup(body);
	}
	json_t *narrow = json_array();
	for (size_t i = 0; i < json_array_size(reqs); i++) {
		json_t *r = json_array_get(reqs, i);
		const char *plugin = json_string_value(json_object_get(r, "plugin"));
		if (plugin && !TS_PLUGIN_IN_SCOPE(plugin)) {
			*partial = 1;
			continue;
		}
		json_array_append(narrow, r);
		json_array_append_new(*kept, json_integer((json_int_t)i));
	}
	char *out = NULL;
	if (json_array_size(narrow) > 0 && !*partial) {
		out = strdup(body);
	} else if (json_array_size(narrow) > 0) {
		char *js = json_dumps(narrow, JSON_COMPACT | JSON_ENSURE_ASCII);
		char *enc = form_encode(js);
		size_t len = strlen(enc) + 16;
		out = malloc(len);
		snprintf(out, len, "requests=%s", enc);
		free(js);
		free(enc);
	}
	json_decref(narrow);
	json_decref(reqs);
	return out;
}

/* Compare one JSON answer. Returns 1 if it passes. */
static int compare_json(const corpus *c, const route *r, const answer *a, const char *exp_text,
			size_t exp_len, const json_t *kept, int *dd_count)
{
	char msg[600];
	json_error_t err;
	json_t *exp = json_loadb(exp_text, exp_len, JSON_DECODE_ANY, &err);
	if (!exp) {
		fail(c->name, r->file, "cannot parse the expected answer: %s", err.text);
		return 0;
	}
	tb_jsondiff_subst(exp, "<LOGDIR>", c->logdir);
	json_t *got = json_loadb(a->body, a->len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
	if (!got) {
		char snip[80];
		snprintf(snip, sizeof snip, "%.60s", a->body);
		fail(c->name, r->file, "answer is not JSON (%s at %d): \"%s\"", err.text,
		     err.position, snip);
		json_decref(exp);
		return 0;
	}
	int ok = 1;

	/* Route-specific narrowing. */
	char path[1024];
	snprintf(path, sizeof path, "%.*s", (int)strcspn(r->path, "?"), r->path);
	if (strcmp(path, "/data/environment") == 0) {
		/* HTTP_API.md 3.3 / D29: the server's own version and flags. */
		const char *own[] = {"version", "debug"};
		for (int i = 0; i < 2; i++) {
			json_object_del(exp, own[i]);
			json_object_del(got, own[i]);
		}
	} else if (strcmp(path, "/data/plugin/timeseries/tags") == 0) {
		const char *k;
		json_t *v;
		void *tmp;
		int dropped = 0;
		json_object_foreach_safe(exp, tmp, k, v)
		{
			if (!TS_PLUGIN_IN_SCOPE(k)) {
				json_object_del(got, k);
				json_object_del(exp, k);
				dropped = 1;
			}
		}
		st.ts_partial += dropped;
	} else if (kept && json_is_array(exp)) {
		json_t *narrow = json_array();
		for (size_t i = 0; i < json_array_size(kept); i++)
			json_array_append(
			    narrow, json_array_get(
					exp, (size_t)json_integer_value(json_array_get(kept, i))));
		json_decref(exp);
		exp = narrow;
	}

	/* Deliberate differences on single series: check tboard's own rule
	 * on that series and compare the rest of the answer as usual. */
	int whole_done = 0;
	for (size_t i = 0; i < N_DELIBERATE; i++) {
		const deliberate *dd = &deliberates[i];
		if (!dd->run || !dd_matches(dd, c, r->file))
			continue;
		(*dd_count)++;
		int whole_e, whole_g;
		json_t *es = take_series(exp, dd->run, dd->tag, &whole_e);
		json_t *gs = take_series(got, dd->run, dd->tag, &whole_g);
		if (!es) {
			fail(c->name, r->file,
			     "deliberate difference: upstream's answer has no series for run %s",
			     dd->run);
			ok = 0;
		} else if (!gs) {
			fail(c->name, r->file, "deliberate difference: no series for run %s",
			     dd->run);
			ok = 0;
		} else if (!dd->check(msg, sizeof msg, dd, a, es, gs)) {
			fail(c->name, r->file, "run %s (deliberate difference): %s", dd->run, msg);
			ok = 0;
		}
		whole_done |= whole_e;
		json_decref(es);
		json_decref(gs);
	}

	if (!whole_done) {
		tb_jsondiff d;
		tb_jsondiff_init(&d);
		if (!tb_jsondiff_compare(&d, exp, got)) {
			fail(c->name, r->file, "%s: %s%s", d.where, d.detail,
			     d.diffs > 1 ? " (and more)" : "");
			ok = 0;
		}
		if (d.series_exact || d.series_sampled)
			printf("note %s %s: %d series at the cap matched point for point, %d "
			       "compared by count and last point\n",
			       c->name, r->file, d.series_exact, d.series_sampled);
		st.series_exact += d.series_exact;
		st.series_sampled += d.series_sampled;
	}
	json_decref(exp);
	json_decref(got);
	return ok;
}

static int compare_sha(const corpus *c, const route *r, const answer *a, const char *exp_text)
{
	char hex[65], want[65] = "", ct[128] = "";
	unsigned long long len = 0;
	if (sscanf(exp_text, "%64s %llu %127[^\n]", want, &len, ct) < 2) {
		fail(c->name, r->file, "malformed .sha256 file");
		return 0;
	}
	tb_sha256_hex(hex, a->body, a->len);
	if (len != a->len || strcmp(hex, want) != 0) {
		fail(c->name, r->file,
		     "binary body differs: expected %llu bytes sha256 %.16s..., got %zu bytes "
		     "%.16s...",
		     len, want, a->len, hex);
		return 0;
	}
	return 1;
}

/* Replay one route. Returns 1 pass, 0 fail, -1 skipped. */
static int run_route(corpus *c, const route *r)
{
	char path[1024];
	snprintf(path, sizeof path, "%.*s", (int)strcspn(r->path, "?"), r->path);
	int ts_series = strcmp(path, "/data/plugin/timeseries/timeSeries") == 0;
	if (!route_in_scope(path) || (strcmp(path, "/data/plugin/timeseries/imageData") == 0 &&
				      !TS_PLUGIN_IN_SCOPE("images"))) {
		count_skip(path);
		return -1;
	}

	json_t *kept = NULL;
	char *body = NULL;
	if (ts_series && strcmp(r->method, "POST") == 0) {
		int partial;
		body = narrow_timeseries(r->body, &kept, &partial);
		if (!body) {
			json_decref(kept);
			count_skip("/data/plugin/timeseries/timeSeries (no plugin in scope)");
			return -1;
		}
		st.ts_partial += partial;
		if (!partial) {
			json_decref(kept);
			kept = NULL;
		}
	} else {
		body = strdup(r->body);
	}
	const char *body_ctype = strncmp(path, "/data/plugin/hparams/", 21) == 0
				     ? "application/json"
				     : "application/x-www-form-urlencoded";

	long status = 0;
	char ctype[256], err[512];
	buf got = {0};
	int ok = 0;
	char *send_path = map_blob_key(c, r->path, err, sizeof err);
	if (!send_path) {
		fail(c->name, r->file, "%s", err);
		goto out;
	}
	int rc = http_do(c->curl, c->port, r->method, send_path, body, body_ctype, &status, ctype,
			 sizeof ctype, &got, err, sizeof err);
	free(send_path);
	if (rc != 0) {
		fail(c->name, r->file, "%s", err);
		goto out;
	}
	answer a = {status, ctype, got.p, got.n};

	/* Whole-answer deliberate differences replace the comparison. */
	int dd_count = 0;
	for (size_t i = 0; i < N_DELIBERATE; i++) {
		const deliberate *dd = &deliberates[i];
		if (dd->run || !dd_matches(dd, c, r->file))
			continue;
		st.deliberate++;
		char msg[600];
		ok = dd->check(msg, sizeof msg, dd, &a, NULL, NULL);
		if (!ok)
			fail(c->name, r->file, "deliberate difference: %s", msg);
		goto out;
	}

	if (status != r->status || strcmp(ctype, r->ctype) != 0) {
		char snip[100];
		snprintf(snip, sizeof snip, "%.80s", got.p);
		fail(c->name, r->file, "expected %ld %s, got %ld %s (body \"%s\")", r->status,
		     r->ctype, status, ctype, snip);
		goto out;
	}

	char *fpath = join(c->expected_dir, r->file);
	size_t elen;
	char *etext = read_file(fpath, &elen);
	free(fpath);
	if (!etext) {
		fail(c->name, r->file, "cannot read the expected answer: %s", strerror(errno));
		goto out;
	}
	size_t fl = strlen(r->file);
	if (fl > 7 && strcmp(r->file + fl - 7, ".sha256") == 0) {
		ok = compare_sha(c, r, &a, etext);
	} else if (strcmp(r->ctype, "application/json") == 0) {
		ok = compare_json(c, r, &a, etext, elen, kept, &dd_count);
		st.deliberate += dd_count > 0;
	} else {
		/* Text (CSV, plain-text errors, pbtxt, HTML): byte for byte. */
		char *want = str_replace_all(etext, "<LOGDIR>", c->logdir);
		size_t wl = strlen(want);
		ok = wl == got.n && memcmp(want, got.p, wl) == 0;
		if (!ok) {
			char msg[400];
			text_diff(msg, sizeof msg, want, wl, got.p, got.n);
			fail(c->name, r->file, "%s", msg);
		}
		free(want);
	}
	free(etext);
out:
	json_decref(kept);
	free(body);
	free(got.p);
	return ok;
}

/* ---- one corpus -------------------------------------------------------------- */

static const char ROUTES_HEADER[] = "method\tpath_and_query\tbody\tstatus\tcontent_type\tfile";

/* Split a TSV line into exactly n fields in place. */
static int split_tabs(char *line, char **fields, int n)
{
	int i = 0;
	fields[i++] = line;
	for (char *p = line; *p; p++)
		if (*p == '\t') {
			if (i == n)
				return -1;
			*p = '\0';
			fields[i++] = p + 1;
		}
	return i == n ? 0 : -1;
}

static void run_corpus(const char *corpora_dir, const char *name, const char *binary)
{
	char *dir = join(corpora_dir, name), *tmp = join(dir, "logdir");
	char *expected_dir = join(dir, "expected"), *routes_path = join(expected_dir, "ROUTES.tsv");
	char *logdir = realpath(tmp, NULL), *routes = NULL;
	tb_spawn *srv = NULL;
	if (!logdir) {
		fail(name, "-", "no logdir: %s", strerror(errno));
		st.failed++;
		goto out;
	}
	const char *url = getenv("TB_API_LOGDIR_URL");
	if (url && *url) {
		free(logdir);
		logdir = join(url, name);
	}
	size_t len;
	routes = read_file(routes_path, &len);
	if (!routes) {
		fail(name, "ROUTES.tsv", "cannot read: %s", strerror(errno));
		st.failed++;
		goto out;
	}
	for (size_t i = 0; i < N_DELIBERATE; i++) {
		const char *f = deliberates[i].file;
		size_t fl = strlen(f);
		for (const char *p = strstr(routes, f);
		     p && strcmp(deliberates[i].corpus, name) == 0; p = strstr(p + 1, f))
			if (p[-1] == '\t' && (p[fl] == '\n' || p[fl] == '\r' || p[fl] == '\0'))
				st.dd_seen[i] = 1;
	}
	char *save = NULL, *line = strtok_r(routes, "\n", &save);
	if (!line || strncmp(line, ROUTES_HEADER, sizeof ROUTES_HEADER - 1) != 0) {
		fail(name, "ROUTES.tsv", "unexpected header (want \"%s\")", ROUTES_HEADER);
		st.failed++;
		goto out;
	}

	/* TB_API_SERVER_ARGS: more flags, separated by spaces */
	const char *extra[16] = {"--reload_interval", "0", "--reload_task", "blocking"};
	char *more = getenv("TB_API_SERVER_ARGS") ? strdup(getenv("TB_API_SERVER_ARGS")) : NULL;
	size_t n_extra = 4;
	char *save_arg = NULL;
	for (char *a = more ? strtok_r(more, " ", &save_arg) : NULL; a && n_extra < 15;
	     a = strtok_r(NULL, " ", &save_arg))
		extra[n_extra++] = a;
	int clean = 0;
	char err[512];
	int started =
	    tb_spawn_start(&srv, &clean, binary, logdir, extra, START_TIMEOUT_S, err, sizeof err);
	free(more);
	if (started != 0) {
		fail(name, "-", "server did not start%s: %s", clean ? " (it exited cleanly)" : "",
		     err);
		st.failed++;
		goto out;
	}
	st.served++;
	corpus c = {name, expected_dir, logdir, curl_easy_init(), tb_spawn_port(srv)};
	int lineno = 1;
	while ((line = strtok_r(NULL, "\n", &save))) {
		lineno++;
		size_t ll = strlen(line);
		if (ll && line[ll - 1] == '\r')
			line[ll - 1] = '\0';
		if (!*line)
			continue;
		char *f[6];
		if (split_tabs(line, f, 6) != 0) {
			fail(name, "ROUTES.tsv", "line %d does not have 6 fields", lineno);
			st.failed++;
			continue;
		}
		route r = {f[0], f[1], f[2], f[4], f[5], strtol(f[3], NULL, 10)};
		int res = run_route(&c, &r);
		if (res == 1)
			st.passed++;
		else if (res == 0)
			st.failed++;
		if (!tb_spawn_alive(srv)) {
			fail(name, r.file, "the server died after this request");
			st.failed++;
			break;
		}
	}
	curl_easy_cleanup(c.curl);
	int status = tb_spawn_stop(srv);
	if (status != -1 && WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM) {
		fail(name, "-", "the server ended with signal %d", WTERMSIG(status));
		st.failed++;
	} else if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		/* a clean shutdown exits 0; sanitizer builds exit non-zero on leaks */
		fail(name, "-", "the server exited with status %d on SIGTERM", WEXITSTATUS(status));
		st.failed++;
	}
out:
	free(routes);
	free(logdir);
	free(routes_path);
	free(expected_dir);
	free(tmp);
	free(dir);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	const char *src = getenv("TB_SOURCE_DIR"), *binary = getenv("TB_BINARY");
	const char *only = getenv("TB_API_CORPUS");
	if (!src || !binary) {
		fprintf(stderr, "TB_SOURCE_DIR and TB_BINARY must be set (CTest sets them)\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	all_in_scope = getenv("TB_API_ALL") && strcmp(getenv("TB_API_ALL"), "0") != 0;
	char *corpora = join(src, "tests/corpora");
	DIR *d = opendir(corpora);
	if (!d) {
		fprintf(stderr, "cannot open %s: %s\n", corpora, strerror(errno));
		free(corpora);
		return 1;
	}
	char *names[256];
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 256) {
		char *dir = join(corpora, de->d_name), *p = join(dir, "expected/ROUTES.tsv");
		/* The profile corpus's answers are the profile dashboard's, compared
		 * by its own test. */
		if (de->d_name[0] != '.' && strcmp(de->d_name, "profile") != 0 &&
		    access(p, R_OK) == 0 && (!only || strcmp(only, de->d_name) == 0))
			names[n++] = strdup(de->d_name);
		free(p);
		free(dir);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof *names, cmp_str);
	if (n == 0) {
		fprintf(stderr, "no corpus with expected/ROUTES.tsv under %s\n", corpora);
		free(corpora);
		return 1;
	}

	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (int i = 0; i < n; i++)
		run_corpus(corpora, names[i], binary);
	curl_global_cleanup();

	/* A deliberate difference must still name an answer of its corpus. */
	for (size_t i = 0; i < N_DELIBERATE; i++) {
		const deliberate *dd = &deliberates[i];
		if (strcmp(dd->corpus, "*") == 0 || st.dd_seen[i])
			continue;
		for (int j = 0; j < n; j++)
			if (strcmp(names[j], dd->corpus) == 0) {
				fail(dd->corpus, dd->file,
				     "deliberate-difference entry names no route in ROUTES.tsv");
				st.failed++;
			}
	}

	if (st.nskipped)
		qsort(st.skipped, st.nskipped, sizeof *st.skipped, cmp_counter);
	int nskip = 0;
	for (size_t i = 0; i < st.nskipped; i++)
		nskip += st.skipped[i].n;
	if (nskip) {
		printf("skipped (not in scope yet): %d requests:", nskip);
		for (size_t i = 0; i < st.nskipped; i++)
			printf("%s %s (%d)", i ? "," : "", st.skipped[i].key, st.skipped[i].n);
		printf("\n");
	}
	if (st.ts_partial)
		printf("timeseries answers compared for plugins in scope only: %d\n",
		       st.ts_partial);
	printf("deliberate differences checked against tboard's own rule: %d answers\n",
	       st.deliberate);
	printf("downsampled series (at the cap): %d matched point for point, %d compared by count "
	       "and last point\n",
	       st.series_exact, st.series_sampled);
	printf("%d passed, %d failed\n", st.passed, st.failed);

	for (size_t i = 0; i < st.nskipped; i++)
		free(st.skipped[i].key);
	free(st.skipped);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(corpora);
	return st.failed || st.served == 0 ? 1 : 0;
}
