/* demo: simulate a small learning-rate sweep and log it with libtboard.
 *
 *     demo LOGDIR
 *
 * Writes five runs (lr_0.1/train, lr_0.1/eval, lr_0.01/train, lr_0.01/eval,
 * lr_0.001/train) of 1000 training steps each: loss, accuracy and
 * learning_rate, plus grouped tags (loss/..., metrics/...). Curves are
 * believable noisy exponentials from a fixed-seed generator, and wall times
 * advance like a real job's (about a quarter second per step, with pauses
 * for evaluation), so the output is the same on every run. The last run is
 * written with legacy simple_value scalars, as PyTorch does, the others
 * with the modern tensor form. Takes well under a second. */
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
	const char *name;   /* run directory prefix */
	double lr;          /* peak learning rate */
	double speed;       /* convergence rate per step */
	double floor;       /* loss the run converges to */
	double noise;       /* relative loss noise */
	int eval;           /* also write an eval run */
	int legacy;         /* write simple_value scalars */
} config;

static const config configs[] = {
	{"lr_0.1", 0.1, 0.012, 0.32, 0.18, 1, 0},
	{"lr_0.01", 0.01, 0.006, 0.12, 0.07, 1, 0},
	{"lr_0.001", 0.001, 0.0015, 0.25, 0.04, 0, 1},
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

static int simulate(const char *logdir, const config *c, double start)
{
	char run[256];
	tb_writer *train = NULL, *eval = NULL;
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
	for (int step = 0; step < STEPS; step++) {
		double lr = schedule(c->lr, step);
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
		if ((rc = check(train, tb_writer_add_scalar(train, "loss", loss + reg, step, wall))) ||
		    (rc = check(train, tb_writer_add_scalar(train, "loss/cross_entropy", loss, step, wall))) ||
		    (rc = check(train, tb_writer_add_scalar(train, "loss/regularization", reg, step, wall))) ||
		    (rc = check(train, tb_writer_add_scalar(train, "accuracy", acc, step, wall))) ||
		    (rc = check(train, tb_writer_add_scalar(train, "learning_rate", lr, step, wall))) ||
		    (rc = check(train, tb_writer_add_scalar(train, "metrics/precision", precision, step, wall))) ||
		    (rc = check(train, tb_writer_add_scalar(train, "metrics/recall", recall, step, wall))))
			goto out;
		if (eval && (step % EVAL_EVERY == EVAL_EVERY - 1 || step == 0)) {
			/* Evaluation generalises a little worse and is less noisy. */
			double eloss = ideal * 1.08 + 0.03 + 0.02 * gaussian();
			double eacc = 1.0 - 0.9 * eloss / 2.4 - 0.01 + 0.005 * gaussian();
			double ewall = wall + 1.5;
			if ((rc = check(eval, tb_writer_add_scalar(eval, "loss", eloss, step, ewall))) ||
			    (rc = check(eval, tb_writer_add_scalar(eval, "accuracy", eacc, step, ewall))) ||
			    (rc = check(eval, tb_writer_add_scalar(eval, "learning_rate", lr, step, ewall))) ||
			    (rc = check(eval, tb_writer_add_scalar(eval, "metrics/precision", eacc + 0.015, step, ewall))) ||
			    (rc = check(eval, tb_writer_add_scalar(eval, "metrics/recall", eacc - 0.02, step, ewall))))
				goto out;
		}
	}
out:
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
		runs += 1 + configs[i].eval;
	}
	printf("wrote %d runs of %d steps to %s\n", runs, STEPS, argv[1]);
	return 0;
}
