/* HTML sanitiser: keeps a small allow-list of elements and attributes and
 * writes every other tag back out as escaped text (spec HTTP_API.md 12.2).
 *
 * The output is safe by construction, whatever the input: it is a sequence
 * of escaped text and re-serialised allowed tags whose only attributes are
 * href/title/src/alt with double-quoted, fully escaped values, and whose
 * URLs passed the scheme check on the value the browser will see (entities
 * decoded, control characters and whitespace removed). No element switches
 * the browser into a raw-text mode, so nothing can hide inside one.
 *
 * The tokeniser follows the HTML5 tag and attribute grammar; tree building
 * is reduced to a stack of open allowed elements with the few implied-end
 * rules that matter for Markdown output (p, li, headings). Inputs are
 * descriptions and text summaries: kilobytes, linear time. */
#include "dashboards/markdown.h"
#include "dashboards/sanitize.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/chars.h"

/* Allowed elements, in one table so a tag is an index. */
/* clang-format off */
enum {
	T_UL, T_OL, T_LI, T_P, T_PRE, T_CODE, T_BLOCKQUOTE,
	T_H1, T_H2, T_H3, T_H4, T_H5, T_H6,
	T_HR, T_BR, T_STRONG, T_EM, T_A, T_IMG,
	T_TABLE, T_THEAD, T_TBODY, T_TD, T_TR, T_TH,
	T_COUNT
};

static const char *const tag_names[T_COUNT] = {
	"ul", "ol", "li", "p", "pre", "code", "blockquote",
	"h1", "h2", "h3", "h4", "h5", "h6",
	"hr", "br", "strong", "em", "a", "img",
	"table", "thead", "tbody", "td", "tr", "th",
};
/* clang-format on */

/* Allowed attributes, as bits so duplicates keep the first occurrence. */
enum { A_HREF = 1, A_TITLE = 2, A_SRC = 4, A_ALT = 8 };

/* Deeper nesting than this is not kept: browsers flatten it anyway, and the
 * bound keeps the stack scans below constant time. */
#define MAX_DEPTH 512

static int is_void(int t)
{
	return t == T_BR || t == T_HR || t == T_IMG;
}

static int is_heading(int t)
{
	return t >= T_H1 && t <= T_H6;
}

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

static void put_char(tb_buf *out, uint32_t cp)
{
	char u[4];
	tb_buf_append(out, u, tb_utf8_encode(u, cp));
}

static int is_hex(unsigned char c)
{
	return tb_hex_digit(c) >= 0;
}

/* HTML whitespace, as the tokeniser sees it. */
static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

static int name_eq(const char *p, size_t n, const char *z)
{
	size_t i = 0;
	for (; i < n; i++)
		if (!z[i] || lower((unsigned char)p[i]) != (unsigned char)z[i])
			return 0;
	return z[i] == 0;
}

void tb_sanitize_utf8(tb_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	tb_buf_reserve(out, len);
	size_t i = 0, run = 0; /* run: start of bytes not yet copied */
	while (i < len) {
		unsigned char c = p[i];
		if (c >= 0x80) {
			uint32_t cp;
			size_t k = tb_utf8_decode(&cp, p + i, len - i);
			if (cp != TB_UTF8_INVALID) {
				i += k;
				continue;
			}
			tb_buf_append(out, p + run, i - run);
			tb_buf_puts(out, "\xEF\xBF\xBD");
			i += k;
			run = i;
		} else if (c == 0 || c == '\r') {
			tb_buf_append(out, p + run, i - run);
			if (c == 0)
				tb_buf_puts(out, "\xEF\xBF\xBD");
			else
				tb_buf_putc(out, '\n');
			i += (c == '\r' && i + 1 < len && p[i + 1] == '\n') ? 2 : 1;
			run = i;
		} else
			i++;
	}
	tb_buf_append(out, p + run, len - run);
}

/* Length of a character reference at s[0] == '&' that is kept as written in
 * text (&name; &#123; &#x1F;), or 0. */
static size_t charref_len(const char *s, size_t n)
{
	size_t i = 1;
	if (i < n && s[i] == '#') {
		i++;
		int hex = i < n && (s[i] == 'x' || s[i] == 'X');
		size_t start = i += hex;
		while (i < n && (hex ? is_hex((unsigned char)s[i]) : is_digit((unsigned char)s[i])))
			i++;
		if (i == start)
			return 0;
	} else {
		if (i >= n || !is_alpha((unsigned char)s[i]))
			return 0;
		while (i < n && is_alnum((unsigned char)s[i]))
			i++;
	}
	return (i < n && s[i] == ';') ? i + 1 : 0;
}

