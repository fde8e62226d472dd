/*
 * trustcmd.h — the offline trust verbs of `hive`: signing keys, manifest
 * signatures and the trust store (src/trust does the work; these print).
 */
#ifndef HIVE_TRUSTCMD_H
#define HIVE_TRUSTCMD_H

#include "cli.h"
#include "trust/sigkey.h"

int hcli_key(struct hcli *h, int argc, char **argv);
int hcli_manifest(struct hcli *h, int argc, char **argv);
int hcli_trust(struct hcli *h, int argc, char **argv);

/* The operator's signing key (<state>/keys/operator.key) into k, made on
 * first use as `hive key new` makes it and trusted as `hive trust add`
 * trusts it (when this user may write <state>/trust; else the message
 * says how to fix it). Returns 0 (wipe k after use) or an exit code,
 * message printed. */
int hcli_operator_key(struct hcli *h, struct sigkey *k);

#endif
