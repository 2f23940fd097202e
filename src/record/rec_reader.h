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
 * large read() calls, records returned as views into the buffer. One reader
 * belongs to one thread at a time. */
#ifndef TB_REC_READER_H
#define TB_REC_READER_H

#include <stdint.h>

#include "common/buf.h"

typedef struct tb_rec_reader tb_rec_reader;

/* Records longer than this are treated as damage (FORMAT.md 3.4). */
#define TB_REC_MAX_LEN (1u << 30)

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

/* Close the file and free the reader. NULL is a no-op. */
void tb_rec_reader_free(tb_rec_reader *r);

/* Parse one record from memory, for fuzzing and tests: same checks as the
 * file reader. On success *payload is a view into p and *used the record's
 * total size. Returns 0, TB_EPARTIAL or TB_ECORRUPT. */
int tb_rec_parse(tb_slice *payload, size_t *used, const uint8_t *p, size_t n);

#endif
