/* Table-driven protobuf trees and their text format (spec HTTP_API.md 8.6).
 *
 * Invariant: a message's items never move once appended; deletion leaves a
 * tombstone (f == NULL, num == 0), so the per-field slot index of singular
 * fields stays valid and parsing a singular field is O(1) however often the
 * input repeats it. Printing sorts a copy of the item order by field number
 * (stable), which is the order upstream's printer lists fields in.
 *
 * Tuned for graphs of a few thousand nodes with small attributes and the
 * occasional large constant tensor, which stays a view into the input. */
#include "proto/textformat.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "proto/pb_decode.h"
#include "common/chars.h"

/* --- schemas ------------------------------------------------------------- */

static const tb_pbt_enumval datatype_vals[] = {
    {0, "DT_INVALID"},
    {1, "DT_FLOAT"},
    {2, "DT_DOUBLE"},
    {3, "DT_INT32"},
    {4, "DT_UINT8"},
    {5, "DT_INT16"},
    {6, "DT_INT8"},
    {7, "DT_STRING"},
    {8, "DT_COMPLEX64"},
    {9, "DT_INT64"},
    {10, "DT_BOOL"},
    {11, "DT_QINT8"},
    {12, "DT_QUINT8"},
    {13, "DT_QINT32"},
    {14, "DT_BFLOAT16"},
    {15, "DT_QINT16"},
    {16, "DT_QUINT16"},
    {17, "DT_UINT16"},
    {18, "DT_COMPLEX128"},
    {19, "DT_HALF"},
    {20, "DT_RESOURCE"},
    {21, "DT_VARIANT"},
    {22, "DT_UINT32"},
    {23, "DT_UINT64"},
    {24, "DT_FLOAT8_E5M2"},
    {25, "DT_FLOAT8_E4M3FN"},
    {26, "DT_FLOAT8_E4M3FNUZ"},
    {27, "DT_FLOAT8_E4M3B11FNUZ"},
    {28, "DT_FLOAT8_E5M2FNUZ"},
    {29, "DT_INT4"},
    {30, "DT_UINT4"},
    {31, "DT_INT2"},
    {32, "DT_UINT2"},
    {33, "DT_FLOAT4_E2M1FN"},
    {101, "DT_FLOAT_REF"},
    {102, "DT_DOUBLE_REF"},
    {103, "DT_INT32_REF"},
    {104, "DT_UINT8_REF"},
    {105, "DT_INT16_REF"},
    {106, "DT_INT8_REF"},
    {107, "DT_STRING_REF"},
    {108, "DT_COMPLEX64_REF"},
    {109, "DT_INT64_REF"},
    {110, "DT_BOOL_REF"},
    {111, "DT_QINT8_REF"},
    {112, "DT_QUINT8_REF"},
    {113, "DT_QINT32_REF"},
    {114, "DT_BFLOAT16_REF"},
    {115, "DT_QINT16_REF"},
    {116, "DT_QUINT16_REF"},
    {117, "DT_UINT16_REF"},
    {118, "DT_COMPLEX128_REF"},
    {119, "DT_HALF_REF"},
    {120, "DT_RESOURCE_REF"},
    {121, "DT_VARIANT_REF"},
    {122, "DT_UINT32_REF"},
    {123, "DT_UINT64_REF"},
    {124, "DT_FLOAT8_E5M2_REF"},
    {125, "DT_FLOAT8_E4M3FN_REF"},
    {126, "DT_FLOAT8_E4M3FNUZ_REF"},
    {127, "DT_FLOAT8_E4M3B11FNUZ_REF"},
    {128, "DT_FLOAT8_E5M2FNUZ_REF"},
    {129, "DT_INT4_REF"},
    {130, "DT_UINT4_REF"},
    {131, "DT_INT2_REF"},
    {132, "DT_UINT2_REF"},
    {133, "DT_FLOAT4_E2M1FN_REF"},
};
static const tb_pbt_enum datatype = {datatype_vals, sizeof datatype_vals / sizeof datatype_vals[0]};

static const tb_pbt_enumval fulltype_vals[] = {
    {0, "TFT_UNSET"},
    {1, "TFT_VAR"},
    {2, "TFT_ANY"},
    {3, "TFT_PRODUCT"},
    {4, "TFT_NAMED"},
    {20, "TFT_FOR_EACH"},
    {100, "TFT_CALLABLE"},
    {200, "TFT_BOOL"},
    {201, "TFT_UINT8"},
    {202, "TFT_UINT16"},
    {203, "TFT_UINT32"},
    {204, "TFT_UINT64"},
    {205, "TFT_INT8"},
    {206, "TFT_INT16"},
    {207, "TFT_INT32"},
    {208, "TFT_INT64"},
    {209, "TFT_HALF"},
    {210, "TFT_FLOAT"},
    {211, "TFT_DOUBLE"},
    {212, "TFT_COMPLEX64"},
    {213, "TFT_COMPLEX128"},
    {214, "TFT_STRING"},
    {215, "TFT_BFLOAT16"},
    {1000, "TFT_TENSOR"},
    {1001, "TFT_ARRAY"},
    {1002, "TFT_OPTIONAL"},
    {1003, "TFT_LITERAL"},
    {1004, "TFT_ENCODED"},
    {1005, "TFT_SHAPE_TENSOR"},
    {10102, "TFT_DATASET"},
    {10103, "TFT_RAGGED"},
    {10104, "TFT_ITERATOR"},
    {10202, "TFT_MUTEX_LOCK"},
    {10203, "TFT_LEGACY_VARIANT"},
};
static const tb_pbt_enum fulltype = {fulltype_vals, sizeof fulltype_vals / sizeof fulltype_vals[0]};

#define S(n, nm, t)                                                                                \
	{                                                                                          \
		n, nm, TB_PBT_##t, 0, 0, NULL, NULL                                                \
	}
#define SO(n, nm, t, g)                                                                            \
	{                                                                                          \
		n, nm, TB_PBT_##t, 0, g, NULL, NULL                                                \
	}
#define SP(n, nm, t)                                                                               \
	{                                                                                          \
		n, nm, TB_PBT_##t, TB_PBT_PRESENCE, 0, NULL, NULL                                  \
	}
#define R(n, nm, t)                                                                                \
	{                                                                                          \
		n, nm, TB_PBT_##t, TB_PBT_REPEATED, 0, NULL, NULL                                  \
	}
#define E(n, nm, en)                                                                               \
	{                                                                                          \
		n, nm, TB_PBT_ENUM, 0, 0, NULL, &en                                                \
	}
#define EO(n, nm, en, g)                                                                           \
	{                                                                                          \
		n, nm, TB_PBT_ENUM, 0, g, NULL, &en                                                \
	}
#define RE(n, nm, en)                                                                              \
	{                                                                                          \
		n, nm, TB_PBT_ENUM, TB_PBT_REPEATED, 0, NULL, &en                                  \
	}
#define M(n, nm, m)                                                                                \
	{                                                                                          \
		n, nm, TB_PBT_MESSAGE, 0, 0, &m, NULL                                              \
	}
