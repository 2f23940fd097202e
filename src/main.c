/* tboard: flags and wiring only.
 *
 * Takes upstream TensorBoard's command-line flags so that `tboard --logdir
 * runs` stands in for `tensorboard --logdir runs`, builds the store, the
 * loader and the HTTP server, and waits for SIGINT/SIGTERM. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/export_cmd.h"
#include "cli/query_cmd.h"
#include "cli/snapshot_cmd.h"
#include "common/alloc.h"
#include "common/log.h"
#include "dashboards/registry.h"
#include "fs/netlib.h"
#include "fs/s3.h"
#include "http/http.h"
#include "ingest/inspect.h"
#include "ingest/loader.h"
#include "store/kinds.h"
#include "store/store.h"
#include "tboard/version.h"

static const char usage[] =
    "usage: tboard --logdir DIR [options]\n"
    "       tboard --inspect (--logdir DIR | --event_file FILE) [--tag TAG]\n"
    "       tboard query (--logdir DIR | --logdir_spec SPEC) 'QUERY'\n"
    "                (print the runs QUERY selects, tab-separated; see docs/HTTP_API.md)\n"
    "       tboard snapshot --logdir DIR [--runs QUERY] [--tags REGEX] -o report.html\n"
    "                (one HTML file with the app and the selected data; opens without a\n"
    "                server; see docs/HTTP_API.md)\n"
    "       tboard export --logdir DIR --format csv|jsonl|parquet -o OUT [--runs QUERY]\n"
    "                [--tags REGEX] (every point of the runs; tboard export --help)\n"
    "\n"
    "Serves TensorBoard's dashboards and HTTP API for the event files under DIR.\n"
    "\n"
    "  --logdir DIR             directory scanned recursively for runs (every folder\n"
    "                           holding an event file is a run; DIR itself is \".\")\n"
    "  --logdir_spec SPEC       name:path,name:path,... several roots, runs named\n"
    "                           name/<relative path>; instead of --logdir\n"
    "  --host ADDR              address to bind (default 127.0.0.1)\n"
    "  --bind_all               bind all interfaces (0.0.0.0): anyone who can reach\n"
    "                           this machine can read every run under DIR (names,\n"
    "                           metrics, images, text) unless an --auth_token is set\n"
    "  --auth_token TOKEN       require TOKEN (letters, digits, - . _ ~) on every\n"
    "                           request: \"Authorization: Bearer TOKEN\" or the cookie\n"
    "                           set by opening the printed ?token= link once\n"
    "                           (default: none; fine on 127.0.0.1 for one user)\n"
    "  --auth_token_file F      the same, with the token read from the file F\n"
    "  --max_connections N      open connections in total (default 4096)\n"
    "  --max_connections_per_client N\n"
    "                           open connections per client address (default 256)\n"
    "  --header_timeout SECS    time to send a request header (default 10)\n"
    "  --request_timeout SECS   work per request before it is stopped with 503\n"
    "                           (default 30)\n"
    "  --port N                 port (default 6006; 0 = any free port, printed)\n"
    "  --reload_interval SECS   seconds between reloads (default 5; 0 = load once)\n"
    "  --reload_task MODE       auto | thread: serve at once while loading;\n"
    "                           blocking: finish the first load before serving\n"
    "  --samples_per_plugin S   points kept per series, e.g. scalars=500,images=20;\n"
    "                           scalars=all or scalars=0 both keep everything\n"
    "                           (defaults: %s)\n"
    "  --path_prefix PATH       serve under PATH, e.g. /tensorboard\n"
    "  --window_title TITLE     browser tab title\n"
    "  --max_reload_threads N   loader threads (default: number of cores)\n"
    "  --max_open_files N       descriptors the process holds while loading; event\n"
    "                           files take what the rest leave (default: a quarter\n"
    "                           of the file descriptor limit, at most 512)\n"
    "  --answer_cache_mb N      memory for cached answers (default 64; 0 = none)\n"
    "  --s3_endpoint URL        S3-compatible store for s3:// paths, path-style\n"
    "                           (default $AWS_ENDPOINT_URL, else AWS itself)\n"
    "  --gs_endpoint URL        store for gs:// paths (default storage.googleapis.com)\n"
    "  --s3_anonymous           send s3:// and gs:// requests unsigned (public buckets)\n"
    "  --s3_requests_per_minute N\n"
    "                           at most N requests a minute to object storage\n"
    "                           (default: no limit; requests wait their turn)\n"
    "  --inspect                print what the event files hold and exit\n"
    "  --event_file FILE        with --inspect: one file instead of --logdir\n"
    "  --tag TAG                with --inspect: only this tag\n"
    "  --verbosity N            0 debug, 1 info (default), 2 warnings, 3 errors\n"
    "  --version                print the version and exit\n"
    "  --help                   this text\n"
    "\n"
    "Accepted for compatibility and ignored: --load_fast, --purge_orphaned_data,\n"
    "--reload_multifile, --reload_multifile_inactive_secs, --detect_file_replacement,\n"
    "--max_reload_threads applies to tboard's own loader.\n";

/* The usage text with the summary kinds' default sizes, wrapped under the
 * option's description column. */
