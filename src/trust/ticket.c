/*
 * ticket.c — tickets in the Cohesix encoding (see ticket.h): decode and
 * verify, mint, expiry, and the per-role secrets in tickets.conf.
 *
 * A ticket is the only thing a TCP or console peer shows to get a role,
 * so the decoder is strict and fails closed: one canonical encoding
 * (lowercase hex, known flags, valid UTF-8 without NULs, no trailing
 * bytes), the MAC checked in constant time before any field is trusted,
 * and every length bounded by limits.h.
 */
#include "ticket.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/blake3.h"
#include "revocation.h"

#define TICKET_VERSION 1
#define TICKET_PREFIX_LEN (sizeof TICKET_PREFIX - 1)
#define TICKET_MAC_HEX (2 * BLAKE3_OUT_LEN)
#define TICKET_F_KNOWN (TICKET_F_TICKS | TICKET_F_OPS | TICKET_F_TTL | TICKET_F_SUBJECT | \
                        TICKET_F_SCOPES | TICKET_F_QUOTAS)
/* Largest payload whose token still fits HIVE_TICKET_TOKEN_MAX:
 * prefix + 2 hex per byte + '.' + MAC hex. */
#define TICKET_PAYLOAD_MAX ((HIVE_TICKET_TOKEN_MAX - TICKET_PREFIX_LEN - 1 - TICKET_MAC_HEX) / 2)
/* Shortest payload: version, role, flags, issued_at_ms, two empty strings. */
#define TICKET_PAYLOAD_MIN (3 + 8 + 2 + 2)
#define TICKETS_CONF "tickets.conf"

static const char *const role_names[TICKET_ROLE_CODES] = {
	[TICKET_ROLE_QUEEN] = "queen",
	[TICKET_ROLE_WORKER_HEARTBEAT] = "worker-heartbeat",
	[TICKET_ROLE_WORKER_GPU] = "worker-gpu",
	[TICKET_ROLE_WORKER_BUS] = "worker-bus",
	[TICKET_ROLE_WORKER_LORA] = "worker-lora",
	[TICKET_ROLE_OBSERVER] = "observer",
};

int ticket_role_code_parse(const char *word)
{
	if (!word)
		return -1;
	if (strcmp(word, "worker") == 0)
		return TICKET_ROLE_WORKER_HEARTBEAT;
	for (int i = 0; i < TICKET_ROLE_CODES; i++)
		if (strcmp(word, role_names[i]) == 0)
			return i;
	return -1;
}

const char *ticket_role_code_name(int code)
{
	if (code < 0 || code >= TICKET_ROLE_CODES)
		return "unknown";
	return role_names[code];
}

enum hive_role ticket_hive_role(int code)
{
	switch (code) {
	case TICKET_ROLE_QUEEN:
		return HIVE_ROLE_QUEEN;
	case TICKET_ROLE_WORKER_HEARTBEAT:
	case TICKET_ROLE_WORKER_GPU:
	case TICKET_ROLE_WORKER_BUS:
	case TICKET_ROLE_WORKER_LORA:
		return HIVE_ROLE_WORKER;
	case TICKET_ROLE_OBSERVER:
		return HIVE_ROLE_OBSERVER;
	default:
		return HIVE_ROLE_NONE;
	}
}

void ticket_key_from_secret(const char *secret, uint8_t key[TICKET_KEY_LEN])
{
	blake3_hash(secret, secret ? strlen(secret) : 0, key);
}

void ticket_keys_set(struct ticket_keys *keys, enum ticket_role_code code, const char *secret)
{
	if ((int)code < 0 || code >= TICKET_ROLE_CODES)
		return;
	if (!secret) {
		keys->present[code] = 0;
		sodium_memzero(keys->key[code], TICKET_KEY_LEN);
		return;
	}
	ticket_key_from_secret(secret, keys->key[code]);
	keys->present[code] = 1;
}

/* --- UTF-8 ------------------------------------------------------------- */

/* Well-formed UTF-8 (no overlongs, surrogates or code points past
 * U+10FFFF) and no NUL, which would cut the string short in C. */
