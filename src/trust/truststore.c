/*
 * truststore.c — <state>/trust/<id>.pub files. A file's name is only where
 * it lives: its id is recomputed from the key inside, so a file renamed to
 * another key's id is refused rather than believed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/fileio.h"
#include "lib/statedir.h"
#include "truststore.h"

static const char *const verdict_names[] = {
	[TRUST_OK] = "ok",
	[TRUST_UNSIGNED] = "unsigned",
	[TRUST_BAD_SIGNATURE] = "bad-signature",
	[TRUST_UNTRUSTED_SIGNER] = "untrusted-signer",
	[TRUST_MALFORMED] = "malformed",
};

const char *trust_verdict_name(enum trust_verdict v)
{
	return (unsigned)v <= TRUST_MALFORMED ? verdict_names[v] : "malformed";
}

int truststore_dir(const char *state, char *out, size_t cap)
{
	return statedir_path(state, TRUSTSTORE_DIR, out, cap);
}

static int truststore_file(const char *state, const char *id, char *out, size_t cap, struct err *err)
{
	char dir[HIVE_PATH_MAX];
	if (!sigkey_id_valid(id))
		return err_set(err, EINVAL, "'%.32s' is not a key id (16 hex digits, as `hive trust ls` "
		               "shows)", id);
	int n = truststore_dir(state, dir, sizeof dir) < 0 ? -1 :
	        snprintf(out, cap, "%s/%s.pub", dir, id);
	if (n < 0 || (size_t)n >= cap)
		return err_set(err, ENAMETOOLONG, "%s: state directory path too long", state);
	return 0;
}

int truststore_get(const char *state, const char *id, struct sigkey_pub *out, struct err *err)
{
	char path[HIVE_PATH_MAX + 32];
	struct err why = { 0 };
	int rc = truststore_file(state, id, path, sizeof path, err);
	if (rc < 0)
		return rc;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return err_set(err, ENOENT, "key %s is not in the trust store %s/%s", id, state,
		               TRUSTSTORE_DIR);
	if ((rc = sigkey_pub_load(out, path, &why)) < 0)
		return err_set(err, -rc, "trust store: %s", why.msg);
	if (strcmp(out->id, id) != 0)
		return err_set(err, EBADMSG, "trust store: %s holds key %s, not %s (remove the file)",
		               path, out->id, id);
	return 0;
}

int truststore_add(const char *state, const struct sigkey_pub *pub, struct err *err)
{
	char dir[HIVE_PATH_MAX], path[HIVE_PATH_MAX + 32], line[HIVE_KEY_FILE_MAX];
	struct sigkey_pub have;
	int rc = truststore_file(state, pub->id, path, sizeof path, err);
	if (rc < 0)
		return rc;
	if (truststore_get(state, pub->id, &have, NULL) == 0 && !memcmp(have.pk, pub->pk, sizeof have.pk))
		return 1;
	rc = truststore_list(state, NULL, 0, err);
	if (rc < 0)
		return rc;
	if ((unsigned)rc >= HIVE_TRUST_KEYS_MAX)
		return err_set(err, ENOSPC, "the trust store already holds %u keys; remove one first",
		               HIVE_TRUST_KEYS_MAX);
	truststore_dir(state, dir, sizeof dir);
	if ((rc = statedir_make(dir, 0700)) < 0)
		return err_set(err, -rc, "%s: cannot make the trust store: %s", dir, strerror(-rc));
	int n = sigkey_pub_format(pub, line, sizeof line);
	rc = n < 0 ? n : fileio_write_atomic(path, line, (size_t)n, 0644);
	if (rc < 0)
		return err_set(err, -rc, "%s: cannot write: %s", path, strerror(-rc));
	return 0;
}

int truststore_remove(const char *state, const char *id, struct err *err)
{
	char path[HIVE_PATH_MAX + 32];
	int rc = truststore_file(state, id, path, sizeof path, err);
	if (rc < 0)
		return rc;
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return err_set(err, ENOENT, "key %s is not trusted (see `hive trust ls`)", id);
		return err_set(err, errno, "%s: cannot remove: %s", path, strerror(errno));
	}
	return 0;
}

static int truststore_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sigkey_pub *)a)->id, ((const struct sigkey_pub *)b)->id);
}

/* With out == NULL only counts the entries that look like keys. */
int truststore_list(const char *state, struct sigkey_pub *out, size_t cap, struct err *err)
{
	char dir[HIVE_PATH_MAX];
	size_t n = 0, seen = 0;
	struct dirent *de;
	if (truststore_dir(state, dir, sizeof dir) < 0)
		return err_set(err, ENAMETOOLONG, "%s: state directory path too long", state);
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : err_set(err, errno, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) && seen < HIVE_TRUST_KEYS_MAX + 1) {
		char id[SIGKEY_ID_LEN + 1];
		size_t len = strlen(de->d_name);
		if (len != SIGKEY_ID_LEN + 4 || strcmp(de->d_name + SIGKEY_ID_LEN, ".pub") != 0)
			continue;
		memcpy(id, de->d_name, SIGKEY_ID_LEN);
		id[SIGKEY_ID_LEN] = '\0';
		if (!sigkey_id_valid(id))
			continue;
		seen++;
		if (out && n < cap && truststore_get(state, id, &out[n], NULL) == 0)
			n++;
	}
	closedir(d);
	if (!out)
		return (int)seen;
	qsort(out, n, sizeof *out, truststore_cmp);
	return (int)n;
}

enum trust_verdict truststore_verify(const char *state, const void *msg, size_t n, const char *sig,
                                     struct sigkey_pub *signer, struct err *err)
{
	struct sigkey_sig s;
	struct sigkey_pub pub;
	struct err why = { 0 };

	if (!sig) {
		err_set(err, EACCES, "unsigned: no signature (sign it with `hive manifest sign FILE`)");
		return TRUST_UNSIGNED;
	}
	if (sigkey_sig_parse(&s, sig, &why) < 0) {
		err_set(err, EBADMSG, "malformed: %s", why.msg);
		return TRUST_MALFORMED;
	}
	/* The id only says which trusted key to try; the signature decides. */
	int rc = truststore_get(state, s.id, &pub, &why);
	if (rc == -ENOENT) {
		err_set(err, EACCES, "untrusted-signer: signed by key %s, which this hive does not trust "
		        "(if you trust it: `hive trust add PUBFILE`)", s.id);
		return TRUST_UNTRUSTED_SIGNER;
	}
	if (rc < 0) {
		err_set(err, -rc, "untrusted-signer: key %s: %s", s.id, why.msg);
		return TRUST_UNTRUSTED_SIGNER;
	}
	if (sigkey_verify(&pub, msg, n, s.sig) < 0) {
		err_set(err, EACCES, "bad-signature: the signature by key %s does not match these bytes "
		        "(changed after signing, or signed by another key)", s.id);
		return TRUST_BAD_SIGNATURE;
	}
	if (signer)
		*signer = pub;
	return TRUST_OK;
}
