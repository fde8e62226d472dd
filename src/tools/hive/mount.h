/*
 * mount.h — `hive mount`: the hive namespace as a FUSE directory.
 *
 * The CLI (main.c) parses the global connection flags and hands the rest
 * of the command line here, so the FUSE code and its libfuse3 dependency
 * stay out of every other subcommand.
 */
#ifndef HIVE_TOOLS_MOUNT_H
#define HIVE_TOOLS_MOUNT_H

#include "client/hiveclient.h"

/*
 * `hive mount [-f] DIR` mounts (daemonized once the mount is up, unless -f);
 * `hive mount -u DIR` unmounts. argv[0] is "mount"; o holds the connection
 * options of the global flags. Returns the process exit status.
 */
int hive_mount_main(int argc, char **argv, const struct hivec_opts *o);

#endif
