/*
 * shell.c — `hive sh`: a small shell over one connection to the hive.
 *
 * Interactive on a terminal (libedit line editing and history, prompt
 * `hive> `, errors reported and the shell goes on); otherwise a script
 * runner for `-c 'cmd; cmd'`, a FILE, or stdin, which stops at the first
 * failing command and names its line, so a script fails loudly instead of
 * acting on a half-applied state. -k keeps going.
 *
 * The language is deliberately tiny: words, '...' and "..." quoting,
 * backslash escapes, `;` between commands, `#` comments, and `> PATH` /
 * `>> PATH` after echo (both append: hive files are ctl or append-only).
 */
#include <editline/readline.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ninep/ninep.h"
#include "cli.h"

/* Token text never outgrows the line it came from (quotes only shrink it). */
#define HSH_TEXT_MAX (HIVE_SHELL_LINE_MAX + 1)

enum hsh_tok { HSH_WORD, HSH_SEMI, HSH_REDIR };

struct hsh_cmd {
	int argc;
	char *argv[HIVE_SHELL_ARGS_MAX + 1];
	const char *redir; /* echo's target, or NULL */
};

struct hsh {
	struct hcli *h;
	int keep_going, interactive, quit, quit_code;
	int lineno;
	char text[HSH_TEXT_MAX];
};

static const char hsh_help[] =
	"commands:\n"
	"  ls [-l] [PATH]          list a directory\n"
	"  cat PATH...             print files\n"
	"  tail [-f] [-n N] PATH   last lines; -f follows until ^C\n"
	"  write PATH TEXT...      write TEXT + newline in one write\n"
	"  echo TEXT... [> PATH]   print TEXT, or write it + newline to PATH (> and >> alike)\n"
	"  stat PATH...            attributes\n"
	"  cd [PATH]  pwd          change / show the current directory (default /)\n"
	"  ping                    one round trip to the hive\n"
	"  help                    this text\n"
	"  quit [N]  exit [N]      leave the shell\n"
	"paths are relative to the current directory; ';' separates commands; # starts a comment\n";

/*
 * Split one command off *pp into c (text copied into s->text at *tpos).
 * Returns 1 if a command (possibly empty) was read, 0 at end of line,
 * or an exit code (usage) on a syntax error.
 */
static int hsh_parse(struct hsh *s, const char **pp, size_t *tpos, struct hsh_cmd *c)
{
	const char *p = *pp;
	int want_redir = 0;

	memset(c, 0, sizeof *c);
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p || *p == '\n' || *p == '#') {
			*pp = p + strlen(p);
			if (want_redir)
				return hcli_usage(s->h, "'>' needs a path after it");
			return c->argc || c->redir ? 1 : 0;
		}
		if (*p == ';') {
			*pp = p + 1;
			if (want_redir)
				return hcli_usage(s->h, "'>' needs a path after it");
			return 1;
		}
		if (*p == '>') {
			if (want_redir || c->redir)
				return hcli_usage(s->h, "only one '>' per command");
			p += p[1] == '>' ? 2 : 1;
			want_redir = 1;
			continue;
		}
		/* A word: runs of plain, quoted and escaped characters. */
		char *w = s->text + *tpos;
		size_t n = 0;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && *p != ';' &&
		       *p != '>') {
			if (*p == '\'') {
				const char *e = strchr(p + 1, '\'');
				if (!e)
					return hcli_usage(s->h, "unterminated ' quote");
				memcpy(w + n, p + 1, (size_t)(e - p - 1));
				n += (size_t)(e - p - 1);
				p = e + 1;
			} else if (*p == '"') {
				p++;
				while (*p && *p != '"') {
					if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
						p++;
					w[n++] = *p++;
				}
				if (*p != '"')
					return hcli_usage(s->h, "unterminated \" quote");
				p++;
			} else if (*p == '\\' && p[1]) {
				w[n++] = p[1];
				p += 2;
			} else {
				w[n++] = *p++;
			}
		}
		w[n] = 0;
		*tpos += n + 1;
		if (want_redir) {
			c->redir = w;
			want_redir = 0;
		} else {
			if (c->argc >= (int)HIVE_SHELL_ARGS_MAX)
				return hcli_usage(s->h, "more than %u words in one command", HIVE_SHELL_ARGS_MAX);
			c->argv[c->argc++] = w;
		}
	}
}

