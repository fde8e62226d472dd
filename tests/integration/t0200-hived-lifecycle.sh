#!/usr/bin/env bash
# hived's life: start-up files and modes, the start and boot (BOOTING ->
# ONLINE) rows of queen.log, one hived per state directory,
# stale sockets, bind errors, the command line, and clean exits on SIGTERM
# and SIGINT (status 0, no sanitizer report, socket and pid file removed).
. "$(dirname "$0")/lib.sh"

# --- the command line ---------------------------------------------------
out=$("$HIVED" --help 2>&1); rc=$?
check_eq "--help exits 0" 0 "$rc"
for opt in --state --socket --tcp --no-tcp --console --console-token --idle-timeout --handshake-timeout --help --version; do
	check_match "--help documents $opt" "(^|[[:space:]])$opt([[:space:]]|$)" "$out"
done
check_match "--version prints the version" '^hived [0-9]+\.[0-9]+\.[0-9]+$' "$("$HIVED" --version 2>&1)"
"$HIVED" --bogus >"$T_DIR/o" 2>&1; rc=$?
check_eq "an unknown option exits 2" 2 "$rc"
check_match "an unknown option is named" 'unknown or incomplete option --bogus' "$(cat "$T_DIR/o")"
"$HIVED" --state "$T_DIR/x" --tcp nonsense >"$T_DIR/o" 2>&1; rc=$?
check_eq "a bad --tcp exits 1" 1 "$rc"
check_match "a bad --tcp says what is expected" 'expected ADDR:PORT' "$(cat "$T_DIR/o")"

# --- start-up -----------------------------------------------------------
hive_start
check_eq "the socket is mode 0600" 600 "$(stat -c %a "$HIVE_SOCK")"
check_eq "the pid file holds hived's pid" "$HIVE_PID" "$(cat "$HIVE_STATE/hived.pid")"
check_match "tcp.port holds a port number" '^[1-9][0-9]*$' "$HIVE_TCP_PORT"
check "the TCP port accepts connections" bash -c "exec 3<>/dev/tcp/127.0.0.1/$HIVE_TCP_PORT"
check "tickets.conf was created 0600" test "$(stat -c %a "$HIVE_STATE/tickets.conf")" = 600
check_match "a start row names the socket" "start role=hive .*socket=$HIVE_SOCK tcp=127.0.0.1:$HIVE_TCP_PORT" "$(cat "$T_DIR/hived.log")"

# --- one hived per state directory ----------------------------------------
"$HIVED" --state "$HIVE_STATE" --tcp 127.0.0.1:0 >"$T_DIR/o2" 2>&1; rc=$?
check_eq "a second hived on the same state dir exits 1" 1 "$rc"
check_match "it names the socket and the running pid" "another hived is serving $HIVE_SOCK \\(pid $HIVE_PID\\)" "$(cat "$T_DIR/o2")"
check "the first hived still serves" test -S "$HIVE_SOCK"
check_eq "the pid file was not overwritten" "$HIVE_PID" "$(cat "$HIVE_STATE/hived.pid")"

# --- a busy TCP port ---------------------------------------------------------
"$HIVED" --state "$T_DIR/other" --tcp "127.0.0.1:$HIVE_TCP_PORT" >"$T_DIR/o3" 2>&1; rc=$?
check_eq "a busy TCP port exits 1" 1 "$rc"
check_match "the bind error names address, reason and fix" "cannot bind 127.0.0.1:$HIVE_TCP_PORT: Address already in use \\(is another hived running\\? use --tcp ADDR:PORT\\)" "$(cat "$T_DIR/o3")"
check_fail "the failed hived left no socket behind" test -e "$T_DIR/other/hive.sock"

