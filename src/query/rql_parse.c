/* The run query parser: a hand-written lexer and recursive-descent parser
 * from query text to the tree in rql_int.h.
 *
 * The lexer works on demand at the parser's position, because what a
 * token is depends on where it stands: inside a metric call the first
 * argument is a tag, read by its own rule (any bytes but whitespace, ',',
 * '(', ')' and quotes, so val/acc, loss.total and train-loss need no
 * quotes). Every error names the character column where the parser
 * stopped; the first error wins. Nesting is capped so hostile text cannot
 * exhaust the stack. Grammar: docs/HTTP_API.md, "Run queries". */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "rql_int.h"

#define MAX_DEPTH 64

enum {
	T_EOF,
	T_NUM,
	T_STR,
	T_ID,
	T_LP,
	T_RP,
	T_LB,
	T_RB,
	T_COMMA,
	T_COLON,
	T_CMP, /* op in tok.op */
	T_MATCH,
	T_NMATCH,
	T_MINUS,
	T_BAD,
};

typedef struct tok {
	int kind, op;
	size_t start, end; /* byte offsets into the text */
} tok;

typedef struct parser {
	const char *s;
	size_t n, pos;
	tb_rql_error *err;
	int failed;
	int depth;
	tb_rql *q;
} parser;

static const char *const fn_names[] = {"last", "first", "max", "min", "mean", "count", "at"};

