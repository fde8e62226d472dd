/*
 * auditcmd.h — `hive audit`: verify, query, prove, tail and export a hive's
 * audit log offline, from a copy of its state directory.
 */
#ifndef HIVE_AUDITCMD_H
#define HIVE_AUDITCMD_H

#include "cli.h"

int hcli_audit(struct hcli *h, int argc, char **argv);

#endif
