# lib.sh — shared helpers for integration tests (source it; git's test-lib
# in miniature). Each test starts a real hived on a temp state dir, drives
# it with real clients and prints TAP lines the runner counts.
#
#   . "$(dirname "$0")/lib.sh"
#   hive_start [hived flags...]      # exports HIVE_STATE HIVE_SOCK HIVE_PID HIVE_TCP_PORT
#   check "name" cmd args...         # ok if the command exits 0
#   check_fail "name" cmd args...    # ok if it exits non-zero
#   check_eq "name" expected actual
#   check_match "name" regex text
#   run cmd args...                  # sets RC, OUT (stdout) and ERR (stderr)
#   finish                           # stops hived, exit status = failures
set -u
HIVE_TOP=${HIVE_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
HIVE_BUILD=${HIVE_BUILD:-build-asan}
case "$HIVE_BUILD" in /*) ;; *) HIVE_BUILD=$HIVE_TOP/$HIVE_BUILD ;; esac
HIVED=$HIVE_BUILD/hived
HIVE=$HIVE_BUILD/hive
T_NUM=0 T_FAILED=0
T_DIR=$(mktemp -d /tmp/hive-it.XXXXXX)
HIVE_PID=

ok() { T_NUM=$((T_NUM + 1)); echo "ok $T_NUM - $1"; }
not_ok() { T_NUM=$((T_NUM + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_NUM - $1"; }
check() {
	local name=$1; shift
	if "$@" >"$T_DIR/out" 2>&1; then ok "$name"; else not_ok "$name"; sed 's/^/#   /' "$T_DIR/out" | tail -20; fi
}
check_fail() {
	local name=$1; shift
	if "$@" >"$T_DIR/out" 2>&1; then not_ok "$name (expected failure)"; sed 's/^/#   /' "$T_DIR/out" | tail -20; else ok "$name"; fi
}
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "#   expected: $2"; echo "#   actual:   $3"; fi
}
check_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else not_ok "$1"; echo "#   /$2/ not in:"; printf '%s\n' "$3" | head -20 | sed 's/^/#   /'; fi
}

run() {
	"$@" >"$T_DIR/o" 2>"$T_DIR/e"
	RC=$?
	OUT=$(cat "$T_DIR/o")
	ERR=$(cat "$T_DIR/e")
}

# `by UID cmd...`: run cmd with $BY set so a client started as `$BY "$HIVE"`
# runs as that uid (when root). A peer's refused attaches back it off and
# lock it out, never another peer (net/auth.h): a test that expects several
# refusals in a row gives each refused client a uid of its own.
BY=
by() {
	local u=$1; shift
	[ "$(id -u)" = 0 ] && BY="setpriv --reuid=$u --regid=$u --clear-groups"
	local rc=0
	"$@" || rc=$?
	BY=
	return "$rc"
}

# Start hived on a fresh state dir; extra args go to hived.
hive_start() {
	HIVE_STATE=$T_DIR/state
	mkdir -p "$HIVE_STATE"
	HIVE_SOCK=$HIVE_STATE/hive.sock
	"$HIVED" --state "$HIVE_STATE" --tcp 127.0.0.1:0 "$@" >"$T_DIR/hived.log" 2>&1 &
	HIVE_PID=$!
	local i
	for i in $(seq 1 200); do
		[ -S "$HIVE_SOCK" ] && [ -s "$HIVE_STATE/tcp.port" ] && break
		kill -0 "$HIVE_PID" 2>/dev/null || break
		sleep 0.05
	done
	if ! [ -S "$HIVE_SOCK" ]; then
		not_ok "hived started"; sed 's/^/#   /' "$T_DIR/hived.log"; finish
	fi
	HIVE_TCP_PORT=$(cat "$HIVE_STATE/tcp.port" 2>/dev/null)
	export HIVE_STATE HIVE_SOCK HIVE_PID HIVE_TCP_PORT
}

# hive CLI on the test's hive, over the Unix socket (queen by peer creds).
hive_cli() { "$HIVE" --socket "$HIVE_SOCK" "$@"; }

# Stop hived with SIGTERM and require a clean exit (status 0, no sanitizer report).
hive_stop() {
	[ -n "$HIVE_PID" ] || return 0
	kill -TERM "$HIVE_PID" 2>/dev/null
	local rc=0
	wait "$HIVE_PID" || rc=$?
	HIVE_PID=
	if [ "$rc" -eq 0 ] && ! grep -q 'Sanitizer' "$T_DIR/hived.log"; then
		ok "hived exited cleanly on SIGTERM"
	else
		not_ok "hived exited cleanly on SIGTERM (status $rc)"; tail -30 "$T_DIR/hived.log" | sed 's/^/#   /'
	fi
}

finish() {
	hive_stop
	[ "$T_FAILED" -eq 0 ] && rm -rf "$T_DIR"
	exit "$T_FAILED"
}
trap '[ -n "$HIVE_PID" ] && kill -KILL "$HIVE_PID" 2>/dev/null' EXIT
