/*
 * merkle.c — RFC 9162 trees with BLAKE3: compact range, proofs, and their
 * verification. The verifiers follow RFC 9162's algorithms step by step so
 * that a reader can hold them side by side; a proof longer than any tree
 * can need is refused before a hash is computed.
 */
#include <errno.h>
#include <string.h>

#include "lib/blake3.h"
#include "merkle.h"

typedef uint8_t hash_t[MERKLE_HASH_LEN];

void merkle_leaf_hash(const uint8_t *data, size_t n, uint8_t out[MERKLE_HASH_LEN])
{
	struct blake3 h;
	uint8_t z = 0x00;
	blake3_init(&h);
	blake3_update(&h, &z, 1);
	blake3_update(&h, data, n);
	blake3_finalize(&h, out, MERKLE_HASH_LEN);
}

void merkle_node_hash(const uint8_t l[MERKLE_HASH_LEN], const uint8_t r[MERKLE_HASH_LEN],
                      uint8_t out[MERKLE_HASH_LEN])
{
	uint8_t buf[1 + 2 * MERKLE_HASH_LEN];
	buf[0] = 0x01;
	memcpy(buf + 1, l, MERKLE_HASH_LEN);
	memcpy(buf + 1 + MERKLE_HASH_LEN, r, MERKLE_HASH_LEN);
	blake3_hash(buf, sizeof buf, out);
}

void merkle_range_init(struct merkle_range *r)
{
	memset(r, 0, sizeof *r);
}

void merkle_range_append(struct merkle_range *r, const uint8_t leaf[MERKLE_HASH_LEN])
{
	hash_t h;
	memcpy(h, leaf, MERKLE_HASH_LEN);
	/* Each trailing 1 bit of size is a subtree as large as the one being
	 * built: merge them, exactly as a binary counter carries. */
	for (uint64_t k = r->size; k & 1; k >>= 1)
		merkle_node_hash(r->peaks[--r->npeaks], h, h);
	memcpy(r->peaks[r->npeaks++], h, MERKLE_HASH_LEN);
	r->size++;
}

void merkle_range_root(const struct merkle_range *r, uint8_t out[MERKLE_HASH_LEN])
{
	if (r->npeaks == 0) {
		blake3_hash("", 0, out);
		return;
	}
	hash_t acc;
	memcpy(acc, r->peaks[r->npeaks - 1], MERKLE_HASH_LEN);
	for (unsigned i = r->npeaks - 1; i-- > 0;)
		merkle_node_hash(r->peaks[i], acc, acc);
	memcpy(out, acc, MERKLE_HASH_LEN);
}

/* The largest power of two strictly below n (n >= 2). */
static uint64_t split(uint64_t n)
{
	uint64_t k = 1;
	while (k << 1 < n)
		k <<= 1;
	return k;
}

void merkle_root(const uint8_t (*leaves)[MERKLE_HASH_LEN], uint64_t n, uint8_t out[MERKLE_HASH_LEN])
{
	if (n == 0) {
		blake3_hash("", 0, out);
		return;
	}
	if (n == 1) {
		memcpy(out, leaves[0], MERKLE_HASH_LEN);
		return;
	}
	uint64_t k = split(n);
	hash_t l, r;
	merkle_root(leaves, k, l);
	merkle_root(leaves + k, n - k, r);
	merkle_node_hash(l, r, out);
}

static int push(uint8_t (*proof)[MERKLE_HASH_LEN], size_t *len, const hash_t h)
{
	if (*len >= HIVE_AUDIT_PROOF_MAX)
		return -EINVAL;
	memcpy(proof[(*len)++], h, MERKLE_HASH_LEN);
	return 0;
}

/* RFC 9162 §2.1.3.1 PATH(m, D[n]). */
static int path(const uint8_t (*d)[MERKLE_HASH_LEN], uint64_t n, uint64_t m,
                uint8_t (*proof)[MERKLE_HASH_LEN], size_t *len)
{
	if (n <= 1)
		return 0;
	uint64_t k = split(n);
	hash_t h;
	int rc;
	if (m < k) {
		if ((rc = path(d, k, m, proof, len)) < 0)
			return rc;
		merkle_root(d + k, n - k, h);
	} else {
		if ((rc = path(d + k, n - k, m - k, proof, len)) < 0)
			return rc;
		merkle_root(d, k, h);
	}
	return push(proof, len, h);
}