enum { ESC_QUOTES = 1, ESC_KEEP_REFS = 2 };

/* Append s with &, <, > escaped, " too with ESC_QUOTES; with ESC_KEEP_REFS
 * an & that starts a character reference stays as written. */
static void escape(tb_buf *out, const char *s, size_t len, int how)
{
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		const char *rep = NULL;
		if (s[i] == '&')
			rep = (how & ESC_KEEP_REFS) && charref_len(s + i, len - i) ? NULL : "&amp;";
		else if (s[i] == '<')
			rep = "&lt;";
		else if (s[i] == '>')
			rep = "&gt;";
		else if (s[i] == '"' && (how & ESC_QUOTES))
			rep = "&quot;";
		if (!rep)
			continue;
		tb_buf_append(out, s + run, i - run);
		tb_buf_puts(out, rep);
		run = i + 1;
	}
	tb_buf_append(out, s + run, len - run);
}

void tb_sanitize_escape(tb_buf *out, const char *s, size_t len, int quotes)
{
	if (!len)
		return;
	escape(out, s, len, quotes ? ESC_QUOTES : 0);
}

/* Text between tags: &, <, > escaped unless & starts a reference. */
static void emit_text(tb_buf *out, const char *s, size_t len)
{
	escape(out, s, len, ESC_KEEP_REFS);
}

/* Named references worth decoding in attribute values: everything that can
 * spell part of a URL scheme or separator, and the common ones. Others stay
 * literal, and the re-escaped output shows the browser the same string. */
static const struct {
	const char *name;
	unsigned cp;
	int legacy; /* also recognised without the ';' */
} named_refs[] = {
    {"amp", '&', 1},	  {"lt", '<', 1},     {"gt", '>', 1},	  {"quot", '"', 1},
    {"apos", '\'', 0},	  {"nbsp", 0xA0, 1},  {"colon", ':', 0},  {"Tab", '\t', 0},
    {"NewLine", '\n', 0}, {"sol", '/', 0},    {"bsol", '\\', 0},  {"quest", '?', 0},
    {"num", '#', 0},	  {"period", '.', 0}, {"comma", ',', 0},  {"semi", ';', 0},
    {"excl", '!', 0},	  {"equals", '=', 0}, {"lpar", '(', 0},	  {"rpar", ')', 0},
    {"percnt", '%', 0},	  {"plus", '+', 0},   {"commat", '@', 0}, {"lowbar", '_', 0},
    {"dollar", '$', 0},	  {"ast", '*', 0},    {"lsqb", '[', 0},	  {"rsqb", ']', 0},
    {"lcub", '{', 0},	  {"rcub", '}', 0},   {"verbar", '|', 0}, {"grave", '`', 0},
    {"Hat", '^', 0},	  {"copy", 0xA9, 1},  {"reg", 0xAE, 1},
};

/* Windows-1252 meanings of numeric references 0x80-0x9F (HTML5 8.2.4.69). */
static const unsigned short cp1252[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

/* Decode the references in an attribute value as a browser would, so the
 * URL check sees what the browser will follow. */
static void decode_attr(tb_buf *out, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (s[i] != '&') {
			tb_buf_putc(out, s[i++]);
			continue;
		}
		size_t j = i + 1;
		if (j < n && s[j] == '#') {
			j++;
			int hex = j < n && (s[j] == 'x' || s[j] == 'X');
			size_t start = j += hex;
			unsigned long cp = 0;
			while (j < n && (hex ? is_hex((unsigned char)s[j])
					     : is_digit((unsigned char)s[j]))) {
				unsigned d = is_digit((unsigned char)s[j])
						 ? (unsigned)(s[j] - '0')
						 : (unsigned)((s[j] | 0x20) - 'a' + 10);
				if (cp <= 0x10FFFF)
					cp = cp * (hex ? 16 : 10) + d;
				j++;
			}
			if (j == start) {
				tb_buf_putc(out, s[i++]);
				continue;
			}
			if (j < n && s[j] == ';')
				j++;
			if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
				cp = 0xFFFD;
			else if (cp >= 0x80 && cp <= 0x9F)
				cp = cp1252[cp - 0x80];
			else if (cp == '\r')
				cp = '\n'; /* as the parser will normalise it when read back */
			put_char(out, (uint32_t)cp);
			i = j;
			continue;
		}
		while (j < n && is_alnum((unsigned char)s[j]))
			j++;
		size_t nl = j - i - 1;
		int semi = j < n && s[j] == ';';
		size_t k;
		for (k = 0; k < sizeof named_refs / sizeof named_refs[0]; k++)
			if (strlen(named_refs[k].name) == nl &&
			    memcmp(named_refs[k].name, s + i + 1, nl) == 0)
				break;
		if (k < sizeof named_refs / sizeof named_refs[0] &&
		    (semi || named_refs[k].legacy) && !(!semi && j < n && s[j] == '=')) {
			put_char(out, named_refs[k].cp);
			i = j + (size_t)semi;
		} else
			tb_buf_putc(out, s[i++]);
	}
}

