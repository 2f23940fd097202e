/* Decoding SessionStartInfo hparams maps (hparams_pb.c): a later entry
 * with a key seen before replaces the earlier value in the earlier place,
 * and a large map keeps every key in order. */
#include <stdio.h>
#include <stdlib.h>

#include "../harness.h"
#include "dashboards/hparams.h"
#include "proto/pb_encode.h"

/* One map entry: a string value when str is set, else the number num. */
static void entry_of(tb_pb_buf *b, const char *key, const char *str, double num)
{
	size_t e = tb_pb_begin(b, 1);
	tb_pb_put_string(b, 1, key);
	size_t v = tb_pb_begin(b, 2);
	if (str)
		tb_pb_put_string(b, 3, str);
	else
		tb_pb_put_double(b, 2, num);
	tb_pb_end(b, v);
	tb_pb_end(b, e);
}

static void entry(tb_pb_buf *b, const char *key, double num)
{
	entry_of(b, key, NULL, num);
}

static void entry_str(tb_pb_buf *b, const char *key, const char *str)
{
	entry_of(b, key, str, 0);
}

static int decode(hp_start_info *out, const tb_pb_buf *b)
{
	memset(out, 0, sizeof *out);
	return hp_decode(out, HP_DATA_START, b->data, b->len);
}

static void test_hparams_pb__duplicate_keys(void)
{
	tb_pb_buf b;
	tb_pb_buf_init(&b);
	size_t s = tb_pb_begin(&b, 3);
	entry(&b, "a", 1);
	entry(&b, "b", 2);
	entry(&b, "a", 3);
	entry(&b, "c", 4);
	entry(&b, "b", 5);
	entry(&b, "a", 6);
	tb_pb_end(&b, s);
	hp_start_info si;
	CHECK_INT(decode(&si, &b), 0);
	CHECK_INT(si.hparams.n, 3);
	if (si.hparams.n == 3) {
		CHECK_STR(si.hparams.keys[0], "a");
		CHECK_STR(si.hparams.keys[1], "b");
		CHECK_STR(si.hparams.keys[2], "c");
		CHECK(si.hparams.items[0].num == 6);
		CHECK(si.hparams.items[1].num == 5);
		CHECK(si.hparams.items[2].num == 4);
	}
	hp_start_info_free(&si);
	tb_pb_buf_free(&b);
}

/* A key given three times: the middle value is dropped too, and freed (the
 * ASan build's leak check sees it otherwise). */
static void test_hparams_pb__thrice_repeated_string_key(void)
{
	tb_pb_buf b;
	tb_pb_buf_init(&b);
	size_t s = tb_pb_begin(&b, 3);
	entry_str(&b, "optimizer", "sgd");
	entry_str(&b, "optimizer", "adam");
	entry_str(&b, "lr", "high");
	entry_str(&b, "optimizer", "lamb");
	tb_pb_end(&b, s);
	hp_start_info si;
	CHECK_INT(decode(&si, &b), 0);
	CHECK_INT(si.hparams.n, 2);
	if (si.hparams.n == 2) {
		CHECK_STR(si.hparams.keys[0], "optimizer");
		CHECK_STR(si.hparams.items[0].str, "lamb");
		CHECK_STR(si.hparams.keys[1], "lr");
		CHECK_STR(si.hparams.items[1].str, "high");
	}
	hp_start_info_free(&si);
	tb_pb_buf_free(&b);
}

static void test_hparams_pb__many_keys_in_order(void)
{
	tb_pb_buf b;
	tb_pb_buf_init(&b);
	size_t s = tb_pb_begin(&b, 3);
	char key[16];
	for (int i = 0; i < 300; i++) {
		snprintf(key, sizeof key, "h%d", 299 - i);
		entry(&b, key, i);
	}
	tb_pb_end(&b, s);
	hp_start_info si;
	CHECK_INT(decode(&si, &b), 0);
	CHECK_INT(si.hparams.n, 300);
	for (size_t i = 0; i < si.hparams.n; i++) {
		snprintf(key, sizeof key, "h%zu", 299 - i);
		CHECK_STR(si.hparams.keys[i], key);
		CHECK(si.hparams.items[i].num == (double)i);
	}
	hp_start_info_free(&si);
	tb_pb_buf_free(&b);
}

int main(void)
{
	TB_RUN(test_hparams_pb__duplicate_keys);
	TB_RUN(test_hparams_pb__thrice_repeated_string_key);
	TB_RUN(test_hparams_pb__many_keys_in_order);
	return tb_test_finish();
}
