/* Tests for the trace reader (src/profile/trace.c) and the run store
 * (src/profile/profiles.c): Kineto objects, legacy arrays, and inputs the
 * reader must turn into one clear message instead of a crash or a view:
 * truncated files, invalid JSON, events the reference rejects. */
#include "../api/testutil.h"
#include "../harness.h"
#include "common/error.h"
#include "ingest/scan.h"
#include "profile/profiles.h"
#include "profile/trace.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Parse text fed in pieces of `step` bytes (0: all at once), keeping the
 * operator tree when keep_ops is set. */
static tb_prof_trace *parse_with(const char *text, size_t step, int keep_ops)
{
	tb_prof_parser *p = tb_prof_parser_new();
	if (keep_ops)
		tb_prof_parser_keep_ops(p);
	size_t n = strlen(text);
	if (!step)
		step = n ? n : 1;
	for (size_t off = 0; off < n; off += step)
		if (tb_prof_parser_feed(p, text + off, off + step > n ? n - off : step) != 0)
			break;
	tb_prof_trace *t;
	tb_prof_parser_finish(&t, p);
	return t;
}

/* parse_with text fed in pieces of each of the n sizes in steps, each
 * trace checked by check. */
static void check_parses(const char *text, const size_t *steps, size_t n, int keep_ops,
			 void (*check)(const tb_prof_trace *t))
{
	for (size_t i = 0; i < n; i++) {
		tb_prof_trace *t = parse_with(text, steps[i], keep_ops);
		check(t);
		tb_prof_trace_free(t);
	}
}

static const char KINETO[] =
    "{\"schemaVersion\": 1, \"deviceProperties\": [{\"id\": 0, \"name\": \"GPU\"}],\n"
    " \"traceEvents\": [\n"
    "  {\"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": \"aten::mm\", \"pid\": 1, \"tid\": 1,"
    "   \"ts\": 10, \"dur\": 50, \"args\": {\"External id\": 7, \"Input Dims\": [[2, 3], [3, "
    "4]]}},\n"
    "  {\"ph\": \"X\", \"cat\": \"cuda_runtime\", \"name\": \"cudaLaunchKernel\", \"ts\": 12,"
    "   \"dur\": 5, \"args\": {\"external id\": 7, \"correlation\": 99}},\n"
    "  {\"ph\": \"X\", \"cat\": \"kernel\", \"name\": \"volta_h884gemm\", \"ts\": 20, \"dur\": 30,"
    "   \"args\": {\"external id\": 7, \"device\": 0, \"blocks per SM\": 2.5,"
    "              \"est. achieved occupancy %\": 40}},\n"
    "  {\"ph\": \"X\", \"cat\": \"kernel\", \"name\": \"volta_h884gemm\", \"ts\": 60, \"dur\": 10,"
    "   \"args\": {\"external id\": 7, \"device\": 0, \"blocks per SM\": 0.5,"
    "              \"est. achieved occupancy %\": 80}},\n"
    "  {\"ph\": \"X\", \"cat\": \"kernel\", \"name\": \"elementwise\", \"ts\": 80, \"dur\": 40,"
    "   \"args\": {\"device\": 0}},\n"
    "  {\"ph\": \"X\", \"cat\": \"kernel\", \"name\": \"alpha\", \"ts\": 90, \"dur\": 40,"
    "   \"args\": {\"device\": 0}},\n"
    "  {\"ph\": \"i\", \"name\": \"[memory]\", \"ts\": 15, \"args\": {\"Bytes\": 4}},\n"
    "  {\"ph\": \"X\", \"cat\": \"python_function\", \"name\": \"nn.Module: Linear\", \"ts\": 1,"
    "   \"dur\": 90, \"args\": {\"Python module id\": 0}},\n"
    "  {\"ph\": \"s\", \"cat\": \"fwdbwd\", \"id\": 1, \"ts\": 3, \"name\": \"fwdbwd\"}\n"
    " ]}\n";

