/*
 * test_manifest.c — manifests, capabilities, signing keys and the trust
 * store: what parses, every refusal (with the field named), and the
 * signature verdicts. Run under ASan: each refusal path must free what
 * the parser took before it failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fileio.h"
#include "test.h"
#include "trust/cap.h"
#include "trust/manifest.h"
#include "trust/sigkey.h"
#include "trust/truststore.h"

static const char agent_json[] =
	"{\"version\":1,\"kind\":\"agent\",\"class\":\"scout\",\"tenant\":\"lab\","
	"\"argv\":[\"/bin/sh\",\"-c\",\"echo hi\",\"\"],\"cwd\":\"/tmp\",\"home\":\"/home/scout\","
	"\"env\":[\"PATH\",\"LANG\"],"
	"\"caps\":[\"fs.read:/usr\",\"fs.write:/tmp/out\",\"fs.exec:/bin/sh\",\"net.connect:443\","
	"\"net.bind:8080\",\"infer:llama-3-8b\",\"gpu.lease\",\"cap.grant:fs.read:/srv/data\"],"
	"\"quota\":{\"cpu_weight\":100,\"memory_max\":67108864,\"pids_max\":8,"
	"\"tokens_per_minute\":600}}";

static struct manifest *parse_ok(const char *json)
{
	struct manifest *m = NULL;
	struct err e = { 0 };
	if (manifest_parse(json, strlen(json), &m, &e) < 0)
		printf("#   unexpected refusal: %s\n", e.msg);
	return m;
}

/* Refused with -code and a message containing want. */
static int refused(const char *json, size_t n, int code, const char *want)
{
	struct manifest *m = (struct manifest *)1;
	struct err e = { 0 };
	int rc = manifest_parse(json, n, &m, &e);
	if (rc != -code || m != NULL || !strstr(e.msg, want)) {
		printf("#   rc=%d want %d, msg '%s' want '%s'\n", rc, -code, e.msg, want);
		manifest_free(rc == 0 ? m : NULL);
		return 0;
	}
	return 1;
}
#define REFUSED(json, want) CHECK(refused(json, strlen(json), EINVAL, want))

/* An agent manifest with one field replaced: {"version":1, ... FIELD}. */
static char *agent_with(const char *field)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "{\"version\":1,\"kind\":\"agent\",\"class\":\"a\","
	         "\"argv\":[\"/bin/true\"]%s%s}", *field ? "," : "", field);
	return buf;
}

TEST(agent_parses)
{
	struct manifest *m = parse_ok(agent_json);
	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_EQ_INT(m->kind, MANIFEST_AGENT);
	CHECK_EQ_STR(m->name, "scout");
	CHECK_EQ_STR(m->tenant, "lab");
	CHECK_EQ_INT(m->nclasses, 1);
	CHECK_EQ_INT(m->agents, 1);
	struct manifest_class *c = &m->classes[0];
	CHECK_EQ_INT(c->count, 1);
	CHECK_EQ_INT(c->argc, 4);
	CHECK_EQ_STR(c->argv[0], "/bin/sh");
	CHECK_EQ_STR(c->argv[3], "");
	CHECK_EQ_STR(c->cwd, "/tmp");
	CHECK_EQ_STR(c->home, "/home/scout");
	CHECK_EQ_INT(c->nenv, 2);
	CHECK_EQ_STR(c->env[1], "LANG");
	CHECK_EQ_INT(c->ncaps, 8);
	CHECK_EQ_INT(c->caps[0].kind, CAP_FS_READ);
	CHECK_EQ_STR(c->caps[0].arg, "/usr");
	CHECK_EQ_INT(c->caps[3].kind, CAP_NET_CONNECT);
	CHECK_EQ_INT(c->caps[3].port, 443);
	CHECK_EQ_INT(c->caps[4].kind, CAP_NET_BIND);
	CHECK_EQ_INT(c->caps[5].kind, CAP_INFER);
	CHECK_EQ_STR(c->caps[5].arg, "llama-3-8b");
	CHECK_EQ_INT(c->caps[6].kind, CAP_GPU_LEASE);
	CHECK_EQ_INT(c->caps[7].kind, CAP_CAP_GRANT);
	CHECK_EQ_INT(c->caps[7].of, CAP_FS_READ);
	CHECK_EQ_STR(c->caps[7].arg, "/srv/data");
	CHECK_EQ_INT(c->quota.cpu_weight, 100);
	CHECK_EQ_INT(c->quota.memory_max, 67108864);
	CHECK_EQ_INT(c->quota.pids_max, 8);
	CHECK_EQ_INT(c->quota.tokens_per_minute, 600);
	uint8_t h[BLAKE3_OUT_LEN];
	blake3_hash(agent_json, strlen(agent_json), h);
	CHECK(memcmp(h, m->hash, sizeof h) == 0);
	manifest_free(m);

	/* Optional fields may be left out; the tenant defaults. */
	m = parse_ok(agent_with(""));
	CHECK(m && !strcmp(m->tenant, MANIFEST_DEFAULT_TENANT) && m->classes[0].ncaps == 0 &&
	      !m->classes[0].cwd && !m->classes[0].home);
	manifest_free(m);
}

