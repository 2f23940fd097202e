/* dlopen of libcurl, libjwt and libmicrohttpd (see netlib.h). Each library
 * is opened at most once, under pthread_once, and never closed: its
 * functions stay valid for every connection and token cached until exit.
 * A failure is kept too, as the message every later caller gets. */
#include "netlib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"

typedef struct fn {
	const char *name;
	size_t off; /* of its pointer in the table */
} fn;

typedef struct lib {
	pthread_once_t once;
	const char *soname;
	const fn *fns;
	size_t n_fns;
	void *table;
	int rc; /* 0, or TB_ENOTFOUND with msg */
	char msg[512];
} lib;

#define FN(type, name, field)                                                                      \
	{                                                                                          \
		name, offsetof(type, field)                                                        \
	}

static const fn curl_fns[] = {
    FN(tb_netlib_curl, "curl_global_init", global_init),
    FN(tb_netlib_curl, "curl_easy_init", easy_init),
    FN(tb_netlib_curl, "curl_easy_setopt", easy_setopt),
    FN(tb_netlib_curl, "curl_easy_perform", easy_perform),
    FN(tb_netlib_curl, "curl_easy_getinfo", easy_getinfo),
    FN(tb_netlib_curl, "curl_easy_reset", easy_reset),
    FN(tb_netlib_curl, "curl_easy_cleanup", easy_cleanup),
    FN(tb_netlib_curl, "curl_easy_strerror", easy_strerror),
    FN(tb_netlib_curl, "curl_slist_append", slist_append),
    FN(tb_netlib_curl, "curl_slist_free_all", slist_free_all),
};
static const fn jwt_fns[] = {
    FN(tb_netlib_jwt, "jwt_new", create),
    FN(tb_netlib_jwt, "jwt_add_grant", add_grant),
    FN(tb_netlib_jwt, "jwt_add_grant_int", add_grant_int),
    FN(tb_netlib_jwt, "jwt_set_alg", set_alg),
    FN(tb_netlib_jwt, "jwt_encode_str", encode_str),
    FN(tb_netlib_jwt, "jwt_free", destroy),
};

static const fn mhd_fns[] = {
    FN(tb_netlib_mhd, "MHD_start_daemon", start_daemon),
    FN(tb_netlib_mhd, "MHD_stop_daemon", stop_daemon),
    FN(tb_netlib_mhd, "MHD_get_daemon_info", get_daemon_info),
    FN(tb_netlib_mhd, "MHD_get_connection_info", get_connection_info),
    FN(tb_netlib_mhd, "MHD_lookup_connection_value", lookup_connection_value),
    FN(tb_netlib_mhd, "MHD_suspend_connection", suspend_connection),
    FN(tb_netlib_mhd, "MHD_resume_connection", resume_connection),
    FN(tb_netlib_mhd, "MHD_create_response_from_buffer", create_response_from_buffer),
    FN(tb_netlib_mhd, "MHD_create_response_from_callback", create_response_from_callback),
    FN(tb_netlib_mhd, "MHD_add_response_header", add_response_header),
    FN(tb_netlib_mhd, "MHD_queue_response", queue_response),
    FN(tb_netlib_mhd, "MHD_destroy_response", destroy_response),
};

tb_netlib_mhd tb_mhd;
static tb_netlib_curl curl_table;
static tb_netlib_jwt jwt_table;
static lib curl_lib = {PTHREAD_ONCE_INIT,
		       TB_LIBCURL_SONAME,
		       curl_fns,
		       sizeof curl_fns / sizeof *curl_fns,
		       &curl_table,
		       0,
		       ""};
static lib jwt_lib = {PTHREAD_ONCE_INIT,
		      TB_LIBJWT_SONAME,
		      jwt_fns,
		      sizeof jwt_fns / sizeof *jwt_fns,
		      &jwt_table,
		      0,
		      ""};

static lib mhd_lib = {
    PTHREAD_ONCE_INIT, TB_LIBMHD_SONAME, mhd_fns, sizeof mhd_fns / sizeof *mhd_fns, &tb_mhd, 0, ""};

static void fail(lib *l, const char *why, const char *what)
{
	snprintf(l->msg, sizeof l->msg, "%s %s%s", l->soname, why, what);
	l->rc = TB_ENOTFOUND;
}

/* Open l's library and fill its table; the first missing function fails
 * it. Bound lazily, as the dynamic linker binds the program's own
 * libraries. POSIX lets dlsym's data pointer carry a function's address. */
static void load(lib *l)
{
	void *h = dlopen(l->soname, RTLD_LAZY | RTLD_LOCAL);
	if (!h) {
		fail(l, "cannot be loaded: ", dlerror());
		return;
	}
	for (size_t i = 0; i < l->n_fns; i++) {
		void *p = dlsym(h, l->fns[i].name);
		if (!p) {
			fail(l, "has no ", l->fns[i].name);
			return;
		}
		memcpy((char *)l->table + l->fns[i].off, &p, sizeof p);
	}
}

static void load_curl(void)
{
	load(&curl_lib);
	if (!curl_lib.rc && curl_table.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fail(&curl_lib, "did not initialise", "");
}

static void load_jwt(void)
{
	load(&jwt_lib);
}

static void load_mhd(void)
{
	load(&mhd_lib);
}

/* l's outcome once opened: 0, or its rc with *msg. */
static int outcome(const lib *l, const char **msg)
{
	*msg = l->rc ? l->msg : NULL;
	return l->rc;
}

int tb_netlib_curl_open(const tb_netlib_curl **out, const char **msg)
{
	pthread_once(&curl_lib.once, load_curl);
	*out = curl_lib.rc ? NULL : &curl_table;
	return outcome(&curl_lib, msg);
}

int tb_netlib_jwt_open(const tb_netlib_jwt **out, const char **msg)
{
	pthread_once(&jwt_lib.once, load_jwt);
	*out = jwt_lib.rc ? NULL : &jwt_table;
	return outcome(&jwt_lib, msg);
}

int tb_netlib_mhd_open(const char **msg)
{
	pthread_once(&mhd_lib.once, load_mhd);
	return outcome(&mhd_lib, msg);
}

static void *preload_mhd(void *arg)
{
	(void)arg;
	const char *msg; /* the server's own open reports a failure */
	tb_netlib_mhd_open(&msg);
	return NULL;
}

void tb_netlib_mhd_preload(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, preload_mhd, NULL) == 0)
		pthread_detach(t);
}
