/*
 * hiveclient.h — libhive: a small blocking 9P2000.L client with timeouts,
 * used by every tool (hive, hive mount, benchmarks, tests).
 *
 * One hivec per connection; not thread-safe (one request at a time).
 * Every call returns 0 / a count, or a negative errno (the server's
 * Rlerror code, -ETIMEDOUT, -ECONNRESET, -EPROTO for a malformed reply);
 * hivec_error() gives a message naming what failed.
 */
#ifndef HIVE_HIVECLIENT_H
#define HIVE_HIVECLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct hivec;

struct hivec_stat {
	uint64_t qid_path;
	uint8_t qid_type; /* 0x80 dir, 0x40 append */
	uint32_t mode;    /* Unix mode incl. S_IFDIR/S_IFREG */
	uint64_t size;
	int64_t atime, mtime, ctime;
	uint32_t uid, gid;
	uint64_t nlink;
};

struct hivec_dirent {
	char name[256];
	uint8_t qid_type;
	uint8_t dtype;
};

struct hivec_opts {
	const char *unix_path; /* one of unix_path / tcp_host */
	const char *tcp_host;
	int tcp_port;
	const char *ticket;    /* aname; NULL for peer-credential auth on the Unix socket */
	const char *uname;     /* default "hive" (or the role word of the ticket) */
	uint32_t msize;        /* default 65560 */
	uint32_t timeout_ms;   /* default HIVE_CLIENT_TIMEOUT_MS */
};

/* Connect, negotiate 9P2000.L, attach. Returns NULL with *err set
 * (negative errno) and msg (if non-NULL, cap msglen) explaining why. */
struct hivec *hivec_connect(const struct hivec_opts *o, int *err, char *msg, size_t msglen);
void hivec_close(struct hivec *c);
const char *hivec_error(const struct hivec *c);
uint32_t hivec_msize(const struct hivec *c);
/* The server's version string ("9P2000.L"). */
const char *hivec_version(const struct hivec *c);

/* Whole-path operations (path is absolute; components split on '/'). */
int hivec_stat(struct hivec *c, const char *path, struct hivec_stat *st);
/* Read the whole file into buf (at most cap bytes); returns bytes read. */
ssize_t hivec_read_file(struct hivec *c, const char *path, void *buf, size_t cap);
/* Write data to path (opened for writing, offset 0); returns bytes written. */
ssize_t hivec_write_file(struct hivec *c, const char *path, const void *data, size_t len);
/* List a directory: calls fn for each entry ("." and ".." skipped);
 * fn may make its own hivec calls; fn returning non-zero stops. Returns the number of entries or -errno. */
int hivec_list(struct hivec *c, const char *path,
               int (*fn)(void *arg, const struct hivec_dirent *de), void *arg);

/* Fid-level operations, for tail -f, FUSE and benchmarks. */
int hivec_walk(struct hivec *c, const char *path, uint32_t *fid);
int hivec_open(struct hivec *c, uint32_t fid, uint32_t lflags, uint32_t *iounit);
ssize_t hivec_pread(struct hivec *c, uint32_t fid, uint64_t off, void *buf, size_t n);
ssize_t hivec_pwrite(struct hivec *c, uint32_t fid, uint64_t off, const void *buf, size_t n);
int hivec_fstat(struct hivec *c, uint32_t fid, struct hivec_stat *st);
int hivec_clunk(struct hivec *c, uint32_t fid);

/* --- connection stage, liveness, ping ------------------------------------ */

/* Where hivec_connect_ex failed: dialing, version negotiation or attach
 * (an attach failure is the hive refusing us, e.g. a bad ticket). */
enum hivec_stage { HIVEC_STAGE_CONNECT = 0, HIVEC_STAGE_VERSION, HIVEC_STAGE_ATTACH };
/* hivec_connect, plus *stage (may be NULL) saying where it failed. */
struct hivec *hivec_connect_ex(const struct hivec_opts *o, int *err, int *stage, char *msg,
                               size_t msglen);
/* Handshake on an already connected stream socket (socketpair, inherited
 * fd); takes ownership of fd, closed on failure too. */
struct hivec *hivec_connect_fd_ex(int fd, const struct hivec_opts *o, int *err, int *stage,
                                  char *msg, size_t msglen);
/* 0 once the transport is dead (timeout, bad reply, peer gone): every
 * further call fails; the caller should reconnect. 1 otherwise. */
int hivec_alive(const struct hivec *c);
/* The socket, for poll() by callers that wait on other fds too. */
int hivec_fd(const struct hivec *c);
/* At most this many descriptors ride on one request: stdin, stdout, stderr. */
#define HIVEC_PASS_FDS_MAX 3
/* Send fds (n <= HIVEC_PASS_FDS_MAX, still the caller's, kept open until
 * then) with the next request, SCM_RIGHTS on the Unix socket: `hive run`
 * hands its stdio to the hive with the spawn write, which the hive keeps
 * only when they are exactly three. -EOPNOTSUPP on a TCP connection. */
int hivec_pass_fds(struct hivec *c, const int *fds, unsigned n);

/* One cheap round trip (Tgetattr on the root). Returns 0 or -errno. */
int hivec_ping(struct hivec *c);

#endif
