/*
 * conclient.c — a tiny console client for tests: each stdin line becomes
 * one frame (u32 LE length including itself + the line), each reply frame
 * is printed as one line. Tests pipe a transcript in and compare what
 * comes out.
 *
 *   conclient --port N [--host 127.0.0.1] [--bind ADDR] [--quiet-ms 300]
 *             [--wait-close MS] [--raw-hex] < script
 *
 * Script lines (besides plain request lines):
 *   #sleep MS     pause, still printing replies as they arrive
 *   #raw HEX      send these bytes as they are, no framing (hostile frames)
 *   #frame N TEXT send TEXT with the length prefix N instead of the real one
 *   #! TEXT       send the line "#! TEXT" minus the "#! " (lines starting '#')
 * --raw-hex sends every line as hex bytes without framing.
 * --no-read MS never reads: it sends the frames until the server stops
 * taking them for MS, prints `sent=<frames>` and exits (a client that does
 * not read its replies, to show the server's back-pressure).
 * After the last line: stop after `OK QUIT` if QUIT was sent; with
 * --wait-close, read until the server closes (or MS pass); otherwise stop
 * once the server has been quiet for --quiet-ms. `<closed>` is printed
 * when the server closed the connection.
 * Exit: 0, or 2 when the connection or arguments fail.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Longest script line and reply frame we handle (well above the hive's). */
#define CC_LINE_MAX 65536
#define CC_RX_MAX (4 + CC_LINE_MAX)

static int sock = -1;
static int closed;
static int no_read_ms = -1; /* >= 0: never read; give up a send after this */
static int stalled;
static int saw_quit_ok;
static uint8_t rx[CC_RX_MAX];
static size_t rxlen;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void print_frames(void)
{
	for (;;) {
		if (rxlen < 4)
			return;
		uint32_t n = (uint32_t)rx[0] | (uint32_t)rx[1] << 8 | (uint32_t)rx[2] << 16 |
		             (uint32_t)rx[3] << 24;
		if (n < 4 || n > CC_RX_MAX) {
			printf("<bad frame length %u>\n", n);
			rxlen = 0;
			closed = 1;
			return;
		}
		if (rxlen < n)
			return;
		fwrite(rx + 4, 1, n - 4, stdout);
		fputc('\n', stdout);
		if (n - 4 == 7 && memcmp(rx + 4, "OK QUIT", 7) == 0)
			saw_quit_ok = 1;
		memmove(rx, rx + n, rxlen - n);
		rxlen -= n;
	}
}

/* Wait up to ms for reply bytes; returns 1 if some arrived. */
static int pump(int ms)
{
	if (closed)
		return 0;
	struct pollfd p = { .fd = sock, .events = POLLIN };
	int r = poll(&p, 1, ms);
	if (r <= 0)
		return 0;
	ssize_t n = recv(sock, rx + rxlen, sizeof rx - rxlen, 0);
	if (n <= 0) {
		closed = 1;
		print_frames();
		printf("<closed>\n");
		fflush(stdout);
		return 0;
	}
	rxlen += (size_t)n;
	print_frames();
	fflush(stdout);
	return 1;
}

static void send_all(const void *buf, size_t n)
{
	const uint8_t *p = buf;
	while (n && !closed && !stalled) {
		ssize_t w = send(sock, p, n, MSG_NOSIGNAL | (no_read_ms >= 0 ? MSG_DONTWAIT : 0));
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd pf = { .fd = sock, .events = POLLOUT };
				if (poll(&pf, 1, no_read_ms) <= 0)
					stalled = 1;
				continue;
			}
			return; /* the server closed; the replies say why */
		}
		p += w;
		n -= (size_t)w;
	}
}

static void send_frame(uint32_t len, const char *text, size_t n)
{
	uint8_t hdr[4] = { (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24) };
	send_all(hdr, 4);
	send_all(text, n);
}

