#!/usr/bin/env bash
# t0700 — manifests and trust, offline, through the real `hive` binary:
# make a key, trust it, sign, verify; then a tampered manifest, a stranger's
# signature, a missing signature and a removed key are each refused with
# their reason and exit 4, a malformed manifest with exit 1. No hived needed.
. "$(dirname "$0")/lib.sh"

S=$T_DIR/state
W=$T_DIR/work
mkdir -p "$W"
h() { "$HIVE" --state "$S" "$@"; }
cp "$HIVE_TOP/examples/dream-team.json" "$W/team.json"
cp "$HIVE_TOP/examples/agent.json" "$W/agent.json"

run h key new
check_eq "key new exits 0" 0 "$RC"
check_match "key new names the key id" '^key [0-9a-f]{16} ' "$OUT"
check_eq "secret key is mode 600" 600 "$(stat -c %a "$S/keys/operator.key")"
check_match "public key file is one line" '^hive-ed25519-pub [A-Za-z0-9+/]{43}= ' "$(cat "$S/keys/operator.pub")"
KEYID=$(printf '%s' "$OUT" | sed -n 's/^key \([0-9a-f]\{16\}\) .*/\1/p')
run h key new
check_eq "key new refuses to overwrite" 1 "$RC"
check_match "and says how to replace it" 'already exists.*--force' "$ERR"
run h key show
check_match "key show prints the id" "^id $KEYID" "$OUT"
check_fail "secret key never printed" grep -q "$(cut -d' ' -f2 "$S/keys/operator.key")" <<<"$OUT"

run h manifest sign "$W/team.json"
check_eq "sign exits 0" 0 "$RC"
check_match "sign writes FILE.sig" '^hive-ed25519-sig [0-9a-f]{16} ' "$(cat "$W/team.json.sig")"

run h manifest verify "$W/team.json"
check_eq "verify before trust add: exit 4" 4 "$RC"
check_match "reason: untrusted signer" 'untrusted-signer.*hive trust add' "$ERR"

run h trust add "$S/keys/operator.pub"
check_eq "trust add exits 0" 0 "$RC"
check_match "trust add names the key" "^trusted $KEYID" "$OUT"
check "trusted key file is in <state>/trust" test -f "$S/trust/$KEYID.pub"
run h trust ls
check_match "trust ls lists it" "^$KEYID  " "$OUT"

run h manifest verify "$W/team.json"
check_eq "verify ok: exit 0" 0 "$RC"
check_eq "verify prints one line" 1 "$(printf '%s\n' "$OUT" | wc -l)"
check_match "names signer and agent count" "^ok: .*team.json signed by $KEYID .*31 agents .*curious=1" "$OUT"
run h --json manifest verify "$W/team.json"
check_match "--json verdict" '"verdict":"ok".*"agents":31' "$OUT"
if command -v openssl >/dev/null 2>&1; then
	# An independent oracle: OpenSSL checks our signature over the same bytes.
	{ printf '\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00'; cut -d' ' -f2 "$S/keys/operator.pub" | base64 -d; } >"$W/pub.der"
	cut -d' ' -f3 "$W/team.json.sig" | base64 -d >"$W/sig.bin"
	check "OpenSSL verifies the signature" sh -c "openssl pkey -pubin -inform DER -in '$W/pub.der' -out '$W/pub.pem' &&
		openssl pkeyutl -verify -pubin -inkey '$W/pub.pem' -rawin -in '$W/team.json' -sigfile '$W/sig.bin'"
fi

# One byte changed after signing.
sed 's/"count": 10,/"count": 11,/' "$W/team.json" >"$W/tampered.json"
cp "$W/team.json.sig" "$W/tampered.json.sig"
run h manifest verify "$W/tampered.json"
check_eq "tampered: exit 4" 4 "$RC"
check_match "reason: bad signature" 'refused: bad-signature' "$ERR"

# No signature at all; a signature given with --sig.
run h manifest verify "$W/agent.json"
check_eq "unsigned: exit 4" 4 "$RC"
check_match "reason: unsigned" 'refused: unsigned' "$ERR"
run h manifest verify "$W/agent.json" --sig "$W/team.json.sig"
check_eq "another file's signature: exit 4" 4 "$RC"

# A stranger's key, not in the trust store.
run h key new --out "$W/stranger" --comment mallory
check_eq "second key made" 0 "$RC"
run h manifest sign "$W/agent.json" --key "$W/stranger/operator.key"
check_eq "stranger signs" 0 "$RC"
run h manifest verify "$W/agent.json"
check_eq "stranger's signature: exit 4" 4 "$RC"
check_match "reason: untrusted signer" 'refused: untrusted-signer' "$ERR"

# Malformed: a manifest that does not parse is neither signed nor verified.
printf '{"version":1,"kind":"agent","class":"x","argv":["/bin/true"],"capz":[]}' >"$W/bad.json"
run h manifest sign "$W/bad.json"
check_eq "malformed: sign refuses (exit 1)" 1 "$RC"
check_match "names the unknown key" "unknown key 'capz'" "$ERR"
check "no signature written" test ! -e "$W/bad.json.sig"
printf 'not a signature\n' >"$W/team2.sig"
run h manifest verify "$W/team.json" --sig "$W/team2.sig"
check_eq "malformed signature file: exit 1" 1 "$RC"
check_match "reason: malformed" 'refused: malformed' "$ERR"
run h manifest verify "$W/nope.json"
check_eq "missing manifest: exit 5" 5 "$RC"

# The secret key loses its protection: refused.
chmod 644 "$S/keys/operator.key"
run h manifest sign "$W/team.json"
check_eq "world-readable secret key refused (exit 4)" 4 "$RC"
check_match "with the fix" 'chmod 600' "$ERR"
chmod 600 "$S/keys/operator.key"

# Removing the key from the trust store revokes the manifests it signed.
run h trust rm "$KEYID"
check_eq "trust rm exits 0" 0 "$RC"
run h manifest verify "$W/team.json"
check_eq "after trust rm: exit 4" 4 "$RC"
check_match "reason: untrusted signer" 'refused: untrusted-signer' "$ERR"
run h trust rm "$KEYID"
check_eq "trust rm of an unknown key: exit 5" 5 "$RC"
run h trust rm ../../etc/passwd
check_eq "trust rm of a non-id: usage (exit 2)" 2 "$RC"
run h trust ls
check_eq "trust ls empty" "" "$OUT"

for v in key manifest trust; do
	run h "$v" --help
	check_match "hive $v --help" '^usage: hive '"$v" "$OUT"
done
finish
