/* Tests for src/record/rec_reader.c: framing vectors from spec FORMAT.md 3,
 * tailing, and recovery from every kind of damage. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../harness.h"
#include "common/crc32c.h"
#include "common/error.h"
#include "common/log.h"
#include "record/rec_reader.h"
#include "record/rec_writer.h"

static void test_rec__file_version_vector(void)
{
	/* FORMAT.md 3.5, byte for byte */
	static const uint8_t rec[] = {0x18, 0,	  0,	0,   0,	  0,   0,    0,	   0xa3, 0x7f,
				      0x4b, 0x22, 0x09, 0,   0,	  0,   0x40, 0xfc, 0x54, 0xd9,
				      0x41, 0x1a, 0x0d, 'b', 'r', 'a', 'i',  'n',  '.',	 'E',
				      'v',  'e',  'n',	't', ':', '2', 0xec, 0xed, 0x8f, 0x9d};
	tb_slice p;
	size_t used;
	CHECK_INT(tb_rec_parse(&p, &used, rec, sizeof rec), 0);
	CHECK_INT(used, sizeof rec);
	CHECK_INT(p.len, 24);
	uint8_t bad[sizeof rec];
	memcpy(bad, rec, sizeof rec);
	bad[8] = 0x99; /* FORMAT.md 15: corrupted length CRC must be rejected */
	bad[11] = 0x55;
	CHECK_INT(tb_rec_parse(&p, &used, bad, sizeof bad), TB_ECORRUPT);
	CHECK_INT(tb_rec_parse(&p, &used, rec, 11), TB_EPARTIAL);
	CHECK_INT(tb_rec_parse(&p, &used, rec, sizeof rec - 1), TB_EPARTIAL);
}

static char path[64];

static void write_file(const uint8_t *p, size_t n, const char *mode)
{
	FILE *f = fopen(path, mode);
	fwrite(p, 1, n, f);
	fclose(f);
}

/* Read every record now available; store payload first bytes in ids. */
static int read_all(tb_rec_reader *r, int *ids, int *n, int *damage)
{
	tb_slice s;
	int rc;
	while ((rc = tb_rec_reader_next(&s, r)) != TB_EPARTIAL) {
		if (rc == TB_ECORRUPT) {
			(*damage)++;
			continue;
		}
		if (rc)
			return rc;
		ids[(*n)++] = s.ptr[0];
	}
	return 0;
}

/* Write the len bytes at p as the whole file and open a reader on it
 * (free it) that has read every record there: their ids in ids[*n],
 * the damaged ones counted in *damage. */
static tb_rec_reader *write_and_read(const uint8_t *p, size_t len, int *ids, int *n, int *damage)
{
	tb_rec_reader *r = NULL;
	write_file(p, len, "wb");
	*n = *damage = 0;
	CHECK_INT(tb_rec_reader_open(&r, path), 0);
	if (r)
		CHECK_INT(read_all(r, ids, n, damage), 0);
	return r;
}

static size_t build(uint8_t *buf, int first, int count, size_t payload_len)
{
	size_t off = 0;
	uint8_t payload[4096];
	for (int i = first; i < first + count; i++) {
		memset(payload, i, payload_len);
		off += tb_rec_frame(buf + off, payload, payload_len);
	}
	return off;
}

static void test_rec__tail_partial_record(void)
{
	uint8_t buf[8192];
	size_t len = build(buf, 0, 10, 30);
	int ids[64], n, damage;
	/* the last record cut short */
	tb_rec_reader *r = write_and_read(buf, len - 7, ids, &n, &damage);
	CHECK_INT(n, 9);
	CHECK_INT(damage, 0);
	write_file(buf + len - 7, 7, "ab");
	CHECK_INT(read_all(r, ids, &n, &damage), 0);
	CHECK_INT(n, 10);
	CHECK_INT(ids[9], 9);
	CHECK_INT(damage, 0);
	tb_rec_reader_free(r);
}

static void check_damage(size_t flip_at, int expect_n, int skip_id)
{
	uint8_t buf[8192];
	size_t len = build(buf, 0, 20, 30); /* 46 bytes per record */
	buf[flip_at] ^= 0x01;
	int ids[64], n, damage;
	tb_rec_reader *r = write_and_read(buf, len, ids, &n, &damage);
	CHECK_INT(damage, 1);
	CHECK_INT(n, expect_n);
	for (int i = 0, id = 0; i < n; i++, id++) {
		if (id == skip_id)
			id++;
		CHECK_INT(ids[i], id);
	}
	tb_rec_reader_free(r);
}

