#!/usr/bin/env bash
# make bench — hived against diod (the baseline 9P server) on the same load
# generator, in one run, on loopback Unix sockets. Prints ratios; asserts
# nothing about absolute times (the machine is shared and noisy).
#
#   BENCH_SECONDS  seconds per measurement (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${HIVE_BUILD:-build}
SECS=${BENCH_SECONDS:-5}
work=$(mktemp -d /tmp/hive-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
            mountpoint -q "$work/mnt" 2>/dev/null && "$B/hive" mount -u "$work/mnt" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

command -v diod >/dev/null || { echo "bench: diod is missing (apt-get install diod)" >&2; exit 1; }

mkdir -p "$work/state" "$work/export"
"$B/hived" --state "$work/state" --no-tcp 2>"$work/hived.log" & pids+=($!); hived_pid=$!
# The baseline serves a plain file with the same content as /proc/version.
for i in $(seq 100); do [ -S "$work/state/hive.sock" ] && break; sleep 0.05; done
"$B/hive" --socket "$work/state/hive.sock" cat /proc/version >"$work/export/version"
diod -f -n -l "$work/diod.sock" -e "$work/export" 2>"$work/diod.log" & pids+=($!); diod_pid=$!
for i in $(seq 100); do [ -S "$work/diod.sock" ] && break; sleep 0.05; done

run() { # server conns -> "ops_per_s p50 p99"
	local out
	if [ "$1" = hived ]; then
		out=$("$B/bench/loadgen" --socket "$work/state/hive.sock" --path /proc/version --conns "$2" --seconds "$SECS")
	else
		out=$("$B/bench/loadgen" --socket "$work/diod.sock" --aname "$work/export" --uname root --path /version --conns "$2" --seconds "$SECS")
	fi
	echo "$out" | sed -E 's/.*ops_per_s=([0-9.]+) p50_us=([0-9.]+) p99_us=([0-9.]+).*/\1 \2 \3/'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo "== walk+open+read+clunk of a small file, Unix socket, ${SECS}s each"
printf '%-6s %-8s %12s %10s %10s\n' conns server ops/s p50_us p99_us
for c in 1 8; do
	read -r h_ops h_p50 h_p99 < <(run hived "$c")
	read -r d_ops d_p50 d_p99 < <(run diod "$c")
	printf '%-6s %-8s %12s %10s %10s\n' "$c" hived "$h_ops" "$h_p50" "$h_p99" "$c" diod "$d_ops" "$d_p50" "$d_p99"
	echo "ratio conns=$c: throughput hived/diod = $(ratio "$h_ops" "$d_ops")  p50 hived/diod = $(ratio "$h_p50" "$d_p50")  p99 hived/diod = $(ratio "$h_p99" "$d_p99")"
done

echo "== resident memory with 100 idle sessions"
rss() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }
h_before=$(rss "$hived_pid")
coproc IDLE { "$B/bench/loadgen" --socket "$work/state/hive.sock" --idle 100; }
read -r line <&"${IDLE[0]}"
h_after=$(rss "$hived_pid")
exec {IDLE[1]}>&-; wait "$IDLE_PID" || true
coproc IDLE2 { "$B/bench/loadgen" --socket "$work/diod.sock" --aname "$work/export" --uname root --idle 100; }
read -r line <&"${IDLE2[0]}"
d_after=$(rss "$diod_pid")
exec {IDLE2[1]}>&-; wait "$IDLE2_PID" || true
echo "hived VmRSS: ${h_before} KiB before, ${h_after} KiB with 100 idle sessions (target < 8192 KiB): $([ "$h_after" -lt 8192 ] && echo PASS || echo FAIL)"
echo "diod  VmRSS: ${d_after} KiB with 100 idle sessions; ratio hived/diod = $(ratio "$h_after" "$d_after")"

if [ -x bench/fuse.sh ]; then bench/fuse.sh "$B" "$work"; fi
