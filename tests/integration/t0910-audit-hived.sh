#!/usr/bin/env bash
# t0910 — the audit chain inside hived: off-by-N is zero and kill -9 loses
# no acknowledged record.
#   K refusals of mixed kinds (a worker's 9P walks, writes, opens, removes,
#   wstats and setattrs; the queen's refused ctl commands; `hive run --
#   /bin/cat /etc/shadow`, the sandbox's denial) give exactly as many deny
#   records in /audit/query as /proc/pressure's deny.* counters sum to.
#   /audit/head and /proc/status say what the log holds; a worker reads only
#   its own records. Then hived is killed with -9 while refusals keep
#   coming, three times: each restart finds at most a torn tail (cut and
#   recorded), and every record that was durable before the kill is there.
#   After each, and after the last clean stop, h6's offline verifier
#   (`hive audit verify --seal-key K0`) accepts the whole log, and its
#   `hive audit query --type deny` counts the same denials.
. "$(dirname "$0")/lib.sh"
HOSTILE=$HIVE_BUILD/tests/tools/hostile9p
AUDITQ=$HIVE_BUILD/tests/tools/auditq
[ -x "$HOSTILE" ] && [ -x "$AUDITQ" ] || { not_ok "hostile9p and auditq built"; finish; }
K=6

mint() { "$HIVE" --state "$HIVE_STATE" ticket mint "$@"; }
q() { "$AUDITQ" --socket "$HIVE_SOCK" "$@"; }
denials() { hive_cli cat /proc/pressure | awk -F= '/^deny\./ { n += $2 } END { print n + 0 }'; }
status() { hive_cli cat /proc/status | sed -n "s/^$1=//p"; }
# Records are readable once durable: a commit is at most a linger away.
settle() { for i in $(seq 1 100); do [ "$(status audit_queued)" = 0 ] && break; sleep 0.02; done; }

hive_start
WT=$(mint --role worker --subject w-9 --ttl 600)
printf '%s\n' "$WT" >"$T_DIR/wt"
check_eq "a fresh log: audit=ok, recovery clean" "ok clean" "$(status audit) $(status audit_recovery)"

env HIVE_DENY_K=$K "$HOSTILE" --socket "$HIVE_SOCK" --tcp "127.0.0.1:$HIVE_TCP_PORT" --ticket "$WT" \
	--only deny_door >"$T_DIR/deny9p.out" 2>&1
check_eq "9P: the worker's refusals of each kind" 0 "$?"
n=0
for i in $(seq 1 $K); do hive_cli write /queen/ctl "frobnicate" 2>/dev/null || n=$((n + 1)); done
check_eq "CLI: $K ctl commands refused" $K $n

"$HIVE_BUILD/tests/tools/agentapi" "$HIVE_SOCK" spawn "$T_DIR/none.json" >/dev/null 2>&1
PROBE=$?
if [ "$PROBE" = 95 ] || [ "$PROBE" = 38 ]; then
	ok "# SKIP hive run: this hived cannot spawn (errno $PROBE)"
else
	before=$(denials)
	run "$HIVE" --state "$HIVE_STATE" run -- /bin/cat /etc/shadow
	check "hive run -- /bin/cat /etc/shadow is denied" test "$RC" -ne 0
	check "and the sandbox's denial went through the deny door" test "$(denials)" -gt "$before"
	settle
	check_match "a deny record names the agent and the file" 'aid=a-[0-9]+ type=deny .*object=/etc/shadow result=deny' \
		"$(q type=deny)"
	check_match "the spawn has its record" 'type=spawn ' "$(q type=spawn)"
fi

