#!/usr/bin/env bash
# t1100 — hive-gpu-bridge against a real hived and the fake
# libnvidia-ml.so.1 (tests/tools/fakenvml, found through LD_LIBRARY_PATH):
# /gpu/<id>/{info,status}, the telemetry schema and the models dir appear;
# a GPU that disappears, NVML errors, missing symbols and an absent library
# are reported and the bridge recovers, never crashes; only the queen can
# publish; the models pointer is a CAS file whose swaps are rows, and two
# writers racing with the same expected value: exactly one wins, 100 times.
. "$(dirname "$0")/lib.sh"
BRIDGE=$HIVE_BUILD/hive-gpu-bridge
FAKE=$HIVE_BUILD/tests/tools/fakenvml
W=$T_DIR/work
mkdir -p "$W/models/available/llama-7b" "$W/models/available/vision-base-v1"
printf 'name = "llama-7b"\nweights = "sha256:00"\n' >"$W/models/available/llama-7b/manifest.toml"
printf 'name = "vision-base-v1"\n' >"$W/models/available/vision-base-v1/manifest.toml"
hive_start
h() { "$HIVE" --socket "$HIVE_SOCK" "$@"; }
SC=$W/scenario
echo "gpus=2 proc=0:4242:300" >"$SC"

# wait_for PATH REGEX: up to 5 s for the file to match.
wait_for() {
	local i
	for i in $(seq 1 100); do
		h cat "$1" 2>/dev/null | grep -Eq -- "$2" && return 0
		sleep 0.05
	done
	return 1
}

FAKENVML_FILE=$SC LD_LIBRARY_PATH=$FAKE/full "$BRIDGE" --socket "$HIVE_SOCK" --interval 100 \
	--models "$W/models" 2>"$W/bridge.err" &
BPID=$!
check "the bridge publishes /gpu/1/status" wait_for /gpu/1/status '^state=ok'
run h cat /gpu/0/info
check_match "info is Cohesix's JSON with the UUID" '"uuid": "GPU-fa4e0000-0000-0000-0000-000000000000"' "$OUT"
check_match "info names the GPU, escaped" '"name": "Fake \\"GPU\\" 0"' "$OUT"
check_match "info has memory_mb" '"memory_mb": 16384' "$OUT"
run h cat /gpu/0/status
check_match "status has Cohesix's nvidia line" '^util_pct=30 mem_used_mb=400 mem_total_mb=16384 temp_c=50 power_w=150$' "$OUT"
check_match "status lists the process" '^proc pid=4242 mem_mb=300$' "$OUT"
run h cat /gpu/telemetry/schema.json
check_match "the telemetry schema is gpu-telemetry/v1" '"schema_version": "gpu-telemetry/v1"' "$OUT"
run h ls /gpu/models/available
check_match "the models dir is published" 'llama-7b/' "$OUT"
run h cat /gpu/models/available/llama-7b/manifest
check_eq "a model's manifest is its bytes" "$(cat "$W/models/available/llama-7b/manifest.toml")" "$OUT"
run h cat /gpu/bridge/status
check_match "the bridge status says ok and 2 gpus" 'state=ok.*gpus=2' "$(echo $OUT)"

# A GPU that disappears: published lost, a row says so; it comes back.
echo "gpus=1" >"$SC"
check "a GPU gone from NVML is published lost" wait_for /gpu/1/status '^state=lost reason=gone'
check_match "its change of state is a row" 'gpu .*object=/gpu/1 state=lost old=ok' "$(h cat /log/queen.log)"
echo "gpus=2 lost=0" >"$SC"
check "GPU_IS_LOST marks that GPU lost" wait_for /gpu/0/status '^state=lost reason=name:gpu-is-lost'
check "and leaves the other one ok" wait_for /gpu/1/status '^state=ok'
# NVML errors: the device count fails; every GPU lost, the bridge lives.
echo "count=999" >"$SC"
check "a failing device count makes the GPUs lost" wait_for /gpu/1/status 'reason=nvml-unavailable'
check "the bridge survives NVML errors" kill -0 "$BPID"
echo "gpus=2" >"$SC"
check "and recovers when NVML does" wait_for /gpu/0/status '^state=ok'
check "GPU 1 too" wait_for /gpu/1/status '^state=ok'
kill -TERM "$BPID"
wait "$BPID"
check_eq "the bridge exits 0 on SIGTERM" 0 "$?"
check_match "it said what went wrong, once" 'device count: unknown \(999\)' "$(cat "$W/bridge.err")"

