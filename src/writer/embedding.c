/* tb_writer_add_embedding: the projector's files (spec FORMAT.md 12), laid
 * out as PyTorch's add_embedding lays them out so that configs and paths
 * look the same to every reader:
 *
 *     <logdir>/projector_config.pbtxt    every embedding of this writer
 *     <logdir>/<step:05>/<tag>/tensors.tsv, metadata.tsv, sprite.png
 *
 * Vectors are printed as Python prints a float64 (shortest round-trip
 * digits, repr's notation), so files match PyTorch's byte for byte. Files
 * are written to a temporary name and renamed, so a reader never sees half
 * a config. The config text lives on the writer, under its mutex, which
 * also serialises whole calls. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/numfmt.h"
#include "proto/pb_encode.h"
#include "writer/media.h"
#include "writer/writer_int.h"

/* mkdir -p path. */
static int make_dirs(tb_writer *w, const char *path)
{
	char *p = strdup(path);
	int rc = TB_OK;

	if (!p)
		return tb_writer__fail(w, TB_ENOMEM, "out of memory");
	for (char *c = p + 1;; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		char saved = *c;
		*c = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			rc = tb_writer__fail(w, TB_EIO, "create directory %s: %s", p,
					     strerror(errno));
			break;
		}
		*c = saved;
		if (!saved)
			break;
	}
	free(p);
	return rc;
}

/* Write len bytes to path through a temporary file and a rename. On
 * failure returns TB_EIO or TB_ENOMEM with a message in msg. Does not
 * touch the writer, so it may run under its lock. */
static int write_file_raw(char *msg, size_t msg_size, const char *path, const void *data,
			  size_t len)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 8);
	const char *p = data;
	int fd, rc = TB_OK;

	if (!tmp) {
		snprintf(msg, msg_size, "out of memory");
		return TB_ENOMEM;
	}
	snprintf(tmp, n + 8, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(msg, msg_size, "create %s: %s", tmp, strerror(errno));
		free(tmp);
		return TB_EIO;
	}
	while (len > 0) {
		ssize_t k = write(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			snprintf(msg, msg_size, "write %s: %s", tmp, strerror(k < 0 ? errno : EIO));
			rc = TB_EIO;
			break;
		}
		p += k;
		len -= (size_t)k;
	}
	if (close(fd) != 0 && rc == TB_OK) {
		snprintf(msg, msg_size, "close %s: %s", tmp, strerror(errno));
		rc = TB_EIO;
	}
	if (rc == TB_OK && rename(tmp, path) != 0) {
		snprintf(msg, msg_size, "rename %s: %s", tmp, strerror(errno));
		rc = TB_EIO;
	}
	if (rc != TB_OK)
		unlink(tmp);
	free(tmp);
	return rc;
}

static int write_file(tb_writer *w, const char *path, const void *data, size_t len)
{
	char msg[512];
	int rc = write_file_raw(msg, sizeof msg, path, data, len);
	return rc == TB_OK ? rc : tb_writer__fail(w, rc, "%s", msg);
}

/* Append s as a protobuf text-format string literal body (no quotes). */
static void put_escaped(tb_pb_buf *b, const char *s)
{
	for (const uint8_t *c = (const uint8_t *)s; *c; c++) {
		char esc[8];
		switch (*c) {
		case '"':
			tb_pb_put_raw(b, "\\\"", 2);
			break;
		case '\'':
			tb_pb_put_raw(b, "\\'", 2);
			break;
		case '\\':
			tb_pb_put_raw(b, "\\\\", 2);
			break;
		case '\n':
			tb_pb_put_raw(b, "\\n", 2);
			break;
		case '\r':
			tb_pb_put_raw(b, "\\r", 2);
			break;
		case '\t':
			tb_pb_put_raw(b, "\\t", 2);
			break;
		default:
			if (*c < 0x20 || *c >= 0x7F) {
				snprintf(esc, sizeof esc, "\\%03o", *c);
				tb_pb_put_raw(b, esc, 4);
			} else {
				tb_pb_put_raw(b, c, 1);
			}
		}
	}
}

static void put_str(tb_pb_buf *b, const char *s)
{
	tb_pb_put_raw(b, s, strlen(s));
}

static int has_tab_or_newline(const char *s)
{
	return strpbrk(s, "\t\n\r") != NULL;
}

/* Tile the n images of batch into a ceil(sqrt(n)) square, RGB (RGBA for
 * 4-channel images), unused cells zero, and append its PNG to out. */