static int send_hex(const char *s)
{
	static uint8_t buf[CC_LINE_MAX];
	size_t n = 0;
	while (*s) {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		unsigned v;
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) ||
		    sscanf(s, "%2x", &v) != 1 || n >= sizeof buf)
			return -1;
		buf[n++] = (uint8_t)v;
		s += 2;
	}
	send_all(buf, n);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: conclient --port N [--host A] [--bind A] [--quiet-ms MS] "
	                "[--wait-close MS] [--no-read MS] [--raw-hex] < script\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *bind_addr = NULL;
	int port = -1, quiet_ms = 300, wait_close = -1, raw_hex = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--raw-hex") == 0) {
			raw_hex = 1;
			continue;
		}
		if (!v)
			return usage();
		i++;
		if (strcmp(a, "--port") == 0)
			port = atoi(v);
		else if (strcmp(a, "--host") == 0)
			host = v;
		else if (strcmp(a, "--bind") == 0)
			bind_addr = v;
		else if (strcmp(a, "--quiet-ms") == 0)
			quiet_ms = atoi(v);
		else if (strcmp(a, "--wait-close") == 0)
			wait_close = atoi(v);
		else if (strcmp(a, "--no-read") == 0)
			no_read_ms = atoi(v);
		else
			return usage();
	}
	if (port <= 0 || port > 65535)
		return usage();

	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return usage();
	sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return 2;
	if (bind_addr) {
		/* Another loopback address is another peer to the attach throttle. */
		struct sockaddr_in ba = { .sin_family = AF_INET };
		if (inet_pton(AF_INET, bind_addr, &ba.sin_addr) != 1 ||
		    bind(sock, (struct sockaddr *)&ba, sizeof ba) < 0) {
			perror("conclient: bind");
			return 2;
		}
	}
	if (connect(sock, (struct sockaddr *)&sa, sizeof sa) < 0) {
		perror("conclient: connect");
		return 2;
	}

	static char line[CC_LINE_MAX + 2];
	int sent_quit = 0;
	unsigned long frames = 0;
	if (no_read_ms >= 0) {
		while (!stalled && !closed && fgets(line, sizeof line, stdin)) {
			size_t n = strcspn(line, "\r\n");
			send_frame((uint32_t)(n + 4), line, n);
			frames += !stalled;
		}
		printf("sent=%lu%s\n", frames, stalled ? " stalled" : "");
		close(sock);
		return 0;
	}
	while (fgets(line, sizeof line, stdin)) {
		size_t n = strlen(line);
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (raw_hex) {
			if (send_hex(line) < 0) {
				fprintf(stderr, "conclient: bad hex: %s\n", line);
				return 2;
			}
		} else if (strncmp(line, "#sleep ", 7) == 0) {
			uint64_t until = now_ms() + (uint64_t)atoi(line + 7);
			for (uint64_t t; (t = now_ms()) < until;) {
				if (closed) {
					usleep((useconds_t)(until - t) * 1000u);
					break;
				}
				pump((int)(until - t));
			}
			continue;
		} else if (strncmp(line, "#raw ", 5) == 0) {
			if (send_hex(line + 5) < 0) {
				fprintf(stderr, "conclient: bad hex: %s\n", line);
				return 2;
			}
		} else if (strncmp(line, "#frame ", 7) == 0) {
			char *end;
			unsigned long len = strtoul(line + 7, &end, 0);
			const char *text = *end == ' ' ? end + 1 : end;
			send_frame((uint32_t)len, text, strlen(text));
		} else if (strncmp(line, "#! ", 3) == 0) {
			send_frame((uint32_t)(n - 3 + 4), line + 3, n - 3);
		} else if (line[0] == '#') {
			continue; /* comment */
		} else {
			send_frame((uint32_t)(n + 4), line, n);
			if (strcasecmp(line, "quit") == 0)
				sent_quit = 1;
		}
		while (pump(0))
			;
	}

	uint64_t start = now_ms();
	if (sent_quit) {
		while (!saw_quit_ok && !closed && now_ms() - start < 10000)
			pump(100);
	} else if (wait_close >= 0) {
		while (!closed && now_ms() - start < (uint64_t)wait_close)
			pump(100);
	} else {
		while (pump(quiet_ms))
			;
	}
	close(sock);
	return 0;
}
