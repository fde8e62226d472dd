#!/usr/bin/env bash
# t0100 — our BLAKE3 (through tests/tools/b3hash) agrees with Debian's b3sum,
# an independent implementation, on random inputs at every length around
# block, chunk and tree boundaries, in all three modes and with long output.
. "$(dirname "$0")/lib.sh"

B3HASH=$HIVE_BUILD/tests/tools/b3hash
if ! command -v b3sum >/dev/null 2>&1; then
	not_ok "b3sum installed (apt-get install b3sum)"; finish
fi
if ! [ -x "$B3HASH" ]; then
	not_ok "b3hash built at $B3HASH"; finish
fi

CTX="hive t0100 $(date +%s) derive-key context"
KEY_FILE=$T_DIR/key
head -c 32 /dev/urandom >"$KEY_FILE"
KEY_HEX=$(od -An -v -tx1 "$KEY_FILE" | tr -d ' \n')
POOL=$T_DIR/pool
# One random pool; each input is a prefix of it at some offset.
head -c 300000 /dev/urandom >"$POOL"

lengths() {
	seq 0 70; seq 1020 1030; seq 2045 2052; seq 3070 3075; seq 4093 4100
	seq 8190 8195; seq 16382 16387; seq 65534 65538
	local i
	for i in 1 2 3 4; do echo $(( (RANDOM * 32768 + RANDOM) % 250000 )); done
}

# Compare every length in one mode; one TAP line per mode, with the
# failing lengths listed so a mismatch is easy to reproduce.
compare_mode() { # name, out_len, b3hash args... -- b3sum args...
	local name=$1 outlen=$2; shift 2
	local ours=() theirs=() seen=0
	while [ $# -gt 0 ]; do
		if [ "$1" = "--" ]; then seen=1; shift; continue; fi
		if [ $seen -eq 0 ]; then ours+=("$1"); else theirs+=("$1"); fi
		shift
	done
	local n bad="" count=0 in=$T_DIR/in a b
	for n in $(lengths); do
		tail -c +$(( (n * 7) % 1000 + 1 )) "$POOL" | head -c "$n" >"$in"
		a=$("$B3HASH" --length "$outlen" "${ours[@]}" <"$in") || a="b3hash failed"
		if [ "${name#keyed}" != "$name" ]; then
			b=$(b3sum --no-names --length "$outlen" --keyed "$in" <"$KEY_FILE")
		else
			b=$(b3sum --no-names --length "$outlen" "${theirs[@]}" <"$in")
		fi
		count=$((count + 1))
		[ "$a" = "$b" ] || bad="$bad $n"
	done
	if [ -z "$bad" ] && [ "$count" -ge 120 ]; then
		ok "$name: $count lengths, $outlen-byte output, match b3sum"
	else
		not_ok "$name: mismatched lengths:$bad (of $count)"
	fi
}

compare_mode hash 32 --
compare_mode hash-xof 200 --
compare_mode keyed 32 --keyed "$KEY_HEX" --
compare_mode keyed-xof 131 --keyed "$KEY_HEX" --
compare_mode derive-key 32 --derive-key "$CTX" -- --derive-key "$CTX"
compare_mode derive-key-xof 97 --derive-key "$CTX" -- --derive-key "$CTX"

# Seek: bytes [s, s+n) of a long output are the slice of the full output.
head -c 5000 "$POOL" >"$T_DIR/in"
full=$(b3sum --no-names --length 400 <"$T_DIR/in")
for s in 1 63 64 65 130 200; do
	part=$("$B3HASH" --seek "$s" --length 100 <"$T_DIR/in")
	check_eq "seek $s gives the slice of b3sum's output" "${full:$((2 * s)):200}" "$part"
done

# A large input streamed through a pipe (many reads, odd update sizes).
big=$T_DIR/big
head -c 3000000 /dev/urandom >"$big"
check_eq "3 MB input through a pipe" "$(b3sum --no-names <"$big")" "$(cat "$big" | "$B3HASH")"

# Bad arguments are refused, not guessed.
check_fail "short key refused" sh -c "'$B3HASH' --keyed abcd </dev/null"
check_fail "non-hex key refused" sh -c "'$B3HASH' --keyed $(printf 'zz%.0s' $(seq 32)) </dev/null"
check_fail "keyed and derive-key together refused" sh -c "'$B3HASH' --keyed $KEY_HEX --derive-key x </dev/null"
check_fail "bad length refused" sh -c "'$B3HASH' --length 12x </dev/null"

finish
