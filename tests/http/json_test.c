/* Tests for the JSON writer: Python-repr floats, ensure_ascii escaping and
 * separators, checked against strings Python's json.dumps produces. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../harness.h"
#include "fmt_check.h"
#include "http/json.h"

static const char *fmt(double v)
{
	static char buf[64];
	tb_fmt_double(buf, v);
	return buf;
}

static void test_json__float_repr(void)
{
	CHECK_STR(fmt((double)0.1f), "0.10000000149011612");
	CHECK_STR(fmt(0.1), "0.1");
	CHECK_STR(fmt(1e-05), "1e-05");
	CHECK_STR(fmt(1.2e-05), "1.2e-05");
	CHECK_STR(fmt(0.0001), "0.0001");
	CHECK_STR(fmt(0.00012), "0.00012");
	CHECK_STR(fmt(1e16), "1e+16");
	CHECK_STR(fmt(1.5e16), "1.5e+16");
	CHECK_STR(fmt(9999999999999998.0), "9999999999999998.0");
	CHECK_STR(fmt(1e15), "1000000000000000.0");
	CHECK_STR(fmt(1443856985.705543), "1443856985.705543");
	CHECK_STR(fmt(1.0), "1.0");
	CHECK_STR(fmt(100.0), "100.0");
	CHECK_STR(fmt(0.0), "0.0");
	CHECK_STR(fmt(-0.0), "-0.0");
	CHECK_STR(fmt(-2.5), "-2.5");
	CHECK_STR(fmt(5e-324), "5e-324");
	CHECK_STR(fmt(2.2250738585072014e-308), "2.2250738585072014e-308");
	CHECK_STR(fmt(1.7976931348623157e+308), "1.7976931348623157e+308");
	CHECK_STR(fmt(123456789012345680.0), "1.2345678901234568e+17");
	CHECK_STR(fmt(1e100), "1e+100");
	CHECK_STR(fmt(1e-100), "1e-100");
	CHECK_STR(fmt(0.3), "0.3");
	CHECK_STR(fmt(0.1 + 0.2), "0.30000000000000004");
	CHECK_STR(fmt(1.0 / 3), "0.3333333333333333");
	CHECK_STR(fmt(2.0 / 3), "0.6666666666666666");
	CHECK_STR(fmt(123.456), "123.456");
	CHECK_STR(fmt((double)3.4028234663852886e+38f), "3.4028234663852886e+38");
	CHECK_STR(fmt(NAN), "nan");
	CHECK_STR(fmt(INFINITY), "inf");
	CHECK_STR(fmt(-INFINITY), "-inf");
}

/* Every formatted value must read back exactly. */
static void test_json__float_roundtrip(void)
{
	uint64_t x = 88172645463325252ull;
	int bad = 0;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		double v;
		memcpy(&v, &x, sizeof v);
		if (!isfinite(v))
			continue;
		char buf[64];
		tb_fmt_double(buf, v);
		if (strtod(buf, NULL) != v || strlen(buf) > 25)
			bad++;
	}
	CHECK_INT(bad, 0);
}

/* The reference: the former formatter's search, printf at growing
 * precision until strtod reads the value back, i.e. the nearest decimal of
 * the shortest length that round-trips. Returns digits and exponent in the
 * %e form ("d.ddde+XX"), which the new path must match. */
