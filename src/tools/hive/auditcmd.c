/*
 * auditcmd.c — `hive audit`: the audit log read offline, from the segment
 * files alone, through trust/auditverify (the very code that checks them):
 * every verb re-verifies what it prints, so a row shown is a row proven up
 * to the point the walk reached, and a failure is said, never skipped.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auditcmd.h"
#include "lib/fileio.h"
#include "trust/auditseg.h"
#include "trust/auditverify.h"
#include "trust/merkle.h"

#define AUDIT_USAGE                                                                                 \
	"usage: hive audit VERB [--state DIR] [--key PUB] ...\n"                                      \
	"  verify [--from CHECKPOINT] [--seal-key K0FILE|K0]\n"                                       \
	"                       check every segment, frame, chain link, checkpoint and signature;\n"  \
	"                       with the seal key K0 also every seal; exit 0 only if all verify\n"    \
	"  query [--aid AID] [--type TYPE] [--cap CAP] [--since T] [--until T] [--json]\n"          \
	"                       the records that match, re-read from the segments (T: unix\n"         \
	"                       seconds or 2026-11-30T12:00:00Z)\n"                                   \
	"  prove SEQ            an inclusion proof of record SEQ in the latest checkpoint, checked\n" \
	"  tail [-n N]          the last N records (default 10), one line each: time, seq, AID,\n"   \
	"                       type, capability, object, result\n"                                  \
	"  export               every record as one JSON object per line (for a SIEM)\n"             \
	"  checkpoint           print the latest checkpoint note (keep it elsewhere; --from)\n"      \
	"  --state DIR          the hive's state directory (default: hive's global --state)\n"       \
	"  --key PUB            the hive's public key (default <state>/keys/hive.pub)\n"             \
	"  `hive audit VERB --help` says more; the format is docs/audit-format.md\n"

#define VERIFY_USAGE                                                                                \
	"usage: hive audit verify [--state DIR] [--from CHECKPOINT] [--key PUB] [--seal-key K0FILE|K0]\n" \
	"  Walks <state>/audit/*.seg with nothing but the public key: every frame canonical, seqs\n"  \
	"  contiguous, the chain and segment links recomputed, each checkpoint's size, Merkle root,\n" \
	"  chain head and counts equal to the records before it and signed by PUB.\n"               \
	"  --from CHECKPOINT  a checkpoint note you kept (hive audit checkpoint > FILE): the log\n"  \
	"                     must still hold that history and must not end before it\n"          \
	"  --seal-key K0      the first seal key hived printed once (a file holding it, - for\n"    \
	"                     stdin, or the 64 hex digits): checks every seal and the seal file\n"  \
	"  Exit status: 0 ok (also a torn tail, which hived cuts on start); 2 usage;\n"           \
	"  3 no-log 4 io-error 5 bad-segment-header 6 bad-frame 7 gap 8 reorder 9 duplicate\n"     \
	"  10 chain-break 11 checkpoint-malformed 12 checkpoint-mismatch 13 bad-signature\n"         \
	"  14 equivocation 15 seal-failure 16 epoch-gap 17 missing-segment 18 segment-order\n"       \
	"  19 segment-cut 20 truncated 21 no-checkpoint 22 bad-proof\n"

struct auditcmd {
	struct hcli *h;
	char state[HIVE_PATH_MAX];
	char dir[HIVE_PATH_MAX + 16];
	struct sigkey_pub pub;
	int have_k0;
	uint8_t k0[AUDIT_SEAL_KEY_LEN];
	int have_from;
	struct audit_ckpt from;
	int json;
	/* query */
	const char *aid, *cap;
	int type;
	uint64_t since, until;
	/* tail */
	unsigned long tail_n;
};

static void iso_time(uint64_t ns, char *out, size_t cap)
{
	time_t s = (time_t)(ns / 1000000000ull);
	struct tm tm;
	char buf[32];
	gmtime_r(&s, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, cap, "%s.%03lluZ", buf, (unsigned long long)(ns / 1000000ull % 1000));
}

/* Unix seconds, or YYYY-MM-DDTHH:MM:SS[Z] (UTC), as ns. */
static int parse_time(const char *s, uint64_t *ns)
{
	char *end;
	struct tm tm;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s >= '0' && *s <= '9' && !errno && !*end && v < 100000000000ull) {
		*ns = v * 1000000000ull;
		return 0;
	}
	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (*end && strcmp(end, "Z") != 0))
		return -1;
	time_t t = timegm(&tm);
	if (t < 0)
		return -1;
	*ns = (uint64_t)t * 1000000000ull;
	return 0;
}

