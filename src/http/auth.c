/* Token comparison and cookie lookup for the optional access token
 * (see auth.h). No maintained library on the build's list offers a
 * constant-time compare or a Cookie header parser for libmicrohttpd 0.9,
 * and both are a few lines. */
#include "auth.h"

#include <string.h>

int tb_auth_equal(const char *a, size_t n, const char *secret)
{
	size_t m = strlen(secret);
	/* walk the secret whole whatever the input, and fold every difference
	 * (length included) into one accumulator */
	unsigned char diff = (unsigned char)(n != m);
	for (size_t i = 0; i < m; i++) {
		unsigned char x = i < n ? (unsigned char)a[i] : 0;
		diff |= (unsigned char)(x ^ (unsigned char)secret[i]);
	}
	return diff == 0 && m > 0;
}

const char *tb_auth_cookie(size_t *len, const char *header, const char *name)
{
	size_t nl = strlen(name);
	const char *p = header;
	while (p && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		size_t item = strcspn(p, ";");
		if (item > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			*len = item - nl - 1;
			return p + nl + 1;
		}
		p += item;
	}
	return NULL;
}
