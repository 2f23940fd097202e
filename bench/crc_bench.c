/* crc_bench: CRC-32C of record-sized buffers, tboard's own (common/crc32c)
 * against ISA-L's crc32_iscsi, which the record reader uses for payloads
 * from the length where it wins.
 *
 *     crc_bench [megabytes per size=400] [repeats=5]
 *
 * For each length, CRCs one buffer after another out of a 256 KiB block
 * (the loader's read buffer, so it stays in the L2 cache as there) until
 * the megabytes are done, and prints the median nanoseconds per buffer of
 * each way. Without ISA-L in the build only our column is printed. */
#include <stdio.h>
#include <stdlib.h>

#include "common/crc32c.h"
#include "lib/bench.h"

#if __has_include(<isa-l/crc.h>)
#include <isa-l/crc.h>
#define HAVE_ISAL 1
#endif

#define BLOCK (256u << 10)

typedef uint32_t (*crc_fn)(const uint8_t *p, size_t n);

static uint32_t ours(const uint8_t *p, size_t n)
{
	return tb_crc32c(p, n);
}

#ifdef HAVE_ISAL
static uint32_t isal(const uint8_t *p, size_t n)
{
	return ~crc32_iscsi((unsigned char *)p, (int)n, ~0u);
}
#endif

/* Seconds for `count` buffers of n bytes; *sum keeps the work alive. */
static double run(crc_fn f, const uint8_t *block, size_t n, size_t count, uint32_t *sum)
{
	size_t slots = BLOCK / n;
	double t0 = bench_now();
	for (size_t i = 0; i < count; i++)
		*sum += f(block + (i % slots) * n, n);
	return bench_now() - t0;
}

int main(int argc, char **argv)
{
	long mb = bench_arg(argc, argv, 1, 400, 1);
	int repeats = (int)bench_arg(argc, argv, 2, 5, 1);
	uint8_t *block = malloc(BLOCK);
	for (size_t i = 0; i < BLOCK; i++)
		block[i] = (uint8_t)((i * 2654435761u) >> 13);
	static const size_t lens[] = {8, 32, 64, 128, 192, 256, 384, 512, 800, 1024, 4096};
	uint32_t sum = 0;
	printf("%6s %12s", "bytes", "ours ns");
#ifdef HAVE_ISAL
	printf(" %12s %7s", "ISA-L ns", "ratio");
#endif
	printf("\n");
	for (size_t k = 0; k < sizeof lens / sizeof *lens; k++) {
		size_t n = lens[k], count = ((size_t)mb << 20) / n;
		double a[16], b[16];
		if (repeats > 16)
			repeats = 16;
		for (int r = 0; r < repeats; r++) {
			a[r] = run(ours, block, n, count, &sum) / (double)count * 1e9;
#ifdef HAVE_ISAL
			b[r] = run(isal, block, n, count, &sum) / (double)count * 1e9;
			if (isal(block, n) != ours(block, n)) {
				fprintf(stderr, "crc_bench: the two CRCs differ at %zu bytes\n", n);
				return 1;
			}
#else
			b[r] = 0;
#endif
		}
		double ma = bench_median(a, repeats), mbn = bench_median(b, repeats);
		printf("%6zu %12.2f", n, ma);
#ifdef HAVE_ISAL
		printf(" %12.2f %6.2fx", mbn, mbn / ma);
#else
		(void)mbn;
#endif
		printf("\n");
	}
	free(block);
	return sum == 42; /* never, but the CRCs are used */
}
