#!/usr/bin/env bash
# t0400-console.sh — the framed line console end to end: off by default,
# AUTH and ATTACH (tickets forged, expired, of the wrong role), the attach
# back-off and lockout, every verb, a worker's denial landing in
# /log/queen.log, hostile frames, timeouts and back-pressure.
# Each scenario that fails attaches uses its own loopback source address,
# since the throttle's back-off is per peer uid and address (net/auth.h).
. "$(dirname "$0")/lib.sh"
CONCLIENT=$HIVE_BUILD/tests/tools/conclient
[ -x "$CONCLIENT" ] || { not_ok "conclient built ($CONCLIENT)"; finish; }

con() { "$CONCLIENT" --port "$CON_PORT" "$@"; }
# Whole-text regex (bash =~: '.' and [^x] cross newlines, ^ $ anchor the text);
# grep -E would treat each line of a multi-line pattern as an alternative.
check_re() {
	if [[ $3 =~ $2 ]]; then ok "$1"; else not_ok "$1"; echo "#   /$2/ not in:"; printf '%s\n' "$3" | head -30 | sed 's/^/#   /'; fi
}
# A file as the queen sees it, through the console itself.
qtail() { printf 'AUTH %s\nATTACH queen %s\nTAIL %s\nQUIT\n' "$TOK" "$QT" "$1" | con --bind 127.0.0.99; }
mint() { "$HIVE" --state "$HIVE_STATE" ticket mint "$@"; }
wait_port_file() {
	local i
	for i in $(seq 1 100); do [ -s "$HIVE_STATE/console.port" ] && return 0; sleep 0.05; done
	return 1
}

# --- off by default -------------------------------------------------------
hive_start
check_fail "no console.port without --console" test -e "$HIVE_STATE/console.port"
check_fail "no console.token without --console" test -e "$HIVE_STATE/console.token"
hive_stop
rm -f "$HIVE_STATE/tcp.port" "$HIVE_STATE/hive.sock"

# --- on -------------------------------------------------------------------
hive_start --console 127.0.0.1:0
check "console.port written" wait_port_file
CON_PORT=$(cat "$HIVE_STATE/console.port")
TOK=$(cat "$HIVE_STATE/console.token")
check_re "console.token generated" '^[0-9a-f]{16,}$' "$TOK"
QT=$(mint --role queen --subject op --ttl 60)
WT=$(mint --role worker --subject a-1 --ttl 60)
OT=$(mint --role observer --subject watcher --ttl 60)
XT=$(mint --role worker --subject a-1 --ttl 60 --issued-at 1000)
# Forge: same payload, last MAC digit changed.
last=${WT: -1}; [ "$last" = 0 ] && new=1 || new=0
FT=${WT%?}$new

