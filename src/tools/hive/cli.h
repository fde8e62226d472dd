/*
 * cli.h — the `hive` command's private interface: the shared context
 * (connection options, lazily opened connection, shell cwd), the exit
 * codes, and the verbs that main.c and the shell both dispatch to.
 */
#ifndef HIVE_CLI_H
#define HIVE_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "client/hiveclient.h"
#include "lib/limits.h"

/* Exit codes: documented in --help and docs/hive.1; scripts depend on them. */
enum hcli_exit {
	HCLI_OK = 0,
	HCLI_FAIL = 1,  /* the operation failed (server error) */
	HCLI_USAGE = 2, /* bad flags or arguments */
	HCLI_CONN = 3,  /* cannot connect, or the connection was lost */
	HCLI_PERM = 4,  /* permission denied (role, ticket) */
	HCLI_NOENT = 5, /* no such file */
};

#define HCLI_TCP_HOST_MAX 256

struct hcli {
	struct hivec_opts o;
	char sock[HIVE_PATH_MAX];
	char state[HIVE_PATH_MAX];
	char tcp_host[HCLI_TCP_HOST_MAX];
	int json;
	struct hivec *c;          /* opened on first use, kept by the shell */
	char cwd[HIVE_PATH_MAX];  /* the shell's current directory; "/" otherwise */
	char prefix[64];          /* "hive" or "hive sh: line 3" for messages */
};

/* Connect if not connected. Returns 0 or an exit code (message printed). */
int hcli_connect(struct hcli *h);
/* Print "<prefix>: <msg>" with a hint and return the exit code for rc. */
int hcli_fail(struct hcli *h, int rc, const char *msg);
/* Like hcli_fail for a msg that already says the reason and the fix
 * (the agent API's): no generic hint unless the connection was lost. */
int hcli_fail_said(struct hcli *h, int rc, const char *msg);
/* Like hcli_fail with the library's last error text. */
int hcli_fail_lib(struct hcli *h, int rc);
/* Print "<prefix>: <fmt...>" to stderr and return HCLI_USAGE. */
int hcli_usage(struct hcli *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Resolve a user path against the cwd into a clean absolute path (no
 * "", ".", ".." components, no trailing '/'). Returns 0 or -ENAMETOOLONG. */
int hcli_resolve(const struct hcli *h, const char *arg, char *out, size_t cap);

/* Verbs: argv[0] is the verb. Each returns an exit code. */
int hcli_ls(struct hcli *h, int argc, char **argv);
int hcli_cat(struct hcli *h, int argc, char **argv);
int hcli_tail(struct hcli *h, int argc, char **argv);
int hcli_write(struct hcli *h, int argc, char **argv);
int hcli_stat(struct hcli *h, int argc, char **argv);
int hcli_ping(struct hcli *h, int argc, char **argv);
int hcli_sh(struct hcli *h, int argc, char **argv);
int hcli_ticket(struct hcli *h, int argc, char **argv);
/* Why the hive refused our ticket, if the local secrets can tell:
 * returns 1 with a reason in out, or 0. */
int hcli_ticket_diagnose(const struct hcli *h, char *out, size_t cap);

/* Write data + "\n" to path in one write (hive write, echo > in the shell). */
int hcli_write_text(struct hcli *h, const char *path, const char *text, size_t len);

/* The value of key in a "k=v k=v ..." line (/proc/agents, an agent's
 * state) into out; "-" when absent. */
void hcli_kv(const char *line, const char *key, char *out, size_t cap);

/* Set by SIGINT: tail -f stops and returns 0. */
extern volatile int hcli_interrupted;
void hcli_catch_sigint(void);

/* Output helpers (out.c). */
const char *hcli_type_name(uint8_t qid_type, uint32_t mode);
void hcli_mode_string(uint32_t mode, uint8_t qid_type, char out[11]);
/* Print one stat as text (`hive stat`) or a JSON object. */
void hcli_print_stat(FILE *f, const char *path, const struct hivec_stat *st, int json);
/* Print a whole ls listing (names with optional stats) in text or JSON. */
struct hcli_lsent {
	char name[HIVE_NAME_MAX + 1];
	uint8_t qid_type;
	int have_stat;
	struct hivec_stat st;
};
void hcli_print_ls(FILE *f, const struct hcli_lsent *e, size_t n, int long_fmt, int json);

#endif
