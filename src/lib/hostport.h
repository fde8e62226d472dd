/*
 * hostport.h — "HOST:PORT", "[V6]:PORT" or a bare "PORT", as every flag that
 * names an endpoint takes it (hived --tcp/--console, hive --tcp), parsed
 * once so the daemon and the CLI accept exactly the same spellings.
 */
#ifndef HIVE_HOSTPORT_H
#define HIVE_HOSTPORT_H

#include <stddef.h>

/* Parse s into host (cap bytes) and port (0..65535). A bare PORT takes
 * default_host; with default_host NULL a host is required. Returns 0, or
 * -EINVAL (malformed, port out of range) / -ENAMETOOLONG (host too long). */
int hostport_parse(const char *s, const char *default_host, char *host, size_t cap, int *port);

#endif