int tb_sanitize_url_ok(const char *url, size_t len)
{
	/* Browsers drop tabs and newlines anywhere and trim C0 controls and
	 * spaces; removing every control, space and invisible character is a
	 * superset of that. The scheme is what precedes the first ':' when no
	 * '/', '?' or '#' comes earlier and it starts with a letter. */
	char scheme[16];
	size_t sn = 0;
	const unsigned char *p = (const unsigned char *)url;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];
		if (c <= 0x20 || c == 0x7F)
			continue;
		if (c == 0xC2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0xA0) {
			i++; /* C1 controls and no-break space */
			continue;
		}
		if (c == 0xE2 && i + 2 < len && p[i + 1] == 0x80 &&
		    ((p[i + 2] >= 0x8B && p[i + 2] <= 0x8F) || p[i + 2] == 0xA8 ||
		     p[i + 2] == 0xA9)) {
			i += 2; /* zero-width characters, line and paragraph separators */
			continue;
		}
		if (c == 0xEF && i + 2 < len && p[i + 1] == 0xBB && p[i + 2] == 0xBF) {
			i += 2; /* BOM */
			continue;
		}
		if (c == ':') {
			if (sn == 0)
				return 1;
			scheme[sn] = 0;
			return strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0 ||
			       strcmp(scheme, "mailto") == 0;
		}
		if (c == '/' || c == '?' || c == '#')
			return 1;
		int ok = sn == 0 ? is_alpha(c) : (is_alnum(c) || c == '+' || c == '-' || c == '.');
		if (!ok)
			return 1; /* not a scheme: a relative reference */
		if (sn + 1 >= sizeof scheme) {
			/* Longer than any allowed scheme: unsafe if a ':' follows
			 * before a path character. */
			for (size_t j = i; j < len; j++) {
				if (p[j] == ':')
					return 0;
				if (p[j] == '/' || p[j] == '?' || p[j] == '#')
					return 1;
			}
			return 1;
		}
		scheme[sn++] = (char)lower(c);
	}
	return 1;
}

/* One attribute of a tag, as spans into the source. */
typedef struct attr {
	const char *name;
	size_t name_len;
	const char *val; /* NULL when the attribute has no value */
	size_t val_len;
} attr;

/* HTML5 "before attribute name" through "after attribute value" states.
 * Returns 1 with *a filled, 0 at the end of the tag (*pos just past '>',
 * *self_closing set for "/>"), or -1 if the input ends inside the tag. */
static int next_attr(attr *a, int *self_closing, const char *s, size_t n, size_t *pos)
{
	size_t i = *pos;
	for (;;) {
		while (i < n && (is_space((unsigned char)s[i]) || s[i] == '/')) {
			if (s[i] == '/' && i + 1 < n && s[i + 1] == '>') {
				*self_closing = 1;
				*pos = i + 2;
				return 0;
			}
			i++;
		}
		if (i >= n)
			return -1;
		if (s[i] == '>') {
			*pos = i + 1;
			return 0;
		}
		break;
	}
	a->name = s + i;
	i++; /* the first character may be '=' */
	while (i < n && !is_space((unsigned char)s[i]) && s[i] != '/' && s[i] != '>' && s[i] != '=')
		i++;
	a->name_len = (size_t)(s + i - a->name);
	a->val = NULL;
	a->val_len = 0;
	size_t j = i;
	while (j < n && is_space((unsigned char)s[j]))
		j++;
	if (j >= n)
		return -1;
	if (s[j] != '=') {
		*pos = j;
		return 1;
	}
	j++;
	while (j < n && is_space((unsigned char)s[j]))
		j++;
	if (j >= n)
		return -1;
	if (s[j] == '"' || s[j] == '\'') {
		char q = s[j++];
		const char *e = memchr(s + j, q, n - j);
		if (!e)
			return -1;
		a->val = s + j;
		a->val_len = (size_t)(e - (s + j));
		*pos = (size_t)(e - s) + 1;
		return 1;
	}
	a->val = s + j;
	if (s[j] == '>') { /* "name=>" : an empty value */
		a->val_len = 0;
		*pos = j;
		return 1;
	}
	while (j < n && !is_space((unsigned char)s[j]) && s[j] != '>')
		j++;
	a->val_len = (size_t)(s + j - a->val);
	*pos = j;
	return 1;
}

