/* read_bench: what bringing a log directory's event files into the
 * process costs, by each way the record reader could get its bytes, with
 * the same work on the bytes (a CRC-32C over every byte, as the reader's
 * record checks do) so that only the way of reading differs.
 *
 *     read_bench LOGDIR [repeats=5] [chunk KiB=256]
 *
 *   pread     256 KiB pread calls (or `chunk`) into one reused buffer (the
 *             loader's pooled read buffer), the kernel copying from the page
 *             cache;
 *   mmap      the whole file mapped, pages faulted in as they are read;
 *   seq       the same with madvise(MADV_SEQUENTIAL | MADV_WILLNEED);
 *   populate  the same with MAP_POPULATE (every page mapped up front).
 *
 * Each prints the median wall time and the median CPU time (user + system
 * of this process) over `repeats` passes, after one pass that warms the
 * page cache. One thread, so CPU time is the cost, whatever the load. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crc32c.h"
#include "ingest/scan.h"
#include "lib/bench.h"

static size_t chunk = (size_t)256 << 10; /* bytes per pread, and per CRC call */

enum { PREAD, MMAP, SEQ, POPULATE, N_WAYS };
static const char *const names[N_WAYS] = {"pread", "mmap", "seq", "populate"};

static double cpu_now(void)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 +
	       (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

/* Read path one way; returns its CRC (so the work is not optimised out). */
static uint32_t read_one(const char *path, int way, uint8_t *buf, uint64_t *bytes)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint32_t crc = 0;
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0)
		goto out;
	size_t size = (size_t)st.st_size;
	if (way == PREAD) {
		ssize_t n;
		for (off_t off = 0; (n = pread(fd, buf, chunk, off)) > 0; off += n)
			crc = tb_crc32c_extend(crc, buf, (size_t)n);
	} else {
		int flags = MAP_PRIVATE | (way == POPULATE ? MAP_POPULATE : 0);
		void *m = mmap(NULL, size, PROT_READ, flags, fd, 0);
		if (m == MAP_FAILED)
			goto out;
		if (way == SEQ)
			madvise(m, size, MADV_SEQUENTIAL | MADV_WILLNEED);
		for (size_t off = 0; off < size; off += chunk)
			crc = tb_crc32c_extend(crc, (uint8_t *)m + off,
					       size - off < chunk ? size - off : chunk);
		munmap(m, size);
	}
	*bytes += size;
out:
	if (fd >= 0)
		close(fd);
	return crc;
}

static uint32_t pass(const tb_scan_result *res, int way, uint8_t *buf, uint64_t *bytes)
{
	uint32_t crc = 0;
	*bytes = 0;
	for (size_t i = 0; i < res->n_runs; i++)
		for (size_t k = 0; k < res->runs[i].n_files; k++) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", res->runs[i].dir,
				 res->runs[i].files[k]);
			crc ^= read_one(path, way, buf, bytes);
		}
	return crc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: read_bench LOGDIR [repeats=5] [chunk KiB=256]\n");
		return 2;
	}
	int repeats = (int)bench_arg(argc, argv, 2, 5, 1);
	chunk = (size_t)bench_arg(argc, argv, 3, 256, 4) << 10;
	tb_scan_result res;
	tb_scan(&res, argv[1]);
	if (!res.n_runs) {
		fprintf(stderr, "read_bench: no event files under %s\n", argv[1]);
		return 1;
	}
	uint8_t *buf = malloc(chunk);
	double *wall = calloc((size_t)repeats, sizeof *wall);
	double *cpu = calloc((size_t)repeats, sizeof *cpu);
	uint64_t bytes = 0;
	uint32_t crc = pass(&res, PREAD, buf, &bytes); /* warm the page cache */
	double base = 0;
	for (int way = 0; way < N_WAYS; way++) {
		for (int i = 0; i < repeats; i++) {
			double w0 = bench_now(), c0 = cpu_now();
			if (pass(&res, way, buf, &bytes) != crc)
				fprintf(stderr, "read_bench: %s read other bytes\n", names[way]);
			wall[i] = bench_now() - w0;
			cpu[i] = cpu_now() - c0;
		}
		double w = bench_median(wall, repeats), c = bench_median(cpu, repeats);
		if (way == PREAD)
			base = c;
		printf(
		    "%-9s %.1f MB  wall %.3f s  CPU %.3f s  (%.0f MB/s of CPU)  CPU %.2fx pread\n",
		    names[way], (double)bytes / 1e6, w, c, (double)bytes / 1e6 / c, c / base);
	}
	free(wall);
	free(cpu);
	free(buf);
	tb_scan_result_release(&res);
	return 0;
}
