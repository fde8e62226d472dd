#!/usr/bin/env bash
# t1110 — GPU leases on a real hived with the bridge on the fake NVML:
# two agents contend for one exclusive GPU (one is granted, the other is
# refused with a reason or queued, and the rows show the order); an agent
# without gpu.lease is refused; the lease shows in /agent/<aid>/quota and
# opens the GPU's files to its holder; release hands the GPU to the next
# in line; an agent past its lease's memory is killed by policy and the row
# names it; expiry and revocation end a lease, each with its row.
. "$(dirname "$0")/lib.sh"
BRIDGE=$HIVE_BUILD/hive-gpu-bridge
FAKE=$HIVE_BUILD/tests/tools/fakenvml
W=$T_DIR/work
mkdir -p "$W"
hive_start
h() { "$HIVE" --socket "$HIVE_SOCK" "$@"; }
ht() { "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" --ticket-file "$1" "${@:2}"; }
wait_for() { # PATH REGEX: up to 5 s
	local i
	for i in $(seq 1 100); do
		h cat "$1" 2>/dev/null | grep -Eq -- "$2" && return 0
		sleep 0.05
	done
	return 1
}
lease() { # AID MEM TTL MODE [EXTRA]: the queen's request for an agent
	printf '{"schema":"gpu-lease/v1","agent":"%s","mem_mb":%s,"ttl_s":%s,"mode":"%s"%s}' "$@"
}

SC=$W/scenario
echo "gpus=1" >"$SC"
FAKENVML_FILE=$SC LD_LIBRARY_PATH=$FAKE/full "$BRIDGE" --socket "$HIVE_SOCK" --interval 100 2>"$W/bridge.err" &
BPID=$!
check "GPU 0 is published" wait_for /gpu/0/status '^state=ok'

"$HIVE" --state "$HIVE_STATE" key new >/dev/null 2>&1 &&
	"$HIVE" --state "$HIVE_STATE" trust add "$HIVE_STATE/keys/operator.pub" >/dev/null
SLEEP=$(command -v sleep)
printf '{"version":1,"kind":"agent","class":"trainer","argv":["%s","60"],"caps":["gpu.lease"]}\n' "$SLEEP" >"$W/gpu.json"
printf '{"version":1,"kind":"agent","class":"plain","argv":["%s","60"]}\n' "$SLEEP" >"$W/plain.json"
"$HIVE" --state "$HIVE_STATE" manifest sign "$W/gpu.json" >/dev/null
"$HIVE" --state "$HIVE_STATE" manifest sign "$W/plain.json" >/dev/null
run h spawn "$W/gpu.json"
if [ "$RC" != 0 ]; then
	ok "leases # SKIP this hived cannot spawn agents here: $ERR"
	kill -TERM "$BPID"; wait "$BPID"
	finish
fi
A1=$OUT
A2=$(h spawn "$W/gpu.json")
A3=$(h spawn "$W/plain.json")
check_match "three agents" '^a-[0-9]+ a-[0-9]+ a-[0-9]+$' "$A1 $A2 $A3"
for a in "$A1" "$A2" "$A3"; do
	h ticket mint --role worker --subject "$a" --ttl 600 --state "$HIVE_STATE" >"$W/$a.ticket" 2>/dev/null
done
req() { printf '{"schema":"gpu-lease/v1","mem_mb":%s,"ttl_s":%s,"mode":"%s"%s}' "$@"; }

