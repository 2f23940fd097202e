/* Inside view of requests and responses, shared by message.c (the accessors
 * handlers call) and server.c (which fills requests and sends responses).
 * Dashboards use only the opaque types of http.h. */
#ifndef TB_MESSAGE_H
#define TB_MESSAGE_H

#include "common/buf.h"
#include "form.h"
#include "http.h"

struct MHD_Connection;

/* One request, created when its request line arrives and freed when the
 * connection is done with it. Touched by one pool thread at a time. */
struct tb_req {
	char *uri;	    /* raw request target, query included */
	const char *method; /* borrowed from the connection */
	struct MHD_Connection *conn;
	const char *prefix; /* the server's path prefix (borrowed) */
	char *path;	    /* decoded path left after prefix and experiment */
	size_t path_len;
	char *experiment;  /* "" when absent */
	char *script_root; /* prefix + "/experiment/<id>" */
	tb_form query;
	tb_form form;
	tb_buf body;
	int started;   /* the header-only first callback has happened */
	int too_large; /* the body went past the request body limit */
	/* limits, set by server.c when the header arrives */
	int fd;		     /* the client's socket, polled by tb_req_should_stop */
	double deadline;     /* monotonic seconds after which work stops */
	size_t max_response; /* body bytes a handler may build */
	/* a request handed to the worker pool (server.c) */
	tb_handler_fn fn;
	void *payload;
	tb_resp *resp;	  /* owned; the answer built off the I/O thread */
	int gone;	  /* tb_req_should_stop saw the client leave */
	void *answer;	  /* server.c: the cache name of a versioned route's answer */
	tb_parsed parsed; /* what the version function parsed, for the handler */
};

typedef struct tb_header {
	char *name, *value;
} tb_header;

struct tb_resp {
	int status;
	char *type; /* Content-Type as the handler set it */
	tb_header *hdr;
	size_t nhdr, hdr_cap;
	tb_buf body;
	int no_gzip;
	int raw;	 /* send as is: no common headers, no gzip (redirects, HTML errors) */
	tb_sse_hub *sse; /* an event stream on this hub (tb_resp_sse) */
	tb_stream_fn stream; /* a streamed body (tb_resp_stream) */
	void *stream_payload;
	void (*stream_free)(void *);
};

void tb_req_init(tb_req *q);
void tb_req_release(tb_req *q);
void tb_resp_init(tb_resp *r);
void tb_resp_release(tb_resp *r);
/* The value of header name set on r, or NULL. */
const char *tb_resp_get_header(const tb_resp *r, const char *name);

/* The spec 2.4 rule on an Accept-Encoding value (NULL allowed). */
int tb_accept_encoding_gzip(const char *value);

#endif
