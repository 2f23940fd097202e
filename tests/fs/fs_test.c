/* Tests for src/fs/: the local backend's listing, stat, ranged reads and
 * error kinds, and the confined open a request's path goes through. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../api/testutil.h"
#include "../harness.h"
#include "common/error.h"
#include "fs/fs.h"
#include "fs/s3.h"

static char root[] = "/tmp/tb_fs_testXXXXXX";

static void put(const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static char *at(const char *rel)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	return path;
}

static void test_fs__list_stat_read(void)
{
	tb_fs_dirent *v;
	size_t n;
	CHECK_INT(tb_fs_list(&v, &n, root), 0);
	CHECK_INT(n, 4); /* b.txt, inner, link, z.txt: sorted, typed */
	if (n == 4) {
		CHECK_STR(v[0].name, "b.txt");
		CHECK_INT(v[0].st.type, TB_FS_REG);
		CHECK_INT(v[0].st.size, 5);
		CHECK_STR(v[1].name, "inner");
		CHECK_INT(v[1].st.type, TB_FS_DIR);
		CHECK_STR(v[2].name, "link"); /* links are followed */
		CHECK_INT(v[2].st.type, TB_FS_REG);
		CHECK_STR(v[3].name, "z.txt");
	}
	tb_fs_dirents_free(v, n);
	CHECK_INT(tb_fs_list(&v, &n, at("missing")), TB_ENOTFOUND);
	CHECK_INT(tb_fs_list(&v, &n, at("b.txt")), TB_ENOTFOUND);

	tb_fs_stat st, st2;
	CHECK_INT(tb_fs_stat_path(&st, at("missing")), TB_ENOTFOUND);
	CHECK_INT(tb_fs_stat_path(&st, at("b.txt")), 0);
	CHECK_INT(tb_fs_stat_path(&st2, at("z.txt")), 0);
	CHECK(st.id != st2.id);

	tb_fs_file *f;
	CHECK_INT(tb_fs_open(&f, at("missing")), TB_ENOTFOUND);
	CHECK_INT(tb_fs_open(&f, at("b.txt")), 0);
	char buf[8] = {0};
	CHECK_INT(tb_fs_read(f, buf, 3, 1), 3);
	CHECK(memcmp(buf, "ell", 3) == 0);
	CHECK_INT(tb_fs_read(f, buf, 8, 5), 0); /* end of file */
	CHECK_INT(tb_fs_fstat(&st2, f), 0);
	CHECK(st2.id == st.id && st2.size == 5);
	tb_fs_close(f);
	tb_fs_close(NULL);

	CHECK(tb_fs_for("/a/b") == &tb_fs_local);
	CHECK(tb_fs_for("relative") == &tb_fs_local);
	CHECK(tb_fs_for("s3://bucket/x") == &tb_fs_s3);
	CHECK(tb_fs_for("gs://bucket/x") == &tb_fs_gs);
	CHECK(tb_fs_for("hdfs://host/x") == NULL);
	CHECK_INT(tb_fs_list(&v, &n, "hdfs://host/x"), TB_EIO);
	CHECK(!tb_fs_transient());
}

static void test_fs__open_beneath(void)
{
	int fd = tb_fs_open_beneath(root, "b.txt");
	CHECK(fd >= 0);
	char buf[8] = {0};
	CHECK(fd >= 0 && read(fd, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0);
	if (fd >= 0)
		close(fd);
	fd = tb_fs_open_beneath(root, "inner/c.txt");
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK_INT(tb_fs_open_beneath(root, "missing"), TB_ENOTFOUND);
	CHECK_INT(tb_fs_open_beneath(root, "../etc/passwd"), TB_EINVAL);
	CHECK_INT(tb_fs_open_beneath(root, "inner/../../x"), TB_EINVAL);
	CHECK_INT(tb_fs_open_beneath(root, "/etc/passwd"), TB_EINVAL);
	CHECK_INT(tb_fs_open_beneath(root, "inner/out"), TB_EINVAL); /* link to /etc */
	CHECK_INT(tb_fs_open_beneath(root, "link"), TB_EINVAL);	     /* final link */
	CHECK_INT(tb_fs_open_beneath(root, "inner"), TB_EINVAL);     /* not a file */
	CHECK_INT(tb_fs_open_beneath(root, "fifo"), TB_ENOTFOUND);   /* (made below) */
	char fifo[512];
	snprintf(fifo, sizeof fifo, "%s/inner/fifo", root);
	CHECK(mkfifo(fifo, 0644) == 0);
	CHECK_INT(tb_fs_open_beneath(root, "inner/fifo"), TB_EINVAL); /* and no hang */
	unlink(fifo);
}

int main(void)
{
	if (!mkdtemp(root))
		return 1;
	put("b.txt", "hello");
	put("z.txt", "z");
	mkdir(at("inner"), 0755);
	put("inner/c.txt", "c");
	if (symlink("b.txt", at("link")) != 0 || symlink("/etc", at("inner/out")) != 0)
		return 1;
	TB_RUN(test_fs__list_stat_read);
	TB_RUN(test_fs__open_beneath);
	if (tb_test_rmtree(root) != 0)
		return 1;
	return tb_test_finish();
}
