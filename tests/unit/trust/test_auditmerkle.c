/*
 * test_auditmerkle.c — the RFC 9162 tree against a naive full tree built
 * level by level (pairs hashed, an odd last node promoted): the compact
 * range's root for every size 1..70, every inclusion proof of those sizes
 * equal to the naive one and verified, every consistency proof for all
 * pairs m <= n <= 70 verified, and every altered proof, index, size or
 * root refused. Leaf and node hashes are checked against plain BLAKE3 of
 * their documented bytes (b3sum does the same in t0900).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/blake3.h"
#include "test.h"
#include "trust/merkle.h"

#define N 70
typedef uint8_t hash_t[32];
static hash_t leaves[N];
static hash_t levels[8][N];
static size_t level_len[8];

/* The naive tree of the first n leaves, every level kept. */
static int naive_build(uint64_t n)
{
	memcpy(levels[0], leaves, n * 32);
	level_len[0] = n;
	int l = 0;
	while (level_len[l] > 1) {
		size_t k = 0;
		for (size_t i = 0; i < level_len[l]; i += 2, k++) {
			if (i + 1 < level_len[l]) {
				uint8_t buf[65];
				buf[0] = 1;
				memcpy(buf + 1, levels[l][i], 32);
				memcpy(buf + 33, levels[l][i + 1], 32);
				blake3_hash(buf, 65, levels[l + 1][k]);
			} else {
				memcpy(levels[l + 1][k], levels[l][i], 32);
			}
		}
		level_len[++l] = k;
	}
	return l;
}

static size_t naive_path(uint64_t n, uint64_t i, hash_t *out)
{
	int top = naive_build(n);
	size_t k = 0;
	for (int l = 0; l < top; l++, i >>= 1)
		if ((i ^ 1) < level_len[l])
			memcpy(out[k++], levels[l][i ^ 1], 32);
	return k;
}

TEST(leaf_and_node_bytes)
{
	uint8_t want[32], got[32], buf[65];
	buf[0] = 0;
	memcpy(buf + 1, "frame", 5);
	blake3_hash(buf, 6, want);
	merkle_leaf_hash((const uint8_t *)"frame", 5, got);
	CHECK(memcmp(want, got, 32) == 0);
	buf[0] = 1;
	memset(buf + 1, 0xaa, 32);
	memset(buf + 33, 0xbb, 32);
	blake3_hash(buf, 65, want);
	merkle_node_hash(buf + 1, buf + 33, got);
	CHECK(memcmp(want, got, 32) == 0);
	struct merkle_range r;
	merkle_range_init(&r);
	merkle_range_root(&r, got);
	blake3_hash("", 0, want);
	CHECK(memcmp(want, got, 32) == 0);
}

TEST(compact_range_roots)
{
	struct merkle_range r;
	merkle_range_init(&r);
	for (uint64_t n = 1; n <= N; n++) {
		merkle_range_append(&r, leaves[n - 1]);
		hash_t got, full;
		merkle_range_root(&r, got);
		int top = naive_build(n);
		CHECK(memcmp(got, levels[top][0], 32) == 0);
		merkle_root(leaves, n, full);
		CHECK(memcmp(full, got, 32) == 0);
		CHECK_EQ_INT(r.npeaks, __builtin_popcountll(n));
	}
}

TEST(inclusion_all)
{
	hash_t proof[HIVE_AUDIT_PROOF_MAX], want[64], root;
	for (uint64_t n = 1; n <= N; n++) {
		merkle_root(leaves, n, root);
		for (uint64_t i = 0; i < n; i++) {
			size_t len = 0, wl = naive_path(n, i, want);
			CHECK_EQ_INT(merkle_inclusion_prove(leaves, n, i, proof, &len), 0);
			CHECK_EQ_INT(len, wl);
			CHECK(memcmp(proof, want, len * 32) == 0);
			CHECK_EQ_INT(merkle_inclusion_verify(i, n, leaves[i], (const hash_t *)proof, len, root), 0);
			/* Another leaf, index or root (a size binds to its root in the
			 * signed checkpoint: some sizes share a proof's shape); each proof hash altered; one short. */
			CHECK(merkle_inclusion_verify(i, n, leaves[(i + 1) % N], (const hash_t *)proof, len, root) != 0);
			if (n > 1)
				CHECK(merkle_inclusion_verify((i + 1) % n, n, leaves[i], (const hash_t *)proof, len, root) != 0);
			CHECK(merkle_inclusion_verify(i, n, leaves[i], (const hash_t *)proof, len, leaves[0]) != 0 || n == 1);
			for (size_t k = 0; k < len; k++) {
				proof[k][k % 32] ^= 1;
				CHECK(merkle_inclusion_verify(i, n, leaves[i], (const hash_t *)proof, len, root) != 0);
				proof[k][k % 32] ^= 1;
			}
			if (len)
				CHECK(merkle_inclusion_verify(i, n, leaves[i], (const hash_t *)proof, len - 1, root) != 0);
		}
		size_t len;
		CHECK(merkle_inclusion_prove(leaves, n, n, proof, &len) != 0);
	}
}

