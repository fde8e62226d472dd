/*
 * attestcmd.c — `hive attest`: check an attestation file offline against
 * a hive's public key (trust/attest does the work; this reads and prints),
 * or fetch a running hive's: `hive attest AID` reads /agent/<aid>/attest
 * and the hive's key from /proc/hive.pub and checks the one with the other
 * exactly as the offline check does.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attestcmd.h"
#include "client/hive_agent.h"
#include "lib/fileio.h"
#include "trust/attest.h"
#include "trust/sigkey.h"

#define ATTEST_USAGE                                                                       \
	"usage: hive attest --verify FILE --key PUB [--json]\n"                                 \
	"       hive attest AID [--json]\n"                                                      \
	"  check an attestation offline, no hive needed: FILE must be signed by the hive\n"     \
	"  whose public key is PUB (<state>/keys/hive.pub, or `hive cat /proc/hive.pub`).\n"   \
	"  Prints the record's fields (--json: the record as JSON) and exits 0; otherwise\n"    \
	"  says why: exit 4 for bad-signature or wrong-key, 1 for malformed\n"                   \
	"  (docs/attestation.md).\n"                                                              \
	"  AID: fetch a running agent's attestation from /agent/AID/attest and check it\n"       \
	"  against the hive's public key from /proc/hive.pub; same output and exit codes\n"

static void attest_print(const struct attest_record *r)
{
	char mh[2 * ATTEST_HASH_LEN + 1], eh[2 * ATTEST_HASH_LEN + 1];
	sodium_bin2hex(mh, sizeof mh, r->manifest_hash, ATTEST_HASH_LEN);
	sodium_bin2hex(eh, sizeof eh, r->exe_hash, ATTEST_HASH_LEN);
	printf("verdict          ok\n");
	printf("hive_key         %s\n", r->hive_key);
	printf("aid              %s\n", r->aid);
	printf("manifest_hash    %s\n", mh);
	printf("manifest_signer  %s\n", r->manifest_signer);
	printf("authorizer       %s\n", r->authorizer);
	printf("exe_path         %s\n", r->exe_path);
	printf("exe_hash         %s\n", eh);
	for (size_t i = 0; i < r->argc; i++) {
		char label[32];
		snprintf(label, sizeof label, "argv[%zu]", i);
		printf("%-17s%s\n", label, r->argv[i]);
	}
	for (size_t i = 0; i < r->ncaps; i++)
		printf("cap              %s\n", r->caps[i]);
	printf("enforcement      %s\n", r->enforcement);
	printf("time_ms          %llu\n", (unsigned long long)r->time_ms);
}

/* Judge n bytes of an attestation (named `name` in messages) against pub
 * and print the record or the verdict. Returns the exit code. */
static int attest_check(struct hcli *h, const char *name, const char *buf, size_t n,
                        const struct sigkey_pub *pub, int json)
{
	struct attest_record r;
	struct err e = { 0 };
	enum attest_verdict v = attest_verify(buf, n, pub, &r, &e);
	if (v != ATTEST_OK) {
		fprintf(stderr, "%s: %s: %s: %s\n", h->prefix, name, attest_verdict_name(v), e.msg);
		/* Like a manifest's: a signature that does not hold is a refusal. */
		return v == ATTEST_MALFORMED ? HCLI_FAIL : HCLI_PERM;
	}
	if (json) {
		char *text = NULL;
		if (attest_record_json(&r, &text, &e) < 0) {
			attest_record_clear(&r);
			fprintf(stderr, "%s: %s\n", h->prefix, e.msg);
			return HCLI_FAIL;
		}
		printf("%s\n", text);
		free(text);
	} else {
		attest_print(&r);
	}
	attest_record_clear(&r);
	return HCLI_OK;
}

/* `hive attest AID`: the agent's record from the hive, checked with the
 * hive's own key (the hive's answer is not taken on its word: a record the
 * key does not verify is reported as such). */
static int attest_aid(struct hcli *h, const char *aid, int json)
{
	char pubtext[HIVE_KEY_FILE_MAX + 1], name[64];
	struct sigkey_pub pub;
	struct err e = { 0 };
	int code;

	if (!hive_aid_valid(aid))
		return hcli_usage(h, "attest: '%s' is not an AID (a-<n>): `hive attest AID` needs agents "
		                     "this hive spawned (see `hive ps`); to check a file offline: "
		                     "hive attest --verify FILE --key PUB", aid);
	if ((code = hcli_connect(h)))
		return code;
	ssize_t pn = hivec_read_file(h->c, "/proc/hive.pub", pubtext, sizeof pubtext - 1);
	if (pn < 0)
		return hcli_fail_lib(h, (int)pn);
	pubtext[pn] = '\0';
	if (sigkey_pub_parse(&pub, pubtext, &e) < 0) {
		fprintf(stderr, "%s: /proc/hive.pub: %s (is that a hive?)\n", h->prefix, e.msg);
		return HCLI_FAIL;
	}
	char *buf = malloc(HIVE_ATTEST_FILE_MAX + 1);
	if (!buf) {
		fprintf(stderr, "%s: out of memory\n", h->prefix);
		return HCLI_FAIL;
	}
	ssize_t n = hive_attest(h->c, aid, buf, HIVE_ATTEST_FILE_MAX + 1);
	if (n < 0 && n != -EFBIG) {
		free(buf);
		return hcli_fail_said(h, (int)n, hivec_error(h->c));
	}
	snprintf(name, sizeof name, "/agent/%s/attest", aid);
	code = attest_check(h, name, buf, n < 0 ? (size_t)HIVE_ATTEST_FILE_MAX + 1 : (size_t)n, &pub, json);
	free(buf);
	return code;
}

int hcli_attest(struct hcli *h, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "verify", required_argument, NULL, 'v' }, { "key", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },         { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL, *keyp = NULL;
	struct sigkey_pub pub;
	struct err e = { 0 };
	int opt, json = h->json;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'v': file = optarg; break;
		case 'k': keyp = optarg; break;
		case 'j': json = 1; break;
		case 'h': fputs(ATTEST_USAGE, stdout); return HCLI_OK;
		default: return hcli_usage(h, "attest: see `hive attest --help`");
		}
	}
	if (!file && !keyp && optind == argc - 1)
		return attest_aid(h, argv[optind], json);
	if (!file || !keyp || optind != argc)
		return hcli_usage(h, "attest: want --verify FILE --key PUB (see `hive attest --help`)");
	if (sigkey_pub_load(&pub, keyp, &e) < 0) {
		fprintf(stderr, "%s: %s\n", h->prefix, e.msg);
		return e.code == ENOENT ? HCLI_NOENT : HCLI_FAIL;
	}
	char *buf = malloc(HIVE_ATTEST_FILE_MAX + 1);
	if (!buf) {
		fprintf(stderr, "%s: out of memory\n", h->prefix);
		return HCLI_FAIL;
	}
	ssize_t n = fileio_read_small(file, buf, HIVE_ATTEST_FILE_MAX + 1);
	if (n < 0 && n != -EFBIG) {
		fprintf(stderr, "%s: %s: %s\n", h->prefix, file, strerror((int)-n));
		free(buf);
		return n == -ENOENT ? HCLI_NOENT : HCLI_FAIL;
	}
	/* A file over the bound is judged (malformed) like any other. */
	int code = attest_check(h, file, buf, n < 0 ? (size_t)HIVE_ATTEST_FILE_MAX + 1 : (size_t)n, &pub,
	                        json);
	free(buf);
	return code;
}
