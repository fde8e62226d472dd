/*
 * blake3.h — BLAKE3 (portable C): hash, keyed hash and derive-key modes,
 * streaming, with extendable output. Written from the BLAKE3 paper and
 * specification; tested against the official vectors and Debian's b3sum.
 */
#ifndef HIVE_BLAKE3_H
#define HIVE_BLAKE3_H

#include <stddef.h>
#include <stdint.h>

#define BLAKE3_KEY_LEN 32
#define BLAKE3_OUT_LEN 32
#define BLAKE3_BLOCK_LEN 64
#define BLAKE3_CHUNK_LEN 1024
/* Enough stack for 2^54 chunks, the most a 64-bit length can hold. */
#define BLAKE3_MAX_DEPTH 54

struct blake3 {
	uint32_t key[8];
	/* current chunk */
	uint32_t cv[8];
	uint64_t chunk_counter;
	uint8_t block[BLAKE3_BLOCK_LEN];
	uint8_t block_len;
	uint8_t blocks_compressed;
	uint8_t flags;
	/* stack of subtree chaining values */
	uint8_t cv_stack_len;
	uint32_t cv_stack[BLAKE3_MAX_DEPTH + 1][8];
};

void blake3_init(struct blake3 *h);
void blake3_init_keyed(struct blake3 *h, const uint8_t key[BLAKE3_KEY_LEN]);
void blake3_init_derive_key(struct blake3 *h, const char *context);
void blake3_update(struct blake3 *h, const void *data, size_t len);
/* Write out_len bytes of output (any length: XOF). Does not change h, so
 * more input may follow and finalize may be called again. */
void blake3_finalize(const struct blake3 *h, uint8_t *out, size_t out_len);
/* Same, starting at output byte `seek`. */
void blake3_finalize_seek(const struct blake3 *h, uint64_t seek, uint8_t *out, size_t out_len);

/* One-shot helpers. */
void blake3_hash(const void *data, size_t len, uint8_t out[BLAKE3_OUT_LEN]);
void blake3_keyed_hash(const uint8_t key[BLAKE3_KEY_LEN], const void *data, size_t len,
                       uint8_t out[BLAKE3_OUT_LEN]);

#endif
