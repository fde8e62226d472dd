#!/usr/bin/env bash
# t0320 — tickets and roles over TCP with the `hive` CLI: `hive ticket
# mint` makes worker, observer and queen tickets from <state>/tickets.conf;
# a worker cannot walk into /queen (exit 4, and the denial is in
# /log/queen.log); an observer reads everything and writes nothing; a
# queen ticket can write /queen/ctl; expired, forged and missing tickets
# are refused with messages that say which, even without the secrets at
# hand (the hive answers EKEYEXPIRED / EKEYREJECTED / EACCES).
. "$(dirname "$0")/lib.sh"

# Minting needs the secrets: before the hive made them, it says so.
mkdir -p "$T_DIR/empty"
run "$HIVE" ticket mint --role worker --ttl 60 --state "$T_DIR/empty"
check_eq "mint without tickets.conf fails" 1 "$(( RC != 0 ))"
check_match "mint without tickets.conf says how to fix it" 'tickets.conf.*hived --state' "$ERR"

hive_start
mint() { "$HIVE" ticket mint --state "$HIVE_STATE" "$@"; }
# Each refused client below runs as its own uid (`by UID cmd...`, lib.sh).
tcp() { # TICKET, hive args...
	local t=$1; shift
	HIVE_TICKET=$t $BY "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" --state "$HIVE_STATE" "$@"
}

run mint --role frob --ttl 60
check_eq "mint: unknown role is a usage error" 2 "$RC"
run mint --role worker
check_eq "mint: --ttl is required" 2 "$RC"
run mint --role worker --ttl -5
check_eq "mint: negative ttl is a usage error" 2 "$RC"
run mint --role worker --ttl 60 --subject "$(printf 'x%.0s' $(seq 1 100))"
check_eq "mint: a subject too long for a token is a usage error" 2 "$RC"

W=$(mint --role worker --subject w-7 --ttl 600)
check_match "worker ticket minted" '^cohesix-ticket-[0-9a-f]+\.[0-9a-f]{64}$' "$W"
O=$(mint --role observer --ttl 0)
check_match "observer ticket minted (no expiry)" '^cohesix-ticket-' "$O"
Q=$(mint --role queen --subject ops --ttl 60)
check_match "queen ticket minted" '^cohesix-ticket-' "$Q"
run "$HIVE" --json ticket mint --state "$HIVE_STATE" --role worker --subject w-8 --ttl 30
check_match "mint --json" '^\{"token":"cohesix-ticket-[0-9a-f.]+","role":"worker-heartbeat","subject":"w-8","ttl_s":30,' "$OUT"

# worker
run tcp "$W" ls /
check_eq "worker: ls / over TCP" 0 "$RC"
check_match "worker: sees /proc" 'proc/' "$OUT"
run tcp "$W" cat /proc/version
check_eq "worker: reads /proc" 0 "$RC"
run tcp "$W" ls /queen
check_eq "worker: ls /queen is permission denied (4)" 4 "$RC"
check_match "worker: the message names the walk" 'walk /queen: Permission denied' "$ERR"
run tcp "$W" write /queen/ctl "log from-worker"
check_eq "worker: write /queen/ctl is permission denied (4)" 4 "$RC"
run hive_cli cat /log/queen.log
check_match "the worker's denial is in /log/queen.log" 'deny role=worker subject=w-7 .*object=/queen' "$OUT"

# observer
run tcp "$O" ls /queen
check_eq "observer: ls /queen" 0 "$RC"
run tcp "$O" cat /queen/ctl
check_eq "observer: reads /queen/ctl" 0 "$RC"
run tcp "$O" cat /log/queen.log
check_eq "observer: reads /log/queen.log" 0 "$RC"
run tcp "$O" write /queen/ctl "log from-observer"
check_eq "observer: write /queen/ctl is permission denied (4)" 4 "$RC"
run tcp "$O" write /queen/lifecycle/ctl cordon
check_eq "observer: write /queen/lifecycle/ctl is permission denied (4)" 4 "$RC"
run hive_cli cat /proc/lifecycle/state
check_match "observer's cordon changed nothing" 'ONLINE' "$OUT"

# queen by ticket
tag="t0320-$$-$RANDOM"
run tcp "$Q" write /queen/ctl "log $tag"
check_eq "queen ticket: write /queen/ctl" 0 "$RC"
run hive_cli cat /log/queen.log
check_match "queen ticket's log line landed" "log role=queen .*$tag" "$OUT"
run tcp "$Q" ping
check_match "queen ticket: ping over TCP" '^pong: ' "$OUT"

