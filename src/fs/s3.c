/* Object storage backends (see s3.h): paths, credentials, the request
 * loop with its budget and back-off, ListObjectsV2 snapshots, and ranged
 * reads.
 *
 * A snapshot is the sorted list of every object below a log directory
 * (key, size, ETag). Objects cannot be appended to, so a writer that
 * "grows" a file uploads it again whole, under a new ETag; an object's
 * identity (tb_fs_stat.id) therefore survives a new ETag when the object
 * got larger, and changes when it shrank or kept its size with other
 * bytes: the loader then reads only the new tail of a grown file, and a
 * replaced one again from the start. The XML answers are parsed by
 * s3xml.h; signing is libcurl's (CURLOPT_AWS_SIGV4). */
#include "s3.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/log.h"
#include "gcs_auth.h"
#include "netlib.h"
#include "s3xml.h"

/* Bytes fetched ahead by one ranged GET when the reader asks for less. */
#define WINDOW ((size_t)8 << 20)
/* Largest answer to a listing or an error kept (XML pages are ~250 KB). */
#define MAX_XML ((size_t)16 << 20)
#define BACKOFF_FIRST_S 0.1
#define BACKOFF_CAP_S 5.0
#define CONNECT_TIMEOUT_S 10L
/* A transfer slower than 1 byte/s for this long has stalled. */
#define STALL_S 30L

typedef struct creds {
	char *key, *secret, *token, *region;
	tb_gcs_auth *oauth; /* gs:// without an HMAC key: a service account */
} creds;

typedef tb_s3xml_obj obj;

typedef struct snap {
	int gs;
	char *bucket;
	char *prefix; /* "" or ending in '/' */
	obj *v;	      /* sorted bytewise by key */
	size_t n;
	char *error;   /* the listing failed and there is no older one: why */
	int transient; /* and whether that may pass */
} snap;

static struct {
	pthread_mutex_t mu; /* guards everything below */
	int configured;
	char *s3_endpoint, *gs_endpoint; /* NULL: the providers' own */
	int anonymous;
	double rpm, retry_max_s;
	creds aws, gcs;
	snap **snaps;
	size_t n_snaps, snaps_alloc;
	uint64_t next_id;
	CURL **conns; /* idle handles; each keeps its connections alive */
	size_t n_conns, conns_alloc;
	double tokens, tokens_at; /* request budget: a bucket refilled at rpm/60 per s */
	tb_fs_s3_stats stats;	  /* atomic */
	int cancel;		  /* atomic: tb_fs_s3_cancel was called */
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .next_id = 1};

static int cancelled(void)
{
	return __atomic_load_n(&g.cancel, __ATOMIC_RELAXED);
}

/* Sleep s seconds, waking early on cancel. */
static void sleep_s(double s)
{
	for (; s > 0 && !cancelled(); s -= 0.05)
		usleep((useconds_t)(fmin(s, 0.05) * 1e6));
}

void tb_fs_s3_cancel(void)
{
	__atomic_store_n(&g.cancel, 1, __ATOMIC_RELAXED);
}

static void count(uint64_t *c, uint64_t n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

/* ---- credentials (COMPATIBILITY.md "Object storage") ------------------- */

static char *env_dup(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? tb_xstrdup(v) : NULL;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Fill the unset fields of c from section `section` of an INI file (the
 * AWS CLI's credentials and config files). */
static void read_ini(creds *c, const char *path, const char *section)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f)
		return;
	char line[1024];
	int in = 0;
	while (fgets(line, sizeof line, f)) {
		char *s = trim(line);
		if (*s == '#' || *s == ';' || !*s)
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');
			if (e)
				*e = '\0';
			s = trim(s + 1);
			if (strncmp(s, "profile ", 8) == 0)
				s = trim(s + 8);
			in = strcmp(s, section) == 0;
			continue;
		}
		char *eq = strchr(s, '=');
		if (!in || !eq)
			continue;
		*eq = '\0';
		char *k = trim(s), *v = trim(eq + 1);
		char **dst = strcmp(k, "aws_access_key_id") == 0	 ? &c->key
			     : strcmp(k, "aws_secret_access_key") == 0 ? &c->secret
			     : strcmp(k, "aws_session_token") == 0	 ? &c->token
			     : strcmp(k, "region") == 0		 ? &c->region
								 : NULL;
		if (dst && !*dst && *v)
			*dst = tb_xstrdup(v);
	}
	fclose(f);
}