#define MO(n, nm, m, g)                                                                            \
	{                                                                                          \
		n, nm, TB_PBT_MESSAGE, 0, g, &m, NULL                                              \
	}
#define RM(n, nm, m)                                                                               \
	{                                                                                          \
		n, nm, TB_PBT_MESSAGE, TB_PBT_REPEATED, 0, &m, NULL                                \
	}
#define MAP(n, nm, m)                                                                              \
	{                                                                                          \
		n, nm, TB_PBT_MESSAGE, TB_PBT_REPEATED | TB_PBT_MAP, 0, &m, NULL                   \
	}
#define MSG(var, nm, fl) const tb_pbt_msg var = {nm, fl, sizeof fl / sizeof fl[0], 0}
#define MSG2(var, nm, fl) const tb_pbt_msg var = {nm, fl, sizeof fl / sizeof fl[0], 1}

/* Forward declarations of the internal (static) message schemas. */
static const tb_pbt_msg m_attr_entry, m_full_type, m_debug_info_node, m_dim, m_resource,
    m_dtype_shape, m_variant, m_graph_debug, m_file_line_col, m_stack_trace, m_traces_entry,
    m_frames_entry, m_traces_by_id_entry, m_name_to_trace_entry, m_registered_grad, m_str_str_entry,
    m_arg_attrs, m_arg_attr_entry, m_u32_u32_entry, m_arg_def, m_attr_def, m_op_deprecation,
    m_cost_graph, m_cost_node, m_input_info, m_output_info, m_agg_cost, m_function_graphs,
    m_session_md, m_device_step_stats, m_thread_names_entry, m_alloc_mem, m_alloc_record,
    m_node_output, m_tensor_desc, m_alloc_desc, m_memory_stats;

/* graph.proto */
static const tb_pbt_field f_graph_def[] = {
    RM(1, "node", tb_pbt_NodeDef),
    M(2, "library", tb_pbt_FunctionDefLibrary),
    S(3, "version", INT32),
    M(4, "versions", tb_pbt_VersionDef),
    M(5, "debug_info", m_graph_debug),
};
MSG(tb_pbt_GraphDef, "GraphDef", f_graph_def);

/* node_def.proto */
static const tb_pbt_field f_node_def[] = {
    S(1, "name", STRING),
    S(2, "op", STRING),
    R(3, "input", STRING),
    S(4, "device", STRING),
    MAP(5, "attr", m_attr_entry),
    M(6, "experimental_debug_info", m_debug_info_node),
    M(7, "experimental_type", m_full_type),
};
MSG(tb_pbt_NodeDef, "NodeDef", f_node_def);
static const tb_pbt_field f_attr_entry[] = {S(1, "key", STRING), M(2, "value", tb_pbt_AttrValue)};
static MSG(m_attr_entry, "AttrEntry", f_attr_entry);
static const tb_pbt_field f_debug_info_node[] = {
    R(1, "original_node_names", STRING),
    R(2, "original_func_names", STRING),
};
static MSG(m_debug_info_node, "ExperimentalDebugInfo", f_debug_info_node);

/* full_type.proto */
static const tb_pbt_field f_full_type[] = {
    E(1, "type_id", fulltype),
    RM(2, "args", m_full_type),
    SO(3, "s", STRING, 1),
    SO(4, "i", INT64, 1),
};
static MSG(m_full_type, "FullTypeDef", f_full_type);

/* attr_value.proto */
static const tb_pbt_field f_attr_value[] = {
    MO(1, "list", tb_pbt_AttrValue_ListValue, 1),
    SO(2, "s", BYTES, 1),
    SO(3, "i", INT64, 1),
    SO(4, "f", FLOAT, 1),
    SO(5, "b", BOOL, 1),
    EO(6, "type", datatype, 1),
    MO(7, "shape", tb_pbt_TensorShapeProto, 1),
    MO(8, "tensor", tb_pbt_TensorProto, 1),
    SO(9, "placeholder", STRING, 1),
    MO(10, "func", tb_pbt_NameAttrList, 1),
};
MSG(tb_pbt_AttrValue, "AttrValue", f_attr_value);
static const tb_pbt_field f_list_value[] = {
    R(2, "s", BYTES),
    R(3, "i", INT64),
    R(4, "f", FLOAT),
    R(5, "b", BOOL),
    RE(6, "type", datatype),
    RM(7, "shape", tb_pbt_TensorShapeProto),
    RM(8, "tensor", tb_pbt_TensorProto),
    RM(9, "func", tb_pbt_NameAttrList),
};
MSG(tb_pbt_AttrValue_ListValue, "ListValue", f_list_value);
static const tb_pbt_field f_name_attr_list[] = {S(1, "name", STRING), MAP(2, "attr", m_attr_entry)};
MSG(tb_pbt_NameAttrList, "NameAttrList", f_name_attr_list);

/* tensor.proto, tensor_shape.proto, resource_handle.proto */
static const tb_pbt_field f_tensor[] = {
    E(1, "dtype", datatype),	      M(2, "tensor_shape", tb_pbt_TensorShapeProto),
    S(3, "version_number", INT32),    S(4, "tensor_content", BYTES),
    R(5, "float_val", FLOAT),	      R(6, "double_val", DOUBLE),
    R(7, "int_val", INT32),	      R(8, "string_val", BYTES),
    R(9, "scomplex_val", FLOAT),      R(10, "int64_val", INT64),
    R(11, "bool_val", BOOL),	      R(12, "dcomplex_val", DOUBLE),
    R(13, "half_val", INT32),	      RM(14, "resource_handle_val", m_resource),
    RM(15, "variant_val", m_variant), R(16, "uint32_val", UINT32),
    R(17, "uint64_val", UINT64),      S(18, "float8_val", BYTES),
};
MSG(tb_pbt_TensorProto, "TensorProto", f_tensor);
static const tb_pbt_field f_variant[] = {
    S(1, "type_name", STRING),
    S(2, "metadata", BYTES),
    RM(3, "tensors", tb_pbt_TensorProto),
};
static MSG(m_variant, "VariantTensorDataProto", f_variant);
static const tb_pbt_field f_shape[] = {RM(2, "dim", m_dim), S(3, "unknown_rank", BOOL)};
MSG(tb_pbt_TensorShapeProto, "TensorShapeProto", f_shape);
static const tb_pbt_field f_dim[] = {S(1, "size", INT64), S(2, "name", STRING)};
static MSG(m_dim, "Dim", f_dim);
static const tb_pbt_field f_resource[] = {
    S(1, "device", STRING),
    S(2, "container", STRING),
    S(3, "name", STRING),
    S(4, "hash_code", UINT64),
    S(5, "maybe_type_name", STRING),
    RM(6, "dtypes_and_shapes", m_dtype_shape),
};
static MSG(m_resource, "ResourceHandleProto", f_resource);
static const tb_pbt_field f_dtype_shape[] = {
    E(1, "dtype", datatype),
    M(2, "shape", tb_pbt_TensorShapeProto),
};
static MSG(m_dtype_shape, "DtypeAndShape", f_dtype_shape);

