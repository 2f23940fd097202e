/* Markdown to safe HTML (spec HTTP_API.md 12.1), laid out as upstream's
 * Python-Markdown writes it, then passed through the sanitiser.
 *
 * cmark-gfm (CommonMark plus the GFM table extension; no strikethrough,
 * autolink or tag filter, which upstream does not have) parses; the HTML is
 * written here from the syntax tree rather than by cmark's renderer so the
 * layout matches upstream: blocks joined by one '\n', <br> and <hr> without
 * a slash, no class on fenced code, no table alignment, img attributes in
 * sorted order, text escaping only &, < and >. Raw HTML from the source is
 * copied through untouched and the sanitiser then escapes or filters it, so
 * nothing reaches the output without passing the allow-list.
 *
 * The tree walk uses cmark's iterator, so deep nesting costs no C stack. */
#include "dashboards/markdown.h"
#include "dashboards/sanitize.h"

#include <pthread.h>
#include <string.h>

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>

static pthread_once_t ext_once = PTHREAD_ONCE_INIT;
static cmark_syntax_extension *table_ext;

static void register_extensions(void)
{
	cmark_gfm_core_extensions_ensure_registered();
	table_ext = cmark_find_syntax_extension("table");
}

typedef struct renderer {
	tb_buf *out;
	tb_buf alt;    /* plain text of the image being written */
	int img_depth; /* > 0 inside an image's description */
} renderer;

static void put_escaped(tb_buf *out, const char *s)
{
	if (s)
		tb_sanitize_escape(out, s, strlen(s), 0);
}

static void put_attr(tb_buf *out, const char *name, const char *val)
{
	tb_buf_printf(out, " %s=\"", name);
	if (val)
		tb_sanitize_escape(out, val, strlen(val), 1);
	tb_buf_putc(out, '"');
}

/* A paragraph directly inside an item of a tight list has no <p>. */
static int tight_paragraph(cmark_node *n)
{
	cmark_node *item = cmark_node_parent(n);
	if (!item || cmark_node_get_type(item) != CMARK_NODE_ITEM)
		return 0;
	cmark_node *list = cmark_node_parent(item);
	return list && cmark_node_get_list_tight(list);
}

static int is_table_header(cmark_node *row)
{
	return row && cmark_gfm_extensions_get_table_row_is_header(row);
}

/* GFM table nodes are extension types, known by name. */
static void render_table_node(renderer *r, cmark_node *n, int entering)
{
	tb_buf *out = r->out;
	const char *type = cmark_node_get_type_string(n);
	if (strcmp(type, "table") == 0) {
		/* Python-Markdown always writes a tbody, opened after thead. */
		tb_buf_puts(out, entering ? "<table>\n" : "</tbody>\n</table>\n");
	} else if (strcmp(type, "table_header") == 0 || strcmp(type, "table_row") == 0) {
		int header = is_table_header(n);
		if (entering) {
			if (!header && is_table_header(cmark_node_previous(n)))
				tb_buf_putc(out, '\n');
			tb_buf_puts(out, header ? "<thead>\n<tr>\n" : "<tr>\n");
		} else {
			tb_buf_puts(out, header ? "</tr>\n</thead>\n<tbody>" : "</tr>\n");
		}
	} else if (strcmp(type, "table_cell") == 0) {
		int header = is_table_header(cmark_node_parent(n));
		if (entering)
			tb_buf_puts(out, header ? "<th>" : "<td>");
		else
			tb_buf_puts(out, header ? "</th>\n" : "</td>\n");
	}
}

static void render_image(renderer *r, cmark_node *n, int entering)
{
	if (entering) {
		if (r->img_depth++ == 0)
			tb_buf_clear(&r->alt);
		return;
	}
	if (--r->img_depth > 0)
		return;
	/* Python-Markdown's serialiser sorts attributes: alt, src, title. */
	tb_buf_puts(r->out, "<img");
	put_attr(r->out, "alt", r->alt.ptr);
	put_attr(r->out, "src", cmark_node_get_url(n));
	const char *title = cmark_node_get_title(n);
	if (title && *title)
		put_attr(r->out, "title", title);
	tb_buf_putc(r->out, '>');
}