static void ref_digits(char *out, size_t cap, double v)
{
	for (int prec = 0; prec < 17; prec++) {
		snprintf(out, cap, "%.*e", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
	snprintf(out, cap, "%.16e", v);
}

/* tb_fmt_double's output as %e digits: parse it back to digits/exponent
 * and print it in the same "%.*e" form with the same precision. */
static int same_as_ref(double v)
{
	char got[64], ref[64], norm[64];
	tb_fmt_double(got, v);
	if (strtod(got, NULL) != v)
		return 0;
	ref_digits(ref, sizeof ref, v);
	/* digits of ref (without the dot) vs digits of got: compare by
	 * re-printing got's value at ref's precision and by digit count */
	const char *e = strchr(ref, 'e');
	int prec = e && strchr(ref, '.') ? (int)(e - strchr(ref, '.') - 1) : 0;
	snprintf(norm, sizeof norm, "%.*e", prec, strtod(got, NULL));
	if (strcmp(norm, ref) != 0)
		return 0;
	/* and got has no more significant digits than ref */
	int sig = fmt_sig_digits(got);
	return sig <= prec + 1;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Random bit patterns, random short decimals, every power of two and of
 * ten, subnormals and the integers around 2^53: the one-pass digits equal
 * the old printf/strtod search's. */
static void test_json__float_matches_search(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int bad = 0, tried = 0;
	for (int i = 0; i < 300000; i++) {
		uint64_t bits = xorshift(&x);
		double v;
		memcpy(&v, &bits, sizeof v);
		if (!isfinite(v) || v == 0)
			continue;
		tried++;
		if (!same_as_ref(fabs(v)) && bad++ < 5)
			fprintf(stderr, "mismatch: %.17g\n", v);
	}
	for (int i = 0; i < 100000; i++) {
		/* decimals people write: k / 10^m, k * 10^m */
		double k = (double)(xorshift(&x) % 100000000);
		int m = (int)(xorshift(&x) % 40);
		double v = i & 1 ? k / pow(10, m) : k * pow(10, m);
		if (v == 0 || !isfinite(v))
			continue;
		tried++;
		if (!same_as_ref(v) && bad++ < 5)
			fprintf(stderr, "mismatch: %.17g\n", v);
	}
	for (int e = -1074; e <= 1023; e++) {
		double v = ldexp(1.0, e);
		double around[3] = {v, nextafter(v, 0), nextafter(v, INFINITY)};
		for (int k = 0; k < 3; k++) {
			if (!isfinite(around[k]) || around[k] == 0)
				continue;
			tried++;
			if (!same_as_ref(around[k]) && bad++ < 5)
				fprintf(stderr, "mismatch: %.17g\n", around[k]);
		}
	}
	for (int e = -323; e <= 308; e++) {
		char lit[16];
		snprintf(lit, sizeof lit, "1e%d", e);
		double v = strtod(lit, NULL);
		tried++;
		if (!same_as_ref(v) && bad++ < 5)
			fprintf(stderr, "mismatch: %s\n", lit);
	}
	for (uint64_t m = 1; m < 200000; m += 7) {
		double v;
		uint64_t sub = m * 22517998136ull % (1ull << 52); /* subnormal fractions */
		memcpy(&v, &sub, sizeof v);
		if (v == 0)
			continue;
		tried++;
		if (!same_as_ref(v) && bad++ < 5)
			fprintf(stderr, "mismatch: %.17g\n", v);
	}
	for (int64_t d = -50; d <= 50; d++) {
		tried++;
		if (!same_as_ref((double)((1ll << 53) + d)) && bad++ < 5)
			fprintf(stderr, "mismatch: 2^53%+lld\n", (long long)d);
	}
	CHECK(tried > 400000);
	CHECK_INT(bad, 0);
}

/* Millions of doubles against the C library (fmt_check.h): random bit
 * patterns, random floats widened to double (what most scalar values
 * are), wall-time-like values with microseconds, and every double next to
 * a power of ten. Fewer under the sanitizers, which make printf slow. */
static void test_json__float_many(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
	const int per_kind = 100000;
#else
	const int per_kind = 700000;
#endif
	uint64_t x = 0x2545f4914f6cdd1dull;
	long bad = 0, tried = 0;
	for (int i = 0; i < per_kind; i++) {
		uint64_t bits = xorshift(&x);
		double v[3];
		memcpy(&v[0], &bits, sizeof v[0]);
		uint32_t fb = (uint32_t)(bits >> 32);
		float f;
		memcpy(&f, &fb, sizeof f);
		v[1] = f;
		v[2] = 1.7e9 + (double)(bits % 100000000000ull) * 1e-6;
		for (int k = 0; k < 3; k++) {
			tried++;
			if (!fmt_check(v[k]) && bad++ < 5)
				fprintf(stderr, "mismatch: %.17g\n", v[k]);
		}
	}
	for (int e = -325; e <= 309; e++) {
		char lit[16];
		snprintf(lit, sizeof lit, "1e%d", e);
		double p = strtod(lit, NULL), w = p;
		for (int k = 0; k < 50; k++, w = nextafter(w, INFINITY))
			tried += 2, bad += !fmt_check(w) + !fmt_check(-w);
		w = p;
		for (int k = 0; k < 50; k++, w = nextafter(w, 0))
			tried++, bad += !fmt_check(w);
	}
	/* every power of two, where the gap below is half the gap above and
	 * the closest decimal of the shortest length may not read back
	 * (2^-77: 6.617444900424222e-24, not ...221) */
	for (int e = -1074; e <= 1023; e++)
		tried++, bad += !fmt_check(ldexp(1.0, e));
	double special[] = {0.0,
			    -0.0,
			    NAN,
			    INFINITY,
			    -INFINITY,
			    5e-324,
			    -5e-324,
			    DBL_MAX,
			    -DBL_MAX,
			    DBL_MIN,
			    nextafter(DBL_MIN, 0),
			    9007199254740993.0};
	for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
		tried++, bad += !fmt_check(special[i]);
	CHECK(tried > 3 * (long)per_kind);
	CHECK_INT(bad, 0);
}

/* tb_fmt_float against the C library (fmt_check.h, read back with strtof):
 * random bit patterns, every power of two from the smallest subnormal to
 * 2^127, the floats next to every power of ten in range, and the ends. */
static void test_json__float32_many(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
	const int n_random = 200000;
#else
	const int n_random = 1500000;
#endif
	uint64_t x = 0x853c49e6748fea9bull;
	long bad = 0, tried = 0;
	for (int i = 0; i < n_random; i++) {
		uint32_t b = (uint32_t)(xorshift(&x) >> 17);
		float f;
		memcpy(&f, &b, sizeof f);
		tried++;
		if (!fmt_check_float(f) && bad++ < 5)
			fprintf(stderr, "mismatch: %.9g (0x%08x)\n", (double)f, (unsigned)b);
	}
	for (int e = -149; e <= 127; e++) {
		float p = ldexpf(1.0f, e);
		tried += 2;
		bad += !fmt_check_float(p) + !fmt_check_float(-p);
	}
	for (int e = -45; e <= 38; e++) {
		char lit[16];
		snprintf(lit, sizeof lit, "1e%d", e);
		float p = strtof(lit, NULL), w = p;
		for (int k = 0; k < 50; k++, w = nextafterf(w, INFINITY))
			tried++, bad += !fmt_check_float(w);
		w = p;
		for (int k = 0; k < 50; k++, w = nextafterf(w, 0))
			tried++, bad += !fmt_check_float(w);
	}
	float special[] = {0.0f,
			   -0.0f,
			   NAN,
			   INFINITY,
			   -INFINITY,
			   FLT_MAX,
			   -FLT_MAX,
			   FLT_MIN,
			   1e-45f,
			   -1e-45f,
			   nextafterf(FLT_MIN, 0),
			   16777217.0f};
	for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
		tried++, bad += !fmt_check_float(special[i]);
	CHECK(tried > (long)n_random);
	CHECK_INT(bad, 0);
	char buf[64];
	tb_fmt_float(buf, 0.1f);
	CHECK_STR(buf, "0.1");
	tb_fmt_float(buf, 16777216.0f);
	CHECK_STR(buf, "16777216.0");
	tb_fmt_float(buf, 3.4028235e38f);
	CHECK_STR(buf, "3.4028235e+38");
	tb_fmt_float(buf, 1e-45f);
	CHECK_STR(buf, "1e-45");
}

/* Integers: every length, both signs, the ends of int64. */
static void test_json__ints(void)
{
	tb_buf b = TB_BUF_INIT;
	tb_json j;
	tb_json_init(&j, &b);
	tb_json_arr_begin(&j);
	tb_json_int(&j, 0);
	tb_json_int(&j, -1);
	tb_json_int(&j, 7);
	tb_json_int(&j, INT64_MAX);
	tb_json_int(&j, INT64_MIN);
	tb_json_arr_end(&j);
	CHECK_STR(b.ptr, "[0, -1, 7, 9223372036854775807, -9223372036854775808]");
	for (int k = 0; k < 19; k++) {
		int64_t p = 1;
		for (int m = 0; m < k; m++)
			p *= 10;
		int64_t vs[4] = {p - 1, p, -p, p + 1};
		for (int i = 0; i < 4; i++) {
			char want[32];
			snprintf(want, sizeof want, "%lld", (long long)vs[i]);
			tb_buf_clear(&b);
			tb_json_init(&j, &b);
			tb_json_int(&j, vs[i]);
			CHECK_STR(b.ptr, want);
		}
	}
	tb_buf_free(&b);
}

/* A point written in one piece equals the same point written value by
 * value, on one line and indented. */
static void test_json__point(void)
{
	const double w[] = {1443856985.705543, 0.0, NAN, -INFINITY};
	const double val[] = {0.10000000149011612, -2.5, INFINITY, 1e-05};
	const int64_t st[] = {0, -3, INT64_MAX, 1000};
	for (int indent = 0; indent <= 2; indent += 2) {
		tb_buf a = TB_BUF_INIT, b = TB_BUF_INIT;
		tb_json ja, jb;
		if (indent) {
			tb_json_init_indent(&ja, &a, indent);
			tb_json_init_indent(&jb, &b, indent);
		} else {
			tb_json_init(&ja, &a);
			tb_json_init(&jb, &b);
		}
		tb_json_arr_begin(&ja);
		tb_json_arr_begin(&jb);
		for (int i = 0; i < 4; i++) {
			tb_json_point(&ja, w[i], st[i], val[i]);
			tb_json_arr_begin(&jb);
			tb_json_double(&jb, w[i]);
			tb_json_int(&jb, st[i]);
			tb_json_double(&jb, val[i]);
			tb_json_arr_end(&jb);
		}
		tb_json_arr_end(&ja);
		tb_json_arr_end(&jb);
		CHECK_STR(a.ptr, b.ptr);
		tb_buf_free(&a);
		tb_buf_free(&b);
	}
	tb_buf b = TB_BUF_INIT;
	tb_json j;
	tb_json_init(&j, &b);
	tb_json_arr_begin(&j);
	tb_json_point(&j, 1443856985.705543, 5, 0.5);
	tb_json_point(&j, NAN, 6, -INFINITY);
	tb_json_arr_end(&j);
	CHECK_STR(b.ptr, "[[1443856985.705543, 5, 0.5], [\"NaN\", 6, \"-Infinity\"]]");
	tb_buf_free(&b);

	/* tb_fmt_point, the whole point in one piece, against its three
	 * numbers: every layout (exponents, "0.000...", integers, zeros and
	 * signs) in both places, wall times as time.time() gives them */
	uint64_t bits = 99;
	long bad = 0;
	for (int i = 0; i < 1000000; i++) {
		double x[2];
		for (int k = 0; k < 2; k++) {
			bits = bits * 6364136223846793005ull + 1442695040888963407ull;
			uint64_t r = bits ^ (bits >> 29);
			switch (r % 6) {
			case 0:
				memcpy(&x[k], &r, 8);
				break;
			case 1:
				x[k] = (float)((double)(r >> 11) / 9007199254740992.0 * 4 - 2);
				break;
			case 2:
				x[k] = 1700000000.0 + (double)(r % 100000000000ull) / 1e6;
				break;
			case 3:
				x[k] =
				    (double)(r % 100000) * pow(10, (double)((r >> 40) % 44) - 22);
				break;
			case 4:
				x[k] = (r & 1) ? -0.0 : 0.0;
				break;
			default:
				x[k] = -(double)(r % 1000) / 4;
				break;
			}
		}
		int64_t step = (int64_t)(bits >> 3) >> (bits % 64);
		bad += !fmt_check_point(x[0], step, x[1]);
	}
	CHECK(bad == 0);
}

static void test_json__float_edges(void)
{
	CHECK_STR(fmt(9007199254740992.0), "9007199254740992.0");
	CHECK_STR(fmt(9007199254740993.0), "9007199254740992.0");
	CHECK_STR(fmt(9007199254740994.0), "9007199254740994.0");
	CHECK_STR(fmt(4.9406564584124654e-324), "5e-324");
	CHECK_STR(fmt(2.2250738585072009e-308), "2.225073858507201e-308");
	CHECK_STR(fmt(1e23), "1e+23");
	CHECK_STR(fmt(1e22), "1e+22");
	CHECK_STR(fmt(1e-5), "1e-05");
	CHECK_STR(fmt(1e-4), "0.0001");
	CHECK_STR(fmt(1e15), "1000000000000000.0");
	CHECK_STR(fmt(1e16), "1e+16");
	CHECK_STR(fmt(-1e16), "-1e+16");
	CHECK_STR(fmt(ldexp(1.0, 1023)), "8.98846567431158e+307");
	CHECK_STR(fmt(ldexp(1.0, -1022)), "2.2250738585072014e-308");
	CHECK_STR(fmt(0.5), "0.5");
	CHECK_STR(fmt(1.5e300), "1.5e+300");
	CHECK_STR(fmt(5e-324 * 3), "1.5e-323");
	CHECK_STR(fmt(123456789.0), "123456789.0");
	CHECK_STR(fmt(-0.0), "-0.0");
}

/* fn's document, on one line (indent 0) or indented. */
static const char *render_indent(void (*fn)(tb_json *j), int indent)
{
	static tb_buf b = TB_BUF_INIT;
	tb_buf_clear(&b);
	tb_json j;
	if (indent)
		tb_json_init_indent(&j, &b, indent);
	else
		tb_json_init(&j, &b);
	fn(&j);
	return b.ptr;
}

static const char *render(void (*fn)(tb_json *j))
{
	return render_indent(fn, 0);
}

static void doc_nested(tb_json *j)
{
	tb_json_obj_begin(j);
	tb_json_key(j, "a");
	tb_json_arr_begin(j);
	tb_json_double(j, 1.5);
	tb_json_int(j, 2);
	tb_json_double(j, 0.25);
	tb_json_double(j, NAN);
	tb_json_double(j, INFINITY);
	tb_json_double(j, -INFINITY);
	tb_json_arr_end(j);
	tb_json_key(j, "b");
	tb_json_obj_begin(j);
	tb_json_obj_end(j);
	tb_json_key(j, "c");
	tb_json_arr_begin(j);
	tb_json_arr_end(j);
	tb_json_key(j, "d");
	tb_json_bool(j, 1);
	tb_json_key(j, "e");
	tb_json_bool(j, 0);
	tb_json_key(j, "f");
	tb_json_null(j);
	tb_json_key(j, "g");
	tb_json_int(j, INT64_MIN);
	tb_json_key(j, "h");
	tb_json_arr_begin(j);
	tb_json_arr_begin(j);
	tb_json_str(j, "x");
	tb_json_arr_end(j);
	tb_json_arr_begin(j);
	tb_json_arr_end(j);
	tb_json_arr_end(j);
	tb_json_obj_end(j);
}

static void doc_float_array(tb_json *j)
{
	double v[] = {0.1f, 0.1, 1.5, -2.5e-7f, NAN, -INFINITY, 1e300, 1443856985.705543};
	tb_json_float_array(j, v, sizeof v / sizeof v[0]);
}

/* tb_json_float_array: a float's digits for what a float holds, a double's
 * for the rest, and JSON's strings for NaN and infinities. */
static void test_json__float_array(void)
{
	CHECK_STR(render(doc_float_array), "[0.1, 0.1, 1.5, -2.5e-07, \"NaN\", \"-Infinity\", "
					   "1e+300, 1443856985.705543]");
}

static void test_json__structure(void)
{
	CHECK_STR(render(doc_nested),
		  "{\"a\": [1.5, 2, 0.25, \"NaN\", \"Infinity\", \"-Infinity\"], \"b\": {}, "
		  "\"c\": [], \"d\": true, \"e\": false, \"f\": null, "
		  "\"g\": -9223372036854775808, \"h\": [[\"x\"], []]}");
}

/* As Python's json.dumps(indent=2) and protobuf's JSON printer lay it out. */
static void test_json__indent(void)
{
	CHECK_STR(render_indent(doc_nested, 2),
		  "{\n"
		  "  \"a\": [\n"
		  "    1.5,\n"
		  "    2,\n"
		  "    0.25,\n"
		  "    \"NaN\",\n"
		  "    \"Infinity\",\n"
		  "    \"-Infinity\"\n"
		  "  ],\n"
		  "  \"b\": {},\n"
		  "  \"c\": [],\n"
		  "  \"d\": true,\n"
		  "  \"e\": false,\n"
		  "  \"f\": null,\n"
		  "  \"g\": -9223372036854775808,\n"
		  "  \"h\": [\n"
		  "    [\n"
		  "      \"x\"\n"
		  "    ],\n"
		  "    []\n"
		  "  ]\n"
		  "}");
}

static const char *esc(const char *s, size_t n)
{
	static tb_buf b = TB_BUF_INIT;
	tb_buf_clear(&b);
	tb_json j;
	tb_json_init(&j, &b);
	tb_json_str_n(&j, s, n);
	return b.ptr;
}

#define ESC(lit) esc(lit, sizeof(lit) - 1)

static void test_json__escaping(void)
{
	CHECK_STR(ESC("plain /path"), "\"plain /path\"");
	CHECK_STR(ESC("q\"b\\"), "\"q\\\"b\\\\\"");
	CHECK_STR(ESC("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
	CHECK_STR(ESC("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"");
	CHECK_STR(ESC("a\0b"), "\"a\\u0000b\"");
	CHECK_STR(ESC("caf\xc3\xa9"), "\"caf\\u00e9\"");
	CHECK_STR(ESC("\xe2\x82\xac"), "\"\\u20ac\"");
	CHECK_STR(ESC("\xef\xbf\xbf"), "\"\\uffff\"");
	/* U+1F600 as a surrogate pair */
	CHECK_STR(ESC("\xf0\x9f\x98\x80"), "\"\\ud83d\\ude00\"");
	CHECK_STR(ESC("\xf4\x8f\xbf\xbf"), "\"\\udbff\\udfff\"");
	/* invalid UTF-8: lone continuation, bad lead, truncated, surrogate, overlong */
	CHECK_STR(ESC("a\x80z"), "\"a\\ufffdz\"");
	CHECK_STR(ESC("\xff"), "\"\\ufffd\"");
	CHECK_STR(ESC("\xe2\x82"), "\"\\ufffd\"");
	CHECK_STR(ESC("\xe2\x82z"), "\"\\ufffdz\"");
	CHECK_STR(ESC("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
	CHECK_STR(ESC("\xc0\xaf"), "\"\\ufffd\\ufffd\"");
	CHECK_STR(ESC("\xf5\x80"), "\"\\ufffd\\ufffd\"");
	CHECK_STR(ESC("\xf0\x9f\x98"), "\"\\ufffd\"");
}

static void doc_keys(tb_json *j)
{
	tb_json_obj_begin(j);
	tb_json_key(j, "\xc3\xa9\n");
	tb_json_str(j, "v");
	tb_json_key_n(j, "kx", 1);
	tb_json_str_n(j, "vy", 1);
	tb_json_obj_end(j);
}

static void test_json__keys(void)
{
	CHECK_STR(render(doc_keys), "{\"\\u00e9\\n\": \"v\", \"k\": \"v\"}");
}

int main(void)
{
	TB_RUN(test_json__float_repr);
	TB_RUN(test_json__float_roundtrip);
	TB_RUN(test_json__float_matches_search);
	TB_RUN(test_json__float_edges);
	TB_RUN(test_json__float_many);
	TB_RUN(test_json__float32_many);
	TB_RUN(test_json__float_array);
	TB_RUN(test_json__ints);
	TB_RUN(test_json__point);
	TB_RUN(test_json__structure);
	TB_RUN(test_json__indent);
	TB_RUN(test_json__escaping);
	TB_RUN(test_json__keys);
	return tb_test_finish();
}