# --- the queen's transcript ------------------------------------------------
out=$(con <<EOF
PING
LS /
ATTACH queen $QT
AUTH $TOK
AUTH $TOK
ATTACH queen $QT
ATTACH queen $QT
ping
LS /
LS /proc
CAT /proc/version
ECHO /queen/ctl log console-hello from the queen
TAIL /log/queen.log
LOG
LS /nope
LS /proc/../proc
LS /./proc
LS //proc
LS proc
LS /proc/version
CAT /proc
CAT
ECHO /queen/ctl
FROB x
SPAWN {"role":"worker"}
KILL a-1
QUIT
EOF
)
check_re "handshake: PING and refusals before AUTH, then AUTH and ATTACH" $'^PONG\nOK PING reply=pong\nERR LS reason=policy detail=unauthenticated\nERR ATTACH reason=policy detail=unauthenticated\nOK AUTH\nERR AUTH reason=policy detail=already-authenticated\nOK ATTACH role=queen subject=op\nERR ATTACH reason=policy detail=already-attached\nPONG\nOK PING reply=pong\n' "$out"
check_re "LS / as queen" $'OK LS path=/ entries=6\nagent\naudit\ngpu\nlog\nproc\nqueen\nEND' "$out"
check_re "LS /proc" $'OK LS path=/proc entries=[0-9]+\n(.*\n)*version\nEND' "$out"
check_re "CAT /proc/version" $'OK CAT path=/proc/version bytes=[0-9]+ lines=[0-9]+\nhive [0-9.]+\n(.*\n)*END' "$out"
check_match "ECHO appends one line" 'OK ECHO path=/queen/ctl bytes=33$' "$out"
check_re "TAIL shows the echoed command" $'OK TAIL path=/log/queen.log lines=[0-9]+\n(.*\n)*.*console-hello from the queen' "$out"
check_re "LOG is the tail of queen.log" $'OK LOG lines=[0-9]+\n' "$out"
check_match "not-found" 'ERR LS reason=policy detail=not-found path=/nope error=[^ ]+$' "$out"
check_match ".. rejected" 'ERR LS reason=policy detail=invalid path=/proc/../proc error=invalid_path_element' "$out"
check_match ". rejected" 'ERR LS reason=policy detail=invalid path=/./proc error=invalid_path_element' "$out"
check_match "empty element rejected" 'ERR LS reason=policy detail=invalid path=//proc error=invalid_path_element' "$out"
check_match "relative path rejected" 'ERR LS reason=policy detail=invalid path=proc error=path_must_be_absolute' "$out"
check_match "LS of a file" 'ERR LS reason=policy detail=invalid path=/proc/version error=not_a_directory' "$out"
check_match "CAT of a directory" 'ERR CAT reason=policy detail=invalid path=/proc error=is_a_directory' "$out"
check_match "CAT without a path" 'ERR CAT reason=policy detail=invalid-args' "$out"
check_match "ECHO without payload" 'ERR ECHO reason=policy detail=invalid-args' "$out"
check_match "unknown verb" 'ERR FROB reason=policy detail=unknown-verb' "$out"
check_match "SPAWN unsupported" 'ERR SPAWN reason=policy detail=unsupported' "$out"
check_match "KILL unsupported" 'ERR KILL reason=policy detail=unsupported' "$out"
check_re "QUIT last" $'OK QUIT$' "$out"
check_match "queen's ECHO reached /queen/ctl" 'console-hello from the queen' "$(qtail /log/queen.log)"

# --- bounded CAT and TAIL ----------------------------------------------------
out=$( { printf 'AUTH %s\nATTACH queen %s\n' "$TOK" "$QT"
	for i in $(seq 1 300); do echo "ECHO /queen/ctl log fill-$i"; done
	printf 'TAIL /log/queen.log\nCAT /log/queen.log\nQUIT\n'; } | con)
check_eq "300 ECHOs answered" 300 "$(grep -c '^OK ECHO path=/queen/ctl bytes=' <<<"$out")"
check_match "TAIL keeps the last HIVE_CONSOLE_LINES_MAX lines" '^OK TAIL path=/log/queen.log lines=256$' "$out"
tail_part=$(sed -n '/^OK TAIL/,/^END$/p' <<<"$out")
check_eq "TAIL sends exactly 256 lines" 258 "$(wc -l <<<"$tail_part")"
check_match "TAIL ends with the newest row" 'fill-300' "$(tail -3 <<<"$tail_part")"
check_match "CAT stops at 256 lines and says so" '^OK CAT path=/log/queen.log bytes=[0-9]+ lines=256 truncated=1$' "$out"
cat_part=$(sed -n '/^OK CAT/,/^END$/p' <<<"$out")
check_eq "CAT sends exactly 256 lines" 258 "$(wc -l <<<"$cat_part")"
check_match "CAT starts at the top of the log" ' start ' "$(sed -n 2p <<<"$cat_part")"

# --- bad AUTH closes --------------------------------------------------------
out=$(con --bind 127.0.0.2 <<EOF
AUTH wrong-token
PING
EOF
)
check_eq "bad AUTH: refused and closed" $'ERR AUTH reason=invalid-token\n<closed>' "$out"
out=$(con --bind 127.0.0.20 <<EOF
AUTH ${TOK}x
EOF
)
check_eq "AUTH with a longer token refused" $'ERR AUTH reason=invalid-token\n<closed>' "$out"

