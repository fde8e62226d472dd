/*
 * console.h — the framed line console (Cohesix's TCP console protocol).
 *
 * Frame: 4-byte little-endian length including itself + one UTF-8 line,
 * both directions. AUTH <token>, then ATTACH <role> [ticket], then LS, CAT,
 * TAIL, ECHO, PING, QUIT; replies `OK <VERB> ...`, `ERR <VERB> reason=...
 * detail=...`, payload lines and `END`. Off unless cfg.console_port >= 0.
 */
#ifndef HIVE_CONSOLE_H
#define HIVE_CONSOLE_H

struct hive;

/* Listen on cfg.console_addr:cfg.console_port (port 0 = any; the bound
 * port is written to <state>/console.port). No-op if console_port < 0. */
int console_start(struct hive *hive);
/* Close the listener and every console session. */
void console_stop(struct hive *hive);

#endif
