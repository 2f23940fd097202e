/* Profile comparison test: start tboard on the profile corpus and replay
 * every request of tests/corpora/profile/expected/ROUTES.tsv whose runs
 * are there, comparing status, and then the JSON body (structurally,
 * reals within a relative tolerance), the error message, or for /trace the
 * SHA-256 and length of the served body, with the reference plugin's
 * recorded answer.
 *
 * The Kineto traces are other projects' files and live outside the
 * repository: with $TBOARD_EXTRA_CORPORA set, tboard serves
 * $TBOARD_EXTRA_CORPORA/profile/logdir (every run); otherwise the in-repo
 * legacy runs, and the answers that need the others are counted as "did
 * not run". Answers tboard does not build yet (it says 501) are counted
 * and listed as "not implemented"; any other difference fails the test.
 *
 * Environment: TB_SOURCE_DIR, TB_BINARY (set by CTest), optional
 * TBOARD_EXTRA_CORPORA, TB_PROFILE_VERBOSE=1 to list every answer. */
#include "../api/http_client.h"
#include "../api/jsondiff.h"
#include "../api/sha256sum.h"
#include "../api/spawn.h"
#include "http/form.h"

#include <curl/curl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define START_TIMEOUT_S 60
#define REQUEST_TIMEOUT_S 300
#define MAX_NOT_IMPLEMENTED 64