static void check_kineto(const tb_prof_trace *t)
{
	CHECK_INT(t->status, TB_PROF_OK);
	CHECK_INT(t->events, 9);
	CHECK(t->has_kernel);
	CHECK(t->has_runtime);
	CHECK(t->has_memory);
	CHECK(t->has_module);
	CHECK(t->has_blocks_per_sm);
	CHECK(t->has_occupancy);
	CHECK(!t->kernel_dur_float);
	CHECK_INT(t->n_kernels, 3);
	if (t->n_kernels != 3)
		return;
	/* by total duration, descending; equal totals in name order */
	CHECK_STR(t->kernels[0].name, "alpha");
	CHECK_STR(t->kernels[1].name, "elementwise");
	CHECK_STR(t->kernels[2].name, "volta_h884gemm");
	const tb_prof_kernel *k = &t->kernels[2];
	CHECK_INT(k->count, 2);
	CHECK(k->sum == 40 && k->min == 10 && k->max == 30);
	CHECK(k->wbps == 2.5 * 30 + 0.5 * 10);
	CHECK(k->wocc == 40 * 30 + 80 * 10);
	CHECK(k->tensor_cores);
	CHECK(!t->kernels[0].tensor_cores);
}

static void test_trace__kineto_object(void)
{
	check_parses(KINETO, (const size_t[]){0}, 1, 0, check_kineto);
}

static void test_trace__fed_byte_by_byte(void)
{
	check_parses(KINETO, (const size_t[]){1, 7}, 2, 0, check_kineto);
}

static void test_trace__legacy_array(void)
{
	tb_prof_trace *t =
	    parse_with("[{\"name\": \"aten::add\", \"ph\": \"X\", \"ts\": 1, \"dur\": 2, "
		       "\"tid\": 1, \"pid\": \"CPU functions\", \"args\": {}}]",
		       0, 0);
	CHECK_INT(t->status, TB_PROF_LEGACY);
	CHECK(!t->has_kernel);
	tb_prof_trace_free(t);
}

static void test_trace__truncated(void)
{
	/* every proper prefix of a trace is unusable, with a message */
	size_t n = strlen(KINETO);
	for (size_t cut = 0; cut < n; cut += 13) {
		char *text = strndup(KINETO, cut);
		tb_prof_trace *t = parse_with(text, 5, 0);
		int ends_in_space = cut > 0 && strspn(KINETO + cut, " \n") == n - cut;
		if (!ends_in_space) {
			CHECK_INT(t->status, TB_PROF_BAD);
			CHECK(t->error && *t->error);
			CHECK(!t->has_kernel && !t->has_memory);
		}
		tb_prof_trace_free(t);
		free(text);
	}
	tb_prof_trace *t = parse_with("{\"traceEvents\": [{\"ph\": \"X\", \"na", 0, 0);
	CHECK_INT(t->status, TB_PROF_BAD);
	CHECK(strstr(t->error, "ends early") != NULL);
	tb_prof_trace_free(t);
}

static void test_trace__invalid_json(void)
{
	const char *bad[] = {
	    "{\"traceEvents\": [1 2]}",
	    "{\"traceEvents\": [}",
	    "{\"traceEvents\": []}}",
	    "{traceEvents: []}",
	    "\xff\xfe",
	    "{\"traceEvents\": [N/A]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tb_prof_trace *t = parse_with(bad[i], 0, 0);
		CHECK_INT(t->status, TB_PROF_BAD);
		CHECK(t->error && strstr(t->error, "JSON"));
		tb_prof_trace_free(t);
	}
}

/* Inputs that are JSON but that the reference cannot use. */
static void test_trace__rejected_like_the_reference(void)
{
	const char *bad[] = {
	    "\"just a string\"",
	    "{\"schemaVersion\": 1}",
	    "{\"traceEvents\": {\"a\": 1}}",
	    "{\"traceEvents\": 5}",
	    "{\"traceEvents\": [5]}",
	    "{\"traceEvents\": [{\"ph\": \"X\", \"name\": \"a\", \"ts\": 1, \"dur\": 1}]}",
	    "{\"traceEvents\": [{\"ph\": \"X\", \"cat\": \"cpu_op\", \"ts\": 1, \"dur\": 1}]}",
	    "{\"traceEvents\": [{\"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": \"ProfilerStep#x\", "
	    "\"ts\": 1, \"dur\": 1}]}",
	    "{\"traceEvents\": [{\"ph\": \"i\", \"ts\": 1}]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tb_prof_trace *t = parse_with(bad[i], 0, 0);
		CHECK_INT(t->status, TB_PROF_BAD);
		CHECK(t->error && *t->error);
		tb_prof_trace_free(t);
	}
	/* empty containers iterate to nothing and are fine */
	tb_prof_trace *t = parse_with("{\"traceEvents\": {}}", 0, 0);
	CHECK_INT(t->status, TB_PROF_OK);
	tb_prof_trace_free(t);
	t = parse_with("{\"traceEvents\": [{\"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": "
		       "\"ProfilerStep#1_0\", \"ts\": 1, \"dur\": 1}]}",
		       0, 0);
	CHECK_INT(t->status, TB_PROF_OK);
	tb_prof_trace_free(t);
}

