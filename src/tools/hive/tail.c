/*
 * tail.c — `hive tail [-f] [-n N] PATH`: the last lines of a file, then
 * (with -f) whatever is appended, by polling the read offset.
 *
 * Logs are append-only rings with absolute offsets whose stat size is the
 * end offset, so the last lines are found by reading only the final
 * HIVE_TAIL_WINDOW bytes; a file that reports size 0 (rendered text) is
 * read whole up to that window. Polling instead of a blocking read keeps
 * the server simple and lets SIGINT end the loop cleanly.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ninep/ninep.h"
#include "cli.h"

volatile int hcli_interrupted;

static void hcli_on_sigint(int sig)
{
	(void)sig;
	hcli_interrupted = 1;
}

void hcli_catch_sigint(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = hcli_on_sigint;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: the poll sleep must wake up */
	sigaction(SIGINT, &sa, NULL);
}

/* Append n bytes to the window buffer, keeping only the last cap bytes. */
static void hcli_window_add(char *win, size_t *len, size_t cap, const char *p, size_t n)
{
	if (n >= cap) {
		memcpy(win, p + (n - cap), cap);
		*len = cap;
		return;
	}
	if (*len + n > cap) {
		size_t drop = *len + n - cap;
		memmove(win, win + drop, *len - drop);
		*len -= drop;
	}
	memcpy(win + *len, p, n);
	*len += n;
}

/* Print the last `lines` lines of win[0..len); `cut` means the window may
 * start mid-line, so its first partial line is not shown. */
static void hcli_print_last(const char *win, size_t len, long lines, int cut)
{
	size_t start = len;
	long seen = 0;
	if (lines <= 0)
		return;
	if (len && win[len - 1] == '\n')
		start--; /* the final newline ends the last line, not a new one */
	while (start > 0) {
		if (win[start - 1] == '\n' && ++seen == lines)
			break;
		start--;
	}
	if (start == 0 && cut) {
		const char *nl = memchr(win, '\n', len);
		start = nl ? (size_t)(nl - win) + 1 : len;
	}
	fwrite(win + start, 1, len - start, stdout);
	fflush(stdout);
}

static int hcli_tail_err(struct hcli *h, const char *path, int rc)
{
	char msg[HIVE_PATH_MAX + 128];
	snprintf(msg, sizeof msg, "tail %s: %s", path, strerror(-rc));
	return hcli_fail(h, rc, msg);
}

int hcli_tail(struct hcli *h, int argc, char **argv)
{
	char path[HIVE_PATH_MAX];
	struct hivec_stat st;
	uint32_t fid, iounit;
	long lines = 10;
	int follow = 0, opt, rc, code = HCLI_OK;
	char *buf = NULL, *win = NULL, *end;
	size_t wlen = 0;

	optind = 0;
	while ((opt = getopt(argc, argv, "+fn:")) != -1) {
		switch (opt) {
		case 'f':
			follow = 1;
			break;
		case 'n':
			errno = 0;
			lines = strtol(optarg, &end, 10);
			if (errno || *end || lines < 0 || lines > (long)HIVE_TAIL_WINDOW)
				return hcli_usage(h, "tail: -n wants a line count 0..%u, not '%s'",
				                  HIVE_TAIL_WINDOW, optarg);
			break;
		default:
			return hcli_usage(h, "usage: tail [-f] [-n N] PATH");
		}
	}
	if (argc - optind != 1)
		return hcli_usage(h, "usage: tail [-f] [-n N] PATH");
	if (hcli_resolve(h, argv[optind], path, sizeof path) < 0)
		return hcli_usage(h, "tail: path too long");
	if ((code = hcli_connect(h)))
		return code;
	rc = hivec_walk(h->c, path, &fid);
	if (rc < 0)
		return hcli_fail_lib(h, rc);
	rc = hivec_fstat(h->c, fid, &st);
	if (rc == 0 && (st.qid_type & NINEP_QTDIR))
		rc = -EISDIR;
	if (rc == 0)
		rc = hivec_open(h->c, fid, O_RDONLY, &iounit);
	if (rc < 0) {
		code = hcli_tail_err(h, path, rc);
		goto out;
	}
	buf = malloc(iounit);
	win = malloc(HIVE_TAIL_WINDOW);
	if (!buf || !win) {
		code = hcli_fail(h, -ENOMEM, "tail: out of memory");
		goto out;
	}
	uint64_t start = st.size > HIVE_TAIL_WINDOW ? st.size - HIVE_TAIL_WINDOW : 0;
	uint64_t off = start;
	for (;;) {
		ssize_t n = hivec_pread(h->c, fid, off, buf, iounit);
		if (n < 0) {
			code = hcli_tail_err(h, path, (int)n);
			goto out;
		}
		if (n == 0)
			break;
		hcli_window_add(win, &wlen, HIVE_TAIL_WINDOW, buf, (size_t)n);
		off += (uint64_t)n;
	}
	hcli_print_last(win, wlen, lines, start > 0 || off - start > wlen);
	if (!follow)
		goto out;
	hcli_interrupted = 0;
	hcli_catch_sigint();
	while (!hcli_interrupted) {
		ssize_t n = hivec_pread(h->c, fid, off, buf, iounit);
		if (n < 0) {
			if (hcli_interrupted)
				break;
			code = hcli_tail_err(h, path, (int)n);
			goto out;
		}
		if (n > 0) {
			fwrite(buf, 1, (size_t)n, stdout);
			fflush(stdout);
			off += (uint64_t)n;
			continue; /* drain what is there before sleeping */
		}
		poll(NULL, 0, HIVE_TAIL_POLL_MS);
	}
	hcli_interrupted = 0;
out:
	free(buf);
	free(win);
	hivec_clunk(h->c, fid); /* frees the fid locally even if the link is dead */
	return code;
}
