/*
 * http.c — the broker's HTTP face: libmicrohttpd, a thread per connection
 * (at most HIVE_BROKER_CONNS_MAX), so a thread may wait for the loop's
 * verdict and then for the answer's bytes without holding anyone else.
 *
 * A thread reads the body (at most HIVE_BROKER_BODY_MAX), takes from it
 * what the scheduler needs (model, max_tokens, stream, a prompt size) and
 * learns who holds the peer's socket (ident.c); the loop decides the rest.
 */
#include "broker_impl.h"
#include "hived/core/hive.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* One request's thread-side state (MHD's con_cls). */
struct hctx {
	char *body;
	size_t len;
	int too_big;
	struct breq *r;
};

static enum MHD_Result send_json(struct MHD_Connection *c, int status, unsigned retry_after_s, const char *json)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_MUST_COPY);
	char ra[16];
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	if (retry_after_s) {
		snprintf(ra, sizeof ra, "%u", retry_after_s);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result send_error(struct MHD_Connection *c, int status, const char *type, const char *msg)
{
	char buf[512];
	json_t *j = json_pack("{s:{s:s,s:s}}", "error", "message", msg, "type", type);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	snprintf(buf, sizeof buf, "%s", s ? s : "{}");
	free(s);
	json_decref(j);
	return send_json(c, status, 0, buf);
}

/* The prompt's size in tokens, as a tokenizer-free estimate: 4 bytes a
 * token (the scheduler's charge is corrected by the answer's usage). */
static uint32_t prompt_estimate(json_t *req)
{
	size_t bytes = 0;
	json_t *p = json_object_get(req, "prompt"), *msgs = json_object_get(req, "messages"), *m;
	size_t i;

	if (json_is_string(p))
		bytes = json_string_length(p);
	json_array_foreach(msgs, i, m)
	{
		json_t *content = json_object_get(m, "content");
		if (json_is_string(content))
			bytes += json_string_length(content);
	}
	return (uint32_t)(bytes / 4u + 1u);
}

/* Fill r from the body; NULL, or the refusal's message. */
static const char *parse_infer(struct breq *r, const char *body, size_t len)
{
	json_error_t je;
	json_t *req = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je), *v;
	const char *why = NULL;

	if (!json_is_object(req)) {
		why = "the body is not a JSON object";
		goto out;
	}
	v = json_object_get(req, "model");
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= sizeof r->model) {
		why = "model: a name is wanted";
		goto out;
	}
	snprintf(r->model, sizeof r->model, "%s", json_string_value(v));
	v = json_object_get(req, "max_tokens");
	if (!v)
		v = json_object_get(req, "max_completion_tokens");
	json_int_t mt = json_is_integer(v) ? json_integer_value(v) : 16;
	if (mt < 1 || mt > 1000000) {
		why = "max_tokens: 1 to 1000000";
		goto out;
	}
	r->sr.max_tokens = (uint32_t)mt;
	r->stream = json_is_true(json_object_get(req, "stream"));
	r->sr.prompt_tokens = prompt_estimate(req);
out:
	json_decref(req);
	return why;
}

static void local_addr(struct broker *b, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof *ss);
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)b->port);
	inet_pton(AF_INET, b->cfg.addr, &in->sin_addr);
}

static void identify(struct broker *b, struct MHD_Connection *c, struct breq *r)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct sockaddr_storage local, remote;

	r->npids = 0;
	r->peer_uid = -1;
	snprintf(r->peer, sizeof r->peer, "?");
	if (!ci || !ci->client_addr || ci->client_addr->sa_family != AF_INET)
		return;
	memset(&remote, 0, sizeof remote);
	memcpy(&remote, ci->client_addr, sizeof(struct sockaddr_in));
	const struct sockaddr_in *in = (const struct sockaddr_in *)&remote;
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
	snprintf(r->peer, sizeof r->peer, "%s:%u", ip, ntohs(in->sin_port));
	local_addr(b, &local);
	uid_t lo = b->hive->cfg.agent_uid_base, hi = lo + b->hive->cfg.agent_uid_count;
	if (ident_peer(&local, &remote, lo, hi, r->pids, BREQ_PIDS_MAX, &r->npids, &r->peer_uid) < 0)
		r->npids = 0;
}

static ssize_t read_answer(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct breq *r = cls;
	struct timespec until;
	ssize_t n;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += HIVE_BROKER_WAIT_MS / 1000u;
	pthread_mutex_lock(&r->mu);
	while (r->ans_off == r->ans_len && r->phase != BREQ_ANSWERED && !r->cancelled)
		if (pthread_cond_timedwait(&r->cv, &r->mu, &until) == ETIMEDOUT)
			r->cancelled = 1;
	if (r->ans_off < r->ans_len) {
		n = (ssize_t)(r->ans_len - r->ans_off < max ? r->ans_len - r->ans_off : max);
		memcpy(buf, r->ans + r->ans_off, (size_t)n);
		r->ans_off += (size_t)n;
	} else if (r->phase == BREQ_ANSWERED && !r->failed && !r->cancelled) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		n = MHD_CONTENT_READER_END_WITH_ERROR;
	}
	pthread_mutex_unlock(&r->mu);
	return n;
}

static void read_done(void *cls)
{
	breq_unref(cls);
}

/* Post r to the loop and answer with what comes back. */
static enum MHD_Result dispatch(struct broker *b, struct MHD_Connection *c, struct breq *r)
{
	struct timespec until;
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");

