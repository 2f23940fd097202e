/* gen_sweep: write a hyperparameter sweep log directory, as a training
 * script logging through libtboard would.
 *
 *     gen_sweep OUTDIR [lrs=4] [batch_sizes=3] [seeds=5] [keras=0]
 *
 * Runs are OUTDIR/lr<LR>_bs<BS>/seed<S> for LR in 0.1, 0.03, 0.01, 0.003,
 * 0.001, ... (alternating 1 and 3 per decade) and BS in 16, 32, 64, ...;
 * each logs val/acc, train/loss and tokens_seen at steps 0, 10, ..., 100
 * (seed 4 stops at 70), with wall time 1700000000 + step, and its hparams
 * (lr, bs, seed, opt = "sgd" for the third batch size, else "adam") and a
 * metric hparam/final_acc through tb_writer_add_hparams. Values are
 * deterministic (float32 as stored):
 *   val/acc     0.9 - 0.5 exp(-0.3 lr step) - 0.001 bs / 16 + 0.01 seed
 *   train/loss  2 exp(-0.5 lr step) + 0.01 seed + 0.1
 *   tokens_seen 128 bs step
 * so a test recomputes every point, mean and band on its own. The default
 * is 60 runs; 20 x 10 x 5 gives 1000.
 *
 * keras=1 writes each run as Keras does instead: the session in the run
 * itself (hparams as above and bn = true for even seeds), val/loss = train/loss
 * + 0.2 beside the run's other scalars, sub-runs <run>/train and
 * <run>/validation logging epoch_loss (train/loss's formula, and that +
 * 0.05 bs / 16 for validation) at the same steps, and the experiment in
 * OUTDIR itself naming epoch_loss of both sub-runs as its metrics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <tboard/writer.h>

#include "lib/bench.h"

#define T0 1700000000.0

static double lr_of(int i)
{
	return (i % 2 ? 0.03 : 0.1) * pow(0.1, i / 2);
}

static int last_step(int seed)
{
	return seed == 4 ? 70 : 100;
}

/* A Keras sub-run "<run>/<name>" logging epoch_loss: loss + extra at each step. */
static int write_sub_run(const char *run, const char *name, double lr, int seed, double extra)
{
	char dir[4096];
	tb_writer *w = NULL;
	if (snprintf(dir, sizeof dir, "%s/%s", run, name) >= (int)sizeof dir)
		return TB_EINVAL;
	int rc = tb_writer_open(&w, dir, NULL);
	for (int st = 0; st <= last_step(seed) && rc == TB_OK; st += 10)
		rc = tb_writer_add_scalar(w, "epoch_loss",
					  2 * exp(-0.5 * lr * st) + 0.01 * seed + 0.1 + extra, st,
					  T0 + st);
	int rc2 = w ? tb_writer_close(w) : TB_OK;
	return rc != TB_OK ? rc : rc2;
}

