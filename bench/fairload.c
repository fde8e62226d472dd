/*
 * fairload — an OpenAI client for the fair-share benchmark, run inside an
 * agent: CONC threads each send completions to $OPENAI_BASE_URL with
 * $OPENAI_API_KEY, one after another (THINK ms apart), for SECONDS.
 * Prints "ok=N refused=N failed=N tokens=N seconds=S" and, with --lat,
 * "lat_ms L1 L2 ..." (each request's time to its whole answer).
 *
 *   fairload [--conc N] [--seconds S] [--max-tokens T] [--think-ms M]
 *            [--prompt-bytes B] [--model M] [--lat]
 */
#include <curl/curl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LAT_MAX 100000

static int conc = 1, max_tokens = 16, think_ms = 0, prompt_bytes = 64, want_lat;
static double seconds = 5;
static const char *model = "sim", *url, *key;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long ok, refused, failed, tokens;
static double lat[LAT_MAX];
static unsigned nlat;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t sink(char *p, size_t s, size_t n, void *arg)
{
	return s * n;
}

static void *worker(void *arg)
{
	double end = *(double *)arg;
	char auth[512], endpoint[512], *body = malloc((size_t)prompt_bytes + 256);
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;

	snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
	snprintf(endpoint, sizeof endpoint, "%s/completions", url);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	int n = snprintf(body, (size_t)prompt_bytes + 256, "{\"model\":\"%s\",\"max_tokens\":%d,\"prompt\":\"", model,
	                 max_tokens);
	memset(body + n, 'x', (size_t)prompt_bytes);
	strcpy(body + n + prompt_bytes, "\"}");
	curl_easy_setopt(c, CURLOPT_URL, endpoint);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	while (now_s() < end) {
		double t0 = now_s();
		long code = 0;
		CURLcode rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		double ms = (now_s() - t0) * 1000.0;
		pthread_mutex_lock(&mu);
		if (rc == CURLE_OK && code == 200) {
			ok++;
			tokens += (unsigned long)max_tokens;
			if (nlat < LAT_MAX)
				lat[nlat++] = ms;
		} else if (code == 429) {
			refused++;
		} else {
			failed++;
		}
		pthread_mutex_unlock(&mu);
		if (code == 429 || rc != CURLE_OK)
			usleep(100000);
		else if (think_ms)
			usleep((useconds_t)think_ms * 1000u);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(body);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "conc", required_argument, NULL, 'c' },       { "seconds", required_argument, NULL, 's' },
		{ "max-tokens", required_argument, NULL, 't' }, { "think-ms", required_argument, NULL, 'k' },
		{ "prompt-bytes", required_argument, NULL, 'p' }, { "model", required_argument, NULL, 'm' },
		{ "lat", no_argument, NULL, 'l' },              { NULL, 0, NULL, 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c': conc = atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		case 't': max_tokens = atoi(optarg); break;
		case 'k': think_ms = atoi(optarg); break;
		case 'p': prompt_bytes = atoi(optarg); break;
		case 'm': model = optarg; break;
		case 'l': want_lat = 1; break;
		default: fprintf(stderr, "usage: fairload [--conc N] [--seconds S] [--max-tokens T] [--think-ms M] [--lat]\n"); return 2;
		}
	}
	url = getenv("OPENAI_BASE_URL");
	key = getenv("OPENAI_API_KEY");
	if (!url || !key || conc < 1 || conc > 256 || prompt_bytes < 0 || prompt_bytes > 65536) {
		fprintf(stderr, "fairload: needs OPENAI_BASE_URL and OPENAI_API_KEY (an agent with an infer: cap)\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	double t0 = now_s(), end = t0 + seconds;
	pthread_t th[256];
	for (int i = 0; i < conc; i++)
		pthread_create(&th[i], NULL, worker, &end);
	for (int i = 0; i < conc; i++)
		pthread_join(th[i], NULL);
	printf("ok=%lu refused=%lu failed=%lu tokens=%lu seconds=%.3f\n", ok, refused, failed, tokens, now_s() - t0);
	if (want_lat) {
		printf("lat_ms");
		for (unsigned i = 0; i < nlat; i++)
			printf(" %.2f", lat[i]);
		printf("\n");
	}
	return 0;
}