/* Kernels launched by an NCCL collective are communication, not compute;
 * the collectives line up by their ranges. */
static void test_trace__communication(void)
{
	const char *text =
	    "{\"traceEvents\": ["
	    "{\"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": \"nccl:all_reduce\", \"ts\": 5, "
	    "\"dur\": 9,"
	    " \"args\": {\"External id\": 3}},"
	    "{\"ph\": \"X\", \"cat\": \"kernel\", \"name\": \"ncclKernel\", \"ts\": 6, \"dur\": 2,"
	    " \"args\": {\"External id\": 3}},"
	    "{\"ph\": \"X\", \"cat\": \"kernel\", \"name\": \"ncclKernel\", \"ts\": 9, \"dur\": 2,"
	    " \"args\": {\"External id\": 3}}]}";
	tb_prof_trace *t = parse_with(text, 0, 0);
	CHECK_INT(t->status, TB_PROF_OK);
	CHECK(!t->has_kernel);
	CHECK_INT(t->comm_libs, TB_PROF_NCCL);
	CHECK_INT(t->n_comms, 1);
	if (t->n_comms)
		CHECK_INT(t->comms[0].ranges, 3);
	tb_prof_trace_free(t);
}

static void test_trace__files_of_the_corpus(void)
{
	char path[4096];
	tb_prof_trace *t;
	tb_test_corpus(path, sizeof path,
		       "profile/logdir/mlp_gzip/vm_20271.1796592182308.pt.trace.json.gz");
	tb_prof_trace_read(&t, path);
	CHECK_INT(t->status, TB_PROF_LEGACY);
	tb_prof_trace_free(t);
	tb_test_corpus(path, sizeof path,
		       "profile/logdir/damaged/vm_20271.1796592195288.pt.trace.json");
	tb_prof_trace_read(&t, path);
	CHECK_INT(t->status, TB_PROF_BAD);
	CHECK(t->error && strstr(t->error, "ends early"));
	tb_prof_trace_free(t);
	tb_prof_trace_read(&t, "/nonexistent/x.pt.trace.json");
	CHECK_INT(t->status, TB_PROF_BAD);
	tb_prof_trace_free(t);
}

/* ---- the operator tree ----------------------------------------------------------- */

/* aten::linear [0, 100) holds aten::addmm [10, 60) (a runtime call of 5 us
 * launching a 30 us Tensor Core kernel) and aten::add_ [70, 90) holding
 * aten::add_ [72, 88) (merged into one call); thread 2 (written as a
 * string) has aten::mul with a call stack; one kernel has no runtime. */
static const char TREE[] =
    "{\"traceEvents\": [\n"
    "  {\"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": \"aten::linear\", \"tid\": 1, \"ts\": 0,"
    "   \"dur\": 100, \"args\": {\"External id\": 1, \"Input Dims\": [[2, 3], [], \"x\"]}},\n"
    "  {\"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": \"aten::addmm\", \"tid\": 1, \"ts\": 10,"
    "   \"dur\": 50, \"args\": {\"External id\": 2}},\n"
    "  {\"ph\": \"X\", \"cat\": \"cuda_runtime\", \"name\": \"cudaLaunchKernel\", \"tid\": 1,"
    "   \"ts\": 12, \"dur\": 5, \"args\": {\"external id\": 2, \"correlation\": 9}},\n"
    "  {\"ph\": \"X\", \"cat\": \"kernel\", \"name\": \"volta_h884gemm\", \"tid\": 7, \"ts\": 20,"
    "   \"dur\": 30, \"args\": {\"correlation\": 9, \"device\": 0, \"grid\": [4, 1, 1],"
    "   \"block\": [128, 1, 1], \"registers per thread\": 64, \"shared memory\": 0}},\n"
    "  {\"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": \"aten::add_\", \"tid\": 1, \"ts\": 70,"
    "   \"dur\": 20, \"args\": {\"External id\": 3}},\n"
    "  {\"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": \"aten::add_\", \"tid\": 1, \"ts\": 72,"
    "   \"dur\": 16, \"args\": {\"External id\": 4}},\n"
    "  {\"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": \"aten::mul\", \"tid\": \"2\", \"ts\": 5,"
    "   \"dur\": 8, \"args\": {\"External id\": 5, \"Call stack\": \"a.py(1): f\"}},\n"
    "  {\"ph\": \"X\", \"cat\": \"kernel\", \"name\": \"lonely\", \"ts\": 95, \"dur\": 2,"
    "   \"args\": {\"correlation\": 77, \"device\": 0}}\n"
    " ]}\n";

