#!/usr/bin/env bash
# t0716 — agents and the hive around them: a `kill -9` of hived leaves no
# agent running unsupervised (PR_SET_PDEATHSIG kills it; the next start
# sweeps its cgroup); `--landlock-abi 3` makes the hive say what it cannot
# enforce and refuse the bundles that need it; and hived running as an
# unprivileged user still spawns sandboxed agents (as that user).
. "$(dirname "$0")/lib.sh"
W=$T_DIR/work
mkdir -p "$W"
chmod 755 "$T_DIR" "$W"

sign() { "$HIVE" --state "$HIVE_STATE" manifest sign "$1" >/dev/null; }
wait_state() { # aid regex
	local i
	for i in $(seq 1 100); do
		grep -Eq "$2" <(hive_cli cat "/agent/$1/state" 2>/dev/null) && return 0
		sleep 0.05
	done
	return 1
}

cat >"$W/sleeper.json" <<EOF
{"version": 1, "kind": "agent", "class": "sleeper", "argv": ["/bin/sleep", "300"]}
EOF
cat >"$W/netter.json" <<EOF
{"version": 1, "kind": "agent", "class": "netter", "argv": ["/bin/sleep", "300"], "caps": ["net.connect:443"]}
EOF

# --- kill -9 of hived -----------------------------------------------------
hive_start
"$HIVE" --state "$HIVE_STATE" key new --comment t0716 >/dev/null 2>&1
"$HIVE" --state "$HIVE_STATE" trust add "$HIVE_STATE/keys/operator.pub" >/dev/null
sign "$W/sleeper.json"
run hive_cli spawn "$W/sleeper.json"
A=$OUT
check "the sleeper is active" wait_state "$A" 'state=active'
PID=$(hive_cli cat "/agent/$A/state" | sed -n 's/.* pid=\([0-9]*\) .*/\1/p')
check "its process runs" kill -0 "$PID"
kill -KILL "$HIVE_PID"
wait "$HIVE_PID" 2>/dev/null
HIVE_PID=
gone=0
for i in $(seq 1 100); do
	kill -0 "$PID" 2>/dev/null || { gone=1; break; }
	sleep 0.02
done
check_eq "kill -9 of hived takes its agent with it" 1 "$gone"
rm -f "$HIVE_SOCK" "$HIVE_STATE/tcp.port" # a killed hived leaves them: wait for the new ones
hive_start
# The agent died with hived (PR_SET_PDEATHSIG): the sweep finds its empty
# cgroup, and no process in it.
check_fail "the restarted hive finds no agent process left to kill" \
	grep -Eq 'killed [1-9][0-9]* processes of [0-9]+ agents left by a previous hived' "$T_DIR/hived.log"
run hive_cli cat /proc/agents
check_match "and starts with an empty table" '^# live=0 ended=0' "$OUT"
hive_stop

# --- a kernel with Landlock ABI 3 -----------------------------------------
hive_start --landlock-abi 3
check_match "the start says ABI 3 cannot do TCP port rules" 'Landlock ABI 3 cannot enforce TCP port rules' \
	"$(cat "$T_DIR/hived.log")"
run hive_cli cat /proc/status
check_match "/proc/status shows the capped ABI" 'landlock_abi=3' "$OUT"
check_match "and calls it degraded" 'degraded=[^ ]*landlock-abi' "$OUT"
sign "$W/netter.json"
run hive_cli spawn "$W/netter.json"
check "a bundle with net.connect is refused" test "$RC" -ne 0
check_match "naming the capability and the ABI" 'net.connect:443.*ABI' "$ERR"
sign "$W/sleeper.json"
run hive_cli spawn "$W/sleeper.json"
check_eq "a bundle without net rights still spawns" 0 "$RC"
check "and runs" wait_state "$OUT" 'state=active'
run hive_cli cat "/agent/$OUT/caps"
check_match "its enforcement says landlock=3" 'enforcement: landlock=3' "$OUT"
hive_stop

# --- hived as an unprivileged user ------------------------------------------
if [ "$(id -u)" = 0 ]; then
	U=65534
	UST=$T_DIR/ustate
	mkdir -p "$UST" && chown "$U:$U" "$UST"
	# The build may sit where that user cannot reach (a 0700 checkout):
	# run copies of the binaries from the test's own directory.
	mkdir -p "$T_DIR/bin"
	cp "$HIVED" "$HIVE" "$T_DIR/bin/" && chmod 755 "$T_DIR/bin" "$T_DIR/bin/hived" "$T_DIR/bin/hive"
	setpriv --reuid=$U --regid=$U --clear-groups env HOME="$UST" \
		"$T_DIR/bin/hived" --state "$UST" --no-tcp >"$T_DIR/uhived.log" 2>&1 &
	UPID=$!
	for i in $(seq 1 100); do [ -S "$UST/hive.sock" ] && break; sleep 0.05; done
	asu() { setpriv --reuid=$U --regid=$U --clear-groups env HIVE_STATE="$UST" "$T_DIR/bin/hive" --socket "$UST/hive.sock" "$@"; }
	run asu run --exec /usr/bin/id -- /bin/sh -c 'id -u; echo out; exit 7'
	check_eq "hive run under an unprivileged hived passes the exit status" 7 "$RC"
	check_match "the agent ran as the hive's own user" "^$U" "$OUT"
	run asu run -- /bin/cat /etc/shadow
	check "its sandbox still denies" test "$RC" -ne 0
	check_match "the denial is a row" 'object=/etc/shadow op=syscall outcome=deny' "$(cat "$T_DIR/uhived.log")"
	check_match "without root the hive says how it bounds agents" 'hived: agents: cgroups' "$(cat "$T_DIR/uhived.log")"
	kill -TERM "$UPID"
	wait "$UPID"
	check_eq "the unprivileged hived stops cleanly" 0 "$?"
else
	ok "# SKIP hived as another user needs root to switch to it"
fi
finish
