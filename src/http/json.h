/* A streaming JSON writer that encodes as upstream TensorBoard does
 * (spec HTTP_API.md 2.2): ", " and ": " separators, non-ASCII escaped as
 * \uXXXX, floats in Python's shortest repr, NaN/Infinity as strings.
 *
 * Commas are inserted automatically from a nesting stack. An indenting
 * writer (tb_json_init_indent) lays the same values out as protobuf's JSON
 * printer and Python's json.dumps(indent=N) do: one member or element per
 * line, "," at line ends, empty containers as {} and []. Not thread-safe;
 * one writer per response. */
#ifndef TB_JSON_H
#define TB_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/numfmt.h" /* tb_fmt_double, tb_fmt_int */

#define TB_JSON_MAX_DEPTH 64

typedef struct tb_json {
	tb_buf *out;
	int depth;
	unsigned char count[TB_JSON_MAX_DEPTH]; /* items so far at each level (saturating) */
	unsigned char after_key;
	unsigned char indent; /* spaces per level; 0: one line */
} tb_json;

void tb_json_init(tb_json *j, tb_buf *out);
/* An indenting writer: indent spaces per nesting level (1 to 8). */
void tb_json_init_indent(tb_json *j, tb_buf *out, int indent);
void tb_json_obj_begin(tb_json *j);
void tb_json_obj_end(tb_json *j);
void tb_json_arr_begin(tb_json *j);
void tb_json_arr_end(tb_json *j);
void tb_json_key(tb_json *j, const char *key);
void tb_json_key_n(tb_json *j, const char *key, size_t n);
void tb_json_str(tb_json *j, const char *s);
void tb_json_str_n(tb_json *j, const char *s, size_t n);
/* A member whose value is the string s: tb_json_key then tb_json_str. */
void tb_json_key_str(tb_json *j, const char *key, const char *s);
void tb_json_int(tb_json *j, int64_t v);
/* Python repr of a double; NaN -> "NaN", +inf -> "Infinity", -inf -> "-Infinity". */
void tb_json_double(tb_json *j, double v);
/* [wall, step, value]: one scalar point as upstream's scalars route lists
 * it, written in one piece. */
void tb_json_point(tb_json *j, double wall, int64_t step, double value);
/* An array of n integers, doubles or strings. */
void tb_json_int_array(tb_json *j, const int64_t *v, size_t n);
void tb_json_double_array(tb_json *j, const double *v, size_t n);
void tb_json_str_array(tb_json *j, const char *const *v, size_t n);
/* An array of n doubles where each one a float holds exactly is spelled
 * with the float's shortest digits (tb_fmt_float), which read back as the
 * same float; any other as tb_json_double. */
void tb_json_float_array(tb_json *j, const double *v, size_t n);
void tb_json_bool(tb_json *j, int v);
void tb_json_null(tb_json *j);

#endif
