/*
 * revocation.c — reading and extending the revocation list (see
 * revocation.h). The list is small and read only when a ticket has
 * already passed its MAC check, so it is read whole at each check: no
 * cache to go stale, a revoke is seen at the very next attach.
 */
#include "revocation.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fileio.h"
#include "lib/limits.h"
#include "lib/statedir.h"
#include "ticket.h"

/* What the whole list may take (64 KiB, one heap block). */
#define REVOCATION_BYTES_MAX (HIVE_TICKETS_REVOKED_MAX * HIVE_REVOCATION_LINE_MAX)

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
	char *buf = malloc(REVOCATION_BYTES_MAX + 1);
	ssize_t n;

	*text = NULL;
	if (!buf)
		return -ENOMEM;
	n = fileio_read_small(path, buf, REVOCATION_BYTES_MAX + 1);
	if (n < 0) {
		free(buf);
		return n == -ENOENT ? 0 : (int)n;
	}
	if (memchr(buf, '\0', (size_t)n)) {
		free(buf);
		return -EBADMSG;
	}
	*text = buf;
	return 0;
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

int revocation_add(const char *state_dir, const char *id, struct err *err)
{
	char path[HIVE_PATH_MAX];
	char *text = NULL, *out = NULL;
	int found = 0, rc;
	size_t n = 0;
	long count;

	if (!id || !id_ok(id, strlen(id))) {
		err_set(err, EINVAL, "a ticket id is %u lowercase hex digits, not '%.40s'", TICKET_ID_LEN,
		        id ? id : "");
		return -EINVAL;
	}
	if (statedir_path(state_dir, REVOCATION_FILE, path, sizeof path) < 0) {
		err_set(err, ENAMETOOLONG, "%s: state directory path too long", REVOCATION_FILE);
		return -ENAMETOOLONG;
	}
	rc = list_read(path, &text);
	count = rc < 0 ? rc : list_scan(text, id, &found);
	if (count < 0) {
		rc = (int)count;
		err_set(err, -rc, "cannot read %s: %s", path,
		        rc == -EBADMSG ? "a line is not a ticket id" : strerror(-rc));
		goto out;
	}
	rc = 0;
	if (found)
		goto out;
	if (count >= (long)HIVE_TICKETS_REVOKED_MAX) {
		rc = -ENOSPC;
		err_set(err, -rc, "%s already lists %u tickets (HIVE_TICKETS_REVOKED_MAX): rotate the "
		        "role secrets in tickets.conf instead, which revokes every ticket of a role",
		        path, HIVE_TICKETS_REVOKED_MAX);
		goto out;
	}
	static const char header[] = "# Revoked tickets, one id per line (hive ticket revoke ID).\n";
	size_t old = text ? strlen(text) : 0, cap = old + sizeof header + TICKET_ID_LEN + 2;
	if (!(out = malloc(cap))) {
		rc = -ENOMEM;
		err_set(err, -rc, "out of memory");
		goto out;
	}
	if (text) {
		memcpy(out, text, old);
		n = old;
		if (n && out[n - 1] != '\n')
			out[n++] = '\n';
	} else {
		memcpy(out, header, sizeof header - 1);
		n = sizeof header - 1;
	}
	n += (size_t)snprintf(out + n, cap - n, "%s\n", id);
	rc = fileio_write_atomic(path, out, n, 0600);
	if (rc < 0)
		err_set(err, -rc, "cannot write %s: %s", path, strerror(-rc));
out:
	free(text);
	free(out);
	return rc;
}
