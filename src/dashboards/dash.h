/* What every dashboard's handlers share: the store they read, the server's
 * settings that some routes echo, and small helpers for finding series,
 * downsampling and writing the common JSON shapes.
 *
 * Handlers only read the store (through a tb_reader); none opens event
 * files. The context is set up once by main and is read-only afterwards. */
#ifndef TB_DASH_H
#define TB_DASH_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "http/http.h"
#include "http/json.h"
#include "ingest/loader.h"
#include "store/store.h"

typedef struct tb_dash_flag {
	const char *name;
	const char *value; /* as given on the command line, or the default */
} tb_dash_flag;

typedef struct tb_dash {
	tb_store *store;
	const char *version;
	const char *data_location; /* --logdir or --logdir_spec as given */
	const char *logdir;	   /* --logdir, or NULL with --logdir_spec */
	const tb_loader_source *sources; /* the log directories read, as given */
	size_t n_sources;
	const char *window_title;
	const tb_dash_flag *flags; /* reported by /data/environment */
	size_t n_flags;
	int projector_seen; /* atomic: a projector config was found */
	tb_sse_hub *events; /* /data/tboard/events streams; NULL: none */
	const tb_router *router; /* the routes over this state (tb_dashboards_register) */
} tb_dash;

/* tboard's own data routes, and which routes the server may cache; call
 * after every other registration (tboard_data.c). */
void tb_tboard_data_register(tb_router *r, tb_dash *d);

/* One run's part of a /data/tboard/scalars answer as columns of k values:
 * every selected point (step, wall, value), or with a point budget below
 * its n points, k min/max buckets (step, step_last, first, last, min, max,
 * wall); the other pointers are NULL. */
typedef struct tb_scalar_cols {
	const char *run;
	uint64_t gen; /* the series' change counter */
	size_t n;     /* points selected */
	size_t k;
	int bucketed;
	const int64_t *step, *step_last;
	const double *value, *first, *last, *min, *max, *wall;
} tb_scalar_cols;
typedef void (*tb_scalar_cols_fn)(const tb_scalar_cols *c, void *arg);
/* Call fn with the columns of tag's scalars in each of the n runs that has
 * them (each once, in the order given), at most `buckets` values per run
 * (0: every point), as /data/tboard/scalars answers them, through one
 * reader; returns the store's generation (tboard_data.c). */
uint64_t tb_scalar_columns(tb_dash *d, const char *tag, const char *const *runs, size_t n,
			   uint64_t buckets, tb_scalar_cols_fn fn, void *arg);
void tb_tboard_events_register(tb_router *r, tb_dash *d);
/* GET or POST /data/tboard/export: an export table, streamed (tboard_export.c). */
void tb_tboard_export_register(tb_router *r, tb_dash *d);

/* The thread that tells hub's streams what changed in store, at most five
 * times a second (tboard_events.c). Returns NULL when no thread can be
 * started. Stop it before freeing the store or the hub; NULL is a no-op. */
typedef struct tb_notifier tb_notifier;
tb_notifier *tb_notifier_start(tb_store *store, tb_sse_hub *hub);
void tb_notifier_stop(tb_notifier *nt);

/* Nonzero when the log directory or one of its runs has a projector
 * configuration naming an embedding (spec HTTP_API.md 4.4). Once true it
 * stays true, as upstream's does. Takes the store lock itself. */
int tb_projector_active(tb_dash *d);

/* Number of points a read route returns per series of data plugin
 * `plugin`: the --samples_per_plugin value when given (0 or "all":
 * everything), else the `samples` of the dashboard of that name in the
 * registry (spec HTTP_API.md 5.3). */
uint64_t tb_dash_limit(const tb_dash *d, const char *plugin);

/* Indices of the points to serve from a series of n points with limit k:
 * upstream's seeded sample that always keeps the last point, when n > k;
 * NULL when every point is kept (the usual case: no array to build), the
 * i-th point then being point i (tb_dash_pick reads both). Writes the
 * count to *count; the array is owned by the caller (free()). */
