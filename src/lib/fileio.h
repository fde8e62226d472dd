/*
 * fileio.h — the small files a hive keeps (port files, keys, ticket lists,
 * secrets): written whole or not at all, read with a bound, so a crash or a
 * hostile file can neither leave half a key nor grow a reader's memory.
 */
#ifndef HIVE_FILEIO_H
#define HIVE_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Write n bytes to path through path.tmp + fsync + rename, with mode.
 * Readers see the old file or the new one, never a mix. Returns 0 or -errno. */
int fileio_write_atomic(const char *path, const void *buf, size_t n, mode_t mode);
/* Read the whole of path into buf (at most cap-1 bytes) and NUL-terminate.
 * Returns the length, or -errno (-EFBIG when the file is larger than cap-1). */
ssize_t fileio_read_small(const char *path, char *buf, size_t cap);

#endif
