/*
 * secret.c — secret_read_file: a secret's first line from a file, read
 * with fileio's bound. See secret.h.
 */
#include "lib/secret.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fileio.h"

/* Room past the secret for its line end and trailing blank lines. */
#define SECRET_SLACK 64u

int secret_read_file(const char *path, char *out, size_t cap, struct err *err)
{
	const char *from, *nl;
	char *buf;
	ssize_t n;
	size_t len;
	int rc = 0;

	if (!path || !out || cap < 2)
		return err_set(err, EINVAL, "no secret file named");
	from = strcmp(path, "-") == 0 ? "/dev/stdin" : path;
	if (!(buf = malloc(cap + SECRET_SLACK)))
		return err_set(err, ENOMEM, "out of memory reading %s", path);
	n = fileio_read_small(from, buf, cap + SECRET_SLACK);
	if (n < 0) {
		rc = n == -EFBIG ? err_set(err, EMSGSIZE, "%s: the secret is longer than %zu bytes", path, cap - 1)
		                 : err_set(err, (int)-n, "cannot read %s: %s", path, strerror((int)-n));
		goto done;
	}
	nl = memchr(buf, '\n', (size_t)n);
	len = nl ? (size_t)(nl - buf) : (size_t)n;
	if (memchr(buf, '\0', len)) {
		rc = err_set(err, EINVAL, "%s: the secret holds a NUL byte", path);
		goto done;
	}
	while (len > 0 && (buf[len - 1] == '\r' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (len >= cap) {
		rc = err_set(err, EMSGSIZE, "%s: the secret is longer than %zu bytes", path, cap - 1);
		goto done;
	}
	if (len == 0) {
		rc = err_set(err, EINVAL, "%s: empty: no secret in it", path);
		goto done;
	}
	memcpy(out, buf, len);
	out[len] = '\0';
done:
	memset(buf, 0, cap + SECRET_SLACK);
	free(buf);
	return rc;
}