uint64_t *tb_dash_sample(size_t *count, size_t n, uint64_t k);

/* The position of the i-th point a tb_dash_sample answer keeps. */
static inline size_t tb_dash_pick(const uint64_t *idx, size_t i)
{
	return idx ? (size_t)idx[i] : i;
}

/* The series of `run` with `tag` owned by data plugin `plugin` with data
 * class `dc`, or NULL (also when run or tag is NULL). */
const tb_series *tb_dash_series(const tb_run *run, const char *tag, const char *plugin, int dc);

/* Open a JSON object as resp's body in j and a reader over d's store in
 * rd, the way the listing routes start; close both with
 * tb_dash_object_end (the reader first). */
void tb_dash_object_begin(tb_json *j, tb_reader *rd, tb_resp *resp, tb_dash *d);
void tb_dash_object_end(tb_json *j, tb_reader *rd);

/* Answer a JSON object of the store's runs: fn writes run r's members
 * (a key and its value, or nothing) for each run in order. Reads the
 * store through its own reader. */
typedef void (*tb_dash_run_fn)(tb_json *j, const tb_run *r, void *arg);
void tb_dash_runs_object(tb_resp *resp, tb_dash *d, tb_dash_run_fn fn, void *arg);

/* Answer {run: {...} or [...]} (array nonzero: a list) for every run
 * with a series of data plugin `plugin` with data class `dc`; fn writes
 * the entries of each such series in the run's order (an object member,
 * an array element, or nothing). */
typedef void (*tb_dash_series_fn)(tb_json *j, const tb_series *s, void *arg);
void tb_dash_series_object(tb_resp *resp, tb_dash *d, const char *plugin, int dc, int array,
			   tb_dash_series_fn fn, void *arg);

/* Answer a /tags route with upstream's listing {run: {tag: {displayName,
 * description, ...}}} of the series of data plugin `plugin` with data class
 * `dc`. A run is listed once it has such a series, even when `skip` leaves
 * all of them out. `skip` (may be NULL) returns nonzero for a series to
 * leave out.
 * Reads the store through its own reader. */
void tb_dash_tags(tb_resp *resp, tb_dash *d, const char *plugin, int dc,
		  int (*skip)(const tb_series *s));

/* The `version` field (1) of a series' plugin content as an int32: nonzero
 * for data newer than this server understands, -1 too for content that
 * does not decode. */
int tb_dash_content_version(const tb_series *s);

/* Write the served points of scalar series s, sampled to the scalars
 * plugin's limit, as [[wall_time, step, value], ...] (scalars.c). Caller
 * holds the run through a reader. */
void tb_dash_scalar_points(tb_json *j, const tb_dash *d, const tb_series *s);

/* Answer a histograms or distributions read route for the histogram series
 * named by the `run` and `tag` query parameters: [[wall_time, step, x],
 * ...] for up to `limit` sampled points, where `write` writes x from the
 * point's tensor. A missing parameter gives 400, a series that is not
 * stored 404. Reads the store through its own reader. */
void tb_dash_histogram_serve(tb_resp *resp, const tb_req *req, tb_dash *d, uint64_t limit,
			     void (*write)(tb_json *j, const tb_tensor *t));

/* Answer a request for one scalar series named by the `run` and `tag`
 * query parameters, as JSON points or, with format=csv, as CSV (spec
 * HTTP_API.md 6.2); scalars/scalars and custom_scalars/download_data give
 * the same answers (scalars.c). A missing parameter gives 400, a series
 * that is not stored 404. Reads the store through its own reader. */
void tb_dash_scalars_serve(tb_resp *resp, const tb_req *req, tb_dash *d);

/* The last varint field `num` of a series' plugin content, or 0 when there
 * is none; content that stops decoding keeps what was read before. */
uint64_t tb_dash_content_varint(const tb_series *s, uint32_t num);

/* Parse the `sample` query parameter v of the images and audio routes:
 * absent (NULL) means 0, else decimal digits that fit an int64 (decision
 * D10). Returns 0 with *out set, or -1. */
int tb_dash_parse_sample(uint64_t *out, const char *v);

