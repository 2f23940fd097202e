/* The hparams dashboard's model (spec HTTP_API.md 10, FORMAT.md 10.8):
 * the messages decoded from stored HParamsPluginData, the experiment that
 * describes the columns, the session groups built from the runs, and the
 * requests parsed from protobuf JSON.
 *
 * Everything here is built per request from the store and owned by the
 * request; each type has a free function that takes NULL. The handlers in
 * hparams.c tie the parts together: hparams_pb.c decodes, hparams_req.c
 * parses requests, hparams_exp.c builds the experiment, hparams_groups.c
 * builds, filters, sorts and slices the session groups. */
#ifndef TB_HPARAMS_H
#define TB_HPARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "dash.h"

/* google.protobuf.Value (kind) */
enum { HP_NULL = 0, HP_NUMBER, HP_STRING, HP_BOOL, HP_STRUCT, HP_LIST };

typedef struct hp_value {
	int kind;
	double num;		/* HP_NUMBER */
	int b;			/* HP_BOOL */
	char *str;		/* HP_STRING (owned, NUL-terminated) */
	size_t n;		/* HP_STRUCT, HP_LIST: number of items */
	char **keys;		/* HP_STRUCT: keys[i] names items[i] (owned) */
	struct hp_value *items; /* owned */
} hp_value;

/* DataType, Status, SortOrder and AggregationType, as numbered upstream. */
enum { HP_TYPE_UNSET = 0, HP_TYPE_STRING = 1, HP_TYPE_BOOL = 2, HP_TYPE_FLOAT64 = 3 };
enum { HP_STATUS_UNKNOWN = 0, HP_STATUS_SUCCESS, HP_STATUS_FAILURE, HP_STATUS_RUNNING };
enum { HP_ORDER_UNSPECIFIED = 0, HP_ORDER_ASC, HP_ORDER_DESC };
enum { HP_AGG_UNSET = 0, HP_AGG_AVG, HP_AGG_MEDIAN, HP_AGG_MIN, HP_AGG_MAX };
enum { HP_DOMAIN_NONE = 0, HP_DOMAIN_DISCRETE, HP_DOMAIN_INTERVAL };

typedef struct hp_metric_name {
	char *group, *tag; /* owned, never NULL */
} hp_metric_name;

typedef struct hp_hparam_info {
	char *name, *display_name, *description; /* owned, never NULL */
	int type;				 /* HP_TYPE_* */
	int domain;				 /* HP_DOMAIN_* */
	hp_value discrete;			 /* HP_LIST when domain is discrete */
	double min, max;			 /* when domain is an interval */
	int differs;
} hp_hparam_info;

typedef struct hp_metric_info {
	hp_metric_name name;
	char *display_name, *description; /* owned, never NULL */
	int dataset_type;
} hp_metric_info;

typedef struct hp_experiment {
	char *name, *description, *user; /* owned, never NULL */
	double time_created;		 /* seconds */
	hp_hparam_info *hparams;
	size_t n_hparams;
	hp_metric_info *metrics;
	size_t n_metrics;
} hp_experiment;

typedef struct hp_start_info {
	hp_value hparams;			    /* HP_STRUCT: name -> value */
	char *model_uri, *monitor_url, *group_name; /* owned, never NULL */
	double start_time;			    /* seconds */
} hp_start_info;

typedef struct hp_end_info {
	int status;	 /* HP_STATUS_* (any number read from disk) */
	double end_time; /* seconds */
} hp_end_info;

/* --- hparams_pb.c: decoding stored plugin content ----------------------- */

/* Which member of HParamsPluginData.data a tag's content must hold. */
enum { HP_DATA_EXPERIMENT = 2, HP_DATA_START = 3, HP_DATA_END = 4 };

/* Decode HParamsPluginData content expecting member `which`, into *out
 * (an hp_experiment, hp_start_info or hp_end_info, zeroed by the caller).
 * Returns 0, or TB_ECORRUPT when the bytes do not parse, the version is
 * not 0 or the member is another one (then *out holds nothing to free
 * beyond what the matching free function releases). */
int hp_decode(void *out, int which, const uint8_t *p, size_t n);

void hp_value_free(hp_value *v);
/* Deep copy of v into *out. */
void hp_value_copy(hp_value *out, const hp_value *v);
void hp_experiment_free(hp_experiment *e);
void hp_start_info_free(hp_start_info *s);

/* --- writing ------------------------------------------------------------ */

/* A Value as protobuf JSON: number, string, bool, null, object, array. */
void hp_write_value(tb_json *j, const hp_value *v);
void hp_write_metric_name(tb_json *j, const hp_metric_name *m);
/* The experiment as protobuf JSON with every default present. */
void hp_write_experiment(tb_json *j, const hp_experiment *e);

/* --- hparams_exp.c: the experiment (spec 10.3) --------------------------- */

