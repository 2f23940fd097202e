/* Parsing the hparams requests from protobuf JSON (spec HTTP_API.md 10.1,
 * message definitions in 10.7).
 *
 * As protobuf's JSON parser does, this accepts each field under its
 * lowerCamelCase or its original name, enums by name or number, integral
 * floats and decimal strings for integer fields, "NaN"/"Infinity" strings
 * for doubles, and null for "not set"; it refuses unknown fields, values
 * of the wrong type, integers outside int32, duplicate keys and a second
 * member of a oneof. Every refusal leaves a message in err. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "hparams.h"

typedef struct field {
	const char *camel, *snake;
} field;

#define N_FIELDS(a) ((int)(sizeof a / sizeof *a))

/* Index of the field named `key` in fields, or -1 with a message in err
 * when there is none or it was given already (under either name). */
static int field_index(const field *fields, int n, const char *msg, const char *key, unsigned *seen,
		       tb_buf *err)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(key, fields[i].camel) != 0 && strcmp(key, fields[i].snake) != 0)
			continue;
		if (*seen & (1u << i)) {
			tb_buf_printf(err,
				      "Message type \"%s\" should not have multiple \"%s\" fields.",
				      msg, fields[i].snake);
			return -1;
		}
		*seen |= 1u << i;
		return i;
	}
	tb_buf_printf(err, "Message type \"%s\" has no field named \"%s\".", msg, key);
	return -1;
}

static int want_object(const json_t *v, const char *msg, tb_buf *err)
{
	if (json_is_object(v))
		return 0;
	tb_buf_printf(err, "Message type \"%s\" must be a JSON object.", msg);
	return TB_EINVAL;
}

/* Store field i of a message from x, a JSON value that is not null.
 * Returns 0, or nonzero with a message in err. */
typedef int (*set_field_fn)(void *q, int i, json_t *x, tb_buf *err);

/* Walk the members of JSON object v as the fields of message `msg`: each
 * must name one of the n fields, not given before under either name; a
 * null member leaves its field unset and every other one goes to set(q,
 * i, x, err). Returns 0, or TB_EINVAL at the first refusal, with a
 * message in err. */
static int get_fields(json_t *v, const field *fields, int n, const char *msg, set_field_fn set,
		      void *q, tb_buf *err)
{
	const char *key;
	json_t *x;
	unsigned seen = 0;
	json_object_foreach(v, key, x)
	{
		int i = field_index(fields, n, msg, key, &seen, err);
		if (i < 0)
			return TB_EINVAL;
		if (json_is_null(x))
			continue; /* null: not set */
		if (set(q, i, x, err))
			return TB_EINVAL;
	}
	return 0;
}

static int get_string(char **out, const json_t *v, const char *name, tb_buf *err)
{
	if (!json_is_string(v)) {
		tb_buf_printf(err, "Invalid value for string field %s.", name);
		return TB_EINVAL;
	}
	free(*out);
	*out = tb_xstrdup(json_string_value(v));
	return 0;
}

static int get_bool(int *out, const json_t *v, const char *name, tb_buf *err)
{
	if (!json_is_boolean(v)) {
		tb_buf_printf(err, "Invalid value for bool field %s.", name);
		return TB_EINVAL;
	}
	*out = json_is_true(v);
	return 0;
}

static int get_int32(int64_t *out, const json_t *v, const char *name, tb_buf *err)
{
	double d = NAN;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		d = i < INT32_MIN || i > INT32_MAX ? NAN : (double)i;
	} else if (json_is_real(v)) {
		d = json_real_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		errno = 0;
		long long i = strtoll(s, &end, 10);
		if (*s && !*end && !errno)
			d = i < INT32_MIN || i > INT32_MAX ? NAN : (double)i;
	}
	if (!(d >= INT32_MIN && d <= INT32_MAX) || d != floor(d)) {
		tb_buf_printf(err, "Invalid value for int32 field %s (not an integer in range).",
			      name);
		return TB_EINVAL;
	}
	*out = (int64_t)d;
	return 0;
}

static int get_double(double *out, const json_t *v, const char *name, tb_buf *err)
{
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (strcmp(s, "NaN") == 0) {
			*out = NAN;
			return 0;
		}
		if (strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0) {
			*out = s[0] == '-' ? -INFINITY : INFINITY;
			return 0;
		}
		char *end;
		double d = strtod(s, &end);
		if (*s && !*end && isfinite(d)) {
			*out = d;
			return 0;
		}
	}
	tb_buf_printf(err, "Invalid value for double field %s.", name);
	return TB_EINVAL;
}