static const char *dash(const char *s)
{
	return *s ? s : "-";
}

static void print_line(const struct audit_rec *r)
{
	char t[48];
	iso_time(r->wall_ns, t, sizeof t);
	printf("%s #%llu %s %s %s %s %s\n", t, (unsigned long long)r->seq, dash(r->aid),
	       audit_type_name(r->type), dash(r->cap), dash(r->object), audit_result_name(r->result));
}

/* A JSON string: jansson's when the bytes are UTF-8, else with each high
 * byte shown as '?' (a record's bytes are any but control bytes). */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);
	if (j)
		return j;
	char copy[HIVE_AUDIT_DETAIL_MAX + 1];
	size_t i = 0;
	for (; s[i] && i < sizeof copy - 1; i++)
		copy[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
	copy[i] = '\0';
	return json_string(copy);
}

static void print_json(const struct audit_rec *r)
{
	char t[48];
	iso_time(r->wall_ns, t, sizeof t);
	json_t *o = json_object();
	json_object_set_new(o, "seq", json_integer((json_int_t)r->seq));
	json_object_set_new(o, "time", json_string(t));
	json_object_set_new(o, "wall_ns", json_integer((json_int_t)r->wall_ns));
	json_object_set_new(o, "mono_ns", json_integer((json_int_t)r->mono_ns));
	json_object_set_new(o, "type", json_string(audit_type_name(r->type)));
	json_object_set_new(o, "result", json_string(audit_result_name(r->result)));
	json_object_set_new(o, "aid", jstr(r->aid));
	json_object_set_new(o, "cap", jstr(r->cap));
	json_object_set_new(o, "object", jstr(r->object));
	json_object_set_new(o, "detail", jstr(r->detail));
	char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(o);
}

static int read_k0(struct auditcmd *a, const char *arg)
{
	char text[AUDIT_SEAL_LINE_MAX + 1];
	struct audit_seal s;
	struct err e = { 0 };
	size_t n = strlen(arg);
	int literal = n == 2 * AUDIT_SEAL_KEY_LEN && strspn(arg, "0123456789abcdefABCDEF") == n;
	if (literal) {
		fprintf(stderr, "%s: note: a seal key on the command line is visible to every local user "
		        "in /proc/PID/cmdline; prefer --seal-key FILE\n", a->h->prefix);
		snprintf(text, sizeof text, "%s", arg);
	} else if (strcmp(arg, "-") == 0) {
		if (!fgets(text, sizeof text, stdin))
			text[0] = '\0';
	} else if (fileio_read_small(arg, text, sizeof text) < 0) {
		return hcli_usage(a->h, "--seal-key %s: cannot read it (%s); give the file holding K0 as "
		                  "hived printed it, - for stdin, or its 64 hex digits", arg, strerror(errno));
	}
	if (audit_seal_parse(text, &s, &e) < 0 || s.epoch != 0) {
		sodium_memzero(text, sizeof text);
		return hcli_usage(a->h, "--seal-key: %s (and it must be the first key, epoch 0)", e.msg);
	}
	sodium_memzero(text, sizeof text);
	memcpy(a->k0, s.key, sizeof a->k0);
	audit_seal_wipe(&s);
	a->have_k0 = 1;
	return 0;
}

static int read_from(struct auditcmd *a, const char *path)
{
	char text[HIVE_AUDIT_DETAIL_MAX + 1];
	struct err e = { 0 };
	ssize_t n = fileio_read_small(path, text, sizeof text);
	if (n < 0)
		return hcli_usage(a->h, "--from %s: cannot read it (%s); give a checkpoint note saved with "
		                  "`hive audit checkpoint > FILE`", path, strerror((int)-n));
	if (audit_ckpt_parse(text, (size_t)n, &a->from, &e) < 0)
		return hcli_usage(a->h, "--from %s: %s", path, e.msg);
	a->have_from = 1;
	return 0;
}