static int make_sprite(tb_writer *w, tb_pb_buf *out, const tb_image *batch, size_t n,
		       size_t image_bytes, int c)
{
	size_t side = (size_t)ceil(sqrt((double)n)), iw = (size_t)batch->width,
	       ih = (size_t)batch->height;
	int oc = c == 4 ? 4 : 3;
	uint8_t *img, *sheet;
	int rc;

	while (side * side < n)
		side++;
	while (side > 1 && (side - 1) * (side - 1) >= n)
		side--;
	if (side * iw > 65535 || side * ih > 65535)
		return tb_writer__fail(w, TB_EINVAL, "sprite too large");
	img = malloc(iw * ih * (size_t)c);
	sheet = calloc(side * iw * side * ih, (size_t)oc);
	if (!img || !sheet) {
		free(img);
		free(sheet);
		return tb_writer__fail(w, TB_ENOMEM, "out of memory");
	}
	for (size_t k = 0; k < n; k++) {
		size_t x0 = (k % side) * iw, y0 = (k / side) * ih;
		tb_writer__image_hwc(img, batch, c, k, image_bytes);
		for (size_t y = 0; y < ih; y++)
			for (size_t x = 0; x < iw; x++) {
				uint8_t *dst = sheet + ((y0 + y) * side * iw + x0 + x) * (size_t)oc;
				const uint8_t *src = img + (y * iw + x) * (size_t)c;
				for (int ch = 0; ch < oc; ch++)
					dst[ch] = src[c == 1 ? 0 : ch];
			}
	}
	rc = tb_png_encode(out, sheet, (uint32_t)(side * iw), (uint32_t)(side * ih), oc);
	free(img);
	free(sheet);
	if (rc == TB_ENOMEM)
		return tb_writer__fail(w, rc, "out of memory");
	if (rc != TB_OK)
		return tb_writer__fail(w, rc, "sprite cannot be encoded");
	return TB_OK;
}

