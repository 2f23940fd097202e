/* Structural comparison of two JSON answers, as the API test needs it:
 * object key order ignored, integers exact (steps reach 2^62), reals within
 * a relative tolerance, "NaN"/"Infinity" strings exact, blob keys opaque
 * (fields blob_key and imageId, and blob_key inside a "query" string, are
 * only checked for a plausible format), and series that upstream
 * downsampled (exactly at the cap, HTTP_API.md 5.3) compared by count and
 * last point when the points chosen differ. */
#ifndef TB_JSONDIFF_H
#define TB_JSONDIFF_H

#include <jansson.h>
#include <stddef.h>

typedef struct tb_jsondiff {
	double rel_tol;	    /* relative tolerance for reals; tb_jsondiff_init sets 1e-6 */
	int diffs;	    /* differences found */
	char where[256];    /* JSON path of the first difference; "$" is the root */
	char detail[400];   /* what differs there: "expected X, got Y" */
	int series_exact;   /* series at the cap whose points all matched */
	int series_sampled; /* series at the cap matched by count and last point only */
} tb_jsondiff;

void tb_jsondiff_init(tb_jsondiff *d);

/* Compare got against expected and add what differs to *d (which may
 * accumulate several comparisons). Returns 1 if no difference was found in
 * this call, else 0. Neither value is modified. */
int tb_jsondiff_compare(tb_jsondiff *d, const json_t *expected, const json_t *got);

/* Replace every occurrence of from by to inside every string value (not
 * keys) of j, recursively. Used for the <LOGDIR> placeholder. */
void tb_jsondiff_subst(json_t *j, const char *from, const char *to);

/* 1 if s looks like a blob key: non-empty URL-safe base64 (A-Z a-z 0-9 - _),
 * optionally with '=' padding at the end. */
int tb_jsondiff_blob_key_ok(const char *s);

/* The number of points at which upstream starts downsampling the series
 * that arr holds, or 0 if arr is not a recognised series. Recognised:
 * scalar triples [wall_time, step, value] and Time Series scalar datums
 * {wallTime, step, value} (1000); Time Series histogram datums
 * {wallTime, step, bins} (51). */
size_t tb_jsondiff_series_cap(const json_t *arr);

#endif