/* Parse the verb's flags; *pos gets the first operand's index. */
static int audit_args(struct auditcmd *a, int argc, char **argv, const char *usage, int *pos)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 'S' }, { "key", required_argument, NULL, 'k' },
		{ "from", required_argument, NULL, 'f' },  { "seal-key", required_argument, NULL, 'K' },
		{ "aid", required_argument, NULL, 'a' },   { "type", required_argument, NULL, 'y' },
		{ "cap", required_argument, NULL, 'c' },   { "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
	};
	const char *keypath = NULL, *from = NULL, *seal = NULL;
	char defkey[HIVE_PATH_MAX + 32];
	struct err e = { 0 };
	int opt, rc;
	snprintf(a->state, sizeof a->state, "%s", a->h->state);
	a->type = -1;
	a->until = UINT64_MAX;
	a->tail_n = 10;
	a->json = a->h->json;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+hn:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'S': snprintf(a->state, sizeof a->state, "%s", optarg); break;
		case 'k': keypath = optarg; break;
		case 'f': from = optarg; break;
		case 'K': seal = optarg; break;
		case 'a': a->aid = optarg; break;
		case 'c': a->cap = optarg; break;
		case 'j': a->json = 1; break;
		case 'y':
			if ((a->type = audit_type_parse(optarg)) < 0)
				return hcli_usage(a->h, "--type %s: no such record type (attach refuse ctl lifecycle "
				                  "spawn attest grant revoke allow deny quota state infer exit "
				                  "checkpoint recovered rotate event)", optarg);
			break;
		case 's':
		case 'u':
			if (parse_time(optarg, opt == 's' ? &a->since : &a->until) < 0)
				return hcli_usage(a->h, "--%s %s: want unix seconds or 2026-11-30T12:00:00Z",
				                  opt == 's' ? "since" : "until", optarg);
			break;
		case 'n': {
			char *end;
			a->tail_n = strtoul(optarg, &end, 10);
			if (*end || a->tail_n == 0 || a->tail_n > 100000)
				return hcli_usage(a->h, "-n %s: want a count 1..100000", optarg);
			break;
		}
		case 'h': fputs(usage, stdout); return -1;
		default: fputs(usage, stderr); return HCLI_USAGE;
		}
	}
	*pos = optind;
	snprintf(a->dir, sizeof a->dir, "%s/%s", a->state, AUDIT_DIR);
	if (!keypath) {
		snprintf(defkey, sizeof defkey, "%s/keys/hive.pub", a->state);
		keypath = defkey;
	}
	if (sigkey_pub_load(&a->pub, keypath, &e) < 0)
		return hcli_usage(a->h, "the hive's public key %s: %s; pass --key PUB (a copy of "
		                  "<state>/keys/hive.pub, or `hive cat /proc/hive.pub`)", keypath, e.msg);
	if (seal && (rc = read_k0(a, seal)) != 0)
		return rc;
	if (from && (rc = read_from(a, from)) != 0)
		return rc;
	if (a->have_from && audit_ckpt_verify(&a->from, &a->pub, &e) < 0) {
		fprintf(stderr, "%s: --from %s: %s: the checkpoint you hold is not this hive's\n",
		        a->h->prefix, from, e.msg);
		return AV_BAD_SIGNATURE;
	}
	return 0;
}

static const char *verdict_fix(enum audit_verdict v)
{
	switch (v) {
	case AV_NO_LOG: return "point --state at a hive's state directory (it holds audit/*.seg)";
	case AV_IO: return "check the file's permissions and that the copy is complete";
	case AV_BAD_SIGNATURE: return "check --key is this hive's public key; otherwise the log was re-signed";
	case AV_SEAL: return "check --seal-key is the K0 hived printed at setup; otherwise history was re-sealed";
	case AV_TRUNCATED: return "records that were signed are gone: restore the log from a copy";
	case AV_NO_CHECKPOINT: return "a log hived wrote always has one: it was stripped or never checkpointed";
	default: return "the log was changed after it was written: keep this copy as evidence and "
	                "restore from a verified copy";
	}
}

/* Walk and report; each/arg per verb. Returns the verdict's exit status. */
static int audit_walk(struct auditcmd *a, int (*each)(void *, const struct audit_rec *, const uint8_t *, size_t),
                      void *arg, struct audit_verify_result *res, int quiet_ok)
{
	struct audit_verify_opts o = { .dir = a->dir, .pub = &a->pub, .each = each, .arg = arg,
		                       .k0 = a->have_k0 ? a->k0 : NULL, .from = a->have_from ? &a->from : NULL };
	enum audit_verdict v = audit_verify(&o, res);
	if (v == AV_OK || v == AV_TORN_TAIL) {
		if (v == AV_TORN_TAIL)
			fprintf(stderr, "%s: audit: torn tail: %llu bytes of an unfinished record at the end of "
			        "%s (an unclean stop; hived cuts it on start and records RECOVERED)\n", a->h->prefix,
			        (unsigned long long)res->torn_bytes, res->segment);
		(void)quiet_ok;
		return HCLI_OK;
	}
	fprintf(stderr, "%s: audit: FAILED (%s) in %s/%s at record %llu: %s\n  fix: %s\n", a->h->prefix,
	        audit_verdict_name(v), a->dir, res->segment[0] ? res->segment : "", (unsigned long long)res->at_seq,
	        res->err.msg, verdict_fix(v));
	return (int)v;
}

