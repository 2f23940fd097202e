/* Fuzz target: the PyTorch profiler trace reader (src/profile/trace.c)
 * with its operator tree (src/profile/optree.c), or, for an input that
 * starts with a tab, the check of other profilers' Chrome traces.
 * The input is fed in two pieces, split where its first byte says, so
 * that tokens cut across feeds are exercised too. */
#include <stddef.h>
#include <stdint.h>

#include "profile/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut = size ? data[0] % (size + 1) : 0;
	tb_prof_parser *p = tb_prof_parser_new();
	if (size && data[0] == '\t')
		tb_prof_parser_chrome(p);
	else
		tb_prof_parser_keep_ops(p);
	if (tb_prof_parser_feed(p, data, cut) == 0)
		tb_prof_parser_feed(p, data + cut, size - cut);
	tb_prof_trace *t;
	tb_prof_parser_finish(&t, p);
	volatile size_t sink =
	    t->n_kernels + t->n_comms + t->n_ops[0] + t->n_kops + (t->error ? 1 : 0);
	(void)sink;
	tb_prof_trace_free(t);
	return 0;
}
