/*
 * upstream.c — the upstream thread: libcurl's multi interface runs every
 * admitted request's transfer to the OpenAI-compatible server, copies the
 * answer into the request (the HTTP thread streams it on) and tells the
 * loop when it is over. Requests come from the loop through a ring of
 * HIVE_BROKER_SLOTS_MAX (the scheduler never has more in flight).
 */
#include "broker_impl.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct xfer {
	CURL *easy;
	struct curl_slist *hdrs;
	struct breq *r;
	int status_known;
};

struct upstream {
	struct broker *b;
	pthread_t thread;
	CURLM *multi;
	pthread_mutex_t mu; /* ring, stop */
	struct breq *ring[HIVE_BROKER_SLOTS_MAX];
	uint32_t head, n;
	int stop;
	struct xfer xf[HIVE_BROKER_SLOTS_MAX];
};

/* The status is known with the first body byte (or at the end). */
static void set_status(struct xfer *x)
{
	long code = 0;
	char *ct = NULL;

	if (x->status_known)
		return;
	x->status_known = 1;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct);
	pthread_mutex_lock(&x->r->mu);
	x->r->status = code > 0 ? (int)code : 502;
	snprintf(x->r->content_type, sizeof x->r->content_type, "%s", ct ? ct : "application/json");
	pthread_cond_broadcast(&x->r->cv);
	pthread_mutex_unlock(&x->r->mu);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct breq *r = x->r;
	size_t n = size * nmemb;

	set_status(x);
	pthread_mutex_lock(&r->mu);
	if (r->ans_len + n > HIVE_BROKER_ANSWER_MAX || r->cancelled) {
		pthread_mutex_unlock(&r->mu);
		return 0; /* curl stops the transfer: CURLE_WRITE_ERROR */
	}
	if (r->ans_len + n > r->ans_cap) {
		size_t cap = r->ans_cap ? r->ans_cap : 4096;
		while (cap < r->ans_len + n)
			cap *= 2;
		char *nb = realloc(r->ans, cap);
		if (!nb) {
			pthread_mutex_unlock(&r->mu);
			return 0;
		}
		r->ans = nb;
		r->ans_cap = cap;
	}
	memcpy(r->ans + r->ans_len, data, n);
	r->ans_len += n;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return n;
}

/* Tokens of the whole answer: its usage when it says (a JSON answer, or a
 * stream's last chunk with usage), else one a streamed chunk. */
static void count_tokens(struct breq *r)
{
	uint32_t chunks = 0;
	json_t *j, *u;

	if (!r->stream) {
		j = json_loadb(r->ans ? r->ans : "", r->ans_len, 0, NULL);
		u = json_object_get(j, "usage");
		if (json_is_integer(json_object_get(u, "completion_tokens"))) {
			r->output_tokens = (uint32_t)json_integer_value(json_object_get(u, "completion_tokens"));
			r->prompt_tokens = (uint32_t)json_integer_value(json_object_get(u, "prompt_tokens"));
		}
		json_decref(j);
		return;
	}
	for (size_t i = 0; r->ans && i + 7 <= r->ans_len; i++)
		if ((i == 0 || r->ans[i - 1] == '\n') && memcmp(r->ans + i, "data: {", 7) == 0)
			chunks++;
	r->output_tokens = chunks;
}

static int xfer_start(struct upstream *u, struct breq *r)
{
	struct xfer *x = NULL;
	char url[HIVE_PATH_MAX + 64];

	for (uint32_t i = 0; i < HIVE_BROKER_SLOTS_MAX && !x; i++)
		if (!u->xf[i].r)
			x = &u->xf[i];
	if (!x || !(x->easy = curl_easy_init()))
		return -ENOMEM;
	x->r = r;
	x->status_known = 0;
	snprintf(url, sizeof url, "%s%s", u->b->cfg.upstream, r->path);
	x->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)r->body_len);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)HIVE_BROKER_WAIT_MS);
	curl_multi_add_handle(u->multi, x->easy);
	return 0;
}