/* Append s as Python's repr() of a str would print it ('x', or "x" when
 * s has a single quote and no double quote); NULL appends None. Used in
 * error messages that upstream formats with %r. */
void tb_dash_pyrepr(tb_buf *b, const char *s);

/* Answer `status` with the message head repr(a) mid repr(b), as upstream
 * formats its "%r" errors naming a run and a tag. */
void tb_dash_error_repr(tb_resp *resp, int status, const char *head, const char *a, const char *mid,
			const char *b);

/* Write a tag's description rendered from Markdown (spec HTTP_API.md 12). */
void tb_dash_description(tb_json *j, const char *markdown);

/* Append the blob key of one blob: URL-safe base64 without padding of the
 * compact JSON array [experiment, run, tag, step, index] (spec HTTP_API.md
 * 5.4). */
void tb_dash_blob_key(tb_buf *out, const char *eid, const char *run, const char *tag,
		      size_t tag_len, int64_t step, uint64_t index);

/* How a blob-sequence plugin (images, audio) lists a series' steps. */
typedef struct tb_dash_blob_list {
	const char *plugin; /* data plugin, also the --samples_per_plugin name */
	const char *noun;   /* the 404 reads "No <noun> data for run=..." */
	uint64_t first;	    /* blob index of sample 0 in a point's tensor */
	/* Write the members of point p before "query"; may append to query,
	 * which holds "blob_key=<key>" already. */
	void (*point)(tb_json *j, tb_buf *query, const tb_series *s, size_t p);
} tb_dash_blob_list;

/* The most blobs after the first `first` in one point of blob-sequence
 * series s: the samples a step holds at most. Caller holds the run. */
size_t tb_dash_blob_samples(const tb_series *s, size_t first);

/* Answer the /tags route of a blob-sequence plugin (images, audio): the
 * tb_dash_tags listing of how->plugin's series with "samples", the most
 * blobs after `first` in one point. A series whose content has a nonzero
 * version field (newer data than this server understands) is left out;
 * content that stops decoding keeps what was read before. */
void tb_dash_blob_tags(tb_resp *resp, tb_dash *d, const tb_dash_blob_list *how);

/* Answer a listing route of series `run`, `tag` (query parameters): one
 * object per sampled point that holds blob `first` + `sample` (query
 * parameter, decision D11), ending with the query that fetches it. A bad
 * sample gives 400, a series that is not stored 404. Reads the store
 * through its own reader. */
void tb_dash_blob_list_serve(tb_resp *resp, const tb_req *req, tb_dash *d,
			     const tb_dash_blob_list *how);

/* A decoded blob key (blob.c). The strings are owned, NUL-terminated and
 * may hold NUL bytes, so the lengths are authoritative. */
typedef struct tb_dash_blob_ref {
	char *eid, *run, *tag;
	size_t eid_len, run_len, tag_len;
	int64_t step;
	uint64_t index;
} tb_dash_blob_ref;

/* Decode a key made by tb_dash_blob_key from n untrusted bytes. Returns 0
 * with *out filled (free it with tb_dash_blob_ref_free), or TB_EINVAL with
 * the reason appended to err and nothing to free. */
int tb_dash_blob_decode(tb_dash_blob_ref *out, tb_buf *err, const char *key, size_t n);
void tb_dash_blob_ref_free(tb_dash_blob_ref *ref);

/* Answer a fetch route with the blob named by key from a blob-sequence
 * series of data plugin `plugin`: its bytes with content_type, or with the
 * sniffed image type when content_type is NULL. An undecodable key gives
 * 400 "Invalid argument: ...", a run, tag, step or index that is not
 * stored 404 "Not found: ...". Reads the store through its own reader. */
void tb_dash_blob_serve(tb_resp *resp, tb_dash *d, const char *key, const char *plugin,
			const char *content_type);

/* The MIME type of an encoded image from its magic bytes: image/png,
 * image/jpeg, image/gif, image/bmp, else application/octet-stream. */
const char *tb_dash_image_type(tb_slice bytes);

#endif