# --- attach policy seen from a real client --------------------------------------
if [ -x "$HIVE" ]; then
	check "the owner on the Unix socket is queen" hive_cli cat /proc/version
	check_fail "TCP with an empty ticket is refused" "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" --ticket '' ls /
	sleep 0.3 # that refusal backs this uid and address off 250 ms (net/auth.h)
	tk=$("$HIVE" --state "$HIVE_STATE" ticket mint --role observer --ttl 600)
	check "TCP with an observer ticket lists /" env HIVE_TICKET="$tk" "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" ls /
	old=$("$HIVE" --state "$HIVE_STATE" ticket mint --role observer --ttl 1 --issued-at 1000)
	check_fail "an expired ticket is refused" env HIVE_TICKET="$old" "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" ls /
	log=$(hive_cli cat /log/queen.log)
	check_match "the boot is a lifecycle row" '^[^ ]+ lifecycle role=hive subject=- session=0 old=BOOTING new=ONLINE reason=boot-complete$' "$log"
	first=$(printf '%s\n' "$log" | grep -Eo '^[^ ]+ (start|lifecycle) ' | head -2 | awk '{print $2}' | tr '\n' ' ')
	check_eq "the start row comes first, then the boot transition" "start lifecycle " "$first"
	check_match "/proc/lifecycle/reason agrees" '^reason=boot-complete$' "$(hive_cli cat /proc/lifecycle/reason)"
	check_match "the empty-ticket attach is a deny row" 'attach role=none .*outcome=deny reason=ticket-required transport=tcp' "$log"
	check_match "the expired ticket is a deny row" 'attach role=observer .*outcome=deny reason=expired' "$log"
	check_match "refusals count in /proc/pressure" 'policy=[1-9]' "$(hive_cli cat /proc/pressure)"
	check_match "the expiry counts as quota pressure" 'quota=[1-9]' "$(hive_cli cat /proc/pressure)"
else
	ok "attach policy # skip: $HIVE not built"
fi

# --- SIGTERM -----------------------------------------------------------------
hive_stop
check_fail "SIGTERM removed the socket" test -e "$HIVE_SOCK"
check_fail "SIGTERM removed the pid file" test -e "$HIVE_STATE/hived.pid"
check_fail "SIGTERM removed tcp.port" test -e "$HIVE_STATE/tcp.port"
check_match "a stop row was logged" 'stop role=hive .*signal=TERM' "$(cat "$T_DIR/hived.log")"

# --- a stale socket from a killed hived is replaced ------------------------------
hive_start
kill -KILL "$HIVE_PID"; wait "$HIVE_PID" 2>/dev/null; HIVE_PID=
check "a killed hived leaves its socket behind" test -S "$HIVE_SOCK"
rm -f "$HIVE_STATE/tcp.port"
hive_start
check "a new hived replaces the stale socket" test -S "$HIVE_SOCK"
[ -x "$HIVE" ] && check "and serves it" hive_cli cat /proc/version

# --- SIGINT ----------------------------------------------------------------------
kill -INT "$HIVE_PID"; rc=0; wait "$HIVE_PID" || rc=$?; HIVE_PID=
check_eq "SIGINT exits 0" 0 "$rc"
check_fail "no sanitizer report" grep -q Sanitizer "$T_DIR/hived.log"
check_fail "SIGINT removed the socket" test -e "$HIVE_SOCK"
check_match "the stop row says INT" 'stop role=hive .*signal=INT' "$(cat "$T_DIR/hived.log")"

# --- defaults: state dir from $HIVE_STATE, created 0700; --no-tcp ---------------------
st=$T_DIR/fresh/nested/state
HIVE_STATE=$st "$HIVED" --no-tcp >"$T_DIR/o4" 2>&1 &
pid=$!
for i in $(seq 1 100); do [ -S "$st/hive.sock" ] && break; sleep 0.05; done
check "\$HIVE_STATE picks the state dir" test -S "$st/hive.sock"
check_eq "a created state dir is 0700" 700 "$(stat -c %a "$st")"
check_fail "--no-tcp writes no tcp.port" test -e "$st/tcp.port"
check_match "--no-tcp says tcp=off" 'tcp=off' "$(cat "$T_DIR/o4")"
kill -TERM $pid; rc=0; wait $pid || rc=$?
check_eq "that hived exits 0 too" 0 "$rc"

finish
