#!/usr/bin/env bash
# t0325 — secrets never ride on the command line, where every local user
# can read them in /proc/PID/cmdline: `hive --ticket VALUE` and `hived
# --console-token VALUE` are refused with the replacement named; a ticket
# comes from --ticket-file FILE (or stdin) or $HIVE_TICKET, the console
# token from --console-token-file FILE or $HIVE_CONSOLE_TOKEN.
. "$(dirname "$0")/lib.sh"
CONCLIENT=$HIVE_BUILD/tests/tools/conclient

# --- hive: the ticket ------------------------------------------------------
run "$HIVE" --tcp 127.0.0.1:1 --ticket cohesix-ticket-00.00 ls /
check_eq "hive --ticket VALUE is a usage error (2)" 2 "$RC"
check_match "it says why and names --ticket-file and \$HIVE_TICKET" \
	'/proc/PID/cmdline.*--ticket-file.*HIVE_TICKET' "$ERR"
run "$HIVE" --help
check_match "--help documents --ticket-file" '--ticket-file F' "$OUT"

hive_start
TK=$("$HIVE" --state "$HIVE_STATE" ticket mint --role observer --subject sec --ttl 600)
check_match "an observer ticket" '^cohesix-ticket-' "$TK"
umask 077
printf '%s\n' "$TK" >"$T_DIR/ticket"
run "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" --ticket-file "$T_DIR/ticket" cat /proc/version
check_eq "--ticket-file FILE attaches over TCP" 0 "$RC"
run env -u HIVE_TICKET "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" --ticket-file - cat /proc/version <"$T_DIR/ticket"
check_eq "--ticket-file - reads stdin" 0 "$RC"
run env HIVE_TICKET="$TK" "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" cat /proc/version
check_eq "\$HIVE_TICKET attaches over TCP" 0 "$RC"
: >"$T_DIR/empty"
run "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" --ticket-file "$T_DIR/empty" ls /
check_eq "an empty ticket file is a usage error (2)" 2 "$RC"
check_match "it names the file" "$T_DIR/empty.*empty" "$ERR"
run "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" --ticket-file "$T_DIR/nonesuch" ls /
check_eq "a missing ticket file is a usage error (2)" 2 "$RC"
head -c 600 /dev/zero | tr '\0' x >"$T_DIR/long"
run "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" --ticket-file "$T_DIR/long" ls /
check_match "an over-long ticket file is refused, not cut" 'longer than' "$ERR"

# While a client runs, its command line holds the file name, not the ticket.
"$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" --ticket-file "$T_DIR/ticket" tail -f /log/queen.log >/dev/null 2>&1 &
tp=$!
for _ in $(seq 1 50); do [ -r "/proc/$tp/cmdline" ] && break; sleep 0.05; done
sleep 0.3
cmd=$(tr '\0' ' ' <"/proc/$tp/cmdline" 2>/dev/null)
check_match "a running hive's cmdline names the ticket file" 'ticket-file' "$cmd"
case "$cmd" in *"$TK"*) not_ok "the ticket is not in /proc/PID/cmdline" ;; *) ok "the ticket is not in /proc/PID/cmdline" ;; esac
kill "$tp" 2>/dev/null; wait "$tp" 2>/dev/null
hive_stop

# --- hived: the console token --------------------------------------------------
"$HIVED" --state "$T_DIR/x" --console 127.0.0.1:0 --console-token s3cret >"$T_DIR/o" 2>&1; rc=$?
check_eq "hived --console-token VALUE is a usage error (2)" 2 "$rc"
check_match "it says why and names --console-token-file" '/proc/PID/cmdline.*--console-token-file' "$(cat "$T_DIR/o")"
check_fail "it made no state directory" test -e "$T_DIR/x/console.token"
check_match "hived --help documents --console-token-file" '--console-token-file F' "$("$HIVED" --help)"

auth_ok() { # TOKEN: does the console take it?
	printf 'AUTH %s\nQUIT\n' "$1" | "$CONCLIENT" --port "$(cat "$HIVE_STATE/console.port")" 2>&1 | grep -q '^OK AUTH'
}
wait_port_file() {
	local i
	for i in $(seq 1 100); do [ -s "$HIVE_STATE/console.port" ] && return 0; sleep 0.05; done
	return 1
}
printf 'from-a-file-%s\n' "$$" >"$T_DIR/token"
rm -rf "$T_DIR/state"
hive_start --console 127.0.0.1:0 --console-token-file "$T_DIR/token"
check "console.port written" wait_port_file
check "the console takes the token from --console-token-file" auth_ok "from-a-file-$$"
check_fail "and not another" auth_ok "from-a-file-0"
check_fail "no console.token is written when a file gives the token" test -e "$HIVE_STATE/console.token"
cmd=$(tr '\0' ' ' <"/proc/$HIVE_PID/cmdline")
case "$cmd" in *"from-a-file-$$"*) not_ok "the token is not in hived's cmdline" ;; *) ok "the token is not in hived's cmdline" ;; esac
hive_stop

rm -rf "$T_DIR/state"
HIVE_CONSOLE_TOKEN="from-the-env-$$" hive_start --console 127.0.0.1:0
check "console.port written" wait_port_file
check "the console takes the token from \$HIVE_CONSOLE_TOKEN" auth_ok "from-the-env-$$"
check_fail "hived wipes the token from its environment once read" \
	grep -qa "from-the-env-$$" "/proc/$HIVE_PID/environ"
finish
