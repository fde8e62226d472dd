#!/usr/bin/env bash
# Part of `make bench` (called by bench/run.sh with the build dir and a work
# dir holding a running hived): the cost of reading /proc/version through
# the FUSE mount (`cat MNT/proc/version`) and through `hive cat`, each as a
# ratio to the same read over a bare, already attached 9P session
# (loadgen: walk+open+read+clunk). A `cat` of a local file is measured too,
# since both tool paths pay for starting a process. Ends with the line
# "fuse: fuse_ratio=… hcat_ratio=… local_cat_ratio=…" (each to bare 9P).
set -euo pipefail
B=$1 work=$2
N=${BENCH_FUSE_N:-300}
sock=$work/state/hive.sock
mnt=$work/mnt
mkdir -p "$mnt"
if [ ! -e /dev/fuse ]; then echo "== FUSE: skipped (/dev/fuse missing)"; echo "fuse: skipped=no-dev-fuse"; exit 0; fi
"$B/hive" --socket "$sock" mount "$mnt"
trap '"$B/hive" mount -u "$mnt" 2>/dev/null || true' EXIT
cp "$mnt/proc/version" "$work/local-version"

per_op_us() { # command... -> microseconds per run, N runs
	local t0 t1
	t0=$(date +%s%N)
	for _ in $(seq "$N"); do "$@" >/dev/null; done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / N / 1000))
}
bare=$("$B/bench/loadgen" --socket "$sock" --path /proc/version --conns 1 --seconds 3 |
	sed -E 's/.*ops_per_s=([0-9.]+).*/\1/' | awk '{ printf "%.1f", 1e6 / $1 }') || true
fuse=$(per_op_us cat "$mnt/proc/version")
hcat=$(per_op_us "$B/hive" --socket "$sock" cat /proc/version)
local_cat=$(per_op_us cat "$work/local-version")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }
echo "== reading /proc/version, $N runs each (per read)"
printf '%-34s %10s us  ratio to bare 9P\n' path time
printf '%-34s %10s us  %s\n' "bare 9P session (loadgen)" "$bare" 1.0
printf '%-34s %10s us  %s\n' "cat through hive mount (FUSE)" "$fuse" "$(ratio "$fuse" "$bare")"
printf '%-34s %10s us  %s\n' "hive cat (connect+attach+read)" "$hcat" "$(ratio "$hcat" "$bare")"
printf '%-34s %10s us  %s\n' "cat of a local file (spawn only)" "$local_cat" "$(ratio "$local_cat" "$bare")"
echo "FUSE overhead net of process start: $((fuse - local_cat)) us per read"
echo "fuse: fuse_ratio=$(ratio "$fuse" "$bare") hcat_ratio=$(ratio "$hcat" "$bare") local_cat_ratio=$(ratio "$local_cat" "$bare")"
