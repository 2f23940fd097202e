/* Incremental TFRecord reader with resynchronisation after damage.
 *
 * Invariant: buf[pos..end) holds the unread bytes of the file starting at
 * file offset base + pos; everything before pos has been consumed. When a
 * record does not fit in the buffer we compact and read more; the buffer
 * grows only to the size of the largest record actually present in the file
 * (checked against the file's size first), so a lying length never
 * allocates. A resynchronising scan skips runs of zero bytes at memory
 * speed (no record header is all zeros) and stops after its byte budget,
 * so a huge zero-filled file costs bounded time per call.
 *
 * Payloads of PAYLOAD_ISAL bytes or more are checked with ISA-L's
 * CRC-32C where the build has it (carry-less multiplication folding many
 * bytes per step: about a third less time than our three-lane crc32 on a
 * histogram's 800 bytes); record headers and short payloads keep ours,
 * which wins below that length. The switch is here rather than in
 * common/crc32c because that module is also libtboard's, which links
 * only libc and zlib. */
#include "rec_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef TB_HAVE_ISAL
#include <isa-l/crc.h>
#endif

#include "common/alloc.h"
#include "common/crc32c.h"
#include "common/error.h"
#include "common/log.h"

#define READ_CHUNK (1u << 20)
/* Shortest payload handed to ISA-L (measured: ours is faster below). */
#define PAYLOAD_ISAL 256

struct tb_rec_reader {
	tb_rec_io io;
	int attached;
	int fd; /* opened by tb_rec_reader_open, else -1 */
	char *path;
	uint8_t *buf;
	size_t cap;
	size_t pos, end;  /* unread bytes are buf[pos..end) */
	uint64_t base;	  /* file offset of buf[0] */
	uint64_t rec_off; /* offset of the last record returned */
	int resyncing;	  /* scanning for the next intact record */
	uint64_t damage_off;
	const char *damage_reason;
	tb_crc32c_fn crc;
	uint64_t scan_budget; /* bytes per next() call while resyncing; 0 = all */
	int scanning;	      /* the last next() stopped at the scan budget */
	int hold;	      /* records returned stay valid (see tb_rec_reader_hold) */
	size_t held;	      /* records returned since the hold began */
	int hold_full;	      /* the last next() stopped for want of room */
};

static uint32_t load32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t load64(const uint8_t *p)
{
	return (uint64_t)load32(p) | (uint64_t)load32(p + 4) << 32;
}

int tb_rec_parse(tb_slice *payload, size_t *used, const uint8_t *p, size_t n)
{
	if (n < 12)
		return TB_EPARTIAL;
	if (tb_crc32c_unmask(load32(p + 8)) != tb_crc32c(p, 8))
		return TB_ECORRUPT;
	uint64_t len = load64(p);
	if (len > TB_REC_MAX_LEN)
		return TB_ECORRUPT;
	if (n - 12 < len + 4)
		return TB_EPARTIAL;
	if (tb_crc32c_unmask(load32(p + 12 + len)) != tb_crc32c(p + 12, (size_t)len))
		return TB_ECORRUPT;
	*payload = tb_slice_make(p + 12, (size_t)len);
	*used = (size_t)len + 16;
	return 0;
}

/* The CRC-32C of a record's payload (n <= TB_REC_MAX_LEN, which fits an
 * int). */
static inline uint32_t payload_crc(const tb_rec_reader *r, const uint8_t *p, size_t n)
{
#ifdef TB_HAVE_ISAL
	if (n >= PAYLOAD_ISAL)
		return ~crc32_iscsi((unsigned char *)p, (int)n, ~0u);
#endif
	return r->crc(0, p, n);
}

static int64_t fd_read(void *payload, void *buf, size_t n, uint64_t off)
{
	tb_rec_reader *r = payload;
	for (;;) {
		ssize_t got = pread(r->fd, buf, n, (off_t)off);
		if (got >= 0)
			return got;
		if (errno != EINTR) {
			tb_log_warn("cannot read %s: %s", r->path, strerror(errno));
			return TB_EIO;
		}
	}
}

