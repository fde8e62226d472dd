/*
 * merkle.h — the RFC 9162 Merkle tree over audit frames, with BLAKE3-256:
 *
 *   MTH({})  = BLAKE3("")
 *   leaf     = BLAKE3(0x00 || frame)
 *   node     = BLAKE3(0x01 || left || right), split at the largest power
 *              of two below n (RFC 9162 §2.1.1)
 *
 * A compact range keeps the root of a growing log in O(log n) memory (one
 * hash per set bit of the size); inclusion and consistency proofs follow
 * RFC 9162 §2.1.3 and §2.1.4, generated from the leaf hashes (the verifier
 * reads them from the segments) and verified from the proof alone.
 */
#ifndef HIVE_MERKLE_H
#define HIVE_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/limits.h"

#define MERKLE_HASH_LEN 32u
#define MERKLE_DEPTH_MAX 64u

struct merkle_range {
	uint64_t size;                               /* leaves appended */
	uint8_t peaks[MERKLE_DEPTH_MAX][MERKLE_HASH_LEN]; /* largest subtree first */
	unsigned npeaks;                             /* popcount(size) */
};

void merkle_leaf_hash(const uint8_t *data, size_t n, uint8_t out[MERKLE_HASH_LEN]);
void merkle_node_hash(const uint8_t l[MERKLE_HASH_LEN], const uint8_t r[MERKLE_HASH_LEN],
                      uint8_t out[MERKLE_HASH_LEN]);

void merkle_range_init(struct merkle_range *r);
/* Append one leaf hash (merkle_leaf_hash of the frame). */
void merkle_range_append(struct merkle_range *r, const uint8_t leaf[MERKLE_HASH_LEN]);
/* The root of the leaves appended so far (MTH({}) when none). */
void merkle_range_root(const struct merkle_range *r, uint8_t out[MERKLE_HASH_LEN]);

/* MTH of leaves[0..n) (leaf hashes), recursively: O(n). */
void merkle_root(const uint8_t (*leaves)[MERKLE_HASH_LEN], uint64_t n, uint8_t out[MERKLE_HASH_LEN]);

/* Inclusion proof of leaf `index` in the tree of the first `size` leaves, into
 * proof (HIVE_AUDIT_PROOF_MAX hashes); *len its hashes. 0 or -EINVAL. */
int merkle_inclusion_prove(const uint8_t (*leaves)[MERKLE_HASH_LEN], uint64_t size, uint64_t index,
                           uint8_t (*proof)[MERKLE_HASH_LEN], size_t *len);
/* 0 when proof shows leaf at index in the tree of size leaves with root, else -EBADMSG. */
int merkle_inclusion_verify(uint64_t index, uint64_t size, const uint8_t leaf[MERKLE_HASH_LEN],
                            const uint8_t (*proof)[MERKLE_HASH_LEN], size_t len,
                            const uint8_t root[MERKLE_HASH_LEN]);
/* Consistency proof between the trees of the first m and n leaves (0 < m <= n). */
int merkle_consistency_prove(const uint8_t (*leaves)[MERKLE_HASH_LEN], uint64_t m, uint64_t n,
                             uint8_t (*proof)[MERKLE_HASH_LEN], size_t *len);
/* 0 when proof shows the tree of m leaves (root_m) is a prefix of the tree of n (root_n). */
int merkle_consistency_verify(uint64_t m, uint64_t n, const uint8_t root_m[MERKLE_HASH_LEN],
                              const uint8_t root_n[MERKLE_HASH_LEN],
                              const uint8_t (*proof)[MERKLE_HASH_LEN], size_t len);

#endif
