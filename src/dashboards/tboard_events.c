/* The push channel (docs/HTTP_API.md, /data/tboard/events): one thread
 * watches the store's generation and, when it moved, tells every open event
 * stream which runs and tags changed, at most five times a second, with a
 * keep-alive comment after 15 s of silence.
 *
 * It compares each series' change counter with a snapshot of the previous
 * pass. Runs are kept in creation order by the store, so their unique ids
 * increase along the run table and the two passes merge in one walk. The
 * walk runs only when the generation moved; with no stream open it only
 * refreshes the snapshot. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/sync.h"
#include "dash.h"

#define TICK_MS 200
#define KEEPALIVE_S 15

typedef struct run_snap {
	uint64_t uid;
	char *name;
	size_t n_series;
	uint64_t *changes; /* per series, in the run's series order */
} run_snap;

typedef struct snapshot {
	run_snap *runs;
	size_t n;
	int valid;
} snapshot;

struct tb_notifier {
	tb_store *store;
	tb_sse_hub *hub;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;      /* guarded by lock */
	snapshot snap; /* notifier thread only */
};

static void snap_release(snapshot *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->runs[i].name);
		free(s->runs[i].changes);
	}
	free(s->runs);
	memset(s, 0, sizeof *s);
}

static void write_names(tb_json *ev, const char *key, const char **names, size_t n)
{
	tb_json_key(ev, key);
	tb_json_arr_begin(ev);
	for (size_t i = 0; i < n; i++)
		tb_json_str(ev, names[i]);
	tb_json_arr_end(ev);
}

/* Take a new snapshot of the store into out; when ev is given, write into
 * it the JSON of what differs from old. Returns whether anything did. */
static int take(snapshot *out, tb_json *ev, const snapshot *old, tb_store *st)
{
	int any = 0;
	if (ev) {
		tb_json_obj_begin(ev);
		tb_json_key(ev, "generation");
		tb_json_int(ev, (int64_t)tb_store_generation(st));
		tb_json_key(ev, "runs");
		tb_json_obj_begin(ev);
	}
	tb_reader rd;
	tb_reader_begin(&rd, st);
	size_t n = tb_reader_run_count(&rd), k = 0, n_added = 0, n_removed = 0, pos = 0;
	out->runs = tb_xcalloc(n ? n : 1, sizeof *out->runs);
	out->n = n;
	out->valid = 1;
	/* names borrowed from out (added) and old (removed) */
	const char **added = tb_xcalloc(n ? n : 1, sizeof *added);
	const char **removed = tb_xcalloc(old && old->n ? old->n : 1, sizeof *removed);
	for (size_t i = 0; i < n; i++) {
		const tb_run *r = tb_reader_next_run(&rd, &pos);
		run_snap *rs = &out->runs[i];
		rs->uid = tb_run_uid(r);
		rs->name = tb_xstrdup(tb_run_name(r));
		rs->n_series = tb_run_series_count(r);
		rs->changes = tb_xmalloc((rs->n_series ? rs->n_series : 1) * sizeof *rs->changes);
		for (size_t s = 0; s < rs->n_series; s++)
			rs->changes[s] = tb_series_changes(tb_run_series_at(r, s));
		/* runs that left lie between the previous match and this one */
		while (old && k < old->n && old->runs[k].uid < rs->uid)
			removed[n_removed++] = old->runs[k++].name;
		const run_snap *prev = NULL;
		if (old && k < old->n && old->runs[k].uid == rs->uid)
			prev = &old->runs[k++];
		else if (old)
			added[n_added++] = rs->name;
		int listed = 0;
		for (size_t s = 0; ev && s < rs->n_series; s++) {
			if (prev && s < prev->n_series && prev->changes[s] == rs->changes[s])
				continue;
			if (!listed) {
				tb_json_key(ev, rs->name);
				tb_json_arr_begin(ev);
				listed = 1;
			}
			const tb_series *ser = tb_run_series_at(r, s);
			tb_json_str_n(ev, tb_series_tag(ser), tb_series_tag_len(ser));
			any = 1;
		}
		if (listed)
			tb_json_arr_end(ev);
	}
	tb_reader_end(&rd);
	while (old && k < old->n)
		removed[n_removed++] = old->runs[k++].name;
	if (n_added || n_removed)
		any = 1;
	if (ev) {
		tb_json_obj_end(ev);
		write_names(ev, "new_runs", added, n_added);
		write_names(ev, "removed_runs", removed, n_removed);
		tb_json_obj_end(ev);
	}
	free(added);
	free(removed);
	return any;
}