static const tb_prof_opagg *find_op(const tb_prof_trace *t, int g, const char *name)
{
	for (size_t i = 0; i < t->n_ops[g]; i++)
		if (strcmp(t->ops[g][i].name, name) == 0)
			return &t->ops[g][i];
	return NULL;
}

static void check_tree(const tb_prof_trace *t)
{
	CHECK_INT(t->status, TB_PROF_OK);
	/* post-order per thread: addmm, add_, linear; then thread 2's mul */
	CHECK_INT(t->n_ops[TB_PROF_BY_NAME], 4);
	if (t->n_ops[TB_PROF_BY_NAME] != 4)
		return;
	CHECK_STR(t->ops[TB_PROF_BY_NAME][0].name, "aten::addmm");
	CHECK_STR(t->ops[TB_PROF_BY_NAME][1].name, "aten::add_");
	CHECK_STR(t->ops[TB_PROF_BY_NAME][2].name, "aten::linear");
	CHECK_STR(t->ops[TB_PROF_BY_NAME][3].name, "aten::mul");
	const tb_prof_opagg *mm = find_op(t, TB_PROF_BY_NAME, "aten::addmm");
	CHECK(mm->host == 50 && mm->self_host == 45 && mm->device == 30 && mm->self_device == 30);
	CHECK(mm->tc_self == 30 && mm->tc_eligible);
	const tb_prof_opagg *lin = find_op(t, TB_PROF_BY_NAME, "aten::linear");
	CHECK(lin->host == 100 && lin->self_host == 30 && lin->device == 30 &&
	      lin->self_device == 0);
	CHECK_STR(lin->shape, "[[2, 3], [], 'x']");
	const tb_prof_opagg *add = find_op(t, TB_PROF_BY_NAME, "aten::add_");
	CHECK_INT(add->calls, 1); /* the nested call of the same name merged */
	CHECK_STR(find_op(t, TB_PROF_BY_NAME, "aten::mul")->shape, "[]");
	/* only calls with a stack in the stack groupings */
	CHECK_INT(t->n_ops[TB_PROF_BY_NAME_STACK], 1);
	CHECK_STR(t->ops[TB_PROF_BY_NAME_STACK][0].stack, "a.py(1): f");
	/* kernels by operator; the unclaimed one belongs to no operator
	 * (no thread has steps) */
	CHECK_INT(t->n_kops, 1);
	if (t->n_kops == 1) {
		const tb_prof_kopagg *k = &t->kops[0];
		CHECK_STR(k->op, "aten::addmm");
		CHECK_STR(k->grid, "[4, 1, 1]");
		CHECK_STR(k->block, "[128, 1, 1]");
		CHECK_STR(k->regs, "64");
		CHECK_STR(k->shmem, "0");
		CHECK(k->tc_used && k->op_tc_eligible && k->sum == 30);
	}
}

static void test_optree__operators(void)
{
	check_parses(TREE, (const size_t[]){0, 1}, 2, 1, check_tree);
}

static void test_optree__truncated_and_invalid(void)
{
	/* cut anywhere: one message, no aggregates, no leak */
	size_t n = strlen(TREE);
	char *cut = malloc(n + 1);
	for (size_t len = 0; len + 2 < n; len += 7) {
		memcpy(cut, TREE, len);
		cut[len] = 0;
		tb_prof_trace *t = parse_with(cut, 0, 1);
		CHECK_INT(t->status, TB_PROF_BAD);
		CHECK(t->error != NULL);
		CHECK_INT(t->n_ops[TB_PROF_BY_NAME] + t->n_kops, 0);
		tb_prof_trace_free(t);
	}
	free(cut);
	/* nonsense where the tree reads ids, stacks and shapes */
	tb_prof_trace *t = parse_with(
	    "{\"traceEvents\": [{\"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": \"op\", \"ts\": 1,"
	    " \"dur\": 2, \"tid\": \"x\", \"args\": {\"Input Dims\": {\"a\": [null, true, 1.5]},"
	    " \"Call stack\": 3, \"External id\": \"e\"}},"
	    " {\"ph\": \"X\", \"cat\": \"kernel\", \"name\": \"k\", \"ts\": 1, \"dur\": 1,"
	    " \"args\": {\"correlation\": [], \"grid\": {}, \"registers per thread\": null}}]}",
	    3, 1);
	CHECK_INT(t->status, TB_PROF_OK);
	CHECK_INT(t->n_ops[TB_PROF_BY_NAME], 1);
	if (t->n_ops[TB_PROF_BY_NAME] == 1)
		CHECK_STR(t->ops[TB_PROF_BY_NAME][0].shape, "{'a': [None, True, 1.5]}");
	CHECK_INT(t->n_ops[TB_PROF_BY_NAME_STACK], 0);
	tb_prof_trace_free(t);
}