int merkle_inclusion_prove(const uint8_t (*leaves)[MERKLE_HASH_LEN], uint64_t size, uint64_t index,
                           uint8_t (*proof)[MERKLE_HASH_LEN], size_t *len)
{
	*len = 0;
	if (index >= size)
		return -EINVAL;
	return path(leaves, size, index, proof, len);
}

int merkle_inclusion_verify(uint64_t index, uint64_t size, const uint8_t leaf[MERKLE_HASH_LEN],
                            const uint8_t (*proof)[MERKLE_HASH_LEN], size_t len,
                            const uint8_t root[MERKLE_HASH_LEN])
{
	if (index >= size || len > MERKLE_DEPTH_MAX)
		return -EBADMSG;
	uint64_t fn = index, sn = size - 1;
	hash_t r;
	memcpy(r, leaf, MERKLE_HASH_LEN);
	for (size_t i = 0; i < len; i++) {
		if (sn == 0)
			return -EBADMSG;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(proof[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, MERKLE_HASH_LEN) == 0 ? 0 : -EBADMSG;
}

/* RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b). */
static int subproof(const uint8_t (*d)[MERKLE_HASH_LEN], uint64_t n, uint64_t m, int b,
                    uint8_t (*proof)[MERKLE_HASH_LEN], size_t *len)
{
	hash_t h;
	int rc;
	if (m == n) {
		if (b)
			return 0;
		merkle_root(d, n, h);
		return push(proof, len, h);
	}
	uint64_t k = split(n);
	if (m <= k) {
		if ((rc = subproof(d, k, m, b, proof, len)) < 0)
			return rc;
		merkle_root(d + k, n - k, h);
	} else {
		if ((rc = subproof(d + k, n - k, m - k, 0, proof, len)) < 0)
			return rc;
		merkle_root(d, k, h);
	}
	return push(proof, len, h);
}

int merkle_consistency_prove(const uint8_t (*leaves)[MERKLE_HASH_LEN], uint64_t m, uint64_t n,
                             uint8_t (*proof)[MERKLE_HASH_LEN], size_t *len)
{
	*len = 0;
	if (m == 0 || m > n)
		return -EINVAL;
	return subproof(leaves, n, m, 1, proof, len);
}

int merkle_consistency_verify(uint64_t m, uint64_t n, const uint8_t root_m[MERKLE_HASH_LEN],
                              const uint8_t root_n[MERKLE_HASH_LEN],
                              const uint8_t (*proof)[MERKLE_HASH_LEN], size_t len)
{
	if (m == 0 || m > n || len > 2 * MERKLE_DEPTH_MAX)
		return -EBADMSG;
	if (m == n)
		return len == 0 && memcmp(root_m, root_n, MERKLE_HASH_LEN) == 0 ? 0 : -EBADMSG;
	if (len == 0)
		return -EBADMSG;
	/* A first tree of a power-of-two size is itself a node of the second:
	 * RFC 9162 starts the walk from its root. */
	const uint8_t *c0 = proof[0];
	size_t i = 1;
	if ((m & (m - 1)) == 0) {
		c0 = root_m;
		i = 0;
	}
	uint64_t fn = m - 1, sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	hash_t fr, sr;
	memcpy(fr, c0, MERKLE_HASH_LEN);
	memcpy(sr, c0, MERKLE_HASH_LEN);
	for (; i < len; i++) {
		if (sn == 0)
			return -EBADMSG;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(proof[i], fr, fr);
			merkle_node_hash(proof[i], sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(sr, proof[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(fr, root_m, MERKLE_HASH_LEN) == 0 &&
	               memcmp(sr, root_n, MERKLE_HASH_LEN) == 0 ? 0 : -EBADMSG;
}
