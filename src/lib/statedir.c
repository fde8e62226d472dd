/* statedir.c — see statedir.h. */
#include "statedir.h"

#include "limits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int fits(int n, size_t cap)
{
	return n >= 0 && (size_t)n < cap ? 0 : -ENAMETOOLONG;
}

int statedir_resolve(const char *flag, char *out, size_t cap)
{
	const char *e;

	if (flag && *flag)
		return fits(snprintf(out, cap, "%s", flag), cap);
	if ((e = getenv("HIVE_STATE")) && *e)
		return fits(snprintf(out, cap, "%s", e), cap);
	if ((e = getenv("XDG_STATE_HOME")) && *e)
		return fits(snprintf(out, cap, "%s/hive", e), cap);
	if ((e = getenv("HOME")) && *e)
		return fits(snprintf(out, cap, "%s/.local/state/hive", e), cap);
	return fits(snprintf(out, cap, "./.local/state/hive"), cap);
}

int statedir_path(const char *dir, const char *name, char *out, size_t cap)
{
	return fits(snprintf(out, cap, "%s/%s", dir, name), cap);
}

int statedir_make(const char *dir, mode_t mode)
{
	char buf[HIVE_PATH_MAX];

	if (fits(snprintf(buf, sizeof buf, "%s", dir), sizeof buf) < 0)
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}