static void check_split(const char *file, const char *worker, const char *stamp)
{
	char *w = NULL, *s = NULL;
	int rc = tb_prof_split_name(&w, &s, file);
	if (!worker) {
		CHECK_INT(rc, -1);
	} else {
		CHECK_INT(rc, 0);
		CHECK_STR(w, worker);
		if (stamp)
			CHECK_STR(s, stamp);
		else
			CHECK(s == NULL);
	}
	free(w);
	free(s);
}

static void test_profiles__file_names(void)
{
	check_split("worker0.1623143089861.pt.trace.json.gz", "worker0", "1623143089861");
	check_split("rank-34.Jul_15_10_52_41.1074.pt.trace.json.gz", "rank-34.Jul_15_10_52_41",
		    "1074");
	check_split("worker0.pt.trace.json", "worker0", NULL);
	check_split("a.1.2.pt.trace.json", "a.1", "2");
	check_split(".5.pt.trace.json", "", "5");
	check_split("pt.trace.json", NULL, NULL);
	check_split("x.pt.trace.json.gz.bak", NULL, NULL);
	check_split("x.pt.trace.jsonl", NULL, NULL);
}

/* A store holding the assets the loader's scan finds below dir. */
static tb_store *scanned(const char *dir)
{
	tb_store *st = tb_store_new();
	tb_scan_result res;
	tb_scan(&res, dir);
	tb_store_set_assets(st, res.assets, res.n_assets);
	tb_scan_result_release(&res);
	return st;
}

/* The profiler runs of tests/corpora/<corpus>/logdir, their names in
 * *names (count in *n); *st is the store the scan filled. */
static tb_prof_store *corpus_runs(tb_store **st, char ***names, size_t *n, const char *corpus)
{
	char dir[4096], rel[256];
	snprintf(rel, sizeof rel, "%s/logdir", corpus);
	tb_test_corpus(dir, sizeof dir, rel);
	*st = scanned(dir);
	tb_prof_store *s = tb_prof_store_new(*st, dir);
	tb_prof_store_scan(s);
	*n = tb_prof_store_names(names, s);
	return s;
}

static void test_profiles__legacy_runs(void)
{
	tb_store *st;
	char **names;
	size_t n;
	tb_prof_store *s = corpus_runs(&st, &names, &n, "profile");
	CHECK_INT(n, 6);
	if (n == 6) {
		CHECK_STR(names[0], "batch_64");
		CHECK_STR(names[5], "mlp_gzip");
	}
	tb_prof_names_free(names);
	tb_prof_run *r = tb_prof_store_run(s, "convnet");
	CHECK(r != NULL);
	if (r) {
		CHECK_INT(r->n_profiles, 2);
		CHECK_STR(r->profiles[0].span, "1");
		CHECK_STR(r->profiles[1].span, "2");
		CHECK_INT(tb_prof_run_views(r), 0);
		CHECK(tb_prof_run_profile(r, "vm_20271", "1") == NULL);
	}
	r = tb_prof_store_run(s, "damaged");
	CHECK(r != NULL);
	if (r) {
		CHECK_INT(r->n_profiles, 2);
		CHECK_INT(r->profiles[0].trace->status, TB_PROF_BAD);
		CHECK_INT(r->profiles[1].trace->status, TB_PROF_LEGACY);
	}
	CHECK(tb_prof_store_run(s, "no_such_run") == NULL);
	tb_prof_store_free(s);
	tb_store_free(st);
	s = tb_prof_store_new(NULL, NULL);
	tb_prof_store_scan(s);
	CHECK_INT(tb_prof_store_names(&names, s), 0);
	tb_prof_names_free(names);
	tb_prof_store_free(s);
}

