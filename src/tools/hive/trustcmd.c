/*
 * trustcmd.c — `hive key`, `hive manifest sign|verify`, `hive trust`:
 * everything an operator does with signing keys, offline, with the same
 * src/trust code the hive will check spawns with. A secret key is only
 * ever named by its file, never passed in argv.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/fileio.h"
#include "lib/statedir.h"
#include "trust/manifest.h"
#include "trust/sigkey.h"
#include "trust/truststore.h"
#include "trustcmd.h"

#define KEY_USAGE                                                                           \
	"usage: hive key new [--out DIR] [--name NAME] [--comment TEXT] [--force]\n"          \
	"       hive key show [PUBFILE]\n"                                                   \
	"  new   make an Ed25519 signing key: DIR/NAME.key (secret, mode 0600) and\n"        \
	"        DIR/NAME.pub; default <state>/keys/operator.{key,pub}; an existing key\n"    \
	"        is kept unless --force\n"                                                   \
	"  show  print the key id, comment and public key line (default the operator's)\n" \
	"  (global --json before the verb: one JSON object)\n"
#define MANIFEST_USAGE                                                                      \
	"usage: hive manifest sign FILE [--key KEYFILE]\n"                                   \
	"       hive manifest verify FILE [--sig SIGFILE]\n"                                 \
	"  sign    check FILE parses, then write its detached signature to FILE.sig\n"       \
	"          (key default <state>/keys/operator.key)\n"                                \
	"  verify  check FILE.sig (or SIGFILE) against the trust store <state>/trust and\n"  \
	"          that FILE parses; print the signer and what FILE would spawn.\n"          \
	"          Exit 4 when unsigned, tampered or untrusted; 1 when malformed\n"          \
	"  (schema: docs/manifest.md; global --json before the verb: verify prints JSON)\n"
#define TRUST_USAGE                                                                         \
	"usage: hive trust add PUBFILE | hive trust ls | hive trust rm KEYID\n"              \
	"  the signer keys whose manifests this hive accepts, in <state>/trust\n"        \
	"  (global --json before the verb: ls prints a JSON list)\n"

static int hcli_is_help(const char *s)
{
	return !strcmp(s, "--help") || !strcmp(s, "-h") || !strcmp(s, "help");
}

static int hcli_help_out(const char *text)
{
	fputs(text, stdout);
	return HCLI_OK;
}

static int hcli_errno_exit(int code)
{
	return code == ENOENT ? HCLI_NOENT : code == EACCES || code == EPERM ? HCLI_PERM : HCLI_FAIL;
}

static int hcli_err(struct hcli *h, const struct err *e)
{
	fprintf(stderr, "%s: %s\n", h->prefix, e->msg);
	return hcli_errno_exit(e->code);
}

/* <state>/keys/operator.<ext>, the key `hive key new` makes by default. */
static int hcli_operator_path(struct hcli *h, const char *ext, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/keys/operator.%s", h->state, ext);
	return n < 0 || (size_t)n >= cap ? hcli_usage(h, "state directory path too long") : 0;
}

/* Parse the options of a sub-verb (argv[0] is the sub-verb). */
static int hcli_subopts(int argc, char **argv, const struct option *lo, int *opt)
{
	*opt = getopt_long(argc, argv, "h", lo, NULL); /* options may follow FILE */
	return *opt;
}

/* Make a key pair in dir (made 0700 if missing): keyp secret, pubp public;
 * comment NULL means "user@host". Returns 0 with *k set, or an exit code
 * (message printed; nothing of k to wipe). */
static int hcli_key_make(struct hcli *h, const char *dir, const char *keyp, const char *pubp,
                         const char *comment, struct sigkey *k)
{
	char who[128];
	struct err e = { 0 };
	if (!comment) {
		char host[64] = "localhost";
		const char *user = getenv("USER");
		gethostname(host, sizeof host - 1);
		snprintf(who, sizeof who, "%.40s@%.40s", user && *user ? user : "operator", host);
		for (char *p = who; *p; p++)
			if (*p < 0x21 || *p > 0x7e)
				*p = '_';
		comment = who;
	}
	int rc = statedir_make(dir, 0700);
	if (rc < 0) {
		fprintf(stderr, "%s: cannot make %s: %s\n", h->prefix, dir, strerror(-rc));
		return hcli_errno_exit(-rc);
	}
	if (sigkey_generate(k, comment, &e) < 0 || sigkey_save(k, keyp, pubp, &e) < 0) {
		sigkey_wipe(k);
		return hcli_err(h, &e);
	}
	return 0;
}

