/* gen_ui: write the log directory the UI browser test reads.
 *
 *     gen_ui OUTDIR
 *
 * Writes, with libtboard, runs whose data exercise the chart axes and the
 * smaller dashboards:
 *   OUTDIR/axes    log-axis tags: ranges across and inside decades, values
 *                  with zeros and negatives, only non-positive values, a
 *                  range of forty decades, a constant; steps near 2^62;
 *                  a histogram every 10 steps
 *   OUTDIR/short   one tag written over 40 seconds (relative-time ticks)
 *   OUTDIR/cs_a,   two runs with two tags each and a custom-scalars layout
 *   OUTDIR/cs_b    drawing both tags of a run in one chart
 *   OUTDIR/hp/trial_N  three runs with hparams (lr, optimizer) and a metric
 *   OUTDIR/audio   a 0.4 s clip
 *   OUTDIR/graph   a graph: 20 layers of three ops under the scope "model"
 *   OUTDIR/projector  300 points in 16 dimensions in three clusters
 * Values are fixed, so two runs produce the same series. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tboard/writer.h>

#define T0 1700000000.0

static int open_run(tb_writer **w, const char *outdir, const char *run)
{
	char path[4096];
	if (snprintf(path, sizeof path, "%s/%s", outdir, run) >= (int)sizeof path)
		return TB_EINVAL;
	return tb_writer_open(w, path, NULL);
}

/* Close w (if open); the first error wins. */
static int close_run(tb_writer *w, int rc)
{
	int rc2 = w ? tb_writer_close(w) : TB_OK;
	return rc != TB_OK ? rc : rc2;
}

/* A decaying curve from hi to lo over n steps (a loss). */
static double decay(double lo, double hi, int i, int n)
{
	return lo + (hi - lo) * exp(-6.0 * i / (n - 1));
}

static int write_axes(const char *outdir)
{
	tb_writer *w = NULL;
	int rc, i;
	const int n = 100;
	rc = open_run(&w, outdir, "axes");
	for (i = 0; i < n && rc == TB_OK; i++) {
		double t = T0 + i;
		rc = tb_writer_add_scalar(w, "log/across", decay(0.11, 2.8, i, n), i, t);
		if (rc == TB_OK)
			rc = tb_writer_add_scalar(w, "log/inside", decay(0.0962, 0.0999, i, n), i, t);
		if (rc == TB_OK)
			rc = tb_writer_add_scalar(w, "log/small", decay(0.0096, 0.0099, i, n), i, t);
		if (rc == TB_OK)
			rc = tb_writer_add_scalar(w, "log/signs", i % 10 == 0 ? 0.0 : i % 10 == 5 ? -1.5 : 0.05 * i, i, t);
		if (rc == TB_OK)
			rc = tb_writer_add_scalar(w, "log/nonpositive", -0.01 * i, i, t);
		if (rc == TB_OK)
			rc = tb_writer_add_scalar(w, "log/wide", pow(10.0, -20.0 + 40.0 * i / (n - 1)), i, t);
		if (rc == TB_OK)
			rc = tb_writer_add_scalar(w, "log/constant", 0.1, i, t);
		if (rc == TB_OK)
			rc = tb_writer_add_scalar(w, "x/huge_steps", decay(0.5, 1.5, i, n),
						  (int64_t)(4611686018427387904.0 + 1e6 * i), t);
		if (rc == TB_OK && i % 10 == 0) {
			double v[200];
			for (int k = 0; k < 200; k++)
				v[k] = sin(k * 12.9898 + i) * (1.0 + 0.01 * i);
			rc = tb_writer_add_histogram(w, "hist/weights", v, 200, 30, i, t);
		}
	}
	rc = close_run(w, rc);
	return rc;
}

static int write_short(const char *outdir)
{
	tb_writer *w = NULL;
	int rc, i;
	rc = open_run(&w, outdir, "short");
	for (i = 0; i < 41 && rc == TB_OK; i++)
		rc = tb_writer_add_scalar(w, "x/short_run", decay(0.2, 1.0, i, 41), i, T0 + i);
	rc = close_run(w, rc);
	return rc;
}

static int write_custom_scalars(const char *outdir)
{
	static const char *const tags[] = {"cs/train", "cs/eval"};
	static const tb_chart chart = {"losses", tags, 2, NULL, 0};
	static const tb_category cat = {"Custom", &chart, 1, 0};
	const char *runs[] = {"cs_a", "cs_b"};
	tb_writer *w = NULL;
	int rc = TB_OK, r, i;
	for (r = 0; r < 2 && rc == TB_OK; r++) {
		rc = open_run(&w, outdir, runs[r]);
		if (rc == TB_OK && r == 0)
			rc = tb_writer_add_custom_scalars(w, &cat, 1, T0);
		for (i = 0; i < 20 && rc == TB_OK; i++) {
			rc = tb_writer_add_scalar(w, "cs/train", decay(0.1 + r, 2 + r, i, 20), i, T0 + i);
			if (rc == TB_OK)
				rc = tb_writer_add_scalar(w, "cs/eval", decay(0.3 + r, 2.5 + r, i, 20), i, T0 + i);
		}
		rc = close_run(w, rc);
		w = NULL;
	}
	return rc;
}