/* versions.proto */
static const tb_pbt_field f_versions[] = {
    S(1, "producer", INT32),
    S(2, "min_consumer", INT32),
    R(3, "bad_consumers", INT32),
};
MSG(tb_pbt_VersionDef, "VersionDef", f_versions);

/* graph_debug_info.proto (proto2) */
static const tb_pbt_field f_graph_debug[] = {
    R(1, "files", STRING),
    MAP(2, "traces", m_traces_entry),
    MAP(4, "frames_by_id", m_frames_entry),
    MAP(5, "name_to_trace_id", m_name_to_trace_entry),
    MAP(6, "traces_by_id", m_traces_by_id_entry),
};
static MSG2(m_graph_debug, "GraphDebugInfo", f_graph_debug);
static const tb_pbt_field f_file_line_col[] = {
    SP(1, "file_index", INT32), SP(2, "line", INT32),  SP(3, "col", INT32),
    SP(4, "func", STRING),	SP(5, "code", STRING),
};
static MSG2(m_file_line_col, "FileLineCol", f_file_line_col);
static const tb_pbt_field f_stack_trace[] = {
    RM(1, "file_line_cols", m_file_line_col),
    R(2, "frame_id", FIXED64),
};
static MSG2(m_stack_trace, "StackTrace", f_stack_trace);
static const tb_pbt_field f_traces_entry[] = {S(1, "key", STRING), M(2, "value", m_stack_trace)};
static MSG2(m_traces_entry, "TracesEntry", f_traces_entry);
static const tb_pbt_field f_frames_entry[] = {S(1, "key", FIXED64), M(2, "value", m_file_line_col)};
static MSG2(m_frames_entry, "FramesByIdEntry", f_frames_entry);
static const tb_pbt_field f_traces_by_id_entry[] = {
    S(1, "key", FIXED64),
    M(2, "value", m_stack_trace),
};
static MSG2(m_traces_by_id_entry, "TracesByIdEntry", f_traces_by_id_entry);
static const tb_pbt_field f_name_to_trace_entry[] = {S(1, "key", STRING), S(2, "value", FIXED64)};
static MSG2(m_name_to_trace_entry, "NameToTraceIdEntry", f_name_to_trace_entry);

/* function.proto */
static const tb_pbt_field f_library[] = {
    RM(1, "function", tb_pbt_FunctionDef),
    RM(2, "gradient", tb_pbt_GradientDef),
    RM(3, "registered_gradients", m_registered_grad),
};
MSG(tb_pbt_FunctionDefLibrary, "FunctionDefLibrary", f_library);
static const tb_pbt_field f_function[] = {
    M(1, "signature", tb_pbt_OpDef),
    RM(3, "node_def", tb_pbt_NodeDef),
    MAP(4, "ret", m_str_str_entry),
    MAP(5, "attr", m_attr_entry),
    MAP(6, "control_ret", m_str_str_entry),
    MAP(7, "arg_attr", m_arg_attr_entry),
    MAP(8, "resource_arg_unique_id", m_u32_u32_entry),
};
MSG(tb_pbt_FunctionDef, "FunctionDef", f_function);
static const tb_pbt_field f_str_str_entry[] = {S(1, "key", STRING), S(2, "value", STRING)};
static MSG(m_str_str_entry, "StringEntry", f_str_str_entry);
static const tb_pbt_field f_arg_attrs[] = {MAP(1, "attr", m_attr_entry)};
static MSG(m_arg_attrs, "ArgAttrs", f_arg_attrs);
static const tb_pbt_field f_arg_attr_entry[] = {S(1, "key", UINT32), M(2, "value", m_arg_attrs)};
static MSG(m_arg_attr_entry, "ArgAttrEntry", f_arg_attr_entry);
static const tb_pbt_field f_u32_u32_entry[] = {S(1, "key", UINT32), S(2, "value", UINT32)};
static MSG(m_u32_u32_entry, "ResourceArgUniqueIdEntry", f_u32_u32_entry);
static const tb_pbt_field f_gradient[] = {S(1, "function_name", STRING),
					  S(2, "gradient_func", STRING)};
MSG(tb_pbt_GradientDef, "GradientDef", f_gradient);
static const tb_pbt_field f_registered_grad[] = {
    S(1, "gradient_func", STRING),
    S(2, "registered_op_type", STRING),
};
static MSG(m_registered_grad, "RegisteredGradient", f_registered_grad);

/* op_def.proto */
static const tb_pbt_field f_op_def[] = {
    S(1, "name", STRING),
    RM(2, "input_arg", m_arg_def),
    RM(3, "output_arg", m_arg_def),
    RM(4, "attr", m_attr_def),
    S(5, "summary", STRING),
    S(6, "description", STRING),
    M(8, "deprecation", m_op_deprecation),
    S(16, "is_aggregate", BOOL),
    S(17, "is_stateful", BOOL),
    S(18, "is_commutative", BOOL),
    S(19, "allows_uninitialized_input", BOOL),
    R(20, "control_output", STRING),
    S(21, "is_distributed_communication", BOOL),
};
MSG(tb_pbt_OpDef, "OpDef", f_op_def);
static const tb_pbt_field f_arg_def[] = {
    S(1, "name", STRING),
    S(2, "description", STRING),
    E(3, "type", datatype),
    S(4, "type_attr", STRING),
    S(5, "number_attr", STRING),
    S(6, "type_list_attr", STRING),
    RM(7, "handle_data", m_dtype_shape),
    S(16, "is_ref", BOOL),
    M(17, "experimental_full_type", m_full_type),
};
static MSG(m_arg_def, "ArgDef", f_arg_def);
static const tb_pbt_field f_attr_def[] = {
    S(1, "name", STRING),
    S(2, "type", STRING),
    M(3, "default_value", tb_pbt_AttrValue),
    S(4, "description", STRING),
    S(5, "has_minimum", BOOL),
    S(6, "minimum", INT64),
    M(7, "allowed_values", tb_pbt_AttrValue),
};
static MSG(m_attr_def, "AttrDef", f_attr_def);
static const tb_pbt_field f_op_deprecation[] = {S(1, "version", INT32),
						S(2, "explanation", STRING)};
static MSG(m_op_deprecation, "OpDeprecation", f_op_deprecation);

