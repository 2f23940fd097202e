/* Tests of the protobuf text-format parser: the syntax projector configs
 * use (FORMAT.md 12.2) and the errors on damaged input. */
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "common/error.h"
#include "proto/pbtxt.h"

static tb_pbtxt_field *parse_ok(const char *text)
{
	tb_pbtxt_field *root = NULL;
	char err[200];
	int rc = tb_pbtxt_parse(&root, text, strlen(text), err, sizeof err);
	if (rc != 0)
		fprintf(stderr, "unexpected parse error: %s\n", err);
	CHECK_INT(rc, 0);
	return root;
}

/* Parse text that must fail; returns the message (static buffer). */
static const char *parse_err(const char *text, size_t len)
{
	static char err[200];
	tb_pbtxt_field *root = (tb_pbtxt_field *)1;
	CHECK_INT(tb_pbtxt_parse(&root, text, len, err, sizeof err), TB_ECORRUPT);
	CHECK(root == NULL);
	return err;
}

#define PERR(lit) parse_err(lit, sizeof(lit) - 1)

static void test_pbtxt__pytorch_config(void)
{
	const char *text = "embeddings {\n"
			   "  tensor_name: \"default:00000\"\n"
			   "  tensor_path: \"00000/default/tensors.tsv\"\n"
			   "  sprite {\n"
			   "    image_path: \"00000/default/sprite.png\"\n"
			   "    single_image_dim: 32\n"
			   "    single_image_dim: 32\n"
			   "  }\n"
			   "}\n";
	tb_pbtxt_field *root = parse_ok(text);
	if (!root)
		return;
	CHECK_INT(root->kind, TB_PBTXT_MESSAGE);
	CHECK_INT(root->n_fields, 1);
	const tb_pbtxt_field *e = &root->fields[0];
	CHECK_STR(e->name, "embeddings");
	CHECK_INT(e->kind, TB_PBTXT_MESSAGE);
	CHECK_INT(e->line, 1);
	CHECK_INT(e->n_fields, 3);
	CHECK_STR(e->fields[0].name, "tensor_name");
	CHECK_INT(e->fields[0].kind, TB_PBTXT_STRING);
	CHECK_STR(e->fields[0].value, "default:00000");
	CHECK_INT(e->fields[0].line, 2);
	const tb_pbtxt_field *s = &e->fields[2];
	CHECK_STR(s->name, "sprite");
	CHECK_INT(s->n_fields, 3);
	CHECK_STR(s->fields[1].name, "single_image_dim");
	CHECK_INT(s->fields[1].kind, TB_PBTXT_SCALAR);
	CHECK_STR(s->fields[2].value, "32");
	CHECK_INT(s->fields[2].line, 7);
	tb_pbtxt_free(root);
}

static void test_pbtxt__empty_and_comments_only(void)
{
	tb_pbtxt_field *root = parse_ok("");
	CHECK(root && root->n_fields == 0);
	tb_pbtxt_free(root);
	root = parse_ok("  # nothing here\n\n# at all");
	CHECK(root && root->n_fields == 0);
	tb_pbtxt_free(root);
}

static void test_pbtxt__syntax_variants(void)
{
	/* colon before '{', angle brackets, separators, comments, one line */
	const char *text = "embeddings: < tensor_name: 'a' ; tensor_shape: 3, tensor_shape: 4 > "
			   "# trailing comment\n"
			   "embeddings { sprite: { image_path: \"s.png\" } },"
			   "model_checkpoint_path: \"ck\";";
	tb_pbtxt_field *root = parse_ok(text);
	if (!root)
		return;
	CHECK_INT(root->n_fields, 3);
	CHECK_INT(root->fields[0].n_fields, 3);
	CHECK_STR(root->fields[0].fields[0].value, "a");
	CHECK_STR(root->fields[0].fields[2].value, "4");
	CHECK_STR(root->fields[1].fields[0].fields[0].value, "s.png");
	CHECK_STR(root->fields[2].name, "model_checkpoint_path");
	CHECK_STR(root->fields[2].value, "ck");
	tb_pbtxt_free(root);
}

static void test_pbtxt__lists_expand_to_repeated_fields(void)
{
	tb_pbtxt_field *root = parse_ok("dims: [1, 2 ,3] empty: [] msgs [ {a: 1}, <b: 2> ]");
	if (!root)
		return;
	CHECK_INT(root->n_fields, 5);
	for (int i = 0; i < 3; i++)
		CHECK_STR(root->fields[i].name, "dims");
	CHECK_STR(root->fields[0].value, "1");
	CHECK_STR(root->fields[2].value, "3");
	CHECK_STR(root->fields[3].name, "msgs");
	CHECK_INT(root->fields[3].kind, TB_PBTXT_MESSAGE);
	CHECK_STR(root->fields[4].fields[0].name, "b");
	tb_pbtxt_free(root);
}