static int verify_verb(struct auditcmd *a)
{
	static struct audit_verify_result res;
	char root[sodium_base64_ENCODED_LEN(AUDIT_HASH_LEN, sodium_base64_VARIANT_ORIGINAL)], t[48];
	int code = audit_walk(a, NULL, NULL, &res, 0);
	if (code != HCLI_OK)
		return code;
	sodium_bin2base64(root, sizeof root, res.last.root, AUDIT_HASH_LEN, sodium_base64_VARIANT_ORIGINAL);
	iso_time(res.last.time_ns, t, sizeof t);
	printf("ok: %llu records in %llu segments, %llu checkpoints signed by %s\n",
	       (unsigned long long)res.records, (unsigned long long)res.segments,
	       (unsigned long long)res.checkpoints, a->pub.id);
	printf("latest checkpoint: size %llu root %s at %s, deny=%llu\n", (unsigned long long)res.last.size,
	       root, t, (unsigned long long)res.last.counts[AUDIT_DENY]);
	if (res.seals_checked)
		printf("seals: all %llu verified with K0%s\n", (unsigned long long)res.checkpoints,
		       res.seal_state_checked ? "; the seal file is at the next epoch" :
		                                "; no seal file to compare (a cut of whole checkpoints at the end "
		                                "would not show)");
	else
		printf("seals: not checked (no --seal-key): whoever holds the signing key could re-sign history\n");
	if (a->have_from)
		printf("from: the log holds the checkpoint you gave (size %llu)\n", (unsigned long long)a->from.size);
	if (res.unsealed)
		printf("warning: %llu records after the last checkpoint (from seq %llu) are not sealed yet: "
		       "a cut there cannot be proven\n", (unsigned long long)res.unsealed,
		       (unsigned long long)res.last.size + 1);
	return HCLI_OK;
}

static int query_each(void *arg, const struct audit_rec *r, const uint8_t *f, size_t n)
{
	struct auditcmd *a = arg;
	if ((a->aid && strcmp(a->aid, r->aid) != 0) || (a->type >= 0 && (int)r->type != a->type) ||
	    (a->cap && strcmp(a->cap, r->cap) != 0) || r->wall_ns < a->since || r->wall_ns > a->until)
		return 0;
	if (a->json)
		print_json(r);
	else
		print_line(r);
	return 0;
}

static int export_each(void *arg, const struct audit_rec *r, const uint8_t *f, size_t n)
{
	print_json(r);
	return 0;
}

struct tailring {
	struct audit_rec *recs;
	unsigned long n, cap;
};

static int tail_each(void *arg, const struct audit_rec *r, const uint8_t *f, size_t n)
{
	struct tailring *t = arg;
	t->recs[t->n++ % t->cap] = *r;
	return 0;
}

struct provectx {
	uint8_t (*leaves)[MERKLE_HASH_LEN];
	uint64_t n, cap, seq;
	uint8_t frame[HIVE_AUDIT_FRAME_MAX];
	size_t frame_n;
	struct audit_rec rec;
	int oom;
};

static int prove_each(void *arg, const struct audit_rec *r, const uint8_t *f, size_t n)
{
	struct provectx *p = arg;
	if (p->n == p->cap) {
		uint64_t ncap = p->cap ? 2 * p->cap : 4096;
		void *m = realloc(p->leaves, ncap * MERKLE_HASH_LEN);
		if (!m) {
			p->oom = 1;
			return 1;
		}
		p->leaves = m;
		p->cap = ncap;
	}
	merkle_leaf_hash(f, n, p->leaves[p->n++]);
	if (r->seq == p->seq) {
		memcpy(p->frame, f, n);
		p->frame_n = n;
		p->rec = *r;
	}
	return 0;
}

