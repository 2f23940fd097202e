/* libcurl and libjwt, opened with dlopen when an object-storage log
 * directory first needs them. A local log directory never maps them, so
 * their relocations and constructors (and those of OpenSSL, GnuTLS,
 * Kerberos... beneath them) cost nothing at start. The headers give the
 * types; the SONAMEs come from the build (CMake reads them from the -dev
 * packages' libraries). Only the functions s3.c and gcs_auth.c call are
 * resolved. */
#ifndef TB_FS_NETLIB_H
#define TB_FS_NETLIB_H

#include <curl/curl.h>
#include <jwt.h>

typedef struct tb_netlib_curl {
	__typeof__(&curl_global_init) global_init; /* already run by tb_netlib_curl_open */
	__typeof__(&curl_easy_init) easy_init;
	__typeof__(&curl_easy_setopt) easy_setopt;
	__typeof__(&curl_easy_perform) easy_perform;
	__typeof__(&curl_easy_getinfo) easy_getinfo;
	__typeof__(&curl_easy_reset) easy_reset;
	__typeof__(&curl_easy_cleanup) easy_cleanup;
	__typeof__(&curl_easy_strerror) easy_strerror;
	__typeof__(&curl_slist_append) slist_append;
	__typeof__(&curl_slist_free_all) slist_free_all;
} tb_netlib_curl;

typedef struct tb_netlib_jwt {
	__typeof__(&jwt_new) create;
	__typeof__(&jwt_add_grant) add_grant;
	__typeof__(&jwt_add_grant_int) add_grant_int;
	__typeof__(&jwt_set_alg) set_alg;
	__typeof__(&jwt_encode_str) encode_str;
	__typeof__(&jwt_free) destroy;
} tb_netlib_jwt;

/* Open libcurl once per process (curl_global_init included) and point *out
 * at its functions, valid until exit. Thread-safe; later calls only
 * return the first outcome. Returns 0, or TB_ENOTFOUND with *msg (static,
 * not freed) saying which library could not be loaded and why. */
int tb_netlib_curl_open(const tb_netlib_curl **out, const char **msg);

/* The same for libjwt. */
int tb_netlib_jwt_open(const tb_netlib_jwt **out, const char **msg);

#endif
