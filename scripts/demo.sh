#!/usr/bin/env bash
# make demo — the hero flow as far as the spine goes today: start hived on a
# temporary state directory, drive it with `hive` (attach, ls, cat, echo to a
# ctl file, tail the log, a worker's denied walk), and shut it down cleanly.
# Agents, the audit chain and fair share join this flow as they land.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${HIVE_BUILD:-build}
state=${HIVE_DEMO_STATE:-$(mktemp -d /tmp/hive-demo.XXXXXX)}
hived_pid=
cleanup() { [ -n "$hived_pid" ] && kill "$hived_pid" 2>/dev/null; true; }
trap cleanup EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { step "$*"; "$@"; }
hive() { "$B/hive" --socket "$state/hive.sock" "$@"; }

step "hived --state $state --tcp 127.0.0.1:0 &"
"$B/hived" --state "$state" --tcp 127.0.0.1:0 2>"$state/hived.stderr" &
hived_pid=$!
for _ in $(seq 100); do [ -S "$state/hive.sock" ] && [ -s "$state/tcp.port" ] && break; sleep 0.05; done
port=$(cat "$state/tcp.port")
echo "hived pid $hived_pid: unix $state/hive.sock, tcp 127.0.0.1:$port"

run hive ping
run hive ls /
run hive ls -l /proc
run hive cat /proc/version /proc/status
run hive write /queen/ctl "log hello from make demo"
run hive write /queen/lifecycle/ctl cordon
run hive cat /proc/lifecycle/state
run hive write /queen/lifecycle/ctl resume
run hive cat /proc/lifecycle/state

# A ticket goes in a file (or $HIVE_TICKET), never on a command line:
# every local user can read /proc/PID/cmdline.
tfile=$state/worker.ticket
step "(umask 077; hive ticket mint --role worker --subject a-17 --ttl 300 > $tfile)"
(umask 077; "$B/hive" --state "$state" ticket mint --role worker --subject a-17 --ttl 300 >"$tfile")
cat "$tfile"
worker() { "$B/hive" --tcp "127.0.0.1:$port" --ticket-file "$tfile" "$@"; }
step "hive --tcp 127.0.0.1:$port --ticket-file $tfile ls /        # a worker's view"
worker ls /
step "hive --tcp 127.0.0.1:$port --ticket-file $tfile cat /queen/ctl   # denied"
if worker cat /queen/ctl; then echo "demo: the worker was not denied" >&2; exit 1; else echo "(exit $?: denied, as it must be)"; fi
run hive sh -c 'cat /proc/pressure; tail -n 6 /log/queen.log'

if [ -e /dev/fuse ]; then
	mnt=$state/mnt
	mkdir -p "$mnt"
	run hive mount "$mnt"
	step "cat $mnt/proc/lifecycle/state; echo 'log hello through FUSE' >> $mnt/queen/ctl; grep -c FUSE $mnt/log/queen.log"
	cat "$mnt/proc/lifecycle/state"
	echo 'log hello through FUSE' >>"$mnt/queen/ctl"
	grep -c FUSE "$mnt/log/queen.log"
	run hive mount -u "$mnt"
fi

step "kill -TERM $hived_pid"
kill -TERM "$hived_pid"
wait "$hived_pid"
echo "hived exited with status $? (clean shutdown)"
hived_pid=
