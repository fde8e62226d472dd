/*
 * fuzz_auditrec.c — libFuzzer target for audit record frames.
 *
 * Segments reach `hive audit verify` from a copy of anyone's state dir, so
 * audit_rec_decode must refuse any input cleanly and accept only canonical
 * frames: a frame it accepts encodes back to exactly the bytes it read, and
 * a refusal always says why.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "trust/auditrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct audit_rec r;
	static uint8_t out[HIVE_AUDIT_FRAME_MAX];
	struct err e = { 0 };
	size_t used = 0;
	size_t off = 0;

	/* A segment's body: frames back to back until one fails. */
	while (off < size) {
		int rc = audit_rec_decode(data + off, size - off, &r, &used, &e);
		if (rc < 0) {
			if ((rc != -EAGAIN && rc != -EBADMSG && rc != -EINVAL) || !e.msg[0])
				__builtin_trap();
			return 0;
		}
		if (used < AUDIT_REC_FIXED || used > size - off)
			__builtin_trap();
		int n = audit_rec_encode(&r, out, sizeof out);
		if (n < 0 || (size_t)n != used || memcmp(out, data + off, used) != 0)
			__builtin_trap();
		uint8_t h[32], z[32] = { 0 };
		audit_chain_next(z, r.seq, out, (size_t)n, h);
		off += used;
	}
	return 0;
}
