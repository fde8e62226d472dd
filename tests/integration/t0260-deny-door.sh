#!/usr/bin/env bash
# t0260 — one deny door: K refusals of every kind, through both transports,
# are counted once in /proc/pressure (deny.<op>=N) and written to
# /log/queen.log as rows whose count= fields (a row without one is one
# refusal) sum to exactly the same N. Repeats past HIVE_DENY_FOLD_AFTER fold
# into count=N rows, so 10,000 refused walks by a worker leave the `start`
# row in the log.
#   9P (hostile9p deny_door, a worker over TCP): walk, write, open (ORCLOSE),
#      remove, wstat, setattr
#   queen over the Unix socket (hive CLI): refused /queen/ctl commands (ctl),
#      and (after the flood) refused /queen/lifecycle/ctl commands (ctl)
#   console: a worker's walk and write refusals, a queen's refused ctl
#      command, verbs before ATTACH (verb), bad frames (a cut each)
# Last, C1 controls (raw 0x9b, U+009B, U+0085) written by the queen reach
# neither queen.log nor hived's stderr raw.
. "$(dirname "$0")/lib.sh"
HOSTILE=$HIVE_BUILD/tests/tools/hostile9p
CONCLIENT=$HIVE_BUILD/tests/tools/conclient
[ -x "$HOSTILE" ] && [ -x "$CONCLIENT" ] || { not_ok "hostile9p and conclient built"; finish; }
K=6 # more than HIVE_DENY_FOLD_AFTER (3): repeats fold

con() { "$CONCLIENT" --port "$CON_PORT" "$@"; }
mint() { "$HIVE" --state "$HIVE_STATE" ticket mint "$@"; }
# hostile9p's deny_door as the worker; extra environment as arguments.
deny9p() {
	env "$@" "$HOSTILE" --socket "$HIVE_SOCK" --tcp "127.0.0.1:$HIVE_TCP_PORT" --ticket "$WT" \
		--only deny_door >"$T_DIR/deny9p.out" 2>&1
	local rc=$?
	sed 's/^/#   /' "$T_DIR/deny9p.out"
	return $rc
}
# The refusals of op the log accounts for: sum of count= (1 if none) over
# the rows that say `op=<op> outcome=deny`.
logged() {
	awk -v key=" op=$1 outcome=deny " 'index($0 " ", key) {
		if (match($0, / count=[0-9]+$/)) n += substr($0, RSTART + 7); else n++ } END { print n + 0 }' "$T_DIR/log"
}
counter() { sed -n "s/^deny\\.$1=//p" "$T_DIR/pressure"; }
snapshot() { # /proc/pressure first: reading it writes what folded
	hive_cli cat /proc/pressure >"$T_DIR/pressure"
	hive_cli cat /log/queen.log >"$T_DIR/log"
}

hive_start --console 127.0.0.1:0
for i in $(seq 1 100); do [ -s "$HIVE_STATE/console.port" ] && break; sleep 0.05; done
CON_PORT=$(cat "$HIVE_STATE/console.port")
TOK=$(cat "$HIVE_STATE/console.token")
WT=$(mint --role worker --subject w-9 --ttl 600)
QT=$(mint --role queen --subject op --ttl 600)
check_match "worker and queen tickets" '^cohesix-ticket-' "$WT $QT"

# --- 9P, as a worker ------------------------------------------------------------
check "9P: $K refusals of each kind as a worker" deny9p HIVE_DENY_K=$K

# --- the queen's refused ctl commands, over the Unix socket -----------------------
n=0
for i in $(seq 1 $K); do hive_cli write /queen/ctl "frobnicate" 2>/dev/null || n=$((n + 1)); done
check_eq "CLI: $K ctl commands refused" $K $n

# --- console ----------------------------------------------------------------------
{
	echo "AUTH $TOK"
	echo "ATTACH worker-heartbeat $WT"
	for i in $(seq 1 $K); do echo "CAT /queen/ctl"; echo "ECHO /proc/version x"; done
	echo QUIT
} | con --bind 127.0.0.61 >"$T_DIR/con.w"
check_eq "console: the worker's walks refused" $K "$(grep -c '^ERR CAT reason=policy detail=denied' "$T_DIR/con.w")"
check_eq "console: the worker's writes refused" $K "$(grep -c '^ERR ECHO reason=policy detail=denied' "$T_DIR/con.w")"
{
	echo "AUTH $TOK"
	echo "ATTACH queen $QT"
	for i in $(seq 1 $K); do echo "ECHO /queen/ctl frobnicate"; done
	echo QUIT
} | con --bind 127.0.0.62 >"$T_DIR/con.q"
check_eq "console: the queen's ctl commands refused" $K "$(grep -c '^ERR ECHO ' "$T_DIR/con.q")"
{
	for i in $(seq 1 $K); do echo "LS /"; done
	echo QUIT
} | con --bind 127.0.0.63 >"$T_DIR/con.v"
check_eq "console: verbs before ATTACH refused" $K "$(grep -c '^ERR LS reason=policy detail=unauthenticated' "$T_DIR/con.v")"
n=0
for i in $(seq 1 $K); do
	out=$(printf '#raw 00000000\n' | con --bind 127.0.0.64)
	[ "$out" = $'ERR FRAME reason=invalid-length\n<closed>' ] && n=$((n + 1))