# Missing symbols: optional ones unknown; a required one reported, no crash.
FAKENVML="gpus=1" LD_LIBRARY_PATH=$FAKE/minimal "$BRIDGE" --socket "$HIVE_SOCK" --rounds 1 2>"$W/min.err"
check_eq "a bridge on an NVML without the optional calls exits 0" 0 "$?"
run h cat /gpu/0/status
check_match "its fields are unknown" '^util_pct=unknown mem_used_mb=100 mem_total_mb=16384 temp_c=unknown power_w=unknown$' "$OUT"
run env FAKENVML="gpus=1" LD_LIBRARY_PATH=$FAKE/broken "$BRIDGE" --socket "$HIVE_SOCK" --rounds 2 --interval 10
check_eq "a bridge on an NVML without a required symbol exits 0" 0 "$RC"
check_match "and names the symbol" 'lacks nvmlDeviceGetUUID' "$ERR"
run env HIVE_NVML_LIBRARY=/nonexistent/libnvidia-ml.so.1 "$BRIDGE" --socket "$HIVE_SOCK" --rounds 1
check_eq "a bridge without NVML exits 0" 0 "$RC"
check_match "and says NVML is absent" 'nvml absent' "$ERR"
run "$BRIDGE" --socket "$HIVE_SOCK" --mock 3 --rounds 1
check_eq "--mock 3 publishes" 0 "$RC"
run h cat /gpu/2/info
check_match "the mock's third GPU" '"name": "Mock 4090"' "$OUT"

# Only the queen publishes. Over TCP: a queen ticket works, a worker's cannot
# even see the channel, an observer's cannot write it.
QT=$W/queen.ticket WT=$W/worker.ticket OT=$W/observer.ticket
h ticket mint --role queen --subject gpu-bridge --ttl 600 --state "$HIVE_STATE" >"$QT" 2>/dev/null
h ticket mint --role worker --subject a-9 --ttl 600 --state "$HIVE_STATE" >"$WT" 2>/dev/null
h ticket mint --role observer --subject eye --ttl 600 --state "$HIVE_STATE" >"$OT" 2>/dev/null
run "$BRIDGE" --tcp "127.0.0.1:$HIVE_TCP_PORT" --ticket-file "$QT" --mock 1 --rounds 1
check_eq "the bridge attaches over TCP with a queen ticket" 0 "$RC"
check_match "as the queen gpu-bridge" 'attach role=queen subject=gpu-bridge .*outcome=allow transport=tcp' "$(h cat /log/queen.log)"
ht() { "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" --ticket-file "$1" "${@:2}"; }
check_fail "a worker cannot publish" ht "$WT" write /gpu/bridge/ctl 'put 0/status'
check_fail "a worker without a lease does not see a GPU's info" ht "$WT" cat /gpu/0/info
run ht "$WT" ls /gpu
check_match "but sees /gpu" '^0/' "$OUT"
run ht "$OT" cat /gpu/0/status
check_eq "an observer reads a GPU's status" 0 "$RC"
check_fail "an observer cannot publish" ht "$OT" write /gpu/bridge/ctl 'put 0/status'
check_match "the refusals are deny rows" 'deny role=worker subject=a-9 .*object=/gpu/bridge' "$(h cat /log/queen.log)"
run h write /gpu/bridge/ctl 'put ../x/status'
check_eq "a bad path is refused" 1 "$RC"
check_match "EINVAL" 'Invalid argument' "$ERR"

# The models pointer: cas only; the old and the new value are the row.
run h write /gpu/models/active 'cas "" llama-7b'
check_eq "cas from empty to llama-7b" 0 "$RC"
run h write /gpu/models/active 'cas "" vision-base-v1'
check_eq "a stale expected value fails" 1 "$RC"
check_match "EBUSY (9P2000.L carries the code; the console the message)" 'busy' "$ERR"
run h write /gpu/models/active 'vision-base-v1'
check_eq "a plain write is refused" 1 "$RC"
check_match "the swap is a row with old and new" 'cas role=queen .*object=/gpu/models/active old="" new=llama-7b' "$(h cat /log/queen.log)"
check_fail "a worker cannot swap the pointer" ht "$WT" write /gpu/models/active 'cas llama-7b x'

# Two writers racing with the same expected value, 100 times.
cur=llama-7b races=0 bad=0
for i in $(seq 1 100); do
	h write /gpu/models/active "cas $cur a-$i" 2>/dev/null &
	p1=$!
	h write /gpu/models/active "cas $cur b-$i" 2>/dev/null &
	p2=$!
	r1=0 r2=0
	wait $p1 || r1=1
	wait $p2 || r2=1
	now=$(h cat /gpu/models/active)
	want=a-$i
	[ "$r1" = 0 ] || want=b-$i
	if [ $((r1 + r2)) -eq 1 ] && [ "$now" = "$want" ]; then
		races=$((races + 1))
	else
		bad=$((bad + 1)); echo "# round $i: r1=$r1 r2=$r2 now=$now"
	fi
	cur=$now
done
check_eq "exactly one writer wins, 100 rounds in a row" 100 "$races"
check_eq "100 swaps, 100 rows" 101 "$(h cat /log/queen.log | grep -c 'cas role=queen .*object=/gpu/models/active')"
finish