TEST(consistency_all)
{
	hash_t proof[HIVE_AUDIT_PROOF_MAX], rm, rn;
	for (uint64_t n = 1; n <= N; n++) {
		merkle_root(leaves, n, rn);
		for (uint64_t m = 1; m <= n; m++) {
			size_t len = 0;
			merkle_root(leaves, m, rm);
			CHECK_EQ_INT(merkle_consistency_prove(leaves, m, n, proof, &len), 0);
			CHECK_EQ_INT(merkle_consistency_verify(m, n, rm, rn, (const hash_t *)proof, len), 0);
			if (m == n) {
				CHECK_EQ_INT(len, 0);
				continue;
			}
			CHECK(merkle_consistency_verify(m, n, rn, rm, (const hash_t *)proof, len) != 0);
			CHECK(merkle_consistency_verify(n, m, rn, rm, (const hash_t *)proof, len) != 0);
			for (size_t k = 0; k < len; k++) {
				proof[k][3] ^= 0x80;
				CHECK(merkle_consistency_verify(m, n, rm, rn, (const hash_t *)proof, len) != 0);
				proof[k][3] ^= 0x80;
			}
			CHECK(merkle_consistency_verify(m, n, rm, rn, (const hash_t *)proof, len - 1) != 0);
			/* A forged first tree (leaf m-1 replaced) is not a prefix. */
			hash_t save;
			memcpy(save, leaves[m - 1], 32);
			leaves[m - 1][0] ^= 1;
			hash_t forged;
			merkle_root(leaves, m, forged);
			memcpy(leaves[m - 1], save, 32);
			CHECK(merkle_consistency_verify(m, n, forged, rn, (const hash_t *)proof, len) != 0);
		}
	}
	size_t len;
	CHECK(merkle_consistency_prove(leaves, 0, 5, proof, &len) != 0);
	CHECK(merkle_consistency_prove(leaves, 6, 5, proof, &len) != 0);
}

TEST(random_pairs_large)
{
	/* Random (m, n) pairs in a tree of 5000 leaves. */
	enum { BIG = 5000 };
	hash_t *big = malloc(BIG * sizeof *big);
	hash_t proof[HIVE_AUDIT_PROOF_MAX], rm, rn;
	struct merkle_range r;
	merkle_range_init(&r);
	for (int i = 0; i < BIG; i++) {
		merkle_leaf_hash((const uint8_t *)&i, sizeof i, big[i]);
		merkle_range_append(&r, big[i]);
	}
	merkle_range_root(&r, rn);
	merkle_root((const hash_t *)big, BIG, rm);
	CHECK(memcmp(rm, rn, 32) == 0);
	srand(7);
	for (int t = 0; t < 200; t++) {
		uint64_t n = 1 + (uint64_t)rand() % BIG, m = 1 + (uint64_t)rand() % n, i = (uint64_t)rand() % n;
		size_t len;
		merkle_root((const hash_t *)big, m, rm);
		merkle_root((const hash_t *)big, n, rn);
		CHECK_EQ_INT(merkle_consistency_prove((const hash_t *)big, m, n, proof, &len), 0);
		CHECK_EQ_INT(merkle_consistency_verify(m, n, rm, rn, (const hash_t *)proof, len), 0);
		CHECK_EQ_INT(merkle_inclusion_prove((const hash_t *)big, n, i, proof, &len), 0);
		CHECK_EQ_INT(merkle_inclusion_verify(i, n, big[i], (const hash_t *)proof, len, rn), 0);
		if (m != n && i < m)
			CHECK(merkle_inclusion_verify(i, m, big[i], (const hash_t *)proof, len, rm) != 0);
	}
	free(big);
}

int main(void)
{
	for (int i = 0; i < N; i++)
		merkle_leaf_hash((const uint8_t *)&i, sizeof i, leaves[i]);
	RUN(leaf_and_node_bytes);
	RUN(compact_range_roots);
	RUN(inclusion_all);
	RUN(consistency_all);
	RUN(random_pairs_large);
	return test_done();
}
