/* Heap warming (common/alloc): after tb_heap_warm, what the thread then
 * allocates lands on pages that are already present, so filling it takes
 * (almost) no page faults, where it takes one per page without. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../harness.h"
#include "common/alloc.h"

#define BLOCKS 4096
#define BLOCK 200 /* 800 KiB in all, about as a loader stores packed points */

typedef struct trial {
	int warm;    /* warm 1 MiB first */
	int warmed;  /* tb_heap_warm's answer */
	long faults; /* while allocating and filling the blocks */
} trial;

static long thread_faults(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_minflt : -1;
}

static void *blocks[2][BLOCKS]; /* freed only once both trials are done */

/* Runs on a thread of its own: a new arena, or the last thread's, whose
 * blocks are all still held, so that either way the heap grows. */
static void *fill_blocks(void *arg)
{
	trial *t = arg;
	if (t->warm)
		t->warmed = tb_heap_warm(1u << 20);
	void **b = blocks[t->warm];
	long before = thread_faults();
	for (size_t i = 0; i < BLOCKS; i++) {
		b[i] = tb_xmalloc(BLOCK);
		memset(b[i], (int)i, BLOCK);
	}
	t->faults = thread_faults() - before;
	return NULL;
}

static void run(trial *t)
{
	pthread_t th;
	CHECK_INT(pthread_create(&th, NULL, fill_blocks, t), 0);
	pthread_join(th, NULL);
}

static void test_alloc__warm_heap_takes_the_faults(void)
{
	trial warm = {1, 0, 0}, cold = {0, 0, 0};
	run(&cold);
	run(&warm);
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < BLOCKS; i++)
			free(blocks[k][i]);
	printf("  faults filling 800 KiB: %ld cold, %ld after warming\n", cold.faults, warm.faults);
	if (!warm.warmed) {
		printf("  (heap warming is off in this build: glibc, Linux 5.14 and no "
		       "AddressSanitizer needed)\n");
		return;
	}
	/* 800 KiB is 200 pages: a fault each when cold, a handful when warm */
	CHECK(cold.faults >= 100);
	CHECK(warm.faults <= 16);
}

int main(void)
{
	TB_RUN(test_alloc__warm_heap_takes_the_faults);
	return tb_test_finish();
}
