#!/usr/bin/env bash
# t0715 — agents as principals, the daemon side: a signed manifest spawns
# through /queen/ctl (the AIDs read back on the same open), each agent has
# /agent/<aid>/{manifest,caps,state,quota,attest,events,telemetry,ctl} and a
# line in /proc/agents, its attestation verifies offline against
# /proc/hive.pub, and the verbs act on it: quarantine freezes and resume
# thaws, grant and revoke change the bundle all-or-nothing, quota changes
# its bounds, kill ends it as terminated-revoked. Unsigned, tampered and
# untrusted manifests are refused with a reason, through the deny door.
# AIDs are never reused, across restarts too.
. "$(dirname "$0")/lib.sh"
W=$T_DIR/work
mkdir -p "$W"
chmod 755 "$T_DIR" "$W"

hive_start
hcli() { hive_cli "$@"; }
run "$HIVE" --state "$HIVE_STATE" key new --comment t0715
check_eq "key new exits 0" 0 "$RC"
run "$HIVE" --state "$HIVE_STATE" trust add "$HIVE_STATE/keys/operator.pub"
check_eq "trust add exits 0" 0 "$RC"

# A long-running agent: sleeps, so the verbs have something to act on.
cat >"$W/sleeper.json" <<EOF
{"version": 1, "kind": "agent", "class": "sleeper", "tenant": "t0715",
 "argv": ["/bin/sleep", "300"], "env": ["PATH"],
 "caps": ["fs.read:/usr/share/common-licenses"],
 "quota": {"cpu_weight": 50, "memory_max": 67108864, "pids_max": 8}}
EOF
run "$HIVE" --state "$HIVE_STATE" manifest sign "$W/sleeper.json"
check_eq "manifest sign exits 0" 0 "$RC"

run hcli spawn "$W/sleeper.json"
check_eq "spawn exits 0" 0 "$RC"
A=$OUT
check_match "spawn prints the new AID" '^a-[0-9]+$' "$A"
for i in $(seq 1 100); do
	grep -q "aid=$A .*state=active" <(hcli cat /proc/agents 2>/dev/null) && break
	sleep 0.05
done
run hcli cat /proc/agents
check_match "/proc/agents starts with its summary" '^# live=1 ended=0 max=[0-9]+' "$OUT"
check_match "/proc/agents lists the agent, active" "aid=$A class=sleeper tenant=t0715 state=active pid=[1-9]" "$OUT"
run hcli cat "/agent/$A/manifest"
check_eq "/agent/<aid>/manifest is the signed bytes" "$(cat "$W/sleeper.json")" "$OUT"
run hcli cat "/agent/$A/caps"
check_match "caps: the manifest's" 'fs.read:/usr/share/common-licenses manifest' "$OUT"
check_match "caps: the program itself, from the base" 'fs.exec:/usr/bin/sleep base' "$OUT"
check_match "caps: the enforcement in use" '# enforcement: landlock=[0-9]+ seccomp=' "$OUT"
run hcli cat "/agent/$A/quota"
check_match "quota as the manifest set it" 'cpu_weight=50' "$OUT"
run hcli cat "/agent/$A/events"
check_match "events: the spawn" ' spawn pid=[0-9]+ ' "$OUT"
check_match "events: attested then active" 'state old=attested new=active' "$OUT"

# The attestation, checked offline with the hive's public key.
hcli cat "/agent/$A/attest" >"$W/a.att"
hcli cat /proc/hive.pub >"$W/hive.pub"
run "$HIVE" attest --verify "$W/a.att" --key "$W/hive.pub"
check_eq "the attestation verifies offline" 0 "$RC"
check_match "it names the agent" "aid +$A" "$OUT"
check_match "and the executable it runs" 'exe_path +/usr/bin/sleep' "$OUT"
check_match "with its BLAKE3" "exe_hash +$(b3sum --no-names /usr/bin/sleep)" "$OUT"
sed "s/\"$A\"/\"a-999999\"/" "$W/a.att" >"$W/bad.att"
check "the changed copy differs" test "$(cat "$W/bad.att")" != "$(cat "$W/a.att")"
run "$HIVE" attest --verify "$W/bad.att" --key "$W/hive.pub"
check "a changed attestation does not verify" test "$RC" -ne 0