static void load_aws(creds *c)
{
	c->key = env_dup("AWS_ACCESS_KEY_ID");
	c->secret = env_dup("AWS_SECRET_ACCESS_KEY");
	if (c->key && c->secret)
		c->token = env_dup("AWS_SESSION_TOKEN");
	c->region = env_dup("AWS_REGION");
	if (!c->region)
		c->region = env_dup("AWS_DEFAULT_REGION");
	const char *profile = getenv("AWS_PROFILE");
	if (!profile || !*profile)
		profile = "default";
	const char *home = getenv("HOME");
	char *cred = env_dup("AWS_SHARED_CREDENTIALS_FILE");
	char *conf = env_dup("AWS_CONFIG_FILE");
	if (!cred && home)
		cred = tb_xasprintf("%s/.aws/credentials", home);
	if (!conf && home)
		conf = tb_xasprintf("%s/.aws/config", home);
	if (!c->key || !c->secret) {
		free(c->key);
		free(c->secret);
		c->key = c->secret = NULL;
		read_ini(c, cred, profile);
		read_ini(c, conf, profile);
	} else {
		creds region_only = {0};
		read_ini(&region_only, conf, profile);
		if (!c->region)
			c->region = region_only.region;
		else
			free(region_only.region);
		free(region_only.key);
		free(region_only.secret);
		free(region_only.token);
	}
	free(cred);
	free(conf);
	if (!c->region)
		c->region = tb_xstrdup("us-east-1");
}

static void creds_free(creds *c)
{
	free(c->key);
	free(c->secret);
	free(c->token);
	free(c->region);
	tb_gcs_auth_free(c->oauth);
	memset(c, 0, sizeof *c);
}

static char *endpoint_dup(const char *e)
{
	if (!e || !*e)
		return NULL;
	size_t n = strlen(e);
	while (n && e[n - 1] == '/')
		n--;
	return tb_xstrndup(e, n);
}

static void apply_opts(const tb_fs_s3_opts *o)
{
	free(g.s3_endpoint);
	free(g.gs_endpoint);
	creds_free(&g.aws);
	creds_free(&g.gcs);
	const char *s3e = o && o->s3_endpoint ? o->s3_endpoint : getenv("AWS_ENDPOINT_URL_S3");
	if (!s3e || !*s3e)
		s3e = getenv("AWS_ENDPOINT_URL");
	g.s3_endpoint = endpoint_dup(s3e);
	g.gs_endpoint = endpoint_dup(o && o->gs_endpoint ? o->gs_endpoint
							 : "https://storage.googleapis.com");
	g.anonymous = o && o->anonymous;
	g.rpm = o ? o->requests_per_minute : 0;
	g.retry_max_s = o && o->retry_max_s > 0 ? o->retry_max_s : 60;
	g.tokens = g.rpm > 0 ? fmax(1, g.rpm / 6) : 0;
	g.tokens_at = tb_now();
	load_aws(&g.aws);
	g.gcs.key = env_dup("GS_ACCESS_KEY_ID");
	g.gcs.secret = env_dup("GS_SECRET_ACCESS_KEY");
	g.gcs.region = tb_xstrdup("auto");
	const char *sa = getenv("GOOGLE_APPLICATION_CREDENTIALS");
	if (!g.anonymous && !(g.gcs.key && g.gcs.secret) && sa && *sa) {
		char *msg;
		if (tb_gcs_auth_load(&g.gcs.oauth, &msg, sa) != 0) {
			tb_log_warn(
			    "gs://: GOOGLE_APPLICATION_CREDENTIALS: %s; requests go unsigned", msg);
			free(msg);
		}
	}
}

void tb_fs_s3_configure(const tb_fs_s3_opts *o)
{
	pthread_mutex_lock(&g.mu);
	apply_opts(o);
	g.configured = 1;
	pthread_mutex_unlock(&g.mu);
}

/* Defaults for callers that never configured (tools, tests). */
static void ensure_configured(void)
{
	pthread_mutex_lock(&g.mu);
	if (!g.configured) {
		apply_opts(NULL);
		g.configured = 1;
	}
	pthread_mutex_unlock(&g.mu);
}

static void snap_free(snap *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].key);
		free(s->v[i].etag);
	}
	free(s->v);
	free(s->bucket);
	free(s->prefix);
	free(s->error);
	free(s);
}

void tb_fs_s3_shutdown(void)
{
	pthread_mutex_lock(&g.mu);
	for (size_t i = 0; i < g.n_snaps; i++)
		snap_free(g.snaps[i]);
	free(g.snaps);
	g.snaps = NULL;
	g.n_snaps = g.snaps_alloc = 0;
	const tb_netlib_curl *cu;
	const char *why;
	if (g.n_conns && tb_netlib_curl_open(&cu, &why) == 0) /* loaded, as it made them */
		for (size_t i = 0; i < g.n_conns; i++)
			cu->easy_cleanup(g.conns[i]);
	free(g.conns);
	g.conns = NULL;
	g.n_conns = g.conns_alloc = 0;
	free(g.s3_endpoint);
	free(g.gs_endpoint);
	g.s3_endpoint = g.gs_endpoint = NULL;
	creds_free(&g.aws);
	creds_free(&g.gcs);
	g.configured = 0;
	pthread_mutex_unlock(&g.mu);
}

