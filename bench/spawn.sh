#!/usr/bin/env bash
# Part of `make bench` (called by bench/run.sh with the build dir and a work
# dir): what an agent costs, as ratios to plain fork+exec of the same
# program measured in the same run (bench/spawnbench.c does the timing).
#
#   swarm31   `spawn` of a signed workload of 31 agents of /usr/bin/true on
#             /queen/ctl until every one is active (or already exited),
#             against 31 parallel fork+exec of /usr/bin/true until all exit
#   bwrap31   31 parallel `bwrap --ro-bind / / --dev /dev --proc /proc
#             --unshare-all --die-with-parent -- /usr/bin/true`, the way
#             Codex runs its sandbox, against the same fork+exec
#   open      one openat of an allowed file inside `hive run --read DIR`
#             (the supervisor's round trip and bookkeeping) against the
#             same open bare, p50 and p99 of BENCH_SPAWN_OPENS opens
#
# Rounds interleave the variants; each ratio is the median of the per-round
# ratios. A part the hive cannot run yet (no spawn, no `hive run`) prints
# n/a. Ends with the line
# "spawn: swarm31_vs_forkexec=R bwrap31_vs_forkexec=R open_p50_vs_bare=R open_p99_vs_bare=R".
set -euo pipefail
B=$1 work=$2
ROUNDS=${BENCH_SPAWN_ROUNDS:-5}
OPENS=${BENCH_SPAWN_OPENS:-20000}
N=31
SB=$B/bench/spawnbench
PROG=/usr/bin/true
st=$work/spawnstate
mkdir -p "$st" "$work/open"
# Agents run as their own uids: what they touch must be reachable.
chmod 755 "$work" "$work/open"
echo data >"$work/open/file"
chmod 644 "$work/open/file"

"$B/hived" --state "$st" --no-tcp 2>"$work/spawn-hived.log" &
hived=$!
trap 'kill "$hived" 2>/dev/null; wait "$hived" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -S "$st/hive.sock" ] && break; sleep 0.05; done
h() { "$B/hive" --state "$st" --socket "$st/hive.sock" "$@"; }
h key new >/dev/null 2>&1
h trust add "$st/keys/operator.pub" >/dev/null
printf '{"version": 1, "kind": "workload", "name": "bench", "tenant": "bench", "classes": [\n  {"class": "true", "count": %d, "argv": ["%s"]}\n]}\n' \
	"$N" "$PROG" >"$work/swarm.json"
h manifest sign "$work/swarm.json" >/dev/null

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b <= 0) print "n/a"; else printf "%.2f", a / b }'; }
median() {
	printf '%s\n' "$@" | { grep -v '^n/a$' || true; } | sort -g |
		awk '{ v[NR] = $1 } END { if (!NR) print "n/a"; else print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
swarm() { # -> microseconds, or n/a when the hive cannot spawn (said once)
	local out
	[ -e "$work/swarm.off" ] && { echo n/a; return; }
	if out=$("$SB" swarm "$st/hive.sock" "$work/swarm.json" 2>"$work/swarm.err") && [ "${out#* }" = "$N" ]; then
		echo "${out% *}"
	else
		touch "$work/swarm.off"
		echo "bench: spawn unavailable: $(head -1 "$work/swarm.err")" >&2
		echo n/a
	fi
}

echo "== spawn: $N at once until all active/exited, $ROUNDS rounds (us; ratio to fork+exec in the same round)"
printf '%-6s %12s %12s %12s %10s %10s\n' round forkexec bwrap swarm bwrap/fe swarm/fe
r_bw=() r_sw=()
for r in $(seq "$ROUNDS"); do
	fe=$("$SB" par "$N" "$PROG")
	bw=$("$SB" par "$N" /usr/bin/bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all --die-with-parent -- "$PROG")
	sw=$(swarm)
	# The swarm's agents exit at once; let the hive reap them before the
	# next round so rounds do not overlap.
	[ "$sw" = n/a ] || sleep 0.5
	r_bw+=("$(ratio "$bw" "$fe")") r_sw+=("$(ratio "$sw" "$fe")")
	printf '%-6s %12s %12s %12s %10s %10s\n' "$r" "$fe" "$bw" "$sw" "${r_bw[-1]}" "${r_sw[-1]}"
done
swarm_r=$(median "${r_sw[@]}") bwrap_r=$(median "${r_bw[@]}")
echo "swarm$N/forkexec = $swarm_r (goal <= 1.5)   bwrap$N/forkexec = $bwrap_r"

echo "== openat of an allowed file, $OPENS opens, bare and inside \`hive run --read\` (ns)"
printf '%-6s %10s %10s %10s %10s %8s %8s\n' round bare_p50 bare_p99 hive_p50 hive_p99 p50_x p99_x
r_p50=() r_p99=()
open_ok=1
for r in $(seq 3); do
	read -r b50 b99 < <("$SB" open "$OPENS" "$work/open/file")
	m50=n/a m99=n/a
	if [ "$open_ok" = 1 ]; then
		if out=$(h run --read "$work/open" -- "$SB" open "$OPENS" "$work/open/file" 2>"$work/open.err") &&
		   [ -n "$out" ]; then
			read -r m50 m99 <<<"$out"
		else
			open_ok=0
			echo "bench: hive run unavailable: $(head -1 "$work/open.err")" >&2
		fi
	fi
	r_p50+=("$(ratio "$m50" "$b50")") r_p99+=("$(ratio "$m99" "$b99")")
	printf '%-6s %10s %10s %10s %10s %8s %8s\n' "$r" "$b50" "$b99" "$m50" "$m99" "${r_p50[-1]}" "${r_p99[-1]}"
done
p50_r=$(median "${r_p50[@]}") p99_r=$(median "${r_p99[@]}")
echo "mediated/bare openat: p50 $p50_r (goal <= 5), p99 $p99_r"
echo "spawn: swarm31_vs_forkexec=$swarm_r bwrap31_vs_forkexec=$bwrap_r open_p50_vs_bare=$p50_r open_p99_vs_bare=$p99_r"
