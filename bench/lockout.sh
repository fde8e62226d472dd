#!/usr/bin/env bash
# Section `lockout` of `make bench` (bench/run.sh calls it with the build dir
# and a work dir): can the queen still use her hive while it is attacked?
# On a hived of its own, the queen's read of /proc/version over the Unix
# socket (a fresh connection per probe, as `hive cat` does) is measured on a
# quiet hive, then again while
#   - a stranger (uid nobody when run as root) holds BENCH_LOCKOUT_STRANGERS
#     TCP connections that never attach, reconnecting any that are closed;
#   - 8 workers (worker tickets, TCP) hammer reads with deep pipelines
#     (BENCH_LOCKOUT_DEPTH Treads in flight each, about one msize a burst);
#   - 200 more worker sessions sit idle.
# Everything is on loopback and ends after BENCH_LOCKOUT_SECONDS.
# Ends with: lockout: queen_p99_ms=… quiet_p99_ms=… ratio=… refused=…
# (refused = queen probes the hive refused under load; p99 "none" when no
# probe got through).
set -euo pipefail
B=$1 work=$2
SECS=${BENCH_LOCKOUT_SECONDS:-6}
STRANGERS=${BENCH_LOCKOUT_STRANGERS:-1100}
DEPTH=${BENCH_LOCKOUT_DEPTH:-2048}
WORKERS=8 IDLE=200 PROBES=200 INTERVAL_MS=10
st=$work/lockout
mkdir -p "$st"
lpids=()
lcleanup() { for p in "${lpids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap lcleanup EXIT

# Room for every connection in hived as well as in the load generators.
ulimit -n 8192 2>/dev/null || true
"$B/hived" --state "$st" --tcp 127.0.0.1:0 2>"$work/lockout-hived.log" & lpids+=($!)
for _ in $(seq 200); do [ -S "$st/hive.sock" ] && [ -s "$st/tcp.port" ] && break; sleep 0.05; done
if ! [ -S "$st/hive.sock" ] || ! [ -s "$st/tcp.port" ]; then
	echo "lockout: hived did not start:" >&2; cat "$work/lockout-hived.log" >&2; exit 1
fi
port=$(cat "$st/tcp.port")
ticket=$("$B/hive" ticket mint --state "$st" --role worker --subject bench-worker --ttl 600)
probe() { # -> "p50_ms p99_ms refused probes" of the queen's probes
	"$B/bench/loadgen" --socket "$st/hive.sock" --path /proc/version --probe "$PROBES" \
		--interval-ms "$INTERVAL_MS" --seconds "$SECS" 2>>"$work/lockout-probe.err" |
		sed -E 's/.*probes=([0-9]+) ok=([0-9]+) refused=([0-9]+) p50_us=([0-9.]+) p99_us=([0-9.]+).*/\4 \5 \3 \1 \2/' |
		awk '{ if ($5 > 0) printf "%.2f %.2f %s %s\n", $1 / 1e3, $2 / 1e3, $3, $4;
		       else printf "none none %s %s\n", $3, $4 }'
}
as_stranger() { # command... as uid nobody when we are root
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
	else
		"$@"
	fi
}

read -r q50 q99 qref qn < <(probe)
echo "== lockout: queen reads /proc/version over the Unix socket ($qn probes, ${INTERVAL_MS} ms apart)"
printf '%-44s %10s %10s %9s\n' phase p50_ms p99_ms refused
printf '%-44s %10s %10s %9s\n' "quiet hive" "$q50" "$q99" "$qref"

wait_ready() { # file -> its "ready N" count, waiting up to 10 s
	for _ in $(seq 200); do grep -q '^ready' "$1" 2>/dev/null && break; sleep 0.05; done
	awk '/^ready/ { print $2; exit }' "$1" 2>/dev/null
}
# The load: idle sessions and workers first, then the stranger takes what is left.
mkfifo "$work/lockout-idle.in"
"$B/bench/loadgen" --tcp "127.0.0.1:$port" --aname "$ticket" --idle "$IDLE" <"$work/lockout-idle.in" \
	>"$work/lockout-idle.out" 2>&1 & lpids+=($!)
idle_pid=$!
exec {idle_w}>"$work/lockout-idle.in"
idle_held=$(wait_ready "$work/lockout-idle.out")
"$B/bench/loadgen" --tcp "127.0.0.1:$port" --aname "$ticket" --path /proc/version --conns "$WORKERS" \
	--depth "$DEPTH" --seconds "$((SECS + 3))" >"$work/lockout-workers.out" 2>&1 & lpids+=($!)
wpid=$!
spid=
if [ "$STRANGERS" -gt 0 ]; then
	as_stranger "$B/bench/loadgen" --tcp "127.0.0.1:$port" --strangers "$STRANGERS" --seconds "$((SECS + 3))" \
		>"$work/lockout-strangers.out" 2>&1 & lpids+=($!)
	spid=$!
	held=$(wait_ready "$work/lockout-strangers.out")
fi
sleep 1
read -r l50 l99 lref ln < <(probe)
wait "$wpid" || true
[ -z "$spid" ] || wait "$spid" || true
exec {idle_w}>&-
wait "$idle_pid" || true
printf '%-44s %10s %10s %9s\n' "$STRANGERS strangers, $WORKERS workers x$DEPTH, $IDLE idle" "$l50" "$l99" "$lref"
echo "   idle: ${idle_held:-0} held; stranger: $(tail -1 "$work/lockout-strangers.out" 2>/dev/null) (first pass: ${held:-0})"
echo "   workers: $(tail -1 "$work/lockout-workers.out")"
ratio=none
[ "$l99" != none ] && [ "$q99" != none ] && ratio=$(awk -v a="$l99" -v b="$q99" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
echo "lockout: queen_p99_ms=$l99 quiet_p99_ms=$q99 ratio=$ratio refused=$lref"