void tb_fs_s3_get_stats(tb_fs_s3_stats *out)
{
	out->requests = __atomic_load_n(&g.stats.requests, __ATOMIC_RELAXED);
	out->lists = __atomic_load_n(&g.stats.lists, __ATOMIC_RELAXED);
	out->gets = __atomic_load_n(&g.stats.gets, __ATOMIC_RELAXED);
	out->heads = __atomic_load_n(&g.stats.heads, __ATOMIC_RELAXED);
	out->retries = __atomic_load_n(&g.stats.retries, __ATOMIC_RELAXED);
	out->bytes = __atomic_load_n(&g.stats.bytes, __ATOMIC_RELAXED);
}

/* ---- paths and URLs ----------------------------------------------------- */

typedef struct loc {
	int gs;
	char *bucket;
	char *key; /* without leading or trailing '/' */
} loc;

static int parse_loc(loc *out, const char *path)
{
	memset(out, 0, sizeof *out);
	out->gs = strncmp(path, "gs://", 5) == 0;
	if (!out->gs && strncmp(path, "s3://", 5) != 0)
		return tb_fs_fail(0, "%s: not an s3:// or gs:// path", path);
	const char *b = path + 5, *slash = strchr(b, '/');
	size_t bn = slash ? (size_t)(slash - b) : strlen(b);
	if (bn == 0)
		return tb_fs_fail(0, "%s: no bucket name", path);
	out->bucket = tb_xstrndup(b, bn);
	const char *k = slash ? slash : b + bn;
	while (*k == '/')
		k++;
	size_t kn = strlen(k);
	while (kn && k[kn - 1] == '/')
		kn--;
	out->key = tb_xstrndup(k, kn);
	return 0;
}

static void loc_free(loc *l)
{
	free(l->bucket);
	free(l->key);
}

/* Percent-encode s as SigV4 wants it: unreserved bytes stay, and '/' too
 * when keep_slash (paths; query values encode it). */
static void put_enc(tb_buf *b, const char *s, int keep_slash)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
		    (keep_slash && *p == '/'))
			tb_buf_putc(b, (char)*p);
		else
			tb_buf_printf(b, "%%%02X", *p);
	}
}

/* The URL of the bucket's root, ending in '/': path-style on a custom
 * endpoint and on GCS, virtual-hosted on AWS. */
static void put_bucket_url(tb_buf *b, const loc *l)
{
	if (l->gs) {
		tb_buf_printf(b, "%s/%s/", g.gs_endpoint, l->bucket);
	} else if (g.s3_endpoint) {
		tb_buf_printf(b, "%s/%s/", g.s3_endpoint, l->bucket);
	} else if (strchr(l->bucket, '.')) {
		tb_buf_printf(b, "https://s3.%s.amazonaws.com/%s/", g.aws.region, l->bucket);
	} else {
		tb_buf_printf(b, "https://%s.s3.%s.amazonaws.com/", l->bucket, g.aws.region);
	}
}

static char *object_url(const loc *l, const char *key)
{
	tb_buf b = TB_BUF_INIT;
	put_bucket_url(&b, l);
	put_enc(&b, key, 1);
	return tb_buf_detach(&b);
}

/* ---- requests ----------------------------------------------------------- */

typedef struct req {
	int gs;
	const char *method; /* "GET" or "HEAD" */
	char *url;
	const char *if_match; /* ETag the object must still have, or NULL */
	uint64_t off, len;    /* Range when len > 0 */
	tb_buf body;
	size_t body_max;
	/* from the last answer: */
	long status;
	uint64_t length; /* Content-Length */
	char etag[128];
	double retry_after; /* seconds, 0 when not said */
	char *bearer;	    /* gs:// OAuth access token, or NULL */
} req;

static size_t on_body(char *p, size_t sz, size_t n, void *payload)
{
	req *q = payload;
	size_t len = sz * n;
	if (q->body.len + len > q->body_max)
		return 0; /* more than asked for: fail the transfer */
	tb_buf_append(&q->body, p, len);
	return len;
}

static size_t on_header(char *p, size_t sz, size_t n, void *payload)
{
	req *q = payload;
	size_t len = sz * n;
	char line[256];
	size_t k = len < sizeof line - 1 ? len : sizeof line - 1;
	memcpy(line, p, k);
	line[k] = '\0';
	char *colon = strchr(line, ':');
	if (!colon)
		return len;
	*colon = '\0';
	char *v = trim(colon + 1);
	if (strcasecmp(line, "ETag") == 0)
		snprintf(q->etag, sizeof q->etag, "%s", v);
	else if (strcasecmp(line, "Content-Length") == 0)
		q->length = strtoull(v, NULL, 10);
	else if (strcasecmp(line, "Retry-After") == 0)
		q->retry_after = atof(v);
	return len;
}

static CURL *conn_take(const tb_netlib_curl *cu)
{
	CURL *c = NULL;
	pthread_mutex_lock(&g.mu);
	if (g.n_conns)
		c = g.conns[--g.n_conns];
	pthread_mutex_unlock(&g.mu);
	if (c)
		cu->easy_reset(c); /* keeps its live connections */
	else
		c = cu->easy_init();
	return c;
}