/* Write text to root/rel, making its folders. */
static void put_file(const char *root, const char *rel, const char *text)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Runs come from the scan's assets: the top folder is named by the log
 * directory's base name, files that are not PyTorch traces are left out,
 * and a run found later is added on the next scan. */
static void test_profiles__runs_from_assets(void)
{
	char root[] = "/tmp/tb_prof_assetsXXXXXX";
	CHECK(mkdtemp(root) != NULL);
	char path[4200];
	put_file(root, "w.1.pt.trace.json", "[]");
	put_file(root, "plugins/profile/2024/host.trace.json.gz", "");
	put_file(root, "plugins/profile/notes.json", "{}");
	tb_store *st = scanned(root);
	tb_prof_store *s = tb_prof_store_new(st, root);
	tb_prof_store_scan(s);
	char **names;
	CHECK_INT(tb_prof_store_names(&names, s), 1);
	CHECK_STR(names[0], strrchr(root, '/') + 1);
	tb_prof_names_free(names);
	tb_prof_run *r = tb_prof_store_run(s, strrchr(root, '/') + 1);
	/* the empty Chrome trace is listed with its error, after the PyTorch one */
	CHECK(r && r->n_profiles == 2 && strcmp(r->profiles[1].span, "1") == 0);
	CHECK(r && r->profiles[1].trace->status == TB_PROF_LEGACY);
	CHECK(r && r->profiles[0].trace->status == TB_PROF_BAD);
	CHECK(r && strcmp(r->profiles[0].span, "2024") == 0);

	put_file(root, "later/w.pt.trace.json", "[]");
	tb_store_free(st);
	st = scanned(root);
	tb_prof_store_free(s);
	s = tb_prof_store_new(st, NULL);
	CHECK(tb_prof_store_run(s, "later") != NULL);
	CHECK(tb_prof_store_run(s, ".") != NULL);
	tb_prof_store_free(s);

	/* --logdir_spec one:<root>/later,two:<root>: one folder, two runs */
	snprintf(path, sizeof path, "%s/later/w.pt.trace.json", root);
	tb_store_asset spec[] = {
	    {TB_ASSET_PROFILE_TRACE, "one/.", path},
	    {TB_ASSET_PROFILE_TRACE, "two/later", path},
	};
	tb_store_set_assets(st, spec, 2);
	s = tb_prof_store_new(st, NULL);
	tb_prof_store_scan(s);
	CHECK_INT(tb_prof_store_names(&names, s), 2);
	CHECK_STR(names[0], "one");
	CHECK_STR(names[1], "two/later");
	tb_prof_names_free(names);
	r = tb_prof_store_run(s, "one");
	CHECK(r && r->n_profiles == 1);
	r = tb_prof_store_run(s, "two/later");
	CHECK(r && r->n_profiles == 1);
	tb_prof_store_free(s);
	tb_store_free(st);
	CHECK(tb_test_rmtree(root) == 0);
}

/* A Chrome trace as TensorFlow writes it: metadata events, fractional
 * times, an instant, a counter, the closing empty object. */
static const char TF_TRACE[] =
    "{\"displayTimeUnit\":\"ns\",\"metadata\":{\"highres-ticks\":true},\"traceEvents\":["
    "{\"args\":{\"name\":\"/device:GPU:0\"},\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1},"
    "{\"dur\":1.5,\"name\":\"MatMul\",\"ph\":\"X\",\"pid\":1,\"tid\":7,\"ts\":10.25},"
    "{\"name\":\"Step\",\"ph\":\"i\",\"pid\":1,\"s\":\"t\",\"tid\":7,\"ts\":11},"
    "{\"args\":{\"MiB\":3},\"name\":\"mem\",\"ph\":\"C\",\"pid\":1,\"ts\":12},{}]}";

/* Another profiler's trace is checked and counted, not folded: no views
 * of the reference, and the empty closing event is no rejection. */
