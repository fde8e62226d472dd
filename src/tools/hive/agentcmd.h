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

#endif
