/* Logging to stderr, one line per message, with a level; and the
 * monotonic clock that deadlines, back-off and progress lines read.
 *
 * Thread-safe: each message is written with a single write(). Tests can
 * install a hook to capture messages instead of printing them. */
#ifndef TB_LOG_H
#define TB_LOG_H

enum tb_log_level { TB_LOG_DEBUG = 0, TB_LOG_INFO = 1, TB_LOG_WARN = 2, TB_LOG_ERROR = 3 };

typedef void (*tb_log_hook)(int level, const char *msg, void *payload);

/* Messages below `level` are dropped. Default TB_LOG_INFO. */
void tb_log_set_level(int level);
/* Route messages to hook instead of stderr; NULL restores stderr. */
void tb_log_set_hook(tb_log_hook hook, void *payload);

void tb_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define tb_log_debug(...) tb_log(TB_LOG_DEBUG, __VA_ARGS__)
#define tb_log_info(...) tb_log(TB_LOG_INFO, __VA_ARGS__)
#define tb_log_warn(...) tb_log(TB_LOG_WARN, __VA_ARGS__)
#define tb_log_error(...) tb_log(TB_LOG_ERROR, __VA_ARGS__)

/* Seconds on the monotonic clock. */
double tb_now(void);

#endif
