#!/usr/bin/env bash
# make bench — hived against diod (the baseline 9P server) on the same load
# generator, in one run, on loopback Unix sockets. Prints ratios; asserts
# nothing about absolute times (the machine is shared and noisy).
#
# Noise: each measurement is repeated and the median printed. The two
# servers alternate (hived first on odd repeats, diod first on even ones),
# so a burst of load from elsewhere hits both alike; the ratio printed is
# the median of the per-repeat ratios, each pairing two runs made next to
# each other in time. Context switches per operation come from
# /proc/PID/task/*/status during the timed runs (no overhead); syscalls per
# operation from a separate short run under `strace -c` (it slows the
# server down, so it is never part of the timed runs).
#
# Sections, each ending in one line "NAME: key=value ..." of its ratios (the
# baseline always measured in the same run), so a script can compare runs:
#   9p       hived against diod: throughput, latency, syscalls, idle memory
#   fuse     reading through the FUSE mount and `hive cat` (bench/fuse.sh)
#   lockout  the queen's reads while a stranger, workers and idle sessions
#            load the hive (bench/lockout.sh)
#   spawn    agents: a 31-agent workload and 31 bwrap sandboxes against
#            fork+exec, a mediated openat against a bare one (bench/spawn.sh)
#   fairshare  a quiet tenant's latency while four tenants flood the inference
#            broker, fair beside FIFO (bench/fairshare.sh)
#   audit    the audit chain: durable records/s (group commit against one
#            fdatasync a record and none), verify speed, and the audit path's
#            share of a mediated openat (bench/audit.sh)
#
#   BENCH          one section (9p, fuse, lockout, spawn, fairshare, audit; default: all of them)
#   BENCH_SECONDS  seconds per measurement (default 5)
#   BENCH_REPEATS  repeats per measurement (default 3)
#   BENCH_STRACE   0 to skip the syscall count (default 1 if strace works)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${HIVE_BUILD:-build}
SECS=${BENCH_SECONDS:-5}
REPEATS=${BENCH_REPEATS:-3}
BENCH=${BENCH:-all}
case "$BENCH" in
all | 9p | fuse | lockout | spawn | fairshare | audit) ;;
*) echo "bench: unknown section BENCH=$BENCH (9p, fuse, lockout, spawn, fairshare, audit)" >&2; exit 2 ;;
esac
want() { [ "$BENCH" = all ] || [ "$BENCH" = "$1" ]; }
work=$(mktemp -d /tmp/hive-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
            mountpoint -q "$work/mnt" 2>/dev/null && "$B/hive" mount -u "$work/mnt" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

if want 9p || want fuse; then
	mkdir -p "$work/state"
	"$B/hived" --state "$work/state" --no-tcp 2>"$work/hived.log" & pids+=($!); hived_pid=$!
	for i in $(seq 100); do [ -S "$work/state/hive.sock" ] && break; sleep 0.05; done
fi

section_9p() {
command -v diod >/dev/null || { echo "bench: diod is missing (apt-get install diod)" >&2; exit 1; }
mkdir -p "$work/export" "$work/statep"
# The same hive with the loop's busy polling on (off by default): what a
# latency-sensitive deployment buys with a CPU.
"$B/hived" --state "$work/statep" --no-tcp --busy-poll-us 100 2>"$work/hivedp.log" & pids+=($!); hivedp_pid=$!
# The baseline serves a plain file with the same content as /proc/version.
for i in $(seq 100); do [ -S "$work/statep/hive.sock" ] && break; sleep 0.05; done
"$B/hive" --socket "$work/state/hive.sock" cat /proc/version >"$work/export/version"
diod -f -n -l "$work/diod.sock" -e "$work/export" 2>"$work/diod.log" & pids+=($!); diod_pid=$!
for i in $(seq 100); do [ -S "$work/diod.sock" ] && break; sleep 0.05; done
summary="9p:"

loadgen() { # server conns seconds [depth] -> loadgen's output line
	if [ "$1" = hived ] || [ "$1" = hivedp ]; then
		local st=state; [ "$1" = hivedp ] && st=statep
		"$B/bench/loadgen" --socket "$work/$st/hive.sock" --path /proc/version --conns "$2" --seconds "$3" \
			--depth "${4:-1}"
	else
		"$B/bench/loadgen" --socket "$work/diod.sock" --aname "$work/export" --uname root --path /version \
			--conns "$2" --seconds "$3" --depth "${4:-1}"
	fi
}
pid_of() { case "$1" in hived) echo "$hived_pid" ;; hivedp) echo "$hivedp_pid" ;; *) echo "$diod_pid" ;; esac; }
ctxsw() { # pid -> context switches so far, over all its threads
	cat /proc/"$1"/task/*/status 2>/dev/null |
		awk '/^(non)?voluntary_ctxt_switches/ { n += $2 } END { print n + 0 }'
}
run() { # server conns depth -> "ops_per_s p50 p99 ctxsw_per_op"
	local out pid c0 c1
	pid=$(pid_of "$1")
	c0=$(ctxsw "$pid")
	# A run with errors (a shared machine can stall a server past the
	# client's timeout) still counts what it did; it must not end the bench.
	out=$(loadgen "$1" "$2" "$SECS" "$3") || echo "bench: loadgen against $1 reported errors" >&2
	c1=$(ctxsw "$pid")
	echo "$out" | sed -nE 's/.*ops=([0-9]+) ops_per_s=([0-9.]+) p50_us=([0-9.]+) p99_us=([0-9.]+).*/\2 \3 \4 \1/p' |
		awk -v c="$((c1 - c0))" '{ printf "%s %s %s %.1f\n", $1, $2, $3, ($4 > 0 ? c / $4 : 0) }
		                         END { if (!NR) print "0 0 0 0" }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
syscalls_per_op() { # server -> "N (top calls)": its syscalls per operation (1 conn, strace -c)
	local pid out ops
	pid=$(pid_of "$1")
	strace -c -f -q -p "$pid" -o "$work/strace.$1" 2>/dev/null & local spid=$!
	sleep 0.5
	out=$(loadgen "$1" 1 1)
	kill -INT "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	ops=$(echo "$out" | sed -E 's/.*ops=([0-9]+) .*/\1/')
	# Rows: "% time seconds usecs/call calls [errors] syscall"; calls is $4.
	awk '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { print $4, $NF }' "$work/strace.$1" 2>/dev/null |
		sort -rn | awk -v o="$ops" '{ t += $1; if (NR <= 4) top = top (NR > 1 ? ", " : "") sprintf("%s %.1f", $2, $1 / o) }
			END { if (o > 0 && t > 0) printf "%.1f (%s)", t / o, top; else printf "n/a" }'
}

echo "== walk+open+read+clunk of a small file, Unix socket, ${SECS}s each, median of $REPEATS"
echo "   (load 1 and 8: connections each doing one operation at a time; 1x16: one connection keeping"
echo "   16 Treads of the open file in flight, as a pipelining client does; ops are then reads)"
printf '%-6s %-8s %12s %10s %10s %12s   %s\n' load server ops/s p50_us p99_us ctxsw/op "per repeat: ops/s,p99_us"
compare() { # server load: one row pair and the ratios against diod
	local srv=$1 load=$2 c depth r a b e f g h i j
	c=${load%x*} depth=1
	[ "$load" = "$c" ] || depth=${load#*x}
	h_ops=() h_p50=() h_p99=() h_cs=() d_ops=() d_p50=() d_p99=() d_cs=() r_ops=() r_p50=() r_p99=()
	h_raw="" d_raw=""
	for r in $(seq "$REPEATS"); do
		if [ $((r % 2)) = 1 ]; then
			read -r a b e f < <(run "$srv" "$c" "$depth"); read -r g h i j < <(run diod "$c" "$depth")
		else
			read -r g h i j < <(run diod "$c" "$depth"); read -r a b e f < <(run "$srv" "$c" "$depth")
		fi
		h_ops+=("$a") h_p50+=("$b") h_p99+=("$e") h_cs+=("$f") h_raw+=" $a,$e"
		d_ops+=("$g") d_p50+=("$h") d_p99+=("$i") d_cs+=("$j") d_raw+=" $g,$i"
		r_ops+=("$(ratio "$a" "$g")") r_p50+=("$(ratio "$b" "$h")") r_p99+=("$(ratio "$e" "$i")")
	done
	printf '%-6s %-8s %12s %10s %10s %12s  %s\n' "$load" "$srv" "$(median "${h_ops[@]}")" "$(median "${h_p50[@]}")" \
		"$(median "${h_p99[@]}")" "$(median "${h_cs[@]}")" "$h_raw"
	printf '%-6s %-8s %12s %10s %10s %12s  %s\n' "$load" diod "$(median "${d_ops[@]}")" "$(median "${d_p50[@]}")" \
		"$(median "${d_p99[@]}")" "$(median "${d_cs[@]}")" "$d_raw"
	echo "ratio load=$load: throughput $srv/diod = $(median "${r_ops[@]}")  p50 $srv/diod = $(median "${r_p50[@]}")" \
	     " p99 $srv/diod = $(median "${r_p99[@]}")  (medians of per-repeat ratios; p99 per repeat: ${r_p99[*]})"
	local key=$load
	[ "$srv" = hived ] || key=${srv}_$load
	summary+=" thr_$key=$(median "${r_ops[@]}") p99_$key=$(median "${r_p99[@]}")"
}
for load in 1 8 1x16; do compare hived "$load"; done
echo "-- hivedp = hived --busy-poll-us 100 (polls briefly before sleeping; off by default):"
compare hivedp 1
if [ "${BENCH_STRACE:-1}" = 1 ] && command -v strace >/dev/null &&
   strace -f -q -o /dev/null true 2>/dev/null; then
	echo "syscalls per operation (4 requests), 1 conn, under strace: hived $(syscalls_per_op hived)," \
	     "diod $(syscalls_per_op diod)"
fi

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
summary+=" rss_idle100=$(ratio "$h_after" "$d_after")"
echo "$summary"
}

want 9p && section_9p
want fuse && bench/fuse.sh "$B" "$work"
want lockout && bench/lockout.sh "$B" "$work"
want spawn && bench/spawn.sh "$B" "$work"
want fairshare && bench/fairshare.sh "$B" "$work"
want audit && bench/audit.sh "$B" "$work"
exit 0
