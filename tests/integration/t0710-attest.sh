#!/usr/bin/env bash
# t0710 — the hive's own signing key and offline attestation: hived makes
# <state>/keys/hive.key (0600) on first start and keeps it across restarts,
# serves its public half as /proc/hive.pub (equal to keys/hive.pub, any role
# may read it), and `hive attest --verify` accepts an attestation signed
# with it (made by tests/tools/attestmk until spawn makes real ones), and
# refuses a tampered one, one checked against another key, and garbage.
. "$(dirname "$0")/lib.sh"
MK=$HIVE_BUILD/tests/tools/attestmk
W=$T_DIR/work
mkdir -p "$W"

hive_start
K=$HIVE_STATE/keys
check_eq "hive.key is mode 600" 600 "$(stat -c %a "$K/hive.key")"
check_match "hive.pub is a public key line" '^hive-ed25519-pub [A-Za-z0-9+/]{43}= hived$' "$(cat "$K/hive.pub")"
ID=$(sed -n 's/^hived: signing key \([0-9a-f]\{16\}\) .*/\1/p' "$T_DIR/hived.log")
check_match "hived says its key id at start" '^[0-9a-f]{16}$' "$ID"
run hive_cli cat /proc/hive.pub
check_eq "cat /proc/hive.pub exits 0" 0 "$RC"
check_eq "/proc/hive.pub equals keys/hive.pub" "$(cat "$K/hive.pub")" "$OUT"
printf '%s\n' "$OUT" >"$W/fetched.pub"
# An observer (a TCP ticket of the least role) reads it too.
TOK=$("$HIVE" --state "$HIVE_STATE" ticket mint --role observer --subject t0710 --ttl 60 2>/dev/null)
run env HIVE_TICKET="$TOK" "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" cat /proc/hive.pub
check_eq "an observer reads /proc/hive.pub" "$(cat "$K/hive.pub")" "$OUT"
run hive_cli cat /proc/limits
check_match "/proc/limits lists the attestation bounds" 'attest_file_max=1048576' "$OUT"

# A restart keeps the key.
hive_stop
hive_start
ID2=$(sed -n 's/^hived: signing key \([0-9a-f]\{16\}\) .*/\1/p' "$T_DIR/hived.log")
check_eq "the key survives a restart" "$ID" "$ID2"

check "attestmk signs with hive.key" sh -c '"$0" "$1" /bin/true >"$2"' "$MK" "$K/hive.key" "$W/a.att"
run "$HIVE" attest --verify "$W/a.att" --key "$W/fetched.pub"
check_eq "verify exits 0" 0 "$RC"
check_match "verify prints the verdict" '^verdict +ok' "$OUT"
check_match "and the hive's key id" "hive_key +$ID" "$OUT"
check_match "and the exe path" 'exe_path +/bin/true' "$OUT"
if command -v b3sum >/dev/null 2>&1; then
	check_match "exe_hash is b3sum of the exe" "exe_hash +$(b3sum --no-names /bin/true)" "$OUT"
fi
run "$HIVE" attest --verify "$W/a.att" --key "$W/fetched.pub" --json
check_eq "verify --json exits 0" 0 "$RC"
check_eq "--json prints the signed record" "$(head -1 "$W/a.att")" "$OUT"

# Tampered: one byte of the record changed (the exe path).
sed 's#"exe_path":"/bin/true"#"exe_path":"/bin/trve"#' "$W/a.att" >"$W/t.att"
run "$HIVE" attest --verify "$W/t.att" --key "$W/fetched.pub"
check_eq "a tampered attestation exits 4" 4 "$RC"
check_match "and says bad-signature" 'bad-signature' "$ERR"

# Another hive's key.
"$HIVE" --state "$T_DIR/other" key new --name hive >/dev/null 2>&1
run "$HIVE" attest --verify "$W/a.att" --key "$T_DIR/other/keys/hive.pub"
check_eq "another key exits 4" 4 "$RC"
check_match "and says wrong-key" 'wrong-key' "$ERR"

# Not an attestation; a missing file; usage.
printf 'hello\n' >"$W/g.att"
run "$HIVE" attest --verify "$W/g.att" --key "$W/fetched.pub"
check_eq "garbage exits 1" 1 "$RC"
check_match "and says malformed" 'malformed' "$ERR"
run "$HIVE" attest --verify "$W/none.att" --key "$W/fetched.pub"
check_eq "a missing file exits 5" 5 "$RC"
run "$HIVE" attest --verify "$W/a.att"
check_eq "no --key is a usage error" 2 "$RC"
run "$HIVE" attest a1
check_match "attest AID says it needs agents" 'needs agents' "$ERR"
finish