done
check_eq "console: $K sessions cut for a bad frame" $K $n

# --- counters and rows agree, per op ------------------------------------------------
snapshot
for want in walk=$((2 * K)) write=$((2 * K)) open=$K remove=$K wstat=$K setattr=$K ctl=$((2 * K)) \
	verb=$K cut=$K; do
	op=${want%%=*} n=${want#*=}
	check_eq "deny.$op in /proc/pressure" "$n" "$(counter "$op")"
	check_eq "rows of op=$op in queen.log sum to it" "$n" "$(logged "$op")"
done
check_match "repeats were folded into count= rows" ' op=wstat outcome=deny reason=immutable count=[0-9]+$' "$(cat "$T_DIR/log")"
check_match "cuts count in pressure" '^cut=[1-9]' "$(cat "$T_DIR/pressure")"
rows=$(grep -c ' op=setattr outcome=deny ' "$T_DIR/log")
check_eq "$K setattr refusals cost fewer rows than $K" yes "$([ "$rows" -lt $K ] && echo yes || echo "no: $rows")"

# --- a flood of 10,000 refused walks ---------------------------------------------------
walks=$(counter walk)
check "9P: 10,000 refused walks as a worker" deny9p HIVE_DENY_K=1 HIVE_DENY_FLOOD=10000
snapshot
check_eq "deny.walk counts every one" $((walks + 1 + 10000)) "$(counter walk)"
check_eq "and so do the rows" $((walks + 1 + 10000)) "$(logged walk)"
check_match "the start row is still in queen.log" '^[^ ]+ start role=hive ' "$(head -1 "$T_DIR/log")"
rows=$(grep -c ' op=walk outcome=deny ' "$T_DIR/log")
check_eq "the flood cost few rows" yes "$([ "$rows" -lt 100 ] && echo yes || echo "no: $rows rows")"
for op in write open remove wstat setattr; do
	check_eq "rows of op=$op still sum to deny.$op" "$(counter "$op")" "$(logged "$op")"
done

# --- refused lifecycle commands pass the door too (op=ctl, family lifecycle) ------------
ctl=$(counter ctl)
n=0
for i in $(seq 1 $K); do hive_cli write /queen/lifecycle/ctl "fly" 2>/dev/null || n=$((n + 1)); done
check_eq "CLI: $K lifecycle commands refused" $K $n
snapshot
check_eq "deny.ctl counts them" $((ctl + K)) "$(counter ctl)"
check_eq "and so do the rows" $((ctl + K)) "$(logged ctl)"
check_match "as lifecycle rows" ' lifecycle role=queen .* op=ctl outcome=deny reason=invalid-command action=fly ' "$(cat "$T_DIR/log")"

# --- C1 controls (raw 0x9b, U+009B) never reach the log or stderr raw ----------------
hive_cli write /queen/ctl $'log c1-raw=\x9b[31m c1-utf8=\xc2\x9b[31m nel=\xc2\x85' >/dev/null
hive_cli write /queen/ctl $'frob\xc2\x9bnicate' >/dev/null 2>&1
hive_cli cat /log/queen.log >"$T_DIR/log"
check_match "a raw 0x9b is escaped in the log row" 'c1-raw=\\x9b\[31m' "$(cat "$T_DIR/log")"
check_match "U+009B and U+0085 are escaped" 'c1-utf8=\\xc2\\x9b\[31m nel=\\xc2\\x85' "$(cat "$T_DIR/log")"
check_match "and in a refused command's row" 'op=ctl outcome=deny .*verb=frob\\xc2\\x9bnicate' "$(cat "$T_DIR/log")"
check_eq "no byte 0x80-0x9f in queen.log" 0 "$(LC_ALL=C grep -c $'[\x80-\x9f]' "$T_DIR/log")"
check_eq "none in hived's stderr" 0 "$(LC_ALL=C grep -c $'[\x80-\x9f]' "$T_DIR/hived.log")"
finish
