/* Distributions dashboard routes (spec HTTP_API.md 7.3, 7.4): the same
 * histogram series as the histograms dashboard, each point compressed to
 * nine values at fixed basis points (LOADING.md 12.4).
 *
 * The compression follows upstream's arithmetic step by step (pairwise sum
 * of the counts, a binary search over the cumulative weights, Python's
 * min/max on NaN) so that answers match to the last bit on ordinary data
 * and agree on NaN and infinities. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dash.h"
#include "registry.h"
#include "proto/event.h"

static const int basis_points[9] = {0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000};

/* Same listing as histograms/tags (spec HTTP_API.md 7.3). */
static void handle_tags(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_dash_tags(resp, payload, "histograms", TB_DC_TENSOR, tb_dash_content_version);
}

/* NumPy's pairwise summation of x[0], x[stride], ... (n terms): plain for
 * fewer than 8, eight interleaved accumulators up to 128, else halves. The
 * count total must round as upstream's does or the percentiles drift. */
static double pairwise_sum(const double *x, size_t n, size_t stride)
{
	if (n < 8) {
		double s = 0.0;
		for (size_t i = 0; i < n; i++)
			s += x[i * stride];
		return s;
	}
	if (n <= 128) {
		double r[8];
		for (int k = 0; k < 8; k++)
			r[k] = x[(size_t)k * stride];
		size_t i;
		for (i = 8; i < n - n % 8; i += 8)
			for (int k = 0; k < 8; k++)
				r[k] += x[(i + (size_t)k) * stride];
		double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
		for (; i < n; i++)
			s += x[i * stride];
		return s;
	}
	size_t n2 = n / 2;
	n2 -= n2 % 8;
	return pairwise_sum(x, n2, stride) + pairwise_sum(x + n2 * stride, n - n2, stride);
}

/* Python's min(a, b) and max(a, b): the second wins only if strictly
 * smaller (larger), so a NaN first argument sticks. */
static double py_min(double a, double b)
{
	return b < a ? b : a;
}

static double py_max(double a, double b)
{
	return b > a ? b : a;
}

/* First index i with w[i] > key, by NumPy's binary search (searchsorted
 * side="right"), which orders NaN after every number. */
static size_t search_right(const double *w, size_t n, double key)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + ((hi - lo) >> 1);
		if (key < w[mid] || isnan(w[mid]))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* out[b] for the nine basis points from k buckets rows[i*3 + {0,1,2}]. */
static void compress(double out[9], const double *rows, size_t k, double *w)
{
	if (k == 0) {
		for (int b = 0; b < 9; b++)
			out[b] = 0.0;
		return;
	}
	double lo = rows[0], hi = rows[(k - 1) * 3 + 1];
	double total = pairwise_sum(rows + 2, k, 3);
	if (total == 0.0)
		total = 1.0;
	double acc = 0.0;
	for (size_t i = 0; i < k; i++) {
		acc += rows[i * 3 + 2] * 10000.0 / total;
		w[i] = acc;
	}
	int b = 0;
	while (b < 9) {
		double bp = basis_points[b];
		size_t i = search_right(w, k, bp);
		int emitted = 0;
		while (i < k) {
			double cur = w[i], prev = i > 0 ? w[i - 1] : 0.0;
			if (cur == prev) {
				i++;
				continue;
			}
			double left =
			    i == 0 || prev == 0.0 ? lo : py_max(rows[(i - 1) * 3 + 1], lo);
			double right = py_min(rows[i * 3 + 1], hi);
			out[b++] = left + (bp - prev) * (right - left) / (cur - prev);
			emitted = 1;
			break;
		}
		if (!emitted)
			break;
	}
	for (; b < 9; b++)
		out[b] = hi;
}

static void write_point(tb_json *j, const tb_tensor *t)
{
	size_t k = 0;
	if (t->rank == 2 && t->dims[1] == 3 && tb_dtype_is_numeric(t->dtype))
		k = (size_t)t->dims[0];
	double *rows = malloc((k ? k * 4 : 1) * sizeof *rows), *w = rows + k * 3, out[9];
	if (!rows)
		abort();
	for (size_t i = 0; i < k * 3; i++)
		rows[i] = tb_tensor_double(t, i);
	compress(out, rows, k, w);
	free(rows);
	tb_json_arr_begin(j);
	for (int b = 0; b < 9; b++) {
		tb_json_arr_begin(j);
		tb_json_int(j, basis_points[b]);
		tb_json_double(j, out[b]);
		tb_json_arr_end(j);
	}
	tb_json_arr_end(j);
}

static void handle_distributions(tb_resp *resp, const tb_req *req, void *payload)
{
	/* Fixed, whatever --samples_per_plugin says (spec HTTP_API.md 5.3). */
	tb_dash_histogram_serve(resp, req, payload, tb_dashboard_samples("distributions"),
				write_point);
}

void tb_distributions_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/plugin/distributions/tags", handle_tags, d);
	tb_router_add(r, "/data/plugin/distributions/distributions", handle_distributions, d);
}
