/* TFRecord framing for writers (spec FORMAT.md 3.1-3.3).
 *
 * A record is: u64 LE payload length, masked CRC32C of those 8 bytes,
 * the payload, masked CRC32C of the payload. These functions only fill
 * memory; the caller owns buffers and I/O, so a payload can be encoded in
 * place right after a reserved header and framed without a copy. Pure
 * functions: thread-safe. */
#ifndef TB_REC_WRITER_H
#define TB_REC_WRITER_H

#include <stddef.h>
#include <stdint.h>

#define TB_REC_HEADER_SIZE 12
#define TB_REC_FOOTER_SIZE 4
#define TB_REC_OVERHEAD (TB_REC_HEADER_SIZE + TB_REC_FOOTER_SIZE)

/* Fill out[0..12) with the header of a record whose payload is len bytes. */
void tb_rec_header(uint8_t *out, uint64_t len);

/* Fill out[0..4) with the footer (masked CRC32C) of the len payload bytes
 * at payload. */
void tb_rec_footer(uint8_t *out, const void *payload, size_t len);

/* Write a complete record of the len bytes at payload into out, which must
 * have room for len + TB_REC_OVERHEAD bytes. payload may overlap out (for
 * example already sit at out + TB_REC_HEADER_SIZE). Returns the record size,
 * len + TB_REC_OVERHEAD. */
size_t tb_rec_frame(uint8_t *out, const void *payload, size_t len);

#endif
