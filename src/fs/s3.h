/* Object storage backends of the file-system layer: s3://bucket/prefix
 * (Amazon S3 and S3-compatible stores: MinIO, Ceph, ...) and
 * gs://bucket/prefix (Google Cloud Storage through its S3-compatible XML
 * API with HMAC keys), over libcurl, which signs requests with AWS
 * Signature V4 itself.
 *
 * Tuned for polling many runs at the fewest requests: a snapshot of a log
 * directory is one recursive ListObjectsV2 (1000 objects a page, no
 * delimiter), and list and stat below it are answered from that snapshot
 * until the next one, so a reload cycle with nothing new costs
 * ceil(objects / 1000) requests. A file is read with ranged GETs from the
 * offset the reader asks for, in windows of up to 8 MiB, pinned to the
 * listed ETag (If-Match) so a replaced object is never mixed with the old.
 *
 * Throttling (429, 503 SlowDown), server errors, timeouts and dropped
 * connections are retried with exponential back-off (a GET keeps the bytes
 * it got and asks for the rest); a request budget per minute, when set,
 * makes requests wait their turn. Thread-safe: snapshots, the budget and a
 * pool of reusable connections sit behind one mutex. */
#ifndef TB_S3_H
#define TB_S3_H

#include <stdint.h>

#include "fs.h"

typedef struct tb_fs_s3_opts {
	const char *s3_endpoint;      /* NULL: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, or AWS */
	const char *gs_endpoint;      /* NULL: https://storage.googleapis.com */
	int anonymous;		      /* never sign requests (public buckets) */
	double requests_per_minute;   /* 0: no budget */
	double retry_max_s;	      /* give up after retrying this long; 0: 60 */
} tb_fs_s3_opts;

/* Set the backends' options (copied) and read credentials (see
 * COMPATIBILITY.md): call once before any s3:// or gs:// path is used,
 * before threads start. Without it, defaults apply. */
void tb_fs_s3_configure(const tb_fs_s3_opts *o);
/* Make requests waiting for the budget or a retry, and transfers under
 * way, fail at once (a transient TB_EIO), so that shutdown does not wait
 * for the store. Thread-safe; for good. */
void tb_fs_s3_cancel(void);
/* Free snapshots and connections; call after every user has stopped. */
void tb_fs_s3_shutdown(void);

/* Requests made since start, for logs, tests and benchmarks. */
typedef struct tb_fs_s3_stats {
	uint64_t requests; /* every HTTP request, retries included */
	uint64_t lists;	   /* ListObjectsV2 pages */
	uint64_t gets;	   /* ranged GETs */
	uint64_t heads;	   /* HEADs (paths outside any snapshot) */
	uint64_t retries;  /* requests repeated after a failure */
	uint64_t bytes;	   /* response body bytes received */
} tb_fs_s3_stats;
void tb_fs_s3_get_stats(tb_fs_s3_stats *out);

extern const tb_fs_ops tb_fs_s3;
extern const tb_fs_ops tb_fs_gs;

#endif
