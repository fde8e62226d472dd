/*
 * runcmd.h — `hive run`: one command as a sandboxed agent in the
 * foreground (CONTRACT.md "hive run").
 */
#ifndef HIVE_RUNCMD_H
#define HIVE_RUNCMD_H

#include "cli.h"

int hcli_run(struct hcli *h, int argc, char **argv);

#endif
