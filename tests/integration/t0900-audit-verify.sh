#!/usr/bin/env bash
# t0900 — `hive audit` on a log auditmk writes with the trust library (the
# daemon's writer is separate): verify with the key alone and with K0,
# tail/query/export/prove/checkpoint; independent oracles (b3sum recomputes
# the chain, the leaves and a Merkle root; OpenSSL checks a checkpoint's
# Ed25519 signature); and mutations through the CLI, each with its exit
# status. No hived needed.
. "$(dirname "$0")/lib.sh"

S=$T_DIR/state
W=$T_DIR/work
mkdir -p "$W"
AUDITMK=$HIVE_BUILD/tests/tools/auditmk
h() { "$HIVE" --state "$S" "$@"; }
fresh() { rm -rf "$S" && cp -a "$W/orig" "$S"; }

"$AUDITMK" "$W/orig" -n 50 -c 8 -s 20 >"$W/k0.out"
check_match "auditmk prints K0 once" '^K0 [0-9a-f]{64}$' "$(cat "$W/k0.out")"
sed 's/^K0 //' "$W/k0.out" >"$W/k0"
fresh

run h audit verify
check_eq "verify: exit 0" 0 "$RC"
check_match "verify names records, segments, checkpoints, key" '^ok: 60 records in 3 segments, 8 checkpoints signed by [0-9a-f]{16}' "$OUT"
check_match "verify says seals were not checked" 'seals: not checked' "$OUT"
run h audit verify --seal-key "$W/k0"
check_eq "verify --seal-key: exit 0" 0 "$RC"
check_match "all seals verified and the seal file matches" 'seals: all 8 verified with K0; the seal file is at the next epoch' "$OUT"
run h audit verify --help
check_match "verify --help lists the exit codes" '7 gap 8 reorder' "$OUT"

run h audit tail -n 3
check_eq "tail -n 3: three lines" 3 "$(printf '%s\n' "$OUT" | wc -l)"
check_match "tail line: time, seq, AID, type, cap, object, result" '^20[0-9-]+T[0-9:.]+Z #[0-9]+ [^ ]+ [a-z]+ [^ ]+ [^ ]+ (ok|deny|fail|info)$' "$OUT"
run h audit export
check_eq "export: one JSON line per record" 60 "$(printf '%s\n' "$OUT" | wc -l)"
check "export is JSON" python3 -c "import sys,json; [json.loads(l) for l in open('$T_DIR/o')]"
DENIES=$(printf '%s\n' "$OUT" | grep -c '"aid":"a-2".*"type":"deny"')
run h audit query --aid a-2 --type deny
check_eq "query --aid --type: the same rows as export" "$DENIES" "$(printf '%s\n' "$OUT" | grep -c ' a-2 deny ')"
run h audit query --type deny --since 2025-11-30T10:40:00Z --until 1764499200
check_eq "query --since/--until by second" 0 "$(printf '%s' "$OUT" | grep -c . )"
run h audit query --type nonsense
check_eq "query --type unknown: usage" 2 "$RC"
check_match "and names the types" 'no such record type \(attach' "$ERR"

run h audit prove 5
check_eq "prove 5: exit 0" 0 "$RC"
check_match "prove checks the proof against the latest checkpoint" '^verified: record 5 is in the tree of the checkpoint of size 59' "$OUT"
run h audit prove 59
check_eq "prove a record after the latest checkpoint: not found" 5 "$RC"
check_match "and says to wait for the next" 'wait for the next checkpoint' "$ERR"

# --- independent oracles -------------------------------------------------
SEG0=$S/audit/00000000000000000000.seg
frame() { # frame N of segment 0 to stdout (walking the length prefixes)
	local off=56 i=0 len
	while :; do
		len=$(od -An -tu4 -j "$off" -N4 "$SEG0" | tr -d ' ')
		[ "$i" -eq "$1" ] && { dd if="$SEG0" bs=1 skip="$off" count="$len" status=none; return; }
		off=$((off + len)); i=$((i + 1))
	done
}
le64() { printf '%016x' "$1" | sed 's/../& /g' | awk '{for(i=8;i>0;i--) printf "%s", $i}' | xxd -r -p; }
head -c 32 /dev/zero >"$W/h"
for i in 0 1 2 3 4 5 6 7; do
	{ printf 'hive-audit-chain-v1'; cat "$W/h"; le64 "$i"; frame "$i"; } | b3sum --no-names | xxd -r -p >"$W/h.new"
	mv "$W/h.new" "$W/h"
done
CK1=$(h audit query --type checkpoint --json | head -1)
check_match "b3sum: the chain head h_7 is the first checkpoint's" "chain $(xxd -p -c 64 "$W/h")" "$CK1"
leaf() { { printf '\0'; frame "$1"; } | b3sum --no-names; }
check_match "b3sum: leaf 5 is prove's" "^leaf $(leaf 5)$" "$(h audit prove 5)"
node() { { printf '\1'; printf '%s%s' "$1" "$2" | xxd -r -p; } | b3sum --no-names; }
L=(); for i in 0 1 2 3 4 5 6 7; do L[$i]=$(leaf "$i"); done
R=$(node "$(node "$(node "${L[0]}" "${L[1]}")" "$(node "${L[2]}" "${L[3]}")")" \
         "$(node "$(node "${L[4]}" "${L[5]}")" "$(node "${L[6]}" "${L[7]}")")")
