#!/usr/bin/env bash
# t0820 — live revocation. An agent reads a file in a loop (a shell loop
# under `hive run`, one line per try on its stdout); `revoke AID
# fs.read:DIR` on /queen/ctl; every try after the one in flight fails, and
# each failure is one queen.log row. Then the race: an agent whose thread
# swaps the path buffer between the file and one that stays readable
# (escape revrace) while the right is revoked: once any open was refused,
# the file never opens again.
# Skips (with the reason) until `hive run` and revoke exist.
. "$(dirname "$0")/lib.sh"
ESC_BIN=$HIVE_BUILD/tests/escape/escape
skip() { T_NUM=$((T_NUM + 1)); echo "ok $T_NUM - $1 # SKIP $2"; }
[ -x "$ESC_BIN" ] || { not_ok "escape suite built"; finish; }

# r1/data and r2/data: one length, one byte apart (revrace needs that).
mkdir -p "$T_DIR/r1" "$T_DIR/r2" "$T_DIR/bin"
echo one >"$T_DIR/r1/data"
echo two >"$T_DIR/r2/data"
cp "$ESC_BIN" "$T_DIR/bin/escape"
chmod 755 "$T_DIR" "$T_DIR/r1" "$T_DIR/r2" "$T_DIR/bin" "$T_DIR/bin/escape"
chmod 644 "$T_DIR/r1/data" "$T_DIR/r2/data"
F=$T_DIR/r1/data
hive_start
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; [ -n "$HIVE_PID" ] && kill -KILL "$HIVE_PID" 2>/dev/null' EXIT

revoke() { # aid cap
	if "$HIVE" --help 2>&1 | grep -q '^  revoke '; then hive_cli revoke "$1" "$2"; else
		hive_cli write /queen/ctl "revoke $1 $2"; fi
}
# Revoking a right the agent holds open at that instant (Linux cannot take
# an fd back) quarantines it by policy, naming the fds: then resume it,
# the right being gone, and say so.
resume_if_quarantined() { # aid
	if hive_cli cat "/agent/$1/state" 2>/dev/null | grep -q 'state=quarantined'; then
		echo "# $1 held the file open at the revocation: quarantined by policy, resumed"
		check_match "the revocation named the fd still open" 'revoke .*open_fds=[0-9]' \
			"$(hive_cli cat "/agent/$1/events")"
		hive_cli write /queen/ctl "resume $1" >/dev/null
	fi
}
agent_of() { # a line of /proc/agents matching $1 in state active -> its aid
	hive_cli cat /proc/agents 2>/dev/null | grep -- "$1" | grep ' state=active ' |
		sed -n 's/^aid=\(a-[0-9]*\) .*/\1/p' | tail -1
}

run hive_cli run --read "$T_DIR/r1" -- /bin/true
if printf '%s' "$ERR" | grep -qE "unknown verb 'run'|not built yet|not supported|cannot do that yet|Function not implemented"; then
	skip "live revocation" "hive run or spawn is not built yet: $(printf '%s' "$ERR" | head -1)"
	finish
fi

# 1. The loop. PATH is set inside: the environment reaching the agent is
# the allow-list's, and exec rights are granted by path.
hive_cli run --read "$T_DIR/r1" --exec /usr/bin/cat --exec /usr/bin/sleep -- /bin/sh -c \
	"PATH=/usr/bin; while :; do cat '$F' >/dev/null 2>&1 && echo ok || echo denied; sleep 0.05; done" \
	>"$T_DIR/loop.out" 2>"$T_DIR/loop.err" &
LOOP=$!
pids+=("$LOOP")
for i in $(seq 200); do [ "$(grep -c '^ok' "$T_DIR/loop.out")" -ge 3 ] && break; sleep 0.05; done
check_eq "the loop reads the file while the right is held" 0 "$(grep -c denied "$T_DIR/loop.out")"
AID=$(agent_of "class=run")
check_match "the loop is an active agent" '^a-[0-9]+$' "$AID"
run revoke "$AID" "fs.read:$T_DIR/r1"
N0=$(wc -l <"$T_DIR/loop.out")
check_eq "revoke fs.read:$T_DIR/r1 accepted" 0 "$RC"
resume_if_quarantined "$AID"
sleep 1
kill -INT "$LOOP" 2>/dev/null
wait "$LOOP" 2>/dev/null
# The try in flight when revoke returned may still have read; none after.
after=$(tail -n +$((N0 + 2)) "$T_DIR/loop.out")
check_match "tries after the revocation happened" 'denied' "$after"
check_eq "every try after it is denied" 0 "$(printf '%s\n' "$after" | grep -c '^ok')"
hive_cli cat /proc/pressure >/dev/null
hive_cli cat /log/queen.log >"$T_DIR/log"
rows=$(awk -v s=" subject=$AID " -v o="object=$F" 'index($0, s) && index($0, " op=syscall outcome=deny") && index($0, o) {
	if (match($0, / count=[0-9]+/)) n += substr($0, RSTART + 7, RLENGTH - 7); else n++ } END { print n + 0 }' "$T_DIR/log")
check_eq "each denied try is one row in queen.log" "$(grep -c '^denied' "$T_DIR/loop.out")" "$rows"
check_match "the revocation itself is a row" "subject=$AID.*revoke|revoke.*$AID" "$(grep -i revoke "$T_DIR/log")"
run hive_cli cat "/agent/$AID/events"
check_match "events: revoke, then a denial" "revoke" "$OUT"

# 2. The swap during revocation.
hive_cli run --read "$T_DIR/r1" --read "$T_DIR/r2" -- "$T_DIR/bin/escape" revrace "$F" "$T_DIR/r2/data" 10 \
	>"$T_DIR/race.out" 2>&1 &
RACE=$!
pids+=("$RACE")
RAID=
for i in $(seq 100); do RAID=$(agent_of "class=run"); [ -n "$RAID" ] && [ "$RAID" != "$AID" ] && break; sleep 0.05; done
sleep 1 # opens of the file go through for a while first
run revoke "$RAID" "fs.read:$T_DIR/r1"
check_eq "revoke during the swap accepted" 0 "$RC"
resume_if_quarantined "$RAID"
wait "$RACE"
rc=$?
check_eq "the swapping agent never got the file after the revocation (exit 0)" 0 "$rc"
check_match "revrace: blocked, with opens before and refusals after" \
	'^escape revrace: blocked \(EACCES\) .* file_before=[1-9][0-9]* denied=[1-9][0-9]* .* file_after=0 ' \
	"$(cat "$T_DIR/race.out")"
finish