int tb_writer_add_embedding(tb_writer *w, const float *vectors, size_t n, size_t dim,
			    const char *const *metadata, size_t n_cols, const char *const *header,
			    const tb_image *images, const char *tag, int64_t step)
{
	tb_pb_buf buf, entry;
	char sub[64], num[40], *dir = NULL, *path = NULL, **cfg;
	const char *logdir;
	size_t image_bytes = 0, dir_len;
	int c = 0, rc = TB_OK;

	if (!w)
		return TB_EINVAL;
	logdir = tb_writer__logdir(w);
	if (!tag)
		tag = "default";
	if (!tag[0] || !tb_writer__utf8(tag, strlen(tag)))
		return tb_writer__fail(w, TB_EINVAL, "tag must be a non-empty UTF-8 string");
	if (n == 0 || dim == 0 || !vectors || n > SIZE_MAX / dim)
		return tb_writer__fail(w, TB_EINVAL, "an embedding needs n x dim vectors");
	if (step < 0)
		return tb_writer__fail(w, TB_EINVAL, "step must be >= 0");
	if (metadata && (n_cols == 0 || n > SIZE_MAX / n_cols))
		return tb_writer__fail(w, TB_EINVAL, "metadata needs n_cols >= 1");
	if (header && !metadata)
		return tb_writer__fail(w, TB_EINVAL, "a header needs metadata");
	for (size_t i = 0; metadata && i < n * n_cols; i++)
		if (!metadata[i] || !tb_writer__utf8(metadata[i], strlen(metadata[i])) ||
		    has_tab_or_newline(metadata[i]))
			return tb_writer__fail(
			    w, TB_EINVAL, "label %zu: NULL, not UTF-8, or has a tab or newline", i);
	for (size_t i = 0; header && i < n_cols; i++)
		if (!header[i] || !tb_writer__utf8(header[i], strlen(header[i])) ||
		    has_tab_or_newline(header[i]))
			return tb_writer__fail(w, TB_EINVAL, "header %zu is bad", i);
	if (images) {
		if ((rc = tb_writer__check_image(w, images, &image_bytes, &c)) != TB_OK)
			return rc;
		if (!images->pixels)
			return tb_writer__fail(w, TB_EINVAL, "image pixels are NULL");
	}

	tb_pb_buf_init(&buf);
	tb_pb_buf_init(&entry);
	/* <step:05>/<escaped tag> */
	snprintf(sub, sizeof sub, "%05lld/", (long long)step);
	tb_pb_put_raw(&entry, sub, strlen(sub));
	for (const char *t = tag; *t; t++) {
		if (*t == '%')
			put_str(&entry, "%25");
		else if (*t == '/')
			put_str(&entry, "%2f");
		else if (*t == '\\')
			put_str(&entry, "%5c");
		else
			tb_pb_put_raw(&entry, t, 1);
	}
	tb_pb_put_raw(&entry, "", 1);
	if (entry.err) {
		rc = tb_writer__fail(w, TB_ENOMEM, "out of memory");
		goto out;
	}
	dir_len = strlen(logdir) + entry.len + 1;
	dir = malloc(dir_len);
	path = malloc(dir_len + 32);
	if (!dir || !path) {
		rc = tb_writer__fail(w, TB_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(dir, dir_len, "%s/%s", logdir, (const char *)entry.data);

	if ((rc = make_dirs(w, dir)) != TB_OK)
		goto out;

	/* tensors.tsv */
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < dim; j++) {
			tb_fmt_double(num, (double)vectors[i * dim + j]);
			if (j)
				tb_pb_put_raw(&buf, "\t", 1);
			put_str(&buf, num);
		}
		tb_pb_put_raw(&buf, "\n", 1);
	}
	snprintf(path, dir_len + 32, "%s/tensors.tsv", dir);
	if (buf.err || (rc = write_file(w, path, buf.data, buf.len)) != TB_OK) {
		if (buf.err)
			rc = tb_writer__fail(w, TB_ENOMEM, "out of memory");
		goto out;
	}
	/* metadata.tsv */
	if (metadata) {
		tb_pb_buf_truncate(&buf, 0);
		for (size_t i = 0; header && i < n_cols; i++) {
			if (i)
				tb_pb_put_raw(&buf, "\t", 1);
			put_str(&buf, header[i]);
		}
		if (header)
			tb_pb_put_raw(&buf, "\n", 1);
		for (size_t i = 0; i < n; i++) {
			for (size_t j = 0; j < n_cols; j++) {
				if (j)
					tb_pb_put_raw(&buf, "\t", 1);
				put_str(&buf, metadata[i * n_cols + j]);
			}
			tb_pb_put_raw(&buf, "\n", 1);
		}
		snprintf(path, dir_len + 32, "%s/metadata.tsv", dir);
		if (buf.err) {
			rc = tb_writer__fail(w, TB_ENOMEM, "out of memory");
			goto out;
		}
		if ((rc = write_file(w, path, buf.data, buf.len)) != TB_OK)
			goto out;
	}
	/* sprite.png */
	if (images) {
		tb_pb_buf_truncate(&buf, 0);
		if ((rc = make_sprite(w, &buf, images, n, image_bytes, c)) != TB_OK)
			goto out;
		snprintf(path, dir_len + 32, "%s/sprite.png", dir);
		if ((rc = write_file(w, path, buf.data, buf.len)) != TB_OK)
			goto out;
	}

	/* The config entry, in field order as protobuf's text format prints it. */
	tb_pb_buf_truncate(&buf, 0);
	put_str(&buf, "embeddings {\n  tensor_name: \"");
	put_escaped(&buf, tag);
	snprintf(num, sizeof num, ":%05lld\"\n", (long long)step);
	put_str(&buf, num);
	if (metadata) {
		put_str(&buf, "  metadata_path: \"");
		put_escaped(&buf, (const char *)entry.data);
		put_str(&buf, "/metadata.tsv\"\n");
	}
	if (images) {
		put_str(&buf, "  sprite {\n    image_path: \"");
		put_escaped(&buf, (const char *)entry.data);
		snprintf(num, sizeof num, "/sprite.png\"\n    single_image_dim: %d\n",
			 images->width);
		put_str(&buf, num);
		snprintf(num, sizeof num, "    single_image_dim: %d\n  }\n", images->height);
		put_str(&buf, num);
	}
	put_str(&buf, "  tensor_path: \"");
	put_escaped(&buf, (const char *)entry.data);
	put_str(&buf, "/tensors.tsv\"\n}\n");
	if (buf.err) {
		rc = tb_writer__fail(w, TB_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(path, dir_len + 32, "%s/projector_config.pbtxt", logdir);
	tb_writer__lock(w);
	cfg = tb_writer__projector_text_locked(w);
	{
		char msg[512];
		size_t old = *cfg ? strlen(*cfg) : 0;
		char *grown = realloc(*cfg, old + buf.len + 1);
		if (!grown) {
			tb_writer__unlock(w);
			rc = tb_writer__fail(w, TB_ENOMEM, "out of memory");
			goto out;
		}
		memcpy(grown + old, buf.data, buf.len);
		grown[old + buf.len] = '\0';
		*cfg = grown;
		/* Written under the lock, so concurrent calls leave the latest text. */
		rc = write_file_raw(msg, sizeof msg, path, grown, old + buf.len);
		tb_writer__unlock(w);
		if (rc != TB_OK)
			tb_writer__fail(w, rc, "%s", msg);
	}
out:
	free(dir);
	free(path);
	tb_pb_buf_free(&buf);
	tb_pb_buf_free(&entry);
	return rc;
}
