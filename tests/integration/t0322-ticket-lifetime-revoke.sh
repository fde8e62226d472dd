#!/usr/bin/env bash
# t0322 — a ticket's lifetime is bounded and a ticket can be revoked:
# `hive ticket mint` prints the ticket's id on stderr; `hive ticket revoke
# ID` lists it in <state>/tickets.revoked (0600, written whole) and the
# running hive refuses it from the next attach, no restart; a ticket with
# no ttl lives the longest lifetime, a longer ttl is refused at mint, an
# issue time far in the future is refused at attach; the longest lifetime
# comes from tickets.conf (ttl_max=) or hived --ticket-ttl-max.
. "$(dirname "$0")/lib.sh"

hive_start
mint() { "$HIVE" ticket mint --state "$HIVE_STATE" "$@"; }
tcp() { # TICKET, hive args...
	local t=$1; shift
	HIVE_TICKET=$t $BY "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" --state "$HIVE_STATE" "$@"
}

# --- ids -----------------------------------------------------------------
run mint --role worker --subject r-1 --ttl 600
W=$OUT
check_match "mint: the token alone on stdout" '^cohesix-ticket-[0-9a-f]+\.[0-9a-f]{64}$' "$W"
check_match "mint: the id on stderr" 'ticket id [0-9a-f]{16} ' "$ERR"
WID=$(printf '%s' "$ERR" | grep -Eo 'ticket id [0-9a-f]{16}' | awk '{print $3}')
run "$HIVE" --json ticket mint --state "$HIVE_STATE" --role worker --subject r-2 --ttl 600
check_match "mint --json: the id too" '"id":"[0-9a-f]{16}"' "$OUT"
W2=$(printf '%s' "$OUT" | sed -E 's/.*"token":"([^"]+)".*/\1/')

# --- revoke --------------------------------------------------------------
run tcp "$W" ls /proc
check_eq "the worker ticket attaches" 0 "$RC"
run tcp "$W2" ls /proc
check_eq "the second worker ticket attaches" 0 "$RC"
run hive_cli cat /log/queen.log
check_match "the attach row names the ticket's id, for revoke" "attach role=worker subject=r-1 .*outcome=allow .*ticket=$WID" "$OUT"
run "$HIVE" ticket revoke "$WID" --state "$HIVE_STATE"
check_eq "hive ticket revoke ID" 0 "$RC"
check_match "it says what it did" "ticket $WID revoked" "$ERR"
check_eq "tickets.revoked is mode 0600" 600 "$(stat -c %a "$HIVE_STATE/tickets.revoked")"
check_match "tickets.revoked lists the id" "^$WID\$" "$(cat "$HIVE_STATE/tickets.revoked")"
run by 21 tcp "$W" ls /proc
check_eq "the revoked ticket is refused at the next attach (4)" 4 "$RC"
run hive_cli cat /log/queen.log
check_match "the hive logged why" 'attach .*outcome=deny reason=revoked' "$OUT"
run tcp "$W2" ls /proc
check_eq "the other ticket still attaches" 0 "$RC"
run "$HIVE" ticket revoke "$WID" --state "$HIVE_STATE"
check_eq "revoking again is fine" 0 "$RC"
check_eq "and lists it once" 1 "$(grep -c "^$WID\$" "$HIVE_STATE/tickets.revoked")"
run "$HIVE" ticket revoke "$W2" --state "$HIVE_STATE"
check_eq "hive ticket revoke TOKEN" 0 "$RC"
run by 22 tcp "$W2" ls /proc
check_eq "a ticket revoked by its token is refused (4)" 4 "$RC"
run "$HIVE" ticket revoke NOT-AN-ID --state "$HIVE_STATE"
check_eq "a malformed id is a usage error (2)" 2 "$RC"

# --- lifetime --------------------------------------------------------------
run mint --role observer --ttl 0
check_match "mint --ttl 0 mints" '^cohesix-ticket-' "$OUT"
check_match "and says the hive bounds it" 'longest a hive allows' "$ERR"
O=$OUT
run tcp "$O" ls /proc
check_eq "a ticket without ttl attaches (within the longest lifetime)" 0 "$RC"
run mint --role observer --ttl 99999999
check_eq "mint: a ttl past the longest lifetime is a usage error (2)" 2 "$RC"
check_match "it names the bound" 'longer than the 2592000 s' "$ERR"
F=$(mint --role observer --ttl 60 --issued-at 100000000000000 2>/dev/null)
run by 23 tcp "$F" ls /proc
check_eq "a ticket issued in the year 5138 is refused (4)" 4 "$RC"
run hive_cli cat /proc/limits
check_match "/proc/limits shows ticket_ttl_max_s" '^ticket_ttl_max_s=2592000$' "$OUT"
check_match "/proc/limits shows ticket_skew_ms_max" '^ticket_skew_ms_max=300000$' "$OUT"

# The longest lifetime from tickets.conf, for mint ...
cp "$HIVE_STATE/tickets.conf" "$T_DIR/tickets.conf.orig"
echo 'ttl_max=30' >>"$HIVE_STATE/tickets.conf"
run mint --role observer --ttl 60
check_eq "mint: ttl_max in tickets.conf bounds --ttl" 2 "$RC"
cp "$T_DIR/tickets.conf.orig" "$HIVE_STATE/tickets.conf"
hive_stop

# ... and from hived --ticket-ttl-max, for the hive.
check_match "hived --help documents --ticket-ttl-max" '--ticket-ttl-max SECONDS' "$("$HIVED" --help)"
rm -f "$HIVE_SOCK" "$HIVE_STATE/tcp.port"
hive_start --ticket-ttl-max 1
two_ago=$(( $(date +%s%3N) - 2000 ))
S=$(mint --role observer --ttl 60 --issued-at "$two_ago" 2>/dev/null)
run by 24 tcp "$S" ls /proc
check_eq "--ticket-ttl-max 1: a 2 s old ticket with ttl 60 is refused (4)" 4 "$RC"
check_match "as expired" 'expired' "$ERR"
N=$(mint --role observer --ttl 60 2>/dev/null)
run tcp "$N" ls /proc
check_eq "--ticket-ttl-max 1: a fresh one attaches" 0 "$RC"
finish
