/*
 * auditq — ask hived's /audit/query as a test would: open it ORDWR, write
 * one filter line, read the rows on the same open, and follow `more
 * from=SEQ` until the log is read. Prints the rows (without the `more`
 * lines); with --count only their number.
 *
 *   auditq (--socket PATH | --tcp HOST:PORT --ticket-file F) [--count] [FILTER...]
 *
 * FILTER words are the query's: aid=A type=T since=UNIX from=SEQ.
 */
#include "client/hiveclient.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char reply[1 << 20];

int main(int argc, char **argv)
{
	struct hivec_opts o = { 0 };
	char ticket[4096], filter[1024] = "", host[256];
	int count = 0, err = 0, i;
	unsigned long long rows = 0, from = 0;
	char msg[256];

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
			o.unix_path = argv[++i];
		} else if (strcmp(argv[i], "--tcp") == 0 && i + 1 < argc) {
			char *colon;
			snprintf(host, sizeof host, "%s", argv[++i]);
			if (!(colon = strrchr(host, ':')))
				return 2;
			*colon = '\0';
			o.tcp_host = host;
			o.tcp_port = atoi(colon + 1);
		} else if (strcmp(argv[i], "--ticket-file") == 0 && i + 1 < argc) {
			FILE *f = fopen(argv[++i], "r");
			if (!f || !fgets(ticket, sizeof ticket, f))
				return 2;
			fclose(f);
			ticket[strcspn(ticket, "\n")] = '\0';
			o.ticket = ticket;
		} else if (strcmp(argv[i], "--count") == 0) {
			count = 1;
		} else if (strncmp(argv[i], "from=", 5) == 0) {
			from = strtoull(argv[i] + 5, NULL, 10);
		} else {
			size_t l = strlen(filter);
			snprintf(filter + l, sizeof filter - l, "%s%s", l ? " " : "", argv[i]);
		}
	}
	struct hivec *c = hivec_connect(&o, &err, msg, sizeof msg);
	if (!c) {
		fprintf(stderr, "auditq: %s\n", msg);
		return 3;
	}
	for (;;) {
		char line[1200];
		uint32_t fid, io;
		ssize_t n, got = 0;
		int rc;
		snprintf(line, sizeof line, "%s from=%llu\n", filter, from);
		if ((rc = hivec_walk(c, "/audit/query", &fid)) < 0 || (rc = hivec_open(c, fid, O_RDWR, &io)) < 0) {
			fprintf(stderr, "auditq: /audit/query: %s\n", strerror(-rc));
			return 1;
		}
		if ((n = hivec_pwrite(c, fid, 0, line, strlen(line))) < 0) {
			fprintf(stderr, "auditq: write: %s\n", strerror((int)-n));
			return 1;
		}
		while ((n = hivec_pread(c, fid, (uint64_t)got, reply + got, sizeof reply - 1 - (size_t)got)) > 0)
			got += n;
		hivec_clunk(c, fid);
		if (n < 0) {
			fprintf(stderr, "auditq: read: %s\n", strerror((int)-n));
			return 1;
		}
		reply[got] = '\0';
		char *more = NULL;
		for (char *p = reply, *nl; *p; p = nl + 1) {
			if (!(nl = strchr(p, '\n')))
				break;
			*nl = '\0';
			if (strncmp(p, "more from=", 10) == 0) {
				more = p + 10;
				break;
			}
			rows++;
			if (!count)
				printf("%s\n", p);
		}
		if (!more)
			break;
		from = strtoull(more, NULL, 10);
	}
	if (count)
		printf("%llu\n", rows);
	hivec_close(c);
	return 0;
}
