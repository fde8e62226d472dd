#!/usr/bin/env bash
# t0720 — `hive run`: the manifest it builds from its flags (--dry-run), its
# usage errors, the operator key made and trusted on first use, the private
# temporary directory removed at the end, fds passed over the Unix socket
# (a flood of SCM_RIGHTS never grows hived's fd table), and, when this hived
# can spawn, end to end: output, exit status, stdin, 128+signal, ^C.
. "$(dirname "$0")/lib.sh"
W=$T_DIR/work
mkdir -p "$W" "$T_DIR/tmp"
export TMPDIR=$T_DIR/tmp
hive_start
h() { "$HIVE" --state "$HIVE_STATE" "$@"; }

# --- the manifest from the flags --------------------------------------------
cd "$W" && mkdir -p data && : >data/in.txt
run h run --dry-run --read data --write out.txt --exec /usr/bin --connect 443 --bind 8080 \
	--env LANG --read data -- echo hi there
check_eq "dry-run exits 0" 0 "$RC"
M=$OUT
j() { printf '%s' "$M" | python3 -c "import json,sys; m=json.load(sys.stdin); print($1)"; }
check_eq "class run, kind agent" "run agent" "$(j 'm["class"], m["kind"]' | tr -d "(),'")"
check_eq "argv[0] found through PATH" "$(type -P echo)" "$(j 'm["argv"][0]')"
check_eq "the arguments follow" "['hi', 'there']" "$(j 'm["argv"][1:]')"
check_eq "caps from the flags, relative paths made absolute, no repeats" \
	"['fs.read:$W/data', 'fs.write:$W/out.txt', 'fs.exec:/usr/bin', 'net.connect:443', 'net.bind:8080']" \
	"$(j 'm["caps"]')"
check_eq "env names" "['LANG']" "$(j 'm["env"]')"
check_eq "no cwd: this directory is not in the bundle" "None" "$(j 'm.get("cwd")')"
run h run --dry-run --read . -- true
check_eq "cwd: this directory when a flag covers it" "$W" "$(M=$OUT; j 'm.get("cwd")')"

# --manifest F is the base; the flags add to it.
printf '%s\n' '{"version":1,"kind":"agent","class":"x","tenant":"lab","argv":["/bin/true"],
 "env":["TZ"],"caps":["fs.read:/usr/share"],"quota":{"pids_max":8}}' >base.json
run h run --dry-run --read data --env TZ --manifest base.json -- true
M=$OUT
check_eq "--manifest: its caps first, then the flags" "['fs.read:/usr/share', 'fs.read:$W/data']" "$(j 'm["caps"]')"
check_eq "--manifest: env merged without repeats" "['TZ']" "$(j 'm["env"]')"
check_eq "--manifest: quota and tenant kept" "8 lab" "$(j 'm["quota"]["pids_max"], m["tenant"]' | tr -d "(),'")"
check_eq "--manifest: class is still run" "run" "$(j 'm["class"]')"
run h run --dry-run --manifest "$HIVE_TOP/examples/dream-team.json" -- true
check_eq "--manifest of a workload: usage error" 2 "$RC"
check_match "and says to use spawn" 'want an agent manifest.*hive spawn' "$ERR"

# --- usage errors name the thing, the reason, the fix -----------------------
run h run
check_eq "no command: exit 2" 2 "$RC"
check_match "says what is wanted" 'want a command' "$ERR"
run h run --connect 080 -- true
check_eq "port with a leading zero: exit 2" 2 "$RC"
run h run --bind 70000 -- true
check_eq "port out of range: exit 2" 2 "$RC"
run h run --env 'A=B' -- true
check_eq "--env NAME=VALUE: exit 2" 2 "$RC"
check_match "says values come from the hive" "hive's environment" "$ERR"
run h run --read /no/such/dir -- true
check_eq "--read of a missing path: exit 2" 2 "$RC"
check_match "names the path" '/no/such/dir' "$ERR"
run h run -- no-such-command-here
check_eq "unknown command: exit 5" 5 "$RC"
check_match "says PATH" 'not found in \$PATH' "$ERR"
run "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" --ticket '' run -- true
check_eq "over TCP: exit 2" 2 "$RC"
check_match "says why" 'Unix socket' "$ERR"
run h run --help
check_eq "--help exits 0" 0 "$RC"
check_match "--help names the base" 'dynamic loader' "$OUT"

# --- first use: the operator key, trusted; the temp dir removed ------------
check_fail "no operator key before" test -e "$HIVE_STATE/keys/operator.key"
run h run -- /bin/echo hi
RUN_RC=$RC RUN_OUT=$OUT RUN_ERR=$ERR
check_eq "operator key made, mode 600" 600 "$(stat -c %a "$HIVE_STATE/keys/operator.key" 2>/dev/null)"
KEYID=$(h key show | sed -n 's/^id //p')
check "and trusted in <state>/trust" test -f "$HIVE_STATE/trust/$KEYID.pub"
check_match "hive run said so" 'made the operator key.*trusted the operator key' "$(printf '%s' "$RUN_ERR" | tr '\n' ' ')"
check_eq "the private temp dir is gone" "" "$(ls -A "$TMPDIR")"
run h run -- /bin/echo again
check_fail "a second run makes no new key" grep -q 'made the operator key' <<<"$ERR"

