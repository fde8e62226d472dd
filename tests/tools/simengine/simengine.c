/*
 * simengine — a deterministic simulated inference engine behind a real
 * OpenAI-compatible HTTP endpoint on loopback (libmicrohttpd), for the
 * broker's tests and benchmarks.
 *
 * Continuous batching: at most --slots sequences run at once and each new
 * one joins as soon as a slot frees (no waiting for a batch to drain);
 * the others wait first come, first served. A sequence costs its prompt
 * tokens x --prefill-us, then one --decode-us step a generated token: the
 * step does not grow with the batch (a GPU's decode is memory-bound until
 * its batch fills), which is what makes the in-flight count the engine's
 * concurrency. Output is max_tokens tokens "t0 t1 ...": the same request
 * always gets the same answer and the same timing.
 *
 *   simengine [--addr 127.0.0.1] [--port N] [--port-file F] [--slots N]
 *             [--prefill-us N] [--decode-us N] [--models a,b]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned slots = 4, prefill_us = 50, decode_us = 2000;
static const char *models = "sim";

/* The engine's slots, handed out in arrival order. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static unsigned busy;
static unsigned long long next_ticket, serving;

static void slot_take(void)
{
	pthread_mutex_lock(&mu);
	unsigned long long me = next_ticket++;
	while (me != serving || busy >= slots)
		pthread_cond_wait(&cv, &mu);
	serving++;
	busy++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void slot_give(void)
{
	pthread_mutex_lock(&mu);
	busy--;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void sleep_us(unsigned long long us)
{
	struct timespec ts = { .tv_sec = (time_t)(us / 1000000u), .tv_nsec = (long)(us % 1000000u) * 1000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

struct seq {
	char *body;
	size_t len;
	int chat, stream, holds, done;
	unsigned prompt, max, emitted;
	char model[128];
	char pending[512];
	size_t plen, poff;
};

static void seq_line(struct seq *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void seq_line(struct seq *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(s->pending, sizeof s->pending, fmt, ap);
	va_end(ap);
	s->plen = n > 0 && (size_t)n < sizeof s->pending ? (size_t)n : 0;
	s->poff = 0;
}

static ssize_t stream_next(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct seq *s = cls;

	if (s->poff == s->plen) {
		if (s->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (!s->holds) {
			slot_take();
			s->holds = 1;
			sleep_us((unsigned long long)s->prompt * prefill_us);
		}
		if (s->emitted < s->max) {
			sleep_us(decode_us);
			if (s->chat)
				seq_line(s, "data: {\"object\":\"chat.completion.chunk\",\"model\":\"%s\",\"choices\":[{\"index\":0,"
				            "\"delta\":{\"content\":\"t%u \"}}]}\n\n", s->model, s->emitted);
			else
				seq_line(s, "data: {\"object\":\"text_completion\",\"model\":\"%s\",\"choices\":[{\"index\":0,"
				            "\"text\":\"t%u \"}]}\n\n", s->model, s->emitted);
			s->emitted++;
		} else {
			slot_give();
			s->holds = 0;
			s->done = 1;
			seq_line(s, "data: [DONE]\n\n");
		}
	}
	size_t n = s->plen - s->poff < max ? s->plen - s->poff : max;
	memcpy(buf, s->pending + s->poff, n);
	s->poff += n;
	return (ssize_t)n;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype, char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", ctype);
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *size, void **con_cls)
{
	struct seq *s = *con_cls;

	if (!s) {
		*con_cls = s = calloc(1, sizeof *s);
		return s ? MHD_YES : MHD_NO;
	}
	if (*size) {
		if (s->len + *size > (1u << 20))
			return MHD_NO;
		s->body = realloc(s->body, s->len + *size + 1);
		memcpy(s->body + s->len, upload, *size);
		s->len += *size;
		*size = 0;
		return MHD_YES;
	}
	if (!strcmp(url, "/v1/models")) {
		json_t *data = json_array();
		for (const char *p = models; *p;) {
			size_t l = strcspn(p, ",");
			json_array_append_new(data, json_pack("{s:s%,s:s}", "id", p, l, "object", "model"));
			p += l + (p[l] == ',');
		}
		json_t *j = json_pack("{s:s,s:o}", "object", "list", "data", data);
		char *t = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		return reply(c, 200, "application/json", t);
	}
	s->chat = !strcmp(url, "/v1/chat/completions");
	if (!s->chat && strcmp(url, "/v1/completions"))
		return reply(c, 404, "application/json", strdup("{\"error\":{\"message\":\"no such path\"}}"));
	json_t *req = json_loadb(s->body ? s->body : "", s->len, 0, NULL);
	json_t *mt = json_object_get(req, "max_tokens"), *m = json_object_get(req, "model");
	size_t bytes = json_string_length(json_object_get(req, "prompt")), i;
	json_t *msg;
	json_array_foreach(json_object_get(req, "messages"), i, msg)
		bytes += json_string_length(json_object_get(msg, "content"));
	s->prompt = (unsigned)(bytes / 4u + 1u);
	s->max = json_is_integer(mt) && json_integer_value(mt) > 0 && json_integer_value(mt) < 100000
	                 ? (unsigned)json_integer_value(mt) : 16u;
	s->stream = json_is_true(json_object_get(req, "stream"));
	snprintf(s->model, sizeof s->model, "%s", json_is_string(m) ? json_string_value(m) : "sim");
	json_decref(req);
	if (s->stream) {
		struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, stream_next, s, NULL);
		MHD_add_response_header(r, "Content-Type", "text/event-stream");
		enum MHD_Result rc = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		return rc;
	}
	slot_take();
	sleep_us((unsigned long long)s->prompt * prefill_us + (unsigned long long)s->max * decode_us);
	slot_give();
	size_t cap = (size_t)s->max * 12u + 1, n = 0;
	char *text = malloc(cap);
	for (unsigned k = 0; k < s->max; k++)
		n += (size_t)snprintf(text + n, cap - n, "t%u ", k);
	json_t *choice = s->chat ? json_pack("{s:i,s:{s:s,s:s},s:s}", "index", 0, "message", "role", "assistant",
	                                     "content", text, "finish_reason", "length")
	                         : json_pack("{s:i,s:s,s:s}", "index", 0, "text", text, "finish_reason", "length");
	json_t *j = json_pack("{s:s,s:s,s:i,s:s,s:[o],s:{s:i,s:i,s:i}}", "id", "sim-1", "object",
	                      s->chat ? "chat.completion" : "text_completion", "created", 0, "model", s->model,
	                      "choices", choice, "usage", "prompt_tokens", s->prompt, "completion_tokens", s->max,
	                      "total_tokens", s->prompt + s->max);
	free(text);
	char *t = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return reply(c, 200, "application/json", t);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct seq *s = *con_cls;
	if (!s)
		return;
	if (s->holds)
		slot_give();
	free(s->body);
	free(s);
	*con_cls = NULL;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	stop = sig;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "addr", required_argument, NULL, 'a' },       { "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'f' },  { "slots", required_argument, NULL, 's' },
		{ "prefill-us", required_argument, NULL, 'P' }, { "decode-us", required_argument, NULL, 'D' },
		{ "models", required_argument, NULL, 'm' },     { NULL, 0, NULL, 0 },
	};
	const char *addr = "127.0.0.1", *port_file = NULL;
	unsigned port = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': addr = optarg; break;
		case 'p': port = (unsigned)atoi(optarg); break;
		case 'f': port_file = optarg; break;
		case 's': slots = (unsigned)atoi(optarg); break;
		case 'P': prefill_us = (unsigned)atoi(optarg); break;
		case 'D': decode_us = (unsigned)atoi(optarg); break;
		case 'm': models = optarg; break;
		default: fprintf(stderr, "usage: simengine [--port N] [--port-file F] [--slots N] [--prefill-us N] [--decode-us N] [--models a,b]\n"); return 2;
		}
	}
	if (slots < 1)
		slots = 1;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1 || (ntohl(sin.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "simengine: --addr %s: a loopback IPv4 address is wanted\n", addr);
		return 2;
	}
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL,
	                                        0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &sin,
	                                        MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_NOTIFY_COMPLETED, on_done,
	                                        NULL, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "simengine: cannot listen on %s:%u\n", addr, port);
		return 1;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (port_file) {
		FILE *f = fopen(port_file, "w");
		if (f) {
			fprintf(f, "%u\n", di ? di->port : port);
			fclose(f);
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	return 0;
}
