/* Protocol Buffers text format for the graph family (spec HTTP_API.md 8.6,
 * FORMAT.md 8 and 9), driven by schema tables built from the descriptors
 * protoc-c generates from the .proto files in src/proto/schema.
 *
 * A message is decoded into a tree (tb_pbm) that keeps protobuf's merge
 * semantics: the last value of a singular scalar wins, repeated occurrences
 * of a singular message merge, setting a oneof member clears the others,
 * packed and unpacked repeated numbers are both accepted, a field with an
 * unexpected wire type is kept as unknown. The tree can be edited (the
 * graph dashboard filters attributes, merges graphs, builds Keras graphs),
 * measured as its canonical serialised size, and printed: one field per
 * line, two spaces per level, fields by number, map entries sorted by key,
 * unknown fields left out, proto3 defaults omitted.
 *
 * All nodes and strings of a tree live in one arena; the tree may also
 * point into the decoded input, which must outlive it. Trees are not
 * thread-safe; each request builds its own. */
#ifndef TB_TEXTFORMAT_H
#define TB_TEXTFORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Nesting deeper than this is refused as corrupt, as upstream's parsers do. */
#define TB_PBT_MAX_DEPTH 100

enum tb_pbt_type {
	TB_PBT_INT32 = 1,
	TB_PBT_INT64,
	TB_PBT_UINT32,
	TB_PBT_UINT64,
	TB_PBT_BOOL,
	TB_PBT_ENUM,
	TB_PBT_FLOAT,
	TB_PBT_DOUBLE,
	TB_PBT_FIXED64,
	TB_PBT_STRING,
	TB_PBT_BYTES,
	TB_PBT_MESSAGE,
};

/* Field flags. */
#define TB_PBT_REPEATED 1u
#define TB_PBT_MAP 2u	   /* repeated entries {key = 1, value = 2} */
#define TB_PBT_PRESENCE 4u /* proto2 optional: printed when set, even if zero */

typedef struct tb_pbt_enumval {
	int32_t value;
	const char *name;
} tb_pbt_enumval;

typedef struct tb_pbt_enum {
	const tb_pbt_enumval *vals;
	size_t n;
} tb_pbt_enum;

typedef struct tb_pbt_msg tb_pbt_msg;

typedef struct tb_pbt_field {
	uint32_t num;
	const char *name;
	uint8_t type;	       /* enum tb_pbt_type */
	uint8_t flags;	       /* TB_PBT_* */
	uint8_t oneof;	       /* 1-based oneof group within the message, 0 for none */
	const tb_pbt_msg *msg; /* TB_PBT_MESSAGE (for maps: the entry) */
	const tb_pbt_enum *en; /* TB_PBT_ENUM */
} tb_pbt_field;

struct tb_pbt_msg {
	const char *name;
	const tb_pbt_field *fields; /* sorted by num */
	size_t n_fields;
	int proto2; /* strings are not UTF-8 checked; see TB_PBT_PRESENCE */
};

/* The schema of the message type protoc-c described in d (from
 * src/proto/schema/; e.g. &tensorflow__graph_def__descriptor), built at
 * first use and kept for the life of the process. Thread-safe. Map fields
 * are those whose type is a nested message named ...Entry with fields key
 * = 1 and value = 2, as protoc writes map<K, V>; fields of a proto2
 * message have presence; a oneof's members share a group number. */
struct ProtobufCMessageDescriptor;
const tb_pbt_msg *tb_pbt_schema(const struct ProtobufCMessageDescriptor *d);

/* --- the tree ------------------------------------------------------------ */

typedef struct tb_pbt_arena tb_pbt_arena;
typedef struct tb_pbm tb_pbm;

/* One occurrence of a field. f == NULL marks an unknown field (num > 0,
 * raw key and payload in s) or a deleted item (num == 0). */
typedef struct tb_pbv {
	const tb_pbt_field *f;
	uint32_t num;
	union {
		uint64_t u; /* numbers, as their raw 64-bit pattern */
		tb_slice s; /* strings and bytes */
		tb_pbm *m;  /* messages */
	} v;
} tb_pbv;