static int get_enum(int *out, const json_t *v, const char *const *names, int n, const char *name,
		    tb_buf *err)
{
	if (json_is_string(v)) {
		for (int i = 0; i < n; i++)
			if (strcmp(json_string_value(v), names[i]) == 0) {
				*out = i;
				return 0;
			}
	} else if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) < n) {
		*out = (int)json_integer_value(v);
		return 0;
	}
	tb_buf_printf(err, "Invalid enum value for field %s.", name);
	return TB_EINVAL;
}

static const char *const STATUSES[] = {"STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE",
				       "STATUS_RUNNING"};
static const char *const ORDERS[] = {"ORDER_UNSPECIFIED", "ORDER_ASC", "ORDER_DESC"};
static const char *const AGGREGATIONS[] = {"AGGREGATION_UNSET", "AGGREGATION_AVG",
					   "AGGREGATION_MEDIAN", "AGGREGATION_MIN",
					   "AGGREGATION_MAX"};

/* A JSON value as a google.protobuf.Value (any JSON). */
static int get_value(hp_value *out, const json_t *v, int depth, tb_buf *err)
{
	memset(out, 0, sizeof *out);
	if (depth > 32) {
		tb_buf_puts(err, "Value nested too deeply.");
		return TB_EINVAL;
	}
	switch (json_typeof(v)) {
	case JSON_INTEGER:
	case JSON_REAL:
		out->kind = HP_NUMBER;
		out->num = json_number_value(v);
		return 0;
	case JSON_STRING:
		out->kind = HP_STRING;
		out->str = tb_xstrdup(json_string_value(v));
		return 0;
	case JSON_TRUE:
	case JSON_FALSE:
		out->kind = HP_BOOL;
		out->b = json_is_true(v);
		return 0;
	case JSON_ARRAY: {
		out->kind = HP_LIST;
		out->items = tb_xcalloc(json_array_size(v) + 1, sizeof *out->items);
		for (size_t i = 0; i < json_array_size(v); i++) {
			out->n++;
			if (get_value(&out->items[i], json_array_get(v, i), depth + 1, err))
				return TB_EINVAL;
		}
		return 0;
	}
	case JSON_OBJECT: {
		out->kind = HP_STRUCT;
		size_t n = json_object_size(v), i = 0;
		out->items = tb_xcalloc(n + 1, sizeof *out->items);
		out->keys = tb_xcalloc(n + 1, sizeof *out->keys);
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x)
		{
			out->keys[i] = tb_xstrdup(k);
			out->n++;
			if (get_value(&out->items[i++], x, depth + 1, err))
				return TB_EINVAL;
		}
		return 0;
	}
	default:
		out->kind = HP_NULL;
		return 0;
	}
}

static int set_metric_name(void *q, int i, json_t *x, tb_buf *err)
{
	hp_metric_name *m = q;
	return get_string(i == 0 ? &m->group : &m->tag, x, i == 0 ? "group" : "tag", err);
}

static int get_metric_name(hp_metric_name *m, json_t *v, tb_buf *err)
{
	static const field fields[] = {{"group", "group"}, {"tag", "tag"}};
	const char *msg = "tensorboard.hparams.MetricName";
	if (want_object(v, msg, err))
		return TB_EINVAL;
	return get_fields(v, fields, N_FIELDS(fields), msg, set_metric_name, m, err);
}

static void metric_name_init(hp_metric_name *m)
{
	if (!m->group)
		m->group = tb_xstrdup("");
	if (!m->tag)
		m->tag = tb_xstrdup("");
}

static int set_filter(hp_col *c, int filter, tb_buf *err)
{
	if (c->filter) {
		tb_buf_puts(err, "Message type \"tensorboard.hparams.ColParams\" has more than one "
				 "member of oneof \"filter\".");
		return TB_EINVAL;
	}
	c->filter = filter;
	return 0;
}

static int set_interval(void *q, int i, json_t *x, tb_buf *err)
{
	hp_col *c = q;
	return get_double(i == 0 ? &c->min : &c->max, x, i == 0 ? "min_value" : "max_value", err);
}

