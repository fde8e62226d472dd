/*
 * defaults.h — what the daemon and every client must agree on without
 * talking first: the version, the socket's name in the state directory,
 * and the default ports. One copy, so `hive` and `hived` cannot drift.
 */
#ifndef HIVE_DEFAULTS_H
#define HIVE_DEFAULTS_H

#define HIVE_VERSION "0.1.0"
#define HIVE_DEFAULT_TCP_PORT 5640      /* 564 is 9P's port; +0 so no root is needed */
#define HIVE_DEFAULT_CONSOLE_PORT 31337 /* Cohesix's console port */
#define HIVE_SOCKET_NAME "hive.sock"

#endif
