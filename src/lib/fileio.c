/* fileio.c — see fileio.h. */
#include "fileio.h"

#include "limits.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int fileio_write_atomic(const char *path, const void *buf, size_t n, mode_t mode)
{
	char tmp[HIVE_PATH_MAX + 8];
	const char *p = buf;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return -ENAMETOOLONG;
	/* A stale .tmp (a crash, or a plant in a shared directory) is removed and
	 * the new one made with O_EXCL, so the file written is ours with our mode. */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return -errno;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = w < 0 ? -errno : -EIO;
			goto fail;
		}
		p += w;
		n -= (size_t)w;
	}
	if (fsync(fd) < 0) {
		rc = -errno;
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = -errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = -errno;
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

ssize_t fileio_read_small(const char *path, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t rc;
	int fd;

	if (cap == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		char probe;
		/* Read into buf, then one byte past it to tell "exactly full" from "too big". */
		rc = len < cap - 1 ? read(fd, buf + len, cap - 1 - len) : read(fd, &probe, 1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			rc = -errno;
			break;
		}
		if (rc == 0) {
			buf[len] = '\0';
			rc = (ssize_t)len;
			break;
		}
		if (len == cap - 1) {
			rc = -EFBIG;
			break;
		}
		len += (size_t)rc;
	}
	close(fd);
	return rc;
}