static int fail_at(parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the first error at byte offset off; returns -1 for the caller. */
static int fail_at(parser *p, size_t off, const char *fmt, ...)
{
	if (p->failed)
		return -1;
	p->failed = 1;
	size_t col = 1;
	for (size_t i = 0; i < off && i < p->n; i++)
		col += ((unsigned char)p->s[i] & 0xC0) != 0x80;
	p->err->col = col;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_tag_char(char c)
{
	return c && !is_space(c) && c != ',' && c != '(' && c != ')' && c != '\'' && c != '"';
}

static void skip_space(parser *p)
{
	while (p->pos < p->n && is_space(p->s[p->pos]))
		p->pos++;
}

/* The token at the current position (after whitespace), not consumed. */
static tok peek(parser *p)
{
	skip_space(p);
	const char *s = p->s;
	size_t i = p->pos, n = p->n;
	tok t = {T_EOF, 0, i, i};
	if (i >= n)
		return t;
	char c = s[i];
	t.end = i + 1;
	static const char punct[] = "()[],:-~";
	static const int punct_kind[] = {T_LP,	  T_RP,	   T_LB,    T_RB,
					 T_COMMA, T_COLON, T_MINUS, T_MATCH};
	const char *pc = c ? strchr(punct, c) : NULL;
	if (pc) {
		t.kind = punct_kind[pc - punct];
		return t;
	}
	switch (c) {
	case '=':
		t.kind = T_CMP, t.op = RQ_EQ;
		if (i + 1 < n && s[i + 1] == '=')
			t.end++;
		return t;
	case '!':
		if (i + 1 < n && s[i + 1] == '=')
			t.kind = T_CMP, t.op = RQ_NE, t.end++;
		else if (i + 1 < n && s[i + 1] == '~')
			t.kind = T_NMATCH, t.end++;
		else
			t.kind = T_BAD;
		return t;
	case '<':
	case '>':
		t.kind = T_CMP;
		if (i + 1 < n && s[i + 1] == '=') {
			t.op = c == '<' ? RQ_LE : RQ_GE;
			t.end++;
		} else {
			t.op = c == '<' ? RQ_LT : RQ_GT;
		}
		return t;
	case '\'':
	case '"':
		t.kind = T_STR;
		for (size_t j = i + 1; j < n; j++) {
			if (s[j] == '\\' && j + 1 < n) {
				j++;
			} else if (s[j] == c) {
				t.end = j + 1;
				return t;
			}
		}
		t.kind = T_BAD; /* unterminated; reported by the caller */
		t.op = '\'';
		return t;
	default:
		break;
	}
	if (is_digit(c) || (c == '.' && i + 1 < n && is_digit(s[i + 1]))) {
		size_t j = i;
		while (j < n && is_digit(s[j]))
			j++;
		if (j < n && s[j] == '.')
			for (j++; j < n && is_digit(s[j]);)
				j++;
		if (j < n && (s[j] == 'e' || s[j] == 'E')) {
			size_t k = j + 1;
			if (k < n && (s[k] == '+' || s[k] == '-'))
				k++;
			if (k < n && is_digit(s[k])) {
				while (k < n && is_digit(s[k]))
					k++;
				j = k;
			}
		}
		t.kind = T_NUM;
		t.end = j;
		return t;
	}
	if (is_alpha(c)) {
		size_t j = i;
		while (j < n && (is_alpha(s[j]) || is_digit(s[j])))
			j++;
		t.kind = T_ID;
		t.end = j;
		return t;
	}
	t.kind = T_BAD;
	return t;
}

static int is_word(const parser *p, tok t, const char *w)
{
	size_t n = strlen(w);
	return t.kind == T_ID && t.end - t.start == n && strncasecmp(p->s + t.start, w, n) == 0;
}

static int bad_token(parser *p, tok t, const char *expected)
{
	if (t.kind == T_BAD && t.op == '\'')
		return fail_at(p, t.start, "unterminated string");
	if (t.kind == T_EOF)
		return fail_at(p, t.start, "expected %s, found the end of the query", expected);
	int len = (int)(t.end - t.start);
	if (t.kind == T_BAD) {
		unsigned char c = (unsigned char)p->s[t.start];
		if (c < 0x20 || c >= 0x7f)
			return fail_at(p, t.start, "expected %s, found byte 0x%02x", expected, c);
	}
	if (len > 40)
		len = 40;
	return fail_at(p, t.start, "expected %s, found '%.*s'", expected, len, p->s + t.start);
}

/* Decode string token t (quotes included): a backslash before the quote
 * or another backslash escapes it; any other backslash stays, so regular
 * expressions keep \d and \. as written. */
static char *decode_string(parser *p, tok t)
{
	tb_buf b = TB_BUF_INIT;
	char q = p->s[t.start];
	for (size_t i = t.start + 1; i + 1 < t.end; i++) {
		char c = p->s[i];
		if (c == 0) {
			fail_at(p, i, "NUL byte in a string");
			break;
		}
		if (c == '\\' && i + 2 < t.end && (p->s[i + 1] == q || p->s[i + 1] == '\\'))
			c = p->s[++i];
		tb_buf_putc(&b, c);
	}
	if (!b.ptr)
		tb_buf_puts(&b, "");
	return tb_buf_detach(&b);
}

static int expect(parser *p, int kind, const char *what)
{
	tok t = peek(p);
	if (t.kind != kind)
		return bad_token(p, t, what);
	p->pos = t.end;
	return 0;
}

/* An integer step at the current position, optionally negative. */
static int parse_step(parser *p, int64_t *out)
{
	tok t = peek(p);
	size_t start = t.start;
	int neg = 0;
	if (t.kind == T_MINUS) {
		neg = 1;
		p->pos = t.end;
		t = peek(p);
	}
	if (t.kind != T_NUM)
		return bad_token(p, t, "an integer step");
	for (size_t i = t.start; i < t.end; i++)
		if (!is_digit(p->s[i]))
			return fail_at(p, t.start, "expected an integer step");
	char buf[32];
	size_t len = t.end - t.start;
	if (len > 19)
		return fail_at(p, start, "step out of range");
	memcpy(buf, p->s + t.start, len);
	buf[len] = 0;
	errno = 0;
	long long v = strtoll(buf, NULL, 10);
	if (errno)
		return fail_at(p, start, "step out of range");
	*out = neg ? -(int64_t)v : (int64_t)v;
	p->pos = t.end;
	return 0;
}

static int simple_name(const char *s)
{
	if (!is_alpha(*s))
		return 0;
	for (; *s; s++)
		if (!is_alpha(*s) && !is_digit(*s) && *s != '.')
			return 0;
	return 1;
}

static void put_quoted(tb_buf *b, const char *s)
{
	tb_buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			tb_buf_putc(b, '\\');
		tb_buf_putc(b, *s);
	}
	tb_buf_putc(b, '"');
}

/* The canonical text of a column: the same column written two ways gets
 * one name, and the name parses back to the same column. */
static char *column_text(const rq_col *c)
{
	tb_buf b = TB_BUF_INIT;
	switch (c->kind) {
	case RQ_COL_FOLDER:
		tb_buf_puts(&b, "folder");
		break;
	case RQ_COL_HP:
		if (simple_name(c->key)) {
			tb_buf_printf(&b, "hp.%s", c->key);
		} else {
			tb_buf_puts(&b, "hp[");
			put_quoted(&b, c->key);
			tb_buf_putc(&b, ']');
		}
		break;
	default: {
		tb_buf_printf(&b, "%s(", fn_names[c->fn]);
		int plain = c->key[0] != 0;
		for (const char *s = c->key; *s; s++)
			plain &= is_tag_char(*s);
		if (plain)
			tb_buf_puts(&b, c->key);
		else
			put_quoted(&b, c->key);
		if (c->fn == RQ_AT) {
			tb_buf_printf(&b, ", %lld", (long long)c->lo);
		} else if (c->has_lo || c->has_hi) {
			tb_buf_puts(&b, ", ");
			if (c->has_lo)
				tb_buf_printf(&b, "%lld", (long long)c->lo);
			tb_buf_putc(&b, ':');
			if (c->has_hi)
				tb_buf_printf(&b, "%lld", (long long)c->hi);
		}
		if (c->sub) {
			tb_buf_puts(&b, ", in ");
			put_quoted(&b, c->sub);
		}
		tb_buf_putc(&b, ')');
	}
	}
	return tb_buf_detach(&b);
}

/* Add column c (taking its key) unless the query names it already;
 * returns its index. */
static int add_column(parser *p, rq_col *c)
{
	tb_rql *q = p->q;
	c->name = column_text(c);
	for (size_t i = 0; i < q->n_cols; i++) {
		if (strcmp(q->cols[i].name, c->name) == 0) {
			free(c->name);
			free(c->key);
			free(c->sub);
			return (int)i;
		}
	}
	q->cols = tb_xrealloc(q->cols, (q->n_cols + 1) * sizeof *q->cols);
	q->cols[q->n_cols] = *c;
	return (int)q->n_cols++;
}

/* The step argument of at() or the step range of another summary, after
 * the comma. */
static int parse_range(parser *p, int fn, rq_col *c)
{
	if (fn == RQ_AT) {
		if (parse_step(p, &c->lo))
			return -1;
		c->has_lo = c->has_hi = 1;
		c->hi = c->lo;
		return 0;
	}
	if (peek(p).kind != T_COLON) {
		if (parse_step(p, &c->lo))
			return -1;
		c->has_lo = 1;
	}
	if (expect(p, T_COLON, "':' in a step range such as 100:500"))
		return -1;
	if (peek(p).kind != T_RP && peek(p).kind != T_COMMA) {
		if (parse_step(p, &c->hi))
			return -1;
		c->has_hi = 1;
	}
	return 0;
}

/* The sub-run of a metric call, `in STRING`, when the current token is
 * the word `in`: returns 1 with c->sub set, 0 when there is none, -1 on an
 * error. */
static int parse_sub(parser *p, rq_col *c)
{
	tok t = peek(p);
	if (!is_word(p, t, "in"))
		return 0;
	p->pos = t.end;
	t = peek(p);
	if (t.kind != T_STR)
		return bad_token(p, t, "a quoted sub-run name after 'in'");
	c->sub = decode_string(p, t);
	p->pos = t.end;
	if (!p->failed && !c->sub[0])
		return fail_at(p, t.start, "expected a sub-run name, found ''");
	return p->failed ? -1 : 1;
}

/* fn(TAG [, RANGE] [, in SUB]) after the function name; the current token
 * is '('. */
static int parse_metric(parser *p, int fn, rq_operand *out)
{
	rq_col c = {.kind = RQ_COL_METRIC, .fn = fn};
	p->pos = peek(p).end; /* '(' */
	skip_space(p);
	size_t at = p->pos;
	if (at < p->n && (p->s[at] == '\'' || p->s[at] == '"')) {
		tok t = peek(p);
		if (t.kind != T_STR)
			return bad_token(p, t, "a tag");
		c.key = decode_string(p, t);
		p->pos = t.end;
	} else {
		size_t j = at;
		while (j < p->n && is_tag_char(p->s[j]))
			j++;
		if (j == at)
			return bad_token(p, peek(p), "a tag name");
		c.key = tb_xstrndup(p->s + at, j - at);
		p->pos = j;
	}
	if (p->failed)
		goto fail;
	tok t = peek(p);
	if (t.kind == T_COMMA) {
		p->pos = t.end;
		int sub = fn == RQ_AT ? 0 : parse_sub(p, &c);
		if (sub < 0 || (!sub && parse_range(p, fn, &c)))
			goto fail;
		t = peek(p);
		if (!sub && t.kind == T_COMMA) {
			p->pos = t.end;
			sub = parse_sub(p, &c);
			if (sub == 0)
				bad_token(p, peek(p), "in 'SUB-RUN'");
			if (sub <= 0)
				goto fail;
		}
	} else if (fn == RQ_AT) {
		bad_token(p, t, "',' and a step: at(TAG, STEP)");
		goto fail;
	}
	if (expect(p, T_RP, "')'"))
		goto fail;
	out->col = add_column(p, &c);
	return 0;
fail:
	free(c.key);
	free(c.sub);
	return -1;
}

/* A number, string or bool literal; the current token starts it. */
static int parse_literal(parser *p, rq_operand *out, const char *what)
{
	tok t = peek(p);
	out->col = RQ_LITERAL;
	int neg = 0;
	if (t.kind == T_MINUS) {
		p->pos = t.end;
		neg = 1;
		t = peek(p);
		if (t.kind != T_NUM)
			return bad_token(p, t, "a number after '-'");
	}
	if (t.kind == T_NUM) {
		char buf[64];
		size_t len = t.end - t.start;
		if (len >= sizeof buf)
			return fail_at(p, t.start, "number too long");
		memcpy(buf, p->s + t.start, len);
		buf[len] = 0;
		out->lit.type = TB_RQL_NUM;
		out->lit.num = strtod(buf, NULL) * (neg ? -1 : 1);
	} else if (t.kind == T_STR) {
		char *str = decode_string(p, t);
		if (p->failed) {
			free(str);
			return -1;
		}
		out->lit.type = TB_RQL_STR;
		out->lit.str = str;
	} else if (is_word(p, t, "true") || is_word(p, t, "false")) {
		out->lit.type = TB_RQL_BOOL;
		out->lit.num = is_word(p, t, "true");
	} else {
		return bad_token(p, t, what);
	}
	p->pos = t.end;
	return p->failed ? -1 : 0;
}

#define VALUE_WORDS                                                                                \
	"a value (hp.NAME, run, folder, last(TAG), ..., a number, a string, true or false)"

/* A column or a literal. */
static int parse_operand(parser *p, rq_operand *out)
{
	tok t = peek(p);
	out->col = RQ_LITERAL;
	if (t.kind != T_ID)
		return parse_literal(p, out, VALUE_WORDS);
	if (is_word(p, t, "true") || is_word(p, t, "false"))
		return parse_literal(p, out, VALUE_WORDS);
	if (is_word(p, t, "run")) {
		p->pos = t.end;
		out->col = RQ_RUN;
		return 0;
	}
	if (is_word(p, t, "folder")) {
		rq_col c = {.kind = RQ_COL_FOLDER};
		p->pos = t.end;
		out->col = add_column(p, &c);
		return 0;
	}
	if (is_word(p, t, "hp")) {
		rq_col c = {.kind = RQ_COL_HP};
		size_t i = t.end;
		if (i < p->n && p->s[i] == '.') {
			size_t j = ++i;
			while (j < p->n &&
			       (is_alpha(p->s[j]) || is_digit(p->s[j]) || p->s[j] == '.'))
				j++;
			if (j == i)
				return fail_at(p, i, "expected a hyperparameter name after 'hp.'");
			c.key = tb_xstrndup(p->s + i, j - i);
			p->pos = j;
		} else {
			p->pos = t.end;
			if (expect(p, T_LB, "'.' or '[' after 'hp'"))
				return -1;
			tok s = peek(p);
			if (s.kind != T_STR)
				return bad_token(p, s, "a quoted hyperparameter name");
			c.key = decode_string(p, s);
			p->pos = s.end;
			if (p->failed || expect(p, T_RB, "']'")) {
				free(c.key);
				return -1;
			}
		}
		out->col = add_column(p, &c);
		return 0;
	}
	for (int fn = 0; fn < (int)(sizeof fn_names / sizeof *fn_names); fn++) {
		if (is_word(p, t, fn_names[fn])) {
			p->pos = t.end;
			tok lp = peek(p);
			if (lp.kind != T_LP)
				return bad_token(p, lp, "'(' after a function name");
			return parse_metric(p, fn, out);
		}
	}
	int len = (int)(t.end - t.start);
	return fail_at(p, t.start,
		       "unknown name '%.*s': expected hp.NAME, run, folder, true, false or "
		       "last, first, max, min, mean, count, at",
		       len > 40 ? 40 : len, p->s + t.start);
}

static void operand_free(rq_operand *o)
{
	if (o->col == RQ_LITERAL && o->lit.type == TB_RQL_STR)
		free((char *)o->lit.str);
}

static void node_free(rq_node *n)
{
	if (!n)
		return;
	node_free(n->a);
	node_free(n->b);
	operand_free(&n->l);
	operand_free(&n->r);
	for (size_t i = 0; i < n->n_set; i++)
		operand_free(&n->set[i]);
	free(n->set);
	tb_regex_free(n->re);
	free(n);
}

static rq_node *new_node(int kind, size_t off, const parser *p)
{
	rq_node *n = tb_xcalloc(1, sizeof *n);
	n->kind = kind;
	size_t col = 1;
	for (size_t i = 0; i < off && i < p->n; i++)
		col += ((unsigned char)p->s[i] & 0xC0) != 0x80;
	n->col = col;
	n->l.col = n->r.col = RQ_LITERAL;
	return n;
}

static rq_node *parse_or(parser *p);

/* `in [lit, ...]` after the operand, the current token being '['. */
static int parse_set(parser *p, rq_node *n)
{
	if (expect(p, T_LB, "'[' after 'in'"))
		return -1;
	size_t cap = 0;
	if (peek(p).kind == T_RB) {
		p->pos = peek(p).end;
		return 0;
	}
	for (;;) {
		n->set = tb_xgrow(n->set, &cap, n->n_set + 1, sizeof *n->set);
		rq_operand *o = &n->set[n->n_set];
		memset(o, 0, sizeof *o);
		if (parse_literal(p, o, "a number, string, true or false"))
			return -1;
		n->n_set++;
		tok t = peek(p);
		p->pos = t.end;
		if (t.kind == T_RB)
			return 0;
		if (t.kind != T_COMMA) {
			p->pos = t.start;
			return bad_token(p, t, "',' or ']'");
		}
	}
}

/* A comparison, a match, a membership test, a bare value or a
 * parenthesised condition. */
static rq_node *parse_cmp(parser *p)
{
	tok t = peek(p);
	if (t.kind == T_LP) {
		if (++p->depth > MAX_DEPTH) {
			fail_at(p, t.start, "conditions nested too deeply");
			return NULL;
		}
		p->pos = t.end;
		rq_node *e = parse_or(p);
		p->depth--;
		if (!e)
			return NULL;
		if (expect(p, T_RP, "')'")) {
			node_free(e);
			return NULL;
		}
		tok after = peek(p);
		if (after.kind == T_CMP || after.kind == T_MATCH || after.kind == T_NMATCH ||
		    is_word(p, after, "in")) {
			fail_at(p, after.start, "a condition in parentheses cannot be compared");
			node_free(e);
			return NULL;
		}
		return e;
	}
	rq_node *n = new_node(RQ_TRUTH, t.start, p);
	if (parse_operand(p, &n->l))
		goto fail;
	t = peek(p);
	if (t.kind == T_CMP) {
		p->pos = t.end;
		n->kind = RQ_CMP;
		n->op = t.op;
		if (parse_operand(p, &n->r))
			goto fail;
	} else if (t.kind == T_MATCH || t.kind == T_NMATCH) {
		p->pos = t.end;
		n->kind = RQ_MATCH;
		n->op = t.kind == T_NMATCH;
		tok s = peek(p);
		if (s.kind != T_STR) {
			bad_token(p, s, "a quoted regular expression");
			goto fail;
		}
		char *pat = decode_string(p, s);
		char msg[160];
		size_t off;
		if (!p->failed &&
		    tb_regex_new(&n->re, pat, strlen(pat), TB_REGEX_SEARCH, msg, sizeof msg, &off) != 0)
			fail_at(p, s.start, "bad regular expression (at pattern offset %zu): %s",
				off, msg);
		free(pat);
		if (p->failed)
			goto fail;
		p->pos = s.end;
	} else if (is_word(p, t, "in") || is_word(p, t, "not")) {
		if (is_word(p, t, "not")) {
			p->pos = t.end;
			tok in = peek(p);
			if (!is_word(p, in, "in")) {
				bad_token(p, in, "'in' after 'not'");
				goto fail;
			}
			t = in;
			n->op = 1;
		}
		p->pos = t.end;
		n->kind = RQ_IN;
		if (parse_set(p, n))
			goto fail;
	}
	return n;
fail:
	node_free(n);
	return NULL;
}

static rq_node *parse_not(parser *p)
{
	tok t = peek(p);
	if (!is_word(p, t, "not"))
		return parse_cmp(p);
	if (++p->depth > MAX_DEPTH) {
		fail_at(p, t.start, "conditions nested too deeply");
		return NULL;
	}
	p->pos = t.end;
	rq_node *a = parse_not(p);
	p->depth--;
	if (!a)
		return NULL;
	rq_node *n = new_node(RQ_NOT, t.start, p);
	n->a = a;
	return n;
}

/* Left-assoc chain of `word`-joined operands from `sub`. */
static rq_node *parse_chain(parser *p, const char *word, int kind, rq_node *(*sub)(parser *))
{
	rq_node *a = sub(p);
	while (a) {
		tok t = peek(p);
		if (!is_word(p, t, word))
			break;
		p->pos = t.end;
		rq_node *b = sub(p);
		if (!b) {
			node_free(a);
			return NULL;
		}
		rq_node *n = new_node(kind, t.start, p);
		n->a = a;
		n->b = b;
		a = n;
	}
	return a;
}

static rq_node *parse_and(parser *p)
{
	return parse_chain(p, "and", RQ_AND, parse_not);
}

static rq_node *parse_or(parser *p)
{
	return parse_chain(p, "or", RQ_OR, parse_and);
}

static int parse_sort(parser *p)
{
	tb_rql *q = p->q;
	size_t cap = 0;
	tok t = peek(p);
	if (!is_word(p, t, "by"))
		return bad_token(p, t, "'by' after 'sort'");
	p->pos = t.end;
	for (;;) {
		t = peek(p);
		rq_operand o = {0};
		if (parse_operand(p, &o))
			return -1;
		if (o.col == RQ_LITERAL) {
			operand_free(&o);
			return fail_at(p, t.start,
				       "expected a column to sort by (hp.NAME, run, folder or a "
				       "metric)");
		}
		q->sort = tb_xgrow(q->sort, &cap, q->n_sort + 1, sizeof *q->sort);
		rq_sort *k = &q->sort[q->n_sort++];
		k->col = o.col;
		k->desc = 0;
		t = peek(p);
		if (is_word(p, t, "asc") || is_word(p, t, "desc")) {
			k->desc = is_word(p, t, "desc");
			p->pos = t.end;
			t = peek(p);
		}
		if (t.kind != T_COMMA)
			return 0;
		p->pos = t.end;
	}
}

int tb_rql_parse(tb_rql **out, const char *text, size_t n, tb_rql_error *err)
{
	*out = NULL;
	memset(err, 0, sizeof *err);
	tb_rql *q = tb_xcalloc(1, sizeof *q);
	parser p = {.s = text, .n = n, .err = err, .q = q};
	if (n > TB_RQL_MAX_TEXT) {
		fail_at(&p, TB_RQL_MAX_TEXT, "query longer than %d bytes", TB_RQL_MAX_TEXT);
		goto fail;
	}
	tok t = peek(&p);
	if (t.kind == T_EOF || is_word(&p, t, "sort") || is_word(&p, t, "limit")) {
		q->where = new_node(RQ_TRUE, t.start, &p);
	} else if (!(q->where = parse_or(&p))) {
		goto fail;
	}
	const char *expected = "'and', 'or', 'sort by', 'limit' or the end of the query";
	t = peek(&p);
	if (is_word(&p, t, "sort")) {
		p.pos = t.end;
		if (parse_sort(&p))
			goto fail;
		expected = "',', 'asc', 'desc', 'limit' or the end of the query";
		t = peek(&p);
	}
	if (is_word(&p, t, "limit")) {
		p.pos = t.end;
		tok v = peek(&p);
		int64_t lim;
		if (v.kind == T_MINUS) {
			fail_at(&p, v.start, "limit must not be negative");
			goto fail;
		}
		if (parse_step(&p, &lim))
			goto fail;
		q->has_limit = 1;
		q->limit = (uint64_t)lim;
		expected = "the end of the query";
		t = peek(&p);
	}
	if (t.kind != T_EOF) {
		if (t.kind == T_RP)
			fail_at(&p, t.start, "unmatched ')'");
		else
			bad_token(&p, t, expected);
		goto fail;
	}
	*out = q;
	return 0;
fail:
	tb_rql_free(q);
	return TB_EINVAL;
}

void tb_rql_free(tb_rql *q)
{
	if (!q)
		return;
	node_free(q->where);
	for (size_t i = 0; i < q->n_cols; i++) {
		free(q->cols[i].name);
		free(q->cols[i].key);
		free(q->cols[i].sub);
	}
	free(q->cols);
	free(q->sort);
	free(q);
}

size_t tb_rql_columns(const tb_rql *q)
{
	return q->n_cols;
}

const char *tb_rql_column_name(const tb_rql *q, size_t i)
{
	return q->cols[i].name;
}
