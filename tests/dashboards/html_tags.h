/* The elements the Markdown serialiser may write: the one list the tests
 * that check its output for safety hold it against. */
#ifndef TB_TEST_HTML_TAGS_H
#define TB_TEST_HTML_TAGS_H

#include <string.h>

/* 1 when the n bytes at name are an element the serialiser may write. */
static inline int tb_test_html_tag_ok(const char *name, size_t n)
{
	static const char *const tags[] = {
	    "ul",  "ol",    "li",    "p",     "pre", "code", "blockquote", "h1", "h2",
	    "h3",  "h4",    "h5",    "h6",    "hr",  "br",   "strong",	   "em", "a",
	    "img", "table", "thead", "tbody", "td",  "tr",   "th",	   NULL};
	for (int i = 0; tags[i]; i++)
		if (strlen(tags[i]) == n && strncmp(name, tags[i], n) == 0)
			return 1;
	return 0;
}

#endif
