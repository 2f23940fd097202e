/* libtboard: write TensorBoard event files from C.
 *
 * A tb_writer owns one event file in a log directory, named like the files
 * of TensorBoard's own writer (events.out.tfevents.<secs>.<host>.<pid>.<n>),
 * and appends TFRecord-framed Event protos that TensorBoard and tboard read.
 * Events are buffered in memory and written when max_queue events are
 * pending, when flush_secs have passed since the last write (checked when
 * an event is added), on tb_writer_flush and on tb_writer_close.
 *
 * The library never aborts or prints: failures come back as TB_E* codes
 * (tboard/error.h) with a message from tb_writer_errmsg. C99; usable from
 * C++. Link with `pkg-config --cflags --libs tboard`.
 *
 *     tb_writer *w;
 *     if (tb_writer_open(&w, "runs/exp1", NULL) == TB_OK) {
 *         for (int64_t step = 0; step < 100; step++)
 *             tb_writer_add_scalar(w, "loss", 1.0 / (step + 1), step, 0);
 *         tb_writer_close(w);
 *     }
 */
#ifndef TBOARD_WRITER_H
#define TBOARD_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tb_writer tb_writer;

/* How tb_writer_add_scalar stores a value. */
enum {
	/* Summary.Value.tensor: a rank-0 DT_FLOAT tensor, with SummaryMetadata
	 * naming the "scalars" plugin on the first value of each tag in a file.
	 * What TensorFlow 2 writes. The default. */
	TB_SCALAR_TENSOR = 0,
	/* Legacy Summary.Value.simple_value, what TF1 and PyTorch's
	 * SummaryWriter.add_scalar write by default. Smaller. */
	TB_SCALAR_SIMPLE_VALUE = 1
};

/* Writer options. A zeroed struct, or NULL, means all defaults. */
typedef struct tb_writer_opts {
	/* Appended to the file name, e.g. ".v2"; NULL or "" for none. Must not
	 * contain '/'. Copied by tb_writer_open. */
	const char *filename_suffix;
	/* Write pending events once this many seconds have passed since the
	 * last write; checked when an event is added. <= 0: 120. */
	double flush_secs;
	/* Write pending events once this many are queued. <= 0: 10. */
	int max_queue;
	/* TB_SCALAR_TENSOR (default) or TB_SCALAR_SIMPLE_VALUE. */
	int scalar_encoding;
} tb_writer_opts;

/* Fill *opts with the defaults: no suffix, flush_secs 120, max_queue 10,
 * TB_SCALAR_TENSOR. Thread-safe. */
TB_EXPORT void tb_writer_opts_init(tb_writer_opts *opts);

/* Create logdir (and its parents) if needed, create a new event file in it
 * and write its first record (file_version "brain.Event:2", source_metadata
 * writer "tboard"), which reaches the file before this returns. The file is
 * never overwritten: each writer in a process gets its own counter value.
 *
 * On success *out is a writer the caller frees with tb_writer_close. opts
 * (NULL for defaults) and logdir are not kept.
 * Returns TB_OK; TB_EINVAL if out or logdir is NULL, logdir is empty or an
 * option is invalid; TB_EIO if the directory or file cannot be created or
 * written; TB_ENOMEM. On failure *out is NULL and tb_writer_errmsg(NULL)
 * explains it.
 * Thread-safe: writers may be opened from several threads at once. */
TB_EXPORT int tb_writer_open(tb_writer **out, const char *logdir, const tb_writer_opts *opts);

/* Queue one scalar event: value for tag at step. value is stored as a
 * 32-bit float (NaN and infinities are kept; finite values beyond float's
 * range become infinities). wall_time is seconds since the Unix epoch;
 * <= 0, NaN or infinite means now. tag must be a non-empty UTF-8 string;
 * '/' separates groups in the UI. May write queued events (see top).
 * Returns TB_OK; TB_EINVAL if w or tag is NULL, or tag is empty or not
 * valid UTF-8 (nothing is queued); TB_ENOMEM (nothing is queued); TB_EIO if
 * writing queued events failed, in which case this event is still queued
 * and unwritten bytes are retried on the next write.
 * Thread-safe: calls on one writer are serialised by a mutex. */