static void *run(void *arg)
{
	tb_notifier *nt = arg;
	uint64_t seen = tb_store_generation(nt->store);
	time_t last_sent = time(NULL);
	pthread_mutex_lock(&nt->lock);
	while (!nt->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&nt->cond, &nt->lock, &until);
		if (nt->stop)
			break;
		pthread_mutex_unlock(&nt->lock);
		uint64_t g = tb_store_generation(nt->store);
		if (!nt->snap.valid || g != seen) {
			/* the snapshot is kept even with nobody listening, so the
			 * first stream hears of every change after its hello */
			seen = g;
			int listening = nt->snap.valid && tb_sse_hub_streams(nt->hub) > 0;
			snapshot next;
			memset(&next, 0, sizeof next);
			tb_buf msg = TB_BUF_INIT;
			tb_buf_puts(&msg, "event: changed\ndata: ");
			tb_json ev;
			tb_json_init(&ev, &msg);
			int any = take(&next, listening ? &ev : NULL,
				       nt->snap.valid ? &nt->snap : NULL, nt->store);
			if (listening && any) {
				tb_buf_puts(&msg, "\n\n");
				tb_sse_hub_send(nt->hub, msg.ptr, msg.len);
				last_sent = time(NULL);
			}
			tb_buf_free(&msg);
			snap_release(&nt->snap);
			nt->snap = next;
		}
		if (time(NULL) - last_sent >= KEEPALIVE_S) {
			static const char ka[] = ": keep-alive\n\n";
			tb_sse_hub_send(nt->hub, ka, sizeof ka - 1);
			last_sent = time(NULL);
		}
		pthread_mutex_lock(&nt->lock);
	}
	pthread_mutex_unlock(&nt->lock);
	return NULL;
}

tb_notifier *tb_notifier_start(tb_store *store, tb_sse_hub *hub)
{
	tb_notifier *nt = tb_xcalloc(1, sizeof *nt);
	nt->store = store;
	nt->hub = hub;
	pthread_mutex_init(&nt->lock, NULL);
	pthread_cond_init(&nt->cond, NULL);
	if (pthread_create(&nt->thread, NULL, run, nt) != 0) {
		pthread_cond_destroy(&nt->cond);
		pthread_mutex_destroy(&nt->lock);
		free(nt);
		return NULL;
	}
	return nt;
}

void tb_notifier_stop(tb_notifier *nt)
{
	if (!nt)
		return;
	tb_sync_raise(&nt->lock, &nt->cond, &nt->stop);
	pthread_join(nt->thread, NULL);
	snap_release(&nt->snap);
	pthread_cond_destroy(&nt->cond);
	pthread_mutex_destroy(&nt->lock);
	free(nt);
}

/* GET /data/tboard/events */
static void handle_events(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_dash *d = payload;
	if (!d->events) {
		tb_resp_error(resp, 404, "Not found");
		return;
	}
	tb_buf hello = TB_BUF_INIT;
	tb_buf_puts(&hello, "retry: 1000\nevent: hello\ndata: ");
	tb_json j;
	tb_json_init(&j, &hello);
	tb_json_obj_begin(&j);
	tb_json_key(&j, "generation");
	tb_json_int(&j, (int64_t)tb_store_generation(d->store));
	tb_json_obj_end(&j);
	tb_buf_puts(&hello, "\n\n");
	tb_resp_sse(resp, d->events, hello.ptr, hello.len);
	tb_buf_free(&hello);
}

void tb_tboard_events_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/tboard/events", handle_events, d);
}
