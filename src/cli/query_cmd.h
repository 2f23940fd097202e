/* `tboard query`: run one run query over a loaded store and print the
 * matching runs as tab-separated text. */
#ifndef TB_QUERY_CMD_H
#define TB_QUERY_CMD_H

#include <stdio.h>

#include "store/store.h"

/* Print the runs of s that query text matches to out: a header row "run"
 * plus the columns the query names, then one row per run (missing values
 * empty). Returns the process exit status: 0, or 2 with the message and a
 * caret under the column at fault written to err. Takes the store lock. */
int tb_query_cmd(FILE *out, FILE *err, tb_store *s, const char *text);

#endif