struct tb_pbm {
	const tb_pbt_msg *type;
	tb_pbv *items; /* in order of appearance; items[0..n) */
	size_t n, cap;
	int32_t *slot; /* per schema field: index of its singular item, or -1 */
};

tb_pbt_arena *tb_pbt_arena_new(void);
/* Free the arena and every tree built in it. NULL is a no-op. */
void tb_pbt_arena_free(tb_pbt_arena *a);

/* Copy bytes into the arena (for names built while editing a tree). */
tb_slice tb_pbt_strdup(tb_pbt_arena *a, const void *p, size_t n);

/* An empty message of `type`, owned by the arena. */
tb_pbm *tb_pbm_new(tb_pbt_arena *a, const tb_pbt_msg *type);

/* Decode `in` as a message of `type` into a new tree. `in` must outlive
 * the tree. Returns 0, or TB_ECORRUPT for malformed wire data, nesting
 * beyond TB_PBT_MAX_DEPTH, or invalid UTF-8 in a proto3 string field. */
int tb_pbm_parse(tb_pbm **out, tb_pbt_arena *a, const tb_pbt_msg *type, tb_slice in);

/* Append the text format of m to out. */
void tb_pbm_print(tb_buf *out, const tb_pbm *m);

/* Size in bytes of m's canonical serialisation (packed repeated numbers,
 * one entry per map key, unknown fields as read). */
uint64_t tb_pbm_size(const tb_pbm *m);

/* Decode and print in one step. Returns 0 or TB_ECORRUPT (out unchanged). */
int tb_textformat(tb_buf *out, const tb_pbt_msg *type, tb_slice in);

/* --- editing ------------------------------------------------------------- */

/* The live singular item of field `num`, or NULL when unset. */
tb_pbv *tb_pbm_get(tb_pbm *m, uint32_t num);
/* The value of singular string field num, or an empty slice. */
tb_slice tb_pbm_get_str(tb_pbm *m, uint32_t num);
/* The value of singular numeric field num, or 0. */
uint64_t tb_pbm_get_u(tb_pbm *m, uint32_t num);
/* The message in singular field num, created (clearing other members of
 * its oneof) when unset. */
tb_pbm *tb_pbm_mutable(tb_pbt_arena *a, tb_pbm *m, uint32_t num);
/* Set a singular scalar field (clears other members of its oneof). The
 * slice is not copied. */
void tb_pbm_set_str(tb_pbt_arena *a, tb_pbm *m, uint32_t num, tb_slice s);
void tb_pbm_set_u(tb_pbt_arena *a, tb_pbm *m, uint32_t num, uint64_t u);
/* Append to a repeated field. */
void tb_pbm_add_str(tb_pbt_arena *a, tb_pbm *m, uint32_t num, tb_slice s);
tb_pbm *tb_pbm_add_msg(tb_pbt_arena *a, tb_pbm *m, uint32_t num);
/* Append a deep copy of src to repeated message field num; returns it. */
tb_pbm *tb_pbm_add_copy(tb_pbt_arena *a, tb_pbm *m, uint32_t num, const tb_pbm *src);
/* A deep copy of src in arena a. */
tb_pbm *tb_pbm_copy(tb_pbt_arena *a, const tb_pbm *src);

/* Map fields with string keys: the entry for key (the last one when the
 * input repeated it), or NULL; delete every entry for key; get or create
 * the entry for key (its value message is created too). */
tb_pbm *tb_pbm_map_find(tb_pbm *m, uint32_t num, tb_slice key);
void tb_pbm_map_delete(tb_pbm *m, uint32_t num, tb_slice key);
tb_pbm *tb_pbm_map_value(tb_pbt_arena *a, tb_pbm *m, uint32_t num, tb_slice key);
/* The distinct keys of a string-keyed map field, sorted bytewise. Returns
 * the count; *out is an arena array. */
size_t tb_pbm_map_keys(tb_slice **out, tb_pbt_arena *a, tb_pbm *m, uint32_t num);

#endif
