/*
 * trustcmd.h — the offline trust verbs of `hive`: signing keys, manifest
 * signatures and the trust store (src/trust does the work; these print).
 */
#ifndef HIVE_TRUSTCMD_H
#define HIVE_TRUSTCMD_H

#include "cli.h"

int hcli_key(struct hcli *h, int argc, char **argv);
int hcli_manifest(struct hcli *h, int argc, char **argv);
int hcli_trust(struct hcli *h, int argc, char **argv);

#endif