static int hcli_key_new(struct hcli *h, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "out", required_argument, NULL, 'o' },   { "name", required_argument, NULL, 'n' },
		{ "comment", required_argument, NULL, 'c' }, { "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
	};
	char dir[HIVE_PATH_MAX], keyp[HIVE_PATH_MAX + 80], pubp[HIVE_PATH_MAX + 80];
	const char *out = NULL, *name = "operator", *comment = NULL;
	int force = 0, opt;
	struct sigkey k;

	optind = 0;
	while (hcli_subopts(argc, argv, lo, &opt) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 'n': name = optarg; break;
		case 'c': comment = optarg; break;
		case 'f': force = 1; break;
		case 'h': return hcli_help_out(KEY_USAGE);
		default: return hcli_usage(h, "key new: see `hive key --help`");
		}
	}
	if (optind < argc)
		return hcli_usage(h, "key new: unexpected argument '%s'", argv[optind]);
	if (!*name || strlen(name) > 64 || strchr(name, '/') || name[0] == '.')
		return hcli_usage(h, "key new: --name wants a file name without '/', not '%s'", name);
	int n = out ? snprintf(dir, sizeof dir, "%s", out) : snprintf(dir, sizeof dir, "%s/keys", h->state);
	if (n < 0 || (size_t)n >= sizeof dir)
		return hcli_usage(h, "key new: directory path too long");
	snprintf(keyp, sizeof keyp, "%s/%s.key", dir, name);
	snprintf(pubp, sizeof pubp, "%s/%s.pub", dir, name);
	if (!force && (access(keyp, F_OK) == 0 || access(pubp, F_OK) == 0)) {
		fprintf(stderr, "%s: %s already exists; keep it, or pass --force to replace it (manifests "
		        "signed with the old key then stop verifying once it leaves the trust store)\n",
		        h->prefix, keyp);
		return HCLI_FAIL;
	}
	if (hcli_key_make(h, dir, keyp, pubp, comment, &k))
		return HCLI_FAIL;
	if (h->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "id", k.pub.id, "comment", k.pub.comment,
		                      "key", keyp, "pub", pubp);
		if (o) {
			json_dumpf(o, stdout, JSON_COMPACT);
			json_decref(o);
		}
		putchar('\n');
	} else {
		printf("key %s (%s): secret %s, public %s\n", k.pub.id, k.pub.comment, keyp, pubp);
		fprintf(stderr, "%s: to accept manifests it signs: hive trust add %s\n", h->prefix, pubp);
	}
	sigkey_wipe(&k);
	return HCLI_OK;
}

static int hcli_key_show(struct hcli *h, int argc, char **argv)
{
	char path[HIVE_PATH_MAX], line[HIVE_KEY_FILE_MAX];
	struct sigkey_pub p;
	struct err e = { 0 };
	if (argc > 2)
		return hcli_usage(h, "key show: at most one PUBFILE");
	if (argc == 2)
		snprintf(path, sizeof path, "%s", argv[1]);
	else if (hcli_operator_path(h, "pub", path, sizeof path))
		return HCLI_USAGE;
	if (sigkey_pub_load(&p, path, &e) < 0)
		return hcli_err(h, &e);
	if (h->json) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "id", p.id, "comment", p.comment, "pub", path);
		if (o) {
			json_dumpf(o, stdout, JSON_COMPACT);
			json_decref(o);
		}
		putchar('\n');
		return HCLI_OK;
	}
	sigkey_pub_format(&p, line, sizeof line);
	printf("id %s\ncomment %s\n%s", p.id, p.comment, line);
	return HCLI_OK;
}

int hcli_key(struct hcli *h, int argc, char **argv)
{
	if (argc < 2 || hcli_is_help(argv[1]))
		return argc < 2 ? hcli_usage(h, "%s", KEY_USAGE) : hcli_help_out(KEY_USAGE);
	if (!strcmp(argv[1], "new"))
		return hcli_key_new(h, argc - 1, argv + 1);
	if (!strcmp(argv[1], "show")) {
		if (argc > 2 && hcli_is_help(argv[2]))
			return hcli_help_out(KEY_USAGE);
		return hcli_key_show(h, argc - 1, argv + 1);
	}
	return hcli_usage(h, "key: unknown sub-verb '%s' (new, show)", argv[1]);
}

