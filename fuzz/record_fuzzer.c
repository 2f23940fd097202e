/* Fuzz target: TFRecord framing. Parses records back to back from the
 * input as the reader does, resynchronising byte by byte after damage. */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "record/rec_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	while (off < size) {
		tb_slice payload;
		size_t used;
		int rc = tb_rec_parse(&payload, &used, data + off, size - off);
		if (rc == TB_EPARTIAL)
			break;
		if (rc == TB_ECORRUPT) {
			off++;
			continue;
		}
		volatile uint8_t sink = payload.len ? payload.ptr[payload.len - 1] : 0;
		(void)sink;
		off += used;
	}
	return 0;
}
