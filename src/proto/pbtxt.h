/* Protocol-buffer text format (the `.pbtxt` syntax of text_format.proto)
 * parsed into a schema-free tree: each message is a list of named fields in
 * file order, each field a quoted string, a bare scalar token or a nested
 * message. Interpreting names and types is left to the caller, which knows
 * its schema (the projector maps ProjectorConfig onto this, FORMAT.md 12.2).
 *
 * Supported: `name: value`, `name { ... }` / `name < ... >` with an optional
 * colon, `name: [a, b]` lists (expanded into repeated fields), single- and
 * double-quoted strings with C escapes (\n \t \\ \" \' \xHH \ooo \uXXXX),
 * adjacent string literals concatenated, a leading '-' on scalars, `#`
 * comments, and ',' or ';' after any field. Not supported: extension and
 * Any names in brackets. Input is untrusted: nesting is capped at
 * TB_PBTXT_MAX_DEPTH and every error names its line. */
#ifndef TB_PBTXT_H
#define TB_PBTXT_H

#include <stddef.h>

#define TB_PBTXT_MAX_DEPTH 64

typedef enum tb_pbtxt_kind {
	TB_PBTXT_STRING,  /* a quoted literal; value holds the decoded bytes */
	TB_PBTXT_SCALAR,  /* a bare token: number, identifier, true, -inf ... */
	TB_PBTXT_MESSAGE, /* fields/n_fields hold the nested message */
} tb_pbtxt_kind;

typedef struct tb_pbtxt_field tb_pbtxt_field;
struct tb_pbtxt_field {
	char *name; /* field name as written */
	tb_pbtxt_kind kind;
	char *value;		/* STRING, SCALAR: NUL-terminated; may hold NULs (STRING) */
	size_t value_len;	/* bytes in value, without the terminating NUL */
	tb_pbtxt_field *fields; /* MESSAGE: its fields in file order (owned) */
	size_t n_fields;
	int line; /* 1-based line where the field's name appears */
};

/* Parse len bytes of text format. On success *out is a MESSAGE field named
 * "" holding the top-level fields; free it with tb_pbtxt_free. Returns 0, or
 * TB_ECORRUPT with a message like "line 3: expected '}'" in err (errlen
 * bytes, always NUL-terminated when errlen > 0) and *out NULL. Thread-safe;
 * aborts on out-of-memory (server allocation). */
int tb_pbtxt_parse(tb_pbtxt_field **out, const char *text, size_t len, char *err, size_t errlen);

/* Free a tree from tb_pbtxt_parse. NULL is a no-op. */
void tb_pbtxt_free(tb_pbtxt_field *root);

#endif