TB_EXPORT int tb_writer_add_scalar(tb_writer *w, const char *tag, double value, int64_t step,
				   double wall_time);

/* Like tb_writer_add_scalar, but the value keeps double precision: a
 * rank-0 DT_DOUBLE tensor with "scalars" metadata (what PyTorch writes with
 * double_precision=True). Written in tensor form whatever scalar_encoding
 * says. Same returns and thread safety as tb_writer_add_scalar. */
TB_EXPORT int tb_writer_add_scalar_double(tb_writer *w, const char *tag, double value, int64_t step,
					  double wall_time);

/* Several related scalars at one step, as PyTorch's add_scalars does: value
 * i goes to the run "<logdir>/<main_tag>_<keys[i]>" (each '/' in main_tag
 * replaced by '_') under the tag main_tag. The sub-run writers are created
 * on first use with w's options, and are flushed and closed with w.
 * Returns TB_OK; TB_EINVAL if w, main_tag, keys or values is NULL, n is 0,
 * or a key is NULL, empty or contains '/' (nothing is written); TB_EIO if
 * a sub-run cannot be created or written; TB_ENOMEM. On an error, values
 * before the failing key have been queued. Thread-safe. */
TB_EXPORT int tb_writer_add_scalars(tb_writer *w, const char *main_tag, const char *const *keys,
				    const double *values, size_t n, int64_t step, double wall_time);

/* Histogram of n raw values in the "histograms" plugin's form: a [k, 3]
 * DT_DOUBLE tensor of rows [left edge, right edge, count], bucketed as
 * TensorBoard's summary API does (FORMAT.md 10.3): k equal-width buckets
 * from min to max, the last one closed; all values equal put every count
 * in the last of k [v, v] buckets; n == 0 gives k all-zero rows. NaN
 * anywhere makes every edge NaN; values that land on no bucket (NaN, or
 * infinities) are not counted. buckets <= 0 means 30.
 * Returns TB_OK; TB_EINVAL if w or tag is bad or values is NULL with
 * n > 0; TB_ENOMEM; TB_EIO as for tb_writer_add_scalar. Thread-safe. */
TB_EXPORT int tb_writer_add_histogram(tb_writer *w, const char *tag, const double *values, size_t n,
				      int buckets, int64_t step, double wall_time);

/* A histogram from given buckets: k buckets, bucket i spanning edges[i] to
 * edges[i + 1] (so edges holds k + 1 values) with counts[i] values. k may
 * be 0. Stored as add_histogram stores its result.
 * Returns TB_OK; TB_EINVAL if w or tag is bad, or edges or counts is NULL
 * with k > 0; TB_ENOMEM; TB_EIO. Thread-safe. */
TB_EXPORT int tb_writer_add_histogram_raw(tb_writer *w, const char *tag, const double *edges,
					  const double *counts, size_t k, int64_t step,
					  double wall_time);

/* Pixel element types and memory layouts of a tb_image. */
enum {
	TB_PIXEL_U8 = 0,   /* uint8_t, 0..255 */
	TB_PIXEL_F32 = 1,  /* float in [0, 1]; clamped, NaN = 0, scaled by 255 and rounded */
	TB_LAYOUT_HWC = 0, /* rows of pixels, channels interleaved */
	TB_LAYOUT_CHW = 1, /* one plane per channel */
	TB_LAYOUT_HW = 2   /* one channel: channels must be 1 (or 0) */
};

/* An image in memory, borrowed for the duration of a call. channels: 1
 * (grey), 3 (RGB) or 4 (RGBA). */
typedef struct tb_image {
	const void *pixels; /* height * width * channels elements */
	int pixel_type;	    /* TB_PIXEL_* */
	int layout;	    /* TB_LAYOUT_* */
	int height, width, channels;
} tb_image;

/* One image, PNG-encoded, in the "images" plugin's form: a DT_STRING
 * tensor [width, height, png] with ImagePluginData metadata.
 * Returns TB_OK; TB_EINVAL if w, tag or img is bad (NULL pixels, a size
 * <= 0 or so large that it overflows, channels not 1, 3 or 4, unknown
 * type or layout); TB_ENOMEM; TB_EIO. Thread-safe. */
