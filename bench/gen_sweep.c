/* gen_sweep: write a hyperparameter sweep log directory, as a training
 * script logging through libtboard would.
 *
 *     gen_sweep OUTDIR [lrs=4] [batch_sizes=3] [seeds=5]
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
 * is 60 runs; 20 x 10 x 5 gives 1000. */
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

static int write_run(const char *outdir, double lr, int bs, int seed, int third_bs)
{
	char dir[4096];
	tb_writer *w = NULL;
	int rc;
	if (snprintf(dir, sizeof dir, "%s/lr%g_bs%d/seed%d", outdir, lr, bs, seed) >= (int)sizeof dir)
		return TB_EINVAL;
	rc = tb_writer_open(&w, dir, NULL);
	double acc = 0;
	for (int st = 0; st <= last_step(seed) && rc == TB_OK; st += 10) {
		acc = (float)(0.9 - 0.5 * exp(-0.3 * lr * st) - 0.001 * bs / 16 + 0.01 * seed);
		rc = tb_writer_add_scalar(w, "val/acc", acc, st, T0 + st);
		if (rc == TB_OK)
			rc = tb_writer_add_scalar(w, "train/loss", 2 * exp(-0.5 * lr * st) + 0.01 * seed + 0.1,
						  st, T0 + st);
		if (rc == TB_OK)
			rc = tb_writer_add_scalar(w, "tokens_seen", 128.0 * bs * st, st, T0 + st);
	}
	tb_hparam hp[] = {
	    {"lr", TB_HPARAM_NUMBER, lr, NULL, 0},
	    {"bs", TB_HPARAM_NUMBER, bs, NULL, 0},
	    {"seed", TB_HPARAM_NUMBER, seed, NULL, 0},
	    {"opt", TB_HPARAM_STRING, 0, third_bs ? "sgd" : "adam", 0},
	};
	const char *metric[] = {"hparam/final_acc"};
	double value[] = {acc};
	if (rc == TB_OK)
		rc = tb_writer_add_hparams(w, hp, 4, metric, value, 1, "hp", T0 + 200);
	int rc2 = w ? tb_writer_close(w) : TB_OK;
	return rc != TB_OK ? rc : rc2;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: gen_sweep OUTDIR [lrs=4] [batch_sizes=3] [seeds=5]\n");
		return 2;
	}
	long lrs = bench_arg(argc, argv, 2, 4, 1);
	long bss = bench_arg(argc, argv, 3, 3, 1);
	long seeds = bench_arg(argc, argv, 4, 5, 1);
	for (long l = 0; l < lrs; l++)
		for (long b = 0; b < bss; b++)
			for (long s = 0; s < seeds; s++) {
				int rc = write_run(argv[1], lr_of((int)l), 16 << b, (int)s, b == 2);
				if (rc != TB_OK) {
					fprintf(stderr, "gen_sweep: %s\n", tb_strerror(rc));
					return 1;
				}
			}
	printf("%ld runs\n", lrs * bss * seeds);
	return 0;
}