/* --- manifest --------------------------------------------------------- */

/* Read a manifest whole into a new buffer. Returns its length or an exit
 * code as a negative number, message printed. */
static ssize_t hcli_read_manifest(struct hcli *h, const char *path, char **out)
{
	char *buf = malloc(HIVE_MANIFEST_BYTES_MAX + 1);
	if (!buf) {
		fprintf(stderr, "%s: out of memory\n", h->prefix);
		return -HCLI_FAIL;
	}
	ssize_t n = fileio_read_small(path, buf, HIVE_MANIFEST_BYTES_MAX + 1);
	if (n < 0) {
		if (n == -EFBIG)
			fprintf(stderr, "%s: %s: malformed: larger than the %u bytes a manifest may be\n",
			        h->prefix, path, HIVE_MANIFEST_BYTES_MAX);
		else
			fprintf(stderr, "%s: %s: %s\n", h->prefix, path, strerror((int)-n));
		free(buf);
		return n == -EFBIG ? -HCLI_FAIL : -hcli_errno_exit((int)-n);
	}
	*out = buf;
	return n;
}

/* "workload dream-team: 31 agents (researcher=10 coder=10 ...)" */
static void hcli_manifest_summary(const struct manifest *m, char *out, size_t cap)
{
	size_t off = 0;
	if (m->kind == MANIFEST_AGENT) {
		snprintf(out, cap, "agent of class %s, tenant %s", m->name, m->tenant);
		return;
	}
	off = (size_t)snprintf(out, cap, "workload %s, tenant %s: %u agents (", m->name, m->tenant,
	                       m->agents);
	for (uint32_t i = 0; i < m->nclasses && off < cap; i++)
		off += (size_t)snprintf(out + off, cap - off, "%s%s=%u", i ? " " : "",
		                        m->classes[i].name, m->classes[i].count);
	if (off < cap)
		snprintf(out + off, cap - off, ")");
}

static int hcli_manifest_sign(struct hcli *h, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char keyp[HIVE_PATH_MAX], sigp[HIVE_PATH_MAX + 8], line[HIVE_KEY_FILE_MAX], what[512];
	const char *key = NULL;
	char *buf = NULL;
	struct manifest *m = NULL;
	struct sigkey k;
	struct err e = { 0 };
	int opt, code = HCLI_OK;

	optind = 0;
	while (hcli_subopts(argc, argv, lo, &opt) != -1) {
		if (opt == 'k')
			key = optarg;
		else if (opt == 'h')
			return hcli_help_out(MANIFEST_USAGE);
		else
			return hcli_usage(h, "manifest sign: see `hive manifest --help`");
	}
	if (optind != argc - 1)
		return hcli_usage(h, "manifest sign: want one FILE (usage: hive manifest sign FILE "
		                     "[--key KEYFILE])");
	const char *file = argv[optind];
	if (key)
		snprintf(keyp, sizeof keyp, "%s", key);
	else if (hcli_operator_path(h, "key", keyp, sizeof keyp))
		return HCLI_USAGE;
	if ((size_t)snprintf(sigp, sizeof sigp, "%s.sig", file) >= sizeof sigp)
		return hcli_usage(h, "manifest sign: path too long");
	ssize_t n = hcli_read_manifest(h, file, &buf);
	if (n < 0)
		return (int)-n;
	/* Signing says "run this": refuse to vouch for what cannot run. */
	if (manifest_parse(buf, (size_t)n, &m, &e) < 0) {
		fprintf(stderr, "%s: %s: not signed, the manifest is malformed: %s\n", h->prefix, file, e.msg);
		code = HCLI_FAIL;
		goto out;
	}
	if (sigkey_load(&k, keyp, &e) < 0) {
		if (!key && e.code == ENOENT)
			fprintf(stderr, "%s: no operator key at %s (make one with `hive key new`, or pass "
			        "--key KEYFILE)\n", h->prefix, keyp);
		else
			fprintf(stderr, "%s: %s\n", h->prefix, e.msg);
		code = hcli_errno_exit(e.code);
		goto out;
	}
	int len = sigkey_sign(&k, buf, (size_t)n, line, sizeof line);
	int rc = len < 0 ? len : fileio_write_atomic(sigp, line, (size_t)len, 0644);
	if (rc < 0) {
		fprintf(stderr, "%s: %s: cannot write the signature: %s\n", h->prefix, sigp, strerror(-rc));
		code = hcli_errno_exit(-rc);
	} else {
		hcli_manifest_summary(m, what, sizeof what);
		printf("signed %s with key %s -> %s (%s)\n", file, k.pub.id, sigp, what);
	}
	sigkey_wipe(&k);
out:
	manifest_free(m);
	free(buf);
	return code;
}

