/*
 * sigkey.c — Ed25519 key pairs, their one-line files and detached
 * signatures. Every file is read with a bound and parsed strictly: one
 * tag, one base64 field of the exact length, an optional comment, one
 * optional newline, nothing else.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/blake3.h"
#include "lib/fileio.h"
#include "sigkey.h"

#define B64_VARIANT sodium_base64_VARIANT_ORIGINAL

static int sigkey_sodium(struct err *err)
{
	if (sodium_init() < 0)
		return err_set(err, EIO, "libsodium failed to initialise");
	return 0;
}

void sigkey_id(const uint8_t pk[SIGKEY_PUB_LEN], char id[SIGKEY_ID_LEN + 1])
{
	uint8_t h[BLAKE3_OUT_LEN];
	blake3_hash(pk, SIGKEY_PUB_LEN, h);
	sodium_bin2hex(id, SIGKEY_ID_LEN + 1, h, SIGKEY_ID_BYTES);
}

int sigkey_id_valid(const char *s)
{
	size_t i;
	for (i = 0; i < SIGKEY_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

/* Printable ASCII, no space at either end: it is shown on one line. */
static int sigkey_comment_ok(const char *c, size_t n)
{
	if (n > HIVE_KEY_COMMENT_MAX || (n && (c[0] == ' ' || c[n - 1] == ' ')))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (c[i] < 0x20 || c[i] > 0x7e)
			return 0;
	return 1;
}

/* Split "TAG B64[ REST]\n?" into the base64 field and the rest. */
static int sigkey_line(const char *text, const char *tag, const char **b64, size_t *b64n,
                       const char **rest, size_t *restn)
{
	size_t tl = strlen(tag), n = strlen(text);
	if (n && text[n - 1] == '\n')
		n--;
	if (memchr(text, '\n', n) || n <= tl || memcmp(text, tag, tl) != 0 || text[tl] != ' ')
		return -EBADMSG;
	const char *p = text + tl + 1, *end = text + n;
	const char *sp = memchr(p, ' ', (size_t)(end - p));
	if (sp && sp + 1 == end)
		return -EBADMSG;
	*b64 = p;
	*b64n = (size_t)((sp ? sp : end) - p);
	*rest = sp ? sp + 1 : end;
	*restn = (size_t)(end - *rest);
	return 0;
}

/* Decode exactly want bytes from a base64 field, which must be the one
 * canonical encoding of them: a key or signature has a single spelling. */
static int sigkey_b64(const char *b64, size_t n, uint8_t *out, size_t want)
{
	char again[sodium_base64_ENCODED_LEN(SIGKEY_SIG_LEN, B64_VARIANT)];
	size_t got = 0;
	const char *end = NULL;
	if (want > SIGKEY_SIG_LEN ||
	    sodium_base642bin(out, want, b64, n, NULL, &got, &end, B64_VARIANT) != 0 || got != want ||
	    end != b64 + n)
		return -EBADMSG;
	sodium_bin2base64(again, sizeof again, out, want, B64_VARIANT);
	return strlen(again) == n && !memcmp(again, b64, n) ? 0 : -EBADMSG;
}

static int sigkey_set_comment(char *dst, const char *c, size_t n, struct err *err)
{
	if (!sigkey_comment_ok(c, n))
		return err_set(err, EINVAL, "key comment: printable ASCII of at most %u bytes, "
		               "no space at either end", HIVE_KEY_COMMENT_MAX);
	memcpy(dst, c, n);
	dst[n] = '\0';
	return 0;
}

int sigkey_generate(struct sigkey *k, const char *comment, struct err *err)
{
	int rc = sigkey_sodium(err);
	if (rc < 0)
		return rc;
	memset(k, 0, sizeof *k);
	rc = sigkey_set_comment(k->pub.comment, comment ? comment : "", comment ? strlen(comment) : 0,
	                        err);
	if (rc < 0)
		return rc;
	randombytes_buf(k->seed, sizeof k->seed);
	crypto_sign_seed_keypair(k->pub.pk, k->sk, k->seed);
	sigkey_id(k->pub.pk, k->pub.id);
	return 0;
}

void sigkey_wipe(struct sigkey *k)
{
	sodium_memzero(k, sizeof *k);
}