# --- ATTACH refusals, back-off and lockout ---------------------------------
out=$(con --bind 127.0.0.3 <<EOF
AUTH $TOK
ATTACH worker
ATTACH worker $WT
#sleep 300
ATTACH worker $FT
ATTACH worker $WT
#sleep 600
ATTACH worker $QT
ATTACH worker $WT
ATTACH wizard $WT
EOF
)
check_re "ATTACH without ticket" $'OK AUTH\nERR ATTACH reason=policy detail=ticket-required\n' "$out"
check_re "back-off after one failure" $'ticket-required\nERR ATTACH reason=quota detail=throttled delay_ms=(2[0-4][0-9]|250)\n' "$out"
check_re "forged ticket" $'\nERR ATTACH reason=policy detail=invalid-ticket\n' "$out"
check_re "back-off doubles" $'invalid-ticket\nERR ATTACH reason=quota detail=throttled delay_ms=(4[0-9][0-9]|500)\n' "$out"
check_re "ticket of another role" $'\nERR ATTACH reason=policy detail=role-mismatch\n' "$out"
check_re "third failure locks out" $'role-mismatch\nERR ATTACH reason=quota detail=rate-limited delay_ms=(89[0-9]{3}|90000)\n' "$out"
check_re "unknown role word" 'ERR ATTACH reason=policy detail=invalid-role$' "$out"
out=$(con --bind 127.0.0.3 <<EOF
AUTH $TOK
EOF
)
check_match "lockout also refuses AUTH from that peer" '^ERR AUTH reason=quota detail=rate-limited delay_ms=[0-9]+' "$out"
out=$(con --bind 127.0.0.30 <<EOF
AUTH $TOK
ATTACH queen $QT
EOF
)
check_match "other peers are not locked out" 'OK ATTACH role=queen subject=op' "$out"

# --- the throttle is keyed on who the peer is, not its address -------------
# Every local user connects from 127.0.0.1: nobody locking itself out there
# must not lock out root on the same address (the uid owning the peer's
# socket names it, net/peer.h).
if [ "$(id -u)" = 0 ]; then
	nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	for pause in 0 0.3 0.6; do
		sleep "$pause"
		nobody "$CONCLIENT" --port "$CON_PORT" --bind 127.0.0.1 <<<"AUTH wrong-token" >/dev/null
	done
	out=$(nobody "$CONCLIENT" --port "$CON_PORT" --bind 127.0.0.1 <<<"AUTH $TOK")
	check_match "nobody's third bad AUTH locks nobody out" '^ERR AUTH reason=quota detail=rate-limited' "$out"
	out=$(printf 'AUTH %s\nATTACH queen %s\n' "$TOK" "$QT" | con --bind 127.0.0.1)
	check_match "root on the same address is not locked out" 'OK ATTACH role=queen subject=op' "$out"
	check_match "nobody's refusals are attach rows" 'attach role=none .*outcome=deny reason=invalid-token transport=console peer=127.0.0.1:' "$(qtail /log/queen.log)"
fi

# --- a worker: expired ticket, then its view and a denial -------------------
out=$(con --bind 127.0.0.4 <<EOF
AUTH $TOK
ATTACH worker $XT
#sleep 300
ATTACH worker-heartbeat $WT
LS /
ECHO /queen/ctl log from a worker
CAT /proc/version
QUIT
EOF
)
check_match "expired ticket" 'ERR ATTACH reason=policy detail=expired' "$out"
check_match "worker attaches after the back-off" 'OK ATTACH role=worker subject=a-1' "$out"
check_re "worker does not see /queen" $'OK LS path=/ entries=5\nagent\naudit\ngpu\nlog\nproc\nEND' "$out"
check_match "worker denied ECHO /queen/ctl" 'ERR ECHO reason=policy detail=denied path=/queen/ctl error=permission_denied' "$out"
check_match "worker reads /proc" 'OK CAT path=/proc/version' "$out"
log=$(qtail /log/queen.log)
check_match "denial row in queen.log" 'deny role=worker subject=a-1 session=[0-9]+ object=/queen' "$log"
# The MAC held, so the row names who the ticket says (a queen), as 9P's rows do.
check_match "refused attach rows in queen.log" 'attach role=queen .*outcome=deny reason=role-mismatch transport=console' "$log"
check_match "bad AUTH row in queen.log" 'outcome=deny reason=invalid-token transport=console peer=127.0.0.2:' "$log"
check_fail "worker's text never reached the ctl" grep -q 'from a worker' <<<"$log"
out=$(con --bind 127.0.0.5 <<EOF
AUTH $TOK
ATTACH observer $OT
CAT /queen/ctl
ECHO /queen/ctl log nope
QUIT
EOF
)
check_match "observer denied ECHO" 'ERR ECHO reason=policy detail=denied path=/queen/ctl' "$out"
check_re "pressure counts policy refusals" '^policy=([4-9]|[1-9][0-9]+)$' "$(qtail /proc/pressure | grep '^policy=')"