/* Skip the attributes of a tag whose name ends at *pos. Returns 1 with *pos
 * past the '>', or 0 when the input ends first. */
static int skip_attrs(int *self_closing, const char *s, size_t n, size_t *pos)
{
	attr a;
	int r;
	while ((r = next_attr(&a, self_closing, s, n, pos)) == 1)
		;
	return r == 0;
}

typedef struct sanitizer {
	tb_buf *out;
	unsigned char *stack; /* open allowed elements, innermost last */
	size_t depth, cap;
	unsigned open[T_COUNT]; /* how many of each tag are on the stack */
	tb_buf tmp;
} sanitizer;

static int find_tag(const char *name, size_t len)
{
	for (int t = 0; t < T_COUNT; t++)
		if (name_eq(name, len, tag_names[t]))
			return t;
	return -1;
}

static void pop(sanitizer *z)
{
	int t = z->stack[--z->depth];
	z->open[t]--;
	tb_buf_printf(z->out, "</%s>", tag_names[t]);
}

/* Close elements down to and including the innermost t. */
static void close_to(sanitizer *z, int t)
{
	while (z->depth) {
		int top = z->stack[z->depth - 1];
		pop(z);
		if (top == t)
			return;
	}
}

/* The innermost t is in scope when no table cell or table lies between it
 * and the top of the stack; for li, no list either. */
static int in_scope(const sanitizer *z, int t)
{
	if (!z->open[t])
		return 0;
	for (size_t i = z->depth; i-- > 0;) {
		int s = z->stack[i];
		if (s == t)
			return 1;
		if (s == T_TABLE || s == T_TD || s == T_TH)
			return 0;
		if (t == T_LI && (s == T_UL || s == T_OL))
			return 0;
	}
	return 0;
}

static void start_tag(sanitizer *z, int t, const char *s, size_t n, size_t name_end)
{
	/* The implied end tags of the HTML5 "in body" rules that Markdown
	 * output and simple hand-written HTML run into. */
	switch (t) {
	case T_LI:
		if (in_scope(z, T_LI))
			close_to(z, T_LI);
		/* fall through */
	case T_P:
	case T_UL:
	case T_OL:
	case T_PRE:
	case T_BLOCKQUOTE:
	case T_HR:
	case T_TABLE:
	case T_H1:
	case T_H2:
	case T_H3:
	case T_H4:
	case T_H5:
	case T_H6:
		if (in_scope(z, T_P))
			close_to(z, T_P);
		if (is_heading(t) && z->depth && is_heading(z->stack[z->depth - 1]))
			pop(z);
		break;
	default:
		break;
	}
	if (!is_void(t) && z->depth >= MAX_DEPTH)
		return;

	tb_buf_printf(z->out, "<%s", tag_names[t]);
	unsigned want = t == T_A ? (A_HREF | A_TITLE) : t == T_IMG ? (A_SRC | A_TITLE | A_ALT) : 0;
	unsigned seen = 0;
	size_t pos = name_end;
	int self_closing = 0;
	attr a;
	while (next_attr(&a, &self_closing, s, n, &pos) == 1) {
		unsigned bit = name_eq(a.name, a.name_len, "href")    ? A_HREF
			       : name_eq(a.name, a.name_len, "title") ? A_TITLE
			       : name_eq(a.name, a.name_len, "src")   ? A_SRC
			       : name_eq(a.name, a.name_len, "alt")   ? A_ALT
								      : 0;
		if (!bit || (seen & bit))
			continue; /* the first of duplicate attributes wins */
		seen |= bit;
		if (!(want & bit))
			continue;
		tb_buf_clear(&z->tmp);
		decode_attr(&z->tmp, a.val ? a.val : "", a.val_len);
		if ((bit == A_HREF || bit == A_SRC) && !tb_sanitize_url_ok(z->tmp.ptr, z->tmp.len))
			continue;
		tb_buf_printf(z->out, " %s=\"",
			      bit == A_HREF    ? "href"
			      : bit == A_TITLE ? "title"
			      : bit == A_SRC   ? "src"
					       : "alt");
		tb_sanitize_escape(z->out, z->tmp.ptr, z->tmp.len, 1);
		tb_buf_putc(z->out, '"');
	}
	tb_buf_putc(z->out, '>');
	if (!is_void(t)) {
		z->stack = tb_xgrow(z->stack, &z->cap, z->depth + 1, 1);
		z->stack[z->depth++] = (unsigned char)t;
		z->open[t]++;
	}
}

