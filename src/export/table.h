/* Tables written row by row as CSV, JSON Lines or Parquet, for bulk export.
 *
 * A table has fixed columns (name, type, optional or not). The caller sets
 * each column of a row (a value, or null for an optional column), ends the
 * row, and at the end finishes the table. Bytes go out through a callback
 * as they are ready: CSV and JSON Lines every 256 KiB, Parquet one row group
 * at a time (at most TB_TABLE_GROUP_ROWS rows), so memory stays bounded
 * whatever the number of rows. Parquet string columns are dictionary
 * encoded per row group (run and tag names repeat on every row); numbers
 * are PLAIN; pages may be gzip-compressed (parquet.c).
 *
 * Spelling: CSV has a header row and RFC 4180 quoting, doubles in their
 * shortest round-trip form ("nan", "inf", "-inf" for the others), null as
 * an empty field; JSON Lines has one object per row, doubles the same way
 * with NaN, Infinity, -Infinity as Python's json writes them, null as
 * null. One table belongs to one thread. */
#ifndef TB_TABLE_H
#define TB_TABLE_H

#include <stddef.h>
#include <stdint.h>

enum { TB_TABLE_CSV = 1, TB_TABLE_JSONL, TB_TABLE_PARQUET };
enum { TB_COL_STRING = 1, TB_COL_INT64, TB_COL_DOUBLE };

/* Rows per Parquet row group. */
#define TB_TABLE_GROUP_ROWS 131072

typedef struct tb_table_col {
	const char *name;
	int type;     /* TB_COL_* */
	int optional; /* may be null */
} tb_table_col;

/* Where bytes go: returns 0, or a negative TB_E* code that the table
 * returns from then on (a closed pipe, a full disk). */
typedef int (*tb_table_out_fn)(void *payload, const void *p, size_t n);

typedef struct tb_table tb_table;

/* A table of the n columns cols (the array and its names are borrowed and
 * must outlive the table) in `format`, gzip-compressed pages when gzip is
 * set (Parquet only). Nothing is written before the first row. */
tb_table *tb_table_new(int format, const tb_table_col *cols, size_t n, int gzip,
		       tb_table_out_fn out, void *payload);
/* Set column col of the current row. A column left unset is null. */
void tb_table_str(tb_table *t, size_t col, const char *s, size_t n);
void tb_table_i64(tb_table *t, size_t col, int64_t v);
void tb_table_f64(tb_table *t, size_t col, double v);
/* End the row. Returns 0 or the output's error. */
int tb_table_end_row(tb_table *t);
/* Write what is buffered and the end of the file (Parquet's footer).
 * Returns 0 or the output's error. */
int tb_table_finish(tb_table *t);
/* Rows ended so far. */
uint64_t tb_table_rows(const tb_table *t);
/* NULL is a no-op. */
void tb_table_free(tb_table *t);

/* The format named "csv", "jsonl" or "parquet", or 0. */
int tb_table_format(const char *name);
/* The file extension of a format, without the dot. */
const char *tb_table_ext(int format);

#endif