static void test_trace__chrome(void)
{
	for (size_t step = 0; step < 3; step += 2) {
		tb_prof_parser *p = tb_prof_parser_new();
		tb_prof_parser_chrome(p);
		size_t n = strlen(TF_TRACE), st = step ? step : n;
		for (size_t off = 0; off < n; off += st)
			tb_prof_parser_feed(p, TF_TRACE + off, off + st > n ? n - off : st);
		tb_prof_trace *t;
		tb_prof_parser_finish(&t, p);
		CHECK_INT(t->status, TB_PROF_CHROME);
		CHECK_INT(t->events, 5);
		CHECK_INT(t->n_ops[0], 0);
		tb_prof_trace_free(t);
	}
	/* as a PyTorch trace the same text is rejected (a nameless event) */
	tb_prof_trace *t = parse_with(TF_TRACE, 0, 0);
	CHECK_INT(t->status, TB_PROF_BAD);
	tb_prof_trace_free(t);
	static const char *const bad[] = {"{\"traceEvents\": 3}", "{\"a\": 1}", "\"x\"",
					  "{\"traceEvents\": [{}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tb_prof_parser *p = tb_prof_parser_new();
		tb_prof_parser_chrome(p);
		tb_prof_parser_feed(p, bad[i], strlen(bad[i]));
		tb_prof_parser_finish(&t, p);
		CHECK_INT(t->status, TB_PROF_BAD);
		CHECK(t->error != NULL);
		tb_prof_trace_free(t);
	}
}

/* The chrome-trace corpus: TensorFlow and JAX traces under
 * <run>/plugins/profile/<stamp>/ listed as worker = host, span = stamp,
 * with the Trace view only; a run with a PyTorch trace too lists both; a
 * damaged file is listed with its error beside the good one. */
static void test_profiles__chrome_traces(void)
{
	tb_store *st;
	char **names;
	size_t n;
	tb_prof_store *s = corpus_runs(&st, &names, &n, "chrome-trace");
	CHECK_INT(n, 4);
	if (n == 4) {
		CHECK_STR(names[0], "damaged");
		CHECK_STR(names[1], "jax");
		CHECK_STR(names[2], "mixed");
		CHECK_STR(names[3], "tf");
	}
	tb_prof_names_free(names);
	const char *stamp = "2026_01_02_03_04_05";
	tb_prof_run *r = tb_prof_store_run(s, "tf");
	CHECK(r && r->n_profiles == 3);
	if (r && r->n_profiles == 3) {
		CHECK_STR(r->profiles[0].worker, "host0");
		CHECK_STR(r->profiles[0].span, stamp);
		CHECK_STR(r->profiles[1].span, "2026_01_02_03_10_00");
		CHECK_STR(r->profiles[2].worker, "host1");
		CHECK_STR(r->profiles[2].file,
			  "plugins/profile/2026_01_02_03_04_05/host1.trace.json.gz");
		CHECK_INT(r->profiles[0].trace->status, TB_PROF_CHROME);
		CHECK_INT(tb_prof_run_views(r), 1u << TB_PROF_TRACE);
		CHECK(tb_prof_run_profile(r, "host0", stamp) == NULL);
		CHECK(tb_prof_run_chrome(r, "host0", stamp));
		CHECK(!tb_prof_run_chrome(r, "host0", "1"));
	}
	r = tb_prof_store_run(s, "jax");
	CHECK(r && r->n_profiles == 1 && r->profiles[0].trace->status == TB_PROF_CHROME);
	CHECK(r && strcmp(r->profiles[0].worker, "tpu_vm") == 0);
	r = tb_prof_store_run(s, "mixed");
	CHECK(r && r->n_profiles == 2);
	if (r && r->n_profiles == 2) {
		CHECK_STR(r->profiles[0].worker, "host0");
		CHECK_INT(r->profiles[0].views, 1u << TB_PROF_TRACE);
		CHECK_STR(r->profiles[1].worker, "w0");
		CHECK_STR(r->profiles[1].span, "1");
		CHECK_INT(r->profiles[1].trace->status, TB_PROF_OK);
		CHECK(tb_prof_run_views(r) >> TB_PROF_OVERVIEW & 1);
		CHECK(tb_prof_run_profile(r, "w0", "1") != NULL);
	}
	r = tb_prof_store_run(s, "damaged");
	CHECK(r && r->n_profiles == 2);
	if (r && r->n_profiles == 2) {
		CHECK_STR(r->profiles[0].worker, "cut");
		CHECK_INT(r->profiles[0].trace->status, TB_PROF_BAD);
		CHECK(r->profiles[0].trace->error &&
		      strstr(r->profiles[0].trace->error, "truncated"));
		CHECK_INT(r->profiles[1].trace->status, TB_PROF_CHROME);
		CHECK_INT(tb_prof_run_views(r), 1u << TB_PROF_TRACE);
	}
	tb_prof_store_free(s);
	tb_store_free(st);
}