# refusals
past=$(( ($(date +%s) - 3600) * 1000 ))
E=$(mint --role worker --subject w-old --ttl 60 --issued-at "$past")
run by 1 tcp "$E" ls /
check_eq "expired ticket: refused with exit 4" 4 "$RC"
check_match "expired ticket: the message says expired" 'expired' "$ERR"
run hive_cli cat /log/queen.log
check_match "expired ticket: the hive logged why" 'outcome=deny reason=expired' "$OUT"

last=${W: -1}
if [ "$last" = a ]; then flip=b; else flip=a; fi
F=${W%?}$flip
run by 2 tcp "$F" ls /
check_eq "forged ticket: refused with exit 4" 4 "$RC"
check_match "forged ticket: the message says forged" 'forged' "$ERR"
if printf '%s' "$ERR" | grep -q expired; then not_ok "forged ticket: not called expired"; else ok "forged ticket: not called expired"; fi

run by 3 tcp "cohesix-ticket-zz.yy" ls /
check_eq "garbage ticket: refused with exit 4" 4 "$RC"

check_match "garbage ticket: the message says rejected" 'ticket rejected' "$ERR"

# The hive's errno says which (EKEYEXPIRED, EKEYREJECTED): the CLI needs no
# tickets.conf to tell expired from forged.
notabs() { # TICKET, hive args...: a client whose state dir holds no secrets
	local t=$1; shift
	HIVE_TICKET=$t $BY "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" --state "$T_DIR/empty" "$@"
}
run by 4 notabs "$E" ls /
check_eq "expired ticket, no tickets.conf here: exit 4" 4 "$RC"
check_match "expired ticket, no tickets.conf here: says ticket expired" 'ticket expired' "$ERR"
run by 5 notabs "$F" ls /
check_eq "forged ticket, no tickets.conf here: exit 4" 4 "$RC"
check_match "forged ticket, no tickets.conf here: says ticket rejected" 'ticket rejected' "$ERR"
if printf '%s' "$ERR" | grep -q expired; then not_ok "forged ticket, no tickets.conf: not called expired"; else ok "forged ticket, no tickets.conf: not called expired"; fi
run by 6 notabs "cohesix-ticket-zz.yy" ls /
check_eq "malformed ticket, no tickets.conf here: exit 4" 4 "$RC"
check_match "malformed ticket, no tickets.conf here: says ticket rejected" 'ticket rejected' "$ERR"
run notabs "$W" ls /queen
check_eq "a good ticket's denial stays permission denied (4)" 4 "$RC"
if printf '%s' "$ERR" | grep -Eq 'ticket (expired|rejected)'; then not_ok "a walk denial is not called a ticket refusal"; else ok "a walk denial is not called a ticket refusal"; fi

# Identity comes from the ticket alone: a worker ticket naming no subject
# would let the client pick one (uname), so the hive refuses it.
run mint --role worker --ttl 60
NS=$OUT
check_match "mint warns that a worker ticket without a subject will be refused" 'without --subject is refused' "$ERR"
run by 8 tcp "$NS" ls /proc
check_eq "a worker ticket without a subject: refused with exit 4" 4 "$RC"
check_match "a worker ticket without a subject: says ticket rejected" 'ticket rejected' "$ERR"
run hive_cli cat /log/queen.log
check_match "a worker ticket without a subject: the hive logged why" 'attach role=worker subject=- .*outcome=deny reason=no-subject transport=tcp' "$OUT"

run env -u HIVE_TICKET "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" ls /
check_eq "TCP without a ticket: refused locally as usage (2)" 2 "$RC"
check_match "TCP without a ticket: says how to get one" 'needs a ticket.*hive ticket mint' "$ERR"
run by 7 tcp '' ls /
check_eq "TCP with an empty ticket: the hive refuses (4)" 4 "$RC"
check_match "TCP with an empty ticket: says a ticket is needed" 'TCP needs a ticket' "$ERR"
run env HIVE_TICKET="$W" "$HIVE" --tcp "127.0.0.1:$HIVE_TCP_PORT" ls /proc
check_eq "\$HIVE_TICKET is used for TCP" 0 "$RC"
run env HIVE_TICKET="$W" "$HIVE" --tcp "127.0.0.1:1" ls /
check_eq "TCP to a closed port: exit 3" 3 "$RC"
run env HIVE_TICKET="$W" "$HIVE" --tcp "nonsense" ls /
check_eq "--tcp without a port is a usage error" 2 "$RC"

finish