static void conn_give(CURL *c)
{
	pthread_mutex_lock(&g.mu);
	g.conns = tb_xgrow(g.conns, &g.conns_alloc, g.n_conns + 1, sizeof *g.conns);
	g.conns[g.n_conns++] = c;
	pthread_mutex_unlock(&g.mu);
}

/* Wait for the budget to allow one more request. Returns nonzero when
 * cancelled instead. */
static int budget_take(void)
{
	for (;;) {
		if (cancelled())
			return -1;
		pthread_mutex_lock(&g.mu);
		if (g.rpm <= 0) {
			pthread_mutex_unlock(&g.mu);
			return 0;
		}
		double now = tb_now(), rate = g.rpm / 60;
		g.tokens = fmin(fmax(1, g.rpm / 6), g.tokens + (now - g.tokens_at) * rate);
		g.tokens_at = now;
		double wait = g.tokens >= 1 ? 0 : (1 - g.tokens) / rate;
		if (wait == 0)
			g.tokens -= 1;
		pthread_mutex_unlock(&g.mu);
		if (wait == 0)
			return 0;
		sleep_s(fmin(wait, 1));
	}
}

static int curl_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

static int status_transient(long s)
{
	return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

static int on_progress(void *payload, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)payload, (void)dt, (void)dn, (void)ut, (void)un;
	return cancelled(); /* nonzero aborts the transfer */
}

/* One attempt. Returns the curl code; q->status is the HTTP status. */
static CURLcode attempt(const tb_netlib_curl *cu, CURL *c, req *q, char *errbuf)
{
	const creds *cr = q->gs ? &g.gcs : &g.aws;
	struct curl_slist *h = NULL;
	char line[2200];
	cu->easy_setopt(c, CURLOPT_URL, q->url);
	cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	cu->easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	cu->easy_setopt(c, CURLOPT_LOW_SPEED_TIME, STALL_S);
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	cu->easy_setopt(c, CURLOPT_WRITEDATA, q);
	cu->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	cu->easy_setopt(c, CURLOPT_HEADERDATA, q);
	cu->easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	cu->easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	if (strcmp(q->method, "HEAD") == 0)
		cu->easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (!g.anonymous && cr->key && cr->secret) {
		snprintf(line, sizeof line, "aws:amz:%s:s3", cr->region);
		cu->easy_setopt(c, CURLOPT_AWS_SIGV4, line);
		cu->easy_setopt(c, CURLOPT_USERNAME, cr->key);
		cu->easy_setopt(c, CURLOPT_PASSWORD, cr->secret);
		/* the SHA-256 of an empty body, which S3 wants said */
		h = cu->slist_append(h, "x-amz-content-sha256: "
					 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
		if (cr->token) {
			snprintf(line, sizeof line, "x-amz-security-token: %s", cr->token);
			h = cu->slist_append(h, line);
		}
	}
	if (q->bearer) {
		tb_buf auth = TB_BUF_INIT;
		tb_buf_printf(&auth, "Authorization: Bearer %s", q->bearer);
		h = cu->slist_append(h, auth.ptr);
		tb_buf_free(&auth);
	}
	if (q->if_match) {
		snprintf(line, sizeof line, "If-Match: %s", q->if_match);
		h = cu->slist_append(h, line);
	}
	if (q->len) {
		snprintf(line, sizeof line, "%llu-%llu", (unsigned long long)q->off,
			 (unsigned long long)(q->off + q->len - 1));
		cu->easy_setopt(c, CURLOPT_RANGE, line);
	}
	cu->easy_setopt(c, CURLOPT_HTTPHEADER, h);
	q->status = 0;
	q->etag[0] = '\0';
	q->length = 0;
	q->retry_after = 0;
	errbuf[0] = '\0';
	if (budget_take()) {
		cu->easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
		cu->slist_free_all(h);
		return CURLE_ABORTED_BY_CALLBACK;
	}
	count(&g.stats.requests, 1);
	size_t before = q->body.len;
	CURLcode rc = cu->easy_perform(c);
	count(&g.stats.bytes, q->body.len - before);
	cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &q->status);
	cu->easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	cu->slist_free_all(h);
	return rc;
}

/* Run q until it has an answer that is not a passing failure, retrying
 * with back-off for up to retry_max_s. A ranged GET cut off midway keeps
 * what it got and asks for the rest. Returns 0 (q->status tells the
 * answer) or TB_EIO (transient) when the store stayed unreachable. */
