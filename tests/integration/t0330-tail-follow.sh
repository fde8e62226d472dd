#!/usr/bin/env bash
# t0330 — `hive tail`: the last lines of a log bigger than the read-back
# window (no torn first line), `tail -f` seeing a line appended by
# another session within a second, SIGINT ending -f with status 0, and
# -f exiting 3 with a clear message when the hive goes away.
. "$(dirname "$0")/lib.sh"

hive_start
tag="t0330-$$-$RANDOM"

# Grow the log past HIVE_TAIL_WINDOW (64 KiB) over one connection.
for i in $(seq 1 500); do
	echo "echo log $tag-fill-$i-abcdefghijklmnopqrstuvwxyz0123456789 > /queen/ctl"
done >"$T_DIR/fill"
run hive_cli sh "$T_DIR/fill"
check_eq "filled the log" 0 "$RC"
size=$(hive_cli --json stat /log/queen.log | grep -o '"size":[0-9]*' | cut -d: -f2)
check_eq "the log is bigger than the tail window" 1 "$(( ${size:-0} > 65536 ))"
run hive_cli tail -n 5 /log/queen.log
check_match "tail -n 5 of a big log has the last line written" "$tag-fill-500-" "$OUT"
if printf '%s' "$OUT" | grep -q -- "$tag-fill-498-"; then not_ok "tail -n 5 stops at 5 lines"; else ok "tail -n 5 stops at 5 lines"; fi
check_eq "tail -n 5 prints 5 lines" 5 "$(printf '%s\n' "$OUT" | wc -l)"
run hive_cli tail -n 60000 /log/queen.log
check_match "a window that starts mid-line drops the torn line" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$(printf '%s\n' "$OUT" | head -1)"
lines=$(printf '%s\n' "$OUT" | wc -l)
check_eq "tail reads only the window, not the whole ring" 1 "$(( lines > 100 && lines < 1000 ))"

# -f sees a line another session appends, within a second.
"$HIVE" --socket "$HIVE_SOCK" tail -f -n 0 /log/queen.log >"$T_DIR/follow" 2>"$T_DIR/follow.err" &
tpid=$!
sleep 0.5
hive_cli write /queen/ctl "log $tag-live" >/dev/null
seen=0
for i in $(seq 1 10); do
	if grep -q -- "$tag-live" "$T_DIR/follow"; then seen=1; break; fi
	sleep 0.1
done
check_eq "tail -f shows an appended line within a second" 1 "$seen"
kill -INT "$tpid"
rc=0
wait "$tpid" || rc=$?
check_eq "tail -f exits 0 on SIGINT" 0 "$rc"
check_eq "tail -f on SIGINT prints no error" "" "$(cat "$T_DIR/follow.err")"

run hive_cli tail -f /proc
check_eq "tail -f of a directory fails (1)" 1 "$RC"

# -f when the hive goes away: exit 3 and say so.
"$HIVE" --socket "$HIVE_SOCK" tail -f -n 1 /log/queen.log >"$T_DIR/follow2" 2>"$T_DIR/follow2.err" &
tpid=$!
sleep 0.5
kill -TERM "$HIVE_PID"
hrc=0
wait "$HIVE_PID" || hrc=$?
HIVE_PID=
check_eq "hived stopped cleanly under a follower" 0 "$hrc"
rc=0
for i in $(seq 1 50); do kill -0 "$tpid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$tpid" 2>/dev/null; then kill -KILL "$tpid"; fi
wait "$tpid" || rc=$?
check_eq "tail -f exits 3 when the hive goes away" 3 "$rc"
check_match "tail -f says the connection was lost" 'tail /log/queen.log: .*(connection to the hive was lost|is hived still running)' \
	"$(cat "$T_DIR/follow2.err")"

finish