static int hsh_cd(struct hsh *s, struct hsh_cmd *c)
{
	struct hcli *h = s->h;
	char path[HIVE_PATH_MAX], msg[HIVE_PATH_MAX + 64];
	struct hivec_stat st;
	int code;

	if (c->argc > 2)
		return hcli_usage(h, "usage: cd [PATH]");
	if (hcli_resolve(h, c->argc > 1 ? c->argv[1] : "/", path, sizeof path) < 0)
		return hcli_usage(h, "cd: path too long");
	if ((code = hcli_connect(h)))
		return code;
	int rc = hivec_stat(h->c, path, &st);
	if (rc < 0)
		return hcli_fail_lib(h, rc);
	if (!(st.qid_type & NINEP_QTDIR)) {
		snprintf(msg, sizeof msg, "cd %s: Not a directory", path);
		return hcli_fail(h, -ENOTDIR, msg);
	}
	snprintf(h->cwd, sizeof h->cwd, "%s", path);
	return HCLI_OK;
}

static int hsh_echo(struct hsh *s, struct hsh_cmd *c)
{
	char text[HIVE_SHELL_LINE_MAX + 1], path[HIVE_PATH_MAX];
	size_t n = 0;
	for (int i = 1; i < c->argc; i++) {
		size_t l = strlen(c->argv[i]);
		if (n + l + 1 > HIVE_SHELL_LINE_MAX)
			return hcli_usage(s->h, "echo: text too long");
		if (i > 1)
			text[n++] = ' ';
		memcpy(text + n, c->argv[i], l);
		n += l;
	}
	text[n] = 0;
	if (!c->redir) {
		printf("%s\n", text);
		fflush(stdout);
		return HCLI_OK;
	}
	if (hcli_resolve(s->h, c->redir, path, sizeof path) < 0)
		return hcli_usage(s->h, "echo: path too long");
	return hcli_write_text(s->h, path, text, n);
}

static int hsh_exec(struct hsh *s, struct hsh_cmd *c)
{
	struct hcli *h = s->h;
	const char *v = c->argc ? c->argv[0] : "";

	if (c->redir && strcmp(v, "echo") != 0)
		return hcli_usage(h, "only echo can write with '>' (use: echo TEXT > PATH)");
	if (!strcmp(v, "echo"))
		return hsh_echo(s, c);
	if (!strcmp(v, "cd"))
		return hsh_cd(s, c);
	if (!strcmp(v, "pwd")) {
		printf("%s\n", h->cwd);
		return HCLI_OK;
	}
	if (!strcmp(v, "help") || !strcmp(v, "?")) {
		fputs(hsh_help, stdout);
		return HCLI_OK;
	}
	if (!strcmp(v, "quit") || !strcmp(v, "exit")) {
		s->quit = 1;
		s->quit_code = c->argc > 1 ? atoi(c->argv[1]) & 0xff : HCLI_OK;
		return HCLI_OK;
	}
	if (!strcmp(v, "ls"))
		return hcli_ls(h, c->argc, c->argv);
	if (!strcmp(v, "cat"))
		return hcli_cat(h, c->argc, c->argv);
	if (!strcmp(v, "tail"))
		return hcli_tail(h, c->argc, c->argv);
	if (!strcmp(v, "write"))
		return hcli_write(h, c->argc, c->argv);
	if (!strcmp(v, "stat"))
		return hcli_stat(h, c->argc, c->argv);
	if (!strcmp(v, "ping"))
		return hcli_ping(h, c->argc, c->argv);
	return hcli_usage(h, "unknown command '%s' (try `help`)", v);
}

/* Run every command of one line; returns the first failure's exit code. */
static int hsh_line(struct hsh *s, const char *line)
{
	struct hsh_cmd c;
	size_t tpos = 0;
	int first = HCLI_OK, rc;

	if (strlen(line) > HIVE_SHELL_LINE_MAX) {
		snprintf(s->h->prefix, sizeof s->h->prefix, "hive sh: line %d", s->lineno);
		return hcli_usage(s->h, "line longer than %u bytes", HIVE_SHELL_LINE_MAX);
	}
	if (s->interactive)
		snprintf(s->h->prefix, sizeof s->h->prefix, "hive");
	else
		snprintf(s->h->prefix, sizeof s->h->prefix, "hive sh: line %d", s->lineno);
	while (!s->quit && (rc = hsh_parse(s, &line, &tpos, &c)) != 0) {
		if (rc != 1) /* syntax error: the rest of the line is not trusted */
			return rc;
		if (!c.argc && !c.redir)
			continue;
		rc = hsh_exec(s, &c);
		if (rc && !first)
			first = rc;
		if (rc && !s->keep_going && !s->interactive)
			break;
	}
	return first;
}