/* Where a comment or bogus comment starting at s[i] ends. */
static size_t comment_end(const char *s, size_t n, size_t i)
{
	if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
		size_t j = i + 4;
		if (j < n && s[j] == '>')
			return j + 1; /* <!--> */
		if (j + 1 < n && s[j] == '-' && s[j + 1] == '>')
			return j + 2; /* <!---> */
		for (; j + 2 < n; j++)
			if (s[j] == '-' && s[j + 1] == '-' && s[j + 2] == '>')
				return j + 3;
		return n;
	}
	const char *e = memchr(s + i, '>', n - i);
	return e ? (size_t)(e - s) + 1 : n;
}

/* Scan the tag whose name starts at s[from]: sets *name_end past the name
 * and, when the tag closes, *end past its '>' (and *self_closing).
 * Returns nonzero when it closes. */
static int scan_tag(size_t *name_end, size_t *end, int *self_closing, const char *s, size_t n,
		    size_t from)
{
	size_t i = from;
	while (i < n && !is_space((unsigned char)s[i]) && s[i] != '/' && s[i] != '>')
		i++;
	*name_end = i;
	if (!skip_attrs(self_closing, s, n, &i))
		return 0;
	*end = i;
	return 1;
}

static void sanitize_clean(tb_buf *out, const char *s, size_t n)
{
	sanitizer z = {0};
	z.out = out;
	size_t i = 0, text = 0; /* text: start of pending text */
	while (i < n) {
		if (s[i] != '<') {
			i++;
			continue;
		}
		size_t lt = i;
		unsigned char c = i + 1 < n ? (unsigned char)s[i + 1] : 0;
		size_t end = 0; /* past the markup, 0 if it is text after all */
		int kind = 0;	/* 1 start tag, 2 end tag, 3 comment (dropped) */
		size_t name_end = 0;
		int self_closing = 0;
		if (c == '!' || c == '?') {
			end = comment_end(s, n, i);
			kind = 3;
		} else if (c == '/') {
			unsigned char d = i + 2 < n ? (unsigned char)s[i + 2] : 0;
			if (d == '>') {
				end = i + 3; /* "</>" is ignored */
				kind = 3;
			} else if (is_alpha(d)) {
				if (scan_tag(&name_end, &end, &self_closing, s, n, i + 2))
					kind = 2;
			} else if (d) {
				end = comment_end(s, n, i);
				kind = 3;
			}
		} else if (is_alpha(c)) {
			if (scan_tag(&name_end, &end, &self_closing, s, n, i + 1))
				kind = 1;
		}
		if (!end) {
			i++; /* a lone '<': text */
			continue;
		}
		emit_text(out, s + text, lt - text);
		i = text = end;
		if (kind == 3)
			continue;
		size_t name_start = lt + (kind == 2 ? 2 : 1);
		int t = find_tag(s + name_start, name_end - name_start);
		if (t < 0) {
			/* Not allowed: the tag itself becomes visible text. */
			emit_text(out, s + lt, end - lt);
		} else if (kind == 1) {
			start_tag(&z, t, s, n, name_end);
		} else if (!is_void(t) && z.open[t]) {
			close_to(&z, t);
		}
	}
	emit_text(out, s + text, n - text);
	while (z.depth)
		pop(&z);
	free(z.stack);
	tb_buf_free(&z.tmp);
}

void tb_html_sanitize(tb_buf *out, const char *html, size_t len)
{
	tb_buf clean = TB_BUF_INIT;
	tb_sanitize_utf8(&clean, html, len);
	sanitize_clean(out, clean.ptr ? clean.ptr : "", clean.len);
	tb_buf_free(&clean);
}
