/*
 * audit_fixture.h — a plain synchronous audit log writer built from the
 * trust library alone (frames, chain, tree, checkpoints, seals, segments),
 * for test_auditverify.c, tests/tools/auditmk and bench/audit_verify.c:
 * the daemon's writer (src/hived/audit) does the same with group commit.
 * Header-only because each unit test is one file.
 */
#ifndef HIVE_TEST_AUDIT_FIXTURE_H
#define HIVE_TEST_AUDIT_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fileio.h"
#include "trust/auditckpt.h"
#include "trust/auditseg.h"

#define AMK_T0 1764499200000000000ull

struct amk {
	char dir[512];
	const struct sigkey *key;
	struct audit_seal seal;
	struct audit_acc acc;
	char origin[AUDIT_ORIGIN_MAX + 1];
	int fd;
	uint8_t frame[HIVE_AUDIT_FRAME_MAX];
	struct audit_rec r;
};

static inline int amk_seg(struct amk *m)
{
	char path[600], name[AUDIT_SEG_NAME_LEN + 1];
	uint8_t hdr[AUDIT_SEG_HDR_LEN];
	struct audit_seg_hdr h = { .first_seq = m->acc.next_seq };
	memcpy(h.prev_head, m->acc.head, AUDIT_HASH_LEN);
	if (m->fd >= 0)
		close(m->fd);
	audit_seg_name(h.first_seq, name);
	snprintf(path, sizeof path, "%s/%s", m->dir, name);
	m->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (m->fd < 0)
		return -errno;
	audit_seg_hdr_encode(&h, hdr);
	return write(m->fd, hdr, sizeof hdr) == (ssize_t)sizeof hdr ? 0 : -EIO;
}

static inline int amk_open(struct amk *m, const char *dir, const struct sigkey *key, const uint8_t k0[32])
{
	memset(m, 0, sizeof *m);
	m->fd = -1;
	snprintf(m->dir, sizeof m->dir, "%.500s", dir);
	mkdir(dir, 0700);
	m->key = key;
	memcpy(m->seal.key, k0, AUDIT_SEAL_KEY_LEN);
	audit_acc_init(&m->acc);
	audit_ckpt_origin(&key->pub, m->origin);
	return amk_seg(m);
}

/* Append r as the next record (its seq is set here). */
static inline int amk_write(struct amk *m, struct audit_rec *r)
{
	r->seq = m->acc.next_seq;
	int n = audit_rec_encode(r, m->frame, sizeof m->frame);
	if (n < 0)
		return n;
	if (write(m->fd, m->frame, (size_t)n) != n)
		return -EIO;
	audit_acc_add(&m->acc, r, m->frame, (size_t)n);
	return 0;
}

/* The i-th record of a deterministic mix of agents, types and results. */
static inline int amk_rec(struct amk *m, uint64_t i)
{
	static const enum audit_type types[] = { AUDIT_SPAWN, AUDIT_ALLOW, AUDIT_DENY, AUDIT_DENY,
		                                 AUDIT_GRANT, AUDIT_STATE, AUDIT_INFER, AUDIT_REVOKE,
		                                 AUDIT_ALLOW, AUDIT_EXIT };
	struct audit_rec *r = &m->r;
	memset(r, 0, sizeof *r);
	r->type = types[i % 10];
	r->result = r->type == AUDIT_DENY ? AUDIT_R_DENY : r->type == AUDIT_STATE ? AUDIT_R_INFO : AUDIT_R_OK;
	r->wall_ns = AMK_T0 + i * 1000000ull;
	r->mono_ns = 1000000000ull + i * 1000000ull;
	snprintf(r->aid, sizeof r->aid, "a-%llu", (unsigned long long)(i % 3 + 1));
	if (r->type == AUDIT_ALLOW || r->type == AUDIT_DENY || r->type == AUDIT_GRANT)
		snprintf(r->cap, sizeof r->cap, "fs.read:/srv/data");
	snprintf(r->object, sizeof r->object, "/srv/data/f%llu", (unsigned long long)i);
	snprintf(r->detail, sizeof r->detail, "op=openat n=%llu", (unsigned long long)i);
	return amk_write(m, r);
}

static inline int amk_save_seal(struct amk *m)
{
	char path[600], line[AUDIT_SEAL_LINE_MAX];
	int n = audit_seal_format(&m->seal, line, sizeof line);
	snprintf(path, sizeof path, "%s/%s", m->dir, AUDIT_SEAL_FILE);
	return n < 0 ? n : fileio_write_atomic(path, line, (size_t)n, 0600);
}

static inline int amk_ckpt(struct amk *m)
{
	struct audit_ckpt c;
	struct err e = { 0 };
	uint64_t at = m->acc.next_seq;
	audit_acc_ckpt(&m->acc, m->origin, AMK_T0 + at * 1000000ull, &c);
	int rc = audit_ckpt_make(&c, &m->seal, m->key, 1000000000ull + at * 1000000ull, &m->r, &e);
	if (rc < 0)
		return rc;
	if ((rc = amk_write(m, &m->r)) < 0)
		return rc;
	return amk_save_seal(m);
}

/* Close the segment as the writer does: checkpoint, ROTATE, a new segment. */
static inline int amk_rotate(struct amk *m)
{
	int rc = amk_ckpt(m);
	if (rc < 0)
		return rc;
	memset(&m->r, 0, sizeof m->r);
	m->r.type = AUDIT_ROTATE;
	m->r.result = AUDIT_R_INFO;
	m->r.wall_ns = AMK_T0 + m->acc.next_seq * 1000000ull;
	snprintf(m->r.detail, sizeof m->r.detail, "next=%llu", (unsigned long long)m->acc.next_seq + 1);
	if ((rc = amk_write(m, &m->r)) < 0)
		return rc;
	return amk_seg(m);
}

static inline void amk_close(struct amk *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	audit_seal_wipe(&m->seal);
}

/* n records (amk_rec's base, base + 1, ...), a checkpoint after every
 * ckpt_every, a new segment after every seg_every, and a final checkpoint
 * when final is set. */
static inline int amk_build_from(const char *dir, const struct sigkey *key, const uint8_t k0[32], uint64_t n,
                                 uint64_t ckpt_every, uint64_t seg_every, int final, uint64_t base)
{
	static struct amk m;
	int rc = amk_open(&m, dir, key, k0);
	for (uint64_t i = 0; rc == 0 && i < n; i++) {
		rc = amk_rec(&m, base + i);
		if (rc == 0 && seg_every && (i + 1) % seg_every == 0 && i + 1 < n)
			rc = amk_rotate(&m);
		else if (rc == 0 && ckpt_every && (i + 1) % ckpt_every == 0 && i + 1 < n)
			rc = amk_ckpt(&m);
	}
	if (rc == 0 && final)
		rc = amk_ckpt(&m);
	amk_close(&m);
	return rc;
}

static inline int amk_build(const char *dir, const struct sigkey *key, const uint8_t k0[32], uint64_t n,
                            uint64_t ckpt_every, uint64_t seg_every, int final)
{
	return amk_build_from(dir, key, k0, n, ckpt_every, seg_every, final, 0);
}

#endif