TB_EXPORT int tb_writer_add_image(tb_writer *w, const char *tag, const tb_image *img, int64_t step,
				  double wall_time);

/* A batch of n images of one size: batch->pixels holds n images one after
 * another, each laid out as batch describes. Stored as [width, height,
 * png_0, ..., png_{n-1}]; n == 0 stores no image (pixels may then be NULL).
 * Returns and thread safety as tb_writer_add_image. */
TB_EXPORT int tb_writer_add_images(tb_writer *w, const char *tag, const tb_image *batch, size_t n,
				   int64_t step, double wall_time);

/* One audio clip for tb_writer_add_audios, borrowed for the call. */
typedef struct tb_audio_clip {
	const float *samples; /* frames * channels, interleaved, in [-1, 1] */
	size_t frames;	      /* samples per channel; 0 is allowed */
	const char *label;    /* Markdown, or NULL for none */
} tb_audio_clip;

/* k clips in the "audio" plugin's form: a DT_STRING tensor [k, 2] of rows
 * [WAV file, label], AudioPluginData{encoding WAV} metadata. Each clip is
 * encoded as 16-bit PCM WAV: samples clamped to [-1, 1], NaN as 0, scaled
 * by 32768 and rounded (1.0 becomes 32767). channels 1 (mono) or 2
 * (stereo); sample_rate in Hz, 1..2^31-1, rounded to an integer.
 * Returns TB_OK; TB_EINVAL if w or tag is bad, clips is NULL with k > 0,
 * a clip has NULL samples with frames > 0, a label is not UTF-8, or
 * channels or sample_rate is out of range; TB_ENOMEM; TB_EIO.
 * Thread-safe. */
TB_EXPORT int tb_writer_add_audios(tb_writer *w, const char *tag, const tb_audio_clip *clips,
				   size_t k, int channels, double sample_rate, int64_t step,
				   double wall_time);

/* One clip: tb_writer_add_audios with k = 1. */
TB_EXPORT int tb_writer_add_audio(tb_writer *w, const char *tag, const float *samples,
				  size_t frames, int channels, double sample_rate,
				  const char *label, int64_t step, double wall_time);

/* Markdown text in the "text" plugin's form: a rank-0 DT_STRING tensor, as
 * TensorBoard's summary API writes it. text must be valid UTF-8.
 * Returns TB_OK; TB_EINVAL if w, tag or text is bad; TB_ENOMEM; TB_EIO.
 * Thread-safe. */
TB_EXPORT int tb_writer_add_text(tb_writer *w, const char *tag, const char *text, int64_t step,
				 double wall_time);

/* A table of Markdown cells, rows x cols, row-major: stored as a rank-2
 * DT_STRING tensor, or rank 1 [rows] when cols is 0 (one column). The UI
 * renders it as an HTML table. Returns as tb_writer_add_text; also
 * TB_EINVAL if cells is NULL with cells to read. Thread-safe. */
TB_EXPORT int tb_writer_add_text_table(tb_writer *w, const char *tag, const char *const *cells,
				       size_t rows, size_t cols, int64_t step, double wall_time);

/* A precision-recall curve from n binary labels (nonzero = positive) and
 * predictions in [0, 1] (clamped; NaN ones are skipped), with weights
 * (NULL: all 1), computed as TensorBoard's pr_curves summary does: a
 * [6, num_thresholds] DT_FLOAT tensor of TP, FP, TN, FN, precision, recall
 * at thresholds j / (num_thresholds - 1). num_thresholds <= 0 means 127
 * (PyTorch's default); otherwise 2..10000.
 * Returns TB_OK; TB_EINVAL if w or tag is bad, labels or predictions is
 * NULL with n > 0, or num_thresholds is out of range; TB_ENOMEM; TB_EIO.
 * Thread-safe. */
TB_EXPORT int tb_writer_add_pr_curve(tb_writer *w, const char *tag, const uint8_t *labels,
				     const double *predictions, const double *weights, size_t n,
				     int num_thresholds, int64_t step, double wall_time);

