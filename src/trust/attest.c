/*
 * attest.c — attestation records: checked against their bounds, encoded
 * as canonical JSON, signed with the hive's key, and verified strictly
 * (one spelling, every field typed) before a reader sees any of it.
 */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest.h"
#include "cap.h"

/* jansson's canonical form: no spaces, keys sorted, only ASCII out. */
#define ATTEST_JSON_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)
/* The largest integer a JSON reader in any language holds exactly. */
#define ATTEST_TIME_MAX (1ull << 53)

static const char *const attest_fields[] = {
	"aid", "argv", "authorizer", "caps", "enforcement", "exe_hash", "exe_path",
	"hive_key", "manifest_hash", "manifest_signer", "time_ms", "version",
};
#define ATTEST_NFIELDS (sizeof attest_fields / sizeof attest_fields[0])

const char *attest_verdict_name(enum attest_verdict v)
{
	switch (v) {
	case ATTEST_OK: return "ok";
	case ATTEST_BAD_SIGNATURE: return "bad-signature";
	case ATTEST_WRONG_KEY: return "wrong-key";
	case ATTEST_MALFORMED: return "malformed";
	}
	return "malformed";
}

void attest_record_clear(struct attest_record *r)
{
	for (size_t i = 0; r->argv && i < r->argc; i++)
		free(r->argv[i]);
	for (size_t i = 0; r->caps && i < r->ncaps; i++)
		free(r->caps[i]);
	free(r->argv);
	free(r->caps);
	memset(r, 0, sizeof *r);
}

/* The fixed fields are read with strnlen(max + 1), their array's size:
 * a caller's unterminated array is refused, never read past. */