# --- fds over the Unix socket: a flood costs hived nothing ------------------
if command -v python3 >/dev/null; then
	before=$(ls /proc/$HIVE_PID/fd | wc -l)
	python3 - "$HIVE_SOCK" <<'PY'
import os, socket, struct, sys
ver = struct.pack('<IBHIH', 4+1+2+4+2+8, 100, 0xffff, 8192, 8) + b'9P2000.L'
for _ in range(20):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    fds = [os.open('/dev/null', os.O_RDONLY) for _ in range(250)]
    socket.send_fds(s, [ver], fds)
    for f in fds: os.close(f)
    s.recv(64)
    s.close()
PY
	sleep 0.2
	after=$(ls /proc/$HIVE_PID/fd | wc -l)
	check "20 x 250 fds sent: hived holds no more fds than before ($before -> $after)" test "$after" -le "$before"
	check_match "each refused through the deny door" 'reason=bad-fds' "$(h cat /log/queen.log)"
fi

# --- end to end (needs the agent part of hived) -----------------------------
# Whether this hived can spawn: libhive's spawn says EOPNOTSUPP (95) or
# ENOSYS (38) when it cannot (tests/tools/agentapi exits with the errno).
"$HIVE_BUILD/tests/tools/agentapi" "$HIVE_SOCK" spawn "$W/none.json" >/dev/null 2>&1
PROBE=$?
if [ "$PROBE" = 95 ] || [ "$PROBE" = 38 ]; then
	check_eq "hive run on a hive without agents: exit 1" 1 "$RUN_RC"
	check_match "and says so" 'run: spawn' "$RUN_ERR"
	ok "run -- /bin/echo hi # SKIP this hived cannot spawn yet (errno $PROBE)"
	finish
fi
check_eq "run -- /bin/echo hi: exit 0" 0 "$RUN_RC"
check_eq "and prints hi" hi "$RUN_OUT"
run h run -- /bin/sh -c 'exit 3'
check_eq "exit 3 passes back" 3 "$RC"
run sh -c 'echo x | "$0" --state "$1" run -- /bin/cat' "$HIVE" "$HIVE_STATE"
check_eq "stdin passes through" x "$OUT"
run h run -- /bin/sh -c 'echo to-stderr >&2'
check_eq "stderr passes through" to-stderr "$ERR"
run h run -- /bin/sh -c 'kill -TERM $$'
check_eq "killed by SIGTERM: 128+15" 143 "$RC"
"$HIVE" --state "$HIVE_STATE" run -- /bin/sleep 30 &
RP=$!
for i in $(seq 1 100); do h ps 2>/dev/null | grep -q ' active ' && break; sleep 0.05; done
kill -INT $RP
wait $RP
check_eq "^C kills the agent: 128+9" 137 "$?"
check_match "and it is terminated-revoked" 'terminated-revoked' "$(h ps)"
# The verbs on a running agent, from the CLI.
"$HIVE" --state "$HIVE_STATE" run -- /bin/sleep 30 &
RP=$!
AID=
for i in $(seq 1 100); do
	AID=$(h ps 2>/dev/null | awk '$4 == "active" { a = $1 } END { print a }')
	[ -n "$AID" ] && break
	sleep 0.05
done
check_match "the agent is active" '^a-[0-9]+$' "$AID"
run h quarantine "$AID"
check_eq "hive quarantine AID: exit 0" 0 "$RC"
check_match "ps says quarantined" "^$AID .* quarantined " "$(h ps)"
run h resume "$AID"
check_eq "hive resume AID: exit 0" 0 "$RC"
run h grant "$AID" fs.read:/usr/share
check_eq "hive grant AID CAP: exit 0" 0 "$RC"
run h revoke "$AID" fs.read:/usr/share
check_eq "hive revoke AID CAP: exit 0" 0 "$RC"
run h quota "$AID" pids_max=9 cpu_weight=50
check_eq "hive quota AID k=v k=v: exit 0" 0 "$RC"
check_match "/agent/AID/quota shows them" 'pids_max=9' "$(h cat /agent/$AID/quota)"
run h quota "$AID" bogus=1
check_eq "an unknown quota key: exit 1" 1 "$RC"
check_match "with the hive's reason" 'bogus' "$ERR"
run h kill "$AID"
check_eq "hive kill AID: exit 0" 0 "$RC"
wait $RP
check_eq "and hive run returns 128+9" 137 "$?"
run h kill a-999999
check_eq "kill of an unknown agent: exit 5" 5 "$RC"
check_match "names it" 'no agent a-999999' "$ERR"
check_eq "no temp dir left" "" "$(ls -A "$TMPDIR")"
finish