/* A precision-recall curve from counts already computed at n thresholds
 * (n >= 2): tp, fp, tn, fn must be given; precision and recall may be NULL
 * and are then computed as TP / max(1e-7, TP + FP) and TP / max(1e-7,
 * TP + FN). Same form and returns as tb_writer_add_pr_curve. */
TB_EXPORT int tb_writer_add_pr_curve_raw(tb_writer *w, const char *tag, const double *tp,
					 const double *fp, const double *tn, const double *fn,
					 const double *precision, const double *recall, size_t n,
					 int64_t step, double wall_time);

/* Hyperparameter value types. */
enum { TB_HPARAM_NUMBER = 0, TB_HPARAM_STRING = 1, TB_HPARAM_BOOL = 2 };

/* One hyperparameter value, borrowed for the call. */
typedef struct tb_hparam {
	const char *name;
	int type;	    /* TB_HPARAM_* */
	double number;	    /* TB_HPARAM_NUMBER */
	const char *string; /* TB_HPARAM_STRING (UTF-8) */
	int boolean;	    /* TB_HPARAM_BOOL: 0 or nonzero */
} tb_hparam;

/* A trial's hyperparameters and final metrics, as PyTorch's add_hparams
 * writes them: a new run "<logdir>/<run_name>" (run_name NULL: the current
 * time in seconds, as PyTorch names it) holding the hparams plugin's
 * experiment (hparam names, metric tags), session_start_info (the values)
 * and session_end_info (status success) summaries, and one scalar per
 * metric. The run is written and closed before this returns.
 * Returns TB_OK; TB_EINVAL if w is NULL, hparams is NULL with n_hparams >
 * 0, a name or string is NULL, empty or not UTF-8, a type is unknown, the
 * metric arrays are NULL with n_metrics > 0, or run_name is empty or
 * escapes the logdir; TB_EIO if the run cannot be written; TB_ENOMEM.
 * Thread-safe. */
TB_EXPORT int tb_writer_add_hparams(tb_writer *w, const tb_hparam *hparams, size_t n_hparams,
				    const char *const *metric_tags, const double *metric_values,
				    size_t n_metrics, const char *run_name, double wall_time);

/* Domain of a hyperparameter in an experiment config. */
enum {
	TB_DOMAIN_NONE = 0,
	TB_DOMAIN_INTERVAL = 1, /* numbers between min and max */
	TB_DOMAIN_DISCRETE = 2	/* one of values[0..n_values) */
};

/* How the hparams dashboard should present one hyperparameter. */
typedef struct tb_hparam_info {
	const char *name;
	const char *display_name; /* NULL or "" for none */
	const char *description;  /* NULL or "" for none */
	int type;		  /* TB_HPARAM_*; the type of discrete values */
	int domain;		  /* TB_DOMAIN_* */
	double min, max;	  /* TB_DOMAIN_INTERVAL */
	const tb_hparam *values;  /* TB_DOMAIN_DISCRETE (names ignored) */
	size_t n_values;
} tb_hparam_info;

/* Dataset a metric was computed on. */
enum { TB_DATASET_UNKNOWN = 0, TB_DATASET_TRAINING = 1, TB_DATASET_VALIDATION = 2 };

/* A metric of an experiment: the scalar tag in the session's run, or in
 * its sub-run `group` ("" or NULL: the session's run itself). */
typedef struct tb_metric_info {
	const char *tag;
	const char *group;
	const char *display_name; /* NULL or "" for none */
	const char *description;  /* NULL or "" for none */
	int dataset_type;	  /* TB_DATASET_* */
} tb_metric_info;

/* Session status for tb_writer_add_hparams_session_end. */
enum { TB_STATUS_UNKNOWN = 0, TB_STATUS_SUCCESS = 1, TB_STATUS_FAILURE = 2, TB_STATUS_RUNNING = 3 };