static int perform(req *q, const char *path)
{
	const tb_netlib_curl *cu;
	const char *why;
	if (tb_netlib_curl_open(&cu, &why) != 0)
		return tb_fs_fail(0, "%s: %s", path, why);
	CURL *c = conn_take(cu);
	if (!c)
		return tb_fs_fail(1, "%s: cannot start a request", path);
	char errbuf[CURL_ERROR_SIZE];
	double start = tb_now(), delay = BACKOFF_FIRST_S;
	int rc = 0;
	if (q->gs && g.gcs.oauth && tb_gcs_auth_token(&q->bearer, g.gcs.oauth) != 0) {
		conn_give(c);
		return TB_EIO;
	}
	uint64_t off0 = q->off, len0 = q->len;
	for (;;) {
		size_t kept = q->body.len;
		CURLcode cc = attempt(cu, c, q, errbuf);
		if (cc == CURLE_OK && !status_transient(q->status))
			break;
		int resumable = q->len && q->status == 206;
		if (!resumable || cc == CURLE_OK)
			q->body.len = kept; /* an error page or a cut answer: drop it */
		if (cc == CURLE_ABORTED_BY_CALLBACK) {
			rc = tb_fs_fail(1, "%s: stopped (shutting down)", path);
			break;
		}
		if (cc != CURLE_OK && !curl_transient(cc)) {
			rc = tb_fs_fail(1, "%s: %s", path, *errbuf ? errbuf : cu->easy_strerror(cc));
			break;
		}
		double wait = q->retry_after > 0 ? fmin(q->retry_after, 30) : delay;
		if (tb_now() + wait - start > g.retry_max_s) {
			if (cc != CURLE_OK)
				rc = tb_fs_fail(1, "%s: %s (retried for %.0f s)", path,
						*errbuf ? errbuf : cu->easy_strerror(cc),
						tb_now() - start);
			else
				rc = tb_fs_fail(1, "%s: the store answered %ld (retried for %.0f s)",
						path, q->status, tb_now() - start);
			break;
		}
		/* jitter, so that workers throttled together do not return together */
		sleep_s(wait * (0.5 + (double)rand() / RAND_MAX / 2));
		delay = fmin(delay * 2, BACKOFF_CAP_S);
		count(&g.stats.retries, 1);
		if (len0) { /* ask for what is still missing */
			uint64_t got = q->body.len;
			q->off = off0 + got;
			q->len = len0 - got;
		}
	}
	q->off = off0;
	q->len = len0;
	free(q->bearer);
	q->bearer = NULL;
	conn_give(c);
	return rc;
}

/* Say why the store refused q, from its XML error if it sent one.
 * Returns TB_ENOTFOUND for a missing key, else TB_EIO. */
static int answer_error(req *q, const char *path)
{
	tb_s3xml x = {0};
	int parsed = q->body.len && tb_s3xml_parse(&x, q->body.ptr, q->body.len) == 0;
	const char *code = parsed && x.code ? x.code : "", *msg = parsed && x.message ? x.message : "";
	int rc;
	if (q->status == 404 && strcmp(code, "NoSuchBucket") != 0) {
		tb_fs_fail(0, "%s: not found", path);
		rc = TB_ENOTFOUND;
	} else if (q->status == 403 || q->status == 401) {
		rc = tb_fs_fail(0, "%s: access denied by the store (%ld %s%s%s)", path, q->status,
				*code ? code : "Forbidden", *msg ? ": " : "", msg);
	} else {
		rc = tb_fs_fail(status_transient(q->status), "%s: the store answered %ld%s%s%s%s",
				path, q->status, *code ? " " : "", code, *msg ? ": " : "", msg);
	}
	tb_s3xml_release(&x);
	return rc;
}

/* ---- snapshots ----------------------------------------------------------- */

static int cmp_obj(const void *a, const void *b)
{
	return strcmp(((const obj *)a)->key, ((const obj *)b)->key);
}