static int hcli_manifest_verify(struct hcli *h, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "sig", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char sigp[HIVE_PATH_MAX + 8], sigbuf[HIVE_KEY_FILE_MAX], what[512];
	const char *sigarg = NULL, *sig = NULL;
	char *buf = NULL;
	struct manifest *m = NULL;
	struct sigkey_pub signer;
	struct err e = { 0 };
	enum trust_verdict v;
	int opt;

	optind = 0;
	while (hcli_subopts(argc, argv, lo, &opt) != -1) {
		if (opt == 's')
			sigarg = optarg;
		else if (opt == 'h')
			return hcli_help_out(MANIFEST_USAGE);
		else
			return hcli_usage(h, "manifest verify: see `hive manifest --help`");
	}
	if (optind != argc - 1)
		return hcli_usage(h, "manifest verify: want one FILE (usage: hive manifest verify FILE "
		                     "[--sig SIGFILE])");
	const char *file = argv[optind];
	int pn = sigarg ? snprintf(sigp, sizeof sigp, "%s", sigarg) :
	                  snprintf(sigp, sizeof sigp, "%s.sig", file);
	if (pn < 0 || (size_t)pn >= sizeof sigp)
		return hcli_usage(h, "manifest verify: path too long");
	ssize_t n = hcli_read_manifest(h, file, &buf);
	if (n < 0)
		return (int)-n;
	ssize_t sn = fileio_read_small(sigp, sigbuf, sizeof sigbuf);
	if (sn >= 0 && !memchr(sigbuf, '\0', (size_t)sn))
		sig = sigbuf;
	else if (sn >= 0 || sn == -EFBIG)
		sig = "not a signature"; /* parses as malformed, with the reason */
	else if (sn != -ENOENT) {
		fprintf(stderr, "%s: %s: %s\n", h->prefix, sigp, strerror((int)-sn));
		free(buf);
		return hcli_errno_exit((int)-sn);
	}
	v = truststore_verify(h->state, buf, (size_t)n, sig, &signer, &e);
	if (v == TRUST_OK && manifest_parse(buf, (size_t)n, &m, &e) < 0)
		v = TRUST_MALFORMED;
	free(buf);
	if (v != TRUST_OK) {
		fprintf(stderr, "%s: %s refused: %s%s\n", h->prefix, file,
		        v == TRUST_MALFORMED && !strstr(e.msg, "malformed") ? "malformed: " : "", e.msg);
		if (h->json)
			printf("{\"verdict\":\"%s\"}\n", trust_verdict_name(v));
		return v == TRUST_MALFORMED ? HCLI_FAIL : HCLI_PERM;
	}
	hcli_manifest_summary(m, what, sizeof what);
	if (h->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i}", "verdict", "ok", "signer",
		                      signer.id, "comment", signer.comment, "kind",
		                      manifest_kind_name(m->kind), "name", m->name, "agents",
		                      (int)m->agents, "classes", (int)m->nclasses);
		if (o) {
			json_dumpf(o, stdout, JSON_COMPACT);
			json_decref(o);
		}
		putchar('\n');
	} else {
		printf("ok: %s signed by %s (%s); %s\n", file, signer.id, signer.comment, what);
	}
	manifest_free(m);
	return HCLI_OK;
}

