/*
 * agentcmd.h — `hive spawn`, `hive ps` and the verbs on a running agent
 * (kill, quarantine, resume, grant, revoke, quota); `hive run` is runcmd.h.
 */
#ifndef HIVE_AGENTCMD_H
#define HIVE_AGENTCMD_H

#include "cli.h"

int hcli_spawn(struct hcli *h, int argc, char **argv);
int hcli_ps(struct hcli *h, int argc, char **argv);
/* argv[0] is the verb: kill, quarantine, resume, grant, revoke or quota. */
int hcli_agent_verb(struct hcli *h, int argc, char **argv);
/* The hive's own message for our last refused `verb` on /queen/ctl (9P
 * carries only an errno; the ctl row in /log/queen.log has the text).
 * Returns 1 with it in out, or 0 when it cannot be found (folded, or the
 * log is not readable to us). */
int hcli_ctl_why(struct hcli *h, const char *verb, char *out, size_t cap);

#endif