/* The hparams plugin's experiment summary (tag _hparams_/experiment) in
 * w's run, as TensorBoard's hparams_config does. time_created <= 0 or not
 * finite leaves it out. Returns TB_OK; TB_EINVAL for NULL arrays with a
 * nonzero count, NULL or empty names or tags, unknown types or domains,
 * strings that are not UTF-8; TB_ENOMEM; TB_EIO. Thread-safe. */
TB_EXPORT int tb_writer_add_hparams_config(tb_writer *w, const tb_hparam_info *hparams,
					   size_t n_hparams, const tb_metric_info *metrics,
					   size_t n_metrics, double time_created);

/* The session_start_info summary (tag _hparams_/session_start_info) that
 * makes w's run one session (trial) with these hyperparameter values.
 * group_name NULL or "": the session is its own group. start_time <= 0 or
 * not finite: now. Returns as tb_writer_add_hparams_config. Thread-safe. */
TB_EXPORT int tb_writer_add_hparams_session_start(tb_writer *w, const tb_hparam *hparams, size_t n,
						  const char *group_name, double start_time);

/* The session_end_info summary (tag _hparams_/session_end_info): status is
 * a TB_STATUS_*; end_time <= 0 or not finite: now. Returns TB_OK, TB_EINVAL
 * for an unknown status, TB_ENOMEM, TB_EIO. Thread-safe. */
TB_EXPORT int tb_writer_add_hparams_session_end(tb_writer *w, int status, double end_time);

/* An embedding for the projector, laid out as PyTorch's add_embedding
 * does: <logdir>/<step, 5 digits>/<tag>/tensors.tsv (n rows of dim
 * tab-separated values), metadata.tsv when metadata is given (n rows of
 * n_cols cells, row-major, tab-separated; preceded by a header line of
 * n_cols column names when header is non-NULL), sprite.png when images
 * are given (n images of one size in the tb_image batch form, tiled in a
 * ceil(sqrt(n)) square), and <logdir>/projector_config.pbtxt, rewritten
 * with every embedding w has written. tag NULL means "default"; '%', '/'
 * and '\\' in it are escaped in the directory name. Labels must not
 * contain tabs or newlines.
 * Returns TB_OK; TB_EINVAL for NULL or empty arguments that are required
 * (vectors with n * dim > 0), n_cols 0 with metadata, a label with a tab or
 * newline, bad images, step < 0; TB_EIO if a file cannot be written;
 * TB_ENOMEM. Thread-safe. */
TB_EXPORT int tb_writer_add_embedding(tb_writer *w, const float *vectors, size_t n, size_t dim,
				      const char *const *metadata, size_t n_cols,
				      const char *const *header, const tb_image *images,
				      const char *tag, int64_t step);

/* A 3D mesh (or a batch of them) for the "mesh" plugin: up to three series
 * at one step, tags <tag>_VERTEX (float x, y, z), <tag>_FACE (int32 vertex
 * indices) and <tag>_COLOR (uint8 r, g, b per vertex), each [batch, N, 3],
 * with MeshPluginData naming the components given. faces and colors may be
 * NULL. config_json is the three.js settings (camera, lights, material) as
 * a JSON object, NULL for "{}"; it is stored as given.
 * Returns TB_OK; TB_EINVAL if w or tag is bad, vertices is NULL, batch or
 * n_vertices is 0, a face index is outside 0..n_vertices-1, or config_json
 * is not UTF-8; TB_ENOMEM; TB_EIO. Thread-safe. */
TB_EXPORT int tb_writer_add_mesh(tb_writer *w, const char *tag, const float *vertices,
				 size_t n_vertices, const int32_t *faces, size_t n_faces,
				 const uint8_t *colors, size_t batch, const char *config_json,
				 int64_t step, double wall_time);

/* Custom scalars layout: charts of a category. A multiline chart plots
 * every scalar tag matching one of `tags` (regular expressions); a margin
 * chart plots value/lower/upper triples of exact tags. */
typedef struct tb_margin_series {
	const char *value, *lower, *upper;
} tb_margin_series;

typedef struct tb_chart {
	const char *title;
	const char *const *tags; /* multiline: n_tags patterns */
	size_t n_tags;
	const tb_margin_series *margin; /* margin chart when non-NULL */
	size_t n_margin;
} tb_chart;