# --- hostile frames -----------------------------------------------------------
out=$(printf '#raw 00000000\nPING\n' | con)
check_eq "length 0 closes" $'ERR FRAME reason=invalid-length\n<closed>' "$out"
out=$(printf '#raw 03000000 41\n' | con)
check_eq "length 3 closes" $'ERR FRAME reason=invalid-length\n<closed>' "$out"
out=$(printf '#raw ffffffff 414141\n' | con)
check_eq "huge length closes" $'ERR FRAME reason=invalid-length\n<closed>' "$out"
out=$(printf '#frame 1029 x\n' | con)
check_eq "one past the longest frame closes" $'ERR FRAME reason=invalid-length\n<closed>' "$out"
out=$(printf 'PING\n#raw 04000000\n#raw 0f000000 4543484f202f7820610a 62\n#raw 06000000 c328\nPING\n' | con)
check_eq "bad lines refused, session kept" $'PONG\nOK PING reply=pong\nERR PARSE reason=policy detail=empty-line\nERR PARSE reason=policy detail=control-character\nERR PARSE reason=policy detail=invalid-utf8\nPONG\nOK PING reply=pong' "$out"
out=$(printf '#raw 08000000\n#sleep 200\n#raw 5049\n#sleep 200\n#raw 4e47\n' | con)
check_eq "a frame trickled in pieces is whole" $'PONG\nOK PING reply=pong' "$out"
long="ECHO /queen/ctl log $(printf 'x%.0s' $(seq 1 1004))"
out=$(printf 'AUTH %s\nATTACH queen %s\n%s\nQUIT\n' "$TOK" "$QT" "$long" | con --bind 127.0.0.6)
check_match "longest line accepted" "OK ECHO path=/queen/ctl bytes=1009" "$out"
out=$(printf '%s\n' "$(printf 'P%.0s' $(seq 1 40))" | con)
check_eq "overlong verb" 'ERR PARSE reason=policy detail=invalid-verb' "$out"

# Truncated frames then silence, in parallel: before AUTH the auth timeout
# closes the session (5 s); once attached the frame timeout does (10 s).
start=$SECONDS
printf '#raw 0a000000 41\n' | con --wait-close 9000 >"$T_DIR/trunc1" &
p1=$!
printf 'AUTH %s\nATTACH queen %s\n#raw 0a000000 41\n' "$TOK" "$QT" | con --bind 127.0.0.7 --wait-close 15000 >"$T_DIR/trunc2" &
p2=$!
# Meanwhile: console sessions are listed with the others.
sleep 1
check_match "console sessions in /proc/sessions" 'console' "$(qtail /proc/sessions)"
# And a client that never reads is held back, not buffered without bound.
L="LS /$(printf '%01000d' 0)"
out=$( { printf 'AUTH %s\nATTACH queen %s\n' "$TOK" "$QT"; for i in $(seq 20000); do echo "$L"; done; } |
	con --bind 127.0.0.8 --no-read 1000)
check_re "non-reading client stalls (server stopped reading)" '^sent=[0-9]+ stalled$' "$out"
out=$(printf 'PING\n' | con)
check_eq "others still served" $'PONG\nOK PING reply=pong' "$out"
wait $p1 $p2
check_eq "truncated frame before AUTH: auth timeout" $'ERR AUTH reason=policy detail=timeout\n<closed>' "$(cat "$T_DIR/trunc1")"
check_eq "truncated frame when attached: frame timeout" $'OK AUTH\nOK ATTACH role=queen subject=op\nERR FRAME reason=policy detail=timeout\n<closed>' "$(cat "$T_DIR/trunc2")"
el=$((SECONDS - start))
check "timeouts fired in time (${el}s)" test "$el" -ge 9 -a "$el" -le 16

hive_stop
rm -f "$HIVE_STATE/tcp.port" "$HIVE_STATE/hive.sock" "$HIVE_STATE/console.port"

# --- idle timeout -----------------------------------------------------------
hive_start --console 127.0.0.1:0 --idle-timeout 1
check "console.port written again" wait_port_file
CON_PORT=$(cat "$HIVE_STATE/console.port")
out=$(printf 'AUTH %s\nATTACH queen %s\n' "$TOK" "$QT" | con --bind 127.0.0.9 --wait-close 4000)
check_eq "idle session closed" $'OK AUTH\nOK ATTACH role=queen subject=op\nERR CONSOLE reason=policy detail=idle-timeout\n<closed>' "$out"
finish
