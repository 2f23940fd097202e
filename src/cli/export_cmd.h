/* `tboard export`: write every point of the selected runs and tags to
 * CSV, JSON Lines or Parquet files (export/export.h). */
#ifndef TB_EXPORT_CMD_H
#define TB_EXPORT_CMD_H

/* Run `tboard export` with its arguments (argv[0] is "export"). Returns the
 * process exit status: 0, 1 when the output could not be written, 2 for
 * bad arguments (the message on stderr). */
int tb_export_cmd(int argc, char **argv);

#endif