static void print_usage(void)
{
	tb_buf defaults = TB_BUF_INIT, wrapped = TB_BUF_INIT;
	tb_kind_describe_defaults(&defaults);
	size_t col = sizeof "                           (defaults: " - 1;
	for (const char *p = defaults.ptr; *p;) {
		p += *p == ' ';
		size_t word = strcspn(p, " ");
		if (wrapped.len && col + 1 + word > 78) {
			tb_buf_puts(&wrapped, "\n                           ");
			col = 27;
		} else if (wrapped.len) {
			tb_buf_putc(&wrapped, ' ');
			col++;
		}
		tb_buf_append(&wrapped, p, word);
		col += word;
		p += word;
	}
	printf(usage, wrapped.ptr);
	tb_buf_free(&defaults);
	tb_buf_free(&wrapped);
}

typedef struct opts {
	const char *logdir, *logdir_spec, *host, *port, *reload_interval, *reload_task;
	const char *samples_per_plugin, *path_prefix, *window_title, *max_reload_threads;
	const char *event_file, *tag, *verbosity, *max_open_files;
	const char *auth_token, *auth_token_file, *max_connections, *max_connections_per_client;
	const char *header_timeout, *request_timeout;
	const char *answer_cache_mb;
	const char *s3_endpoint, *gs_endpoint, *s3_requests_per_minute;
	int s3_anonymous;
	int bind_all, inspect;
	int query_cmd;	   /* `tboard query ...` */
	const char *query; /* its QUERY argument */
} opts;

static const struct {
	const char *name;
	size_t offset; /* of a const char * in opts, or (size_t)-1 for ignored */
} value_flags[] = {
#define F(n)                                                                                       \
	{                                                                                          \
#n, offsetof(opts, n)                                                              \
	}
    F(logdir),
    F(logdir_spec),
    F(host),
    F(port),
    F(reload_interval),
    F(reload_task),
    F(samples_per_plugin),
    F(path_prefix),
    F(window_title),
    F(max_reload_threads),
    F(event_file),
    F(tag),
    F(verbosity),
    F(max_open_files),
    F(auth_token),
    F(auth_token_file),
    F(max_connections),
    F(max_connections_per_client),
    F(header_timeout),
    F(request_timeout),
    F(answer_cache_mb),
    F(s3_endpoint),
    F(gs_endpoint),
    F(s3_requests_per_minute),
#undef F
    {"load_fast", (size_t)-1},
    {"purge_orphaned_data", (size_t)-1},
    {"reload_multifile", (size_t)-1},
    {"reload_multifile_inactive_secs", (size_t)-1},
    {"detect_file_replacement", (size_t)-1},
};

static void die(const char *msg)
{
	fprintf(stderr, "tboard: %s\n%s", msg, "Run tboard --help for the list of flags.\n");
	exit(2);
}