/* The transfer is over: the answer is complete (or failed), the loop is told. */
static void xfer_end(struct upstream *u, struct xfer *x, int ok)
{
	struct breq *r = x->r;

	set_status(x);
	curl_multi_remove_handle(u->multi, x->easy);
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->hdrs);
	x->easy = NULL;
	x->hdrs = NULL;
	x->r = NULL;
	pthread_mutex_lock(&r->mu);
	if (!ok) {
		r->failed = 1;
		if (r->ans_len == 0)
			r->status = 502;
	}
	count_tokens(r);
	r->phase = BREQ_ANSWERED;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	broker_post(u->b, BMSG_DONE, r); /* always fits: one a live request */
	breq_unref(r);
}

static void *run(void *arg)
{
	struct upstream *u = arg;

	for (;;) {
		struct breq *take[HIVE_BROKER_SLOTS_MAX];
		uint32_t nt = 0;
		pthread_mutex_lock(&u->mu);
		int stop = u->stop;
		while (u->n) {
			take[nt++] = u->ring[u->head];
			u->head = (u->head + 1) % HIVE_BROKER_SLOTS_MAX;
			u->n--;
		}
		pthread_mutex_unlock(&u->mu);
		for (uint32_t i = 0; i < nt; i++) {
			if (xfer_start(u, take[i]) < 0) {
				pthread_mutex_lock(&take[i]->mu);
				take[i]->status = 502;
				take[i]->failed = 1;
				take[i]->phase = BREQ_ANSWERED;
				pthread_cond_broadcast(&take[i]->cv);
				pthread_mutex_unlock(&take[i]->mu);
				broker_post(u->b, BMSG_DONE, take[i]);
				breq_unref(take[i]);
			}
		}
		/* A client that went away stops its transfer (the stop counts as one). */
		for (uint32_t i = 0; i < HIVE_BROKER_SLOTS_MAX; i++) {
			if (!u->xf[i].r)
				continue;
			pthread_mutex_lock(&u->xf[i].r->mu);
			int gone = u->xf[i].r->cancelled || stop;
			pthread_mutex_unlock(&u->xf[i].r->mu);
			if (gone)
				xfer_end(u, &u->xf[i], 0);
		}
		if (stop)
			break;
		int running = 0;
		curl_multi_perform(u->multi, &running);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(u->multi, &left))) {
			struct xfer *x = NULL;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			if (x && x->r)
				xfer_end(u, x, m->data.result == CURLE_OK);
		}
		curl_multi_poll(u->multi, NULL, 0, 100, NULL);
	}
	return NULL;
}

int upstream_start(struct broker *b, struct upstream **out, struct err *err)
{
	struct upstream *u = calloc(1, sizeof *u);

	if (!u)
		return err_set(err, ENOMEM, "out of memory");
	u->b = b;
	pthread_mutex_init(&u->mu, NULL);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(u->multi = curl_multi_init())) {
		free(u);
		return err_set(err, EIO, "libcurl did not start");
	}
	if (pthread_create(&u->thread, NULL, run, u) != 0) {
		curl_multi_cleanup(u->multi);
		free(u);
		return err_set(err, EAGAIN, "cannot start the upstream thread");
	}
	*out = u;
	return 0;
}

void upstream_send(struct upstream *u, struct breq *r)
{
	pthread_mutex_lock(&u->mu);
	u->ring[(u->head + u->n) % HIVE_BROKER_SLOTS_MAX] = r;
	u->n++;
	pthread_mutex_unlock(&u->mu);
	curl_multi_wakeup(u->multi);
}

void upstream_stop(struct upstream *u)
{
	if (!u)
		return;
	pthread_mutex_lock(&u->mu);
	u->stop = 1;
	pthread_mutex_unlock(&u->mu);
	curl_multi_wakeup(u->multi);
	pthread_join(u->thread, NULL);
	curl_multi_cleanup(u->multi);
	pthread_mutex_destroy(&u->mu);
	free(u);
}