/* config.proto RunMetadata, cost_graph.proto, step_stats.proto */
static const tb_pbt_field f_run_metadata[] = {
    M(1, "step_stats", tb_pbt_StepStats),	M(2, "cost_graph", m_cost_graph),
    RM(3, "partition_graphs", tb_pbt_GraphDef), RM(4, "function_graphs", m_function_graphs),
    M(5, "session_metadata", m_session_md),
};
MSG(tb_pbt_RunMetadata, "RunMetadata", f_run_metadata);
static const tb_pbt_field f_function_graphs[] = {
    RM(1, "partition_graphs", tb_pbt_GraphDef),
    M(2, "pre_optimization_graph", tb_pbt_GraphDef),
    M(3, "post_optimization_graph", tb_pbt_GraphDef),
};
static MSG(m_function_graphs, "FunctionGraphs", f_function_graphs);
static const tb_pbt_field f_session_md[] = {S(1, "name", STRING), S(2, "version", INT64)};
static MSG(m_session_md, "SessionMetadata", f_session_md);
static const tb_pbt_field f_cost_graph[] = {RM(1, "node", m_cost_node), RM(2, "cost", m_agg_cost)};
static MSG(m_cost_graph, "CostGraphDef", f_cost_graph);
static const tb_pbt_field f_cost_node[] = {
    S(1, "name", STRING),
    S(2, "device", STRING),
    S(3, "id", INT32),
    RM(4, "input_info", m_input_info),
    RM(5, "output_info", m_output_info),
    S(6, "temporary_memory_size", INT64),
    S(7, "is_final", BOOL),
    R(8, "control_input", INT32),
    S(9, "compute_cost", INT64),
    S(10, "host_temp_memory_size", INT64),
    S(11, "device_temp_memory_size", INT64),
    S(12, "persistent_memory_size", INT64),
    S(14, "compute_time", INT64),
    S(15, "memory_time", INT64),
    S(16, "device_persistent_memory_size", INT64),
    S(17, "inaccurate", BOOL),
};
static MSG(m_cost_node, "Node", f_cost_node);
static const tb_pbt_field f_input_info[] = {S(1, "preceding_node", INT32),
					    S(2, "preceding_port", INT32)};
static MSG(m_input_info, "InputInfo", f_input_info);
static const tb_pbt_field f_output_info[] = {
    S(1, "size", INT64),
    S(2, "alias_input_port", INT64),
    M(3, "shape", tb_pbt_TensorShapeProto),
    E(4, "dtype", datatype),
};
static MSG(m_output_info, "OutputInfo", f_output_info);
static const tb_pbt_field f_agg_cost[] = {S(1, "cost", FLOAT), S(2, "dimension", STRING)};
static MSG(m_agg_cost, "AggregatedCost", f_agg_cost);
static const tb_pbt_field f_step_stats[] = {RM(1, "dev_stats", m_device_step_stats)};
MSG(tb_pbt_StepStats, "StepStats", f_step_stats);
static const tb_pbt_field f_device_step_stats[] = {
    S(1, "device", STRING),
    RM(2, "node_stats", tb_pbt_NodeExecStats),
    MAP(3, "thread_names", m_thread_names_entry),
};
static MSG(m_device_step_stats, "DeviceStepStats", f_device_step_stats);
static const tb_pbt_field f_thread_names_entry[] = {S(1, "key", UINT32), S(2, "value", STRING)};
static MSG(m_thread_names_entry, "ThreadNamesEntry", f_thread_names_entry);
static const tb_pbt_field f_node_exec_stats[] = {
    S(1, "node_name", STRING),
    S(2, "all_start_micros", INT64),
    S(3, "op_start_rel_micros", INT64),
    S(4, "op_end_rel_micros", INT64),
    S(5, "all_end_rel_micros", INT64),
    RM(6, "memory", m_alloc_mem),
    RM(7, "output", m_node_output),
    S(8, "timeline_label", STRING),
    S(9, "scheduled_micros", INT64),
    S(10, "thread_id", UINT32),
    RM(11, "referenced_tensor", m_alloc_desc),
    M(12, "memory_stats", m_memory_stats),
    S(13, "all_start_nanos", INT64),
    S(14, "op_start_rel_nanos", INT64),
    S(15, "op_end_rel_nanos", INT64),
    S(16, "all_end_rel_nanos", INT64),
    S(17, "scheduled_nanos", INT64),
};
MSG(tb_pbt_NodeExecStats, "NodeExecStats", f_node_exec_stats);
static const tb_pbt_field f_alloc_mem[] = {
    S(1, "allocator_name", STRING),
    S(2, "total_bytes", INT64),
    S(3, "peak_bytes", INT64),
    S(4, "live_bytes", INT64),
    S(5, "allocator_bytes_in_use", INT64),
    RM(6, "allocation_records", m_alloc_record),
};
static MSG(m_alloc_mem, "AllocatorMemoryUsed", f_alloc_mem);
static const tb_pbt_field f_alloc_record[] = {S(1, "alloc_micros", INT64),
					      S(2, "alloc_bytes", INT64)};
static MSG(m_alloc_record, "AllocationRecord", f_alloc_record);
static const tb_pbt_field f_node_output[] = {
    S(1, "slot", INT32),
    M(3, "tensor_description", m_tensor_desc),
};
static MSG(m_node_output, "NodeOutput", f_node_output);
static const tb_pbt_field f_tensor_desc[] = {
    E(1, "dtype", datatype),
    M(2, "shape", tb_pbt_TensorShapeProto),
    M(4, "allocation_description", m_alloc_desc),
};
static MSG(m_tensor_desc, "TensorDescription", f_tensor_desc);
static const tb_pbt_field f_alloc_desc[] = {
    S(1, "requested_bytes", INT64),	S(2, "allocated_bytes", INT64),
    S(3, "allocator_name", STRING),	S(4, "allocation_id", INT64),
    S(5, "has_single_reference", BOOL), S(6, "ptr", UINT64),
};
static MSG(m_alloc_desc, "AllocationDescription", f_alloc_desc);
static const tb_pbt_field f_memory_stats[] = {
    S(1, "temp_memory_size", INT64),
    S(2, "device_temp_memory_size", INT64),
    S(3, "persistent_memory_size", INT64),
    S(4, "device_persistent_memory_size", INT64),
    R(5, "persistent_tensor_alloc_ids", INT64),
    R(6, "device_persistent_tensor_alloc_ids", INT64),
};
static MSG(m_memory_stats, "MemoryStats", f_memory_stats);

/* --- arena --------------------------------------------------------------- */

#define CHUNK_SIZE ((size_t)64 << 10)

typedef struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
} chunk;

struct tb_pbt_arena {
	chunk *head;
};

tb_pbt_arena *tb_pbt_arena_new(void)
{
	return tb_xcalloc(1, sizeof(tb_pbt_arena));
}