static void render_node(renderer *r, cmark_node *n, int entering)
{
	tb_buf *out = r->out;
	cmark_node_type type = cmark_node_get_type(n);

	if (r->img_depth > 0 && type != CMARK_NODE_IMAGE) {
		/* Inside an image description only the text counts. */
		if (type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE)
			tb_buf_puts(&r->alt, cmark_node_get_literal(n));
		else if (type == CMARK_NODE_SOFTBREAK || type == CMARK_NODE_LINEBREAK)
			tb_buf_putc(&r->alt, '\n');
		return;
	}

	switch (type) {
	case CMARK_NODE_DOCUMENT:
		break;
	case CMARK_NODE_BLOCK_QUOTE:
		if (entering)
			tb_buf_puts(out,
				    cmark_node_first_child(n) ? "<blockquote>\n" : "<blockquote>");
		else
			tb_buf_puts(out, "</blockquote>\n");
		break;
	case CMARK_NODE_LIST: {
		int ordered = cmark_node_get_list_type(n) == CMARK_ORDERED_LIST;
		if (entering)
			tb_buf_puts(out, ordered ? "<ol>\n" : "<ul>\n");
		else
			tb_buf_puts(out, ordered ? "</ol>\n" : "</ul>\n");
		break;
	}
	case CMARK_NODE_ITEM:
		if (entering) {
			cmark_node *first = cmark_node_first_child(n);
			tb_buf_puts(out, "<li>");
			if (first && !(cmark_node_get_type(first) == CMARK_NODE_PARAGRAPH &&
				       tight_paragraph(first)))
				tb_buf_putc(out, '\n');
		} else {
			tb_buf_puts(out, "</li>\n");
		}
		break;
	case CMARK_NODE_PARAGRAPH:
		if (!tight_paragraph(n))
			tb_buf_puts(out, entering ? "<p>" : "</p>\n");
		break;
	case CMARK_NODE_HEADING:
		tb_buf_printf(out, entering ? "<h%d>" : "</h%d>\n",
			      cmark_node_get_heading_level(n));
		break;
	case CMARK_NODE_CODE_BLOCK:
		tb_buf_puts(out, "<pre><code>");
		put_escaped(out, cmark_node_get_literal(n));
		tb_buf_puts(out, "</code></pre>\n");
		break;
	case CMARK_NODE_HTML_BLOCK: {
		/* Raw HTML goes to the sanitiser as written. */
		const char *lit = cmark_node_get_literal(n);
		size_t len = lit ? strlen(lit) : 0;
		while (len && (lit[len - 1] == '\n' || lit[len - 1] == ' '))
			len--;
		tb_buf_append(out, lit, len);
		tb_buf_putc(out, '\n');
		break;
	}
	case CMARK_NODE_THEMATIC_BREAK:
		tb_buf_puts(out, "<hr>\n");
		break;
	case CMARK_NODE_TEXT:
		put_escaped(out, cmark_node_get_literal(n));
		break;
	case CMARK_NODE_SOFTBREAK:
		tb_buf_putc(out, '\n');
		break;
	case CMARK_NODE_LINEBREAK:
		tb_buf_puts(out, "<br>\n");
		break;
	case CMARK_NODE_CODE:
		tb_buf_puts(out, "<code>");
		put_escaped(out, cmark_node_get_literal(n));
		tb_buf_puts(out, "</code>");
		break;
	case CMARK_NODE_HTML_INLINE:
		tb_buf_puts(out, cmark_node_get_literal(n));
		break;
	case CMARK_NODE_EMPH:
		tb_buf_puts(out, entering ? "<em>" : "</em>");
		break;
	case CMARK_NODE_STRONG:
		tb_buf_puts(out, entering ? "<strong>" : "</strong>");
		break;
	case CMARK_NODE_LINK:
		if (entering) {
			const char *title = cmark_node_get_title(n);
			tb_buf_puts(out, "<a");
			put_attr(out, "href", cmark_node_get_url(n));
			if (title && *title)
				put_attr(out, "title", title);
			tb_buf_putc(out, '>');
		} else {
			tb_buf_puts(out, "</a>");
		}
		break;
	case CMARK_NODE_IMAGE:
		render_image(r, n, entering);
		break;
	default:
		render_table_node(r, n, entering);
		break;
	}
}

void tb_markdown_to_html(tb_buf *out, const char *md, size_t len)
{
	pthread_once(&ext_once, register_extensions);

	tb_buf clean = TB_BUF_INIT;
	tb_sanitize_utf8(&clean, md, len);

	/* Only the parser is used; the HTML is written below, so cmark's
	 * safe-mode filtering (an HTML renderer option) does not apply. Raw
	 * HTML reaches the sanitiser, which escapes what it does not allow. */
	cmark_parser *parser = cmark_parser_new(CMARK_OPT_DEFAULT);
	if (table_ext)
		cmark_parser_attach_syntax_extension(parser, table_ext);
	cmark_parser_feed(parser, clean.ptr ? clean.ptr : "", clean.len);
	cmark_node *doc = cmark_parser_finish(parser);

	renderer r = {0};
	tb_buf html = TB_BUF_INIT;
	r.out = &html;
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE)
		render_node(&r, cmark_iter_get_node(it), ev == CMARK_EVENT_ENTER);
	cmark_iter_free(it);
	cmark_node_free(doc);
	cmark_parser_free(parser);

	/* Python-Markdown strips the joined document. */
	size_t start = 0, end = html.len;
	while (start < end && (html.ptr[start] == '\n' || html.ptr[start] == ' '))
		start++;
	while (end > start && (html.ptr[end - 1] == '\n' || html.ptr[end - 1] == ' '))
		end--;
	if (end > start)
		tb_html_sanitize(out, html.ptr + start, end - start);

	tb_buf_free(&html);
	tb_buf_free(&r.alt);
	tb_buf_free(&clean);
}