int hcli_manifest(struct hcli *h, int argc, char **argv)
{
	if (argc < 2 || hcli_is_help(argv[1]))
		return argc < 2 ? hcli_usage(h, "%s", MANIFEST_USAGE) : hcli_help_out(MANIFEST_USAGE);
	if (!strcmp(argv[1], "sign"))
		return hcli_manifest_sign(h, argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return hcli_manifest_verify(h, argc - 1, argv + 1);
	return hcli_usage(h, "manifest: unknown sub-verb '%s' (sign, verify)", argv[1]);
}

/* --- trust store ------------------------------------------------------ */

static int hcli_trust_ls(struct hcli *h)
{
	struct sigkey_pub *keys = calloc(HIVE_TRUST_KEYS_MAX, sizeof *keys);
	struct err e = { 0 };
	if (!keys) {
		fprintf(stderr, "%s: out of memory\n", h->prefix);
		return HCLI_FAIL;
	}
	int n = truststore_list(h->state, keys, HIVE_TRUST_KEYS_MAX, &e);
	if (n < 0) {
		free(keys);
		return hcli_err(h, &e);
	}
	json_t *arr = h->json ? json_array() : NULL;
	for (int i = 0; i < n; i++) {
		if (arr)
			json_array_append_new(arr, json_pack("{s:s, s:s}", "id", keys[i].id, "comment",
			                                     keys[i].comment));
		else
			printf("%s  %s\n", keys[i].id, keys[i].comment);
	}
	if (arr) {
		json_dumpf(arr, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(arr);
	}
	free(keys);
	return HCLI_OK;
}

int hcli_trust(struct hcli *h, int argc, char **argv)
{
	struct sigkey_pub p;
	struct err e = { 0 };
	if (argc < 2 || hcli_is_help(argv[1]) || (argc > 2 && hcli_is_help(argv[2])))
		return argc < 2 ? hcli_usage(h, "%s", TRUST_USAGE) : hcli_help_out(TRUST_USAGE);
	if (!strcmp(argv[1], "ls")) {
		if (argc != 2)
			return hcli_usage(h, "trust ls takes no arguments");
		return hcli_trust_ls(h);
	}
	if (!strcmp(argv[1], "add")) {
		if (argc != 3)
			return hcli_usage(h, "usage: hive trust add PUBFILE");
		if (sigkey_pub_load(&p, argv[2], &e) < 0)
			return hcli_err(h, &e);
		int rc = truststore_add(h->state, &p, &e);
		if (rc < 0)
			return hcli_err(h, &e);
		printf("%s %s (%s)\n", rc == 1 ? "already trusted" : "trusted", p.id, p.comment);
		return HCLI_OK;
	}
	if (!strcmp(argv[1], "rm")) {
		if (argc != 3)
			return hcli_usage(h, "usage: hive trust rm KEYID");
		if (!sigkey_id_valid(argv[2]))
			return hcli_usage(h, "trust rm: '%s' is not a key id (16 hex digits, see `hive "
			                     "trust ls`)", argv[2]);
		if (truststore_remove(h->state, argv[2], &e) < 0)
			return hcli_err(h, &e);
		printf("removed %s\n", argv[2]);
		return HCLI_OK;
	}
	return hcli_usage(h, "trust: unknown sub-verb '%s' (add, ls, rm)", argv[1]);
}

/* --- the operator key on first use (hive run) ------------------------- */

int hcli_operator_key(struct hcli *h, struct sigkey *k)
{
	char dir[HIVE_PATH_MAX + 8], keyp[HIVE_PATH_MAX], pubp[HIVE_PATH_MAX];
	struct sigkey_pub trusted;
	struct err e = { 0 };
	int code;

	if ((code = hcli_operator_path(h, "key", keyp, sizeof keyp)) ||
	    (code = hcli_operator_path(h, "pub", pubp, sizeof pubp)))
		return code;
	snprintf(dir, sizeof dir, "%s/keys", h->state);
	if (sigkey_load(k, keyp, &e) < 0) {
		if (e.code != ENOENT)
			return hcli_err(h, &e);
		/* First use: what `hive key new` would make. */
		if ((code = hcli_key_make(h, dir, keyp, pubp, NULL, k)))
			return code;
		fprintf(stderr, "%s: made the operator key %s (%s): %s\n", h->prefix, k->pub.id,
		        k->pub.comment, keyp);
	}
	/* Signed but untrusted would be refused by the hive: trust it here, as
	 * `hive trust add` would, when this user may write the store. */
	if (truststore_get(h->state, k->pub.id, &trusted, &e) == 0)
		return 0;
	if (e.code != ENOENT)
		return 0; /* cannot read the store: the hive judges the signature */
	if (truststore_add(h->state, &k->pub, &e) < 0) {
		fprintf(stderr, "%s: the operator key %s is not trusted by this hive and cannot be added "
		        "here: %s (as the hive's owner run: hive --state %s trust add %s)\n", h->prefix,
		        k->pub.id, e.msg, h->state, pubp);
		sigkey_wipe(k);
		return hcli_errno_exit(e.code);
	}
	fprintf(stderr, "%s: trusted the operator key %s in %s/trust\n", h->prefix, k->pub.id, h->state);
	return 0;
}