/* Build the experiment of the store: the first stored one, else inferred
 * from the session runs and scalar tags, else empty. With a limit > 0 the
 * hparams are cut to that many. Reads through the caller's reader.
 * Returns 0, or TB_ECORRUPT with a message in err when stored plugin data
 * does not parse. */
int hp_experiment_build(hp_experiment *out, tb_reader *rd, int include_metrics, int64_t limit,
			tb_buf *err);

/* The session start or end info of run r (held by the caller's reader).
 * Returns 1 decoded into *out (zeroed by the caller; free a start info
 * with hp_start_info_free in every case), 0 when r has none, or
 * TB_ECORRUPT with a message in err. */
int hp_read_start(hp_start_info *out, const tb_run *r, tb_buf *err);
int hp_read_end(hp_end_info *out, const tb_run *r, tb_buf *err);

/* The run holding metric `group` of session `session` (os.path.normpath
 * of their join). Returned string is owned by the caller. */
char *hp_metric_run(const char *session, const char *group);

/* --- hparams_req.c: requests in protobuf JSON (spec 10.1, 10.7) ---------- */

enum { HP_FILTER_NONE = 0, HP_FILTER_REGEXP, HP_FILTER_INTERVAL, HP_FILTER_DISCRETE };

typedef struct hp_col {
	int has_metric;	       /* name oneof: metric ... */
	hp_metric_name metric; /* owned when has_metric */
	char *hparam;	       /* ... or hparam (owned), NULL when unset */
	int order;	       /* HP_ORDER_* */
	int missing_first;
	int filter; /* HP_FILTER_* */
	char *regexp;
	double min, max;
	hp_value discrete; /* HP_LIST */
	int exclude_missing;
	int include_in_result; /* -1 unset, else 0 or 1 */
} hp_col;

typedef struct hp_exp_req {
	int include_metrics; /* default 1 */
	int64_t limit;	     /* hparamsLimit, 0 = none */
} hp_exp_req;

typedef struct hp_groups_req {
	int *statuses; /* allowedStatuses */
	size_t n_statuses;
	hp_col *cols;
	size_t n_cols;
	int agg_type;
	hp_metric_name agg_metric; /* owned, never NULL after parsing */
	int64_t start, slice;	   /* startIndex, sliceSize (int32 range) */
	int include_metrics;	   /* default 1 */
} hp_groups_req;

typedef struct hp_evals_req {
	char *session;	       /* owned, never NULL after parsing */
	hp_metric_name metric; /* owned, never NULL after parsing */
} hp_evals_req;

/* Parse one request message from protobuf JSON text (field names in
 * lowerCamelCase or snake_case, enums by name or number). Returns 0, or
 * TB_EINVAL with a message in err (the output then needs freeing all the
 * same). */
int hp_parse_exp_req(hp_exp_req *out, const char *text, tb_buf *err);
int hp_parse_groups_req(hp_groups_req *out, const char *text, tb_buf *err);
int hp_parse_evals_req(hp_evals_req *out, const char *text, tb_buf *err);
void hp_groups_req_free(hp_groups_req *q);
void hp_evals_req_free(hp_evals_req *q);

/* --- hparams_groups.c: session groups (spec 10.4) ------------------------ */

typedef struct hp_mval {
	const hp_metric_name *name; /* borrowed from the experiment */
	double value;
	int64_t step;
	double wall; /* seconds */
} hp_mval;

typedef struct hp_session {
	const char *name;	    /* the run's name (borrowed) */
	const hp_start_info *start; /* borrowed from hp_groups.starts */
	double end_time;
	int status;
	hp_mval *mv; /* owned */
	size_t n_mv;
} hp_session;

typedef struct hp_group {
	const char *name; /* group name (borrowed) */
	hp_value hparams; /* HP_STRUCT, owned copy */
	hp_mval *mv;	  /* aggregated, owned */
	size_t n_mv;
	hp_session **sessions; /* borrowed from hp_groups.sessions, sorted by name */
	size_t n_sessions;
	const char *monitor_url; /* borrowed */
} hp_group;

typedef struct hp_groups {
	hp_experiment exp;
	hp_start_info *starts; /* one per session */
	hp_session *sessions;
	size_t n_sessions;
	hp_group **groups;   /* filtered and sorted; owned */
	size_t n_groups;     /* totalSize */
	size_t first, count; /* the requested slice of groups */
} hp_groups;

/* Run the session-groups query q against the store through the caller's
 * reader. Returns 0, or TB_EINVAL with a message in err for a request
 * that cannot be answered (bad filter for a value, bad regexp, mixed-type
 * sort column, column without name) or TB_ECORRUPT for stored data that
 * does not parse. Free *out with hp_groups_free in
 * every case. */
int hp_groups_build(hp_groups *out, tb_reader *rd, const hp_groups_req *q, tb_buf *err);
void hp_groups_free(hp_groups *g);
/* The ListSessionGroupsResponse of the slice, as protobuf JSON. */
void hp_write_groups(tb_json *j, const hp_groups *g);

#endif
