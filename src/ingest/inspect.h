/* `tboard --inspect`: a report of what event files hold, per run and file:
 * records, bytes, step and wall-time ranges, values per plugin and per tag,
 * and every damaged record with its byte offset. Reads the files directly
 * with the same reader the server uses; nothing is served. */
#ifndef TB_INSPECT_H
#define TB_INSPECT_H

#include <stdio.h>

/* Inspect every run under logdir, or the one file event_file when given;
 * only values of `tag` when tag is not NULL. Writes to out. Returns 0, or
 * TB_ENOTFOUND when there was nothing to read. */
int tb_inspect(FILE *out, const char *logdir, const char *event_file, const char *tag);

#endif
