/*
 * console_int.h — what the console's files share: the session, the
 * listener state and the pure wire helpers (the attach policy and its
 * throttle are net/auth.h's, shared with 9P).
 *
 * Private to console*.c and their unit tests; the rest of hived sees only
 * console.h. The wire helpers take no hive and no clock, so tests drive
 * them directly.
 */
#ifndef HIVE_CONSOLE_INT_H
#define HIVE_CONSOLE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/limits.h"
#include "hived/net/conn.h"

struct hive;
struct hive_session;

/* --- wire (console_wire.c) ------------------------------------------------ */

/* Bytes of the length prefix; the length counts them too. */
#define CONSOLE_HDR 4u
#define CONSOLE_FRAME_MAX (CONSOLE_HDR + HIVE_CONSOLE_LINE_MAX)

/*
 * Look at the bytes received so far. Returns 1 with *frame_len set when a
 * whole frame is there, 0 when more bytes are needed, -EINVAL when the
 * length prefix is out of range (< 4 or > 4 + HIVE_CONSOLE_LINE_MAX): the
 * stream cannot be resynchronised after that.
 */
int console_frame_parse(const uint8_t *buf, size_t len, size_t *frame_len);
/* Write the 4-byte little-endian header for a payload of n bytes. */
void console_frame_header(uint8_t hdr[CONSOLE_HDR], size_t n);
/*
 * A request line must be non-empty UTF-8 without control characters (a
 * newline inside ECHO would smuggle a second ctl command). Returns 0, or
 * -EINVAL with *why = "empty-line" | "invalid-utf8" | "control-character".
 */
int console_line_check(const uint8_t *p, size_t n, const char **why);
/* Length of the longest prefix of p[0..n) that is at most max bytes and
 * does not end inside a UTF-8 sequence. */
size_t console_utf8_cut(const uint8_t *p, size_t n, size_t max);
/* Make content bytes safe as a reply line in place: invalid UTF-8 and
 * control characters other than tab become '?'. */
void console_sanitize(uint8_t *p, size_t n);

/* --- sessions (console.c) ------------------------------------------------- */

enum console_state { CONSOLE_NEW, CONSOLE_AUTHED, CONSOLE_ATTACHED };

struct console;

struct console_session {
	struct console_session *next, *prev;
	struct console *con;
	struct hive_session *hs; /* role and subject live in hs->who */
	int fd;
	enum console_state state;
	int closing;        /* last reply queued: flush, then close */
	int shut;           /* SHUT_WR sent */
	const char *close_why; /* logged when the session ends; NULL = normal */
	uint32_t events;    /* what the loop watches now */
	struct conn_clock clock; /* auth/attach, frame and idle timeouts */
	uint64_t close_ms;  /* when closing began */
	uint8_t rx[CONSOLE_FRAME_MAX];
	size_t rxlen;
	/* Queued reply frames: reading stops at HIVE_CONSOLE_OUTQ_BYTES_MAX,
	 * and the queue holds at most that plus HIVE_CONSOLE_REPLY_BYTES_MAX. */
	struct conn_outq outq;
};

struct listener;

struct console {
	struct hive *hive;
	struct listener *lst;  /* net/listen.h */
	int timer;
	struct console_session *sessions;
	char portfile[HIVE_PATH_MAX];
};

/* Queue one reply line (printf-style; cut to HIVE_CONSOLE_LINE_MAX at a
 * UTF-8 boundary). Returns 0 or -ENOBUFS when the queue is at its hard
 * bound (the session is then closed). */
int console_reply(struct console_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Queue raw content bytes as one line (sanitized, cut like console_reply). */
int console_reply_bytes(struct console_session *s, const void *data, size_t n);
/* Queue `ERR <verb> reason=<reason> <detail...>`. Denials count in
 * hive->pressure where they are decided (as in srv: denials only). */
int console_refuse(struct console_session *s, const char *verb, const char *reason,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Flush what is queued, then close (after QUIT, a failed AUTH, a bad
 * frame). why, if not NULL, is logged as a `session closed` row. */
void console_close_after_reply(struct console_session *s, const char *why);

/* --- verbs (console_verbs.c) ------------------------------------------------ */

/* Handle one checked request line (NUL-terminated, len bytes). */
void console_dispatch(struct console_session *s, char *line, size_t len);

#endif
