#!/usr/bin/env bash
# t1000 — the inference broker in front of the simulated engine: curl as an
# unmodified OpenAI client, from outside with a queen ticket and from inside
# agents with the OPENAI_BASE_URL / OPENAI_API_KEY their spawn gave them;
# refusals (no ticket, no infer: cap, another agent's key, weight 0, budget
# spent) are 401/403/429 with Retry-After and rows; completions are rows
# and token counts in /broker, /agent/<aid>/quota and hive ps.
. "$(dirname "$0")/lib.sh"
SIM=$HIVE_BUILD/tests/tools/simengine
W=$T_DIR/work
mkdir -p "$W"
"$SIM" --port-file "$T_DIR/sim.port" --slots 2 --prefill-us 10 --decode-us 500 &
SIM_PID=$!
trap '[ -n "$HIVE_PID" ] && kill -KILL "$HIVE_PID" 2>/dev/null; kill "$SIM_PID" 2>/dev/null' EXIT
for _ in $(seq 1 100); do [ -s "$T_DIR/sim.port" ] && break; sleep 0.05; done
SIM_PORT=$(cat "$T_DIR/sim.port")
hive_start --broker-upstream "http://127.0.0.1:$SIM_PORT/v1" --broker-slots 2 --broker-models sim,other
h() { "$HIVE" --state "$HIVE_STATE" "$@"; }
BP=$(cat "$HIVE_STATE/broker.port" 2>/dev/null)
check_match "the bound port is in <state>/broker.port" '^[1-9][0-9]*$' "$BP"
B=http://127.0.0.1:$BP/v1
log() { h cat /log/queen.log; }

# --- outside: no bearer, a bad one, a queen ticket ---------------------------
run curl -s -o /dev/null -w '%{http_code}' "$B/models"
check_eq "no bearer, not an agent: 401" 401 "$OUT"
check_match "and a deny row" 'broker .*op=infer outcome=deny reason=no-ticket status=401' "$(log)"
OBS=$(h ticket mint --role observer --ttl 600 2>/dev/null)
run curl -s -o /dev/null -w '%{http_code}' "$B/models" -H "Authorization: Bearer $OBS"
check_eq "an observer ticket is not the operator: 401" 401 "$OUT"
TK=$(h ticket mint --role queen --ttl 600 2>/dev/null)
run curl -s "$B/models" -H "Authorization: Bearer $TK"
check_match "the operator lists the models" '"id":"sim".*"id":"other"' "$OUT"
run curl -s -N "$B/completions" -H "Authorization: Bearer $TK" \
	-d '{"model":"sim","prompt":"hello there","max_tokens":4,"stream":true}'
check_eq "a completion streams: 4 chunks" 4 "$(printf '%s\n' "$OUT" | grep -c '^data: {')"
check_match "and ends with [DONE]" 'data: \[DONE\]' "$OUT"
run curl -s "$B/chat/completions" -H "Authorization: Bearer $TK" \
	-d '{"model":"sim","messages":[{"role":"user","content":"hi"}],"max_tokens":3}'
check_match "a chat completion answers with usage" '"completion_tokens":3' "$OUT"
check_match "every completion is a record" \
	'infer role=queen .*aid=- tenant=queen model=sim prompt_tokens=[0-9]+ output_tokens=4 queue_ms=[0-9]+ latency_ms=[0-9]+ status=200 outcome=done' "$(log)"
run curl -s -o /dev/null -w '%{http_code}' "$B/completions" -H "Authorization: Bearer $TK" -d '{"model":"nope"}'
check_eq "a model not served: 404" 404 "$OUT"
run curl -s -o /dev/null -w '%{http_code}' "$B/completions" -H "Authorization: Bearer $TK" -d 'not json'
check_eq "a body that is not JSON: 400" 400 "$OUT"
check_match "/broker/tenants/queen/usage counts" 'requests=2 refused=0 prompt_tokens=[0-9]+ output_tokens=7' \
	"$(h cat /broker/tenants/queen/usage)"
check_match "/broker/tenants/queen/latency is a histogram" 'le_ms=1 [0-9]+.*le_ms=inf [0-9]+' \
	"$(h cat /broker/tenants/queen/latency | tr '\n' ' ')"
check_eq "/broker/models" "sim other" "$(h cat /broker/models | tr '\n' ' ' | sed 's/ $//')"

# --- inside agents ------------------------------------------------------------
cd "$W" || exit 1
manifest() { # tenant caps-json
	printf '{"version":1,"kind":"agent","class":"c","tenant":"%s","argv":["/bin/true"],"caps":%s}\n' "$1" "$2"
}
manifest lab '["infer:sim"]' >lab.json
manifest lab '["infer:other"]' >nocap.json
manifest ops '["infer:sim"]' >ops.json
arun() { h run --exec /usr/bin/curl "$@"; }
if ! h run -- /bin/true >/dev/null 2>&1; then
	echo "# skipped: this hived cannot spawn agents"
	finish
fi
run arun --manifest lab.json -- /bin/sh -c \
	'case $OPENAI_BASE_URL in http://127.0.0.1:*/v1) ;; *) exit 9;; esac; /usr/bin/curl -sS "$OPENAI_BASE_URL/models" -H "Authorization: Bearer $OPENAI_API_KEY"'