static int write_run(const char *outdir, double lr, int bs, int seed, int third_bs, int keras)
{
	char dir[4096];
	tb_writer *w = NULL;
	int rc;
	if (snprintf(dir, sizeof dir, "%s/lr%g_bs%d/seed%d", outdir, lr, bs, seed) >=
	    (int)sizeof dir)
		return TB_EINVAL;
	rc = tb_writer_open(&w, dir, NULL);
	double acc = 0;
	for (int st = 0; st <= last_step(seed) && rc == TB_OK; st += 10) {
		double loss = 2 * exp(-0.5 * lr * st) + 0.01 * seed + 0.1;
		acc = (float)(0.9 - 0.5 * exp(-0.3 * lr * st) - 0.001 * bs / 16 + 0.01 * seed);
		rc = tb_writer_add_scalar(w, "val/acc", acc, st, T0 + st);
		if (rc == TB_OK)
			rc = tb_writer_add_scalar(w, "train/loss", loss, st, T0 + st);
		if (rc == TB_OK)
			rc = tb_writer_add_scalar(w, "tokens_seen", 128.0 * bs * st, st, T0 + st);
		if (rc == TB_OK && keras)
			rc = tb_writer_add_scalar(w, "val/loss", loss + 0.2, st, T0 + st);
	}
	tb_hparam hp[] = {
	    {"lr", TB_HPARAM_NUMBER, lr, NULL, 0},
	    {"bs", TB_HPARAM_NUMBER, bs, NULL, 0},
	    {"seed", TB_HPARAM_NUMBER, seed, NULL, 0},
	    {"opt", TB_HPARAM_STRING, 0, third_bs ? "sgd" : "adam", 0},
	    {"bn", TB_HPARAM_BOOL, 0, NULL, seed % 2 == 0},
	};
	const char *metric[] = {"hparam/final_acc"};
	double value[] = {acc};
	if (rc == TB_OK && keras) {
		rc = tb_writer_add_hparams_session_start(w, hp, 5, NULL, T0);
		if (rc == TB_OK)
			rc = tb_writer_add_hparams_session_end(w, TB_STATUS_SUCCESS, T0 + 200);
		if (rc == TB_OK)
			rc = write_sub_run(dir, "train", lr, seed, 0);
		if (rc == TB_OK)
			rc = write_sub_run(dir, "validation", lr, seed, 0.05 * bs / 16);
	} else if (rc == TB_OK) {
		rc = tb_writer_add_hparams(w, hp, 4, metric, value, 1, "hp", T0 + 200);
	}
	int rc2 = w ? tb_writer_close(w) : TB_OK;
	return rc != TB_OK ? rc : rc2;
}

/* The Keras experiment in OUTDIR: the hparams and epoch_loss of both sub-runs. */
static int write_experiment(const char *outdir)
{
	tb_writer *w = NULL;
	static const tb_hparam_info hp[] = {
	    {"lr", NULL, NULL, TB_HPARAM_NUMBER, TB_DOMAIN_NONE, 0, 0, NULL, 0},
	    {"bs", NULL, NULL, TB_HPARAM_NUMBER, TB_DOMAIN_NONE, 0, 0, NULL, 0},
	    {"seed", NULL, NULL, TB_HPARAM_NUMBER, TB_DOMAIN_NONE, 0, 0, NULL, 0},
	    {"opt", NULL, NULL, TB_HPARAM_STRING, TB_DOMAIN_NONE, 0, 0, NULL, 0},
	    {"bn", NULL, NULL, TB_HPARAM_BOOL, TB_DOMAIN_NONE, 0, 0, NULL, 0},
	};
	static const tb_metric_info metrics[] = {
	    {"epoch_loss", "train", NULL, NULL, TB_DATASET_TRAINING},
	    {"epoch_loss", "validation", NULL, NULL, TB_DATASET_VALIDATION},
	};
	int rc = tb_writer_open(&w, outdir, NULL);
	if (rc == TB_OK)
		rc = tb_writer_add_hparams_config(w, hp, 5, metrics, 2, T0);
	int rc2 = w ? tb_writer_close(w) : TB_OK;
	return rc != TB_OK ? rc : rc2;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr,
			"usage: gen_sweep OUTDIR [lrs=4] [batch_sizes=3] [seeds=5] [keras=0]\n");
		return 2;
	}
	long lrs = bench_arg(argc, argv, 2, 4, 1);
	long bss = bench_arg(argc, argv, 3, 3, 1);
	long seeds = bench_arg(argc, argv, 4, 5, 1);
	int keras = bench_arg(argc, argv, 5, 0, 0) != 0;
	if (keras && write_experiment(argv[1]) != TB_OK) {
		fprintf(stderr, "gen_sweep: cannot write the experiment\n");
		return 1;
	}
	for (long l = 0; l < lrs; l++)
		for (long b = 0; b < bss; b++)
			for (long s = 0; s < seeds; s++) {
				int rc = write_run(argv[1], lr_of((int)l), 16 << b, (int)s, b == 2,
						   keras);
				if (rc != TB_OK) {
					fprintf(stderr, "gen_sweep: %s\n", tb_strerror(rc));
					return 1;
				}
			}
	printf("%ld runs\n", lrs * bss * seeds);
	return 0;
}