static void parse_args(opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (o->query_cmd && !o->query && (a[0] != '-' || a[1] == 0)) {
			o->query = a;
			continue;
		}
		if (a[0] != '-' || a[1] == 0) {
			fprintf(stderr, "tboard: unexpected argument '%s'\n", a);
			exit(2);
		}
		a += a[1] == '-' ? 2 : 1;
		const char *eq = strchr(a, '=');
		size_t n = eq ? (size_t)(eq - a) : strlen(a);
		if ((n == 4 && !strncmp(a, "help", 4)) || (n == 1 && a[0] == 'h')) {
			print_usage();
			exit(0);
		}
		if (n == 7 && !strncmp(a, "version", 7)) {
			puts("tboard " TB_VERSION_STRING);
			exit(0);
		}
		if (n == 8 && !strncmp(a, "bind_all", 8)) {
			o->bind_all = !eq || strcmp(eq + 1, "false") != 0;
			continue;
		}
		if (n == 12 && !strncmp(a, "s3_anonymous", 12)) {
			o->s3_anonymous = !eq || strcmp(eq + 1, "false") != 0;
			continue;
		}
		if (n == 7 && !strncmp(a, "inspect", 7)) {
			o->inspect = !eq || strcmp(eq + 1, "false") != 0;
			continue;
		}
		int found = 0;
		for (size_t k = 0; k < sizeof value_flags / sizeof value_flags[0]; k++) {
			if (strlen(value_flags[k].name) != n || strncmp(value_flags[k].name, a, n))
				continue;
			const char *v = eq ? eq + 1 : NULL;
			if (!v) {
				if (i + 1 >= argc) {
					fprintf(stderr, "tboard: flag --%s needs a value\n",
						value_flags[k].name);
					exit(2);
				}
				v = argv[++i];
			}
			if (value_flags[k].offset != (size_t)-1)
				*(const char **)((char *)o + value_flags[k].offset) = v;
			found = 1;
			break;
		}
		if (!found) {
			fprintf(stderr, "tboard: unknown flag '%s'\n", argv[i]);
			exit(2);
		}
	}
}

/* "scalars=500,images=all" -> store capacities. */
static void apply_samples(tb_store *s, const char *spec)
{
	char *copy = tb_xstrdup(spec), *save = NULL;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		while (*item == ' ')
			item++;
		if (!*item)
			continue;
		char *eq = strchr(item, '=');
		if (!eq || eq == item) {
			fprintf(stderr,
				"tboard: --samples_per_plugin: expected plugin=N, got '%s'\n",
				item);
			exit(2);
		}
		*eq = 0;
		char *name = item, *val = eq + 1;
		char *end = name + strlen(name);
		while (end > name && end[-1] == ' ')
			*--end = 0;
		while (*val == ' ')
			val++;
		uint64_t cap;
		char *stop;
		if (strncmp(val, "all", 3) == 0 && strspn(val + 3, " ") == strlen(val + 3)) {
			cap = 0;
		} else {
			errno = 0;
			long long v = strtoll(val, &stop, 10);
			if (errno || stop == val || strspn(stop, " ") != strlen(stop) || v < 0) {
				fprintf(stderr,
					"tboard: --samples_per_plugin: '%s' for %s is not a count "
					"or 'all'\n",
					val, name);
				exit(2);
			}
			cap = (uint64_t)v;
		}
		tb_store_set_capacity(s, name, cap);
	}
	free(copy);
}

/* Say on stderr which log directories do not exist (yet) or are not
 * directories: a mistyped path would otherwise look like an empty one. */
static void warn_missing(const tb_loader_source *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (strstr(src[i].path, "://"))
			continue;
		if (stat(src[i].path, &st) != 0)
			fprintf(stderr,
				"tboard: warning: log directory '%s' does not exist (%s); "
				"serving nothing from it until it appears\n",
				src[i].path, strerror(errno));
		else if (!S_ISDIR(st.st_mode))
			fprintf(stderr, "tboard: warning: log directory '%s' is not a directory\n",
				src[i].path);
	}
}

static double parse_double(const char *flag, const char *v)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(d) || d < 0) {
		fprintf(stderr, "tboard: --%s must be a non-negative number, got '%s'\n", flag, v);
		exit(2);
	}
	return d;
}

static int parse_count(const char *flag, const char *v)
{
	char *end;
	errno = 0;
	long n = v ? strtol(v, &end, 10) : 0;
	if (!v)
		return 0;
	if (errno || end == v || *end || n < 1 || n > 1000000) {
		fprintf(stderr, "tboard: --%s must be a count from 1 to 1000000, got '%s'\n", flag,
			v);
		exit(2);
	}
	return (int)n;
}

/* The token from --auth_token or the first line of --auth_token_file;
 * NULL when neither is given. Exits on a token that cannot go in a URL
 * as is. */
static char *read_token(const opts *o)
{
	char *t = NULL;
	if (o->auth_token && o->auth_token_file)
		die("--auth_token and --auth_token_file cannot be used together");
	if (o->auth_token) {
		t = tb_xstrdup(o->auth_token);
	} else if (o->auth_token_file) {
		FILE *f = fopen(o->auth_token_file, "r");
		char line[512];
		if (!f || !fgets(line, sizeof line, f)) {
			fprintf(stderr, "tboard: cannot read --auth_token_file %s\n",
				o->auth_token_file);
			exit(2);
		}
		fclose(f);
		line[strcspn(line, "\r\n")] = 0;
		t = tb_xstrdup(line);
	} else {
		return NULL;
	}
	size_t n = strlen(t);
	if (n < 8 ||
	    strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") != n) {
		free(t);
		die("the access token needs at least 8 characters, only letters, digits, - . _ ~");
	}
	return t;
}

