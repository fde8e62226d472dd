#!/usr/bin/env bash
# bench/audit.sh B WORK — the audit chain's section of `make bench`:
#   durable_rps     records/s the writer makes durable by group commit
#                   (one write + one fdatasync per batch), on ext4 here
#   fsync_each_rps  the same with one fdatasync per record
#   nosync_rps      the same with no fdatasync at all
#   verify_rps      records/s h6's offline verifier checks (bench/audit_verify,
#                   else `hive audit verify` timed on the log above)
#   open_overhead   the audit path's share of a mediated openat: the loop's
#                   cost of one record (audit_append, measured in-process by
#                   audit_bench) over the latency of one openat an agent makes
#                   that the supervisor refuses (audit_openloop under `hive
#                   run`; each refusal appends exactly one record). The writer
#                   runs on another thread and is not on the call's path.
#                   Not "with and without audit": hived has no audit-off
#                   switch, on purpose (a log that can be turned off fails open).
# Ends with: audit: durable_rps=N fsync_each_rps=N nosync_rps=N verify_rps=N open_overhead=R
set -euo pipefail
B=$1
work=$2/audit
mkdir -p "$work"
N=${BENCH_AUDIT_RECORDS:-200000}

echo "== audit: the writer on $(df -T "$work" | awk 'NR == 2 { print $2 }') ($N records)"
line=$("$B/bench/audit_bench" "$work/w" "$N" 2>/dev/null)
echo "$line"
val() { printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
durable=$(val durable_rps) each=$(val fsync_each_rps) nosync=$(val nosync_rps) append_ns=$(val append_ns)
records=$(val records)

if [ -x "$B/bench/audit_verify" ]; then
	vline=$("$B/bench/audit_verify" -n "${BENCH_AUDIT_VERIFY_RECORDS:-1000000}" -d "$work" 2>/dev/null | tail -1)
	echo "$vline"
	verify=$(printf '%s\n' "$vline" | tr ' ' '\n' | sed -n 's/^verify_rps=//p')
else
	t0=$(date +%s%N)
	"$B/hive" audit verify --state "$work/w/state" >"$work/verify.out" 2>&1 || { cat "$work/verify.out" >&2; exit 1; }
	t1=$(date +%s%N)
	total=$(sed -n 's/^ok: \([0-9]*\) records.*/\1/p' "$work/verify.out")
	verify=$(awk -v n="$total" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }')
	echo "hive audit verify: $total records in $(((t1 - t0) / 1000000)) ms (process start included)"
fi

open_overhead=NA
mkdir -p "$work/state"
"$B/hived" --state "$work/state" --no-tcp 2>"$work/hived.log" &
hpid=$!
for i in $(seq 100); do [ -S "$work/state/hive.sock" ] && break; sleep 0.05; done
if oline=$("$B/hive" --state "$work/state" run --exec "$(cd "$B/bench" && pwd)" -- \
	"$(cd "$B/bench" && pwd)/audit_openloop" "${BENCH_AUDIT_OPENS:-2000}" /etc/shadow 2>"$work/run.err"); then
	echo "mediated openat (refused, one record each): $oline"
	open_ns=$(printf '%s\n' "$oline" | tr ' ' '\n' | sed -n 's/^open_ns=//p')
	open_overhead=$(awk -v a="$append_ns" -v o="$open_ns" 'BEGIN { printf "%.3f", a / o }')
	echo "audit path on the loop: ${append_ns} ns per record = $open_overhead of a mediated openat (goal <= 0.10)"
else
	echo "hive run could not start the open loop here: $(head -1 "$work/run.err")"
fi
kill -TERM "$hpid" 2>/dev/null; wait "$hpid" 2>/dev/null || true
echo "audit: durable_rps=$durable fsync_each_rps=$each nosync_rps=$nosync verify_rps=$verify open_overhead=$open_overhead"