TEST(dream_team_example_parses)
{
	const char *top = getenv("HIVE_TOP");
	char path[1024], *buf = malloc(HIVE_MANIFEST_BYTES_MAX + 1);
	snprintf(path, sizeof path, "%s/examples/dream-team.json", top ? top : ".");
	ssize_t n = buf ? fileio_read_small(path, buf, HIVE_MANIFEST_BYTES_MAX + 1) : -ENOMEM;
	CHECK(n > 0);
	struct manifest *m = n > 0 ? parse_ok(buf) : NULL;
	CHECK(m != NULL);
	if (m) {
		CHECK_EQ_INT(m->kind, MANIFEST_WORKLOAD);
		CHECK_EQ_STR(m->name, "dream-team");
		CHECK_EQ_INT(m->agents, 31);
		CHECK_EQ_INT(m->nclasses, 4);
		const struct manifest_class *cur = &m->classes[3];
		CHECK_EQ_STR(cur->name, "curious");
		CHECK_EQ_INT(cur->count, 1);
		CHECK(cur->argc == 3 && strstr(cur->argv[2], "$HOME/.ssh/id_ed25519"));
		CHECK(cur->home && !strncmp(cur->home, "/", 1));
	}
	manifest_free(m);
	snprintf(path, sizeof path, "%s/examples/agent.json", top ? top : ".");
	n = buf ? fileio_read_small(path, buf, HIVE_MANIFEST_BYTES_MAX + 1) : -ENOMEM;
	m = n > 0 ? parse_ok(buf) : NULL;
	CHECK(m && m->kind == MANIFEST_AGENT && m->agents == 1);
	manifest_free(m);
	free(buf);
}

TEST(unknown_keys_refused_by_name)
{
	REFUSED(agent_with("\"capz\":[]"), "unknown key 'capz'");
	REFUSED(agent_with("\"count\":3"), "unknown key 'count'");
	REFUSED(agent_with("\"quota\":{\"cpu\":1}"), "quota.unknown key 'cpu'");
	REFUSED("{\"version\":1,\"kind\":\"workload\",\"name\":\"w\",\"classes\":[{\"class\":\"a\","
	        "\"count\":1,\"argv\":[\"/bin/true\"],\"tenant\":\"x\"}]}",
	        "classes[0].unknown key 'tenant'");
	REFUSED("{\"version\":1,\"kind\":\"workload\",\"name\":\"w\",\"classes\":[],\"class\":\"a\"}",
	        "unknown key 'class'");
	/* A control byte in a key is not echoed raw. */
	REFUSED(agent_with("\"a\\u0001b\":1"), "unknown key 'a?b'");
}