/* A whole file, decompressed when it is gzip (gzread reads plain files
 * as they are). NULL if it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
	gzFile f = gzopen(path, "rb");
	if (!f)
		return NULL;
	tb_buf b = TB_BUF_INIT;
	char chunk[1 << 16];
	int n;
	while ((n = gzread(f, chunk, sizeof chunk)) > 0)
		tb_buf_append(&b, chunk, (size_t)n);
	gzclose(f);
	if (n < 0) {
		tb_buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return tb_buf_detach(&b);
}

/* The decoded value of query parameter `name` in a path, or NULL. */
static char *query_param(const char *pq, const char *name)
{
	const char *q = strchr(pq, '?');
	size_t nl = strlen(name);
	while (q) {
		q++;
		if (strncmp(q, name, nl) == 0 && q[nl] == '=') {
			const char *v = q + nl + 1;
			size_t n = strcspn(v, "&");
			char *out = malloc(n + 1);
			out[tb_url_decode(out, v, n, 1)] = '\0';
			return out;
		}
		q = strchr(q, '&');
	}
	return NULL;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- the run check: which answers can be asked here ---------------------------- */

typedef struct ctx {
	const char *logdir;
	const char *expected;
	json_t *known_runs; /* RUNS.json: every run of the reference's corpus */
	CURL *curl;
	int port;
	int compared, passed, failed, not_run, not_impl;
	char *not_impl_list[MAX_NOT_IMPLEMENTED];
	int verbose;
} ctx;

static int run_present(const ctx *c, const char *run)
{
	char *p;
	if (asprintf(&p, "%s/%s", c->logdir, run) < 0)
		abort();
	int ok = is_dir(p);
	free(p);
	return ok;
}

/* 1 when every run the request names is a corpus run missing here. */
static int needs_missing_run(const ctx *c, const char *pq)
{
	const char *params[] = {"run", "exp_run"};
	int missing = 0;
	for (int i = 0; i < 2; i++) {
		char *run = query_param(pq, params[i]);
		if (run && json_object_get(c->known_runs, run) && !run_present(c, run))
			missing = 1;
		free(run);
	}
	return missing;
}

/* ---- comparisons ------------------------------------------------------------------ */

/* The text of the reference's HTML error page (<p>...</p>), trimmed. */
static char *html_message(const char *html)
{
	const char *a = strstr(html, "<p>"), *b = a ? strstr(a, "</p>") : NULL;
	if (!a || !b)
		return strdup(html);
	a += 3;
	while (b > a && b[-1] == ' ')
		b--;
	return strndup(a, (size_t)(b - a));
}

static char *trimmed(const char *s, size_t n)
{
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		n--;
	return strndup(s, n);
}

/* Drop from the in-repo run list the runs that are not here. */
static void keep_present_runs(const ctx *c, json_t *runs_answer)
{
	json_t *runs = json_object_get(runs_answer, "runs");
	for (size_t i = json_array_size(runs); i-- > 0;)
		if (!run_present(c, json_string_value(json_array_get(runs, i))))
			json_array_remove(runs, i);
}

/* A file of expected/, decompressed; NULL if it cannot be read. */
static char *read_expected(size_t *len, const ctx *c, const char *file)
{
	char *path;
	if (asprintf(&path, "%s/%s", c->expected, file) < 0)
		abort();
	char *text = slurp(path, len);
	free(path);
	return text;
}

static int compare_trace(char *why, size_t n, const ctx *c, const char *file, const tb_buf *got)
{
	size_t len;
	char *text = read_expected(&len, c, file);
	json_t *sum = text ? json_loadb(text, len, 0, NULL) : NULL;
	free(text);
	if (!sum) {
		snprintf(why, n, "cannot read the summary %s", file);
		return 0;
	}
	char hex[65];
	tb_sha256_hex(hex, got->ptr, got->len);
	const char *want = json_string_value(json_object_get(sum, "sha256"));
	json_int_t want_len = json_integer_value(json_object_get(sum, "length"));
	int ok = want && strcmp(want, hex) == 0 && want_len == (json_int_t)got->len;
	if (!ok)
		snprintf(why, n, "body sha256 %s length %zu, expected %s length %lld", hex,
			 got->len, want ? want : "?", (long long)want_len);
	json_decref(sum);
	return ok;
}

static void note_not_implemented(ctx *c, const char *path)
{
	c->not_impl++;
	const char *q = strchr(path, '?');
	size_t n = q ? (size_t)(q - path) : strlen(path);
	for (int i = 0; i < MAX_NOT_IMPLEMENTED && c->not_impl_list[i]; i++)
		if (strlen(c->not_impl_list[i]) == n && strncmp(c->not_impl_list[i], path, n) == 0)
			return;
	for (int i = 0; i < MAX_NOT_IMPLEMENTED; i++)
		if (!c->not_impl_list[i]) {
			c->not_impl_list[i] = strndup(path, n);
			return;
		}
}

/* GET path from tboard into *got (the caller frees it). */
static CURLcode get(long *status, tb_buf *got, const ctx *c, const char *path)
{
	/* the reference gzips some answers whatever is asked; curl undoes it */
	static const tb_http_req req = {.timeout_s = REQUEST_TIMEOUT_S, .accept_encoding = ""};
	tb_http_reply r;
	CURLcode rc = tb_http_send(&r, c->curl, c->port, path, &req);
	*status = r.status;
	*got = r.body;
	r.body = (tb_buf)TB_BUF_INIT;
	tb_http_reply_free(&r);
	return rc;
}

static void check_row(ctx *c, const char *path, long want_status, const char *file)
{
	if (needs_missing_run(c, path)) {
		c->not_run++;
		return;
	}
	tb_buf got;
	long status;
	CURLcode rc = get(&status, &got, c, path);
	char why[1024] = "";
	int ok = 0;
	if (rc != CURLE_OK) {
		snprintf(why, sizeof why, "%s", curl_easy_strerror(rc));
	} else if (status == 501) {
		note_not_implemented(c, path);
		if (c->verbose)
			printf("  not implemented  %s\n", path);
		tb_buf_free(&got);
		return;
	} else if (want_status == 500 && status >= 400 && status < 500) {
		/* the reference fails with 500 (an uncaught KeyError); tboard
		 * answers 4xx (docs/COMPATIBILITY.md) */
		ok = 1;
	} else if (status != want_status) {
		snprintf(why, sizeof why, "status %ld, expected %ld: %.200s", status, want_status,
			 got.ptr);
	} else if (strstr(file, ".trace.json")) {
		ok = compare_trace(why, sizeof why, c, file, &got);
	} else {
		size_t elen;
		char *etext = read_expected(&elen, c, file);
		if (!etext) {
			snprintf(why, sizeof why, "cannot read %s", file);
		} else if (want_status != 200) {
			char *want = html_message(etext), *have = trimmed(got.ptr, got.len);
			ok = strcmp(want, have) == 0;
			if (!ok)
				snprintf(why, sizeof why, "message \"%.300s\", expected \"%.300s\"", have,
					 want);
			free(want);
			free(have);
		} else {
			json_t *e = json_loadb(etext, elen, JSON_DECODE_ANY, NULL);
			json_t *g = json_loadb(got.ptr, got.len, JSON_DECODE_ANY, NULL);
			if (e && g && strncmp(file, "runs", 4) == 0)
				keep_present_runs(c, e);
			if (e && g && strcmp(file, "core__data_plugins_listing.json") == 0)
				/* the recorded server had no projector to list */
				json_object_del(g, "projector");
			if (!e || !g) {
				snprintf(why, sizeof why, "not JSON: %.200s", got.ptr);
			} else {
				tb_jsondiff d;
				tb_jsondiff_init(&d);
				ok = tb_jsondiff_compare(&d, e, g);
				if (!ok)
					snprintf(why, sizeof why, "at %s: %s", d.where, d.detail);
			}
			json_decref(e);
			json_decref(g);
		}
		free(etext);
	}
	c->compared++;
	if (ok) {
		c->passed++;
		if (c->verbose)
			printf("  ok  %s\n", path);
	} else {
		c->failed++;
		printf("FAIL %s\n     %s\n", path, why);
	}
	tb_buf_free(&got);
}

/* Whether tboard's operator table of the profile at query q is empty. */
static int no_operators(ctx *c, const char *q)
{
	char *path;
	if (asprintf(&path, "/data/plugin/pytorch_profiler/operation/table%s&group_by=Operation",
		     q) < 0)
		abort();
	tb_buf got;
	long status;
	CURLcode rc = get(&status, &got, c, path);
	json_t *t = rc == CURLE_OK && status == 200 ? json_loadb(got.ptr, got.len, 0, NULL) : NULL;
	json_t *data = json_object_get(t, "data");
	int none = json_is_array(data) && json_array_size(data) == 0;
	json_decref(t);
	tb_buf_free(&got);
	free(path);
	return none;
}

/* The reference answers `tree` for every profile with operators (the
 * first thread's tree from CallTreeRoot down; without operators it fails
 * with 500), but its answers are recorded only for the runs with a Module
 * view: ask it of every profile with an Operator view here and check that
 * it is such a tree, or 404 when the profile has no operators. Returns the
 * number of answers that are neither. */
static int check_trees(ctx *c, const char *label)
{
	int asked = 0, bad = 0, empty = 0;
	const char *run;
	json_t *info;
	json_object_foreach(c->known_runs, run, info)
	{
		if (!run_present(c, run))
			continue;
		json_t *workers = json_object_get(json_object_get(info, "workers"), "Operator");
		size_t wi;
		json_t *w;
		json_array_foreach(workers, wi, w)
		{
			const char *worker = json_string_value(w);
			json_t *spans = json_object_get(json_object_get(info, "spans"), worker);
			size_t si;
			json_t *sp;
			json_array_foreach(spans, si, sp)
			{
				char *path, *query, *q[3];
				q[0] = curl_easy_escape(c->curl, run, 0);
				q[1] = curl_easy_escape(c->curl, worker, 0);
				q[2] = curl_easy_escape(c->curl, json_string_value(sp), 0);
				if (asprintf(&query, "?run=%s&worker=%s&span=%s", q[0], q[1],
					     q[2]) < 0 ||
				    asprintf(&path, "/data/plugin/pytorch_profiler/tree%s", query) <
					0)
					abort();
				for (int i = 0; i < 3; i++)
					curl_free(q[i]);
				tb_buf got;
				long status;
				CURLcode rc = get(&status, &got, c, path);
				json_t *tree = rc == CURLE_OK && status == 200
						   ? json_loadb(got.ptr, got.len, 0, NULL)
						   : NULL;
				const char *name = json_string_value(json_object_get(tree, "name"));
				asked++;
				if (name && strcmp(name, "CallTreeRoot") == 0 &&
				    json_is_array(json_object_get(tree, "children"))) {
					if (c->verbose)
						printf("  tree  %s\n", path);
				} else if (status == 404 && no_operators(c, query)) {
					empty++;
				} else {
					bad++;
					printf("FAIL %s\n     status %ld: %.200s\n", path, status,
					       got.ptr);
				}
				json_decref(tree);
				tb_buf_free(&got);
				free(path);
				free(query);
			}
		}
	}
	printf("%s: tree asked of %d profiles with an Operator view: %d trees, %d 404 without "
	       "operators, %d wrong\n",
	       label, asked, asked - bad - empty, empty, bad);
	return bad;
}

/* Replay one set of recorded answers against tboard serving logdir.
 * Returns 0 when nothing differs. */
static int run_set(const char *label, const char *binary, const char *logdir, const char *expected,
		   int verbose)
{
	ctx c;
	memset(&c, 0, sizeof c);
	c.verbose = verbose;
	c.logdir = logdir;
	c.expected = expected;
	char *path;
	if (asprintf(&path, "%s/RUNS.json", expected) < 0)
		abort();
	json_t *runs = json_load_file(path, 0, NULL);
	free(path);
	c.known_runs = runs;
	if (asprintf(&path, "%s/ROUTES.tsv", expected) < 0)
		abort();
	FILE *f = fopen(path, "r");
	free(path);
	if (!json_is_object(runs) || !f) {
		fprintf(stderr, "%s: cannot read RUNS.json and ROUTES.tsv in %s\n", label, expected);
		json_decref(runs);
		if (f)
			fclose(f);
		return 1;
	}
	tb_spawn *srv = NULL;
	int clean = 0;
	char err[512];
	/* the runs are the first scan's: serve once it is done */
	const char *const args[] = {"--reload_task", "blocking", NULL};
	if (tb_spawn_start(&srv, &clean, binary, logdir, args, START_TIMEOUT_S, err, sizeof err) != 0) {
		fprintf(stderr, "%s: tboard did not start: %s\n", label, err);
		json_decref(runs);
		fclose(f);
		return 1;
	}
	c.port = tb_spawn_port(srv);
	c.curl = curl_easy_init();

	char line[16384];
	int header = 1;
	while (fgets(line, sizeof line, f)) {
		if (header) {
			header = 0;
			continue;
		}
		line[strcspn(line, "\r\n")] = '\0';
		char *fields[6] = {0};
		char *p = line;
		for (int i = 0; i < 6 && p; i++) {
			fields[i] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
		if (!fields[5])
			continue;
		check_row(&c, fields[1], strtol(fields[2], NULL, 10), fields[5]);
	}
	fclose(f);
	int bad_trees = check_trees(&c, label);
	int alive = tb_spawn_alive(srv);
	tb_spawn_stop(srv);
	curl_easy_cleanup(c.curl);

	printf("%s: %d answers compared, %d match, %d differ\n", label, c.compared, c.passed,
	       c.failed);
	if (c.not_impl) {
		printf("%s: %d answers not implemented:", label, c.not_impl);
		for (int i = 0; i < MAX_NOT_IMPLEMENTED && c.not_impl_list[i]; i++) {
			printf(" %s", c.not_impl_list[i]);
			free(c.not_impl_list[i]);
		}
		printf("\n");
	}
	if (c.not_run)
		printf("did not run: %d answers need traces from $TBOARD_EXTRA_CORPORA\n", c.not_run);
	if (!alive)
		printf("FAIL %s: tboard exited during the test\n", label);
	json_decref(runs);
	return c.failed || bad_trees || !alive || c.compared == 0;
}

int main(void)
{
	const char *src = getenv("TB_SOURCE_DIR"), *binary = getenv("TB_BINARY");
	const char *extra = getenv("TBOARD_EXTRA_CORPORA");
	if (!src || !binary) {
		fprintf(stderr, "TB_SOURCE_DIR and TB_BINARY must be set (run through CTest)\n");
		return 1;
	}
	int verbose = getenv("TB_PROFILE_VERBOSE") != NULL;
	char *expected, *logdir = NULL, *plugin_logdir = NULL, *plugin_expected = NULL;
	if (asprintf(&expected, "%s/tests/corpora/profile/expected", src) < 0)
		abort();
	if (extra && *extra) {
		if (asprintf(&logdir, "%s/profile/logdir", extra) < 0 ||
		    asprintf(&plugin_logdir, "%s/profile/plugin-tests/logdir", extra) < 0 ||
		    asprintf(&plugin_expected, "%s/profile/plugin-tests/expected", extra) < 0)
			abort();
		if (!is_dir(logdir)) {
			printf("profile: %s is not a folder; using the in-repo runs\n", logdir);
			free(logdir);
			logdir = NULL;
		}
	}
	int in_repo = !logdir;
	if (!logdir && asprintf(&logdir, "%s/tests/corpora/profile/logdir", src) < 0)
		abort();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	printf("profile: comparing against %s\n",
	       in_repo ? "the in-repo runs" : "the runs in $TBOARD_EXTRA_CORPORA");
	int bad = run_set("profile", binary, logdir, expected, verbose);
	/* the reference's own unit-test traces, with its answers for them */
	if (plugin_logdir && is_dir(plugin_logdir) && is_dir(plugin_expected))
		bad |= run_set("plugin-tests", binary, plugin_logdir, plugin_expected, verbose);
	else
		printf("did not run: the plugin-tests answers need $TBOARD_EXTRA_CORPORA\n");
	curl_global_cleanup();
	free(expected);
	free(logdir);
	free(plugin_logdir);
	free(plugin_expected);
	return bad ? 1 : 0;
}