static int utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		size_t more;
		uint32_t cp;
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			more = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			more = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			more = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i - 1 < more)
			return 0;
		for (size_t k = 1; k <= more; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if ((more == 2 && cp < 0x800) || (more == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += more + 1;
	}
	return 1;
}

/* --- payload reader ---------------------------------------------------- */

struct tk_rd {
	const uint8_t *p;
	size_t len, off;
	int bad;
};

static uint64_t rd_uint(struct tk_rd *r, size_t n)
{
	uint64_t v = 0;
	if (r->bad || r->len - r->off < n) {
		r->bad = 1;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)r->p[r->off + i] << (8 * i);
	r->off += n;
	return v;
}

/* A u16-length string into dst (cap HIVE_TICKET_STR_MAX + 1), at most max bytes. */
static void rd_str(struct tk_rd *r, char *dst, size_t max)
{
	size_t n = (size_t)rd_uint(r, 2);
	dst[0] = '\0';
	if (r->bad)
		return;
	if (n > max || n > HIVE_TICKET_STR_MAX || r->len - r->off < n ||
	    !utf8_ok(r->p + r->off, n)) {
		r->bad = 1;
		return;
	}
	memcpy(dst, r->p + r->off, n);
	dst[n] = '\0';
	r->off += n;
}

/* Decode a payload whose MAC has already been checked. */
static int ticket_decode(const uint8_t *p, size_t len, struct ticket *t)
{
	struct tk_rd r = { .p = p, .len = len };
	memset(t, 0, sizeof *t);
	t->version = (uint8_t)rd_uint(&r, 1);
	t->role_code = (uint8_t)rd_uint(&r, 1);
	t->flags = (uint8_t)rd_uint(&r, 1);
	if (r.bad || t->version != TICKET_VERSION || t->role_code >= TICKET_ROLE_CODES ||
	    (t->flags & ~TICKET_F_KNOWN))
		return -EINVAL;
	if (t->flags & TICKET_F_TICKS)
		t->ticks = rd_uint(&r, 8);
	if (t->flags & TICKET_F_OPS)
		t->ops = rd_uint(&r, 8);
	if (t->flags & TICKET_F_TTL)
		t->ttl_s = rd_uint(&r, 8);
	/* A subject longer than a principal can hold would be cut, and two
	 * cut subjects could collide: refuse it instead. */
	if (t->flags & TICKET_F_SUBJECT)
		rd_str(&r, t->subject, HIVE_SUBJECT_MAX);
	t->issued_at_ms = rd_uint(&r, 8);
	rd_str(&r, t->mount_service, HIVE_TICKET_STR_MAX);
	rd_str(&r, t->mount_at, HIVE_TICKET_STR_MAX);
	if (t->flags & TICKET_F_SCOPES) {
		size_t n = (size_t)rd_uint(&r, 1);
		if (n > HIVE_TICKET_SCOPES_MAX)
			r.bad = 1;
		for (size_t i = 0; i < n && !r.bad; i++) {
			struct ticket_scope *s = &t->scopes[i];
			rd_str(&r, s->path, HIVE_TICKET_STR_MAX);
			s->verb = (uint8_t)rd_uint(&r, 1);
			s->rate_per_s = (uint32_t)rd_uint(&r, 4);
			if (s->verb > TICKET_VERB_RW)
				r.bad = 1;
		}
		t->nscopes = (uint8_t)n;
	}
	if (t->flags & TICKET_F_QUOTAS) {
		t->bandwidth_bytes = rd_uint(&r, 8);
		t->cursor_resumes = (uint32_t)rd_uint(&r, 4);
		t->cursor_advances = (uint32_t)rd_uint(&r, 4);
	}
	if (r.bad || r.off != r.len)
		return -EINVAL;
	return 0;
}

/* --- payload writer ---------------------------------------------------- */

struct tk_wr {
	uint8_t p[TICKET_PAYLOAD_MAX];
	size_t len;
	int over;
};

static void wr_uint(struct tk_wr *w, uint64_t v, size_t n)
{
	if (sizeof w->p - w->len < n) {
		w->over = 1;
		return;
	}
	for (size_t i = 0; i < n; i++)
		w->p[w->len++] = (uint8_t)(v >> (8 * i));
}

/* Returns -EINVAL for a string the decoder would refuse. */
static int wr_str(struct tk_wr *w, const char *s, size_t cap, size_t max)
{
	size_t n = strnlen(s, cap);
	if (n == cap || n > max || !utf8_ok((const uint8_t *)s, n))
		return -EINVAL;
	wr_uint(w, n, 2);
	if (sizeof w->p - w->len < n) {
		w->over = 1;
		return 0;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
	return 0;
}

static int ticket_encode(const struct ticket *t, struct tk_wr *w)
{
	if (t->version != TICKET_VERSION || t->role_code >= TICKET_ROLE_CODES ||
	    (t->flags & ~TICKET_F_KNOWN))
		return -EINVAL;
	wr_uint(w, t->version, 1);
	wr_uint(w, t->role_code, 1);
	wr_uint(w, t->flags, 1);
	if (t->flags & TICKET_F_TICKS)
		wr_uint(w, t->ticks, 8);
	if (t->flags & TICKET_F_OPS)
		wr_uint(w, t->ops, 8);
	if (t->flags & TICKET_F_TTL)
		wr_uint(w, t->ttl_s, 8);
	if ((t->flags & TICKET_F_SUBJECT) &&
	    wr_str(w, t->subject, sizeof t->subject, HIVE_SUBJECT_MAX) < 0)
		return -EINVAL;
	wr_uint(w, t->issued_at_ms, 8);
	if (wr_str(w, t->mount_service, sizeof t->mount_service, HIVE_TICKET_STR_MAX) < 0 ||
	    wr_str(w, t->mount_at, sizeof t->mount_at, HIVE_TICKET_STR_MAX) < 0)
		return -EINVAL;
	if (t->flags & TICKET_F_SCOPES) {
		if (t->nscopes > HIVE_TICKET_SCOPES_MAX)
			return -EINVAL;
		wr_uint(w, t->nscopes, 1);
		for (size_t i = 0; i < t->nscopes; i++) {
			const struct ticket_scope *s = &t->scopes[i];
			if (s->verb > TICKET_VERB_RW ||
			    wr_str(w, s->path, sizeof s->path, HIVE_TICKET_STR_MAX) < 0)
				return -EINVAL;
			wr_uint(w, s->verb, 1);
			wr_uint(w, s->rate_per_s, 4);
		}
	}
	if (t->flags & TICKET_F_QUOTAS) {
		wr_uint(w, t->bandwidth_bytes, 8);
		wr_uint(w, t->cursor_resumes, 4);
		wr_uint(w, t->cursor_advances, 4);
	}
	return w->over ? -ENOSPC : 0;
}

/* --- hex ---------------------------------------------------------------- */

static const char hex_digits[] = "0123456789abcdef";

static void hex_encode(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex_digits[b[i] >> 4];
		out[2 * i + 1] = hex_digits[b[i] & 15];
	}
}

/* Lowercase only: one canonical spelling per ticket. */
static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int hex_decode(const char *s, size_t n, uint8_t *out)
{
	if (n % 2)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_nibble(s[2 * i]), lo = hex_nibble(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* --- mint and verify ---------------------------------------------------- */

int ticket_mint(const struct ticket *t, const uint8_t key[TICKET_KEY_LEN], char *out, size_t cap)
{
	struct tk_wr w = { .len = 0 };
	uint8_t mac[BLAKE3_OUT_LEN];
	int rc = ticket_encode(t, &w);
	if (rc < 0)
		return rc;
	size_t need = TICKET_PREFIX_LEN + 2 * w.len + 1 + TICKET_MAC_HEX;
	if (need > HIVE_TICKET_TOKEN_MAX || need + 1 > cap)
		return -ENOSPC;
	blake3_keyed_hash(key, w.p, w.len, mac);
	memcpy(out, TICKET_PREFIX, TICKET_PREFIX_LEN);
	hex_encode(w.p, w.len, out + TICKET_PREFIX_LEN);
	out[TICKET_PREFIX_LEN + 2 * w.len] = '.';
	hex_encode(mac, sizeof mac, out + TICKET_PREFIX_LEN + 2 * w.len + 1);
	out[need] = '\0';
	return (int)need;
}

static void id_from_mac(const uint8_t mac[BLAKE3_OUT_LEN], char id[TICKET_ID_LEN + 1])
{
	uint8_t h[BLAKE3_OUT_LEN];

	blake3_hash(mac, BLAKE3_OUT_LEN, h);
	hex_encode(h, TICKET_ID_LEN / 2, id);
	id[TICKET_ID_LEN] = '\0';
}

int ticket_id(const char *token, char id[TICKET_ID_LEN + 1])
{
	uint8_t mac[BLAKE3_OUT_LEN];
	size_t len;
	const char *dot;

	if (!token || strncmp(token, TICKET_PREFIX, TICKET_PREFIX_LEN) != 0)
		return -EINVAL;
	len = strnlen(token, HIVE_TICKET_TOKEN_MAX + 1);
	dot = memchr(token, '.', len);
	if (len > HIVE_TICKET_TOKEN_MAX || !dot || len - (size_t)(dot + 1 - token) != TICKET_MAC_HEX ||
	    hex_decode(dot + 1, TICKET_MAC_HEX, mac) < 0)
		return -EINVAL;
	id_from_mac(mac, id);
	return 0;
}

static int verify_fail(int rc, const char *reason, const char **why, struct ticket *out)
{
	if (why)
		*why = reason;
	if (out)
		memset(out, 0, sizeof *out);
	return rc;
}

/*
 * Errors: -EINVAL "malformed", -EPERM "unknown-role", -ENOKEY "no-key",
 * -EACCES "bad-mac". The MAC is checked before the payload is parsed past
 * its role byte, so a forged payload never reaches the field decoder.
 */
int ticket_verify(const char *token, const struct ticket_keys *keys, struct ticket *out,
                  const char **why)
{
	uint8_t payload[TICKET_PAYLOAD_MAX], mac[BLAKE3_OUT_LEN], want[BLAKE3_OUT_LEN];
	struct ticket t;
	if (!token)
		return verify_fail(-EINVAL, "malformed", why, out);
	size_t len = strnlen(token, HIVE_TICKET_TOKEN_MAX + 1);
	if (len > HIVE_TICKET_TOKEN_MAX || strncmp(token, TICKET_PREFIX, TICKET_PREFIX_LEN) != 0)
		return verify_fail(-EINVAL, "malformed", why, out);
	const char *body = token + TICKET_PREFIX_LEN;
	const char *dot = memchr(body, '.', len - TICKET_PREFIX_LEN);
	if (!dot)
		return verify_fail(-EINVAL, "malformed", why, out);
	size_t phex = (size_t)(dot - body), mhex = len - TICKET_PREFIX_LEN - phex - 1;
	if (phex < 2 * TICKET_PAYLOAD_MIN || phex > 2 * TICKET_PAYLOAD_MAX || mhex != TICKET_MAC_HEX ||
	    hex_decode(body, phex, payload) < 0 || hex_decode(dot + 1, mhex, mac) < 0)
		return verify_fail(-EINVAL, "malformed", why, out);
	size_t plen = phex / 2;
	if (payload[0] != TICKET_VERSION)
		return verify_fail(-EINVAL, "malformed", why, out);
	uint8_t role = payload[1];
	if (role >= TICKET_ROLE_CODES)
		return verify_fail(-EPERM, "unknown-role", why, out);
	if (!keys || !keys->present[role])
		return verify_fail(-ENOKEY, "no-key", why, out);
	blake3_keyed_hash(keys->key[role], payload, plen, want);
	if (sodium_memcmp(want, mac, sizeof mac) != 0)
		return verify_fail(-EACCES, "bad-mac", why, out);
	if (ticket_decode(payload, plen, &t) < 0)
		return verify_fail(-EINVAL, "malformed", why, out);
	id_from_mac(mac, t.id);
	t.ttl_max_s = keys->ttl_max_s;
	/* Only a ticket we minted reaches the list: a stranger's forgeries
	 * cost no file read. */
	if (keys->revoked_path[0]) {
		int listed = revocation_listed(keys->revoked_path, t.id);
		if (listed < 0)
			return verify_fail(-EIO, "revocation-list-unreadable", why, out);
		if (listed)
			return verify_fail(-EKEYREVOKED, "revoked", why, out);
	}
	if (out)
		*out = t;
	if (why)
		*why = "ok";
	return 0;
}

int ticket_expired(const struct ticket *t, uint64_t now_ms)
{
	uint64_t max_s = t->ttl_max_s ? t->ttl_max_s : HIVE_TICKET_TTL_MAX_S;
	uint64_t life_s = (t->flags & TICKET_F_TTL) && t->ttl_s < max_s ? t->ttl_s : max_s;

	if (t->issued_at_ms > now_ms && t->issued_at_ms - now_ms > HIVE_TICKET_SKEW_MS_MAX)
		return TICKET_TIME_FUTURE;
	/* Saturate: an end past 2^64 ms is the end of time, not a wrap to the past. */
	uint64_t life_ms = life_s > UINT64_MAX / 1000 ? UINT64_MAX : life_s * 1000;
	uint64_t end = t->issued_at_ms > UINT64_MAX - life_ms ? UINT64_MAX : t->issued_at_ms + life_ms;
	return end <= now_ms ? TICKET_TIME_EXPIRED : TICKET_TIME_OK;
}

/* Sets role and subject; session_id and transport belong to the caller. */
void ticket_principal(const struct ticket *t, struct principal *who)
{
	/* verify refuses subjects over HIVE_SUBJECT_MAX, so nothing is cut here. */
	size_t n = (t->flags & TICKET_F_SUBJECT) ? strnlen(t->subject, HIVE_SUBJECT_MAX) : 0;
	who->role = ticket_hive_role(t->role_code);
	memcpy(who->subject, t->subject, n);
	who->subject[n] = '\0';
}

/* --- tickets.conf ------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write a fresh tickets.conf with one random secret per role; 0600 from
 * the start (O_EXCL) so no other user ever sees a secret. */
static int conf_create(const char *path, struct err *err)
{
	char buf[HIVE_TICKETS_CONF_MAX];
	uint8_t rnd[HIVE_TICKET_SECRET_RANDOM];
	char hex[2 * HIVE_TICKET_SECRET_RANDOM + 1];
	int len, rc, fd;
	if (sodium_init() < 0) {
		err_set(err, EIO, "%s: libsodium failed to initialise", path);
		return -EIO;
	}
	len = snprintf(buf, sizeof buf,
	               "# Hive ticket secrets, one line per role: role=secret.\n"
	               "# A ticket's MAC key is BLAKE3(secret). Keep this file mode 0600.\n");
	for (int i = 0; i < TICKET_ROLE_CODES; i++) {
		randombytes_buf(rnd, sizeof rnd);
		hex_encode(rnd, sizeof rnd, hex);
		hex[sizeof hex - 1] = '\0';
		len += snprintf(buf + len, sizeof buf - (size_t)len, "%s=%s\n", role_names[i], hex);
	}
	sodium_memzero(rnd, sizeof rnd);
	sodium_memzero(hex, sizeof hex);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		sodium_memzero(buf, sizeof buf);
		if (rc == -EEXIST)
			return 0; /* someone else made it first: load theirs */
		err_set(err, -rc, "cannot create %s: %s", path, strerror(-rc));
		return rc;
	}
	rc = write_all(fd, buf, (size_t)len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	sodium_memzero(buf, sizeof buf);
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0) {
		unlink(path);
		err_set(err, -rc, "cannot write %s: %s", path, strerror(-rc));
	}
	return rc;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Parse `role=secret` lines into keys; err names the line on error. */
static int conf_parse(char *text, size_t len, const char *path, struct ticket_keys *keys, struct err *err)
{
	size_t lineno = 0;
	uint8_t seen[TICKET_ROLE_CODES] = { 0 };
	char *p = text, *end = text + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e = nl ? nl : end;
		char *next = nl ? nl + 1 : end;
		lineno++;
		while (p < e && is_space(*p))
			p++;
		while (e > p && is_space(e[-1]))
			e--;
		if (p == e || *p == '#') {
			p = next;
			continue;
		}
		*e = '\0';
		char *eq = strchr(p, '=');
		if (!eq) {
			err_set(err, EINVAL, "%s:%zu: expected role=secret", path, lineno);
			return -EINVAL;
		}
		char *re = eq, *s = eq + 1;
		while (re > p && is_space(re[-1]))
			re--;
		*re = '\0';
		while (*s && is_space(*s))
			s++;
		if (strcmp(p, "ttl_max") == 0) {
			char *vend;
			errno = 0;
			unsigned long long v = strtoull(s, &vend, 10);
			if (*s < '0' || *s > '9' || *vend || errno || v == 0 || v > TICKET_TTL_MAX_CEILING_S) {
				err_set(err, EINVAL, "%s:%zu: ttl_max wants seconds from 1 to %llu", path,
				        lineno, (unsigned long long)TICKET_TTL_MAX_CEILING_S);
				return -EINVAL;
			}
			keys->ttl_max_s = v;
			p = next;
			continue;
		}
		int code = ticket_role_code_parse(p);
		if (code < 0) {
			err_set(err, EINVAL, "%s:%zu: unknown role", path, lineno);
			return -EINVAL;
		}
		if (seen[code]) {
			err_set(err, EINVAL, "%s:%zu: role given twice", path, lineno);
			return -EINVAL;
		}
		size_t slen = strlen(s);
		if (slen == 0 || slen > HIVE_SECRET_MAX) {
			err_set(err, EINVAL, "%s:%zu: secret empty or longer than HIVE_SECRET_MAX",
			        path, lineno);
			return -EINVAL;
		}
		seen[code] = 1;
		ticket_keys_set(keys, (enum ticket_role_code)code, s);
		p = next;
	}
	return 0;
}

int ticket_keys_load(struct ticket_keys *keys, const char *state_dir, int create, struct err *err)
{
	char path[HIVE_PATH_MAX];
	char buf[HIVE_TICKETS_CONF_MAX + 1];
	size_t len = 0;
	struct stat st;
	int fd, rc;
	memset(keys, 0, sizeof *keys);
	if (!state_dir || (size_t)snprintf(path, sizeof path, "%s/%s", state_dir, TICKETS_CONF) >=
	                          sizeof path) {
		err_set(err, ENAMETOOLONG, "%s: state directory path too long", TICKETS_CONF);
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		rc = conf_create(path, err);
		if (rc < 0)
			return rc;
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		rc = -errno;
		err_set(err, -rc, "cannot open %s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		err_set(err, -rc, "cannot stat %s: %s", path, strerror(-rc));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		err_set(err, -rc, "%s: not a regular file", path);
		goto fail;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof buf - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			err_set(err, -rc, "cannot read %s: %s", path, strerror(-rc));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > HIVE_TICKETS_CONF_MAX) {
			rc = -EFBIG;
			err_set(err, -rc, "%s: larger than HIVE_TICKETS_CONF_MAX", path);
			goto fail;
		}
	}
	close(fd);
	fd = -1;
	if (memchr(buf, '\0', len)) {
		rc = -EINVAL;
		err_set(err, -rc, "%s: contains a NUL byte", path);
		goto fail;
	}
	buf[len] = '\0';
	rc = conf_parse(buf, len, path, keys, err);
	if (rc < 0)
		goto fail;
	sodium_memzero(buf, sizeof buf);
	snprintf(keys->revoked_path, sizeof keys->revoked_path, "%s/%s", state_dir, REVOCATION_FILE);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	sodium_memzero(buf, sizeof buf);
	sodium_memzero(keys, sizeof *keys);
	return rc;
}