typedef struct tb_category {
	const char *title;
	const tb_chart *charts;
	size_t n_charts;
	int closed; /* collapsed in the UI at first */
} tb_category;

/* The custom_scalars dashboard's layout, written as the Layout proto in a
 * rank-0 DT_STRING tensor under tag custom_scalars__config__ at step 0.
 * Returns TB_OK; TB_EINVAL for NULL arrays with nonzero counts, NULL
 * strings or strings that are not UTF-8; TB_ENOMEM; TB_EIO. Thread-safe. */
TB_EXPORT int tb_writer_add_custom_scalars(tb_writer *w, const tb_category *categories, size_t n,
					   double wall_time);

/* Attribute of a graph node: an AttrValue with one member set. */
enum {
	TB_ATTR_STRING = 0,
	TB_ATTR_INT = 1,
	TB_ATTR_FLOAT = 2,
	TB_ATTR_BOOL = 3,
	TB_ATTR_TYPE = 4, /* a tensor DataType code, e.g. 1 = DT_FLOAT */
	TB_ATTR_SHAPE = 5 /* dims[0..n_dims), -1 = unknown */
};

typedef struct tb_graph_attr {
	const char *key;
	int kind;	     /* TB_ATTR_* */
	const char *s;	     /* STRING */
	int64_t i;	     /* INT, BOOL (0/1), TYPE */
	float f;	     /* FLOAT */
	const int64_t *dims; /* SHAPE */
	size_t n_dims;
} tb_graph_attr;

/* A node: inputs are "name", "name:k" (output k) or "^name" (control). */
typedef struct tb_graph_node {
	const char *name; /* unique; '/' separates name scopes */
	const char *op;
	const char *const *inputs;
	size_t n_inputs;
	const char *device; /* NULL or "" for none */
	const tb_graph_attr *attrs;
	size_t n_attrs;
} tb_graph_node;

/* A graph as an Event.graph_def (serialized GraphDef), which the graphs
 * dashboard shows for w's run. Node names must be unique and inputs must
 * name nodes of the graph (checked).
 * Returns TB_OK; TB_EINVAL for NULL arrays with nonzero counts, NULL,
 * empty or duplicate names, NULL ops, inputs naming no node, unknown attr
 * kinds, strings that are not UTF-8; TB_ENOMEM; TB_EIO. Thread-safe. */
TB_EXPORT int tb_writer_add_graph(tb_writer *w, const tb_graph_node *nodes, size_t n,
				  double wall_time);

/* Attach a Markdown description (shown beside the chart) to tag: every
 * later value of tag written by w carries it in its metadata. NULL or ""
 * removes it. Returns TB_OK, TB_EINVAL (bad w, tag or text), TB_ENOMEM.
 * Thread-safe. */
TB_EXPORT int tb_writer_set_description(tb_writer *w, const char *tag, const char *markdown);

/* Write all queued events to the file (write(2); no fsync).
 * Returns TB_OK; TB_EINVAL if w is NULL; TB_EIO on a write error, with the
 * unwritten bytes kept for the next attempt and a message in
 * tb_writer_errmsg(w). Thread-safe. */
TB_EXPORT int tb_writer_flush(tb_writer *w);

/* Write queued events, fsync and close the file, and free w. NULL does
 * nothing and returns TB_OK. w is freed even when an error is returned.
 * Returns TB_OK or TB_EIO (data may be lost). Not thread-safe with other
 * calls on w: no other thread may use w during or after this call. */
TB_EXPORT int tb_writer_close(tb_writer *w);

/* The path of w's event file: borrowed, valid until tb_writer_close(w).
 * NULL if w is NULL. Thread-safe. */
TB_EXPORT const char *tb_writer_path(const tb_writer *w);

/* A message describing the last failure on w, or "" if none. With w NULL,
 * the message of the calling thread's last failed tb_writer_open. Borrowed:
 * valid until the next call on w (or the thread's next tb_writer_open).
 * Read it from the thread that saw the error. Never NULL. */
TB_EXPORT const char *tb_writer_errmsg(const tb_writer *w);

#ifdef __cplusplus
}
#endif

#endif