	if (auth && strncmp(auth, "Bearer ", 7) == 0 && strlen(auth + 7) < sizeof r->bearer)
		snprintf(r->bearer, sizeof r->bearer, "%s", auth + 7);
	identify(b, c, r);
	if (broker_post(b, BMSG_NEW, r) < 0) {
		char json[] = "{\"error\":{\"message\":\"the broker is busy\",\"type\":\"rate_limit\"}}";
		return send_json(c, 429, (HIVE_SCHED_RETRY_AFTER_MS + 999u) / 1000u, json);
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += HIVE_BROKER_WAIT_MS / 1000u;
	pthread_mutex_lock(&r->mu);
	while (r->phase == BREQ_WAITING || (r->phase == BREQ_RUNNING && r->status == 0))
		if (pthread_cond_timedwait(&r->cv, &r->mu, &until) == ETIMEDOUT)
			break;
	enum breq_phase ph = r->phase;
	int status = r->status;
	if (status == 0) { /* waited too long: the loop is told by the completion */
		r->cancelled = 1;
		pthread_mutex_unlock(&r->mu);
		return send_error(c, 504, "timeout", "no answer in time");
	}
	if (ph == BREQ_REFUSED || r->kind == BREQ_MODELS) {
		char *json = strndup(r->ans ? r->ans : "{}", r->ans_len);
		unsigned ra = r->retry_after_s;
		pthread_mutex_unlock(&r->mu);
		enum MHD_Result rc = json ? send_json(c, status, ra, json) : MHD_NO;
		free(json);
		return rc;
	}
	char ctype[64];
	snprintf(ctype, sizeof ctype, "%s", r->content_type[0] ? r->content_type : "application/json");
	pthread_mutex_unlock(&r->mu);
	breq_ref(r);
	struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_answer, r, read_done);
	if (!resp) {
		breq_unref(r);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", ctype);
	if (r->stream)
		MHD_add_response_header(resp, "Cache-Control", "no-cache");
	enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct broker *b = cls;
	struct hctx *x = *con_cls;

	if (!x) {
		if (!(x = calloc(1, sizeof *x)))
			return MHD_NO;
		*con_cls = x;
		return MHD_YES;
	}
	if (*upload_size) {
		if (x->len + *upload_size > HIVE_BROKER_BODY_MAX) {
			x->too_big = 1;
		} else {
			char *nb = realloc(x->body, x->len + *upload_size + 1);
			if (!nb)
				return MHD_NO;
			x->body = nb;
			memcpy(x->body + x->len, upload, *upload_size);
			x->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (x->r)
		return MHD_NO; /* answered already */
	int models = strcmp(url, "/v1/models") == 0;
	int comp = strcmp(url, "/v1/completions") == 0, chat = strcmp(url, "/v1/chat/completions") == 0;
	if (!models && !comp && !chat)
		return send_error(c, 404, "not_found", "try /v1/models, /v1/completions, /v1/chat/completions");
	if (models ? strcmp(method, "GET") != 0 : strcmp(method, "POST") != 0)
		return send_error(c, 405, "invalid_request_error", models ? "GET, please" : "POST, please");
	if (x->too_big)
		return send_error(c, 413, "invalid_request_error", "the body is larger than the broker takes");
	if (!(x->r = breq_new()))
		return MHD_NO;
	x->r->kind = models ? BREQ_MODELS : BREQ_INFER;
	snprintf(x->r->path, sizeof x->r->path, "%s", url + 3);
	if (!models) {
		const char *why = parse_infer(x->r, x->body ? x->body : "", x->len);
		if (why)
			return send_error(c, 400, "invalid_request_error", why);
		x->r->body = x->body;
		x->r->body_len = x->len;
		x->body = NULL;
	}
	return dispatch(b, c, x->r);
}

/* The request is over (answered, cut or timed out): a request the loop
 * still holds is cancelled there. */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct broker *b = cls;
	struct hctx *x = *con_cls;

	if (!x)
		return;
	if (x->r) {
		pthread_mutex_lock(&x->r->mu);
		int open = x->r->phase != BREQ_ANSWERED && x->r->phase != BREQ_REFUSED;
		if (open)
			x->r->cancelled = 1;
		pthread_mutex_unlock(&x->r->mu);
		if (open)
			broker_post(b, BMSG_CANCEL, x->r);
		breq_unref(x->r);
	}
	free(x->body);
	free(x);
	*con_cls = NULL;
}

int broker_http_start(struct broker *b, struct err *err)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)b->cfg.port) };

	if (inet_pton(AF_INET, b->cfg.addr, &sin.sin_addr) != 1 || (ntohl(sin.sin_addr.s_addr) >> 24) != 127)
		return err_set(err, EINVAL, "--broker %s: an IPv4 loopback address is wanted", b->cfg.addr);
	b->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	                                  MHD_USE_POLL,
	                          0, NULL, NULL, on_request, b, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	                          MHD_OPTION_CONNECTION_LIMIT, (unsigned)HIVE_BROKER_CONNS_MAX,
	                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(HIVE_BROKER_WAIT_MS / 1000u),
	                          MHD_OPTION_NOTIFY_COMPLETED, on_completed, b, MHD_OPTION_END);
	if (!b->mhd)
		return err_set(err, EADDRINUSE, "--broker %s:%d: cannot listen", b->cfg.addr, b->cfg.port);
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(b->mhd, MHD_DAEMON_INFO_BIND_PORT);
	b->port = di ? di->port : b->cfg.port;
	return 0;
}

void broker_http_stop(struct broker *b)
{
	if (b->mhd)
		MHD_stop_daemon(b->mhd);
	b->mhd = NULL;
}
