#!/usr/bin/env bash
# t0300 — the `hive` CLI against a real hived over the Unix socket (queen
# by peer credentials): ls/cat/stat/write/tail/ping on the namespace,
# --json output, queen ctl commands landing in /log/queen.log, the
# lifecycle through ctl files, and the exit-code contract (0 ok, 1 failed,
# 2 usage, 3 connection, 4 permission, 5 not found) with helpful messages.
. "$(dirname "$0")/lib.sh"

# Usage and help need no hive.
run "$HIVE" --help
check_eq "--help exits 0" 0 "$RC"
for w in ls cat tail write stat sh ticket ping --socket --state --tcp --ticket --timeout --json \
	HIVE_SOCKET HIVE_STATE HIVE_TICKET XDG_STATE_HOME; do
	case "$OUT" in *"$w"*) ;; *) not_ok "--help mentions $w"; continue ;; esac
	ok "--help mentions $w"
done
check_match "--help lists the exit codes" '5 +not found' "$OUT"
run "$HIVE" --version
check_match "--version prints a version" '^hive [0-9]+\.[0-9]+' "$OUT"
run "$HIVE"
check_eq "no verb is a usage error (2)" 2 "$RC"
run "$HIVE" --socket /nonexistent frob
check_eq "unknown verb is a usage error (2)" 2 "$RC"
run "$HIVE" --bogus ls
check_eq "unknown flag is a usage error (2)" 2 "$RC"
run "$HIVE" --timeout 0 ls /
check_eq "--timeout 0 is a usage error (2)" 2 "$RC"
run "$HIVE" --socket "$T_DIR/none.sock" ls /
check_eq "missing socket: exit 3" 3 "$RC"
check_match "missing socket: says where, why and what to do" \
	"cannot connect to $T_DIR/none.sock: No such file or directory \(is hived running\? start it with" "$ERR"

hive_start

run hive_cli ls /
check_eq "ls / exits 0" 0 "$RC"
check_eq "ls / lists the top of the tree" "agent/ audit/ gpu/ log/ proc/ queen/" "$(echo $OUT)"
run hive_cli ls -l /proc
check_match "ls -l shows modes and sizes" '^-r--r--r-- +[0-9]+ .* version$' "$OUT"
run hive_cli --json ls /proc
check_match "ls --json is an array" '^\[\{.*\}\]$' "$OUT"
check_match "ls --json has name/type/mode/size/mtime" \
	'\{"name":"version","type":"file","mode":[0-9]+,"size":[0-9]+,"mtime":[0-9]+\}' "$OUT"
check_match "ls --json marks directories" '"name":"lifecycle","type":"dir"' "$OUT"
run hive_cli ls /proc/version
check_eq "ls of a file lists the file" "version" "$OUT"
run hive_cli ls /nope
check_eq "ls /nope: exit 5" 5 "$RC"

run hive_cli cat /proc/version
check_eq "cat /proc/version exits 0" 0 "$RC"
check_match "cat /proc/version shows the protocols" 'protocols=.*9P2000.L' "$OUT"
run hive_cli cat //proc/./lifecycle/../version
check_match "paths are cleaned up before the walk" 'protocols=' "$OUT"
run hive_cli cat /proc/version /proc/lifecycle/state
check_match "cat of two files prints both" 'ONLINE' "$OUT"
run hive_cli cat /nope
check_eq "cat /nope: exit 5" 5 "$RC"
check_match "cat /nope: names the path and the reason" 'walk /nope: No such file or directory' "$ERR"
run hive_cli cat /proc
check_eq "cat of a directory: exit 1" 1 "$RC"
check_match "cat of a directory: says so" 'cat /proc: Is a directory' "$ERR"

run hive_cli stat /log/queen.log
check_eq "stat exits 0" 0 "$RC"
check_match "stat shows an append-only file" 'type: +append' "$OUT"
run hive_cli --json stat /proc
check_match "stat --json is an object for a directory" '^\{"name":"proc","type":"dir",.*"path":"/proc"' "$OUT"
run hive_cli stat /nope
check_eq "stat /nope: exit 5" 5 "$RC"

tag="hello-$$-$RANDOM"
run hive_cli write /queen/ctl log "$tag"
check_eq "write /queen/ctl 'log TEXT' exits 0" 0 "$RC"
run hive_cli cat /log/queen.log
check_match "the logged text is in /log/queen.log" "log .*$tag" "$OUT"
run hive_cli write /queen/ctl "frobnicate now"
check_eq "an unknown ctl command: exit 1" 1 "$RC"
check_match "an unknown ctl command: names the file" 'write /queen/ctl: Invalid argument' "$ERR"
run hive_cli write /proc/version x
check_eq "write to a read-only file: exit 4" 4 "$RC"
run hive_cli write /nope/ctl x
check_eq "write to a missing file: exit 5" 5 "$RC"
run hive_cli write /queen/ctl
check_eq "write without text: exit 2" 2 "$RC"

run hive_cli write /queen/ctl "lifecycle cordon"
check_eq "lifecycle cordon via /queen/ctl" 0 "$RC"
run hive_cli cat /proc/lifecycle/state
check_match "/proc/lifecycle/state says DRAINING" 'DRAINING' "$OUT"
run hive_cli write /queen/lifecycle/ctl resume
check_eq "resume via /queen/lifecycle/ctl" 0 "$RC"
run hive_cli cat /proc/lifecycle/state
check_match "/proc/lifecycle/state says ONLINE again" 'ONLINE' "$OUT"
run hive_cli write /queen/lifecycle/ctl resume
check_eq "an invalid transition: exit 1" 1 "$RC"

for i in 1 2 3; do hive_cli write /queen/ctl "log tail-line-$i" >/dev/null; done
run hive_cli tail -n 2 /log/queen.log
check_eq "tail -n 2 prints two lines" 2 "$(printf '%s\n' "$OUT" | wc -l)"
run hive_cli tail -n 6 /log/queen.log
check_match "tail -n 6 reaches back to the last write" 'tail-line-3' "$OUT"
run hive_cli tail -n 0 /log/queen.log
check_eq "tail -n 0 prints nothing" "" "$OUT"
run hive_cli tail -n lots /log/queen.log
check_eq "tail -n with a non-number: exit 2" 2 "$RC"
run hive_cli tail /nope
check_eq "tail /nope: exit 5" 5 "$RC"

run hive_cli ping
check_match "ping prints the latency" '^pong: 9P2000.L msize=[0-9]+ connect=[0-9.]+ms rtt=[0-9.]+ms$' "$OUT"
run hive_cli --json ping
check_match "ping --json" '^\{"ok":true,"version":"9P2000.L",' "$OUT"

run env HIVE_SOCKET="$HIVE_SOCK" "$HIVE" ls /proc
check_eq "\$HIVE_SOCKET picks the socket" 0 "$RC"
run env -u HIVE_SOCKET HIVE_STATE="$HIVE_STATE" "$HIVE" ls /proc
check_eq "\$HIVE_STATE picks <state>/hive.sock" 0 "$RC"
run env -u HIVE_SOCKET -u HIVE_STATE XDG_STATE_HOME="$T_DIR/xdg" "$HIVE" ls /
check_match "the XDG default is used and named" "cannot connect to $T_DIR/xdg/hive/hive.sock" "$ERR"
run "$HIVE" --state "$HIVE_STATE" ls /proc
check_eq "--state DIR picks DIR/hive.sock" 0 "$RC"

finish