int sigkey_pub_format(const struct sigkey_pub *p, char *out, size_t cap)
{
	char b64[sodium_base64_ENCODED_LEN(SIGKEY_PUB_LEN, B64_VARIANT)];
	sodium_bin2base64(b64, sizeof b64, p->pk, SIGKEY_PUB_LEN, B64_VARIANT);
	int n = snprintf(out, cap, "%s %s%s%s\n", SIGKEY_PUB_TAG, b64, p->comment[0] ? " " : "",
	                 p->comment);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

/* The secret goes through keypath.tmp: in a directory others can write,
 * they could have made that file first and read what we write into it. */
static int sigkey_private_dir(const char *keypath, struct err *err)
{
	char dir[HIVE_PATH_MAX];
	struct stat st;
	const char *slash = strrchr(keypath, '/');
	int n = slash ? snprintf(dir, sizeof dir, "%.*s", (int)(slash - keypath), keypath) :
	                snprintf(dir, sizeof dir, ".");
	if (n < 0 || (size_t)n >= sizeof dir)
		return err_set(err, ENAMETOOLONG, "%s: path too long", keypath);
	if (!dir[0])
		snprintf(dir, sizeof dir, "/");
	if (stat(dir, &st) < 0)
		return err_set(err, errno, "%s: %s", dir, strerror(errno));
	if (st.st_mode & 022)
		return err_set(err, EACCES, "%s: others can write this directory; keep secret keys in a "
		               "private one (chmod 700, or the default <state>/keys)", dir);
	return 0;
}

int sigkey_save(const struct sigkey *k, const char *keypath, const char *pubpath, struct err *err)
{
	char line[HIVE_KEY_FILE_MAX];
	char b64[sodium_base64_ENCODED_LEN(SIGKEY_SEED_LEN, B64_VARIANT)];
	int rc = 0, n;

	if (keypath && (rc = sigkey_private_dir(keypath, err)) < 0)
		return rc;
	if (keypath) {
		sodium_bin2base64(b64, sizeof b64, k->seed, SIGKEY_SEED_LEN, B64_VARIANT);
		n = snprintf(line, sizeof line, "%s %s%s%s\n", SIGKEY_KEY_TAG, b64,
		             k->pub.comment[0] ? " " : "", k->pub.comment);
		rc = fileio_write_atomic(keypath, line, (size_t)n, 0600);
		sodium_memzero(b64, sizeof b64);
		sodium_memzero(line, sizeof line);
		if (rc < 0)
			return err_set(err, -rc, "%s: cannot write the secret key: %s", keypath, strerror(-rc));
	}
	if (pubpath) {
		n = sigkey_pub_format(&k->pub, line, sizeof line);
		rc = n < 0 ? n : fileio_write_atomic(pubpath, line, (size_t)n, 0644);
		if (rc < 0)
			return err_set(err, -rc, "%s: cannot write the public key: %s", pubpath, strerror(-rc));
	}
	return 0;
}

static ssize_t sigkey_read(const char *path, char *buf, size_t cap, const char *what, struct err *err)
{
	ssize_t n = fileio_read_small(path, buf, cap);
	if (n == -EFBIG)
		return err_set(err, EBADMSG, "%s: not a %s (larger than %u bytes)", path, what,
		               HIVE_KEY_FILE_MAX);
	if (n < 0)
		return err_set(err, (int)-n, "%s: cannot read the %s: %s", path, what, strerror((int)-n));
	if (memchr(buf, '\0', (size_t)n))
		return err_set(err, EBADMSG, "%s: not a %s (holds a NUL byte)", path, what);
	return n;
}

/* Fill k from a secret key line; the caller wipes text. */
static int sigkey_parse_secret(struct sigkey *k, const char *text, const char *path, struct err *err)
{
	const char *b64, *rest;
	size_t b64n, restn;
	if (sigkey_line(text, SIGKEY_KEY_TAG, &b64, &b64n, &rest, &restn) < 0 ||
	    sigkey_b64(b64, b64n, k->seed, SIGKEY_SEED_LEN) < 0)
		return err_set(err, EBADMSG, "%s: not a secret key file (want one line `%s BASE64 "
		               "[comment]`, as `hive key new` writes)", path, SIGKEY_KEY_TAG);
	int rc = sigkey_set_comment(k->pub.comment, rest, restn, err);
	if (rc < 0)
		return rc;
	crypto_sign_seed_keypair(k->pub.pk, k->sk, k->seed);
	sigkey_id(k->pub.pk, k->pub.id);
	return 0;
}

int sigkey_load(struct sigkey *k, const char *path, struct err *err)
{
	char buf[HIVE_KEY_FILE_MAX];
	struct stat st;
	int rc = sigkey_sodium(err);
	if (rc < 0)
		return rc;
	memset(k, 0, sizeof *k);
	if (stat(path, &st) < 0)
		return err_set(err, errno, "%s: cannot read the secret key: %s", path, strerror(errno));
	if (st.st_mode & 077)
		return err_set(err, EACCES, "%s: the secret key is readable by others (mode %03o); "
		               "run `chmod 600 %s` or make a new key", path, st.st_mode & 0777, path);
	ssize_t n = sigkey_read(path, buf, sizeof buf, "secret key", err);
	if (n < 0)
		return (int)n;
	rc = sigkey_parse_secret(k, buf, path, err);
	sodium_memzero(buf, sizeof buf);
	if (rc < 0)
		sigkey_wipe(k);
	return rc;
}

int sigkey_pub_parse(struct sigkey_pub *p, const char *text, struct err *err)
{
	const char *b64, *rest;
	size_t b64n, restn;
	memset(p, 0, sizeof *p);
	if (sigkey_line(text, SIGKEY_PUB_TAG, &b64, &b64n, &rest, &restn) < 0 ||
	    sigkey_b64(b64, b64n, p->pk, SIGKEY_PUB_LEN) < 0)
		return err_set(err, EBADMSG, "not a public key (want one line `%s BASE64 [comment]`, "
		               "as `hive key new` writes to the .pub file)", SIGKEY_PUB_TAG);
	int rc = sigkey_set_comment(p->comment, rest, restn, err);
	if (rc < 0)
		return rc;
	sigkey_id(p->pk, p->id);
	return 0;
}

int sigkey_pub_load(struct sigkey_pub *p, const char *path, struct err *err)
{
	char buf[HIVE_KEY_FILE_MAX];
	ssize_t n = sigkey_read(path, buf, sizeof buf, "public key", err);
	if (n < 0)
		return (int)n;
	struct err why = { 0 };
	int rc = sigkey_pub_parse(p, buf, &why);
	if (rc < 0)
		return err_set(err, -rc, "%s: %s", path, why.msg);
	return 0;
}

int sigkey_sign(const struct sigkey *k, const void *msg, size_t n, char *out, size_t cap)
{
	uint8_t sig[SIGKEY_SIG_LEN];
	char b64[sodium_base64_ENCODED_LEN(SIGKEY_SIG_LEN, B64_VARIANT)];
	if (sodium_init() < 0)
		return -EIO;
	crypto_sign_detached(sig, NULL, msg, n, k->sk);
	sodium_bin2base64(b64, sizeof b64, sig, sizeof sig, B64_VARIANT);
	int len = snprintf(out, cap, "%s %s %s\n", SIGKEY_SIG_TAG, k->pub.id, b64);
	return len < 0 || (size_t)len >= cap ? -ENOSPC : len;
}

int sigkey_sig_parse(struct sigkey_sig *s, const char *text, struct err *err)
{
	const char *idf, *rest;
	size_t idn, restn;
	memset(s, 0, sizeof *s);
	if (sigkey_line(text, SIGKEY_SIG_TAG, &idf, &idn, &rest, &restn) < 0 || idn != SIGKEY_ID_LEN ||
	    memchr(rest, ' ', restn) || sigkey_b64(rest, restn, s->sig, SIGKEY_SIG_LEN) < 0)
		goto bad;
	memcpy(s->id, idf, SIGKEY_ID_LEN);
	s->id[SIGKEY_ID_LEN] = '\0';
	if (!sigkey_id_valid(s->id))
		goto bad;
	return 0;
bad:
	memset(s, 0, sizeof *s);
	return err_set(err, EBADMSG, "not a signature (want one line `%s KEYID BASE64`, as "
	               "`hive manifest sign` writes)", SIGKEY_SIG_TAG);
}

int sigkey_verify(const struct sigkey_pub *pub, const void *msg, size_t n,
                  const uint8_t sig[SIGKEY_SIG_LEN])
{
	if (sodium_init() < 0)
		return -EIO;
	return crypto_sign_verify_detached(sig, msg, n, pub->pk) == 0 ? 0 : -EBADMSG;
}