static int64_t fd_size(void *payload)
{
	tb_rec_reader *r = payload;
	struct stat st;
	return fstat(r->fd, &st) == 0 ? (int64_t)st.st_size : -1;
}

tb_rec_reader *tb_rec_reader_new(const char *name)
{
	tb_rec_reader *r = tb_xcalloc(1, sizeof *r);
	r->fd = -1;
	r->path = tb_xstrdup(name);
	r->crc = tb_crc32c_best();
	return r;
}

int tb_rec_reader_open(tb_rec_reader **out, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		tb_log_warn("cannot open %s: %s", path, strerror(errno));
		return TB_EIO;
	}
	tb_rec_reader *r = tb_rec_reader_new(path);
	r->fd = fd;
	tb_rec_io io = {fd_read, fd_size, r};
	tb_rec_reader_attach(r, &io, NULL, 0);
	*out = r;
	return 0;
}

void tb_rec_reader_attach(tb_rec_reader *r, const tb_rec_io *io, uint8_t *buf, size_t cap)
{
	r->io = *io;
	r->attached = 1;
	r->buf = buf;
	r->cap = buf ? cap : 0;
	r->pos = r->end = 0;
}

void tb_rec_reader_detach(tb_rec_reader *r, uint8_t **buf, size_t *cap)
{
	r->base += r->pos;
	r->pos = r->end = 0;
	*buf = r->buf;
	*cap = r->cap;
	r->buf = NULL;
	r->cap = 0;
	r->attached = 0;
}

void tb_rec_reader_rewind(tb_rec_reader *r)
{
	r->base = r->pos = r->end = 0;
	r->rec_off = 0;
	r->resyncing = 0;
	r->scanning = 0;
}

void tb_rec_reader_set_scan_budget(tb_rec_reader *r, uint64_t bytes)
{
	r->scan_budget = bytes;
}

int tb_rec_reader_scanning(const tb_rec_reader *r)
{
	return r->scanning;
}

void tb_rec_reader_hold(tb_rec_reader *r, int on)
{
	r->hold = on;
	r->held = 0;
	r->hold_full = 0;
}

int tb_rec_reader_hold_full(const tb_rec_reader *r)
{
	return r->hold_full;
}

void tb_rec_reader_free(tb_rec_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->path);
	free(r->buf);
	free(r);
}

/* Make at least `want` unread bytes available if the file has them.
 * Returns 0 when they are there, TB_EPARTIAL when the file is shorter, or
 * TB_EIO. */
static int fill_slow(tb_rec_reader *r, size_t want);

static inline int fill(tb_rec_reader *r, size_t want)
{
	return r->end - r->pos >= want ? 0 : fill_slow(r, want);
}

/* Read into the free tail until `want` bytes are unread. */
static int read_tail(tb_rec_reader *r, size_t want)
{
	while (r->end - r->pos < want) {
		int64_t n = r->io.read(r->io.payload, r->buf + r->end, r->cap - r->end,
				       r->base + r->end);
		if (n < 0)
			return TB_EIO;
		if (n == 0)
			return TB_EPARTIAL;
		r->end += (size_t)n;
	}
	return 0;
}

static int fill_slow(tb_rec_reader *r, size_t want)
{
	if (r->hold && r->held) {
		/* held records pin the buffer: only its free tail may be used */
		if (want > r->cap - r->pos) {
			r->hold_full = 1;
			return TB_EPARTIAL;
		}
		return read_tail(r, want);
	}
	size_t chunk = r->cap ? r->cap : READ_CHUNK; /* a lent buffer sets the read size */
	if (want > chunk) {
		/* a large record: do not grow the buffer for bytes not on disk */
		int64_t size = r->io.size(r->io.payload);
		if (size >= 0 && (uint64_t)size < r->base + r->pos + (uint64_t)want)
			return TB_EPARTIAL;
	}
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->end - r->pos);
		r->base += r->pos;
		r->end -= r->pos;
		r->pos = 0;
	}
	size_t need = want > chunk ? want : chunk;
	if (r->cap < need) {
		r->buf = tb_xrealloc(r->buf, need);
		r->cap = need;
	}
	return read_tail(r, want);
}

