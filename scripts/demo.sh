#!/usr/bin/env bash
# make demo — the hero flow: start hived on a temporary state directory, make
# an operator key and trust it, sign the 31-agent dream-team workload with
# its homes moved into a test home, spawn it in one command, watch it come
# up, see the curious agent's read of ~/.ssh/id_ed25519 denied as it happens
# (a row, an event of that agent and an audit record), verify the whole
# chain, and stop cleanly — on Ctrl-C when on
# a terminal, by itself after a few seconds otherwise (CI runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${HIVE_BUILD:-build}
state=${HIVE_DEMO_STATE:-$(mktemp -d /tmp/hive-demo.XXXXXX)}
# The homes live outside the state directory (0700): each agent runs as its
# own uid when hived is root, and must reach its home.
homes=$(mktemp -d /tmp/hive-demo-homes.XXXXXX)
chmod 755 "$homes"
hived_pid=
tail_pid=
cleanup() {
	[ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null
	[ -n "$hived_pid" ] && kill "$hived_pid" 2>/dev/null && wait "$hived_pid" 2>/dev/null
	rm -rf "$homes"
	true
}
trap cleanup EXIT
trap 'echo; echo "stopping"; exit 0' INT TERM

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { step "$*"; "$@"; }
hive() { "$B/hive" --socket "$state/hive.sock" --state "$state" "$@"; }

step "hived --state $state --tcp 127.0.0.1:0 &"
"$B/hived" --state "$state" --tcp 127.0.0.1:0 2>"$state/hived.stderr" &
hived_pid=$!
for _ in $(seq 100); do [ -S "$state/hive.sock" ] && [ -s "$state/tcp.port" ] && break; sleep 0.05; done
port=$(cat "$state/tcp.port")
echo "hived pid $hived_pid: unix $state/hive.sock, tcp 127.0.0.1:$port"
sed -n 's/^hived: \(kernel\|agents\): /  /p' "$state/hived.stderr"

# The test home: one directory per class, and a private key the curious
# agent will try to read. It is a fake: the point is that it is never opened.
for c in researcher coder reviewer curious; do
	mkdir -p "$homes/$c"
	chmod 777 "$homes/$c"
done
mkdir -p "$homes/curious/.ssh"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\n(make demo: not a real key)\n-----END OPENSSH PRIVATE KEY-----\n' \
	>"$homes/curious/.ssh/id_ed25519"
chmod 644 "$homes/curious/.ssh/id_ed25519"
manifest=$state/dream-team.json
sed "s|/var/lib/hive/home|$homes|g" examples/dream-team.json >"$manifest"

run hive key new --comment make-demo
run hive trust add "$state/keys/operator.pub"
run hive manifest sign "$manifest"

# Watch for denials before the swarm starts, to see them as they happen.
"$B/hive" --socket "$state/hive.sock" tail -f /log/queen.log 2>/dev/null |
	grep --line-buffered 'op=syscall outcome=deny' >"$state/denials" &
tail_pid=$!

run hive spawn "$manifest"
for _ in $(seq 100); do
	[ "$(hive ps | grep -c ' active ')" -ge 30 ] && break
	sleep 0.05
done
run hive ps

step "# the curious agent's read of $homes/curious/.ssh/id_ed25519, as it happens:"
for _ in $(seq 100); do [ -s "$state/denials" ] && break; sleep 0.05; done
cat "$state/denials"
curious=$(hive ps | awk '$2 == "curious" { print $1 }')
run hive cat "/agent/$curious/events"
run hive cat "/agent/$curious/caps"
step "hive attest $curious"
hive attest "$curious"
# Records are signed by a checkpoint every second: wait for the next one.
sleep 1.2
step "hive audit query --aid $curious     # its records in the tamper-evident chain"
hive audit query --aid "$curious"
run hive audit verify

if [ -t 1 ]; then
	printf '\nThe swarm runs. Try: %s --socket %s ps | top | tail -f /log/queen.log\nCtrl-C stops it.\n' \
		"$B/hive" "$state/hive.sock"
	while kill -0 "$hived_pid" 2>/dev/null; do sleep 1; done
else
	sleep "${HIVE_DEMO_SECONDS:-3}"
fi

step "kill -TERM $hived_pid"
kill -TERM "$hived_pid"
wait "$hived_pid"
echo "hived exited with status $? (clean shutdown: every agent stopped)"
hived_pid=
