/*
 * brokercmd.c — `hive broker weight TENANT N`, `hive broker budget TENANT
 * TOKENS_PER_MIN [BURST]` (lines of /broker/ctl) and `hive broker ls` (one
 * line a tenant from /broker/tenants/<t>/).
 */
#include "brokercmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BROKER_USAGE                                                                          \
	"usage: hive broker weight TENANT N | budget TENANT TOKENS_PER_MIN [BURST] | ls\n"   \
	"  weight: the tenant's share of the inference engine and of the CPU (0 refuses its\n" \
	"  requests with 429); budget: tokens a minute, BURST the bucket (0 = unlimited);\n"    \
	"  ls: every tenant the broker has seen: weight, budget, usage, queue. Needs the\n"     \
	"  queen to change, the queen or an observer to list.\n"

static int is_number(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 19;
}

/* Read /broker/tenants/<t>/<file> into out (one line, no newline). */
static void tenant_file(struct hcli *h, const char *t, const char *file, char *out, size_t cap)
{
	char path[HIVE_PATH_MAX];
	snprintf(path, sizeof path, "/broker/tenants/%s/%s", t, file);
	ssize_t n = hivec_read_file(h->c, path, out, cap - 1);
	out[n > 0 ? (size_t)n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

struct ls_state {
	struct hcli *h;
	char names[256][HIVE_MANIFEST_NAME_MAX + 1];
	unsigned n;
};

static int ls_one(void *arg, const struct hivec_dirent *de)
{
	struct ls_state *s = arg;
	if (s->n < sizeof s->names / sizeof s->names[0])
		snprintf(s->names[s->n++], sizeof s->names[0], "%.*s", (int)HIVE_MANIFEST_NAME_MAX, de->name);
	return 0;
}

static int broker_ls(struct hcli *h)
{
	struct ls_state *s = calloc(1, sizeof *s);
	int code;

	if (!s)
		return hcli_fail(h, -ENOMEM, "broker ls: out of memory");
	if ((code = hcli_connect(h))) {
		free(s);
		return code;
	}
	s->h = h;
	int rc = hivec_list(h->c, "/broker/tenants", ls_one, s);
	if (rc < 0) {
		free(s);
		return hcli_fail_lib(h, rc);
	}
	printf("%-16s %7s %-34s %s | %s\n", "TENANT", "WEIGHT", "BUDGET", "USAGE", "QUEUE");
	for (unsigned i = 0; i < s->n; i++) {
		char w[32], b[96], u[160], q[160];
		tenant_file(h, s->names[i], "weight", w, sizeof w);
		tenant_file(h, s->names[i], "budget", b, sizeof b);
		tenant_file(h, s->names[i], "usage", u, sizeof u);
		tenant_file(h, s->names[i], "queue", q, sizeof q);
		printf("%-16s %7s %-34s %s | %s\n", s->names[i], w, b, u, q);
	}
	free(s);
	return HCLI_OK;
}

int hcli_broker(struct hcli *h, int argc, char **argv)
{
	char line[HIVE_CTL_LINE_MAX + 1];

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(BROKER_USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? HCLI_USAGE : HCLI_OK;
	}
	if (!strcmp(argv[1], "ls") && argc == 2)
		return broker_ls(h);
	int weight = !strcmp(argv[1], "weight"), budget = !strcmp(argv[1], "budget");
	if (!(weight && argc == 4) && !(budget && (argc == 4 || argc == 5)))
		return hcli_usage(h, "broker: want weight TENANT N | budget TENANT TOKENS_PER_MIN [BURST] | ls");
	if (strlen(argv[2]) > HIVE_MANIFEST_NAME_MAX || strpbrk(argv[2], " \t\n/"))
		return hcli_usage(h, "broker %s: '%s' is not a tenant name", argv[1], argv[2]);
	for (int i = 3; i < argc; i++)
		if (!is_number(argv[i]))
			return hcli_usage(h, "broker %s: '%s' is not a number", argv[1], argv[i]);
	snprintf(line, sizeof line, "%s %s %s%s%s", argv[1], argv[2], argv[3], argc == 5 ? " " : "",
	         argc == 5 ? argv[4] : "");
	return hcli_write_text(h, "/broker/ctl", line, strlen(line));
}
