/*
 * attestmk — make a test attestation until spawn makes real ones:
 *   attestmk KEYFILE EXE > FILE
 * signs a fixed record for EXE (hashed from its fd, as spawn will) with
 * the secret key in KEYFILE (e.g. <state>/keys/hive.key).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "trust/attest.h"

int main(int argc, char **argv)
{
	struct attest_record r = { 0 };
	struct sigkey k;
	struct err e = { 0 };
	char *caps[] = { "fs.read:/usr", "net.connect:443" };
	char *out = NULL;
	size_t n;

	if (argc != 3) {
		fprintf(stderr, "usage: attestmk KEYFILE EXE > FILE\n");
		return 2;
	}
	if (sigkey_load(&k, argv[1], &e) < 0) {
		fprintf(stderr, "attestmk: %s\n", e.msg);
		return 1;
	}
	int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || attest_hash_fd(fd, r.exe_hash) < 0) {
		perror(argv[2]);
		return 1;
	}
	close(fd);
	snprintf(r.aid, sizeof r.aid, "a1");
	snprintf(r.manifest_signer, sizeof r.manifest_signer, "%s", k.pub.id);
	snprintf(r.authorizer, sizeof r.authorizer, "uid:%u", (unsigned)getuid());
	snprintf(r.exe_path, sizeof r.exe_path, "%s", argv[2]);
	snprintf(r.enforcement, sizeof r.enforcement, "landlock=none seccomp=none cgroup=none");
	r.argv = &argv[2];
	r.argc = 1;
	r.caps = caps;
	r.ncaps = 2;
	r.time_ms = 1700000000000ull;
	int rc = attest_sign(&r, &k, &out, &n, &e);
	sigkey_wipe(&k);
	if (rc < 0) {
		fprintf(stderr, "attestmk: %s\n", e.msg);
		return 1;
	}
	fwrite(out, 1, n, stdout);
	free(out);
	return 0;
}
