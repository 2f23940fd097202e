/* Network libraries opened with dlopen when first needed:
 * - libcurl and libjwt when an object-storage log directory needs them. A
 *   local log directory never maps them, so their relocations and
 *   constructors (and those of OpenSSL, GnuTLS, Kerberos... beneath them)
 *   cost nothing at start.
 * - libmicrohttpd when the server starts. It brings GnuTLS and eight more
 *   libraries with it, about 3 ms of start-up that the commands which serve
 *   nothing (query, export, --inspect, snapshot) never pay, and that the
 *   server pays on another thread while the first load runs
 *   (tb_netlib_mhd_preload).
 * The headers give the types; the SONAMEs come from the build (CMake reads
 * them from the -dev packages' libraries). Only the functions tboard calls
 * are resolved. */
#ifndef TB_FS_NETLIB_H
#define TB_FS_NETLIB_H

#include <curl/curl.h>
#include <jwt.h>
#include <microhttpd.h>

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

typedef struct tb_netlib_mhd {
	__typeof__(&MHD_start_daemon) start_daemon;
	__typeof__(&MHD_stop_daemon) stop_daemon;
	__typeof__(&MHD_get_daemon_info) get_daemon_info;
	__typeof__(&MHD_get_connection_info) get_connection_info;
	__typeof__(&MHD_lookup_connection_value) lookup_connection_value;
	__typeof__(&MHD_suspend_connection) suspend_connection;
	__typeof__(&MHD_resume_connection) resume_connection;
	__typeof__(&MHD_create_response_from_buffer) create_response_from_buffer;
	__typeof__(&MHD_create_response_from_callback) create_response_from_callback;
	__typeof__(&MHD_add_response_header) add_response_header;
	__typeof__(&MHD_queue_response) queue_response;
	__typeof__(&MHD_destroy_response) destroy_response;
} tb_netlib_mhd;

/* libmicrohttpd's functions, set once tb_netlib_mhd_open has returned 0:
 * the HTTP code calls tb_mhd.queue_response(...) where it would call
 * MHD_queue_response(...). */
extern tb_netlib_mhd tb_mhd;

/* Open libcurl once per process (curl_global_init included) and point *out
 * at its functions, valid until exit. Thread-safe; later calls only
 * return the first outcome. Returns 0, or TB_ENOTFOUND with *msg (static,
 * not freed) saying which library could not be loaded and why. */
int tb_netlib_curl_open(const tb_netlib_curl **out, const char **msg);

/* The same for libjwt. */
int tb_netlib_jwt_open(const tb_netlib_jwt **out, const char **msg);

/* The same for libmicrohttpd, whose table is tb_mhd. */
int tb_netlib_mhd_open(const char **msg);

/* Start opening libmicrohttpd on a thread of its own, so that a later
 * tb_netlib_mhd_open finds it loaded (or waits only for the rest). */
void tb_netlib_mhd_preload(void);

#endif