/* Every connection and open event file is a descriptor: lift the soft
 * limit to the hard one so the connection cap, not EMFILE, is what refuses
 * clients. The loader keeps its open files to a quarter of the result (at
 * most 512); the rest is for connections. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "export") == 0)
		return tb_export_cmd(argc - 1, argv + 1);
	opts o = {0};
	o.query_cmd = argc > 1 && strcmp(argv[1], "query") == 0;
	int snapshot_cmd = argc > 1 && strcmp(argv[1], "snapshot") == 0;
	tb_snapshot_args snap = {0};
	if (snapshot_cmd) {
		if (tb_snapshot_cmd_args(&snap, &argc, argv, stderr))
			return 2;
		argc--, argv++;
		tb_log_set_level(2);
	}
	parse_args(&o, argc - o.query_cmd, argv + o.query_cmd);
	if (o.query_cmd && !o.verbosity)
		tb_log_set_level(2); /* the answer goes to stdout; keep stderr for trouble */
	if (o.verbosity)
		tb_log_set_level(atoi(o.verbosity));
	if (o.inspect) {
		if (!o.logdir && !o.event_file)
			die("--inspect needs --logdir or --event_file");
		return tb_inspect(stdout, o.logdir, o.event_file, o.tag) ? 1 : 0;
	}
	if (!o.logdir && !o.logdir_spec)
		die("a log directory is required: --logdir DIR (or --logdir_spec name:DIR,...)");
	if (o.logdir && o.logdir_spec)
		die("--logdir and --logdir_spec cannot be used together");

	char *token = read_token(&o);
	raise_fd_limit();

	/* Writes to a closed browser connection must not kill the server. */
	signal(SIGPIPE, SIG_IGN);
	sigset_t stop_signals;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL); /* threads inherit the mask */

	tb_store *store = tb_store_new();
	if (o.samples_per_plugin)
		apply_samples(store, o.samples_per_plugin);

	char *spec_copy = NULL;
	tb_loader_source single = {NULL, o.logdir}, *sources = &single;
	size_t n_sources = 1;
	if (o.logdir_spec) {
		spec_copy = tb_xstrdup(o.logdir_spec);
		n_sources = tb_loader_split_spec(&sources, spec_copy);
	}
	tb_loader_opts lo = {
	    .sources = sources,
	    .n_sources = n_sources,
	    .reload_interval =
		o.reload_interval ? parse_double("reload_interval", o.reload_interval) : 5.0,
	    .threads = o.max_reload_threads ? atoi(o.max_reload_threads) : 0,
	    .max_open_files =
		o.max_open_files ? (size_t)parse_double("max_open_files", o.max_open_files) : 0,
	};
	warn_missing(sources, n_sources);
	tb_fs_s3_opts s3o = {
	    .s3_endpoint = o.s3_endpoint,
	    .gs_endpoint = o.gs_endpoint,
	    .anonymous = o.s3_anonymous,
	    .requests_per_minute = o.s3_requests_per_minute
				       ? parse_double("s3_requests_per_minute", o.s3_requests_per_minute)
				       : 0,
	};
	tb_fs_s3_configure(&s3o);
	tb_loader *loader = tb_loader_new(store, &lo);
	if (o.query_cmd) {
		tb_loader_cycle(loader);
		int rc = tb_query_cmd(stdout, stderr, store, o.query ? o.query : "");
		tb_loader_free(loader);
		tb_fs_s3_shutdown();
		tb_store_free(store);
		if (sources != &single)
			free(sources);
		free(spec_copy);
		return rc;
	}
	int blocking = o.reload_task && strcmp(o.reload_task, "blocking") == 0;
	if (o.reload_task && !blocking && strcmp(o.reload_task, "auto") &&
	    strcmp(o.reload_task, "thread"))
		die("--reload_task must be auto, thread or blocking");
	if (!snapshot_cmd)
		tb_netlib_mhd_preload(); /* while the first load runs */
	if (blocking || snapshot_cmd)
		tb_loader_cycle(loader);
	if (!snapshot_cmd && (!blocking || lo.reload_interval > 0))
		tb_loader_start(loader);

	const char *host = o.bind_all ? "0.0.0.0" : o.host ? o.host : "127.0.0.1";
	int port = 6006;
	if (o.port) {
		char *end;
		long p = strtol(o.port, &end, 10);
		if (*end || end == o.port || p < 0 || p > 65535)
			die("--port must be a number from 0 to 65535");
		port = (int)p;
	}
	tb_dash_flag flags[] = {
	    {"logdir", o.logdir ? o.logdir : ""},
	    {"logdir_spec", o.logdir_spec ? o.logdir_spec : ""},
	    {"host", host},
	    {"port", o.port ? o.port : "6006"},
	    {"path_prefix", o.path_prefix ? o.path_prefix : ""},
	    {"window_title", o.window_title ? o.window_title : ""},
	    {"reload_interval", o.reload_interval ? o.reload_interval : "5"},
	    {"reload_task", o.reload_task ? o.reload_task : "auto"},
	    {"samples_per_plugin", o.samples_per_plugin ? o.samples_per_plugin : ""},
	};
	tb_dash dash = {
	    .store = store,
	    .version = TB_VERSION_STRING,
	    .data_location = o.logdir ? o.logdir : o.logdir_spec,
	    .logdir = o.logdir,
	    .sources = sources,
	    .n_sources = n_sources,
	    .window_title = o.window_title ? o.window_title : "",
	    .flags = flags,
	    .n_flags = sizeof flags / sizeof flags[0],
	};
	size_t cache_mb = 64;
	if (o.answer_cache_mb) {
		char *end;
		long long mb = strtoll(o.answer_cache_mb, &end, 10);
		if (*end || end == o.answer_cache_mb || mb < 0 || mb > 1 << 20)
			die("--answer_cache_mb must be a number of megabytes (0 turns the cache "
			    "off)");
		cache_mb = (size_t)mb;
	}
	tb_sse_hub *events = tb_sse_hub_new();
	dash.events = events;
	char *prefix = tb_xstrdup(o.path_prefix ? o.path_prefix : "");
	for (size_t n = strlen(prefix); n > 0 && prefix[n - 1] == '/'; n--)
		prefix[n - 1] = 0;
	tb_server_opts so = {
	    .host = host,
	    .port = port,
	    .path_prefix = prefix,
	    .window_title = dash.window_title,
	    .threads = 0,
	    .max_connections = parse_count("max_connections", o.max_connections),
	    .max_per_client =
		parse_count("max_connections_per_client", o.max_connections_per_client),
	    .header_timeout =
		o.header_timeout ? parse_double("header_timeout", o.header_timeout) : 0,
	    .request_timeout =
		o.request_timeout ? parse_double("request_timeout", o.request_timeout) : 0,
	    .auth_token = token,
	    .cache_bytes = cache_mb << 20,
	    .events = events,
	};
	tb_router *router = tb_router_new();
	tb_http_register_static(router, &so);
	tb_dashboards_register(router, &dash);
	int rc = 0;
	tb_server *server = NULL;
	tb_notifier *notifier = NULL;
	if (snapshot_cmd) {
		rc = tb_snapshot_cmd(stdout, stderr, &dash, &snap);
		goto out;
	}
	if (tb_server_start(&server, router, &so)) {
		rc = 1;
		goto out;
	}
	notifier = tb_notifier_start(store, events);
	const char *shown = o.bind_all ? "0.0.0.0" : host;
	printf("tboard %s at http://%s:%d%s/%s%s (Press CTRL+C to quit)\n", TB_VERSION_STRING, shown,
	       tb_server_port(server), so.path_prefix, token ? "?token=" : "", token ? token : "");
	fflush(stdout);
	if (!token && strcmp(host, "127.0.0.1") != 0 && strcmp(host, "localhost") != 0 &&
	    strcmp(host, "::1") != 0)
		tb_log_warn("serving %s without --auth_token: anyone who can reach this address "
			    "can read every run",
			    host);

	int sig;
	sigwait(&stop_signals, &sig);
	tb_log_info("shutting down");
out:
	tb_notifier_stop(notifier);
	tb_server_free(server);
	tb_sse_hub_free(events);
	tb_fs_s3_cancel(); /* the loader stops without waiting for the store */
	tb_loader_free(loader);
	tb_fs_s3_shutdown();
	tb_router_free(router);
	tb_store_free(store);
	if (sources != &single)
		free(sources);
	free(spec_copy);
	free(prefix);
	free(token);
	return rc;
}
