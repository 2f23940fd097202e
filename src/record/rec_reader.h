/* Incremental TFRecord reader for one event file.
 *
 * Reads records (u64 length | masked crc32c(length) | payload | masked
 * crc32c(payload), spec FORMAT.md 3) from the file's current end onwards and
 * remembers where it stopped, so a file that is still being written is
 * tailed: a record cut short at the end of the file is retried on the next
 * call, never reported as damage. Damage loses only the damaged bytes: on a
 * bad length CRC, an impossible length or a bad payload CRC the reader
 * reports it once and resynchronises, scanning forward to the next offset
 * where a record's length CRC and payload CRC both check.
 *
 * Tuned for sequential bulk reads of many small records: one growing buffer,
 * large read() calls, records returned as views into the buffer. The bytes
 * come from a tb_rec_io (pread-like callbacks), so the same reader serves
 * local files and any other storage; a reader can give its file and its
 * buffer back between reads (detach) and keep only its offset and resync
 * state, which lets a loader hold thousands of readers with a few buffers
 * and descriptors. One reader belongs to one thread at a time. */
#ifndef TB_REC_READER_H
#define TB_REC_READER_H

#include <stdint.h>

#include "common/buf.h"

typedef struct tb_rec_reader tb_rec_reader;

/* Records longer than this are treated as damage (FORMAT.md 3.4). */
#define TB_REC_MAX_LEN (1u << 30)

/* Where a reader's bytes come from. */
typedef struct tb_rec_io {
	/* Up to n bytes at offset off: bytes read, 0 at end of file, < 0 on
	 * failure (reported by the callee). */
	int64_t (*read)(void *payload, void *buf, size_t n, uint64_t off);
	/* Current size of the file, or < 0 if unknown. */
	int64_t (*size)(void *payload);
	void *payload;
} tb_rec_io;

/* A detached reader for the file called `name` (used in messages), at
 * offset 0. Attach a source before calling next(). */
tb_rec_reader *tb_rec_reader_new(const char *name);
/* Give r a source and a read buffer (buf may be NULL, cap 0; the reader
 * grows it as needed and owns it until detach). */
void tb_rec_reader_attach(tb_rec_reader *r, const tb_rec_io *io, uint8_t *buf, size_t cap);
/* Take the source and the buffer back: unread buffered bytes are dropped,
 * the reader keeps its offset (next unread byte) and resync state. The
 * buffer, which may have grown, is returned in *buf / *cap. */
void tb_rec_reader_detach(tb_rec_reader *r, uint8_t **buf, size_t *cap);
/* Start again at offset 0, forgetting damage state (a replaced file). */
void tb_rec_reader_rewind(tb_rec_reader *r);
/* Limit the bytes a resynchronising scan may examine per call of next()
 * (0 = no limit). When the limit is hit, next() returns TB_EPARTIAL and
 * tb_rec_reader_scanning() is nonzero: call again to continue the scan. */
void tb_rec_reader_set_scan_budget(tb_rec_reader *r, uint64_t bytes);
int tb_rec_reader_scanning(const tb_rec_reader *r);

/* Hold (on = 1) or release (on = 0) the records returned from now on:
 * while held, each record next() returns stays valid (the buffer is not
 * moved or grown) until release, so a caller can gather a batch without
 * copying it. When the next record does not fit in what remains of the
 * buffer, next() returns TB_EPARTIAL and tb_rec_reader_hold_full() is
 * nonzero: use the held records, then hold again (which releases them) and
 * go on. Holding again starts a new batch. */
void tb_rec_reader_hold(tb_rec_reader *r, int on);
int tb_rec_reader_hold_full(const tb_rec_reader *r);

/* Open `path` for reading from offset 0. Returns 0, or TB_EIO (the message
 * is in tb_rec_reader_errmsg of no reader: it is logged). */
int tb_rec_reader_open(tb_rec_reader **out, const char *path);

/* Read the next record into *out, a view into r's buffer that stays valid
 * until the next call. Returns
 *   0            a record;
 *   TB_EPARTIAL  no complete record is available yet (end of file, or the
 *                file ends mid-record): call again after the file grows;
 *   TB_ECORRUPT  damage starts at tb_rec_reader_damage_offset(r) (reason in
 *                tb_rec_reader_damage_reason); the reader skips it, so call
 *                again to continue with the next intact record;
 *   TB_EIO       read() failed. */
int tb_rec_reader_next(tb_slice *out, tb_rec_reader *r);

/* File offset of the start of the record last returned by next(). */
uint64_t tb_rec_reader_record_offset(const tb_rec_reader *r);
/* Bytes consumed so far (offset of the next unread byte). */
uint64_t tb_rec_reader_offset(const tb_rec_reader *r);
uint64_t tb_rec_reader_damage_offset(const tb_rec_reader *r);
const char *tb_rec_reader_damage_reason(const tb_rec_reader *r);

/* Close the file (when opened by tb_rec_reader_open), free the buffer if
 * attached and free the reader. NULL is a no-op. */
void tb_rec_reader_free(tb_rec_reader *r);

/* Parse one record from memory, for fuzzing and tests: same checks as the
 * file reader. On success *payload is a view into p and *used the record's
 * total size. Returns 0, TB_EPARTIAL or TB_ECORRUPT. */
int tb_rec_parse(tb_slice *payload, size_t *used, const uint8_t *p, size_t n);

#endif