/* Index of the first nonzero byte of p[0..n), or n. */
static size_t zero_prefix(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n && ((uintptr_t)(p + i) & 7))
		if (p[i++])
			return i - 1;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		if (w)
			break;
	}
	while (i < n && !p[i])
		i++;
	return i;
}

/* Scan forward from pos for the next offset holding an intact record.
 * Returns 0 positioned on it, TB_EPARTIAL (scan position kept; scanning
 * set when the budget ran out), or TB_EIO. */
static int resync(tb_rec_reader *r)
{
	uint64_t scanned = 0;
	for (;;) {
		if (r->scan_budget && scanned >= r->scan_budget) {
			r->scanning = 1;
			return TB_EPARTIAL;
		}
		int rc = fill(r, 12);
		if (rc)
			return rc;
		const uint8_t *p = r->buf + r->pos;
		/* a header of twelve zero bytes never checks: skip zero runs */
		size_t z = zero_prefix(p, r->end - r->pos);
		if (z >= 12) {
			r->pos += z - 11;
			scanned += z - 11;
			continue;
		}
		if (tb_crc32c_unmask(load32(p + 8)) == r->crc(0, p, 8) &&
		    load64(p) <= TB_REC_MAX_LEN) {
			size_t total = (size_t)load64(p) + 16;
			rc = fill(r, total);
			if (rc == TB_EPARTIAL)
				return rc; /* candidate not complete yet: retry here later */
			if (rc)
				return rc;
			p = r->buf + r->pos;
			if (tb_crc32c_unmask(load32(p + total - 4)) ==
			    payload_crc(r, p + 12, total - 16)) {
				r->resyncing = 0;
				tb_log_info("%s: resumed at the intact record at byte %llu",
					    r->path, (unsigned long long)(r->base + r->pos));
				return 0;
			}
		}
		r->pos++;
		scanned++;
	}
}

int tb_rec_reader_next(tb_slice *out, tb_rec_reader *r)
{
	int rc;
	r->scanning = 0;
	r->hold_full = 0;
	if (r->resyncing && (rc = resync(r)))
		return rc;
	if ((rc = fill(r, 12)))
		return rc;
	const uint8_t *p = r->buf + r->pos;
	uint64_t len = load64(p);
	const char *reason = NULL;
	if (tb_crc32c_unmask(load32(p + 8)) != r->crc(0, p, 8))
		reason = "bad length checksum";
	else if (len > TB_REC_MAX_LEN)
		reason = "impossible record length";
	if (!reason) {
		if ((rc = fill(r, (size_t)len + 16)))
			return rc;
		p = r->buf + r->pos;
		if (tb_crc32c_unmask(load32(p + 12 + len)) != payload_crc(r, p + 12, (size_t)len)) {
			reason = "bad data checksum";
		} else {
			r->rec_off = r->base + r->pos;
			*out = tb_slice_make(p + 12, (size_t)len);
			r->pos += (size_t)len + 16;
			r->held += r->hold;
			return 0;
		}
	}
	/* Damage: the length cannot be trusted even when its own CRC held (a
	 * torn write may leave a valid header over foreign bytes), so scan from
	 * the next byte rather than skipping by the stated length. */
	r->damage_off = r->base + r->pos;
	r->damage_reason = reason;
	r->resyncing = 1;
	r->pos++;
	return TB_ECORRUPT;
}

uint64_t tb_rec_reader_record_offset(const tb_rec_reader *r)
{
	return r->rec_off;
}

uint64_t tb_rec_reader_offset(const tb_rec_reader *r)
{
	return r->base + r->pos;
}

uint64_t tb_rec_reader_damage_offset(const tb_rec_reader *r)
{
	return r->damage_off;
}

const char *tb_rec_reader_damage_reason(const tb_rec_reader *r)
{
	return r->damage_reason ? r->damage_reason : "";
}
