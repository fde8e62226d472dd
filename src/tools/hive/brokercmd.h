/*
 * brokercmd.h — `hive broker weight|budget|ls`: the inference broker's
 * tenants, through /broker/ctl and /broker/tenants/.
 */
#ifndef HIVE_BROKERCMD_H
#define HIVE_BROKERCMD_H

#include "cli.h"

int hcli_broker(struct hcli *h, int argc, char **argv);

#endif