/* Script mode: each line of f (or of the -c string); stop at a failure. */
static int hsh_script(struct hsh *s, FILE *f, const char *str)
{
	char line[HIVE_SHELL_LINE_MAX + 2];
	int first = HCLI_OK;
	while (!s->quit) {
		if (f) {
			if (!fgets(line, sizeof line, f))
				break;
			size_t l = strlen(line);
			if (l == sizeof line - 1 && line[l - 1] != '\n') {
				s->lineno++;
				snprintf(s->h->prefix, sizeof s->h->prefix, "hive sh: line %d", s->lineno);
				return hcli_usage(s->h, "line longer than %u bytes", HIVE_SHELL_LINE_MAX);
			}
		} else {
			if (!*str)
				break;
			const char *nl = strchr(str, '\n');
			size_t l = nl ? (size_t)(nl - str) : strlen(str);
			if (l > HIVE_SHELL_LINE_MAX)
				l = HIVE_SHELL_LINE_MAX + 1; /* hsh_line refuses it */
			memcpy(line, str, l);
			line[l] = 0;
			str += nl ? (size_t)(nl - str) + 1 : strlen(str);
		}
		s->lineno++;
		int rc = hsh_line(s, line);
		if (rc) {
			if (!first)
				first = rc;
			if (!s->keep_going)
				return rc;
		}
	}
	return s->quit ? s->quit_code : first;
}

static void hsh_history_path(const struct hcli *h, char *out, size_t cap)
{
	struct stat st;
	out[0] = 0;
	if (stat(h->state, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(out, cap, "%s/sh_history", h->state);
}

static int hsh_interactive(struct hsh *s)
{
	char hist[HIVE_PATH_MAX + 16];
	int last = HCLI_OK;

	hcli_catch_sigint(); /* ^C stops tail -f and clears the line, not the shell */
	using_history();
	stifle_history((int)HIVE_SHELL_HISTORY_MAX);
	hsh_history_path(s->h, hist, sizeof hist);
	if (hist[0])
		read_history(hist);
	while (!s->quit) {
		hcli_interrupted = 0;
		char *line = readline("hive> ");
		if (!line) {
			if (hcli_interrupted) {
				putchar('\n');
				continue;
			}
			putchar('\n');
			break;
		}
		if (line[strspn(line, " \t")])
			add_history(line);
		s->lineno++;
		last = hsh_line(s, line);
		free(line);
	}
	if (hist[0]) {
		mode_t old = umask(077);
		write_history(hist);
		umask(old);
	}
	return s->quit ? s->quit_code : last;
}

int hcli_sh(struct hcli *h, int argc, char **argv)
{
	static struct hsh s; /* the token buffer is line-sized: keep it off the stack */
	const char *cmds = NULL;
	int opt, code;

	memset(&s, 0, sizeof s);
	s.h = h;
	optind = 0;
	while ((opt = getopt(argc, argv, "+kc:")) != -1) {
		switch (opt) {
		case 'k': s.keep_going = 1; break;
		case 'c': cmds = optarg; break;
		default: return hcli_usage(h, "usage: sh [-k] [-c CMDS | FILE]");
		}
	}
	if (argc - optind > 1 || (cmds && optind < argc))
		return hcli_usage(h, "usage: sh [-k] [-c CMDS | FILE]");
	if (cmds)
		return hsh_script(&s, NULL, cmds);
	if (optind < argc) {
		FILE *f = fopen(argv[optind], "r");
		if (!f) {
			fprintf(stderr, "hive: sh: cannot open script %s: %s\n", argv[optind],
			        strerror(errno));
			return errno == ENOENT ? HCLI_NOENT : HCLI_FAIL;
		}
		code = hsh_script(&s, f, NULL);
		fclose(f);
		return code;
	}
	if (!isatty(STDIN_FILENO))
		return hsh_script(&s, stdin, NULL);
	s.interactive = 1;
	/* Connect up front so a dead hive is said at once, not at the first command. */
	if ((code = hcli_connect(h)))
		return code;
	return hsh_interactive(&s);
}
