/* Protocol Buffers wire types (spec FORMAT.md 2.1), shared by the decoder
 * and the encoder. */
#ifndef TB_PB_WIRE_H
#define TB_PB_WIRE_H

enum { TB_PB_VARINT = 0, TB_PB_I64 = 1, TB_PB_LEN = 2, TB_PB_I32 = 5 };

#endif