static int set_col(void *q, int i, json_t *x, tb_buf *err)
{
	static const field interval[] = {{"minValue", "min_value"}, {"maxValue", "max_value"}};
	const char *msg = "tensorboard.hparams.ColParams";
	hp_col *c = q;
	int rc = 0;
	switch (i) {
	case 0:
	case 1:
		if (c->has_metric || c->hparam) {
			tb_buf_printf(err,
				      "Message type \"%s\" has more than one member of "
				      "oneof \"name\".",
				      msg);
			return TB_EINVAL;
		}
		if (i == 0) {
			c->has_metric = 1;
			rc = get_metric_name(&c->metric, x, err);
			metric_name_init(&c->metric);
		} else {
			rc = get_string(&c->hparam, x, "hparam", err);
		}
		break;
	case 2:
		rc = get_enum(&c->order, x, ORDERS, 3, "order", err);
		break;
	case 3:
		rc = get_bool(&c->missing_first, x, "missing_values_first", err);
		break;
	case 4:
		rc = set_filter(c, HP_FILTER_REGEXP, err) ||
		     get_string(&c->regexp, x, "filter_regexp", err);
		break;
	case 5:
		rc = set_filter(c, HP_FILTER_INTERVAL, err) ||
		     want_object(x, "tensorboard.hparams.Interval", err) ||
		     get_fields(x, interval, N_FIELDS(interval), "tensorboard.hparams.Interval",
				set_interval, c, err);
		break;
	case 6:
		if (!json_is_array(x)) {
			tb_buf_puts(err, "filter_discrete must be a JSON array.");
			return TB_EINVAL;
		}
		rc = set_filter(c, HP_FILTER_DISCRETE, err) || get_value(&c->discrete, x, 0, err);
		break;
	case 7:
		rc = get_bool(&c->exclude_missing, x, "exclude_missing_values", err);
		break;
	default:
		rc = get_bool(&c->include_in_result, x, "include_in_result", err);
	}
	return rc;
}

static int get_col(hp_col *c, json_t *v, tb_buf *err)
{
	static const field fields[] = {
	    {"metric", "metric"},
	    {"hparam", "hparam"},
	    {"order", "order"},
	    {"missingValuesFirst", "missing_values_first"},
	    {"filterRegexp", "filter_regexp"},
	    {"filterInterval", "filter_interval"},
	    {"filterDiscrete", "filter_discrete"},
	    {"excludeMissingValues", "exclude_missing_values"},
	    {"includeInResult", "include_in_result"},
	};
	const char *msg = "tensorboard.hparams.ColParams";
	c->include_in_result = -1;
	c->discrete.kind = HP_LIST;
	if (want_object(v, msg, err))
		return TB_EINVAL;
	return get_fields(v, fields, N_FIELDS(fields), msg, set_col, c, err);
}

/* Parse text into a JSON object, or say what was expected. */
static json_t *load(const char *text, const char *type, tb_buf *err)
{
	json_t *v = text ? json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL) : NULL;
	if (!json_is_object(v)) {
		json_decref(v);
		tb_buf_printf(err,
			      "Expected a JSON-formatted request data of type: %s, but got %s ",
			      type, text ? text : "None");
		return NULL;
	}
	return v;
}

/* Check that x is a string, which a request's experiment_name must be,
 * without keeping it. */
static int check_string(json_t *x, const char *name, tb_buf *err)
{
	char *str = NULL;
	int rc = get_string(&str, x, name, err);
	free(str);
	return rc;
}

static int set_exp(void *q, int i, json_t *x, tb_buf *err)
{
	hp_exp_req *r = q;
	if (i == 0)
		return check_string(x, "experiment_name", err);
	if (i == 1)
		return get_bool(&r->include_metrics, x, "include_metrics", err);
	return get_int32(&r->limit, x, "hparams_limit", err);
}

static int parse_exp(hp_exp_req *q, json_t *v, tb_buf *err)
{
	static const field fields[] = {{"experimentName", "experiment_name"},
				       {"includeMetrics", "include_metrics"},
				       {"hparamsLimit", "hparams_limit"}};
	return get_fields(v, fields, N_FIELDS(fields), "tensorboard.hparams.GetExperimentRequest",
			  set_exp, q, err);
}

int hp_parse_exp_req(hp_exp_req *out, const char *text, tb_buf *err)
{
	out->include_metrics = 1;
	out->limit = 0;
	json_t *v = load(text, "tensorboard.hparams.GetExperimentRequest", err);
	int rc = v ? parse_exp(out, v, err) : TB_EINVAL;
	json_decref(v);
	return rc;
}