static int collect(const void *buf, size_t n, void *payload)
{
	tb_buf_append(payload, buf, n);
	return 0;
}

static int stop_at_once(const void *buf, size_t n, void *payload)
{
	(void)buf;
	(void)n;
	(*(int *)payload)++;
	return TB_ECORRUPT;
}

/* Text read through the file-system layer: plain and gzip alike, larger
 * than one read, two gzip members read as one text, a cut gzip stream and
 * a missing file told apart, and the sink's answer stops the reading. */
static void test_trace__read_text(void)
{
	char root[] = "/tmp/tb_prof_readXXXXXX";
	CHECK(mkdtemp(root) != NULL);
	tb_buf want = TB_BUF_INIT;
	for (int i = 0; i < 40000; i++)
		tb_buf_printf(&want, "{\"i\": %d},\n", i);
	char plain[4200], gz[4200], cut[4200];
	snprintf(plain, sizeof plain, "%s/a.json", root);
	snprintf(gz, sizeof gz, "%s/a.json.gz", root);
	snprintf(cut, sizeof cut, "%s/cut.json.gz", root);
	put_file(root, "a.json", want.ptr);
	size_t half = want.len / 2;
	gzFile g = gzopen(gz, "wb");
	gzwrite(g, want.ptr, (unsigned)half);
	gzclose(g);
	g = gzopen(gz, "ab"); /* a second member */
	gzwrite(g, want.ptr + half, (unsigned)(want.len - half));
	gzclose(g);

	const char *paths[] = {plain, gz};
	for (int i = 0; i < 2; i++) {
		tb_buf got = TB_BUF_INIT;
		char *msg = NULL;
		CHECK_INT(tb_prof_read_text(&msg, paths[i], collect, &got), 0);
		CHECK(msg == NULL);
		CHECK_INT(got.len, want.len);
		CHECK(got.len == want.len && memcmp(got.ptr, want.ptr, want.len) == 0);
		tb_buf_free(&got);
	}

	/* the first member, cut in its middle */
	FILE *in = fopen(gz, "rb");
	char head[20000];
	size_t n = fread(head, 1, sizeof head, in);
	fclose(in);
	FILE *f = fopen(cut, "wb");
	fwrite(head, 1, n / 2, f);
	fclose(f);
	tb_buf got = TB_BUF_INIT;
	char *msg = NULL;
	CHECK_INT(tb_prof_read_text(&msg, cut, collect, &got), TB_ECORRUPT);
	CHECK(msg && strstr(msg, "unexpected end of file"));
	free(msg);
	tb_buf_free(&got);
	tb_prof_trace *t;
	tb_prof_trace_read(&t, cut);
	CHECK_INT(t->status, TB_PROF_BAD);
	tb_prof_trace_free(t);

	snprintf(cut, sizeof cut, "%s/missing.json", root);
	CHECK_INT(tb_prof_read_text(&msg, cut, collect, &got), TB_ENOTFOUND);
	CHECK(msg && strstr(msg, "cannot open"));
	free(msg);

	int calls = 0;
	CHECK_INT(tb_prof_read_text(&msg, gz, stop_at_once, &calls), TB_ECORRUPT);
	CHECK_INT(calls, 1);
	CHECK(msg == NULL);

	tb_buf_free(&want);
	CHECK(tb_test_rmtree(root) == 0);
}

int main(void)
{
	TB_RUN(test_trace__kineto_object);
	TB_RUN(test_trace__fed_byte_by_byte);
	TB_RUN(test_trace__legacy_array);
	TB_RUN(test_trace__truncated);
	TB_RUN(test_trace__invalid_json);
	TB_RUN(test_trace__rejected_like_the_reference);
	TB_RUN(test_trace__communication);
	TB_RUN(test_trace__files_of_the_corpus);
	TB_RUN(test_trace__read_text);
	TB_RUN(test_optree__operators);
	TB_RUN(test_optree__truncated_and_invalid);
	TB_RUN(test_profiles__file_names);
	TB_RUN(test_profiles__legacy_runs);
	TB_RUN(test_profiles__runs_from_assets);
	TB_RUN(test_trace__chrome);
	TB_RUN(test_profiles__chrome_traces);
	return tb_test_finish();
}
