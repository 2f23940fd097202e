/* The tests' one HTTP client: a request to a tboard child on loopback
 * through libcurl, with the answer's status, type, headers and body. */
#ifndef TB_HTTP_CLIENT_H
#define TB_HTTP_CLIENT_H

#include <curl/curl.h>

#include "common/buf.h"

typedef struct tb_http_reply {
	long status;	   /* 0 when no answer came */
	char ctype[128];   /* Content-Type, "" when none */
	char encoding[64]; /* Content-Encoding, "" when none */
	tb_buf head;	   /* with want_head: the raw header block, NUL-terminated */
	tb_buf body;	   /* NUL-terminated (the NUL is not counted) */
	long connects;	   /* new connections the request needed */
	double secs;	   /* wall time of the request */
} tb_http_reply;

typedef struct tb_http_req {
	const char *method;	    /* NULL: GET, or POST when a body is given */
	const char *const *headers; /* extra header lines, NULL-terminated; may be NULL */
	const char *body;	    /* posted as is; NULL: none */
	long body_len;		    /* -1: strlen(body) */
	curl_mime *mime;	    /* a multipart body instead of `body` */
	/* a streamed body instead (libcurl's read callback and its data) */
	size_t (*read)(char *p, size_t size, size_t n, void *data);
	void *read_data;
	long timeout_s;	 /* 0: 60 */
	long timeout_ms; /* when not 0, instead of timeout_s */
	int want_head;	 /* keep the raw header block in the reply */
	/* when not NULL, the encodings offered (Accept-Encoding; "": every one
	 * libcurl decodes), and the body comes back decoded */
	const char *accept_encoding;
} tb_http_req;

/* Send http://127.0.0.1:port<path> (the path is sent as is) with handle c,
 * reset first, so one handle keeps its connection between calls. req may
 * be NULL for a plain GET. Fills *out (free with tb_http_reply_free) and
 * returns libcurl's code, printing it when the request failed. */
int tb_http_send(tb_http_reply *out, CURL *c, int port, const char *path, const tb_http_req *req);

void tb_http_reply_free(tb_http_reply *r);

/* A TCP connection to 127.0.0.1:port from source address `from`
 * ("127.0.0.2"; NULL: any), for requests curl is too polite to send.
 * Returns the socket, or -1. */
int tb_http_dial(const char *from, int port);
/* tb_http_dial(NULL, port), then request written whole: the socket, to
 * read the answer from and close, or -1. */
int tb_http_raw_open(int port, const char *request);

#endif