settle
D=$(denials)
R=$(q --count type=deny)
check "refusals happened: $D" test "$D" -ge $((7 * K))
check_eq "deny records == /proc/pressure's deny counters" "$D" "$R"
check_eq "no record was refused" 0 "$(status audit_refused)"
check_match "/audit/head: size and chain head" '^size=[0-9]+
head=[0-9a-f]{64}' "$(hive_cli cat /audit/head)"
r1=$(status audit_records)
settle
check "/proc/status: what was queued is durable (each read is an attach record too)" test "$(status audit_durable)" -ge "$r1"
K0=$(sed -n 's/.*seal key K0.*: //p' "$T_DIR/hived.log" | head -1)
printf '%s\n' "$K0" >"$T_DIR/k0"
check_match "hived printed the seal key K0 once" '^[0-9a-f]{64}$' "$K0"
verify() { "$HIVE" audit verify --state "$HIVE_STATE" --seal-key "$T_DIR/k0" >"$T_DIR/verify" 2>&1; }
offline_denies() { "$HIVE" audit query --state "$HIVE_STATE" --type deny | wc -l; }
for i in $(seq 1 60); do hive_cli cat /audit/head | grep -q '^checkpoint=[0-9]' && break; sleep 0.05; done
check_match "a signed checkpoint within a second" 'checkpoint=[0-9]+ epoch=[0-9]+' "$(hive_cli cat /audit/head)"
check_match "/audit/checkpoints shows its note" '^hive-audit/' "$(hive_cli cat /audit/checkpoints)"
check "hive audit verify --seal-key K0 accepts the live log" verify
check_eq "hive audit query --type deny counts the same" "$D" "$(offline_denies)"

# --- a worker reads only its own records ----------------------------------------
WQ=$("$AUDITQ" --tcp "127.0.0.1:$HIVE_TCP_PORT" --ticket-file "$T_DIR/wt" 2>&1)
check_match "the worker reads its records" 'aid=w-9 type=deny' "$WQ"
check_eq "and no one else's" "" "$(printf '%s\n' "$WQ" | grep -v ' aid=w-9 ' || true)"
run "$AUDITQ" --tcp "127.0.0.1:$HIVE_TCP_PORT" --ticket-file "$T_DIR/wt" aid=a-1
check "asking for another aid is refused" test "$RC" -ne 0
run "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" --ticket-file "$T_DIR/wt" cat /audit/head
check "the worker cannot read /audit/head" test "$RC" -ne 0

# --- kill -9 at a few points ------------------------------------------------------------
for round in 1 2 3; do
	( for i in $(seq 1 400); do "$HIVE" --socket "$HIVE_SOCK" write /queen/ctl "frob$i" 2>/dev/null; done ) &
	LOAD=$!
	sleep 0.$((round * 2))
	acked=$(status audit_durable)
	kill -9 "$HIVE_PID"
	wait "$HIVE_PID" 2>/dev/null
	kill "$LOAD" 2>/dev/null; wait "$LOAD" 2>/dev/null
	"$HIVED" --state "$HIVE_STATE" --tcp 127.0.0.1:0 >>"$T_DIR/hived.log" 2>&1 &
	HIVE_PID=$!
	for i in $(seq 1 200); do [ -S "$HIVE_SOCK" ] && hive_cli cat /proc/status >/dev/null 2>&1 && break; sleep 0.05; done
	settle
	rec=$(status audit_recovery)
	check_match "kill -9 #$round: the restart finds a clean or torn tail" '^(clean|torn-tail cut=[0-9]+)$' "$rec"
	kept=$(q | awk -v n="$acked" '{ s = $1; sub(/^seq=/, "", s); if (s + 0 < n) k++ } END { print k + 0 }')
	check_eq "kill -9 #$round: all $acked acknowledged records are there" "$acked" "$kept"
	seqs=$(q | awk '{ s = $1; sub(/^seq=/, "", s); if (s + 0 != n) bad++; n++ } END { print bad + 0 }')
	check_eq "kill -9 #$round: seqs have no gap" 0 "$seqs"
	case "$rec" in torn*) check_match "and the cut is recorded" 'type=recovered ' "$(q type=recovered)" ;; esac
	check "kill -9 #$round: hive audit verify accepts the log" verify
	sed 's/^/#   /' "$T_DIR/verify" | head -3
done
hive_stop
check "after a clean stop the log verifies, sealed to its last checkpoint" verify
check_match "with no unsealed tail" '^ok: ' "$(cat "$T_DIR/verify")"
check "and no unsealed warning" test -z "$(grep 'not sealed yet' "$T_DIR/verify")"
finish
