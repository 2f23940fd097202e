/* Start the tboard binary as a child process on an ephemeral port and stop
 * it again. Shared by tests that talk to a real server over loopback. */
#ifndef TB_SPAWN_H
#define TB_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

typedef struct tb_spawn tb_spawn;

/* Run `binary --logdir logdir --port 0 ...extra` (extra is NULL-terminated,
 * may be NULL) with stdout piped, and wait up to timeout_s seconds for the
 * line that contains "http://127.0.0.1:PORT/". On success *out owns the
 * child (free it with tb_spawn_stop) and returns 0. Otherwise returns -1
 * and writes the reason to err; *exited_clean is set to 1 if the child
 * exited with status 0 before serving (a binary that is not a server yet). */
int tb_spawn_start(tb_spawn **out, int *exited_clean, const char *binary, const char *logdir,
		   const char *const *extra, int timeout_s, char *err, size_t errlen);

/* The port the child serves on. */
int tb_spawn_port(const tb_spawn *s);

/* The child's process id. */
pid_t tb_spawn_pid(const tb_spawn *s);

/* 1 if the child is still running. */
int tb_spawn_alive(tb_spawn *s);

/* Terminate the child (SIGTERM, then SIGKILL after 5 s), reap it and free
 * s. Returns the child's wait status, or -1 if s is NULL. */
int tb_spawn_stop(tb_spawn *s);

/* The tboard binary CTest names in TB_BINARY, or NULL after saying on
 * stderr that it must be set. */
const char *tb_spawn_binary(void);
/* Flags for a server that loads the log directory once, before its first
 * answer, and never again: every test sees the same data. The macro
 * begins a longer list of flags with them. */
#define TB_SPAWN_LOADED_FLAGS "--reload_interval", "0", "--reload_task", "blocking"
extern const char *const tb_spawn_loaded[];
/* tb_spawn_start with 60 seconds to start. Returns the child, its port in
 * *port (when port is not NULL), or NULL after printing "server did not
 * start: <why>" on stderr. */
tb_spawn *tb_spawn_serve(const char *binary, const char *logdir, const char *const *extra,
			 int *port);
/* A new temporary folder (tb_test_tmpdir of dir, n bytes, and prefix),
 * filled by write(dir) and served as tb_spawn_serve does. Returns the
 * child, or NULL after saying why on stderr, the folder then removed. */
tb_spawn *tb_spawn_serve_new(const char *binary, char *dir, size_t n, const char *prefix,
			     void (*write)(const char *dir), const char *const *extra, int *port);
/* tb_spawn_stop, then 1 when the child exited with status 0: a clean
 * shutdown (sanitizer builds exit non-zero on a leak); 0 otherwise. */
int tb_spawn_stop_clean(tb_spawn *s);
#endif
