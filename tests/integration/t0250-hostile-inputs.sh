#!/usr/bin/env bash
# t0250 — hived survives hostile 9P clients.
#
# Runs tests/tools/hostile9p (one TAP line per row of docs/hostile-inputs.md)
# against a real hived: lying sizes, msize abuse, fid/tag misuse, bad walks,
# huge counts, cut frames, garbage, slowloris, a client that never reads,
# fid exhaustion, 1000 idle sessions and more than HIVE_SESSIONS_MAX. After
# each scenario the tool checks a fresh session is still served; here we also
# check hived is alive at the end and exits cleanly (no sanitizer report).
# The idle-timeout row needs its own hived started with --idle-timeout 2.
. "$(dirname "$0")/lib.sh"

HOSTILE=$HIVE_BUILD/tests/tools/hostile9p
if ! [ -x "$HOSTILE" ]; then
	not_ok "hostile9p is built ($HOSTILE)"
	finish
fi

# Re-number the tool's TAP lines into ours; pass its comments through.
run_hostile() {
	local line rc=0
	"$HOSTILE" "$@" >"$T_DIR/hostile.out" 2>&1 || rc=$?
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ok "${line#ok * - }" ;;
		"not ok "*) not_ok "${line#not ok * - }" ;;
		"#"*) echo "$line" ;;
		1..*) ;;
		*) echo "#   $line" ;;
		esac
	done <"$T_DIR/hostile.out"
	# A crash or sanitizer report of the tool itself is a failure too.
	check_eq "hostile9p $* finished (status 0 or 1)" yes "$([ "$rc" -le 1 ] && echo yes || echo "no: status $rc")"
}

hive_start
# A valid ticket lets the TCP scenarios prove a session still attaches after abuse.
TICKET=$("$HIVE" ticket mint --state "$HIVE_STATE" --role queen --subject hostile --ttl 600)
check_match "a queen ticket for the TCP scenarios" '^cohesix-ticket-' "$TICKET"
# A worker ticket, in a file as tickets belong, for the scenarios a worker plays.
(umask 077; "$HIVE" ticket mint --state "$HIVE_STATE" --role worker --subject hoarder --ttl 600 >"$T_DIR/worker.ticket")
run_hostile --socket "$HIVE_SOCK" --tcp "127.0.0.1:$HIVE_TCP_PORT" --ticket "$TICKET" \
	--worker-ticket-file "$T_DIR/worker.ticket" --pid "$HIVE_PID"
check "hived is alive after every hostile scenario" kill -0 "$HIVE_PID"
hive_stop

rm -f "$HIVE_SOCK" "$HIVE_STATE/tcp.port" # so hive_start waits for the new hived
hive_start --idle-timeout 2
run_hostile --socket "$HIVE_SOCK" --pid "$HIVE_PID" --idle-timeout-ms 2000 --only idle_timeout
check "hived (idle timeout 2 s) is alive" kill -0 "$HIVE_PID"
finish