static int write_hparams(const char *outdir)
{
	static const char *const metric[] = {"hp/accuracy"};
	static const char *const optim[] = {"adam", "sgd", "adam"};
	tb_writer *w = NULL;
	int rc, r;
	rc = open_run(&w, outdir, "hp");
	for (r = 0; r < 3 && rc == TB_OK; r++) {
		char run[32];
		tb_hparam hp[2];
		double acc = 0.5 + 0.1 * r;
		snprintf(run, sizeof run, "trial_%d", r);
		memset(hp, 0, sizeof hp);
		hp[0].name = "lr";
		hp[0].type = TB_HPARAM_NUMBER;
		hp[0].number = 0.1 / (r + 1);
		hp[1].name = "optimizer";
		hp[1].type = TB_HPARAM_STRING;
		hp[1].string = optim[r];
		rc = tb_writer_add_hparams(w, hp, 2, metric, &acc, 1, run, T0 + r);
	}
	rc = close_run(w, rc);
	return rc;
}

/* A chain of LAYERS layers (MatMul, BiasAdd, Relu) under the scope "model". */
static int write_graph(const char *outdir)
{
	enum { LAYERS = 20, PER = 3, N = LAYERS * PER + 2 };
	static const char *const ops[PER] = {"MatMul", "BiasAdd", "Relu"};
	static const char *const kinds[PER] = {"matmul", "add", "relu"};
	char names[N][48];
	const char *inputs[N];
	tb_graph_node nodes[N];
	tb_writer *w = NULL;
	int rc, i;
	memset(nodes, 0, sizeof nodes);
	snprintf(names[0], sizeof names[0], "input");
	nodes[0].name = names[0];
	nodes[0].op = "Placeholder";
	for (i = 1; i < N - 1; i++) {
		int layer = (i - 1) / PER, k = (i - 1) % PER;
		snprintf(names[i], sizeof names[i], "model/layer_%02d/%s", layer, kinds[k]);
		nodes[i].name = names[i];
		nodes[i].op = ops[k];
	}
	snprintf(names[N - 1], sizeof names[N - 1], "loss");
	nodes[N - 1].name = names[N - 1];
	nodes[N - 1].op = "Mean";
	for (i = 1; i < N; i++) {
		inputs[i] = names[i - 1];
		nodes[i].inputs = &inputs[i];
		nodes[i].n_inputs = 1;
	}
	rc = open_run(&w, outdir, "graph");
	if (rc == TB_OK)
		rc = tb_writer_add_graph(w, nodes, N, T0);
	return close_run(w, rc);
}

/* EMB_N points in EMB_D dimensions around three well-separated centres,
 * labelled c<cluster>_<index>. */
static int write_embedding(const char *outdir)
{
	enum { EMB_N = 300, EMB_D = 16 };
	float *x = malloc(sizeof(float) * EMB_N * EMB_D);
	char(*labels)[16] = malloc(sizeof *labels * EMB_N);
	const char **meta = malloc(sizeof *meta * EMB_N);
	tb_writer *w = NULL;
	int rc = TB_ENOMEM, i, c;
	if (!x || !labels || !meta)
		goto out;
	for (i = 0; i < EMB_N; i++) {
		int cluster = i % 3;
		for (c = 0; c < EMB_D; c++)
			x[i * EMB_D + c] = (float)((c % 3 == cluster ? 5.0 : 0.0) +
						   0.3 * sin(i * 7.13 + c * 3.7));
		snprintf(labels[i], sizeof labels[i], "c%d_%d", cluster, i);
		meta[i] = labels[i];
	}
	rc = open_run(&w, outdir, "projector");
	if (rc == TB_OK)
		rc = tb_writer_add_embedding(w, x, EMB_N, EMB_D, meta, 1, NULL, NULL, "clusters", 0);
	rc = close_run(w, rc);
out:
	free(x);
	free(labels);
	free(meta);
	return rc;
}

static int write_audio(const char *outdir)
{
	enum { RATE = 8000, FRAMES = RATE * 2 / 5 };
	float *samples = malloc(FRAMES * sizeof *samples);
	tb_writer *w = NULL;
	int rc, i;
	if (!samples)
		return TB_ENOMEM;
	for (i = 0; i < FRAMES; i++)
		samples[i] = (float)(0.5 * sin(2.0 * M_PI * 440.0 * i / RATE));
	rc = open_run(&w, outdir, "audio");
	if (rc == TB_OK)
		rc = tb_writer_add_audio(w, "clip", samples, FRAMES, 1, RATE, NULL, 0, T0);
	rc = close_run(w, rc);
	free(samples);
	return rc;
}

int main(int argc, char **argv)
{
	int rc;
	if (argc != 2) {
		fprintf(stderr, "usage: gen_ui OUTDIR\n");
		return 2;
	}
	rc = write_axes(argv[1]);
	if (rc == TB_OK)
		rc = write_short(argv[1]);
	if (rc == TB_OK)
		rc = write_custom_scalars(argv[1]);
	if (rc == TB_OK)
		rc = write_hparams(argv[1]);
	if (rc == TB_OK)
		rc = write_audio(argv[1]);
	if (rc == TB_OK)
		rc = write_graph(argv[1]);
	if (rc == TB_OK)
		rc = write_embedding(argv[1]);
	if (rc != TB_OK) {
		fprintf(stderr, "gen_ui: %s\n", tb_writer_errmsg(NULL));
		return 1;
	}
	return 0;
}
