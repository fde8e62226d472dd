/*
 * cgroup_fixture.h — a fake root for the cgroup tests: a temp dir laid out
 * like /proc and /sys/fs/cgroup, and helpers to write, test and read files
 * below it (paths relative to the root, printf-style).
 */
#ifndef HIVE_CGROUP_FIXTURE_H
#define HIVE_CGROUP_FIXTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

static char R[256]; /* the fake root */

static inline void put(const char *text, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void put(const char *text, const char *fmt, ...)
{
	char rel[512], path[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rel, sizeof rel, fmt, ap);
	va_end(ap);
	snprintf(path, sizeof path, "%s/%s", R, rel);
	/* mkdir -p of the parent; NULL text makes a directory */
	for (char *p = path + strlen(R) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	if (!text) {
		mkdir(path, 0755);
		return;
	}
	FILE *fp = fopen(path, "w");
	CHECK(fp != NULL);
	if (fp) {
		fputs(text, fp);
		fclose(fp);
	}
}

static inline int has(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int has(const char *fmt, ...)
{
	char rel[512], path[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rel, sizeof rel, fmt, ap);
	va_end(ap);
	snprintf(path, sizeof path, "%s/%s", R, rel);
	return access(path, F_OK) == 0;
}

/* The file's first line, or "" */
static inline const char *get(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline const char *get(const char *fmt, ...)
{
	static char buf[256];
	char rel[512], path[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rel, sizeof rel, fmt, ap);
	va_end(ap);
	snprintf(path, sizeof path, "%s/%s", R, rel);
	buf[0] = '\0';
	FILE *fp = fopen(path, "r");
	if (fp) {
		if (!fgets(buf, sizeof buf, fp))
			buf[0] = '\0';
		fclose(fp);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static inline void fake_root(void)
{
	snprintf(R, sizeof R, "/tmp/hive-cg-XXXXXX");
	CHECK(mkdtemp(R) != NULL);
}

static inline void rm_root(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", R);
	CHECK_EQ_INT(system(cmd), 0);
}

#endif