static void test_pbtxt__string_escapes_and_concatenation(void)
{
	tb_pbtxt_field *root =
	    parse_ok("s: \"a\\n\\t\\\\\\\"\\'\\x41\\101\\0z\" 'b\"c' \"\\u00e9\"");
	if (!root)
		return;
	const tb_pbtxt_field *s = &root->fields[0];
	static const char want[] = "a\n\t\\\"'AA\0zb\"c\xc3\xa9";
	CHECK_INT(s->kind, TB_PBTXT_STRING);
	CHECK_INT(s->value_len, sizeof want - 1);
	CHECK(memcmp(s->value, want, sizeof want - 1) == 0);
	CHECK_INT(s->value[s->value_len], 0);
	tb_pbtxt_free(root);
}

static void test_pbtxt__scalars(void)
{
	tb_pbtxt_field *root =
	    parse_ok("a: -1.5e-3 b: - 7 c: 0x1F d: true e: -inf f: .5 g: ENUM_X");
	if (!root)
		return;
	const char *want[] = {"-1.5e-3", "-7", "0x1F", "true", "-inf", ".5", "ENUM_X"};
	CHECK_INT(root->n_fields, 7);
	for (size_t i = 0; i < 7 && i < root->n_fields; i++) {
		CHECK_INT(root->fields[i].kind, TB_PBTXT_SCALAR);
		CHECK_STR(root->fields[i].value, want[i]);
	}
	tb_pbtxt_free(root);
}

static void test_pbtxt__errors_name_the_line(void)
{
	/* the text, and up to two things its message must name */
	static const struct {
		const char *text, *says[2];
	} bad[] = {
	    {"a: 1\nembeddings {\n  x: 2\n", {"line 4", "'}'"}},
	    {"a: 1\nb 2", {"line 2", "expected ':'"}},
	    {"s: \"open\nx: 1", {"not terminated"}},
	    {"s: \"\\q\"", {"unknown escape"}},
	    {"}", {"expected a field name"}},
	    {"[ext.name]: 1", {"not supported"}},
	    {"a: [1, 2", {"']'"}},
	    {"a: ", {"expected a value"}},
	    {"a: \"\\u12\"", {"hex digits"}},
	    {"a: \"\\ud800\"", {"Unicode"}},
	    {"a: \"x\" b: \x01", {"0x01"}},
	    {"a: \"\\400\"", {NULL}},
	    {"a: [1 2]", {NULL}},
	    {"m [1]", {NULL}},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *e = parse_err(bad[i].text, strlen(bad[i].text));
		for (size_t k = 0; k < 2 && bad[i].says[k]; k++)
			if (!strstr(e, bad[i].says[k])) {
				fprintf(stderr, "  %s: no \"%s\" in \"%s\"\n", bad[i].text,
					bad[i].says[k], e);
				CHECK(0);
			}
	}
}

static void test_pbtxt__nul_in_input_is_an_error_not_an_end(void)
{
	PERR("a: 1\0b: 2");
}

static void test_pbtxt__depth_is_capped(void)
{
	char text[4 * (TB_PBTXT_MAX_DEPTH + 10) + 1];
	size_t n = 0;
	for (int i = 0; i < TB_PBTXT_MAX_DEPTH + 5; i++) {
		text[n++] = 'm';
		text[n++] = '{';
	}
	const char *e = parse_err(text, n);
	CHECK(strstr(e, "nested deeper") != NULL);

	/* exactly at the limit it parses */
	n = 0;
	for (int i = 0; i < TB_PBTXT_MAX_DEPTH; i++)
		text[n++] = 'm', text[n++] = '{';
	for (int i = 0; i < TB_PBTXT_MAX_DEPTH; i++)
		text[n++] = '}';
	text[n] = '\0';
	tb_pbtxt_field *root = parse_ok(text);
	tb_pbtxt_free(root);
}

static void test_pbtxt__small_error_buffer(void)
{
	char err[4];
	tb_pbtxt_field *root;
	CHECK_INT(tb_pbtxt_parse(&root, "}", 1, err, sizeof err), TB_ECORRUPT);
	CHECK_INT(strlen(err), 3);
	CHECK_INT(tb_pbtxt_parse(&root, "}", 1, NULL, 0), TB_ECORRUPT);
	tb_pbtxt_free(NULL);
}

int main(void)
{
	TB_RUN(test_pbtxt__pytorch_config);
	TB_RUN(test_pbtxt__empty_and_comments_only);
	TB_RUN(test_pbtxt__syntax_variants);
	TB_RUN(test_pbtxt__lists_expand_to_repeated_fields);
	TB_RUN(test_pbtxt__string_escapes_and_concatenation);
	TB_RUN(test_pbtxt__scalars);
	TB_RUN(test_pbtxt__errors_name_the_line);
	TB_RUN(test_pbtxt__nul_in_input_is_an_error_not_an_end);
	TB_RUN(test_pbtxt__depth_is_capped);
	TB_RUN(test_pbtxt__small_error_buffer);
	return tb_test_finish();
}