/* Index of the first object whose key is >= k. */
static size_t lower_bound(const snap *s, const char *k)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(s->v[mid].key, k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Every object below l's key, paged. Returns 0, TB_EIO, TB_ENOTFOUND. */
static int list_all(snap *out, const loc *l, const char *path)
{
	out->prefix = *l->key ? tb_xasprintf("%s/", l->key) : tb_xstrdup("");
	size_t alloc = 0;
	char *token = NULL;
	int rc = 0;
	do {
		tb_buf u = TB_BUF_INIT;
		put_bucket_url(&u, l);
		tb_buf_putc(&u, '?'); /* parameters in SigV4's canonical order */
		if (token) {
			tb_buf_puts(&u, "continuation-token=");
			put_enc(&u, token, 0);
			tb_buf_putc(&u, '&');
		}
		tb_buf_puts(&u, "list-type=2&prefix=");
		put_enc(&u, out->prefix, 0);
		req q = {.gs = l->gs, .method = "GET", .url = tb_buf_detach(&u), .body_max = MAX_XML};
		rc = perform(&q, path);
		count(&g.stats.lists, 1);
		tb_s3xml x;
		int parsed = 0;
		if (!rc && q.status != 200) {
			rc = answer_error(&q, path);
			if (rc == TB_ENOTFOUND)
				rc = tb_fs_fail(0, "%s: no such bucket", path);
		} else if (!rc && tb_s3xml_parse(&x, q.body.ptr, q.body.len) != 0) {
			tb_s3xml_release(&x);
			rc = tb_fs_fail(
			    1, "%s: the store's listing is not a valid ListObjectsV2 answer", path);
		} else if (!rc) {
			parsed = 1;
		}
		free(q.url);
		tb_buf_free(&q.body);
		free(token);
		token = NULL;
		if (!parsed)
			break;
		out->v = tb_xgrow(out->v, &alloc, out->n + x.n + 1, sizeof *out->v);
		memcpy(out->v + out->n, x.v, x.n * sizeof *x.v);
		out->n += x.n;
		x.n = 0;
		if (x.truncated && x.next_token && *x.next_token) {
			token = x.next_token;
			x.next_token = NULL;
		}
		tb_s3xml_release(&x);
	} while (token);
	if (out->n)
		qsort(out->v, out->n, sizeof *out->v, cmp_obj);
	return rc;
}

static snap *find_snap_locked(const loc *l, const char *prefix)
{
	for (size_t i = 0; i < g.n_snaps; i++) {
		snap *s = g.snaps[i];
		if (s->gs == l->gs && strcmp(s->bucket, l->bucket) == 0 &&
		    strcmp(s->prefix, prefix) == 0)
			return s;
	}
	return NULL;
}

/* Give the new snapshot's objects identities: an object keeps its old one
 * when its ETag is the same or it grew (a rewrite that appended), and gets
 * a new one when it shrank or was rewritten at the same size. */
static void carry_ids_locked(snap *nw, const snap *old)
{
	for (size_t i = 0; i < nw->n; i++) {
		obj *o = &nw->v[i];
		size_t j = old ? lower_bound(old, o->key) : 0;
		const obj *p = old && j < old->n && strcmp(old->v[j].key, o->key) == 0 ? &old->v[j]
										 : NULL;
		if (p && (strcmp(p->etag, o->etag) == 0 || o->size > p->size))
			o->id = p->id;
		else
			o->id = g.next_id++;
	}
}

static int snapshot_loc(const loc *l, const char *path)
{
	snap *s = tb_xcalloc(1, sizeof *s);
	s->gs = l->gs;
	s->bucket = tb_xstrdup(l->bucket);
	int rc = list_all(s, l, path);
	pthread_mutex_lock(&g.mu);
	snap *old = find_snap_locked(l, s->prefix);
	if (rc && old && !old->error) { /* keep answering from the last good one */
		pthread_mutex_unlock(&g.mu);
		snap_free(s);
		return rc;
	}
	if (rc) { /* remember why, so that stat and list say it without asking */
		for (size_t i = 0; i < s->n; i++) {
			free(s->v[i].key);
			free(s->v[i].etag);
		}
		s->n = 0;
		s->error = tb_xstrdup(tb_fs_errmsg());
		s->transient = tb_fs_transient();
	}
	carry_ids_locked(s, old);
	if (old) {
		for (size_t i = 0; i < g.n_snaps; i++)
			if (g.snaps[i] == old)
				g.snaps[i] = s;
	} else {
		g.snaps = tb_xgrow(g.snaps, &g.snaps_alloc, g.n_snaps + 1, sizeof *g.snaps);
		g.snaps[g.n_snaps++] = s;
	}
	pthread_mutex_unlock(&g.mu);
	snap_free(old);
	return rc;
}

static int s3_snapshot(const char *root)
{
	ensure_configured();
	loc l;
	int rc = parse_loc(&l, root);
	if (rc)
		return rc;
	rc = snapshot_loc(&l, root);
	loc_free(&l);
	return rc;
}

/* The snapshot that covers key (the deepest one), or NULL. Caller holds
 * g.mu. */
static snap *covering_locked(const loc *l)
{
	snap *best = NULL;
	size_t kn = strlen(l->key);
	for (size_t i = 0; i < g.n_snaps; i++) {
		snap *s = g.snaps[i];
		size_t pn = strlen(s->prefix);
		if (s->gs != l->gs || strcmp(s->bucket, l->bucket) != 0)
			continue;
		int covers = pn == 0 || (strncmp(l->key, s->prefix, pn) == 0) ||
			     (kn + 1 == pn && strncmp(l->key, s->prefix, kn) == 0);
		if (covers && (!best || pn > strlen(best->prefix)))
			best = s;
	}
	return best;
}

static uint64_t dir_id(const loc *l)
{
	uint64_t h = tb_hash_bytes(TB_HASH_SEED, l->bucket, strlen(l->bucket));
	return tb_hash_bytes(h, l->key, strlen(l->key)) | 1;
}

/* stat from a snapshot. Caller holds g.mu. */
static int stat_in_locked(tb_fs_stat *out, const snap *s, const loc *l, obj *copy)
{
	memset(out, 0, sizeof *out);
	if (!*l->key) {
		out->type = TB_FS_DIR;
		out->id = dir_id(l);
		return 0;
	}
	size_t i = lower_bound(s, l->key);
	if (i < s->n && strcmp(s->v[i].key, l->key) == 0) {
		out->type = TB_FS_REG;
		out->size = s->v[i].size;
		out->id = s->v[i].id;
		if (copy) {
			copy->size = s->v[i].size;
			copy->etag = tb_xstrdup(s->v[i].etag);
		}
		return 0;
	}
	char *dir = tb_xasprintf("%s/", l->key);
	size_t j = lower_bound(s, dir);
	int is_dir = j < s->n && has_prefix(s->v[j].key, dir);
	free(dir);
	if (!is_dir)
		return TB_ENOTFOUND;
	out->type = TB_FS_DIR;
	out->id = dir_id(l);
	return 0;
}

static int cmp_dirent(const void *a, const void *b)
{
	return strcmp(((const tb_fs_dirent *)a)->name, ((const tb_fs_dirent *)b)->name);
}

static int s3_list(tb_fs_dirent **out, size_t *n, const char *dir)
{
	*out = NULL;
	*n = 0;
	ensure_configured();
	loc l;
	int rc = parse_loc(&l, dir);
	if (rc)
		return rc;
	pthread_mutex_lock(&g.mu);
	int covered = covering_locked(&l) != NULL;
	pthread_mutex_unlock(&g.mu);
	if (!covered && (rc = snapshot_loc(&l, dir)) != 0)
		goto out;
	pthread_mutex_lock(&g.mu);
	snap *s = covering_locked(&l);
	if (s && s->error) {
		rc = tb_fs_fail(s->transient, "%s", s->error);
		pthread_mutex_unlock(&g.mu);
		goto out;
	}
	char *pre = *l.key ? tb_xasprintf("%s/", l.key) : tb_xstrdup("");
	size_t pn = strlen(pre), len = 0, alloc = 0;
	tb_fs_dirent *v = NULL;
	for (size_t i = s ? lower_bound(s, pre) : 0; s && i < s->n && has_prefix(s->v[i].key, pre);
	     i++) {
		const char *rest = s->v[i].key + pn, *slash = strchr(rest, '/');
		if (!*rest || slash == rest)
			continue; /* a folder marker, or an empty path component */
		size_t nn = slash ? (size_t)(slash - rest) : strlen(rest);
		if (slash && len && v[len - 1].st.type == TB_FS_DIR &&
		    strlen(v[len - 1].name) == nn && memcmp(v[len - 1].name, rest, nn) == 0)
			continue; /* the same folder as the object before */
		v = tb_xgrow(v, &alloc, len + 1, sizeof *v);
		tb_fs_dirent *de = &v[len++];
		memset(de, 0, sizeof *de);
		de->name = tb_xstrndup(rest, nn);
		if (slash) {
			de->st.type = TB_FS_DIR;
			char *sub = tb_xstrndup(s->v[i].key, pn + nn);
			loc sl = {l.gs, l.bucket, sub};
			de->st.id = dir_id(&sl);
			free(sub);
		} else {
			de->st.type = TB_FS_REG;
			de->st.size = s->v[i].size;
			de->st.id = s->v[i].id;
		}
	}
	pthread_mutex_unlock(&g.mu);
	free(pre);
	if (len)
		qsort(v, len, sizeof *v, cmp_dirent);
	*out = v;
	*n = len;
out:
	loc_free(&l);
	return rc;
}

/* stat of a path no snapshot covers: HEAD, then a one-object listing to
 * tell a folder from nothing. */
static int stat_uncovered(tb_fs_stat *out, const loc *l, const char *path, obj *copy)
{
	memset(out, 0, sizeof *out);
	req q = {.gs = l->gs, .method = "HEAD", .url = object_url(l, l->key), .body_max = 0};
	int rc = *l->key ? perform(&q, path) : 0;
	count(&g.stats.heads, *l->key ? 1 : 0);
	if (!rc && *l->key && q.status == 200) {
		out->type = TB_FS_REG;
		out->size = q.length;
		out->id = tb_hash_bytes(TB_HASH_SEED, q.etag, strlen(q.etag)) | 1;
		if (copy) {
			copy->size = q.length;
			copy->etag = tb_xstrdup(q.etag);
		}
	} else if (!rc && *l->key && q.status != 404) {
		rc = answer_error(&q, path);
	} else if (!rc) {
		/* a folder is a prefix: list it (this also serves what follows) */
		rc = snapshot_loc(l, path);
		if (!rc) {
			pthread_mutex_lock(&g.mu);
			snap *s = covering_locked(l);
			rc = s ? stat_in_locked(out, s, l, NULL) : TB_ENOTFOUND;
			pthread_mutex_unlock(&g.mu);
		}
		if (rc == TB_ENOTFOUND)
			tb_fs_fail(0, "%s: not found", path);
	}
	free(q.url);
	tb_buf_free(&q.body);
	return rc;
}

static int stat_loc(tb_fs_stat *out, const loc *l, const char *path, obj *copy)
{
	pthread_mutex_lock(&g.mu);
	snap *s = covering_locked(l);
	int rc = s && s->error ? tb_fs_fail(s->transient, "%s", s->error)
	    : s		       ? stat_in_locked(out, s, l, copy)
				: 0;
	pthread_mutex_unlock(&g.mu);
	if (!s)
		return stat_uncovered(out, l, path, copy);
	if (rc == TB_ENOTFOUND)
		tb_fs_fail(0, "%s: not found", path);
	return rc;
}

static int s3_stat(tb_fs_stat *out, const char *path)
{
	ensure_configured();
	loc l;
	int rc = parse_loc(&l, path);
	if (rc)
		return rc;
	rc = stat_loc(out, &l, path, NULL);
	loc_free(&l);
	return rc;
}

/* ---- reading -------------------------------------------------------------- */

struct tb_fs_file {
	const tb_fs_ops *ops; /* first, as in every backend's file */
	loc l;
	char *path;
	char *url;
	char *etag;
	tb_fs_stat st;
	uint8_t *win; /* bytes [win_off, win_off + win_len) of the object */
	uint64_t win_off;
	size_t win_len;
};

static int s3_open(tb_fs_file **out, const char *path)
{
	ensure_configured();
	tb_fs_file *f = tb_xcalloc(1, sizeof *f);
	f->ops = strncmp(path, "gs://", 5) == 0 ? &tb_fs_gs : &tb_fs_s3;
	int rc = parse_loc(&f->l, path);
	obj copy = {0};
	if (!rc)
		rc = stat_loc(&f->st, &f->l, path, &copy);
	if (!rc && f->st.type != TB_FS_REG)
		rc = tb_fs_fail(0, "%s: not a file", path);
	if (rc) {
		free(copy.etag);
		loc_free(&f->l);
		free(f);
		return rc;
	}
	f->etag = copy.etag;
	f->path = tb_xstrdup(path);
	f->url = object_url(&f->l, f->l.key);
	*out = f;
	return 0;
}

static int64_t s3_read(tb_fs_file *f, void *buf, size_t n, uint64_t off)
{
	if (off >= f->st.size || n == 0)
		return 0;
	if (!f->win || off < f->win_off || off >= f->win_off + f->win_len) {
		free(f->win);
		f->win = NULL;
		uint64_t want = n > WINDOW ? n : WINDOW;
		if (want > f->st.size - off)
			want = f->st.size - off;
		req q = {.gs = f->l.gs,
			 .method = "GET",
			 .url = f->url,
			 .if_match = f->etag && *f->etag ? f->etag : NULL,
			 .off = off,
			 .len = want,
			 .body_max = (size_t)want};
		int rc = perform(&q, f->path);
		count(&g.stats.gets, 1);
		if (!rc && q.status == 412)
			rc = tb_fs_fail(1, "%s: changed while being read; read again next time",
					f->path);
		else if (!rc && q.status == 416)
			rc = tb_fs_fail(1, "%s: shorter than listed; read again next time",
					f->path);
		else if (!rc && q.status != 206 && q.status != 200)
			rc = answer_error(&q, f->path);
		else if (!rc && q.body.len == 0)
			rc = tb_fs_fail(1, "%s: the store sent no bytes", f->path);
		if (rc) {
			tb_buf_free(&q.body);
			return TB_EIO;
		}
		/* a store that ignores Range sends the whole object from 0 */
		if (q.status == 200 && off > 0) {
			if (q.body.len <= off) {
				tb_buf_free(&q.body);
				return 0;
			}
			memmove(q.body.ptr, q.body.ptr + off, q.body.len - off);
			q.body.len -= off;
		}
		f->win_len = q.body.len;
		f->win_off = off;
		f->win = (uint8_t *)tb_buf_detach(&q.body);
	}
	size_t at = (size_t)(off - f->win_off), k = f->win_len - at;
	if (k > n)
		k = n;
	memcpy(buf, f->win + at, k);
	if (at + k == f->win_len) { /* read through: nothing to keep */
		free(f->win);
		f->win = NULL;
	}
	return (int64_t)k;
}

static int s3_fstat(tb_fs_stat *out, tb_fs_file *f)
{
	*out = f->st;
	return 0;
}

static void s3_close(tb_fs_file *f)
{
	loc_free(&f->l);
	free(f->path);
	free(f->url);
	free(f->etag);
	free(f->win);
	free(f);
}

/* S3 and Google Cloud Storage (its XML API speaks S3) share every
 * operation; only the scheme differs. */
#define S3_OPS(sch)                                                                              \
	{                                                                                        \
		.scheme = sch, .list = s3_list, .stat = s3_stat, .open = s3_open,                \
		.read = s3_read, .fstat = s3_fstat, .close = s3_close, .watch_new = NULL,        \
		.snapshot = s3_snapshot,                                                         \
	}

const tb_fs_ops tb_fs_s3 = S3_OPS("s3");
const tb_fs_ops tb_fs_gs = S3_OPS("gs");