# Quarantine freezes the agent's group; resume thaws it.
run hcli quarantine "$A"
check_eq "quarantine exits 0" 0 "$RC"
check_match "state quarantined" 'state=quarantined' "$(hcli cat "/agent/$A/state")"
PID=$(hcli cat "/agent/$A/state" | sed -n 's/.* pid=\([0-9]*\) .*/\1/p')
check_match "its process is frozen" '^[DST]' "$(ps -o stat= -p "$PID" | tr -d ' ')"
run hcli resume "$A"
check_eq "resume exits 0" 0 "$RC"
check_match "state active again" 'state=active' "$(hcli cat "/agent/$A/state")"
run hcli resume "$A"
check "resume of an active agent is refused" test "$RC" -ne 0
check_match "saying why" 'not quarantined' "$ERR"

# grant: all or nothing; revoke: what it holds only.
run hcli grant "$A" fs.read:/etc/hostname
check_eq "grant inside what can be brokered exits 0" 0 "$RC"
check_match "the grant is in caps, brokered" 'fs.read:/etc/hostname granted brokered' "$(hcli cat "/agent/$A/caps")"
run hcli grant "$A" net.connect:8443
check "a socket right outside the ceiling is refused" test "$RC" -ne 0
check_match "saying the kernel cannot widen Landlock" 'outside the Landlock ceiling' "$ERR"
run hcli write "/queen/ctl" "grant $A fs.read:/srv fs.read:relative"
check "a grant with one bad cap is refused" test "$RC" -ne 0
check_fail "and grants nothing" grep -q 'fs.read:/srv' <(hcli cat "/agent/$A/caps")
run hcli revoke "$A" fs.read:/usr/share/common-licenses
check_eq "revoke exits 0" 0 "$RC"
CAPS=$(hcli cat "/agent/$A/caps")
check_fail "the right is gone" grep -q 'common-licenses' <<<"$CAPS"
check_match "opens are brokered from now on" 'opens are brokered' "$CAPS"
run hcli revoke "$A" fs.read:/nothing/held
check "revoking what it does not hold is refused" test "$RC" -ne 0
check_match "revoke is an event" ' revoke cap=fs.read:/usr/share/common-licenses ' "$(hcli cat "/agent/$A/events")"

# quota: checked whole, then applied.
run hcli quota "$A" pids_max=4 memory_max=33554432
check_eq "quota exits 0" 0 "$RC"
check_match "quota shows it" 'pids_max=4' "$(hcli cat "/agent/$A/quota")"
run hcli quota "$A" pids_max=0
check "a quota out of range is refused" test "$RC" -ne 0

# The agent's own ctl: the queen acts there too.
run hcli write "/agent/$A/ctl" "frobnicate"
check "an unknown verb on /agent/<aid>/ctl is refused" test "$RC" -ne 0
run hcli write "/agent/$A/ctl" "kill"
check_eq "kill through /agent/<aid>/ctl" 0 "$RC"
for i in $(seq 1 100); do
	grep -q 'state=terminated' <(hcli cat "/agent/$A/state") && break
	sleep 0.05
done
run hcli cat "/agent/$A/state"
check_match "a killed agent is terminated-revoked" 'state=terminated-revoked .*signal=9' "$OUT"
check_fail "and its process is gone" kill -0 "$PID"
run hcli kill "$A"
check "killing an ended agent is refused" test "$RC" -ne 0

# Refused manifests: unsigned, tampered, untrusted — each a ctl deny row.
cp "$W/sleeper.json" "$W/unsigned.json"
run hcli spawn "$W/unsigned.json"
check "an unsigned manifest is refused" test "$RC" -ne 0
check_match "saying so" 'unsigned' "$ERR"
cp "$W/sleeper.json" "$W/tampered.json"
cp "$W/sleeper.json.sig" "$W/tampered.json.sig"
sed -i 's/300/301/' "$W/tampered.json"
run hcli spawn "$W/tampered.json"
check "a tampered manifest is refused" test "$RC" -ne 0
check_match "saying so" 'bad-signature' "$ERR"
run "$HIVE" --state "$W/other" key new --comment stranger
cp "$W/sleeper.json" "$W/stranger.json"
run "$HIVE" --state "$W/other" manifest sign "$W/stranger.json"
run hcli spawn "$W/stranger.json"
check "a manifest signed by an untrusted key is refused" test "$RC" -ne 0
check_match "saying so" 'untrusted' "$ERR"
check_eq "three refusals, three ctl deny rows" 3 \
	"$(grep -c 'op=ctl outcome=deny reason=refused result=refused form=text verb=spawn' "$T_DIR/hived.log")"

# AIDs are never reused, across a restart too.
hive_stop
hive_start
run hcli spawn "$W/sleeper.json"
check_eq "spawn after a restart" 0 "$RC"
N1=${A#a-}
N2=${OUT#a-}
check "a new AID, larger than any before" test "$N2" -gt "$N1"
run hcli kill "$OUT"
finish
