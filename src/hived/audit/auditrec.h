/*
 * auditrec.h — INTERIM copy of the record API h6 publishes as
 * src/trust/auditrec.h (AUDIT-CONTRACT.md): the same declarations, a
 * simple frame behind them. Removed when h6's branch is merged; nothing
 * here is the on-disk format of record.
 */
#ifndef HIVE_AUDIT_AUDITREC_H
#define HIVE_AUDIT_AUDITREC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/limits.h"

enum audit_type { AUDIT_ATTACH, AUDIT_REFUSE, AUDIT_CTL, AUDIT_LIFECYCLE, AUDIT_SPAWN, AUDIT_ATTEST,
                  AUDIT_GRANT, AUDIT_REVOKE, AUDIT_ALLOW, AUDIT_DENY, AUDIT_QUOTA, AUDIT_STATE,
                  AUDIT_INFER, AUDIT_EXIT, AUDIT_CHECKPOINT, AUDIT_RECOVERED, AUDIT_ROTATE,
                  AUDIT_EVENT, AUDIT_TYPES };
enum audit_result { AUDIT_R_OK, AUDIT_R_DENY, AUDIT_R_FAIL, AUDIT_R_INFO };
struct audit_rec {
	uint64_t seq;
	uint64_t wall_ns;
	uint64_t mono_ns;
	enum audit_type type;
	enum audit_result result;
	char aid[HIVE_AID_MAX + 1];
	char cap[HIVE_ATTEST_CAP_MAX + 1];
	char object[HIVE_PATH_MAX + 1];
	char detail[HIVE_AUDIT_DETAIL_MAX + 1];
};
const char *audit_type_name(enum audit_type t);
int audit_rec_encode(const struct audit_rec *r, uint8_t *buf, size_t cap);
int audit_rec_decode(const uint8_t *buf, size_t n, struct audit_rec *r, size_t *used, struct err *err);
void audit_chain_next(const uint8_t prev[32], uint64_t seq, const uint8_t *frame, size_t n, uint8_t out[32]);

#endif
