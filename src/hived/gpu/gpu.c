/*
 * gpu.c — /gpu: the tree, the bridge's publish channel and the files it
 * fills. The bridge (a client, never part of hived) writes one file per
 * write to /gpu/bridge/ctl:
 *
 *   put <id>/info\n<bytes>             put <id>/status\n<bytes>
 *   put models/<model>/manifest\n<bytes>
 *   put telemetry/schema.json\n<bytes>
 *
 * The channel is writable by the queen only (the bridge attaches as the
 * hive's owner over the Unix socket, or over TCP with a queen ticket): a
 * worker cannot walk to /gpu/bridge at all, so it cannot publish numbers
 * that would feed lease decisions. Every file is bounded (HIVE_GPU_FILE_MAX)
 * and so is the number of GPUs and models; nothing is freed while the hive
 * runs, so a node's render never sees freed bytes.
 */
#include "gpu.h"
#include "gpu_impl.h"
#include "hived/core/hive.h"
#include "hived/core/loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The `visible` hook has no argument: the one GPU state of this hived. */
static struct gpu *gpu_view;

int gpu_id_ok(const char *id, size_t len)
{
	if (len == 0 || len > HIVE_GPU_ID_MAX || (len == 1 && id[0] == '.') || (len == 2 && !memcmp(id, "..", 2)))
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

struct gpu_dev *gpu_dev_find(struct gpu *g, const char *id)
{
	for (unsigned i = 0; i < HIVE_GPU_MAX; i++)
		if (g->devs[i].id[0] && !strcmp(g->devs[i].id, id))
			return &g->devs[i];
	return NULL;
}

static int blob_render(void *arg, const struct principal *who, struct strbuf *sb)
{
	const struct gpu_blob *b = arg;

	if (b->len)
		strbuf_append(sb, b->data, b->len);
	return sb->overflow ? -EFBIG : 0;
}

static int blob_set(struct gpu_blob *b, const char *data, size_t len)
{
	char *copy = malloc(len ? len : 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, data, len);
	free(b->data);
	b->data = copy;
	b->len = len;
	return 0;
}

/* info and status of /gpu/<id>: queen and observer always; a worker while
 * it holds a granted lease on <id> (the directory's name). */
static int gpu_dev_visible(const struct ns_node *node, const struct principal *who)
{
	const struct gpu_dev *d;

	if (!who)
		return 0;
	if (who->role == HIVE_ROLE_QUEEN || who->role == HIVE_ROLE_OBSERVER)
		return 1;
	if (who->role != HIVE_ROLE_WORKER || !who->subject[0] || !gpu_view)
		return 0;
	d = gpu_dev_find(gpu_view, ns_node_name(ns_node_parent(node)));
	return d && gpu_lease_held(d, who->subject);
}

/* The first `key=` value of a key=value text, as a number; 0 if absent. */
static uint64_t text_num(const char *text, size_t len, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = text, *end = text + len; p < end; p++) {
		if ((p == text || p[-1] == '\n' || p[-1] == ' ') && (size_t)(end - p) > kl && !memcmp(p, key, kl) &&
		    p[kl] == '=')
			return strtoull(p + kl + 1, NULL, 10);
	}
	return 0;
}

static struct gpu_dev *gpu_dev_make(struct gpu *g, const char *id, struct err *err)
{
	static const struct ns_perm dir_perm = { .mode = 0555, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL };
	static const struct ns_perm dev_file = {
		.mode = 0444, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL, .visible = gpu_dev_visible,
	};
	struct gpu_dev *d = NULL;

	for (unsigned i = 0; i < HIVE_GPU_MAX && !d; i++)
		if (!g->devs[i].id[0])
			d = &g->devs[i];
	if (!d)
		return err_set(err, ENOSPC, "gpu %s: already %u GPUs (HIVE_GPU_MAX)", id, HIVE_GPU_MAX), NULL;
	if (!(d->dir = ns_mkdir(g->hive->ns, g->root, id, &dir_perm)) ||
	    !ns_text_file(g->hive->ns, d->dir, "info", &dev_file, blob_render, &d->info) ||
	    !ns_text_file(g->hive->ns, d->dir, "status", &dev_file, blob_render, &d->status) ||
	    !gpu_lease_file(g, d)) {
		err_set(err, errno ? errno : ENOMEM, "gpu %s: cannot make /gpu/%s: %s", id, id, strerror(errno));
		if (d->dir)
			ns_remove(g->hive->ns, d->dir);
		d->dir = NULL;
		return NULL;
	}
	snprintf(d->id, sizeof d->id, "%s", id);
	hive_event(g->hive, NULL, "gpu", "/gpu", "gpu=%s event=published", id);
	return d;
}

static struct gpu_model *gpu_model_get(struct gpu *g, const char *id, struct err *err)
{
	static const struct ns_perm dir_perm = { .mode = 0555, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL };
	static const struct ns_perm file_perm = { .mode = 0444, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL };
	struct gpu_model *m = NULL;
	struct ns_node *dir;