# Two agents, one exclusive GPU.
check "$A1 asks for GPU 0 exclusively: granted" ht "$W/$A1.ticket" write /gpu/0/lease "$(req 1000 60 exclusive '')"
run ht "$W/$A2.ticket" write /gpu/0/lease "$(req 1000 60 exclusive ',"wait":false')"
check_eq "$A2 asking without waiting is refused" 1 "$((RC != 0))"
check_match "EBUSY" 'busy' "$ERR"
check_match "the refusal is a deny row naming the holder" "ctl role=worker subject=$A2 .*object=/gpu/0/lease op=ctl outcome=deny reason=gpu-busy aid=$A2 held-exclusive holder=$A1" "$(h cat /log/queen.log)"
check "$A2 asking and waiting is queued" ht "$W/$A2.ticket" write /gpu/0/lease "$(req 2000 60 exclusive '')"
run h cat /gpu/0/lease
check_match "the queen sees $A1 ACTIVE" "\"state\":\"ACTIVE\",\"gpu_id\":\"0\",\"worker_id\":\"$A1\",\"mem_mb\":1000" "$OUT"
check_match "and $A2 QUEUED" "\"state\":\"QUEUED\",\"gpu_id\":\"0\",\"worker_id\":\"$A2\"" "$OUT"
run ht "$W/$A2.ticket" cat /gpu/0/lease
check_eq "$A2 sees only its own lease" 1 "$(printf '%s\n' "$OUT" | grep -c worker_id)"
check_fail "$A2 (queued) does not see GPU 0's info" ht "$W/$A2.ticket" cat /gpu/0/info
check "$A1 (holder) reads GPU 0's info" ht "$W/$A1.ticket" cat /gpu/0/info
run ht "$W/$A1.ticket" cat /gpu/0/lease
check_match "its lease names CUDA_VISIBLE_DEVICES" '"cuda_visible_devices":"0"' "$OUT"
check_match "/agent/$A1/quota shows its GPU memory" '^gpu_memory_mb=1000$' "$(h cat /agent/$A1/quota)"
check_match "and says what each tier's enforcement is" 'enforced.disk_max=no' "$(h cat /agent/$A1/quota)"
check_fail "$A3 (no gpu.lease) is refused" ht "$W/$A3.ticket" write /gpu/0/lease "$(req 10 60 shared '')"
check_match "with a deny row" "reason=no-capability aid=$A3 cap=gpu.lease" "$(h cat /log/queen.log)"
check_fail "a worker cannot ask for another agent" ht "$W/$A3.ticket" write /gpu/0/lease "$(lease "$A1" 10 60 shared '')"

# Release: the GPU goes to the next in line; the rows show the order.
check "$A1 releases" ht "$W/$A1.ticket" write /gpu/0/lease release
check "$A2 is granted from the queue" wait_for /gpu/0/lease "\"state\":\"ACTIVE\",\"gpu_id\":\"0\",\"worker_id\":\"$A2\""
ROWS=$(h cat /log/queen.log | grep -E 'gpu .*object=/gpu/0/lease lease=' | sed -E 's/.* lease=([a-z]+) aid=([a-z0-9-]+).*/\1 \2/')
check_eq "rows: grant $A1, queue $A2, release $A1, grant $A2" "grant $A1
queue $A2
release $A1
grant $A2" "$ROWS"
check "$A2 now reads GPU 0's info" ht "$W/$A2.ticket" cat /gpu/0/info

# Over its lease: the bridge reports the process, the hive kills the agent.
PID2=$(h cat /proc/agents | grep "aid=$A2 " | sed -E 's/.* pid=([0-9]+).*/\1/')
check_match "$A2 has a pid" '^[0-9]+$' "$PID2"
echo "gpus=1 proc=0:$PID2:2500" >"$SC"
check "$A2 (2500 MiB on a 2000 MiB lease) is killed" wait_for /proc/agents "aid=$A2 .*state=terminated-revoked"
check_match "the row names the agent, its use and its lease" "lease=violation aid=$A2 pid=$PID2 used_mb=2500 lease_mb=2000 reason=over-lease action=kill" "$(h cat /log/queen.log)"
check_match "and its lease ended" "lease=revoke aid=$A2 was=active reason=violation" "$(h cat /log/queen.log)"
echo "gpus=1" >"$SC"

# Expiry and revocation.
check "the queen grants $A1 a 1 s lease" h write /gpu/0/lease "$(lease "$A1" 100 1 shared '')"
check "it expires" wait_for /log/queen.log "lease=expire aid=$A1 was=active reason=ttl"
check "the queen grants $A1 another" h write /gpu/0/lease "$(lease "$A1" 100 60 shared '')"
check "and revokes it" h write /gpu/0/lease "revoke $A1 test"
check_match "the revocation is a row" "lease=revoke aid=$A1 was=active reason=test" "$(h cat /log/queen.log)"
check_match "/agent/$A1/quota is back to 0" '^gpu_memory_mb=0$' "$(h cat /agent/$A1/quota)"
check_fail "a bad request is refused" h write /gpu/0/lease '{"schema":"gpu-lease/v1","mem_mb":1,"ttl_s":1,"mode":"hog","agent":"a-1"}'
kill -TERM "$BPID"
wait "$BPID"
finish