static int prove_verb(struct auditcmd *a, const char *arg)
{
	static struct audit_verify_result res;
	static struct provectx p;
	uint8_t proof[HIVE_AUDIT_PROOF_MAX][MERKLE_HASH_LEN];
	char hex[2 * MERKLE_HASH_LEN + 1];
	char *end;
	size_t len = 0;
	errno = 0;
	p.seq = strtoull(arg, &end, 10);
	if (errno || *end || !*arg)
		return hcli_usage(a->h, "prove %s: want a record's seq (a number, as `hive audit tail` shows after #)", arg);
	int code = audit_walk(a, prove_each, &p, &res, 1);
	if (code != HCLI_OK || p.oom) {
		free(p.leaves);
		return p.oom ? HCLI_FAIL : code;
	}
	if (p.seq >= res.last.size) {
		free(p.leaves);
		fprintf(stderr, "%s: audit prove %llu: the latest checkpoint covers records 0..%lld; record "
		        "%llu %s: wait for the next checkpoint (hived makes one every second)\n", a->h->prefix,
		        (unsigned long long)p.seq, (long long)res.last.size - 1, (unsigned long long)p.seq,
		        p.seq < res.records ? "is not covered yet" : "does not exist");
		return HCLI_NOENT;
	}
	merkle_inclusion_prove((const uint8_t(*)[MERKLE_HASH_LEN])p.leaves, res.last.size, p.seq, proof, &len);
	enum audit_verdict v = audit_proof_check(&res.last, p.seq, p.frame, p.frame_n,
	                                         (const uint8_t(*)[MERKLE_HASH_LEN])proof, len);
	print_line(&p.rec);
	sodium_bin2hex(hex, sizeof hex, p.leaves[p.seq], MERKLE_HASH_LEN);
	printf("leaf %s\n", hex);
	printf("index %llu size %llu\n", (unsigned long long)p.seq, (unsigned long long)res.last.size);
	for (size_t i = 0; i < len; i++) {
		sodium_bin2hex(hex, sizeof hex, proof[i], MERKLE_HASH_LEN);
		printf("proof %s\n", hex);
	}
	free(p.leaves);
	if (v != AV_OK) {
		fprintf(stderr, "%s: audit prove: the proof does not match the checkpoint\n", a->h->prefix);
		return AV_BAD_PROOF;
	}
	printf("verified: record %llu is in the tree of the checkpoint of size %llu signed by %s\n",
	       (unsigned long long)p.seq, (unsigned long long)res.last.size, a->pub.id);
	return HCLI_OK;
}

static int checkpoint_verb(struct auditcmd *a)
{
	static struct audit_verify_result res;
	char note[HIVE_AUDIT_DETAIL_MAX + 1];
	int code = audit_walk(a, NULL, NULL, &res, 1);
	if (code != HCLI_OK)
		return code;
	if (audit_ckpt_note(&res.last, note, sizeof note) < 0)
		return HCLI_FAIL;
	fputs(note, stdout);
	return HCLI_OK;
}

int hcli_audit(struct hcli *h, int argc, char **argv)
{
	static struct auditcmd a;
	int pos = 0, code;
	memset(&a, 0, sizeof a);
	a.h = h;
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(AUDIT_USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? HCLI_USAGE : HCLI_OK;
	}
	const char *verb = argv[1];
	const char *usage = !strcmp(verb, "verify") ? VERIFY_USAGE : AUDIT_USAGE;
	if (strcmp(verb, "verify") && strcmp(verb, "query") && strcmp(verb, "prove") && strcmp(verb, "tail") &&
	    strcmp(verb, "export") && strcmp(verb, "checkpoint"))
		return hcli_usage(h, "audit %s: no such verb (verify query prove tail export checkpoint; "
		                  "see `hive audit --help`)", verb);
	code = audit_args(&a, argc - 1, argv + 1, usage, &pos);
	if (code < 0)
		return HCLI_OK; /* --help */
	if (code)
		return code;
	int nargs = argc - 1 - pos;
	char **args = argv + 1 + pos;
	if (!strcmp(verb, "prove")) {
		if (nargs != 1)
			return hcli_usage(h, "usage: hive audit prove [--state DIR] [--key PUB] SEQ");
		return prove_verb(&a, args[0]);
	}
	if (nargs != 0)
		return hcli_usage(h, "audit %s: unexpected argument '%s' (see `hive audit --help`)", verb, args[0]);
	if (!strcmp(verb, "verify"))
		return verify_verb(&a);
	if (!strcmp(verb, "checkpoint"))
		return checkpoint_verb(&a);
	static struct audit_verify_result res;
	if (!strcmp(verb, "query"))
		return audit_walk(&a, query_each, &a, &res, 1);
	if (!strcmp(verb, "export"))
		return audit_walk(&a, export_each, &a, &res, 1);
	struct tailring t = { .cap = a.tail_n };
	t.recs = calloc(t.cap, sizeof *t.recs);
	if (!t.recs)
		return hcli_usage(h, "-n %lu: out of memory", a.tail_n);
	code = audit_walk(&a, tail_each, &t, &res, 1);
	unsigned long first = t.n > t.cap ? t.n - t.cap : 0;
	for (unsigned long i = first; i < t.n; i++)
		print_line(&t.recs[i % t.cap]);
	free(t.recs);
	return code;
}
