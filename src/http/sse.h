/* The server's side of event streams (http.h tb_sse_hub): a stream is a
 * libmicrohttpd response whose content callback sends what the hub queued
 * for it and suspends the connection when there is nothing, so an open
 * stream holds no thread. */
#ifndef TB_SSE_H
#define TB_SSE_H

#include <stddef.h>

#include <microhttpd.h>

#include "http.h"

/* A response that streams hub's events to conn, starting with the n bytes
 * at first; NULL when the hub is closed or the response cannot be made. */
struct MHD_Response *tb_sse_open(tb_sse_hub *h, struct MHD_Connection *conn, const char *first,
				 size_t n);

/* A response whose body r's stream function makes as conn's client reads
 * it (tb_resp_stream); takes the stream from r. NULL when it cannot be
 * made (the stream stays on r, freed with it). */
struct MHD_Response *tb_stream_open(tb_resp *r);

#endif
