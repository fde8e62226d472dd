#!/usr/bin/env bash
# t0500-fuse-mount — `hive mount`: the namespace as a FUSE directory, driven
# by plain shell tools (cat, ls, echo >>, grep -r, find, tail -f), its error
# paths (errno the shell prints), unmount by -u and by SIGTERM, and what a
# mount does when its hive goes away (an error at once, never a hang, then
# it unmounts itself).
. "$(dirname "$0")/lib.sh"

if ! [ -c /dev/fuse ]; then
	echo "ok 1 # skip /dev/fuse is absent (no fuse module in this kernel or container)"
	exit 0
fi

MNT=$T_DIR/mnt
mkdir -p "$MNT"
# Every command on the mount is bounded: a hang is a failure, not a stuck run.
t5() { timeout 5 "$@"; }
# Wait up to 5 s for a condition given as a command.
wait_for() {
	local i
	for i in $(seq 1 50); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
not_mounted() { ! mountpoint -q "$MNT"; }
cleanup_mount() {
	local d
	for d in "$MNT" "$T_DIR/mnt2"; do mountpoint -q "$d" && umount -l "$d" 2>/dev/null; done
}
trap 'cleanup_mount; [ -n "$HIVE_PID" ] && kill -CONT "$HIVE_PID" 2>/dev/null && kill -KILL "$HIVE_PID" 2>/dev/null' EXIT

hive_start

# --- mount (daemonized) -------------------------------------------------
out=$(t5 "$HIVE" --socket "$HIVE_SOCK" mount "$MNT" 2>&1)
rc=$?
check_eq "hive mount exits 0 once the mount is up" 0 "$rc"
check_eq "hive mount prints nothing on success" "" "$out"
check "DIR is a mountpoint as soon as hive mount returns" mountpoint -q "$MNT"
check_match "mount type is fuse.hive" "fuse\.hive" "$(grep " $MNT " /proc/self/mounts)"
check_fail "a second mount on the same DIR is refused" t5 "$HIVE" --socket "$HIVE_SOCK" mount "$MNT"

# --- reading ------------------------------------------------------------
out=$(t5 cat "$MNT/proc/status" 2>&1)
check_match "cat MNT/proc/status gives key=value lines" "^[a-z_]+=" "$out"
out=$(t5 cat "$MNT/proc/version" 2>&1)
check_eq "cat MNT/proc/version equals hive cat /proc/version" "$(hive_cli cat /proc/version)" "$out"
out=$(t5 ls "$MNT" 2>&1)
for d in agent log proc queen; do
	check_match "ls MNT lists $d" "(^| )$d( |$)" "$(echo $out)"
done
out=$(t5 ls -l "$MNT/proc" 2>&1)
check_match "ls -l MNT/proc shows regular files" "^-r" "$out"
check_match "ls -l MNT shows directories" "^d" "$(t5 ls -l "$MNT" 2>&1)"
out=$(t5 grep -r state= "$MNT/proc" 2>&1)
check_match "grep -r state= MNT/proc finds a line" "state=" "$out"
out=$(t5 find "$MNT" -maxdepth 2 2>&1)
check_match "find -maxdepth 2 lists /queen/ctl" "$MNT/queen/ctl" "$out"
check_match "find -maxdepth 2 lists /proc/version" "$MNT/proc/version" "$out"
check_fail "find -maxdepth 2 does not go deeper" grep -q "$MNT/queen/lifecycle/ctl" <<<"$out"
big=$(t5 cat "$MNT/proc/status" "$MNT/proc/limits" "$MNT/proc/sessions" | wc -c)
check "cat of several synthetic files returns all their bytes ($big)" test "$big" -gt 100

# --- writing ctl files --------------------------------------------------
check "echo cordon >> MNT/queen/lifecycle/ctl" t5 bash -c "echo cordon >> '$MNT/queen/lifecycle/ctl'"
check_match "proc/lifecycle/state says DRAINING" "^(state=)?DRAINING$" "$(t5 cat "$MNT/proc/lifecycle/state")"
check_match "the CLI sees the same state" "^(state=)?DRAINING$" "$(hive_cli cat /proc/lifecycle/state)"
check "echo resume > MNT/queen/lifecycle/ctl (truncating redirect)" \
	t5 bash -c "echo resume > '$MNT/queen/lifecycle/ctl'"
check_match "proc/lifecycle/state says ONLINE again" "^(state=)?ONLINE$" "$(t5 cat "$MNT/proc/lifecycle/state")"
out=$(t5 bash -c "echo resume >> '$MNT/queen/lifecycle/ctl'" 2>&1)
check_match "an invalid transition fails with Invalid argument" "Invalid argument" "$out"
check_match "a refused command changes nothing" "^(state=)?ONLINE$" "$(t5 cat "$MNT/proc/lifecycle/state")"

# --- tail -f sees another session's line ---------------------------------
timeout 15 tail -n 0 -f "$MNT/log/queen.log" >"$T_DIR/tail.out" 2>"$T_DIR/tail.err" &
tail_pid=$!
sleep 1.2
check "another session writes log marker-123" hive_cli write /queen/ctl "log marker-123"
check "tail -f on MNT/log/queen.log sees marker-123 within 5 s" \
	wait_for grep -q marker-123 "$T_DIR/tail.out"
kill "$tail_pid" 2>/dev/null
wait "$tail_pid" 2>/dev/null
check "echo log ... >> MNT/queen/ctl" t5 bash -c "echo 'log marker-456' >> '$MNT/queen/ctl'"
check_match "the line written through the mount is in the log" marker-456 "$(hive_cli cat /log/queen.log)"

# --- bulk I/O: writes of many lines, reads across 64 KiB chunks -----------
line=$(printf 'y%.0s' $(seq 200))
bulk_ok=1
for i in $(seq 40); do
	blk=""
	for j in $(seq 10); do blk+="log bulk-$i-$j $line"$'\n'; done
	t5 bash -c 'printf "%s" "$1" >> "$2"' _ "$blk" "$MNT/queen/ctl" || bulk_ok=0
done
check_eq "40 writes of 10 ctl lines (2 KiB) each succeed" 1 "$bulk_ok"
n=$(t5 cat "$MNT/log/queen.log" | wc -c)
check "cat MNT/log/queen.log reads past 64 KiB ($n bytes)" test "$n" -gt 80000
check_match "the last bulk line is read back" "bulk-40-10 y" "$(t5 tail -c 400 "$MNT/log/queen.log")"
size=$(stat -c %s "$MNT/log/queen.log")
check "the log's size grows with it ($size)" test "$size" -gt 80000

# --- errors the shell prints ----------------------------------------------
out=$(t5 bash -c "echo x > '$MNT/proc/version'" 2>&1)
check_match "write to MNT/proc/version: Permission denied" "Permission denied" "$out"
out=$(t5 cat "$MNT/nope" 2>&1)
check_match "cat MNT/nope: No such file" "No such file" "$out"
out=$(t5 mkdir "$MNT/newdir" 2>&1)
check_match "mkdir in the mount: Permission denied" "Permission denied" "$out"
out=$(t5 bash -c ": > '$MNT/newfile'" 2>&1)
check_match "creating a file: Permission denied" "Permission denied" "$out"
out=$(t5 rm -f "$MNT/proc/version" 2>&1)
check_match "rm: Permission denied" "Permission denied" "$out"
out=$(t5 mv "$MNT/queen/ctl" "$MNT/queen/ctl2" 2>&1)
check_match "mv: Permission denied" "Permission denied" "$out"
out=$(t5 truncate -s 5 "$MNT/queen/ctl" 2>&1)
check_match "truncate to a non-zero size: Invalid argument" "Invalid argument" "$out"
check "the mount still serves after the errors" t5 cat "$MNT/proc/version"

# --- unmount with -u -----------------------------------------------------
check_fail "hive mount -u refuses a directory that is not a hive mount" "$HIVE" mount -u "$T_DIR"
check "hive mount -u MNT" t5 "$HIVE" mount -u "$MNT"
check "MNT is no longer a mountpoint" wait_for not_mounted
check_fail "hive mount -u of an unmounted DIR fails" "$HIVE" mount -u "$MNT"
check_fail "hive mount without DIR is a usage error" "$HIVE" --socket "$HIVE_SOCK" mount
check_fail "hive mount of a missing DIR fails" "$HIVE" --socket "$HIVE_SOCK" mount "$T_DIR/none"

# --- foreground mount, SIGTERM ---------------------------------------------
"$HIVE" --socket "$HIVE_SOCK" mount -f "$MNT" >"$T_DIR/fg1.log" 2>&1 &
fg_pid=$!
check "hive mount -f mounts" wait_for mountpoint -q "$MNT"
check "the foreground mount serves" t5 cat "$MNT/proc/version"
kill -TERM "$fg_pid"
rc=0
wait "$fg_pid" || rc=$?
check_eq "SIGTERM: hive mount -f exits 0" 0 "$rc"
check "SIGTERM: MNT is unmounted" not_mounted
check_fail "SIGTERM: no sanitizer report" grep -q Sanitizer "$T_DIR/fg1.log"

# --- an observer over TCP: its view, its refusals --------------------------
MNT2=$T_DIR/mnt2
mkdir -p "$MNT2"
obs=$("$HIVE" ticket mint --role observer --ttl 600 --state "$HIVE_STATE")
check "observer ticket minted" test -n "$obs"
check "hive --tcp --ticket OBSERVER mount" \
	t5 env HIVE_TICKET="$obs" "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" mount "$MNT2"
check_eq "the observer reads proc/version" "$(hive_cli cat /proc/version)" "$(t5 cat "$MNT2/proc/version")"
out=$(t5 bash -c "echo cordon >> '$MNT2/queen/lifecycle/ctl'" 2>&1)
check_match "the observer's ctl write: Permission denied" "Permission denied" "$out"
check_match "and the state did not change" "ONLINE" "$(hive_cli cat /proc/lifecycle/state)"
out=$(t5 bash -c "echo hi >> '$MNT2/log/queen.log'" 2>&1)
check_match "the observer's log write: Permission denied" "Permission denied" "$out"
check "hive mount -u MNT2" t5 "$HIVE" mount -u "$MNT2"
check_fail "MNT2 is unmounted" mountpoint -q "$MNT2"
out=$(t5 env HIVE_TICKET="not-a-ticket" "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" mount "$MNT2" 2>&1)
rc=$?
check_eq "a bad ticket: hive mount exits 3" 3 "$rc"
check_fail "a bad ticket: nothing is mounted" mountpoint -q "$MNT2"

# --- a hive that hangs: one client timeout, then EIO and an unmount --------
"$HIVE" --socket "$HIVE_SOCK" --timeout 500 mount -f "$MNT" >"$T_DIR/fg3.log" 2>&1 &
fg_pid=$!
check "a mount with --timeout 500 is up" wait_for mountpoint -q "$MNT"
check "it serves" t5 cat "$MNT/proc/version"
kill -STOP "$HIVE_PID"
start=$SECONDS
out=$(t5 cat "$MNT/proc/status" 2>&1)
rc=$?
# Either the cat's own request times out (EIO), or the heartbeat's does first
# and the mount is torn down under the cat (ECONNABORTED / ENOTCONN): both are
# a prompt error, which is what matters.
check_match "hived stopped (SIGSTOP): cat fails with an I/O error" "Input/output error|Software caused connection abort|Transport endpoint is not connected" "$out"
check "hived stopped: within the client timeout, not a hang (status $rc)" test "$rc" -ne 124
check "hived stopped: the mount unmounts itself" wait_for not_mounted
kill -CONT "$HIVE_PID"
rc=0
wait "$fg_pid" || rc=$?
check_eq "hived stopped: hive mount exits 3" 3 "$rc"
check_match "it says the reply timed out" "timed out" "$(cat "$T_DIR/fg3.log")"
check "hived still serves after SIGCONT" hive_cli cat /proc/version

# --- a mount whose hive goes away ------------------------------------------
"$HIVE" --socket "$HIVE_SOCK" mount -f "$MNT" >"$T_DIR/fg2.log" 2>&1 &
fg_pid=$!
check "a mount for the hive-down case is up" wait_for mountpoint -q "$MNT"
check "it serves before hived stops" t5 cat "$MNT/proc/status"
hive_stop
start=$SECONDS
t5 cat "$MNT/proc/status" >"$T_DIR/out" 2>&1
rc=$?
check "after hived stops, cat fails with an error (status $rc), not a hang" test "$rc" -ne 0 -a "$rc" -ne 124
t5 ls "$MNT/proc" >"$T_DIR/out" 2>&1
rc=$?
check "after hived stops, ls does not hang (status $rc)" test "$rc" -ne 124
check "after hived stops, the mount unmounts itself" wait_for not_mounted
rc=0
wait "$fg_pid" || rc=$?
check_eq "hive mount exits 3 (connection lost)" 3 "$rc"
check_match "it says the connection was lost" "connection to the hive lost" "$(cat "$T_DIR/fg2.log")"
check_fail "hive-down: no sanitizer report" grep -q Sanitizer "$T_DIR/fg2.log"
check "all of it took under 5 s" test $((SECONDS - start)) -lt 5

finish
