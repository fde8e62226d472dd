#!/usr/bin/env bash
# fairshare.sh — the live fair-share benchmark: the real broker in hived,
# over HTTP, in front of the simulated engine (tests/tools/simengine); a
# quiet victim agent and four flooding agents of four other tenants, each
# a sandboxed process (`hive run`) running bench/fairload, an OpenAI
# client. Three phases on one engine: the victim alone (solo), then with
# the flooders under the fair scheduler, then under FIFO (hived
# --broker-fifo). Ends with the one line bench/run.sh promises.
#
#   bench/fairshare.sh BUILD WORKDIR
#   FAIR_SECONDS   the victim's seconds a phase (default 8)
#   FAIR_UPSTREAM  an OpenAI-compatible server to use instead of the
#                  simulated engine (URL ending in /v1); FAIR_MODEL names
#                  its model, FAIR_SLOTS its concurrency
set -euo pipefail
B=$1 W=$2/fairshare
mkdir -p "$W"
SECS=${FAIR_SECONDS:-8}
MODEL=${FAIR_MODEL:-sim}
SLOTS=${FAIR_SLOTS:-16}
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT

if [ -n "${FAIR_UPSTREAM:-}" ]; then
	UP=$FAIR_UPSTREAM
else
	# 1 ms a generated token, 20 us a prompt token, SLOTS sequences at once.
	"$B/tests/tools/simengine" --port-file "$W/sim.port" --slots "$SLOTS" --prefill-us 20 --decode-us 1000 \
		--models "$MODEL" & pids+=($!)
	for _ in $(seq 100); do [ -s "$W/sim.port" ] && break; sleep 0.05; done
	UP=http://127.0.0.1:$(cat "$W/sim.port")/v1
fi
manifest() { # tenant
	printf '{"version":1,"kind":"agent","class":"load","tenant":"%s","argv":["/bin/true"],"caps":["infer:%s"]}\n' \
		"$1" "$MODEL" >"$W/$1.json"
}
for t in quiet f1 f2 f3 f4; do manifest "$t"; done

phase() { # name flooders(0|1) [hived flags...]
	local name=$1 flood=$2; shift 2
	local st=$W/state-$name
	mkdir -p "$st"
	"$B/hived" --state "$st" --no-tcp --broker-upstream "$UP" --broker-slots "$SLOTS" --broker-models "$MODEL" \
		"$@" 2>"$W/hived-$name.log" & local hp=$!
	pids+=($hp)
	for _ in $(seq 100); do [ -s "$st/broker.port" ] && [ -S "$st/hive.sock" ] && break; sleep 0.05; done
	local fl=()
	"$B/hive" --state "$st" run -- /bin/true </dev/null >/dev/null 2>&1 # the operator key, made once
	if [ "$flood" = 1 ]; then
		for t in f1 f2 f3 f4; do
			"$B/hive" --state "$st" run --manifest "$W/$t.json" -- "$B/bench/fairload" --model "$MODEL" \
				--conc 24 --seconds $((SECS + 2)) --max-tokens 64 --prompt-bytes 256 \
				</dev/null >"$W/$name-$t.out" 2>"$W/$name-$t.err" & fl+=($!)
		done
		sleep 1
	fi
	"$B/hive" --state "$st" run --manifest "$W/quiet.json" -- "$B/bench/fairload" --model "$MODEL" --conc 1 \
		--seconds "$SECS" --max-tokens 16 --think-ms 20 --prompt-bytes 64 --lat \
		</dev/null >"$W/$name-quiet.out" 2>"$W/$name-quiet.err"
	for p in "${fl[@]}"; do wait "$p" || true; done
	kill -TERM "$hp"; wait "$hp" || true
}

echo "fairshare: engine $UP, $SLOTS slots; victim 16-token requests, 4 flooders x 24 concurrent 64-token requests; ${SECS}s a phase"
phase solo 0
phase fair 1
phase fifo 1 --broker-fifo
python3 - "$W" <<'PY'
import sys, os
w = sys.argv[1]
def load(name):
    kv, lat = {}, []
    for line in open(os.path.join(w, name + ".out")):
        if line.startswith("lat_ms"):
            lat = sorted(float(x) for x in line.split()[1:])
        elif "=" in line:
            kv = dict(p.split("=") for p in line.split())
    return kv, lat
def pct(v, p):
    return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")
res = {}
for ph in ("solo", "fair", "fifo"):
    kv, lat = load(ph + "-quiet")
    res[ph] = (pct(lat, 0.5), pct(lat, 0.99), len(lat))
    print("  %-4s victim: %4d requests  p50 %7.1f ms  p99 %7.1f ms" % (ph, len(lat), res[ph][0], res[ph][1]))
tput = {}
for ph in ("fair", "fifo"):
    xs = []
    for t in ("f1", "f2", "f3", "f4"):
        kv, _ = load("%s-%s" % (ph, t))
        xs.append(float(kv.get("tokens", 0)) / max(float(kv.get("seconds", 1)), 1e-9))
    tput[ph] = xs
    print("  %-4s flooders: tokens/s %s  refused %s" % (ph, " ".join("%.0f" % x for x in xs),
          " ".join(load("%s-%s" % (ph, t))[0].get("refused", "?") for t in ("f1", "f2", "f3", "f4"))))
xs = tput["fair"]
jain = sum(xs) ** 2 / (len(xs) * sum(x * x for x in xs)) if sum(xs) else 0
print("fairshare: victim_p99_over_p50=%.2f victim_p99_vs_solo=%.2f fifo_p99_vs_solo=%.2f flooder_tput_vs_fifo=%.2f jain=%.3f" % (
    res["fair"][1] / res["fair"][0], res["fair"][1] / res["solo"][1], res["fifo"][1] / res["solo"][1],
    sum(tput["fair"]) / sum(tput["fifo"]) if sum(tput["fifo"]) else 0, jain))
PY
