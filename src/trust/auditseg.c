/*
 * auditseg.c — the segment header and the segment file name, both with
 * exactly one spelling so a renamed or re-headed segment is seen.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auditseg.h"

void audit_seg_hdr_encode(const struct audit_seg_hdr *h, uint8_t out[AUDIT_SEG_HDR_LEN])
{
	memset(out, 0, AUDIT_SEG_HDR_LEN);
	memcpy(out, AUDIT_SEG_MAGIC, 8);
	out[8] = AUDIT_SEG_VERSION;
	audit_put_le(out + 12, h->first_seq, 8);
	memcpy(out + 20, h->prev_head, AUDIT_HASH_LEN);
	audit_put_le(out + 52, audit_crc32c(out, 52), 4);
}

int audit_seg_hdr_decode(const uint8_t *buf, size_t n, struct audit_seg_hdr *h, struct err *err)
{
	memset(h, 0, sizeof *h);
	if (n < AUDIT_SEG_HDR_LEN)
		return err_set(err, EAGAIN, "segment header: %zu of %u bytes", n, AUDIT_SEG_HDR_LEN);
	if (memcmp(buf, AUDIT_SEG_MAGIC, 8) != 0)
		return err_set(err, EBADMSG, "segment header: no %s magic", AUDIT_SEG_MAGIC);
	if (audit_get_le(buf + 52, 4) != audit_crc32c(buf, 52))
		return err_set(err, EBADMSG, "segment header: checksum mismatch");
	if (buf[8] != AUDIT_SEG_VERSION)
		return err_set(err, EINVAL, "segment header: version %u, this reader knows %u", buf[8],
		               AUDIT_SEG_VERSION);
	if (buf[9] || buf[10] || buf[11])
		return err_set(err, EBADMSG, "segment header: reserved bytes not zero");
	h->first_seq = audit_get_le(buf + 12, 8);
	memcpy(h->prev_head, buf + 20, AUDIT_HASH_LEN);
	return 0;
}

void audit_seg_name(uint64_t first_seq, char out[AUDIT_SEG_NAME_LEN + 1])
{
	snprintf(out, AUDIT_SEG_NAME_LEN + 1, "%020llu.seg", (unsigned long long)first_seq);
}

int audit_seg_name_parse(const char *name, uint64_t *first_seq)
{
	char again[AUDIT_SEG_NAME_LEN + 1];
	uint64_t v = 0;
	if (strlen(name) != AUDIT_SEG_NAME_LEN || strcmp(name + 20, ".seg") != 0)
		return -1;
	for (int i = 0; i < 20; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		unsigned d = (unsigned)(name[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	audit_seg_name(v, again);
	if (strcmp(again, name) != 0)
		return -1;
	*first_seq = v;
	return 0;
}