static void test_rec__bad_payload_crc_skips_one(void)
{
	check_damage(46 * 5 + 20, 19, 5); /* a payload byte of record 5 */
	check_damage(46 * 7 + 44, 19, 7); /* its stored data CRC */
}

static void test_rec__bad_length_crc_resyncs(void)
{
	check_damage(46 * 3 + 9, 19, 3);   /* the length CRC of record 3 */
	check_damage(46 * 12 + 2, 19, 12); /* the length itself */
	check_damage(46 * 12 + 7, 19, 12); /* its top byte: an impossible length */
}

/* Payloads on both sides of the length where the reader changes CRC
 * implementation, with varied bytes: each reads back whole (its CRC was
 * written by the writer's), and one flipped bit in a long one is damage. */
static void test_rec__payload_lengths(void)
{
	static uint8_t buf[200 << 10];
	uint8_t payload[1200];
	size_t off = 0;
	int count = 0;
	for (size_t len = 200; len <= 1100; len += 7, count++) {
		for (size_t i = 0; i < len; i++)
			payload[i] = (uint8_t)((i * 2654435761u) >> 11);
		payload[0] = (uint8_t)count;
		off += tb_rec_frame(buf + off, payload, len);
	}
	int ids[256], n, damage;
	tb_rec_reader_free(write_and_read(buf, off, ids, &n, &damage));
	CHECK_INT(n, count);
	CHECK_INT(damage, 0);
	for (int i = 0; i < n; i++)
		CHECK_INT(ids[i], i);
	buf[off - 300] ^= 0x10; /* inside the last, 1096-byte payload */
	tb_rec_reader_free(write_and_read(buf, off, ids, &n, &damage));
	CHECK_INT(n, count - 1);
	CHECK_INT(damage, 1);
}

static void test_rec__damage_in_growing_tail(void)
{
	uint8_t buf[8192];
	size_t len = build(buf, 0, 6, 30);
	memset(buf + 46 * 2, 0xEE, 10); /* garbage over record 2's header */
	int ids[64], n, damage;
	tb_rec_reader *r = write_and_read(buf, 46 * 3 + 5, ids, &n, &damage);
	CHECK_INT(n, 2);
	CHECK_INT(damage, 1);
	write_file(buf + 46 * 3 + 5, len - (46 * 3 + 5), "ab");
	CHECK_INT(read_all(r, ids, &n, &damage), 0);
	CHECK_INT(n, 5);
	CHECK_INT(damage, 1);
	CHECK_INT(ids[2], 3);
	CHECK_INT(ids[4], 5);
	tb_rec_reader_free(r);
}

static void test_rec__large_records(void)
{
	static uint8_t big[3 << 20];
	uint8_t *payload = malloc(3 << 20);
	memset(payload, 42, 3 << 20);
	size_t len = tb_rec_frame(big, payload, (3 << 20) - 16);
	write_file(big, len, "wb");
	tb_rec_reader *r;
	CHECK_INT(tb_rec_reader_open(&r, path), 0);
	tb_slice s;
	CHECK_INT(tb_rec_reader_next(&s, r), 0);
	CHECK_INT(s.len, (3 << 20) - 16);
	CHECK_INT(tb_rec_reader_next(&s, r), TB_EPARTIAL);
	tb_rec_reader_free(r);
	/* a header that claims 900 MB in a tiny file: partial, no allocation */
	uint8_t hdr[12] = {0, 0, 0, 0x35};
	uint32_t c = tb_crc32c_mask(tb_crc32c(hdr, 8));
	memcpy(hdr + 8, &c, 4);
	write_file(hdr, 12, "wb");
	CHECK_INT(tb_rec_reader_open(&r, path), 0);
	CHECK_INT(tb_rec_reader_next(&s, r), TB_EPARTIAL);
	tb_rec_reader_free(r);
	free(payload);
}

static int io_fd;

static int64_t io_read(void *payload, void *buf, size_t n, uint64_t off)
{
	(void)payload;
	return pread(io_fd, buf, n, (off_t)off);
}

static int64_t io_size(void *payload)
{
	struct stat st;
	(void)payload;
	return fstat(io_fd, &st) ? -1 : (int64_t)st.st_size;
}

/* 64 MiB of zeros (sparse) then three records: with a scan budget of
 * 1 MiB the reader stops at every budget (scanning set) and finds them
 * all; detached between calls, as the loader does, it keeps its place
 * without its buffer. */