void tb_pbt_arena_free(tb_pbt_arena *a)
{
	if (!a)
		return;
	for (chunk *c = a->head, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

static void *arena_alloc(tb_pbt_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		size_t size = n > CHUNK_SIZE / 4 ? n : CHUNK_SIZE;
		c = tb_xmalloc(sizeof(chunk) + size);
		c->used = 0;
		c->size = size;
		if (size == n && a->head) {
			/* a big block goes behind the current chunk, which keeps its room */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

tb_slice tb_pbt_strdup(tb_pbt_arena *a, const void *p, size_t n)
{
	char *d = arena_alloc(a, n + 1);
	if (n)
		memcpy(d, p, n);
	d[n] = 0;
	return tb_slice_make(d, n);
}

/* --- tree basics --------------------------------------------------------- */

tb_pbm *tb_pbm_new(tb_pbt_arena *a, const tb_pbt_msg *type)
{
	tb_pbm *m = arena_alloc(a, sizeof *m);
	m->type = type;
	m->items = NULL;
	m->n = m->cap = 0;
	m->slot = arena_alloc(a, (type->n_fields ? type->n_fields : 1) * sizeof(int32_t));
	for (size_t i = 0; i < type->n_fields; i++)
		m->slot[i] = -1;
	return m;
}

static const tb_pbt_field *find_field(const tb_pbt_msg *t, uint32_t num)
{
	size_t lo = 0, hi = t->n_fields;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->fields[mid].num == num)
			return &t->fields[mid];
		if (t->fields[mid].num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static tb_pbv *push(tb_pbt_arena *a, tb_pbm *m)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 4;
		tb_pbv *items = arena_alloc(a, cap * sizeof *items);
		if (m->n)
			memcpy(items, m->items, m->n * sizeof *items);
		m->items = items;
		m->cap = cap;
	}
	tb_pbv *v = &m->items[m->n++];
	memset(v, 0, sizeof *v);
	return v;
}

static void kill_item(tb_pbm *m, size_t i)
{
	tb_pbv *v = &m->items[i];
	if (v->f && !(v->f->flags & TB_PBT_REPEATED))
		m->slot[v->f - m->type->fields] = -1;
	v->f = NULL;
	v->num = 0;
}

/* A new item for field f at the end of m. */
static tb_pbv *push_field(tb_pbt_arena *a, tb_pbm *m, const tb_pbt_field *f)
{
	tb_pbv *v = push(a, m);
	v->f = f;
	v->num = f->num;
	return v;
}

/* The item of singular field f, created when unset; clears the other
 * members of f's oneof. *fresh tells whether it was created. */
static tb_pbv *singular(tb_pbt_arena *a, tb_pbm *m, const tb_pbt_field *f, int *fresh)
{
	size_t fi = (size_t)(f - m->type->fields);
	if (f->oneof) {
		for (size_t k = 0; k < m->type->n_fields; k++) {
			const tb_pbt_field *g = &m->type->fields[k];
			if (k != fi && g->oneof == f->oneof && m->slot[k] >= 0)
				kill_item(m, (size_t)m->slot[k]);
		}
	}
	if (m->slot[fi] >= 0) {
		*fresh = 0;
		return &m->items[m->slot[fi]];
	}
	tb_pbv *v = push_field(a, m, f);
	m->slot[fi] = (int32_t)(m->n - 1);
	*fresh = 1;
	return v;
}

/* --- decoding ------------------------------------------------------------ */

static int wire_of(int type)
{
	switch (type) {
	case TB_PBT_FLOAT:
		return TB_PB_I32;
	case TB_PBT_DOUBLE:
	case TB_PBT_FIXED64:
		return TB_PB_I64;
	case TB_PBT_STRING:
	case TB_PBT_BYTES:
	case TB_PBT_MESSAGE:
		return TB_PB_LEN;
	}
	return TB_PB_VARINT;
}

/* Normalise a decoded number to the value the field holds. */
static uint64_t norm(int type, uint64_t u)
{
	switch (type) {
	case TB_PBT_INT32:
	case TB_PBT_ENUM:
		return (uint64_t)(int64_t)(int32_t)(uint32_t)u;
	case TB_PBT_UINT32:
		return (uint32_t)u;
	case TB_PBT_BOOL:
		return u != 0;
	}
	return u;
}

static int parse_into(tb_pbt_arena *a, tb_pbm *m, tb_slice in, int depth);

/* The item a decoded value of f goes to: a new one for a repeated field,
 * else f's single item (singular()). *fresh tells whether it was created. */
static tb_pbv *decoded_item(tb_pbt_arena *a, tb_pbm *m, const tb_pbt_field *f, int *fresh)
{
	if (f->flags & TB_PBT_REPEATED) {
		*fresh = 1;
		return push_field(a, m, f);
	}
	return singular(a, m, f, fresh);
}

static int add_scalar(tb_pbt_arena *a, tb_pbm *m, const tb_pbt_field *f, uint64_t u)
{
	int fresh;
	decoded_item(a, m, f, &fresh)->v.u = norm(f->type, u);
	return 0;
}

static int add_len(tb_pbt_arena *a, tb_pbm *m, const tb_pbt_field *f, tb_slice s, int depth)
{
	if (f->type == TB_PBT_STRING && !m->type->proto2 && !tb_utf8_valid(s.ptr, s.len))
		return TB_ECORRUPT;
	int fresh;
	if (f->type != TB_PBT_MESSAGE) {
		decoded_item(a, m, f, &fresh)->v.s = s;
		return 0;
	}
	if (depth >= TB_PBT_MAX_DEPTH)
		return TB_ECORRUPT;
	tb_pbv *v = decoded_item(a, m, f, &fresh);
	if (fresh) /* else a repeated singular message merges */
		v->v.m = tb_pbm_new(a, f->msg);
	return parse_into(a, v->v.m, s, depth + 1);
}

static int parse_packed(tb_pbt_arena *a, tb_pbm *m, const tb_pbt_field *f, tb_slice s)
{
	tb_pb r = tb_pb_make(s);
	while (r.p < r.end) {
		uint64_t u;
		switch (wire_of(f->type)) {
		case TB_PB_VARINT:
			if (tb_pb_varint(&u, &r))
				return TB_ECORRUPT;
			break;
		case TB_PB_I32: {
			if (r.end - r.p < 4)
				return TB_ECORRUPT;
			uint32_t x;
			memcpy(&x, r.p, 4);
			r.p += 4;
			u = x;
			break;
		}
		default:
			if (r.end - r.p < 8)
				return TB_ECORRUPT;
			memcpy(&u, r.p, 8);
			r.p += 8;
		}
		add_scalar(a, m, f, u);
	}
	return 0;
}

static int parse_into(tb_pbt_arena *a, tb_pbm *m, tb_slice in, int depth)
{
	tb_pb r = tb_pb_make(in);
	tb_pb_field pf;
	for (;;) {
		const uint8_t *start = r.p;
		int rc = tb_pb_next(&pf, &r);
		if (rc == 0)
			return 0;
		if (rc < 0)
			return TB_ECORRUPT;
		const tb_pbt_field *f = find_field(m->type, pf.num);
		int want = f ? wire_of(f->type) : -1;
		if (f && pf.wire == want) {
			rc = pf.wire == TB_PB_LEN ? add_len(a, m, f, pf.len, depth)
						  : add_scalar(a, m, f, pf.u);
		} else if (f && pf.wire == TB_PB_LEN && (f->flags & TB_PBT_REPEATED) &&
			   want != TB_PB_LEN) {
			rc = parse_packed(a, m, f, pf.len);
		} else {
			tb_pbv *v = push(a, m);
			v->num = pf.num;
			v->v.s = tb_slice_make(start, (size_t)(r.p - start));
			rc = 0;
		}
		if (rc)
			return rc;
	}
}

int tb_pbm_parse(tb_pbm **out, tb_pbt_arena *a, const tb_pbt_msg *type, tb_slice in)
{
	tb_pbm *m = tb_pbm_new(a, type);
	int rc = parse_into(a, m, in, 0);
	if (rc)
		return rc;
	*out = m;
	return 0;
}

/* --- ordering helpers ---------------------------------------------------- */

typedef struct ord {
	uint32_t num;
	uint32_t idx;
} ord;

static int cmp_ord(const void *x, const void *y)
{
	const ord *a = x, *b = y;
	if (a->num != b->num)
		return a->num < b->num ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Live known items of m in print order; returns the count (*out malloc'd). */
static size_t ordered(ord **out, const tb_pbm *m)
{
	ord *o = tb_xmalloc((m->n ? m->n : 1) * sizeof *o);
	size_t k = 0;
	int sorted = 1;
	for (size_t i = 0; i < m->n; i++) {
		if (!m->items[i].f)
			continue;
		o[k].num = m->items[i].num;
		o[k].idx = (uint32_t)i;
		if (k && o[k].num < o[k - 1].num)
			sorted = 0;
		k++;
	}
	if (!sorted)
		qsort(o, k, sizeof *o, cmp_ord);
	*out = o;
	return k;
}

static int key_is_str(const tb_pbt_msg *entry)
{
	int t = entry->fields[0].type;
	return t == TB_PBT_STRING || t == TB_PBT_BYTES;
}

typedef struct entry_ref {
	const tb_pbm *e;
	const tb_pbt_msg *type; /* the entry schema, for qsort's comparator */
	size_t idx;
} entry_ref;

static int entry_key_cmp(const tb_pbm *x, const tb_pbm *y, const tb_pbt_msg *t)
{
	tb_pbm *a = (tb_pbm *)x, *b = (tb_pbm *)y;
	if (key_is_str(t)) {
		tb_slice ka = tb_pbm_get_str(a, 1), kb = tb_pbm_get_str(b, 1);
		size_t n = ka.len < kb.len ? ka.len : kb.len;
		int c = n ? memcmp(ka.ptr, kb.ptr, n) : 0;
		if (c)
			return c;
		return ka.len < kb.len ? -1 : ka.len > kb.len;
	}
	uint64_t ua = tb_pbm_get_u(a, 1), ub = tb_pbm_get_u(b, 1);
	return ua < ub ? -1 : ua > ub;
}

static int cmp_entry(const void *x, const void *y)
{
	const entry_ref *a = x, *b = y;
	int c = entry_key_cmp(a->e, b->e, a->type);
	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* The entries of map field f of m, one per key (the last), sorted by key.
 * Returns the count; *out malloc'd. */
static size_t map_entries(entry_ref **out, const tb_pbm *m, const tb_pbt_field *f)
{
	entry_ref *r = tb_xmalloc((m->n ? m->n : 1) * sizeof *r);
	size_t k = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (m->items[i].f == f) {
			r[k].e = m->items[i].v.m;
			r[k].type = f->msg;
			r[k].idx = i;
			k++;
		}
	}
	qsort(r, k, sizeof *r, cmp_entry);
	size_t w = 0;
	for (size_t i = 0; i < k; i++) {
		if (i + 1 < k && entry_key_cmp(r[i].e, r[i + 1].e, f->msg) == 0)
			continue; /* a later entry with the same key wins */
		r[w++] = r[i];
	}
	*out = r;
	return w;
}

/* --- printing ------------------------------------------------------------ */

/* Python repr() of a double. */
static void put_double(tb_buf *out, double v)
{
	if (isnan(v)) {
		tb_buf_puts(out, "nan");
		return;
	}
	if (isinf(v)) {
		tb_buf_puts(out, v > 0 ? "inf" : "-inf");
		return;
	}
	if (signbit(v)) {
		tb_buf_putc(out, '-');
		v = -v;
	}
	char tmp[40], digits[24];
	int nd = 1, e = 0;
	if (v == 0) {
		digits[0] = '0';
	} else {
		/* fewest significant digits that read back as v */
		for (int prec = 0; prec < 17; prec++) {
			snprintf(tmp, sizeof tmp, "%.*e", prec, v);
			if (strtod(tmp, NULL) == v || prec == 16)
				break;
		}
		nd = 0;
		const char *p = tmp;
		for (; *p && *p != 'e'; p++)
			if (*p >= '0' && *p <= '9')
				digits[nd++] = *p;
		while (nd > 1 && digits[nd - 1] == '0')
			nd--;
		e = atoi(p + 1);
	}
	if (e >= -4 && e < 16) {
		if (e < 0) {
			tb_buf_puts(out, "0.");
			for (int i = -1; i > e; i--)
				tb_buf_putc(out, '0');
			tb_buf_append(out, digits, (size_t)nd);
		} else {
			for (int i = 0; i <= e; i++)
				tb_buf_putc(out, i < nd ? digits[i] : '0');
			tb_buf_putc(out, '.');
			if (nd > e + 1)
				tb_buf_append(out, digits + e + 1, (size_t)(nd - e - 1));
			else
				tb_buf_putc(out, '0');
		}
	} else {
		tb_buf_putc(out, digits[0]);
		if (nd > 1) {
			tb_buf_putc(out, '.');
			tb_buf_append(out, digits + 1, (size_t)(nd - 1));
		}
		tb_buf_printf(out, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
	}
}

/* A float32: the shortest "%g" form with at least 6 digits that reads back
 * as the same float, then printed as Python prints that double. */
static void put_float(tb_buf *out, float f)
{
	if (isnan(f)) {
		tb_buf_puts(out, "nan");
		return;
	}
	char tmp[48];
	double r = f;
	for (int prec = 6; prec <= 9; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, (double)f);
		r = strtod(tmp, NULL);
		if ((float)r == f)
			break;
	}
	put_double(out, r);
}

static void put_escaped(tb_buf *out, tb_slice s)
{
	tb_buf_putc(out, '"');
	for (size_t i = 0; i < s.len; i++) {
		uint8_t c = s.ptr[i];
		switch (c) {
		case '\n':
			tb_buf_puts(out, "\\n");
			break;
		case '\r':
			tb_buf_puts(out, "\\r");
			break;
		case '\t':
			tb_buf_puts(out, "\\t");
			break;
		case '"':
			tb_buf_puts(out, "\\\"");
			break;
		case '\'':
			tb_buf_puts(out, "\\'");
			break;
		case '\\':
			tb_buf_puts(out, "\\\\");
			break;
		default:
			if (c < 0x20 || c >= 0x7F) {
				char o[5];
				snprintf(o, sizeof o, "\\%03o", c);
				tb_buf_append(out, o, 4);
			} else {
				tb_buf_putc(out, (char)c);
			}
		}
	}
	tb_buf_putc(out, '"');
}

static void indent(tb_buf *out, int level)
{
	for (int i = 0; i < level; i++)
		tb_buf_append(out, "  ", 2);
}

static void put_scalar(tb_buf *out, const tb_pbt_field *f, const tb_pbv *v)
{
	switch (f->type) {
	case TB_PBT_INT32:
	case TB_PBT_INT64:
		tb_buf_printf(out, "%lld", (long long)(int64_t)v->v.u);
		break;
	case TB_PBT_UINT32:
	case TB_PBT_UINT64:
	case TB_PBT_FIXED64:
		tb_buf_printf(out, "%llu", (unsigned long long)v->v.u);
		break;
	case TB_PBT_BOOL:
		tb_buf_puts(out, v->v.u ? "true" : "false");
		break;
	case TB_PBT_ENUM: {
		int32_t x = (int32_t)(int64_t)v->v.u;
		for (size_t i = 0; i < f->en->n; i++) {
			if (f->en->vals[i].value == x) {
				tb_buf_puts(out, f->en->vals[i].name);
				return;
			}
		}
		tb_buf_printf(out, "%d", (int)x);
		break;
	}
	case TB_PBT_FLOAT: {
		uint32_t b = (uint32_t)v->v.u;
		float x;
		memcpy(&x, &b, 4);
		put_float(out, x);
		break;
	}
	case TB_PBT_DOUBLE: {
		double x;
		memcpy(&x, &v->v.u, 8);
		put_double(out, x);
		break;
	}
	case TB_PBT_STRING:
	case TB_PBT_BYTES:
		put_escaped(out, v->v.s);
		break;
	}
}

static int is_zero(const tb_pbt_field *f, const tb_pbv *v)
{
	if (f->type == TB_PBT_STRING || f->type == TB_PBT_BYTES)
		return v->v.s.len == 0;
	if (f->type == TB_PBT_MESSAGE)
		return 0;
	return v->v.u == 0;
}

static void print_msg(tb_buf *out, const tb_pbm *m, int level);

static void print_field(tb_buf *out, const tb_pbt_field *f, const tb_pbv *v, int level)
{
	indent(out, level);
	tb_buf_puts(out, f->name);
	if (f->type == TB_PBT_MESSAGE) {
		tb_buf_puts(out, " {\n");
		if (v)
			print_msg(out, v->v.m, level + 1);
		indent(out, level);
		tb_buf_puts(out, "}\n");
		return;
	}
	tb_buf_puts(out, ": ");
	put_scalar(out, f, v);
	tb_buf_putc(out, '\n');
}

static void print_entry(tb_buf *out, const tb_pbt_field *f, tb_pbm *e, int level)
{
	indent(out, level);
	tb_buf_puts(out, f->name);
	tb_buf_puts(out, " {\n");
	const tb_pbt_msg *t = f->msg;
	for (size_t k = 0; k < 2 && k < t->n_fields; k++) {
		const tb_pbt_field *ef = &t->fields[k];
		tb_pbv *v = tb_pbm_get(e, ef->num);
		tb_pbv zero;
		if (!v) {
			memset(&zero, 0, sizeof zero);
			v = &zero;
			if (ef->type == TB_PBT_MESSAGE) {
				print_field(out, ef, NULL, level + 1);
				continue;
			}
		}
		if (!t->proto2 && is_zero(ef, v))
			continue;
		print_field(out, ef, v, level + 1);
	}
	indent(out, level);
	tb_buf_puts(out, "}\n");
}

static void print_msg(tb_buf *out, const tb_pbm *m, int level)
{
	ord *o;
	size_t n = ordered(&o, m);
	for (size_t i = 0; i < n; i++) {
		const tb_pbv *v = &m->items[o[i].idx];
		const tb_pbt_field *f = v->f;
		if (f->flags & TB_PBT_MAP) {
			entry_ref *r;
			size_t ne = map_entries(&r, m, f);
			for (size_t k = 0; k < ne; k++)
				print_entry(out, f, (tb_pbm *)r[k].e, level);
			free(r);
			while (i + 1 < n && o[i + 1].num == f->num)
				i++;
			continue;
		}
		if (!(f->flags & (TB_PBT_REPEATED | TB_PBT_PRESENCE)) && !f->oneof && is_zero(f, v))
			continue;
		print_field(out, f, v, level);
	}
	free(o);
}

void tb_pbm_print(tb_buf *out, const tb_pbm *m)
{
	print_msg(out, m, 0);
}

int tb_textformat(tb_buf *out, const tb_pbt_msg *type, tb_slice in)
{
	tb_pbt_arena *a = tb_pbt_arena_new();
	tb_pbm *m;
	int rc = tb_pbm_parse(&m, a, type, in);
	if (rc == 0)
		tb_pbm_print(out, m);
	tb_pbt_arena_free(a);
	return rc;
}

/* --- size ---------------------------------------------------------------- */

static uint64_t varint_size(uint64_t u)
{
	uint64_t n = 1;
	while (u >= 0x80) {
		u >>= 7;
		n++;
	}
	return n;
}

static uint64_t payload_size(const tb_pbt_field *f, const tb_pbv *v)
{
	switch (f->type) {
	case TB_PBT_FLOAT:
		return 4;
	case TB_PBT_DOUBLE:
	case TB_PBT_FIXED64:
		return 8;
	case TB_PBT_STRING:
	case TB_PBT_BYTES:
		return varint_size(v->v.s.len) + v->v.s.len;
	case TB_PBT_MESSAGE: {
		uint64_t n = v->v.m ? tb_pbm_size(v->v.m) : 0;
		return varint_size(n) + n;
	}
	}
	return varint_size(v->v.u); /* negative int32/enum are sign-extended: 10 bytes */
}

static uint64_t entry_size(const tb_pbt_msg *t, tb_pbm *e)
{
	uint64_t n = 0;
	for (size_t k = 0; k < 2 && k < t->n_fields; k++) {
		const tb_pbt_field *ef = &t->fields[k];
		tb_pbv *v = tb_pbm_get(e, ef->num), zero;
		if (!v) {
			memset(&zero, 0, sizeof zero);
			v = &zero;
		}
		n += varint_size((uint64_t)ef->num << 3) + payload_size(ef, v);
	}
	return n;
}

uint64_t tb_pbm_size(const tb_pbm *m)
{
	uint64_t total = 0;
	ord *o;
	size_t n = ordered(&o, m);
	for (size_t i = 0; i < n; i++) {
		const tb_pbv *v = &m->items[o[i].idx];
		const tb_pbt_field *f = v->f;
		uint64_t tag = varint_size((uint64_t)f->num << 3);
		if (f->flags & TB_PBT_MAP) {
			entry_ref *r;
			size_t ne = map_entries(&r, m, f);
			for (size_t k = 0; k < ne; k++) {
				uint64_t es = entry_size(f->msg, (tb_pbm *)r[k].e);
				total += tag + varint_size(es) + es;
			}
			free(r);
			while (i + 1 < n && o[i + 1].num == f->num)
				i++;
		} else if ((f->flags & TB_PBT_REPEATED) && wire_of(f->type) != TB_PB_LEN) {
			uint64_t body = 0;
			for (; i < n && o[i].num == f->num; i++)
				body += payload_size(f, &m->items[o[i].idx]);
			i--;
			total += tag + varint_size(body) + body;
		} else if ((f->flags & (TB_PBT_REPEATED | TB_PBT_PRESENCE)) || f->oneof ||
			   !is_zero(f, v)) {
			total += tag + payload_size(f, v);
		}
	}
	free(o);
	for (size_t i = 0; i < m->n; i++)
		if (!m->items[i].f && m->items[i].num)
			total += m->items[i].v.s.len;
	return total;
}

/* --- editing ------------------------------------------------------------- */

tb_pbv *tb_pbm_get(tb_pbm *m, uint32_t num)
{
	const tb_pbt_field *f = find_field(m->type, num);
	if (!f || (f->flags & TB_PBT_REPEATED))
		return NULL;
	int32_t s = m->slot[f - m->type->fields];
	return s >= 0 ? &m->items[s] : NULL;
}

tb_slice tb_pbm_get_str(tb_pbm *m, uint32_t num)
{
	tb_pbv *v = tb_pbm_get(m, num);
	if (v && (v->f->type == TB_PBT_STRING || v->f->type == TB_PBT_BYTES))
		return v->v.s;
	return tb_slice_make("", 0);
}

uint64_t tb_pbm_get_u(tb_pbm *m, uint32_t num)
{
	tb_pbv *v = tb_pbm_get(m, num);
	return v && wire_of(v->f->type) != TB_PB_LEN ? v->v.u : 0;
}

tb_pbm *tb_pbm_mutable(tb_pbt_arena *a, tb_pbm *m, uint32_t num)
{
	const tb_pbt_field *f = find_field(m->type, num);
	if (!f || f->type != TB_PBT_MESSAGE || (f->flags & TB_PBT_REPEATED))
		return NULL;
	int fresh;
	tb_pbv *v = singular(a, m, f, &fresh);
	if (fresh)
		v->v.m = tb_pbm_new(a, f->msg);
	return v->v.m;
}

void tb_pbm_set_str(tb_pbt_arena *a, tb_pbm *m, uint32_t num, tb_slice s)
{
	const tb_pbt_field *f = find_field(m->type, num);
	if (!f || (f->type != TB_PBT_STRING && f->type != TB_PBT_BYTES) ||
	    (f->flags & TB_PBT_REPEATED))
		return;
	int fresh;
	singular(a, m, f, &fresh)->v.s = s;
}

void tb_pbm_set_u(tb_pbt_arena *a, tb_pbm *m, uint32_t num, uint64_t u)
{
	const tb_pbt_field *f = find_field(m->type, num);
	if (!f || wire_of(f->type) == TB_PB_LEN || (f->flags & TB_PBT_REPEATED))
		return;
	int fresh;
	singular(a, m, f, &fresh)->v.u = norm(f->type, u);
}

void tb_pbm_add_str(tb_pbt_arena *a, tb_pbm *m, uint32_t num, tb_slice s)
{
	const tb_pbt_field *f = find_field(m->type, num);
	if (!f || (f->type != TB_PBT_STRING && f->type != TB_PBT_BYTES) ||
	    !(f->flags & TB_PBT_REPEATED))
		return;
	tb_pbv *v = push_field(a, m, f);
	v->v.s = s;
}

tb_pbm *tb_pbm_add_msg(tb_pbt_arena *a, tb_pbm *m, uint32_t num)
{
	const tb_pbt_field *f = find_field(m->type, num);
	if (!f || f->type != TB_PBT_MESSAGE || !(f->flags & TB_PBT_REPEATED))
		return NULL;
	tb_pbv *v = push_field(a, m, f);
	v->v.m = tb_pbm_new(a, f->msg);
	return v->v.m;
}

tb_pbm *tb_pbm_copy(tb_pbt_arena *a, const tb_pbm *src)
{
	tb_pbm *m = tb_pbm_new(a, src->type);
	for (size_t i = 0; i < src->n; i++) {
		const tb_pbv *s = &src->items[i];
		if (!s->f && !s->num)
			continue;
		tb_pbv *v = push(a, m);
		*v = *s;
		if (s->f && s->f->type == TB_PBT_MESSAGE)
			v->v.m = tb_pbm_copy(a, s->v.m);
		if (s->f && !(s->f->flags & TB_PBT_REPEATED))
			m->slot[s->f - m->type->fields] = (int32_t)(m->n - 1);
	}
	return m;
}

tb_pbm *tb_pbm_add_copy(tb_pbt_arena *a, tb_pbm *m, uint32_t num, const tb_pbm *src)
{
	const tb_pbt_field *f = find_field(m->type, num);
	if (!f || f->msg != src->type || !(f->flags & TB_PBT_REPEATED))
		return NULL;
	tb_pbv *v = push_field(a, m, f);
	v->v.m = tb_pbm_copy(a, src);
	return v->v.m;
}

static int slice_eq(tb_slice x, tb_slice y)
{
	return x.len == y.len && (x.len == 0 || memcmp(x.ptr, y.ptr, x.len) == 0);
}

tb_pbm *tb_pbm_map_find(tb_pbm *m, uint32_t num, tb_slice key)
{
	for (size_t i = m->n; i-- > 0;) {
		tb_pbv *v = &m->items[i];
		if (v->f && v->num == num && (v->f->flags & TB_PBT_MAP) &&
		    slice_eq(tb_pbm_get_str(v->v.m, 1), key))
			return v->v.m;
	}
	return NULL;
}

void tb_pbm_map_delete(tb_pbm *m, uint32_t num, tb_slice key)
{
	for (size_t i = 0; i < m->n; i++) {
		tb_pbv *v = &m->items[i];
		if (v->f && v->num == num && (v->f->flags & TB_PBT_MAP) &&
		    slice_eq(tb_pbm_get_str(v->v.m, 1), key))
			kill_item(m, i);
	}
}

tb_pbm *tb_pbm_map_value(tb_pbt_arena *a, tb_pbm *m, uint32_t num, tb_slice key)
{
	tb_pbm *e = tb_pbm_map_find(m, num, key);
	if (!e) {
		e = tb_pbm_add_msg(a, m, num);
		if (!e)
			return NULL;
		tb_pbm_set_str(a, e, 1, key);
	}
	return tb_pbm_mutable(a, e, 2);
}

size_t tb_pbm_map_keys(tb_slice **out, tb_pbt_arena *a, tb_pbm *m, uint32_t num)
{
	const tb_pbt_field *f = find_field(m->type, num);
	*out = NULL;
	if (!f || !(f->flags & TB_PBT_MAP) || !key_is_str(f->msg))
		return 0;
	entry_ref *r;
	size_t n = map_entries(&r, m, f);
	tb_slice *keys = arena_alloc(a, (n ? n : 1) * sizeof *keys);
	for (size_t i = 0; i < n; i++)
		keys[i] = tb_pbm_get_str((tb_pbm *)r[i].e, 1);
	free(r);
	*out = keys;
	return n;
}
