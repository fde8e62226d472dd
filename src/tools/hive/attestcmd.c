/*
 * attestcmd.c — `hive attest`: check an attestation file offline against
 * a hive's public key (trust/attest does the work; this reads and prints).
 * `hive attest AID`, which fetches /agent/<aid>/attest, needs agents.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attestcmd.h"
#include "lib/fileio.h"
#include "trust/attest.h"
#include "trust/sigkey.h"

#define ATTEST_USAGE                                                                       \
	"usage: hive attest --verify FILE --key PUB [--json]\n"                                 \
	"  check an attestation offline, no hive needed: FILE must be signed by the hive\n"     \
	"  whose public key is PUB (<state>/keys/hive.pub, or `hive cat /proc/hive.pub`).\n"   \
	"  Prints the record's fields (--json: the record as JSON) and exits 0; otherwise\n"    \
	"  says why: exit 4 for bad-signature or wrong-key, 1 for malformed\n"                   \
	"  (docs/attestation.md).\n"                                                              \
	"hive attest AID\n"                                                                     \
	"  fetch an agent's attestation from /agent/AID/attest (needs agents: not yet)\n"

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

int hcli_attest(struct hcli *h, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "verify", required_argument, NULL, 'v' }, { "key", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },         { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL, *keyp = NULL;
	struct attest_record r;
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
	if (!file && optind == argc - 1) {
		fprintf(stderr, "%s: attest %s: fetching an agent's attestation needs agents, which this "
		        "hive cannot spawn yet; check a file with `hive attest --verify FILE --key PUB`\n",
		        h->prefix, argv[optind]);
		return HCLI_FAIL;
	}
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
	enum attest_verdict v = attest_verify(buf, n < 0 ? (size_t)HIVE_ATTEST_FILE_MAX + 1 : (size_t)n,
	                                      &pub, &r, &e);
	free(buf);
	if (v != ATTEST_OK) {
		fprintf(stderr, "%s: %s: %s: %s\n", h->prefix, file, attest_verdict_name(v), e.msg);
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