static int set_groups(void *q, int i, json_t *x, tb_buf *err)
{
	hp_groups_req *r = q;
	int rc = 0;
	switch (i) {
	case 0:
		return check_string(x, "experiment_name", err);
	case 1:
	case 2:
		if (!json_is_array(x)) {
			tb_buf_printf(err, "Field %s must be a JSON array.",
				      i == 1 ? "allowed_statuses" : "col_params");
			return TB_EINVAL;
		}
		if (i == 1) {
			r->statuses = tb_xcalloc(json_array_size(x) + 1, sizeof *r->statuses);
			for (size_t k = 0; k < json_array_size(x) && !rc; k++)
				rc = get_enum(&r->statuses[r->n_statuses++], json_array_get(x, k),
					      STATUSES, 4, "allowed_statuses", err);
		} else {
			r->cols = tb_xcalloc(json_array_size(x) + 1, sizeof *r->cols);
			for (size_t k = 0; k < json_array_size(x) && !rc; k++)
				rc = get_col(&r->cols[r->n_cols++], json_array_get(x, k), err);
		}
		return rc;
	case 3:
		return get_enum(&r->agg_type, x, AGGREGATIONS, 5, "aggregation_type", err);
	case 4:
		return get_metric_name(&r->agg_metric, x, err);
	case 5:
		return get_int32(&r->start, x, "start_index", err);
	case 6:
		return get_int32(&r->slice, x, "slice_size", err);
	default:
		return get_bool(&r->include_metrics, x, "include_metrics", err);
	}
}

/* The body of hp_parse_groups_req, returning early on the first error. */
static int parse_groups(hp_groups_req *q, json_t *v, tb_buf *err)
{
	static const field fields[] = {
	    {"experimentName", "experiment_name"},
	    {"allowedStatuses", "allowed_statuses"},
	    {"colParams", "col_params"},
	    {"aggregationType", "aggregation_type"},
	    {"aggregationMetric", "aggregation_metric"},
	    {"startIndex", "start_index"},
	    {"sliceSize", "slice_size"},
	    {"includeMetrics", "include_metrics"},
	};
	return get_fields(v, fields, N_FIELDS(fields),
			  "tensorboard.hparams.ListSessionGroupsRequest", set_groups, q, err);
}

int hp_parse_groups_req(hp_groups_req *out, const char *text, tb_buf *err)
{
	memset(out, 0, sizeof *out);
	out->include_metrics = 1;
	json_t *v = load(text, "tensorboard.hparams.ListSessionGroupsRequest", err);
	int rc = v ? parse_groups(out, v, err) : TB_EINVAL;
	metric_name_init(&out->agg_metric);
	json_decref(v);
	return rc;
}

static int set_evals(void *q, int i, json_t *x, tb_buf *err)
{
	hp_evals_req *r = q;
	if (i == 0)
		return check_string(x, "experiment_name", err);
	if (i == 1)
		return get_string(&r->session, x, "session_name", err);
	return get_metric_name(&r->metric, x, err);
}

static int parse_evals(hp_evals_req *q, json_t *v, tb_buf *err)
{
	static const field fields[] = {{"experimentName", "experiment_name"},
				       {"sessionName", "session_name"},
				       {"metricName", "metric_name"}};
	return get_fields(v, fields, N_FIELDS(fields), "tensorboard.hparams.ListMetricEvalsRequest",
			  set_evals, q, err);
}

int hp_parse_evals_req(hp_evals_req *out, const char *text, tb_buf *err)
{
	memset(out, 0, sizeof *out);
	json_t *v = load(text, "tensorboard.hparams.ListMetricEvalsRequest", err);
	int rc = v ? parse_evals(out, v, err) : TB_EINVAL;
	if (!out->session)
		out->session = tb_xstrdup("");
	metric_name_init(&out->metric);
	json_decref(v);
	return rc;
}

void hp_groups_req_free(hp_groups_req *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->n_cols; i++) {
		hp_col *c = &q->cols[i];
		free(c->metric.group);
		free(c->metric.tag);
		free(c->hparam);
		free(c->regexp);
		hp_value_free(&c->discrete);
	}
	free(q->cols);
	free(q->statuses);
	free(q->agg_metric.group);
	free(q->agg_metric.tag);
	memset(q, 0, sizeof *q);
}

void hp_evals_req_free(hp_evals_req *q)
{
	if (!q)
		return;
	free(q->session);
	free(q->metric.group);
	free(q->metric.tag);
	memset(q, 0, sizeof *q);
}
