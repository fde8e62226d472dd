/*
 * revocation.c — reading and extending the revocation list (see
 * revocation.h). The list is small and read only when a ticket has
 * already passed its MAC check, so it is read whole at each check: no
 * cache to go stale, a revoke is seen at the very next attach.
 */
#include "revocation.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/limits.h"
#include "ticket.h"

/* A line is an id, optionally a blank and a comment: what a line may
 * take, and so what the whole list may. */
#define REVOCATION_LINE_MAX 128u
#define REVOCATION_BYTES_MAX (HIVE_TICKETS_REVOKED_MAX * REVOCATION_LINE_MAX)

__attribute__((format(printf, 3, 4))) static void set_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

static int id_ok(const char *id, size_t n)
{
	if (n != TICKET_ID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return 1;
}

/* Read the list at path: *text is a malloc'd NUL-terminated copy (NULL
 * when the file does not exist: nothing is revoked). 0 or -errno. */
static int list_read(const char *path, char **text)
{
	size_t len = 0;
	struct stat st;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = 0;

	*text = NULL;
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > REVOCATION_BYTES_MAX) {
		rc = -EFBIG;
		goto out;
	}
	/* One byte past the size seen tells a file that grew meanwhile. */
	if (!(buf = malloc((size_t)st.st_size + 2))) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > (size_t)st.st_size) {
			rc = -EAGAIN; /* it grew while read: our writer renames whole files */
			goto out;
		}
	}
	if (memchr(buf, '\0', len)) {
		rc = -EINVAL;
		goto out;
	}
	buf[len] = '\0';
	*text = buf;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

/* Count the ids of a list and tell whether want (may be NULL) is one:
 * the count, or -EBADMSG at a line that is not an id, -EFBIG past
 * HIVE_TICKETS_REVOKED_MAX ids. */
static long list_scan(const char *text, const char *want, int *found)
{
	long count = 0;

	*found = 0;
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		const char *e = nl ? nl : p + strlen(p);
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p < e && *p != '#' && *p != '\r') {
			size_t idn = strcspn(p, " \t\r\n#");
			if (!id_ok(p, idn))
				return -EBADMSG;
			if (++count > (long)HIVE_TICKETS_REVOKED_MAX)
				return -EFBIG;
			if (want && memcmp(p, want, TICKET_ID_LEN) == 0)
				*found = 1;
		}
		p = nl ? nl + 1 : e;
	}
	return count;
}

int revocation_listed(const char *path, const char *id)
{
	char *text;
	int found, rc = list_read(path, &text);

	if (rc < 0)
		return rc;
	long count = list_scan(text, id, &found);
	free(text);
	return count < 0 ? (int)count : found;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int revocation_add(const char *state_dir, const char *id, char *why, size_t whylen)
{
	char path[HIVE_PATH_MAX], tmp[HIVE_PATH_MAX + 16];
	char *text = NULL, *out = NULL;
	int found = 0, fd = -1, rc;
	size_t n = 0;
	long count;

	if (!id || !id_ok(id, strlen(id))) {
		set_why(why, whylen, "a ticket id is %u lowercase hex digits, not '%.40s'", TICKET_ID_LEN,
		        id ? id : "");
		return -EINVAL;
	}
	if ((size_t)snprintf(path, sizeof path, "%s/%s", state_dir, REVOCATION_FILE) >= sizeof path ||
	    (size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
		set_why(why, whylen, "%s: state directory path too long", REVOCATION_FILE);
		return -ENAMETOOLONG;
	}
	rc = list_read(path, &text);
	count = rc < 0 ? rc : list_scan(text, id, &found);
	if (count < 0) {
		rc = (int)count;
		set_why(why, whylen, "cannot read %s: %s", path,
		        rc == -EBADMSG ? "a line is not a ticket id" : strerror(-rc));
		goto out;
	}
	rc = 0;
	if (found)
		goto out;
	if (count >= (long)HIVE_TICKETS_REVOKED_MAX) {
		rc = -ENOSPC;
		set_why(why, whylen, "%s already lists %u tickets (HIVE_TICKETS_REVOKED_MAX): rotate the "
		        "role secrets in tickets.conf instead, which revokes every ticket of a role",
		        path, HIVE_TICKETS_REVOKED_MAX);
		goto out;
	}
	size_t old = text ? strlen(text) : 0, cap = old + REVOCATION_LINE_MAX;
	if (!(out = malloc(cap))) {
		rc = -ENOMEM;
		set_why(why, whylen, "out of memory");
		goto out;
	}
	if (text) {
		memcpy(out, text, old);
		n = old;
		if (n && out[n - 1] != '\n')
			out[n++] = '\n';
	} else {
		n = (size_t)snprintf(out, cap, "# Revoked tickets, one id per line (hive ticket revoke ID).\n");
	}
	n += (size_t)snprintf(out + n, cap - n, "%s\n", id);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = -errno;
		set_why(why, whylen, "cannot create %s: %s", tmp, strerror(-rc));
		goto out;
	}
	rc = write_all(fd, out, n);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		set_why(why, whylen, "cannot write %s: %s", path, strerror(-rc));
	}
out:
	free(text);
	free(out);
	return rc;
}
