#!/usr/bin/env bash
# t0810 — the hero moment: examples/dream-team.json (31 agents) with the
# homes moved into a test home, signed with a fresh operator key, spawned
# in one command; all reach Active; the curious agent's read of its home's
# .ssh/id_ed25519 gets EACCES without the file ever being opened, which
# fanotify shows (tests/tools/fanwatch: a mark on the file, no event); the
# agent enters capability-denied, and the denial names AID, capability,
# path and time in queen.log and in /agent/<aid>/events.
# Skips (with the reason) until spawn exists; needs root for fanotify.
. "$(dirname "$0")/lib.sh"
FANWATCH=$HIVE_BUILD/tests/tools/fanwatch
skip() { T_NUM=$((T_NUM + 1)); echo "ok $T_NUM - $1 # SKIP $2"; }
[ -x "$FANWATCH" ] || { not_ok "fanwatch built"; finish; }
if [ "$(id -u)" != 0 ]; then skip "the hero moment" "fanotify needs root"; finish; fi

H=$T_DIR/home
mkdir -p "$H/researcher" "$H/coder" "$H/reviewer" "$H/curious/.ssh"
KEY=$H/curious/.ssh/id_ed25519
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nhive-hero-test-key\n-----END OPENSSH PRIVATE KEY-----\n' >"$KEY"
# World-readable on purpose: only the sandbox may stand in the way.
chmod 755 "$T_DIR" "$H" "$H"/* "$H/curious/.ssh"
chmod 644 "$KEY"
chmod 777 "$H/coder" # coders append notes there under their own uids
TEAM=$T_DIR/team.json
sed "s#/var/lib/hive/home#$H#g" "$HIVE_TOP/examples/dream-team.json" >"$TEAM"
check_match "the test manifest names the test home" "\"home\": \"$H/curious\"" "$(cat "$TEAM")"

hive_start
S=$HIVE_STATE
run "$HIVE" --state "$S" key new
check_eq "a fresh operator key" 0 "$RC"
run "$HIVE" --state "$S" trust add "$S/keys/operator.pub"
check_eq "the hive trusts it" 0 "$RC"
run "$HIVE" --state "$S" manifest sign "$TEAM"
check_eq "the team is signed" 0 "$RC"

# The watcher first proves it sees an open of the key (ours, as root).
"$FANWATCH" "$KEY" >"$T_DIR/fan.out" 2>&1 &
FAN_PID=$!
trap 'kill "$FAN_PID" 2>/dev/null; [ -n "$HIVE_PID" ] && kill -KILL "$HIVE_PID" 2>/dev/null' EXIT
for i in $(seq 100); do grep -q watching "$T_DIR/fan.out" && break; sleep 0.05; done
cat "$KEY" >/dev/null
for i in $(seq 100); do grep -q 'event open' "$T_DIR/fan.out" && break; sleep 0.05; done
check_match "fanwatch sees an open of the key (the control)" 'event open pid=' "$(cat "$T_DIR/fan.out")"
EVENTS0=$(grep -c 'event ' "$T_DIR/fan.out")

# One command for the whole team.
if "$HIVE" --help 2>&1 | grep -q '^  spawn '; then
	run hive_cli spawn "$TEAM"
else
	run hive_cli write /queen/ctl "spawn $TEAM"
fi
if [ "$RC" != 0 ] && printf '%s' "$ERR" | grep -qiE 'not built yet|not supported|cannot do that yet|Function not implemented'; then
	skip "31 agents spawned in one command" "spawn answers EOPNOTSUPP: $(printf '%s' "$ERR" | head -1)"
	kill "$FAN_PID" 2>/dev/null
	finish
fi
check_eq "31 agents spawned in one command" 0 "$RC"

# All of them Active. A working agent may sit in capability-denied for a
# moment (`date` opens /etc/localtime, outside its bundle): it is running
# and past Active all the same. The curious one may already have exited
# after its cat failed.
SECONDS=0
while [ "$SECONDS" -lt 60 ]; do
	hive_cli cat /proc/agents >"$T_DIR/agents" 2>/dev/null
	n_all=$(grep -c '^aid=' "$T_DIR/agents")
	n_active=$(grep -v 'class=curious' "$T_DIR/agents" | grep -cE ' state=(active|capability-denied) ')
	n_cur=$(grep 'class=curious' "$T_DIR/agents" | grep -cE 'state=(capability-denied|terminated-clean)')
	[ "$n_all" = 31 ] && [ "$n_active" = 30 ] && [ "$n_cur" = 1 ] && break
	sleep 0.2
done
check_eq "31 agents in /proc/agents" 31 "$n_all"
check_eq "the 30 working agents are all active (running)" 30 "$n_active"
echo "# $(grep -c ' state=active ' "$T_DIR/agents") agents in state=active at that moment"
cur=$(grep 'class=curious' "$T_DIR/agents")
AID=$(printf '%s' "$cur" | sed -n 's/^aid=\(a-[0-9]*\) .*/\1/p')
check_match "the curious agent was denied and counted" ' denials=[1-9]' "$cur"

# The refusal, recorded: queen.log names AID, capability, path and time.
hive_cli cat /log/queen.log >"$T_DIR/log"
row=$(grep " subject=$AID " "$T_DIR/log" | grep ' op=syscall outcome=deny' | grep -F "object=$KEY")
check_eq "one queen.log row for the read of the key" 1 "$(printf '%s' "$row" | grep -c .)"
check_match "the row names the capability it lacked" ' cap=fs\.read( |$)' "$row"
check_match "the row is timed" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z? ' "$row"
check_match "the row says it was the open" ' syscall=open(at)? ' "$row"
run hive_cli cat "/agent/$AID/events"
check_match "events: the agent entered capability-denied" 'capability-denied' "$OUT"
ev=$(printf '%s\n' "$OUT" | grep -F "$KEY" | grep -i deny)
check_match "events of $AID: the denial names the path and fs.read" 'fs\.read' "$ev"
check_match "events: the denial is timed" '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]+|[0-9]{10}' "$ev"

# And the file was never opened: no fanotify event after the control.
sleep 0.3
check_eq "fanotify: the key was never opened by any agent" "$EVENTS0" "$(grep -c 'event ' "$T_DIR/fan.out")"
kill "$FAN_PID" 2>/dev/null
wait "$FAN_PID" 2>/dev/null

for a in $(sed -n 's/^aid=\(a-[0-9]*\) .*/\1/p' "$T_DIR/agents"); do
	hive_cli write /queen/ctl "kill $a" >/dev/null 2>&1
done
finish
