/* Fuzz target: the table-driven protobuf decoder, printer, sizer and tree
 * copy of src/proto/textformat.c. The first input byte picks the schema
 * (GraphDef, RunMetadata, NodeDef, AttrValue, TensorProto, FunctionDef);
 * the rest is the wire data. A copy of the tree must print identically. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graph.pb-c.h"
#include "proto/textformat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const ProtobufCMessageDescriptor *const types[] = {
	    &tensorflow__graph_def__descriptor,	 &tensorflow__run_metadata__descriptor,
	    &tensorflow__node_def__descriptor,	 &tensorflow__attr_value__descriptor,
	    &tensorflow__tensor_proto__descriptor, &tensorflow__function_def__descriptor,
	};
	if (size < 1)
		return 0;
	const tb_pbt_msg *type = tb_pbt_schema(types[data[0] % (sizeof types / sizeof types[0])]);
	tb_pbt_arena *a = tb_pbt_arena_new();
	tb_pbm *m;
	if (tb_pbm_parse(&m, a, type, tb_slice_make(data + 1, size - 1)) == 0) {
		tb_buf one = TB_BUF_INIT, two = TB_BUF_INIT;
		tb_pbm_print(&one, m);
		uint64_t n = tb_pbm_size(m);
		tb_pbm *c = tb_pbm_copy(a, m);
		tb_pbm_print(&two, c);
		if (one.len != two.len || (one.len && memcmp(one.ptr, two.ptr, one.len) != 0) ||
		    tb_pbm_size(c) != n)
			abort();
		tb_buf_free(&one);
		tb_buf_free(&two);
	}
	tb_pbt_arena_free(a);
	return 0;
}