static void test_rec__zero_run_budget_and_detach(void)
{
	uint8_t buf[512];
	size_t len = build(buf, 1, 3, 30);
	FILE *f = fopen(path, "wb");
	CHECK(f && ftruncate(fileno(f), 64 << 20) == 0);
	fseek(f, 64 << 20, SEEK_SET);
	fwrite(buf, 1, len, f);
	fclose(f);
	io_fd = open(path, O_RDONLY);
	tb_rec_io io = {io_read, io_size, NULL};
	tb_rec_reader *r = tb_rec_reader_new(path);
	tb_rec_reader_set_scan_budget(r, 1 << 20);
	uint8_t *b = NULL;
	size_t cap = 0;
	int stops = 0, damage = 0, ids[8], n = 0;
	for (int i = 0; i < 1000 && n < 3; i++) {
		tb_rec_reader_attach(r, &io, b, cap);
		tb_slice s;
		int rc = tb_rec_reader_next(&s, r);
		if (rc == TB_EPARTIAL) {
			CHECK(tb_rec_reader_scanning(r));
			stops++;
		} else if (rc == TB_ECORRUPT) {
			damage++;
		} else {
			CHECK_INT(rc, 0);
			ids[n++] = s.ptr[0];
		}
		tb_rec_reader_detach(r, &b, &cap);
	}
	CHECK_INT(damage, 1);
	CHECK(stops >= 16 && stops <= 70); /* a step may pass the budget by one buffer */
	CHECK_INT(n, 3);
	CHECK(n == 3 && ids[0] == 1 && ids[2] == 3);
	CHECK_INT(tb_rec_reader_offset(r), (64 << 20) + len);
	free(b);
	tb_rec_reader_free(r);
	close(io_fd);

	/* without a budget the whole file is read in one call */
	CHECK_INT(tb_rec_reader_open(&r, path), 0);
	n = damage = 0;
	CHECK_INT(read_all(r, ids, &n, &damage), 0);
	CHECK_INT(damage, 1);
	CHECK_INT(n, 3);
	CHECK(!tb_rec_reader_scanning(r));
	tb_rec_reader_free(r);
}

/* Held records stay valid until the next hold: with a 1 KiB buffer, each
 * batch ends when the buffer is full (hold_full), and every record of a
 * batch still holds its bytes when the batch is used. */
static void test_rec__hold_batches(void)
{
	static uint8_t buf[100 * 46];
	size_t len = build(buf, 0, 100, 30);
	write_file(buf, len, "wb");
	io_fd = open(path, O_RDONLY);
	tb_rec_io io = {io_read, io_size, NULL};
	tb_rec_reader *r = tb_rec_reader_new(path);
	tb_rec_reader_attach(r, &io, malloc(1024), 1024);
	int total = 0, batches = 0, done = 0;
	while (!done && batches < 100) {
		tb_slice held[64];
		int n = 0;
		tb_rec_reader_hold(r, 1);
		for (;;) {
			int rc = tb_rec_reader_next(&held[n], r);
			if (rc == TB_EPARTIAL) {
				done = !tb_rec_reader_hold_full(r);
				break;
			}
			CHECK_INT(rc, 0);
			n++;
		}
		CHECK(n <= 1024 / 46);
		for (int i = 0; i < n; i++)
			CHECK(held[i].len == 30 && held[i].ptr[0] == total + i &&
			      held[i].ptr[29] == total + i);
		total += n;
		batches++;
	}
	CHECK_INT(total, 100);
	CHECK(batches >= 100 / (1024 / 46));
	uint8_t *b;
	size_t cap;
	tb_rec_reader_detach(r, &b, &cap);
	CHECK_INT(cap, 1024); /* held batches never grow the buffer */
	free(b);
	tb_rec_reader_free(r);
	close(io_fd);
}

static void test_rec__missing_file(void)
{
	tb_rec_reader *r = NULL;
	tb_log_set_level(TB_LOG_ERROR);
	CHECK_INT(tb_rec_reader_open(&r, "/nonexistent/events.out.tfevents.x"), TB_EIO);
	tb_log_set_level(TB_LOG_INFO);
	tb_rec_reader_free(NULL);
}

int main(void)
{
	snprintf(path, sizeof path, "/tmp/tb_rec_test.%d", (int)getpid());
	tb_log_set_level(TB_LOG_WARN);
	TB_RUN(test_rec__file_version_vector);
	TB_RUN(test_rec__tail_partial_record);
	TB_RUN(test_rec__bad_payload_crc_skips_one);
	TB_RUN(test_rec__bad_length_crc_resyncs);
	TB_RUN(test_rec__damage_in_growing_tail);
	TB_RUN(test_rec__large_records);
	TB_RUN(test_rec__payload_lengths);
	TB_RUN(test_rec__zero_run_budget_and_detach);
	TB_RUN(test_rec__hold_batches);
	TB_RUN(test_rec__missing_file);
	unlink(path);
	return tb_test_finish();
}