static int attest_aid_ok(const char *s)
{
	size_t n = strnlen(s, HIVE_ATTEST_AID_MAX + 1);
	if (n == 0 || n > HIVE_ATTEST_AID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* Printable ASCII, non-empty, within max: shown on one line as it is. */
static int attest_printable(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* A cap's text is one the parser accepts and prints back the same. */
static int attest_cap_ok(const char *s)
{
	char again[HIVE_ATTEST_CAP_MAX + 1];
	struct cap c;
	if (strlen(s) > HIVE_ATTEST_CAP_MAX || cap_parse(&c, s, NULL) < 0)
		return 0;
	int n = cap_format(&c, again, sizeof again);
	cap_clear(&c);
	return n >= 0 && strcmp(again, s) == 0;
}

/* Every field within its bound; names the first that is not. */
static int attest_check(const struct attest_record *r, struct err *err)
{
	size_t bytes = 0;
	if (!attest_aid_ok(r->aid))
		return err_set(err, EINVAL, "aid: want 1..%u of [A-Za-z0-9._-]", HIVE_ATTEST_AID_MAX);
	if (!sigkey_id_valid(r->manifest_signer))
		return err_set(err, EINVAL, "manifest_signer: want a key id (16 hex digits)");
	if (!attest_printable(r->authorizer, HIVE_ATTEST_AUTHORIZER_MAX))
		return err_set(err, EINVAL, "authorizer: want 1..%u printable ASCII bytes",
		               HIVE_ATTEST_AUTHORIZER_MAX);
	if (r->exe_path[0] != '/' || strnlen(r->exe_path, HIVE_PATH_MAX) >= HIVE_PATH_MAX)
		return err_set(err, EINVAL, "exe_path: want an absolute path under %u bytes", HIVE_PATH_MAX);
	if (r->argc == 0 || r->argc > HIVE_MANIFEST_ARGV_MAX || !r->argv)
		return err_set(err, r->argc ? E2BIG : EINVAL, "argv: want 1..%u entries",
		               HIVE_MANIFEST_ARGV_MAX);
	for (size_t i = 0; i < r->argc; i++) {
		if (!r->argv[i])
			return err_set(err, EINVAL, "argv[%zu]: missing", i);
		bytes += strlen(r->argv[i]);
		if (bytes > HIVE_MANIFEST_ARGV_BYTES_MAX)
			return err_set(err, E2BIG, "argv: more than %u bytes", HIVE_MANIFEST_ARGV_BYTES_MAX);
	}
	if (r->ncaps > HIVE_MANIFEST_CAPS_MAX || (r->ncaps && !r->caps))
		return err_set(err, E2BIG, "caps: at most %u", HIVE_MANIFEST_CAPS_MAX);
	for (size_t i = 0; i < r->ncaps; i++)
		if (!r->caps[i] || !attest_cap_ok(r->caps[i]))
			return err_set(err, EINVAL, "caps[%zu]: not a capability in its one text form "
			               "(docs/manifest.md)", i);
	if (!attest_printable(r->enforcement, HIVE_ATTEST_ENFORCEMENT_MAX))
		return err_set(err, EINVAL, "enforcement: want 1..%u printable ASCII bytes",
		               HIVE_ATTEST_ENFORCEMENT_MAX);
	if (r->time_ms > ATTEST_TIME_MAX)
		return err_set(err, EINVAL, "time_ms: at most 2^53");
	return 0;
}

static json_t *attest_strings(char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++) {
		/* json_string refuses bytes that are not UTF-8: so does the record. */
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *attest_to_json(const struct attest_record *r, const char *hive_key)
{
	char mh[2 * ATTEST_HASH_LEN + 1], eh[2 * ATTEST_HASH_LEN + 1];
	sodium_bin2hex(mh, sizeof mh, r->manifest_hash, ATTEST_HASH_LEN);
	sodium_bin2hex(eh, sizeof eh, r->exe_hash, ATTEST_HASH_LEN);
	json_t *argv = attest_strings(r->argv, r->argc), *caps = attest_strings(r->caps, r->ncaps);
	json_t *exe = json_string(r->exe_path);
	if (!argv || !caps || !exe) {
		json_decref(argv);
		json_decref(caps);
		json_decref(exe);
		return NULL;
	}
	/* "o" steals each reference, also when json_pack fails. */
	return json_pack("{s:s, s:o, s:s, s:o, s:s, s:s, s:o, s:s, s:s, s:s, s:I, s:i}", "aid", r->aid,
	                 "argv", argv, "authorizer", r->authorizer, "caps", caps, "enforcement",
	                 r->enforcement, "exe_hash", eh, "exe_path", exe, "hive_key", hive_key,
	                 "manifest_hash", mh, "manifest_signer", r->manifest_signer, "time_ms",
	                 (json_int_t)r->time_ms, "version", ATTEST_VERSION);
}

static int attest_encode(const struct attest_record *r, const char *hive_key, char **out,
                         struct err *err)
{
	*out = NULL;
	int rc = attest_check(r, err);
	if (rc < 0)
		return rc;
	if (!sigkey_id_valid(hive_key))
		return err_set(err, EINVAL, "hive_key: want a key id (16 hex digits)");
	json_t *j = attest_to_json(r, hive_key);
	if (!j)
		return err_set(err, EINVAL, "a string field is not UTF-8 (or out of memory)");
	*out = json_dumps(j, ATTEST_JSON_FLAGS);
	json_decref(j);
	if (!*out)
		return err_set(err, ENOMEM, "out of memory encoding the record");
	return 0;
}

int attest_record_json(const struct attest_record *r, char **out, struct err *err)
{
	return attest_encode(r, r->hive_key, out, err);
}

int attest_sign(const struct attest_record *r, const struct sigkey *k, char **out, size_t *outlen,
                struct err *err)
{
	char *json = NULL, sig[HIVE_KEY_FILE_MAX];
	*out = NULL;
	*outlen = 0;
	int rc = attest_encode(r, k->pub.id, &json, err);
	if (rc < 0)
		return rc;
	size_t jn = strlen(json);
	/* The signed bytes are the record's line with its newline. */
	char *buf = malloc(jn + 1 + sizeof sig);
	if (!buf) {
		free(json);
		return err_set(err, ENOMEM, "out of memory");
	}
	memcpy(buf, json, jn);
	buf[jn] = '\n';
	free(json);
	int sn = sigkey_sign(k, buf, jn + 1, sig, sizeof sig);
	if (sn < 0) {
		free(buf);
		return err_set(err, -sn, "cannot sign: %s", strerror(-sn));
	}
	if (jn + 1 + (size_t)sn > HIVE_ATTEST_FILE_MAX) {
		free(buf);
		return err_set(err, E2BIG, "the attestation is larger than %u bytes", HIVE_ATTEST_FILE_MAX);
	}
	memcpy(buf + jn + 1, sig, (size_t)sn + 1);
	*out = buf;
	*outlen = jn + 1 + (size_t)sn;
	return 0;
}

/* A string member of at most max bytes, no NUL inside, copied into dst. */
static int attest_get_str(json_t *o, const char *key, char *dst, size_t max)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -EBADMSG;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int attest_get_hash(json_t *o, const char *key, uint8_t out[ATTEST_HASH_LEN])
{
	char hex[2 * ATTEST_HASH_LEN + 1];
	size_t got = 0;
	const char *end = NULL;
	if (attest_get_str(o, key, hex, sizeof hex - 1) < 0 || strlen(hex) != 2 * ATTEST_HASH_LEN)
		return -EBADMSG;
	for (size_t i = 0; hex[i]; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return -EBADMSG;
	if (sodium_hex2bin(out, ATTEST_HASH_LEN, hex, strlen(hex), NULL, &got, &end) != 0 ||
	    got != ATTEST_HASH_LEN)
		return -EBADMSG;
	return 0;
}

static int attest_get_strings(json_t *o, const char *key, size_t maxn, size_t each, char ***out,
                              size_t *n)
{
	json_t *a = json_object_get(o, key);
	if (!json_is_array(a) || json_array_size(a) > maxn)
		return -EBADMSG;
	size_t cnt = json_array_size(a);
	*out = calloc(cnt ? cnt : 1, sizeof **out);
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		json_t *e = json_array_get(a, i);
		if (!json_is_string(e) || json_string_length(e) > each ||
		    strlen(json_string_value(e)) != json_string_length(e))
			return -EBADMSG;
		if (!((*out)[i] = strdup(json_string_value(e))))
			return -ENOMEM;
		*n = i + 1;
	}
	return 0;
}

/* Decode one canonical record line (without its newline) into r. */
static int attest_decode(const char *line, size_t n, struct attest_record *r, struct err *err)
{
	json_error_t je;
	char *again = NULL;
	int rc = -EBADMSG;
	json_t *o = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je);
	json_t *ver = o ? json_object_get(o, "version") : NULL;

	if (!json_is_object(o) || json_object_size(o) != ATTEST_NFIELDS) {
		err_set(err, EBADMSG, "the record is not a JSON object of the %zu attestation fields",
		        ATTEST_NFIELDS);
		goto fail;
	}
	for (size_t i = 0; i < ATTEST_NFIELDS; i++)
		if (!json_object_get(o, attest_fields[i])) {
			err_set(err, EBADMSG, "the record lacks %s", attest_fields[i]);
			goto fail;
		}
	if (!json_is_integer(ver) || json_integer_value(ver) != ATTEST_VERSION) {
		err_set(err, EBADMSG, "version: this hive reads version %d", ATTEST_VERSION);
		goto fail;
	}
	json_t *t = json_object_get(o, "time_ms");
	if (!json_is_integer(t) || json_integer_value(t) < 0) {
		err_set(err, EBADMSG, "time_ms: want a non-negative integer");
		goto fail;
	}
	r->time_ms = (uint64_t)json_integer_value(t);
	if (attest_get_str(o, "aid", r->aid, HIVE_ATTEST_AID_MAX) < 0 ||
	    attest_get_str(o, "manifest_signer", r->manifest_signer, SIGKEY_ID_LEN) < 0 ||
	    attest_get_str(o, "hive_key", r->hive_key, SIGKEY_ID_LEN) < 0 ||
	    attest_get_str(o, "authorizer", r->authorizer, HIVE_ATTEST_AUTHORIZER_MAX) < 0 ||
	    attest_get_str(o, "exe_path", r->exe_path, HIVE_PATH_MAX - 1) < 0 ||
	    attest_get_str(o, "enforcement", r->enforcement, HIVE_ATTEST_ENFORCEMENT_MAX) < 0 ||
	    attest_get_hash(o, "manifest_hash", r->manifest_hash) < 0 ||
	    attest_get_hash(o, "exe_hash", r->exe_hash) < 0) {
		err_set(err, EBADMSG, "a field is not a string within its bound, or a hash is not "
		        "64 lower-case hex digits");
		goto fail;
	}
	if ((rc = attest_get_strings(o, "argv", HIVE_MANIFEST_ARGV_MAX, HIVE_MANIFEST_ARGV_BYTES_MAX,
	                             &r->argv, &r->argc)) < 0 ||
	    (rc = attest_get_strings(o, "caps", HIVE_MANIFEST_CAPS_MAX, HIVE_ATTEST_CAP_MAX, &r->caps,
	                             &r->ncaps)) < 0) {
		err_set(err, -rc, rc == -ENOMEM ? "out of memory" : "argv or caps: want an array of "
		        "strings within its bounds");
		goto fail;
	}
	if ((rc = attest_encode(r, r->hive_key, &again, err)) < 0) {
		rc = -EBADMSG;
		goto fail;
	}
	/* One spelling: what we would have written, byte for byte. */
	if (strlen(again) != n || memcmp(again, line, n) != 0) {
		rc = err_set(err, EBADMSG, "the record is not in canonical form (docs/attestation.md)");
		goto fail;
	}
	rc = 0;
fail:
	free(again);
	json_decref(o);
	if (rc < 0)
		attest_record_clear(r);
	return rc < 0 ? rc : 0;
}

enum attest_verdict attest_verify(const void *text, size_t n, const struct sigkey_pub *pub,
                                  struct attest_record *r, struct err *err)
{
	char sigline[HIVE_KEY_FILE_MAX];
	struct sigkey_sig sig;
	const char *t = text, *nl;
	size_t ln, sn;

	memset(r, 0, sizeof *r);
	if (n > HIVE_ATTEST_FILE_MAX || n == 0 || memchr(t, '\0', n) ||
	    !(nl = memchr(t, '\n', n))) {
		err_set(err, EBADMSG, "not an attestation file (want two lines: a JSON record and "
		        "a signature, at most %u bytes)", HIVE_ATTEST_FILE_MAX);
		return ATTEST_MALFORMED;
	}
	ln = (size_t)(nl - t);
	sn = n - ln - 1;
	/* The signature line, newline-terminated, and nothing after it. */
	if (sn == 0 || sn >= sizeof sigline || t[n - 1] != '\n' || memchr(nl + 1, '\n', sn - 1)) {
		err_set(err, EBADMSG, "not an attestation file: the second line must be the "
		        "signature and the last");
		return ATTEST_MALFORMED;
	}
	memcpy(sigline, nl + 1, sn);
	sigline[sn] = '\0';
	if (sigkey_sig_parse(&sig, sigline, err) < 0)
		return ATTEST_MALFORMED;
	if (attest_decode(t, ln, r, err) < 0)
		return ATTEST_MALFORMED;
	if (sigkey_verify(pub, t, ln + 1, sig.sig) == 0) {
		/* Signed by pub, yet naming another key: we never write that. */
		if (strcmp(sig.id, pub->id) != 0 || strcmp(r->hive_key, pub->id) != 0) {
			attest_record_clear(r);
			err_set(err, EBADMSG, "the signature holds but the key ids disagree");
			return ATTEST_MALFORMED;
		}
		return ATTEST_OK;
	}
	/* Both names agree on a key that is not pub: the file is whole but
	 * was signed by another hive. Otherwise bytes were changed. */
	enum attest_verdict v = ATTEST_BAD_SIGNATURE;
	if (strcmp(sig.id, r->hive_key) == 0 && strcmp(sig.id, pub->id) != 0) {
		v = ATTEST_WRONG_KEY;
		err_set(err, EKEYREJECTED, "signed by key %s, not by the key given (%s)", sig.id, pub->id);
	} else {
		err_set(err, EBADMSG, "the signature does not match: the file was changed, or forged");
	}
	attest_record_clear(r);
	return v;
}

int attest_hash_fd(int fd, uint8_t out[ATTEST_HASH_LEN])
{
	uint8_t buf[HIVE_ATTEST_READ_CHUNK];
	struct blake3 h;
	struct stat st;
	uint64_t off = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	blake3_init(&h);
	for (;;) {
		ssize_t got = pread(fd, buf, sizeof buf, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		off += (uint64_t)got;
		if (off > HIVE_ATTEST_EXE_BYTES_MAX)
			return -EFBIG;
		blake3_update(&h, buf, (size_t)got);
	}
	blake3_finalize(&h, out, ATTEST_HASH_LEN);
	return 0;
}
