/* The tests' HTTP client (see http_client.h). */
#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	tb_buf_append(ud, p, sz * n);
	return sz * n;
}

typedef struct head_sink {
	tb_http_reply *r;
	int keep; /* append the lines to r->head */
} head_sink;

static size_t on_head(char *p, size_t sz, size_t n, void *ud)
{
	const head_sink *hs = ud;
	tb_http_reply *r = hs->r;
	size_t len = sz * n;
	if (len > 17 && strncasecmp(p, "Content-Encoding:", 17) == 0) {
		const char *v = p + 17;
		while (*v == ' ')
			v++;
		snprintf(r->encoding, sizeof r->encoding, "%.*s", (int)strcspn(v, "\r\n"), v);
	}
	if (hs->keep)
		tb_buf_append(&r->head, p, len);
	return len;
}

int tb_http_send(tb_http_reply *out, CURL *c, int port, const char *path, const tb_http_req *req)
{
	static const tb_http_req plain = {0};
	if (!req)
		req = &plain;
	memset(out, 0, sizeof *out);
	size_t n = strlen(path) + 64;
	char *url = malloc(n);
	snprintf(url, n, "http://127.0.0.1:%d%s", port, path);
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (req->timeout_ms)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	else
		curl_easy_setopt(c, CURLOPT_TIMEOUT, req->timeout_s ? req->timeout_s : 60L);
	if (req->accept_encoding)
		curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, req->accept_encoding);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_head);
	head_sink hs = {out, req->want_head};
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hs);
	struct curl_slist *h = NULL;
	for (size_t i = 0; req->headers && req->headers[i]; i++)
		h = curl_slist_append(h, req->headers[i]);
	if (h)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	const char *method = req->method			     ? req->method
			     : (req->body || req->mime || req->read) ? "POST"
								     : "GET";
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (req->read) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, req->read);
		curl_easy_setopt(c, CURLOPT_READDATA, req->read_data);
	} else if (req->mime) {
		curl_easy_setopt(c, CURLOPT_MIMEPOST, req->mime);
	} else if (req->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
				 req->body_len < 0 ? (long)strlen(req->body) : req->body_len);
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	    strcmp(method, "POST") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		fprintf(stderr, "curl %s: %s\n", url, curl_easy_strerror(rc));
	char *ct = NULL;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	snprintf(out->ctype, sizeof out->ctype, "%s", ct ? ct : "");
	curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &out->connects);
	curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &out->secs);
	tb_buf_puts(&out->body, "");
	if (req->want_head)
		tb_buf_puts(&out->head, "");
	curl_slist_free_all(h);
	free(url);
	return (int)rc;
}

void tb_http_reply_free(tb_http_reply *r)
{
	tb_buf_free(&r->head);
	tb_buf_free(&r->body);
}

int tb_http_dial(const char *from, int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	if (from) {
		inet_pton(AF_INET, from, &a.sin_addr);
		if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
			close(fd);
			return -1;
		}
	}
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int tb_http_raw_open(int port, const char *request)
{
	int fd = tb_http_dial(NULL, port);
	size_t n = strlen(request);
	if (fd >= 0 && write(fd, request, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	return fd;
}
