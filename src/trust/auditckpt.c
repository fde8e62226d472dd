/*
 * auditckpt.c — checkpoint notes (render, strict parse, sign, verify) and
 * the seal ratchet. A note has one spelling: parse re-renders what it read
 * and refuses any byte that differs, so a verifier never weighs variants.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditckpt.h"
#include "lib/blake3.h"

#define B64_VARIANT sodium_base64_VARIANT_ORIGINAL
#define CKPT_DASH "\xe2\x80\x94" /* U+2014 EM DASH, as C2SP signed notes begin a signature */
#define CKPT_SIGBLOB (4u + SIGKEY_SIG_LEN)

static int origin_ok(const char *s)
{
	size_t n = strnlen(s, AUDIT_ORIGIN_MAX + 1);
	if (n == 0 || n > AUDIT_ORIGIN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '+')
			return 0;
	return 1;
}

void audit_ckpt_origin(const struct sigkey_pub *pub, char out[AUDIT_ORIGIN_MAX + 1])
{
	snprintf(out, AUDIT_ORIGIN_MAX + 1, "hive-audit/%s", pub->id);
}

int audit_ckpt_body(const struct audit_ckpt *c, char *out, size_t cap)
{
	char root[sodium_base64_ENCODED_LEN(AUDIT_HASH_LEN, B64_VARIANT)];
	char head[2 * AUDIT_HASH_LEN + 1], seal[2 * AUDIT_HASH_LEN + 1];
	size_t o = 0;
	int n;
	if (!origin_ok(c->origin))
		return -EINVAL;
	sodium_bin2base64(root, sizeof root, c->root, AUDIT_HASH_LEN, B64_VARIANT);
	sodium_bin2hex(head, sizeof head, c->head, AUDIT_HASH_LEN);
	sodium_bin2hex(seal, sizeof seal, c->seal, AUDIT_HASH_LEN);
#define EMIT(...)                                                              \
	do {                                                                   \
		n = snprintf(out + o, cap - o, __VA_ARGS__);                   \
		if (n < 0 || (size_t)n >= cap - o)                             \
			return -ENOSPC;                                        \
		o += (size_t)n;                                                \
	} while (0)
	if (cap == 0)
		return -ENOSPC;
	EMIT("%s\n%llu\n%s\nchain %s\ntime %llu\ncounts", c->origin, (unsigned long long)c->size,
	     root, head, (unsigned long long)c->time_ns);
	for (int t = 0; t < AUDIT_TYPES; t++)
		EMIT(" %s=%llu", audit_type_name((enum audit_type)t), (unsigned long long)c->counts[t]);
	EMIT("\nresults");
	for (int r = 0; r < AUDIT_RESULTS; r++)
		EMIT(" %s=%llu", audit_result_name((enum audit_result)r), (unsigned long long)c->results[r]);
	EMIT("\nseal %llu %s\n", (unsigned long long)c->epoch, seal);
	return (int)o;
}

int audit_ckpt_note(const struct audit_ckpt *c, char *out, size_t cap)
{
	uint8_t blob[CKPT_SIGBLOB];
	char b64[sodium_base64_ENCODED_LEN(CKPT_SIGBLOB, B64_VARIANT)];
	int o = audit_ckpt_body(c, out, cap), n;
	if (o < 0)
		return o;
	memcpy(blob, c->hint, 4);
	memcpy(blob + 4, c->sig, SIGKEY_SIG_LEN);
	sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, B64_VARIANT);
	size_t left = cap - (size_t)o;
	n = snprintf(out + o, left, "\n" CKPT_DASH " %s %s\n", c->origin, b64);
	if (n < 0 || (size_t)n >= left)
		return -ENOSPC;
	return o + n;
}

/* Cursor parsing: each helper advances *p past what it read, or fails. */
static int take(const char **p, const char *end, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
		return -1;
	*p += n;
	return 0;
}

