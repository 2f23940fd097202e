/* A streaming Apache Parquet writer for the export tables (table.h).
 *
 * Writes the file format of the parquet-format specification: "PAR1",
 * row groups of column chunks, a FileMetaData footer in Thrift's compact
 * protocol, its length and "PAR1". Each column chunk is one data page (v1)
 * holding at most TB_TABLE_GROUP_ROWS values: numbers PLAIN, strings as a
 * dictionary page (PLAIN) and RLE_DICTIONARY indices, null marks of
 * optional columns as RLE definition levels. Pages are stored or gzip
 * compressed. Only the current row group is held in memory. */
#ifndef TB_PARQUET_H
#define TB_PARQUET_H

#include "table.h"

/* One value of a row: set = 0 is null. s is borrowed until the call
 * returns. */
typedef struct tb_table_cell {
	int set;
	int64_t i;
	double d;
	const char *s;
	size_t n;
} tb_table_cell;

typedef struct tb_pq tb_pq;

/* A writer for the n columns cols (borrowed), bytes to out. */
tb_pq *tb_pq_new(const tb_table_col *cols, size_t n, int gzip, tb_table_out_fn out, void *payload);
/* Add a row of n cells. Returns 0 or the output's error. */
int tb_pq_row(tb_pq *p, const tb_table_cell *cells);
/* Write the last row group and the footer. Returns 0 or the output's
 * error. */
int tb_pq_finish(tb_pq *p);
/* NULL is a no-op. */
void tb_pq_free(tb_pq *p);

#endif
