/* Service account OAuth for gs:// (see gcs_auth.h). The JWT is built and
 * signed by libjwt (OpenSSL underneath); the exchange is one form POST
 * over libcurl (RFC 7523, grant type jwt-bearer), its answer read with
 * jansson. */
#include "gcs_auth.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "fs.h"
#include "netlib.h"

/* A token is renewed this long before it expires. */
#define EARLY_S 300
#define TOKEN_LIFETIME_S 3600
#define EXCHANGE_TIMEOUT_S 30L
#define MAX_ANSWER ((size_t)1 << 20)

struct tb_gcs_auth {
	char *email, *token_uri;
	char *key;	    /* the private key, PEM */
	pthread_mutex_t mu; /* guards token and expires */
	char *token;
	time_t expires;
};

static char *json_str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v && *v ? tb_xstrdup(v) : NULL;
}

/* The signed JWT asking for a token from now on (the caller frees it
 * with free()), or NULL when the key cannot sign. */
static char *make_jwt(const tb_netlib_jwt *jw, const tb_gcs_auth *a, time_t now)
{
	jwt_t *j = NULL;
	char *out = NULL;
	if (jw->create(&j) == 0 && jw->add_grant(j, "iss", a->email) == 0 &&
	    jw->add_grant(j, "scope", TB_GCS_AUTH_SCOPE) == 0 &&
	    jw->add_grant(j, "aud", a->token_uri) == 0 &&
	    jw->add_grant_int(j, "iat", (long)now) == 0 &&
	    jw->add_grant_int(j, "exp", (long)(now + TOKEN_LIFETIME_S)) == 0 &&
	    jw->set_alg(j, JWT_ALG_RS256, (const unsigned char *)a->key, (int)strlen(a->key)) == 0)
		out = jw->encode_str(j);
	jw->destroy(j);
	return out;
}

int tb_gcs_auth_load(tb_gcs_auth **out, char **msg, const char *path)
{
	*out = NULL;
	*msg = NULL;
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	char *pem = NULL;
	int rc = 0;
	if (!root) {
		*msg = tb_xasprintf("%s: %s", path, je.text);
		rc = json_error_code(&je) == json_error_cannot_open_file ? TB_ENOTFOUND : TB_EINVAL;
		goto out;
	}
	tb_gcs_auth *a = tb_xcalloc(1, sizeof *a);
	pthread_mutex_init(&a->mu, NULL);
	a->email = json_str(root, "client_email");
	a->token_uri = json_str(root, "token_uri");
	pem = json_str(root, "private_key");
	const char *type = json_string_value(json_object_get(root, "type"));
	if (!type || strcmp(type, "service_account") != 0 || !a->email || !a->token_uri || !pem) {
		*msg = tb_xasprintf("%s: not a service account key (type \"service_account\" with "
				    "client_email, private_key and token_uri)",
				    path);
		rc = TB_EINVAL;
	} else {
		a->key = pem;
		pem = NULL;
		const tb_netlib_jwt *jw;
		const char *why;
		char *probe = NULL;
		if (tb_netlib_jwt_open(&jw, &why) != 0) {
			*msg = tb_xasprintf("%s: %s", path, why);
			rc = TB_ENOTFOUND;
		} else if (!(probe = make_jwt(jw, a, time(NULL)))) {
			*msg = tb_xasprintf(
			    "%s: the private_key cannot sign (not an RSA key in PEM?)", path);
			rc = TB_EINVAL;
		}
		free(probe);
	}
	if (rc)
		tb_gcs_auth_free(a);
	else
		*out = a;
out:
	free(pem);
	json_decref(root);
	return rc;
}

void tb_gcs_auth_free(tb_gcs_auth *a)
{
	if (!a)
		return;
	free(a->key);
	free(a->email);
	free(a->token_uri);
	free(a->token);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

static size_t on_answer(char *p, size_t sz, size_t n, void *payload)
{
	tb_buf *b = payload;
	if (b->len + sz * n > MAX_ANSWER)
		return 0;
	tb_buf_append(b, p, sz * n);
	return sz * n;
}

/* Trade a fresh JWT for a token. Caller holds a->mu. */
static int exchange(tb_gcs_auth *a)
{
	time_t now = time(NULL);
	tb_buf form = TB_BUF_INIT, answer = TB_BUF_INIT;
	const tb_netlib_curl *cu;
	const tb_netlib_jwt *jw;
	const char *why;
	CURL *c = NULL;
	char *jwt = NULL;
	json_t *j = NULL;
	int rc = 0;
	if (tb_netlib_curl_open(&cu, &why) != 0 || tb_netlib_jwt_open(&jw, &why) != 0) {
		rc = tb_fs_fail(0, "gs://: %s", why);
		goto out;
	}
	c = cu->easy_init();
	jwt = make_jwt(jw, a, now);
	if (!c || !jwt) {
		rc = tb_fs_fail(1, "gs://: cannot sign the service account's token request");
		goto out;
	}
	tb_buf_puts(&form, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
			   "&assertion=");
	tb_buf_puts(&form, jwt); /* base64url needs no escaping */
	tb_buf_putc(&form, '\0');
	char errbuf[CURL_ERROR_SIZE] = "";
	cu->easy_setopt(c, CURLOPT_URL, a->token_uri);
	cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https"); /* the file names it */
	cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	cu->easy_setopt(c, CURLOPT_TIMEOUT, EXCHANGE_TIMEOUT_S);
	cu->easy_setopt(c, CURLOPT_POSTFIELDS, form.ptr);
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_answer);
	cu->easy_setopt(c, CURLOPT_WRITEDATA, &answer);
	CURLcode cc = cu->easy_perform(c);
	long status = 0;
	cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK) {
		rc = tb_fs_fail(1, "gs://: token request to %s: %s", a->token_uri,
				*errbuf ? errbuf : cu->easy_strerror(cc));
		goto out;
	}
	tb_buf_putc(&answer, '\0');
	j = json_loads(answer.ptr, 0, NULL);
	const char *token = json_string_value(json_object_get(j, "access_token"));
	if (status != 200 || !token || !*token) {
		const char *why = json_string_value(json_object_get(j, "error_description"));
		if (!why)
			why = json_string_value(json_object_get(j, "error"));
		rc = tb_fs_fail(status >= 500 || status == 429,
				"gs://: %s refused the service account %s (%ld%s%s)", a->token_uri,
				a->email, status, why ? ": " : "", why ? why : "");
		goto out;
	}
	json_int_t life = json_integer_value(json_object_get(j, "expires_in"));
	free(a->token);
	a->token = tb_xstrdup(token);
	a->expires = now + (life > 0 ? (time_t)life : TOKEN_LIFETIME_S);
out:
	json_decref(j);
	if (c)
		cu->easy_cleanup(c);
	free(jwt);
	tb_buf_free(&form);
	tb_buf_free(&answer);
	return rc;
}

int tb_gcs_auth_token(char **out, tb_gcs_auth *a)
{
	*out = NULL;
	pthread_mutex_lock(&a->mu);
	int rc = 0;
	if (!a->token || time(NULL) + EARLY_S >= a->expires) {
		rc = exchange(a);
		if (rc && a->token && time(NULL) < a->expires)
			rc = 0; /* the old one still works meanwhile */
	}
	if (!rc)
		*out = tb_xstrdup(a->token);
	pthread_mutex_unlock(&a->mu);
	return rc;
}
