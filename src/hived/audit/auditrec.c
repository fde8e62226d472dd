/*
 * auditrec.c — INTERIM frame until h6's trust/auditrec.c is merged:
 *   u32 len | u8 type | u8 result | u64 seq | u64 wall | u64 mono |
 *   4 x (u16 n | bytes) | u32 check (BLAKE3 of all before, first 4 bytes)
 * little-endian; len counts the whole frame.
 */
#include "auditrec.h"
#include "lib/blake3.h"

#include <errno.h>
#include <string.h>

static const char *const type_names[AUDIT_TYPES] = {
	"attach", "refuse", "ctl", "lifecycle", "spawn", "attest", "grant", "revoke", "allow", "deny",
	"quota", "state", "infer", "exit", "checkpoint", "recovered", "rotate", "event",
};

const char *audit_type_name(enum audit_type t)
{
	return (unsigned)t < AUDIT_TYPES ? type_names[t] : "unknown";
}

static void put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int audit_rec_encode(const struct audit_rec *r, uint8_t *buf, size_t cap)
{
	const char *f[4] = { r->aid, r->cap, r->object, r->detail };
	size_t len = 4 + 2 + 24, fl[4];
	uint8_t sum[32];

	for (int i = 0; i < 4; i++) {
		fl[i] = strnlen(f[i], HIVE_PATH_MAX + HIVE_AUDIT_DETAIL_MAX);
		len += 2 + fl[i];
	}
	len += 4;
	if (len > cap || (unsigned)r->type >= AUDIT_TYPES)
		return -EINVAL;
	put(buf, len, 4);
	buf[4] = (uint8_t)r->type;
	buf[5] = (uint8_t)r->result;
	put(buf + 6, r->seq, 8);
	put(buf + 14, r->wall_ns, 8);
	put(buf + 22, r->mono_ns, 8);
	size_t o = 30;
	for (int i = 0; i < 4; i++) {
		put(buf + o, fl[i], 2);
		memcpy(buf + o + 2, f[i], fl[i]);
		o += 2 + fl[i];
	}
	blake3_hash(buf, o, sum);
	memcpy(buf + o, sum, 4);
	return (int)len;
}

int audit_rec_decode(const uint8_t *buf, size_t n, struct audit_rec *r, size_t *used, struct err *err)
{
	char *f[4] = { r->aid, r->cap, r->object, r->detail };
	size_t cap[4] = { sizeof r->aid, sizeof r->cap, sizeof r->object, sizeof r->detail };
	uint8_t sum[32];
	size_t len, o = 30;

	if (n < 4)
		return -EAGAIN;
	len = get(buf, 4);
	if (len < 30 + 8 + 4 || len > HIVE_AUDIT_FRAME_MAX)
		return err_set(err, EBADMSG, "frame length %zu out of range", len);
	if (n < len)
		return -EAGAIN;
	blake3_hash(buf, len - 4, sum);
	if (memcmp(sum, buf + len - 4, 4) != 0)
		return err_set(err, EBADMSG, "frame checksum mismatch");
	memset(r, 0, sizeof *r);
	r->type = (enum audit_type)buf[4];
	r->result = (enum audit_result)buf[5];
	if (buf[4] >= AUDIT_TYPES || buf[5] > AUDIT_R_INFO)
		return err_set(err, EBADMSG, "frame type %u result %u unknown", buf[4], buf[5]);
	r->seq = get(buf + 6, 8);
	r->wall_ns = get(buf + 14, 8);
	r->mono_ns = get(buf + 22, 8);
	for (int i = 0; i < 4; i++) {
		size_t k;
		if (o + 2 > len - 4 || (k = get(buf + o, 2)) >= cap[i] || o + 2 + k > len - 4)
			return err_set(err, EBADMSG, "frame field %d out of bounds", i);
		memcpy(f[i], buf + o + 2, k);
		f[i][k] = '\0';
		o += 2 + k;
	}
	if (o != len - 4)
		return err_set(err, EBADMSG, "frame has %zu trailing bytes", len - 4 - o);
	*used = len;
	return 0;
}

void audit_chain_next(const uint8_t prev[32], uint64_t seq, const uint8_t *frame, size_t n, uint8_t out[32])
{
	struct blake3 h;
	uint8_t s[8];

	blake3_init_derive_key(&h, "hive audit chain v0 interim");
	blake3_update(&h, prev, 32);
	put(s, seq, 8);
	blake3_update(&h, s, 8);
	blake3_update(&h, frame, n);
	blake3_finalize(&h, out, 32);
}