static int take_u64(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	while (s < end && *s >= '0' && *s <= '9') {
		unsigned d = (unsigned)(*s - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
		s++;
	}
	if (s == *p)
		return -1;
	*v = x;
	*p = s;
	return 0;
}

static int take_token(const char **p, const char *end, char stop, char *out, size_t cap)
{
	const char *s = *p;
	while (s < end && *s != stop)
		s++;
	if (s == end || (size_t)(s - *p) >= cap)
		return -1;
	memcpy(out, *p, (size_t)(s - *p));
	out[s - *p] = '\0';
	*p = s + 1;
	return 0;
}

static int hex32(const char *s, uint8_t out[AUDIT_HASH_LEN])
{
	size_t got = 0;
	const char *endp = NULL;
	if (strlen(s) != 2 * AUDIT_HASH_LEN)
		return -1;
	if (sodium_hex2bin(out, AUDIT_HASH_LEN, s, 2 * AUDIT_HASH_LEN, NULL, &got, &endp) != 0 ||
	    got != AUDIT_HASH_LEN)
		return -1;
	return 0;
}

static int b64dec(const char *s, uint8_t *out, size_t want)
{
	size_t got = 0;
	if (sodium_base642bin(out, want, s, strlen(s), NULL, &got, NULL, B64_VARIANT) != 0 || got != want)
		return -1;
	return 0;
}

int audit_ckpt_parse(const char *note, size_t n, struct audit_ckpt *c, struct err *err)
{
	const char *p = note, *end = note + n, *what = "origin";
	char tok[AUDIT_ORIGIN_MAX + 2], hex[2 * AUDIT_HASH_LEN + 2];
	char b64[sodium_base64_ENCODED_LEN(CKPT_SIGBLOB, B64_VARIANT) + 1];
	char again[HIVE_AUDIT_DETAIL_MAX + 1];
	uint8_t blob[CKPT_SIGBLOB];

	memset(c, 0, sizeof *c);
	if (n > HIVE_AUDIT_DETAIL_MAX)
		goto bad;
	if (take_token(&p, end, '\n', c->origin, sizeof c->origin) < 0 || !origin_ok(c->origin))
		goto bad;
	what = "size";
	if (take_u64(&p, end, &c->size) < 0 || take(&p, end, "\n") < 0)
		goto bad;
	what = "root";
	if (take_token(&p, end, '\n', b64, sizeof b64) < 0 || b64dec(b64, c->root, AUDIT_HASH_LEN) < 0)
		goto bad;
	what = "chain";
	if (take(&p, end, "chain ") < 0 || take_token(&p, end, '\n', hex, sizeof hex) < 0 ||
	    hex32(hex, c->head) < 0)
		goto bad;
	what = "time";
	if (take(&p, end, "time ") < 0 || take_u64(&p, end, &c->time_ns) < 0 || take(&p, end, "\n") < 0)
		goto bad;
	what = "counts";
	if (take(&p, end, "counts") < 0)
		goto bad;
	for (int t = 0; t < AUDIT_TYPES; t++)
		if (take(&p, end, " ") < 0 || take(&p, end, audit_type_name((enum audit_type)t)) < 0 ||
		    take(&p, end, "=") < 0 || take_u64(&p, end, &c->counts[t]) < 0)
			goto bad;
	what = "results";
	if (take(&p, end, "\nresults") < 0)
		goto bad;
	for (int r = 0; r < AUDIT_RESULTS; r++)
		if (take(&p, end, " ") < 0 || take(&p, end, audit_result_name((enum audit_result)r)) < 0 ||
		    take(&p, end, "=") < 0 || take_u64(&p, end, &c->results[r]) < 0)
			goto bad;
	what = "seal";
	if (take(&p, end, "\nseal ") < 0 || take_u64(&p, end, &c->epoch) < 0 || take(&p, end, " ") < 0 ||
	    take_token(&p, end, '\n', hex, sizeof hex) < 0 || hex32(hex, c->seal) < 0)
		goto bad;
	c->body_len = (size_t)(p - note);
	what = "signature";
	if (take(&p, end, "\n" CKPT_DASH " ") < 0 || take_token(&p, end, ' ', tok, sizeof tok) < 0 ||
	    strcmp(tok, c->origin) != 0 || take_token(&p, end, '\n', b64, sizeof b64) < 0 ||
	    b64dec(b64, blob, sizeof blob) < 0 || p != end)
		goto bad;
	memcpy(c->hint, blob, 4);
	memcpy(c->sig, blob + 4, SIGKEY_SIG_LEN);
	what = "spelling";
	int m = audit_ckpt_note(c, again, sizeof again);
	if (m < 0 || (size_t)m != n || memcmp(again, note, n) != 0)
		goto bad;
	return 0;
bad:
	memset(c, 0, sizeof *c);
	return err_set(err, EBADMSG, "checkpoint note: bad %s line (not as docs/audit-format.md §4 spells it)",
	               what);
}

static void key_hint(const struct sigkey_pub *pub, uint8_t hint[4])
{
	uint8_t h[BLAKE3_OUT_LEN];
	blake3_hash(pub->pk, SIGKEY_PUB_LEN, h);
	memcpy(hint, h, 4);
}

int audit_ckpt_verify(const struct audit_ckpt *c, const struct sigkey_pub *pub, struct err *err)
{
	char body[HIVE_AUDIT_DETAIL_MAX + 1];
	uint8_t hint[4];
	int n = audit_ckpt_body(c, body, sizeof body);
	if (n < 0)
		return err_set(err, EBADMSG, "checkpoint at size %llu: no body to verify",
		               (unsigned long long)c->size);
	key_hint(pub, hint);
	if (memcmp(hint, c->hint, 4) != 0)
		return err_set(err, EBADMSG, "checkpoint at size %llu: signed by another key than %s",
		               (unsigned long long)c->size, pub->id);
	if (sigkey_verify(pub, body, (size_t)n, c->sig) < 0)
		return err_set(err, EBADMSG, "checkpoint at size %llu: signature does not verify with key %s",
		               (unsigned long long)c->size, pub->id);
	return 0;
}

void audit_seal_mac(const uint8_t key[AUDIT_SEAL_KEY_LEN], const struct audit_ckpt *c,
                    uint8_t out[AUDIT_HASH_LEN])
{
	struct blake3 h;
	uint8_t v[16];
	audit_put_le(v, c->epoch, 8);
	audit_put_le(v + 8, c->size, 8);
	blake3_init_keyed(&h, key);
	blake3_update(&h, AUDIT_SEAL_TAG, sizeof AUDIT_SEAL_TAG - 1);
	blake3_update(&h, v, sizeof v);
	blake3_update(&h, c->head, AUDIT_HASH_LEN);
	blake3_update(&h, c->root, AUDIT_HASH_LEN);
	blake3_finalize(&h, out, AUDIT_HASH_LEN);
	sodium_memzero(&h, sizeof h);
}

void audit_seal_step(struct audit_seal *s)
{
	struct blake3 h;
	blake3_init_derive_key(&h, AUDIT_SEAL_CONTEXT);
	blake3_update(&h, s->key, AUDIT_SEAL_KEY_LEN);
	blake3_finalize(&h, s->key, AUDIT_SEAL_KEY_LEN);
	sodium_memzero(&h, sizeof h);
	s->epoch++;
}

int audit_seal_init(struct audit_seal *s)
{
	if (sodium_init() < 0)
		return -EIO;
	s->epoch = 0;
	randombytes_buf(s->key, sizeof s->key);
	return 0;
}

void audit_seal_wipe(struct audit_seal *s)
{
	sodium_memzero(s, sizeof *s);
}

int audit_seal_format(const struct audit_seal *s, char *out, size_t cap)
{
	char hex[2 * AUDIT_SEAL_KEY_LEN + 1];
	sodium_bin2hex(hex, sizeof hex, s->key, AUDIT_SEAL_KEY_LEN);
	int n = snprintf(out, cap, AUDIT_SEAL_LINE_TAG " %llu %s\n", (unsigned long long)s->epoch, hex);
	sodium_memzero(hex, sizeof hex);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

int audit_seal_parse(const char *text, struct audit_seal *s, struct err *err)
{
	size_t n = strnlen(text, AUDIT_SEAL_LINE_MAX + 1);
	const char *p = text, *end = text + n;
	char hex[2 * AUDIT_SEAL_KEY_LEN + 2];
	memset(s, 0, sizeof *s);
	if (n > 0 && end[-1] == '\n')
		end--;
	if (n <= AUDIT_SEAL_LINE_MAX && take(&p, end, AUDIT_SEAL_LINE_TAG " ") == 0) {
		if (take_u64(&p, end, &s->epoch) < 0 || take(&p, end, " ") < 0)
			goto bad;
	}
	if ((size_t)(end - p) != 2 * AUDIT_SEAL_KEY_LEN)
		goto bad;
	memcpy(hex, p, 2 * AUDIT_SEAL_KEY_LEN);
	hex[2 * AUDIT_SEAL_KEY_LEN] = '\0';
	if (hex32(hex, s->key) < 0)
		goto bad;
	sodium_memzero(hex, sizeof hex);
	return 0;
bad:
	sodium_memzero(hex, sizeof hex);
	memset(s, 0, sizeof *s);
	return err_set(err, EBADMSG, "seal key: want 64 hex digits, or `%s EPOCH HEX` as the seal file holds",
	               AUDIT_SEAL_LINE_TAG);
}

int audit_ckpt_make(struct audit_ckpt *c, struct audit_seal *s, const struct sigkey *k,
                    uint64_t mono_ns, struct audit_rec *rec, struct err *err)
{
	char body[HIVE_AUDIT_DETAIL_MAX + 1];
	if (sodium_init() < 0)
		return err_set(err, EIO, "checkpoint: libsodium did not start");
	c->epoch = s->epoch;
	audit_seal_mac(s->key, c, c->seal);
	int n = audit_ckpt_body(c, body, sizeof body);
	if (n < 0)
		return err_set(err, -n, "checkpoint: origin `%s` is not printable without spaces", c->origin);
	c->body_len = (size_t)n;
	key_hint(&k->pub, c->hint);
	crypto_sign_detached(c->sig, NULL, (const unsigned char *)body, (size_t)n, k->sk);
	memset(rec, 0, sizeof *rec);
	rec->seq = c->size;
	rec->wall_ns = c->time_ns;
	rec->mono_ns = mono_ns;
	rec->type = AUDIT_CHECKPOINT;
	rec->result = AUDIT_R_INFO;
	if (audit_ckpt_note(c, rec->detail, sizeof rec->detail) < 0)
		return err_set(err, ENOSPC, "checkpoint: note longer than a record's detail");
	audit_seal_step(s);
	return 0;
}

void audit_acc_init(struct audit_acc *a)
{
	memset(a, 0, sizeof *a);
	merkle_range_init(&a->tree);
}

void audit_acc_add(struct audit_acc *a, const struct audit_rec *r, const uint8_t *frame, size_t n)
{
	uint8_t leaf[MERKLE_HASH_LEN];
	audit_chain_next(a->head, r->seq, frame, n, a->head);
	merkle_leaf_hash(frame, n, leaf);
	merkle_range_append(&a->tree, leaf);
	if ((unsigned)r->type < AUDIT_TYPES)
		a->counts[r->type]++;
	if ((unsigned)r->result < AUDIT_RESULTS)
		a->results[r->result]++;
	a->next_seq = r->seq + 1;
}

void audit_acc_ckpt(const struct audit_acc *a, const char *origin, uint64_t time_ns, struct audit_ckpt *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->origin, sizeof c->origin, "%s", origin);
	c->size = a->tree.size;
	merkle_range_root(&a->tree, c->root);
	memcpy(c->head, a->head, AUDIT_HASH_LEN);
	c->time_ns = time_ns;
	memcpy(c->counts, a->counts, sizeof c->counts);
	memcpy(c->results, a->results, sizeof c->results);
}
