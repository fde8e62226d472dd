/* hostport.c — see hostport.h. */
#include "hostport.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int hostport_parse(const char *s, const char *default_host, char *host, size_t cap, int *port)
{
	const char *h = NULL, *p = s;
	size_t hl = 0;

	if (!s || !*s || cap == 0)
		return -EINVAL;
	if (*s == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(rb - h);
		p = rb + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (colon) { /* the last colon: "::1:80" is host ::1 */
			h = s;
			hl = (size_t)(colon - s);
			p = colon + 1;
		}
	}
	if (h && hl == 0)
		return -EINVAL;
	if (!h) {
		if (!default_host)
			return -EINVAL;
		h = default_host;
		hl = strlen(default_host);
	}
	if (hl >= cap)
		return -ENAMETOOLONG;

	char *end;
	errno = 0;
	long v = strtol(p, &end, 10);
	if (*p < '0' || *p > '9' || *end || errno || v < 0 || v > 65535)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (int)v;
	return 0;
}
