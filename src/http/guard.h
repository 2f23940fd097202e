/* Connection guard: closes connections that take too long to send a
 * request header (slowloris), independently of libmicrohttpd's inactivity
 * timeout, which a client resets by sending one byte now and then.
 *
 * Every connection is tracked from accept to close. While a connection waits
 * for a request header (after accept, and after each response on a
 * keep-alive connection) it has a deadline; a watchdog thread shuts down the
 * socket of a connection past its deadline, so libmicrohttpd reads EOF and
 * closes it on its own thread. */
#ifndef TB_GUARD_H
#define TB_GUARD_H

typedef struct tb_guard tb_guard;
typedef struct tb_guard_conn tb_guard_conn;

/* Start the watchdog; header_timeout in seconds (> 0). Returns 0 or TB_EIO. */
int tb_guard_new(tb_guard **out, double header_timeout);
/* A connection was accepted on socket fd; returns its entry (owned by g
 * until tb_guard_closed). Thread-safe. */
tb_guard_conn *tb_guard_opened(tb_guard *g, int fd);
/* The connection is about to close its socket: forget it. NULL is a
 * no-op. Thread-safe. */
void tb_guard_closed(tb_guard *g, tb_guard_conn *c);
/* busy = 1: a complete request header arrived (no deadline while it is
 * served); busy = 0: the response is done, the next header is due within
 * the timeout. NULL c is a no-op. Thread-safe. */
void tb_guard_busy(tb_guard *g, tb_guard_conn *c, int busy);
/* Connections closed by the watchdog so far. */
unsigned long tb_guard_timeouts(tb_guard *g);
/* Stop the watchdog and free every entry. NULL is a no-op. */
void tb_guard_free(tb_guard *g);

#endif