	for (unsigned i = 0; i < HIVE_GPU_MODELS_MAX; i++) {
		if (g->models[i].id[0] && !strcmp(g->models[i].id, id))
			return &g->models[i];
		if (!g->models[i].id[0] && !m)
			m = &g->models[i];
	}
	if (!m)
		return err_set(err, ENOSPC, "model %s: already %u models (HIVE_GPU_MODELS_MAX)", id,
		               HIVE_GPU_MODELS_MAX), NULL;
	if (!(dir = ns_mkdir(g->hive->ns, g->available, id, &dir_perm)) ||
	    !ns_text_file(g->hive->ns, dir, "manifest", &file_perm, blob_render, &m->manifest)) {
		err_set(err, errno ? errno : ENOMEM, "model %s: cannot make its directory: %s", id, strerror(errno));
		if (dir)
			ns_remove(g->hive->ns, dir);
		return NULL;
	}
	snprintf(m->id, sizeof m->id, "%s", id);
	hive_event(g->hive, NULL, "gpu", "/gpu/models/available", "model=%s event=published", id);
	return m;
}

/* "state=<word>" on a status's first line. */
static void status_state(const char *text, size_t len, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	if (len < 6 || memcmp(text, "state=", 6))
		return;
	for (text += 6, len -= 6; n < len && n + 1 < cap && text[n] > ' '; n++)
		out[n] = text[n];
	out[n] = '\0';
}

/* One publish: `put <path>` then the file's bytes. */
static ssize_t bridge_write(struct ns_file *f, uint64_t off, const void *buf, size_t n, struct err *err)
{
	struct gpu *g = ns_node_priv(ns_file_node(f));
	const char *p = buf, *nl = memchr(p, '\n', n), *path, *slash, *body;
	char id[HIVE_GPU_ID_MAX + 1], where[HIVE_PATH_MAX], now[16];
	size_t plen, idlen, blen;
	struct gpu_blob *target = NULL;
	struct gpu_dev *d = NULL;

	if (!nl || nl - p < 5 || memcmp(p, "put ", 4))
		return err_set(err, EINVAL, "usage: put <id>/{info,status} | put models/<model>/manifest | "
		                            "put telemetry/schema.json, then the file's bytes");
	path = p + 4;
	plen = (size_t)(nl - path);
	body = nl + 1;
	blen = n - (size_t)(body - p);
	if (blen > HIVE_GPU_FILE_MAX)
		return err_set(err, EFBIG, "publish %.*s: %zu bytes (max %u)", (int)plen, path, blen, HIVE_GPU_FILE_MAX);
	if (memchr(body, '\0', blen))
		return err_set(err, EINVAL, "publish %.*s: NUL byte in the file", (int)plen, path);
	slash = memchr(path, '/', plen);
	idlen = slash ? (size_t)(slash - path) : plen;
	if (!slash || !gpu_id_ok(path, idlen))
		return err_set(err, EINVAL, "publish: bad path '%.*s'", (int)(plen > 64 ? 64 : plen), path);
	memcpy(id, path, idlen);
	id[idlen] = '\0';
	slash++;
	plen -= idlen + 1;
	if (!strcmp(id, "telemetry")) {
		if (plen != 11 || memcmp(slash, "schema.json", 11))
			return err_set(err, EINVAL, "publish: only telemetry/schema.json");
		target = &g->schema;
	} else if (!strcmp(id, "models")) {
		const char *ms = memchr(slash, '/', plen);
		char mid[HIVE_GPU_ID_MAX + 1];
		struct gpu_model *m;

		if (!ms || !gpu_id_ok(slash, (size_t)(ms - slash)) || plen - (size_t)(ms - slash) != 9 ||
		    memcmp(ms, "/manifest", 9))
			return err_set(err, EINVAL, "publish: models/<model>/manifest");
		memcpy(mid, slash, (size_t)(ms - slash));
		mid[ms - slash] = '\0';
		if (!(m = gpu_model_get(g, mid, err)))
			return -err->code;
		target = &m->manifest;
	} else if (!strcmp(id, "bridge")) {
		return err_set(err, EINVAL, "publish: 'bridge' is not a GPU id");
	} else {
		int info = plen == 4 && !memcmp(slash, "info", 4), status = plen == 6 && !memcmp(slash, "status", 6);

		if (!info && !status)
			return err_set(err, EINVAL, "publish: %s/{info,status}", id);
		if (!(d = gpu_dev_find(g, id)) && !(d = gpu_dev_make(g, id, err)))
			return -err->code;
		target = info ? &d->info : &d->status;
	}
	if (blob_set(target, body, blen) < 0)
		return err_set(err, ENOMEM, "publish: out of memory");
	g->publishes++;
	g->last_publish_ms = loop_now_ms();
	if (d && target == &d->status) {
		uint64_t total = text_num(body, blen, "mem_total_mb");

		if (total)
			d->mem_total_mb = total;
		status_state(body, blen, now, sizeof now);
		if (strcmp(d->state, now)) {
			hive_event(g->hive, ns_file_who(f), "gpu", ns_node_path(d->dir, where, sizeof where),
			           "state=%s old=%s", now[0] ? now : "-", d->state[0] ? d->state : "-");
			snprintf(d->state, sizeof d->state, "%s", now);
		}
		gpu_lease_check_procs(g, d);
	}
	return (ssize_t)n;
}

