/*
 * attestcmd.h — `hive attest`: offline check of a hive's attestation.
 */
#ifndef HIVE_ATTESTCMD_H
#define HIVE_ATTESTCMD_H

#include "cli.h"

int hcli_attest(struct hcli *h, int argc, char **argv);

#endif
