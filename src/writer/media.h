/* Encoders for the files summaries carry: PNG images and WAV audio.
 *
 * Both append a complete file to a tb_pb_buf and never abort: allocation
 * failures come back as TB_ENOMEM with the buffer cut back to where it
 * was. PNG uses zlib's deflate and CRC-32 and nothing else. Pure
 * functions: thread-safe. */
#ifndef TB_MEDIA_H
#define TB_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "proto/pb_encode.h"

/* Append a PNG of height rows of width pixels, channels interleaved bytes
 * each (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA), 8 bits per sample, rows
 * filtered adaptively. width, height >= 1 and the image must be smaller
 * than 2^31 bytes. Returns 0, TB_EINVAL (bad size or channels) or
 * TB_ENOMEM. */
int tb_png_encode(tb_pb_buf *out, const uint8_t *pixels, uint32_t width, uint32_t height,
		  int channels);

/* Append a 16-bit PCM WAV file (44-byte RIFF header, then samples) of
 * frames x channels interleaved samples: each clamped to [-1, 1] (NaN as
 * 0), scaled by 32768, rounded and clamped to the int16 range. Returns 0,
 * TB_EINVAL (channels not 1..65535, sample_rate not 1..2^31-1, or a file
 * over 4 GiB) or TB_ENOMEM. */
int tb_wav_encode(tb_pb_buf *out, const float *samples, size_t frames, int channels,
		  uint32_t sample_rate);

#endif