static const struct ns_ops bridge_ops = {
	.write = bridge_write,
};

static int bridge_status(void *arg, const struct principal *who, struct strbuf *sb)
{
	const struct gpu *g = arg;
	unsigned n = 0, m = 0;

	for (unsigned i = 0; i < HIVE_GPU_MAX; i++)
		n += g->devs[i].id[0] != 0;
	for (unsigned i = 0; i < HIVE_GPU_MODELS_MAX; i++)
		m += g->models[i].id[0] != 0;
	strbuf_printf(sb, "state=%s\npublishes=%llu\nsince_ms=%llu\ngpus=%u\nmodels=%u\n",
	              g->publishes ? "ok" : "idle", (unsigned long long)g->publishes,
	              (unsigned long long)(g->publishes ? loop_now_ms() - g->last_publish_ms : 0), n, m);
	return 0;
}

static void gpu_sweep(struct loop *loop, void *arg)
{
	gpu_lease_sweep(arg);
}

int gpu_open(struct hive *hive, struct err *err)
{
	static const struct ns_perm all_dir = { .mode = 0555, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL };
	static const struct ns_perm readers_dir = {
		.mode = 0555, .see = HIVE_ROLES_READERS, .read = HIVE_ROLES_READERS,
	};
	static const struct ns_perm readers_file = {
		.mode = 0444, .see = HIVE_ROLES_READERS, .read = HIVE_ROLES_READERS,
	};
	static const struct ns_perm bridge_ctl = {
		.mode = 0200, .see = HIVE_ROLES_READERS, .write = HIVE_ROLE_BIT(HIVE_ROLE_QUEEN),
	};
	static const struct ns_perm all_file = { .mode = 0444, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL };
	static const struct ns_perm active = {
		.mode = 0644, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL, .write = HIVE_ROLE_BIT(HIVE_ROLE_QUEEN),
	};
	struct gpu *g = calloc(1, sizeof *g);
	struct ns_node *bridge, *models;
	int rc;

	if (!g)
		return err_set(err, ENOMEM, "gpu: out of memory");
	g->hive = hive;
	if (!(g->root = ns_mkdir(hive->ns, ns_root(hive->ns), "gpu", &all_dir)) ||
	    !(bridge = ns_mkdir(hive->ns, g->root, "bridge", &readers_dir)) ||
	    !ns_mkfile(hive->ns, bridge, "ctl", &bridge_ctl, &bridge_ops, g) ||
	    !ns_text_file(hive->ns, bridge, "status", &readers_file, bridge_status, g) ||
	    !(models = ns_mkdir(hive->ns, g->root, "models", &all_dir)) ||
	    !(g->available = ns_mkdir(hive->ns, models, "available", &all_dir)) ||
	    !ns_cas_file(hive->ns, models, "active", &active, "") ||
	    !(g->telemetry = ns_mkdir(hive->ns, g->root, "telemetry", &all_dir)) ||
	    !ns_text_file(hive->ns, g->telemetry, "schema.json", &all_file, blob_render, &g->schema)) {
		rc = err_set(err, errno ? errno : ENOMEM, "gpu: cannot make /gpu: %s", strerror(errno));
		goto fail;
	}
	if ((g->timer = loop_add_timer(hive->loop, HIVE_GPU_SWEEP_MS, gpu_sweep, g)) < 0) {
		rc = err_set(err, -g->timer, "gpu: no sweep timer: %s", strerror(-g->timer));
		goto fail;
	}
	hive->gpu = g;
	gpu_view = g;
	return 0;
fail:
	if (g->root)
		ns_remove(hive->ns, g->root);
	free(g);
	return rc;
}

void gpu_close(struct hive *hive)
{
	struct gpu *g = hive->gpu;

	if (!g)
		return;
	if (g->timer > 0)
		loop_del_timer(hive->loop, g->timer);
	for (unsigned i = 0; i < HIVE_GPU_MAX; i++) {
		free(g->devs[i].info.data);
		free(g->devs[i].status.data);
	}
	for (unsigned i = 0; i < HIVE_GPU_MODELS_MAX; i++)
		free(g->models[i].manifest.data);
	free(g->schema.data);
	/* The nodes rendering these blobs leave the tree with them. */
	if (g->root)
		ns_remove(hive->ns, g->root);
	gpu_view = NULL;
	hive->gpu = NULL;
	free(g);
}
