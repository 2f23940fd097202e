/* demo: simulate a small learning-rate sweep and log it with libtboard.
 *
 *     demo LOGDIR
 *
 * Simulates three trainings (lr_0.1, lr_0.01, lr_0.001) of 1000 steps, each
 * a directory with train (and eval) runs, using every kind of summary
 * libtboard offers: loss, accuracy and learning-rate curves (plus grouped
 * tags and an add_scalars comparison in two sub-runs), weight histograms,
 * sample images, audio, text notes, PR curves and a model graph in train;
 * the hyperparameters as an hparams session in lr_X itself, so that train
 * and eval are its metric groups. The top-level run holds the
 * hparams experiment, a custom scalars layout, a 3D mesh and an embedding
 * with metadata and a sprite for the projector. Curves are believable noisy
 * exponentials from a fixed-seed generator, and wall times advance like a
 * real job's (about a quarter second per step, with pauses for evaluation),
 * so the output is the same on every run. The last run is written with
 * legacy simple_value scalars, as PyTorch does, the others with the modern
 * tensor form. Takes well under two seconds. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tboard/writer.h>

#define STEPS 1000
#define EVAL_EVERY 10
#define START_TIME 1700000000.0
#define PI 3.14159265358979323846

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* splitmix64: small, fast and good enough for plausible noise. */
static uint64_t next_u64(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static double uniform(void)
{
	return (double)(next_u64() >> 11) * (1.0 / 9007199254740992.0);
}

static double gaussian(void)
{
	double u = uniform(), v = uniform();
	return sqrt(-2.0 * log(u + 1e-300)) * cos(2.0 * PI * v);
}

/* How a learning rate shapes the simulated curves. */
typedef struct config {
	const char *name; /* run directory prefix */
	const char *optimizer;
	double lr;    /* peak learning rate */
	double speed; /* convergence rate per step */
	double floor; /* loss the run converges to */
	double noise; /* relative loss noise */
	int eval;     /* also write an eval run */
	int legacy;   /* write simple_value scalars */
} config;

static const config configs[] = {
    {"lr_0.1", "sgd", 0.1, 0.012, 0.32, 0.18, 1, 0},
    {"lr_0.01", "adam", 0.01, 0.006, 0.12, 0.07, 1, 0},
    {"lr_0.001", "adam", 0.001, 0.0015, 0.25, 0.04, 0, 1},
};

/* Linear warm-up over 50 steps, then cosine decay to 1% of the peak. */
static double schedule(double peak, int step)
{
	if (step < 50)
		return peak * (step + 1) / 50.0;
	double t = (double)(step - 50) / (STEPS - 50);
	return peak * (0.01 + 0.99 * 0.5 * (1.0 + cos(PI * t)));
}

static int open_run(tb_writer **out, const char *logdir, const char *run, int legacy)
{
	char dir[4096];
	tb_writer_opts o;
	int rc;

	tb_writer_opts_init(&o);
	o.max_queue = 1000;
	if (legacy)
		o.scalar_encoding = TB_SCALAR_SIMPLE_VALUE;
	snprintf(dir, sizeof dir, "%s/%s", logdir, run);
	rc = tb_writer_open(out, dir, &o);
	if (rc != TB_OK)
		fprintf(stderr, "demo: %s\n", tb_writer_errmsg(NULL));
	return rc;
}

static int check(tb_writer *w, int rc)
{
	if (rc != TB_OK)
		fprintf(stderr, "demo: %s\n", tb_writer_errmsg(w));
	return rc;
}

/* --- the other summary kinds --- */

#define HIST_EVERY 50
#define MEDIA_EVERY 100
#define AUDIO_EVERY 200
#define IMG 32

/* Weights drift from a wide normal towards a narrower, shifted one. */
static int log_histograms(tb_writer *w, int step, double wall, double progress)
{
	double v[1000], b[64];
	int rc;
	for (int i = 0; i < 1000; i++)
		v[i] = gaussian() * (0.5 - 0.3 * progress) + 0.2 * progress;
	for (int i = 0; i < 64; i++)
		b[i] = 0.1 * progress + 0.02 * gaussian();
	if ((rc = tb_writer_add_histogram(w, "layer1/weights", v, 1000, 0, step, wall)) != TB_OK)
		return rc;
	return tb_writer_add_histogram(w, "layer1/bias", b, 64, 20, step, wall);
}

/* Four "samples": blurry blobs that sharpen as training goes on, as float
 * RGB in CHW layout. */
static int log_images(tb_writer *w, int step, double wall, double progress)
{
	static float px[4][3][IMG][IMG];
	tb_image batch = {px, TB_PIXEL_F32, TB_LAYOUT_CHW, IMG, IMG, 3};
	for (int k = 0; k < 4; k++) {
		double cx = 8 + 16 * (k & 1), cy = 8 + 16 * (k >> 1);
		double sharp = 0.02 + 0.2 * progress;
		for (int y = 0; y < IMG; y++)
			for (int x = 0; x < IMG; x++) {
				double r2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
				double blob = exp(-sharp * r2),
				       noise = 0.15 * (1 - progress) * uniform();
				px[k][0][y][x] = (float)(blob * (k == 0 || k == 3) + noise);
				px[k][1][y][x] = (float)(blob * (k == 1 || k == 3) + noise);
				px[k][2][y][x] = (float)(blob * (k == 2) + noise);
			}
	}
	return tb_writer_add_images(w, "samples", &batch, 4, step, wall);
}

/* Half a second of a tone whose pitch rises with training. */
static int log_audio(tb_writer *w, int step, double wall, double progress)
{
	static float s[8000];
	char label[64];
	double hz = 220.0 * pow(2.0, 2.0 * progress);
	for (int i = 0; i < 8000; i++)
		s[i] = (float)(0.5 * sin(2 * PI * hz * i / 16000.0) * (1.0 - i / 8000.0));
	snprintf(label, sizeof label, "tone at **%.0f Hz**", hz);
	return tb_writer_add_audio(w, "tone", s, 8000, 1, 16000, label, step, wall);
}

/* 200 predictions whose separation improves with training. */
static int log_pr(tb_writer *w, int step, double wall, double progress)
{
	uint8_t labels[200];
	double pred[200];
	for (int i = 0; i < 200; i++) {
		double p;
		labels[i] = (uint8_t)(i & 1);
		p = 0.5 + (labels[i] ? 1 : -1) * 0.35 * progress + 0.2 * gaussian();
		pred[i] = p < 0 ? 0 : p > 1 ? 1 : p;
	}
	return tb_writer_add_pr_curve(w, "pr/positive_class", labels, pred, NULL, 200, 51, step,
				      wall);
}

/* A two-layer perceptron. */
static int log_graph(tb_writer *w, double wall)
{
	static const int64_t in_shape[2] = {-1, 784}, w1_shape[2] = {784, 128};
	static const char *mm_in[2] = {"input", "dense/kernel"},
			  *add_in[2] = {"dense/MatMul", "dense/bias"},
			  *relu_in[1] = {"dense/BiasAdd"},
			  *out_mm_in[2] = {"relu", "logits/kernel"}, *sm_in[1] = {"logits/MatMul"},
			  *loss_in[2] = {"softmax", "labels"};
	tb_graph_attr f32 = {"T", TB_ATTR_TYPE, NULL, 1, 0, NULL, 0};
	tb_graph_attr in_attrs[2] = {{"dtype", TB_ATTR_TYPE, NULL, 1, 0, NULL, 0},
				     {"shape", TB_ATTR_SHAPE, NULL, 0, 0, in_shape, 2}};
	tb_graph_attr w1_attrs[2] = {{"dtype", TB_ATTR_TYPE, NULL, 1, 0, NULL, 0},
				     {"shape", TB_ATTR_SHAPE, NULL, 0, 0, w1_shape, 2}};
	tb_graph_node nodes[] = {
	    {"input", "Placeholder", NULL, 0, "/device:CPU:0", in_attrs, 2},
	    {"labels", "Placeholder", NULL, 0, "/device:CPU:0", in_attrs, 1},
	    {"dense/kernel", "VariableV2", NULL, 0, "/device:CPU:0", w1_attrs, 2},
	    {"dense/bias", "VariableV2", NULL, 0, "/device:CPU:0", w1_attrs, 1},
	    {"dense/MatMul", "MatMul", mm_in, 2, "/device:CPU:0", &f32, 1},
	    {"dense/BiasAdd", "BiasAdd", add_in, 2, "/device:CPU:0", &f32, 1},
	    {"relu", "Relu", relu_in, 1, "/device:CPU:0", &f32, 1},
	    {"logits/kernel", "VariableV2", NULL, 0, "/device:CPU:0", w1_attrs, 1},
	    {"logits/MatMul", "MatMul", out_mm_in, 2, "/device:CPU:0", &f32, 1},
	    {"softmax", "Softmax", sm_in, 1, "/device:CPU:0", &f32, 1},
	    {"loss", "SoftmaxCrossEntropyWithLogits", loss_in, 2, "/device:CPU:0", &f32, 1},
	};
	return tb_writer_add_graph(w, nodes, sizeof nodes / sizeof nodes[0], wall);
}

static int log_notes(tb_writer *w, const config *c, double wall)
{
	char text[512];
	snprintf(text, sizeof text,
		 "## Run %s\n\n| setting | value |\n|---|---|\n| learning rate | %g |\n"
		 "| optimizer | %s |\n| steps | %d |\n\nWarm-up for 50 steps, then cosine decay.",
		 c->name, c->lr, c->optimizer, STEPS);
	return tb_writer_add_text(w, "notes", text, 0, wall);
}

static int log_session(tb_writer *w, const config *c, double start)
{
	tb_hparam hp[3] = {{"lr", TB_HPARAM_NUMBER, c->lr, NULL, 0},
			   {"optimizer", TB_HPARAM_STRING, 0, c->optimizer, 0},
			   {"warmup", TB_HPARAM_BOOL, 0, NULL, 1}};
	return tb_writer_add_hparams_session_start(w, hp, 3, NULL, start);
}

/* The top-level run: hparams experiment, custom scalars, a mesh and an
 * embedding. */
static int log_overview(const char *logdir)
{
	tb_writer *w;
	int rc;
	if ((rc = open_run(&w, logdir, "", 0)) != TB_OK)
		return rc;
	{
		static const tb_hparam opts[2] = {{NULL, TB_HPARAM_STRING, 0, "sgd", 0},
						  {NULL, TB_HPARAM_STRING, 0, "adam", 0}};
		static const tb_hparam bools[2] = {{NULL, TB_HPARAM_BOOL, 0, NULL, 0},
						   {NULL, TB_HPARAM_BOOL, 0, NULL, 1}};
		tb_hparam_info hi[3] = {
		    {"lr", "learning rate", NULL, TB_HPARAM_NUMBER, TB_DOMAIN_INTERVAL, 1e-4, 1,
		     NULL, 0},
		    {"optimizer", NULL, NULL, TB_HPARAM_STRING, TB_DOMAIN_DISCRETE, 0, 0, opts, 2},
		    {"warmup", NULL, NULL, TB_HPARAM_BOOL, TB_DOMAIN_DISCRETE, 0, 0, bools, 2}};
		tb_metric_info mi[3] = {
		    {"loss", "train", "training loss", NULL, TB_DATASET_TRAINING},
		    {"accuracy", "train", "training accuracy", NULL, TB_DATASET_TRAINING},
		    {"accuracy", "eval", "eval accuracy", NULL, TB_DATASET_VALIDATION}};
		if ((rc = check(w, tb_writer_add_hparams_config(w, hi, 3, mi, 3, START_TIME))) !=
		    TB_OK)
			goto out;
	}
	{
		static const char *loss_tags[2] = {"^loss$", "^loss/"};
		static const char *metric_tags[1] = {"^metrics/"};
		tb_margin_series band = {"accuracy", "metrics/recall", "metrics/precision"};
		tb_chart charts[3] = {{"All losses", loss_tags, 2, NULL, 0},
				      {"Precision and recall", metric_tags, 1, NULL, 0},
				      {"Accuracy band", NULL, 0, &band, 1}};
		tb_category cats[1] = {{"Training overview", charts, 3, 0}};
		if ((rc = check(w, tb_writer_add_custom_scalars(w, cats, 1, START_TIME))) != TB_OK)
			goto out;
	}
	{
		/* an octahedron, one colour per vertex */
		static const float v[6][3] = {{1, 0, 0},  {-1, 0, 0}, {0, 1, 0},
					      {0, -1, 0}, {0, 0, 1},  {0, 0, -1}};
		static const int32_t f[8][3] = {{0, 2, 4}, {2, 1, 4}, {1, 3, 4}, {3, 0, 4},
						{2, 0, 5}, {1, 2, 5}, {3, 1, 5}, {0, 3, 5}};
		static const uint8_t col[6][3] = {{255, 0, 0},	 {0, 255, 255}, {0, 255, 0},
						  {255, 0, 255}, {0, 0, 255},	{255, 255, 0}};
		if ((rc =
			 check(w, tb_writer_add_mesh(
				      w, "octahedron", &v[0][0], 6, &f[0][0], 8, &col[0][0], 1,
				      "{\"camera\": {\"cls\": \"PerspectiveCamera\", \"fov\": 75}}",
				      0, START_TIME))) != TB_OK)
			goto out;
	}
	{
		/* 100 points in 8 dimensions, four clusters, with 8x8 thumbnails */
		static float vec[100][8];
		static uint8_t thumbs[100][8][8][3];
		static const char *names[4] = {"red", "green", "blue", "grey"};
		static const char *hdr[2] = {"label", "colour"};
		const char *meta[200];
		static char labels[100][8];
		tb_image img = {thumbs, TB_PIXEL_U8, TB_LAYOUT_HWC, 8, 8, 3};
		for (int i = 0; i < 100; i++) {
			int k = i % 4;
			for (int j = 0; j < 8; j++)
				vec[i][j] = (float)((j == 2 * k ? 3.0 : 0.0) + gaussian());
			for (int y = 0; y < 8; y++)
				for (int x = 0; x < 8; x++)
					for (int ch = 0; ch < 3; ch++)
						thumbs[i][y][x][ch] =
						    (uint8_t)(k == 3 || k == ch ? 60 + 24 * y : 20);
			snprintf(labels[i], sizeof labels[i], "p%d", i);
			meta[2 * i] = labels[i];
			meta[2 * i + 1] = names[k];
		}
		if ((rc = check(w, tb_writer_add_embedding(w, &vec[0][0], 100, 8, meta, 2, hdr,
							   &img, "features", 0))) != TB_OK)
			goto out;
	}
out:
	if (tb_writer_close(w) != TB_OK && rc == TB_OK)
		rc = TB_EIO;
	return rc;
}

static int simulate(const char *logdir, const config *c, double start)
{
	char run[256];
	tb_writer *train = NULL, *eval = NULL, *session = NULL;
	double wall = start, smooth_noise = 0.0;
	int rc;

	snprintf(run, sizeof run, "%s/train", c->name);
	if ((rc = open_run(&train, logdir, run, c->legacy)) != TB_OK)
		goto out;
	if (c->eval) {
		snprintf(run, sizeof run, "%s/eval", c->name);
		if ((rc = open_run(&eval, logdir, run, c->legacy)) != TB_OK)
			goto out;
	}
	if ((rc = check(train, log_notes(train, c, wall))) ||
	    (rc = check(train, log_graph(train, wall))) ||
	    (rc = open_run(&session, logdir, c->name, 0)) ||
	    (rc = check(session, log_session(session, c, wall))))
		goto out;
	for (int step = 0; step < STEPS; step++) {
		double lr = schedule(c->lr, step), progress = (double)step / (STEPS - 1);
		double ideal = c->floor + (2.4 - c->floor) * exp(-c->speed * step);
		/* Noise that is partly persistent, like minibatch loss. */
		smooth_noise = 0.8 * smooth_noise + 0.2 * gaussian();
		double loss = ideal * (1.0 + c->noise * (0.6 * gaussian() + smooth_noise));
		double reg = 0.05 * exp(-0.002 * step) + 0.002 * fabs(gaussian());
		double acc = 1.0 - 0.9 * ideal / 2.4 + 0.015 * gaussian();
		double precision = acc + 0.02 + 0.01 * gaussian();
		double recall = acc - 0.03 + 0.01 * gaussian();

		if (acc > 0.999)
			acc = 0.999;
		if (loss < 0.01)
			loss = 0.01;
		wall += 0.25 + 0.03 * gaussian() + (step % 100 == 99 ? 2.0 : 0.0);
		if ((rc = check(train,
				tb_writer_add_scalar(train, "loss", loss + reg, step, wall))) ||
		    (rc = check(train, tb_writer_add_scalar(train, "loss/cross_entropy", loss, step,
							    wall))) ||
		    (rc = check(train, tb_writer_add_scalar(train, "loss/regularization", reg, step,
							    wall))) ||
		    (rc = check(train, tb_writer_add_scalar(train, "accuracy", acc, step, wall))) ||
		    (rc = check(train,
				tb_writer_add_scalar(train, "learning_rate", lr, step, wall))) ||
		    (rc = check(train, tb_writer_add_scalar(train, "metrics/precision", precision,
							    step, wall))) ||
		    (rc = check(train,
				tb_writer_add_scalar(train, "metrics/recall", recall, step, wall))))
			goto out;
		if (step % HIST_EVERY == 0 &&
		    (rc = check(train, log_histograms(train, step, wall, progress))))
			goto out;
		if (step % MEDIA_EVERY == 0 &&
		    ((rc = check(train, log_images(train, step, wall, progress))) ||
		     (rc = check(train, log_pr(train, step, wall, progress)))))
			goto out;
		if (step % AUDIO_EVERY == 0 &&
		    (rc = check(train, log_audio(train, step, wall, progress))))
			goto out;
		if (step % EVAL_EVERY == 0) {
			static const char *keys[2] = {"raw", "smoothed"};
			double both[2] = {loss, ideal};
			if ((rc = check(train, tb_writer_add_scalars(train, "loss_views", keys,
								     both, 2, step, wall))))
				goto out;
		}
		if (eval && (step % EVAL_EVERY == EVAL_EVERY - 1 || step == 0)) {
			/* Evaluation generalises a little worse and is less noisy. */
			double eloss = ideal * 1.08 + 0.03 + 0.02 * gaussian();
			double eacc = 1.0 - 0.9 * eloss / 2.4 - 0.01 + 0.005 * gaussian();
			double ewall = wall + 1.5;
			if ((rc = check(eval,
					tb_writer_add_scalar(eval, "loss", eloss, step, ewall))) ||
			    (rc = check(eval, tb_writer_add_scalar(eval, "accuracy", eacc, step,
								   ewall))) ||
			    (rc = check(eval, tb_writer_add_scalar(eval, "learning_rate", lr, step,
								   ewall))) ||
			    (rc = check(eval, tb_writer_add_scalar(eval, "metrics/precision",
								   eacc + 0.015, step, ewall))) ||
			    (rc = check(eval, tb_writer_add_scalar(eval, "metrics/recall",
								   eacc - 0.02, step, ewall))))
				goto out;
		}
	}
	if (!rc) {
		rc = check(train, tb_writer_add_text(train, "notes", "Training **finished**.",
						     STEPS - 1, wall));
		if (!rc)
			rc = check(session, tb_writer_add_hparams_session_end(
						session, TB_STATUS_SUCCESS, wall));
	}
out:
	if (tb_writer_close(session) != TB_OK && rc == TB_OK)
		rc = TB_EIO;
	if (tb_writer_close(eval) != TB_OK && rc == TB_OK)
		rc = TB_EIO;
	if (tb_writer_close(train) != TB_OK && rc == TB_OK)
		rc = TB_EIO;
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s LOGDIR\n", argv[0]);
		return 2;
	}
	int runs = 0;
	for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
		if (simulate(argv[1], &configs[i], START_TIME + 3600.0 * i) != TB_OK)
			return 1;
		runs += 4 + configs[i].eval; /* train, session, two loss_views, eval */
	}
	if (log_overview(argv[1]) != TB_OK)
		return 1;
	runs++;
	printf("wrote %d runs of %d steps to %s\n", runs, STEPS, argv[1]);
	return 0;
}