check_match "b3sum: the Merkle root of size 8 is the first checkpoint's" "\\\\n8\\\\n$(printf '%s' "$R" | xxd -r -p | base64)\\\\n" "$CK1"

h audit checkpoint >"$W/ckpt"
sed -n '1,/^$/p' "$W/ckpt" | head -n -1 >"$W/body"
tail -1 "$W/ckpt" | awk '{print $3}' | base64 -d | tail -c 64 >"$W/sig"
{ printf '\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00'; cut -d' ' -f2 "$S/keys/hive.pub" | base64 -d; } >"$W/pub.der"
check "OpenSSL verifies the checkpoint's signature over its body" sh -c "openssl pkey -pubin -inform DER -in '$W/pub.der' -out '$W/pub.pem' &&
	openssl pkeyutl -verify -pubin -inkey '$W/pub.pem' -rawin -in '$W/body' -sigfile '$W/sig'"
printf 'x' >>"$W/body"
check_fail "OpenSSL refuses it over a changed body" openssl pkeyutl -verify -pubin -inkey "$W/pub.pem" -rawin -in "$W/body" -sigfile "$W/sig"

# --- mutations through the CLI -------------------------------------------
SEG1=$S/audit/00000000000000000022.seg
[ -f "$SEG1" ] || SEG1=$(ls "$S"/audit/*.seg | sed -n 2p)
flip() { printf "\\x$(printf '%02x' $(( $(od -An -tu1 -j "$2" -N1 "$1") ^ 1 )))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
flip "$SEG1" 200
run h audit verify
check_eq "a flipped byte: bad-frame (6)" 6 "$RC"
check_match "the failure names the class, segment and record" 'FAILED \(bad-frame\) in .*/audit/[0-9]{20}\.seg at record [0-9]+: ' "$ERR"
check_match "and a fix" '^  fix: ' "$ERR"
fresh
rm "$SEG1"
run h audit verify
check_eq "a deleted segment: missing-segment (17)" 17 "$RC"
fresh
"$AUDITMK" "$W/other" -n 5 >/dev/null
run h audit verify --key "$W/other/keys/hive.pub"
check_eq "another hive's key: bad-signature (13)" 13 "$RC"
echo 0000000000000000000000000000000000000000000000000000000000000000 >"$W/k0.bad"
run h audit verify --seal-key "$W/k0.bad"
check_eq "a wrong K0: seal-failure (15)" 15 "$RC"

LAST=$(ls "$S"/audit/*.seg | tail -1)
size=$(stat -c %s "$LAST")
# Cut the final checkpoint and the record before it off (clean cuts at frame boundaries).
python3 - "$LAST" <<'PY'
import struct, sys
p = sys.argv[1]
b = open(p, 'rb').read()
offs, off = [], 56
while off < len(b):
    offs.append(off)
    off += struct.unpack('<I', b[off:off + 4])[0]
open(p, 'wb').write(b[:offs[-2]])
PY
run h audit verify
check_eq "the final checkpoint and a record cut off: the key alone cannot tell (exit 0)" 0 "$RC"
check_match "but the unsealed tail is said" 'warning: [0-9]+ records after the last checkpoint' "$OUT"
run h audit verify --seal-key "$W/k0"
check_eq "with K0 the seal file shows the cut: truncated (20)" 20 "$RC"
run h audit verify --from "$W/ckpt"
check_eq "with a checkpoint held elsewhere: truncated (20)" 20 "$RC"
fresh
run h audit verify --from "$W/ckpt"
check_eq "the untouched log holds the held checkpoint" 0 "$RC"
check_match "and says so" 'from: the log holds the checkpoint you gave' "$OUT"
head -c 76 "$SEG0" | tail -c 20 >>"$LAST"  # the first 20 bytes of a frame
run h audit verify --seal-key "$W/k0"
check_eq "a torn tail alone is accepted (exit 0)" 0 "$RC"
check_match "and said as torn" 'torn tail: 20 bytes' "$ERR"

"$AUDITMK" "$W/nock" -n 10 -c 0 --no-final >/dev/null
run "$HIVE" audit verify --state "$W/nock"
check_eq "a log with no checkpoint: no-checkpoint (21)" 21 "$RC"

# Equivocation: the same key signs another history of the same size.
rm -rf "$W/eq" && mkdir -p "$W/eq/keys" && cp "$S/keys/hive.key" "$S/keys/hive.pub" "$W/eq/keys/"
"$AUDITMK" "$W/eq" -n 10 -c 8 -b 1000 >/dev/null
"$HIVE" audit query --state "$W/eq" --type checkpoint --json | head -1 |
	python3 -c 'import sys,json; sys.stdout.write(json.loads(sys.stdin.read())["detail"])' >"$W/eq.ckpt"
fresh
run h audit verify --from "$W/eq.ckpt"
check_eq "two signed checkpoints of one size: equivocation (14)" 14 "$RC"
check_match "said as two histories" 'two signed histories of one size' "$ERR"

run h audit verify --state "$T_DIR/none"
check_eq "no state: usage (2), naming the key file and the fix" 2 "$RC"
check_match "names --key" 'pass --key PUB' "$ERR"
finish