check_eq "an agent's curl exits 0" 0 "$RC"
check_match "an agent with infer:sim gets the models it may use" '"data":\[\{"id":"sim"' "$OUT"
run arun --manifest lab.json -- /bin/sh -c \
	'/usr/bin/curl -sS -N "$OPENAI_BASE_URL/chat/completions" -H "Authorization: Bearer $OPENAI_API_KEY" -d "{\"model\":\"sim\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":5,\"stream\":true}"'
check_eq "an agent's completion streams: 5 chunks" 5 "$(printf '%s\n' "$OUT" | grep -c '^data: {')"
AID=$(log | sed -n 's/.*infer role=worker subject=\(a-[0-9]*\) .*tenant=lab .*output_tokens=5 .*/\1/p' | tail -1)
check_match "the record names the agent, its tenant, the tokens" '^a-[0-9]+$' "$AID"
check_match "its token spend is in /agent/<aid>/quota" 'tokens_used=[1-9]' "$(h cat "/agent/$AID/quota" 2>&1)"
check_match "hive ps has a TOKENS column" ' TOKENS$' "$(h ps | head -1)"
check_match "with the agent's spend" ' [1-9][0-9]*$' "$(h ps | grep "^$AID ")"

run arun --manifest nocap.json -- /bin/sh -c \
	'/usr/bin/curl -sS -w "%{http_code}" -o /dev/null "$OPENAI_BASE_URL/completions" -H "Authorization: Bearer $OPENAI_API_KEY" -d "{\"model\":\"sim\",\"prompt\":\"x\"}"'
check_eq "an agent without infer:sim: 403" 403 "$OUT"
check_match "a deny row naming the agent" 'broker role=worker subject=a-[0-9]+ .*object=sim op=infer outcome=deny reason=no-capability status=403' "$(log)"
check_match "and it went inference-blocked" 'new=inference-blocked reason=no-capability' "$(log)"

# Another agent's key: one prints its own, the other bears it.
run h run --manifest lab.json -- /bin/sh -c 'printf %s "$OPENAI_API_KEY"'
KEY=$OUT
check_match "an agent's key is its own (hk-...)" '^hk-[0-9a-f]{64}$' "$KEY"
run arun --manifest lab.json -- /bin/sh -c \
	'/usr/bin/curl -sS -w "%{http_code}" -o /dev/null "$OPENAI_BASE_URL/models" -H "Authorization: Bearer $1"' sh "$KEY"
check_eq "the key of another agent is refused: 401" 401 "$OUT"
check_match "with a row" 'op=infer outcome=deny reason=bad-key status=401' "$(log)"
run curl -s -o /dev/null -w '%{http_code}' "$B/models" -H "Authorization: Bearer $KEY"
check_eq "an agent's key from outside any agent is refused: 401" 401 "$OUT"

# --- weight 0, an exhausted budget -------------------------------------------
check "hive broker weight ops 0" h broker weight ops 0
check_eq "/broker/tenants/ops/weight" 0 "$(h cat /broker/tenants/ops/weight)"
run arun --manifest ops.json -- /bin/sh -c \
	'/usr/bin/curl -sS -i "$OPENAI_BASE_URL/completions" -H "Authorization: Bearer $OPENAI_API_KEY" -d "{\"model\":\"sim\",\"prompt\":\"x\"}"'
check_match "weight 0: 429" '^HTTP/1.1 429' "$OUT"
check_match "with Retry-After" 'Retry-After: [1-9]' "$OUT"
check_match "and a row" 'op=infer outcome=deny reason=weight-0 status=429 .*tenant=ops' "$(log)"
check "weight ops 100" h write /broker/ctl 'weight ops 100'
check "hive broker budget ops 20 20 (tokens a minute, burst)" h broker budget ops 20 20
check_match "/broker/tenants/ops/budget" 'tokens_per_minute=20 burst=20' "$(h cat /broker/tenants/ops/budget)"
run arun --manifest ops.json -- /bin/sh -c \
	'for i in 1 2; do /usr/bin/curl -sS -i "$OPENAI_BASE_URL/completions" -H "Authorization: Bearer $OPENAI_API_KEY" -d "{\"model\":\"sim\",\"prompt\":\"x\",\"max_tokens\":50}"; done'
check_match "the first request spends the bucket: 200" '^HTTP/1.1 200' "$OUT"
check_match "budget spent: 429" 'HTTP/1.1 429' "$OUT"
check_match "with Retry-After" 'Retry-After: [1-9]' "$OUT"
check_match "and a row" 'op=infer outcome=deny reason=budget status=429 .*tenant=ops' "$(log)"
run h write /broker/ctl 'weight ops lots'
check_eq "a bad ctl line is refused" 1 "$([ "$RC" -ne 0 ] && echo 1)"
run h broker weight ops x
check_eq "hive broker: a weight that is not a number is a usage error" 2 "$RC"
run h broker ls
check_match "hive broker ls: one line a tenant" '^ops +100 +tokens_per_minute=20 burst=20 +requests=1 refused=[1-9]' "$(printf '%s\n' "$OUT" | grep '^ops ')"
check_match "and the others" '^lab +100 ' "$(printf '%s\n' "$OUT" | grep '^lab ')"
check_match "/proc/pressure counts infer refusals" 'infer' "$(h cat /proc/pressure)"
finish