TEST(bad_caps_refused)
{
	static const struct {
		const char *cap, *want;
	} bad[] = {
		{ "fs.list:/usr", "unknown kind" },
		{ "fs.read:usr/lib", "absolute clean path" },
		{ "fs.read:/usr/../etc", "absolute clean path" },
		{ "fs.read:/usr//lib", "absolute clean path" },
		{ "fs.read:/usr/", "absolute clean path" },
		{ "fs.read:/usr/./lib", "absolute clean path" },
		{ "fs.read", "absolute clean path" },
		{ "fs.write:", "absolute clean path" },
		{ "net.connect:0", "port 1..65535" },
		{ "net.connect:65536", "port 1..65535" },
		{ "net.bind:080", "port 1..65535" },
		{ "net.bind:-1", "port 1..65535" },
		{ "net.bind:80x", "port 1..65535" },
		{ "net.bind:", "port 1..65535" },
		{ "infer:", "model name" },
		{ "infer:llama 3", "model name" },
		{ "gpu.lease:1", "no operand" },
		{ "cap.grant", "capability it may grant" },
		{ "cap.grant:fs.nope:/x", "capability it may grant" },
		{ "cap.grant:cap.grant:gpu.lease", "does not chain" },
		{ "cap.grant:net.bind:99999", "port 1..65535" },
		{ "FS.READ:/usr", "unknown kind" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char field[256];
		snprintf(field, sizeof field, "\"caps\":[\"fs.read:/usr\",\"%s\"]", bad[i].cap);
		char want[128];
		snprintf(want, sizeof want, "caps[1]: capability");
		CHECK(refused(agent_with(field), strlen(agent_with(field)), EINVAL, want));
		CHECK(refused(agent_with(field), strlen(agent_with(field)), EINVAL, bad[i].want));
	}
	REFUSED(agent_with("\"caps\":[\"gpu.lease\",\"gpu.lease\"]"), "caps[1]: 'gpu.lease' is listed twice");
	REFUSED(agent_with("\"caps\":\"fs.read:/usr\""), "caps: must be a list");
	REFUSED(agent_with("\"caps\":[7]"), "caps[0]: must be a string");
}

TEST(caps_format_round_trip)
{
	static const char *const ok[] = { "fs.read:/", "fs.write:/tmp/x y", "fs.exec:/usr/bin/env",
		                          "net.connect:1", "net.bind:65535", "infer:org/model:q4@v2+x",
		                          "gpu.lease", "cap.grant:net.connect:443",
		                          "cap.grant:gpu.lease", "cap.grant:infer:m" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct cap c, again;
		char out[HIVE_PATH_MAX + 64];
		struct err e = { 0 };
		CHECK_EQ_INT(cap_parse(&c, ok[i], &e), 0);
		CHECK(cap_format(&c, out, sizeof out) > 0);
		CHECK_EQ_STR(out, ok[i]);
		CHECK_EQ_INT(cap_parse(&again, out, &e), 0);
		CHECK(cap_equal(&c, &again));
		cap_clear(&c);
		cap_clear(&again);
	}
}

TEST(fields_refused)
{
	REFUSED("[1]", "must be a JSON object");
	REFUSED("{\"version\":1,", "not valid JSON");
	REFUSED("{\"kind\":\"agent\"}", "version: missing");
	REFUSED("{\"version\":2,\"kind\":\"agent\"}", "version: must be a whole number in 1..1");
	REFUSED("{\"version\":1}", "kind: missing");
	REFUSED("{\"version\":1,\"kind\":\"swarm\"}", "kind: must be");
	REFUSED("{\"version\":1,\"version\":1,\"kind\":\"agent\"}", "duplicate");
	REFUSED("{\"version\":1,\"kind\":\"agent\",\"argv\":[\"/bin/true\"]}", "class: missing");
	REFUSED("{\"version\":1,\"kind\":\"agent\",\"class\":\"a\"}", "argv: missing");
	REFUSED(agent_with("\"class\":\"a\""), "duplicate");
	REFUSED("{\"version\":1,\"kind\":\"agent\",\"class\":\"../x\",\"argv\":[\"/bin/true\"]}",
	        "class: '../x' must be letters");
	REFUSED("{\"version\":1,\"kind\":\"agent\",\"class\":\"a\",\"argv\":[]}", "argv: must be a list");
	REFUSED("{\"version\":1,\"kind\":\"agent\",\"class\":\"a\",\"argv\":[\"true\"]}",
	        "argv[0]: 'true' must be an absolute clean path");
	REFUSED("{\"version\":1,\"kind\":\"agent\",\"class\":\"a\",\"argv\":[\"/bin/x\",\"a\\u0000b\"]}",
	        "not valid JSON"); /* jansson refuses NUL inside strings outright */
	REFUSED(agent_with("\"cwd\":\"tmp\""), "cwd: 'tmp' must be an absolute clean path");
	REFUSED(agent_with("\"home\":\"/home/../root\""), "home: '/home/../root' must be");
	REFUSED(agent_with("\"tenant\":\"a b\""), "tenant: 'a b' must be letters");
	REFUSED(agent_with("\"env\":[\"PATH=/bin\"]"), "env[0]: 'PATH=/bin' is not a variable name");
	REFUSED(agent_with("\"env\":[\"1X\"]"), "env[0]: '1X' is not a variable name");
	REFUSED(agent_with("\"env\":[\"A\",\"A\"]"), "env[1]: 'A' is listed twice");
	REFUSED(agent_with("\"quota\":{\"memory_max\":4096}"), "quota.memory_max (bytes): must be");
	REFUSED(agent_with("\"quota\":{\"cpu_weight\":0}"), "quota.cpu_weight: must be");
	REFUSED(agent_with("\"quota\":{\"cpu_weight\":10001}"), "quota.cpu_weight: must be");
	REFUSED(agent_with("\"quota\":{\"pids_max\":1.5}"), "quota.pids_max: must be a whole number");
	REFUSED(agent_with("\"quota\":{\"tokens_per_minute\":-1}"), "quota.tokens_per_minute");
	REFUSED(agent_with("\"quota\":[]"), "quota: must be an object");
}

/* A workload of nclasses classes of count agents each, the last class
 * carrying extra (e.g. a bad cap, so the error comes after many allocations). */
static char *workload(size_t nclasses, unsigned count, const char *extra)
{
	size_t cap = 256 + nclasses * 512;
	char *buf = malloc(cap);
	size_t off = (size_t)snprintf(buf, cap, "{\"version\":1,\"kind\":\"workload\",\"name\":\"w\","
	                              "\"classes\":[");
	for (size_t i = 0; i < nclasses; i++)
		off += (size_t)snprintf(buf + off, cap - off,
		                        "%s{\"class\":\"c%zu\",\"count\":%u,\"argv\":[\"/bin/sh\",\"-c\","
		                        "\"x\"],\"env\":[\"PATH\"],\"caps\":[\"fs.read:/usr\","
		                        "\"net.connect:443\"%s]}", i ? "," : "", i, count,
		                        i + 1 == nclasses ? extra : "");
	snprintf(buf + off, cap - off, "]}");
	return buf;
}

TEST(workload_bounds)
{
	char *w = workload(4, 256, "");
	struct manifest *m = parse_ok(w);
	CHECK(m && m->agents == 1024 && m->nclasses == 4);
	manifest_free(m);
	free(w);

	w = workload(5, 256, ""); /* 1280 agents */
	REFUSED(w, "classes[4].count: the workload would have more than 1024 agents");
	free(w);
	w = workload(1, HIVE_MANIFEST_CLASS_COUNT_MAX + 1, "");
	REFUSED(w, "classes[0].count: must be a whole number in 1..256");
	free(w);
	w = workload(1, 0, "");
	REFUSED(w, "classes[0].count: must be");
	free(w);
	w = workload(HIVE_MANIFEST_CLASSES_MAX + 1, 1, "");
	REFUSED(w, "classes: must be a list of 1..16");
	free(w);
	/* Fails in the last class, after every other class was allocated. */
	w = workload(HIVE_MANIFEST_CLASSES_MAX, 1, ",\"fs.read:relative\"");
	REFUSED(w, "classes[15].caps[2]: capability");
	free(w);
	REFUSED("{\"version\":1,\"kind\":\"workload\",\"name\":\"w\",\"classes\":[{\"class\":\"a\","
	        "\"argv\":[\"/bin/true\"]}]}", "classes[0].count: missing");
	REFUSED("{\"version\":1,\"kind\":\"workload\",\"name\":\"w\",\"classes\":[{\"class\":\"a\","
	        "\"count\":1,\"argv\":[\"/bin/true\"]},{\"class\":\"a\",\"count\":1,"
	        "\"argv\":[\"/bin/true\"]}]}", "classes[1].class: 'a' is listed twice");
	REFUSED("{\"version\":1,\"kind\":\"workload\",\"classes\":[]}", "name: missing");
	REFUSED("{\"version\":1,\"kind\":\"workload\",\"name\":\"w\",\"classes\":[3]}",
	        "classes[0]: must be an object");
}

TEST(list_bounds)
{
	size_t cap = 64 * 1024;
	char *field = malloc(cap), *json = malloc(cap + 256);
	/* argv: one entry over the count; then one byte over the total. */
	size_t off = (size_t)snprintf(field, cap, "\"argv\":[\"/bin/x\"");
	for (unsigned i = 1; i <= HIVE_MANIFEST_ARGV_MAX; i++)
		off += (size_t)snprintf(field + off, cap - off, ",\"a\"");
	snprintf(field + off, cap - off, "]");
	snprintf(json, cap + 256, "{\"version\":1,\"kind\":\"agent\",\"class\":\"a\",%s}", field);
	REFUSED(json, "argv: must be a list of 1..256");
	off = (size_t)snprintf(json, cap + 256, "{\"version\":1,\"kind\":\"agent\",\"class\":\"a\","
	                       "\"argv\":[\"/bin/x\"");
	for (int i = 0; i < 4; i++) {
		off += (size_t)snprintf(json + off, cap + 256 - off, ",\"");
		memset(json + off, 'z', 9000);
		off += 9000;
		off += (size_t)snprintf(json + off, cap + 256 - off, "\"");
	}
	snprintf(json + off, cap + 256 - off, "]}");
	REFUSED(json, "argv: more than 32768 bytes");
	/* env and caps one over. */
	off = (size_t)snprintf(field, cap, "\"env\":[");
	for (unsigned i = 0; i <= HIVE_MANIFEST_ENV_MAX; i++)
		off += (size_t)snprintf(field + off, cap - off, "%s\"V%u\"", i ? "," : "", i);
	snprintf(field + off, cap - off, "]");
	REFUSED(agent_with(field), "env: must be a list of at most 64");
	off = (size_t)snprintf(field, cap, "\"caps\":[");
	for (unsigned i = 0; i <= HIVE_MANIFEST_CAPS_MAX; i++)
		off += (size_t)snprintf(field + off, cap - off, "%s\"net.bind:%u\"", i ? "," : "", i + 1);
	snprintf(field + off, cap - off, "]");
	REFUSED(agent_with(field), "caps: must be a list of at most 64");
	free(field);
	free(json);
}

TEST(oversize_refused)
{
	size_t n = HIVE_MANIFEST_BYTES_MAX + 1;
	char *big = malloc(n);
	memset(big, ' ', n);
	memcpy(big, agent_json, strlen(agent_json)); /* valid JSON + spaces: still too big */
	CHECK(refused(big, n, EFBIG, "at most 65536"));
	struct manifest *m = NULL;
	struct err e = { 0 };
	CHECK_EQ_INT(manifest_parse(big, n - 1, &m, &e), 0); /* exactly the limit is fine */
	manifest_free(m);
	free(big);
}

/* --- keys, signatures, trust store ------------------------------------- */

static char tmpdir[64];

static void tmp_state(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/hive-test-trust.XXXXXX");
	if (!mkdtemp(tmpdir))
		tmpdir[0] = 0;
}

static void tmp_clean(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (tmpdir[0] && system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
}

TEST(key_files_round_trip)
{
	struct sigkey k, back;
	struct sigkey_pub pub;
	struct err e = { 0 };
	char kp[128], pp[128], buf[HIVE_KEY_FILE_MAX];
	tmp_state();
	snprintf(kp, sizeof kp, "%s/op.key", tmpdir);
	snprintf(pp, sizeof pp, "%s/op.pub", tmpdir);
	CHECK_EQ_INT(sigkey_generate(&k, "ops@lab", &e), 0);
	CHECK(sigkey_id_valid(k.pub.id));
	CHECK_EQ_INT(sigkey_save(&k, kp, pp, &e), 0);
	struct stat st;
	CHECK(stat(kp, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_EQ_INT(sigkey_load(&back, kp, &e), 0);
	CHECK(memcmp(back.pub.pk, k.pub.pk, SIGKEY_PUB_LEN) == 0);
	CHECK_EQ_STR(back.pub.comment, "ops@lab");
	CHECK_EQ_INT(sigkey_pub_load(&pub, pp, &e), 0);
	CHECK_EQ_STR(pub.id, k.pub.id);
	CHECK(memcmp(pub.pk, k.pub.pk, SIGKEY_PUB_LEN) == 0);

	/* A secret key others can read is refused, with the fix. */
	chmod(kp, 0640);
	CHECK_EQ_INT(sigkey_load(&back, kp, &e), -EACCES);
	CHECK(strstr(e.msg, "chmod 600") != NULL);
	/* Not ours, or subtly broken: refused. */
	static const char *const badpub[] = {
		"hive-ed25519-pub AAAA\n", "hive-ed25519-pub \n", "ssh-ed25519 AAAAC3Nza\n",
		"hive-ed25519-pub gFNF6HdiweIzhCaM6xeiye+0IX2Xi2XwyqScNGtlETw= x\n\n",
		"hive-ed25519-pub gFNF6HdiweIzhCaM6xeiye+0IX2Xi2XwyqScNGtlETw= \n",
		"hive-ed25519-pub gFNF6HdiweIzhCaM6xeiye+0IX2Xi2XwyqScNGtlETw=\r\n",
		"hive-ed25519-pub gFNF6HdiweIzhCaM6xeiye-0IX2Xi2XwyqScNGtlETw=\n",
		"hive-ed25519-pub gFNF6HdiweIzhCaM6xeiye+0IX2Xi2XwyqScNGtlETx=\n", /* not canonical */
	};
	for (size_t i = 0; i < sizeof badpub / sizeof badpub[0]; i++)
		CHECK(sigkey_pub_parse(&pub, badpub[i], &e) < 0);
	CHECK_EQ_INT(sigkey_pub_parse(&pub, "hive-ed25519-pub gFNF6HdiweIzhCaM6xeiye+0IX2Xi2XwyqScNGtlETw= a b\n",
	                              &e), 0);
	CHECK_EQ_STR(pub.comment, "a b");
	CHECK(fileio_write_atomic(kp, "hive-ed25519-key AAAA\n", 21, 0600) == 0);
	CHECK_EQ_INT(sigkey_load(&back, kp, &e), -EBADMSG);
	memset(buf, 'x', sizeof buf);
	CHECK(fileio_write_atomic(pp, buf, sizeof buf, 0644) == 0);
	CHECK_EQ_INT(sigkey_pub_load(&pub, pp, &e), -EBADMSG);
	/* A directory others can write could hold a planted key.tmp: refused. */
	char shared[128], sk[160];
	snprintf(shared, sizeof shared, "%s/shared", tmpdir);
	snprintf(sk, sizeof sk, "%s/op.key", shared);
	CHECK(mkdir(shared, 0700) == 0 && chmod(shared, 0777) == 0);
	CHECK_EQ_INT(sigkey_save(&k, sk, NULL, &e), -EACCES);
	CHECK(strstr(e.msg, "others can write") != NULL && access(sk, F_OK) < 0);
	CHECK(sigkey_generate(&k, "bad\ncomment", &e) < 0);
	sigkey_wipe(&k);
	sigkey_wipe(&back);
	tmp_clean();
}

TEST(sign_verify_verdicts)
{
	struct sigkey op, other;
	struct sigkey_pub signer;
	struct err e = { 0 };
	char sig[HIVE_KEY_FILE_MAX], forged[HIVE_KEY_FILE_MAX];
	size_t n = strlen(agent_json);
	char *copy = malloc(n);
	tmp_state();
	CHECK_EQ_INT(sigkey_generate(&op, "op", &e), 0);
	CHECK_EQ_INT(sigkey_generate(&other, "stranger", &e), 0);
	CHECK_EQ_INT(truststore_add(tmpdir, &op.pub, &e), 0);
	CHECK(sigkey_sign(&op, agent_json, n, sig, sizeof sig) > 0);

	CHECK_EQ_INT(truststore_verify(tmpdir, agent_json, n, sig, &signer, &e), TRUST_OK);
	CHECK_EQ_STR(signer.id, op.pub.id);
	CHECK_EQ_INT(truststore_verify(tmpdir, agent_json, n, NULL, NULL, &e), TRUST_UNSIGNED);
	CHECK_EQ_STR(trust_verdict_name(TRUST_UNSIGNED), "unsigned");

	/* Every single flipped bit of the manifest breaks the signature. */
	int all_bad = 1;
	for (size_t i = 0; i < n; i++) {
		memcpy(copy, agent_json, n);
		copy[i] ^= 0x01;
		if (truststore_verify(tmpdir, copy, n, sig, NULL, &e) != TRUST_BAD_SIGNATURE)
			all_bad = 0;
	}
	CHECK(all_bad);
	CHECK(strstr(e.msg, "bad-signature") != NULL);
	CHECK_EQ_INT(truststore_verify(tmpdir, agent_json, n - 1, sig, NULL, &e), TRUST_BAD_SIGNATURE);

	/* A key not in the store: untrusted, whatever it signed. */
	CHECK(sigkey_sign(&other, agent_json, n, forged, sizeof forged) > 0);
	CHECK_EQ_INT(truststore_verify(tmpdir, agent_json, n, forged, NULL, &e), TRUST_UNTRUSTED_SIGNER);
	CHECK(strstr(e.msg, other.pub.id) != NULL);
	/* The stranger's signature claiming the trusted key's id: the id is a
	 * hint, the signature decides. */
	memcpy(forged + strlen(SIGKEY_SIG_TAG) + 1, op.pub.id, SIGKEY_ID_LEN);
	CHECK_EQ_INT(truststore_verify(tmpdir, agent_json, n, forged, NULL, &e), TRUST_BAD_SIGNATURE);

	/* Broken signature files. */
	static const char *const bad[] = { "", "hive-ed25519-sig\n", "hive-ed25519-sig 0011 AAAA\n",
		                           "hive-ed25519-sig 00112233445566ZZ AAAA\n", "garbage" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_EQ_INT(truststore_verify(tmpdir, agent_json, n, bad[i], NULL, &e), TRUST_MALFORMED);
	char trunc[HIVE_KEY_FILE_MAX];
	snprintf(trunc, sizeof trunc, "%.*s\n", (int)strlen(sig) - 3, sig);
	CHECK_EQ_INT(truststore_verify(tmpdir, agent_json, n, trunc, NULL, &e), TRUST_MALFORMED);

	/* Removed from the store: untrusted again. */
	CHECK_EQ_INT(truststore_remove(tmpdir, op.pub.id, &e), 0);
	CHECK_EQ_INT(truststore_verify(tmpdir, agent_json, n, sig, NULL, &e), TRUST_UNTRUSTED_SIGNER);
	sigkey_wipe(&op);
	sigkey_wipe(&other);
	free(copy);
	tmp_clean();
}

TEST(truststore_add_list_remove)
{
	struct sigkey a, b;
	struct sigkey_pub got[4];
	struct err e = { 0 };
	char path[256], moved[256];
	tmp_state();
	CHECK_EQ_INT(truststore_list(tmpdir, got, 4, &e), 0); /* no store yet: empty */
	sigkey_generate(&a, "a", &e);
	sigkey_generate(&b, "b", &e);
	CHECK_EQ_INT(truststore_add(tmpdir, &a.pub, &e), 0);
	CHECK_EQ_INT(truststore_add(tmpdir, &a.pub, &e), 1);
	CHECK_EQ_INT(truststore_add(tmpdir, &b.pub, &e), 0);
	CHECK_EQ_INT(truststore_list(tmpdir, got, 4, &e), 2);
	CHECK(strcmp(got[0].id, got[1].id) < 0);
	snprintf(path, sizeof path, "%s/trust", tmpdir);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700);

	/* A key file renamed to another id is not believed. */
	snprintf(path, sizeof path, "%s/trust/%s.pub", tmpdir, b.pub.id);
	snprintf(moved, sizeof moved, "%s/trust/%s.pub", tmpdir, "0000000000000000");
	CHECK(rename(path, moved) == 0);
	CHECK_EQ_INT(truststore_get(tmpdir, "0000000000000000", &got[0], &e), -EBADMSG);
	CHECK_EQ_INT(truststore_list(tmpdir, got, 4, &e), 1);

	CHECK_EQ_INT(truststore_get(tmpdir, "../../etc/passwd", &got[0], &e), -EINVAL);
	CHECK_EQ_INT(truststore_remove(tmpdir, "../x", &e), -EINVAL);
	CHECK_EQ_INT(truststore_remove(tmpdir, a.pub.id, &e), 0);
	CHECK_EQ_INT(truststore_remove(tmpdir, a.pub.id, &e), -ENOENT);
	CHECK_EQ_INT(truststore_get(tmpdir, a.pub.id, &got[0], &e), -ENOENT);
	sigkey_wipe(&a);
	sigkey_wipe(&b);
	tmp_clean();
}

int main(void)
{
	RUN(agent_parses);
	RUN(dream_team_example_parses);
	RUN(unknown_keys_refused_by_name);
	RUN(bad_caps_refused);
	RUN(caps_format_round_trip);
	RUN(fields_refused);
	RUN(workload_bounds);
	RUN(list_bounds);
	RUN(oversize_refused);
	RUN(key_files_round_trip);
	RUN(sign_verify_verdicts);
	RUN(truststore_add_list_remove);
	return test_done();
}
