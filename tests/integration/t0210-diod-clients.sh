#!/usr/bin/env bash
# Third-party 9P2000.L clients against hived: diod's diodls and diodcat
# (Debian package diod) list and read the namespace over the Unix socket,
# and are refused over TCP without a ticket.
. "$(dirname "$0")/lib.sh"

for tool in diodls diodcat; do
	if ! command -v $tool >/dev/null && ! [ -x /usr/sbin/$tool ]; then
		ok "diod clients # skip: $tool missing (apt-get install diod)"; finish
	fi
done
PATH=$PATH:/usr/sbin
hive_start

d() { timeout 10 "$@"; }

out=$(d diodls -s "$HIVE_SOCK" -a / / 2>&1)
check_eq "diodls / lists the top directories" "agent audit gpu log proc queen" "$(echo $out)"

out=$(d diodls -s "$HIVE_SOCK" -a / /proc 2>&1)
check_match "diodls /proc lists version" '(^|[[:space:]])version($|[[:space:]])' "$out"
check_match "diodls /proc lists sessions" '(^|[[:space:]])sessions($|[[:space:]])' "$out"

out=$(d diodls -l -s "$HIVE_SOCK" -a / /proc 2>&1)
check_match "diodls -l shows version as a read-only file" '^-r--r--r--.* version$' "$out"
check_match "diodls -l shows lifecycle as a directory" '^dr-xr-xr-x.* lifecycle$' "$out"

out=$(d diodcat -s "$HIVE_SOCK" -a / /proc/version 2>&1)
check_match "diodcat /proc/version names the hive" '^hive [0-9]+\.[0-9]+\.[0-9]+' "$out"
check_match "diodcat /proc/version lists both dialects" 'protocols=9P2000\.L,9P2000' "$out"

out=$(d diodcat -s "$HIVE_SOCK" -a / /proc/sessions 2>&1)
check_match "the reading session shows in /proc/sessions as 9P2000.L" '9P2000\.L' "$out"

check_fail "diodcat of a missing file fails" d diodcat -s "$HIVE_SOCK" -a / /proc/nope
check_fail "diodls of a missing directory fails" d diodls -s "$HIVE_SOCK" -a / /nope

out=$(d diodcat -s "$HIVE_SOCK" -a /nowhere /proc/version 2>&1)
check_match "an unknown aname is refused" 'No such file|rror' "$out"

# diod's clients send Tauth first; without a ticket in aname TCP offers an
# auth fid, diod tries MUNGE on it and gives up: no way in without a ticket.
check_fail "TCP without a ticket is refused" d diodcat -s "127.0.0.1:$HIVE_TCP_PORT" -a / /proc/version

out=$(d diodcat -s "$HIVE_SOCK" -a / /log/queen.log 2>&1)
check_match "queen.log has an allowed attach row" 'attach role=queen .*outcome=allow transport=unix' "$out"

if [ -x "$HIVE" ]; then
	obs=$("$HIVE" --state "$HIVE_STATE" ticket mint --role observer --ttl 600)
	out=$(d diodcat -s "127.0.0.1:$HIVE_TCP_PORT" -a "$obs" /proc/version 2>&1)
	check_match "TCP with an observer ticket in aname reads /proc/version" '^hive [0-9]' "$out"
	out=$(d diodls -s "127.0.0.1:$HIVE_TCP_PORT" -a "$obs" / 2>&1)
	check_eq "the observer sees the whole top level" "agent audit gpu log proc queen" "$(echo $out)"
	wrk=$("$HIVE" --state "$HIVE_STATE" ticket mint --role worker --subject w-7 --ttl 600)
	out=$(d diodls -s "127.0.0.1:$HIVE_TCP_PORT" -a "$wrk" / 2>&1)
	check_eq "a worker does not see /queen" "agent audit gpu log proc" "$(echo $out)"
	check_fail "a worker cannot read /queen/ctl" d diodcat -s "127.0.0.1:$HIVE_TCP_PORT" -a "$wrk" /queen/ctl
	bad=${obs%?}0
	[ "$bad" = "$obs" ] && bad=${obs%?}1
	check_fail "a ticket with a forged MAC is refused" d diodcat -s "127.0.0.1:$HIVE_TCP_PORT" -a "$bad" /proc/version
	out=$(d diodcat -s "$HIVE_SOCK" -a / /log/queen.log 2>&1)
	check_match "the forged ticket left a deny row" 'attach .*outcome=deny reason=bad-mac transport=tcp' "$out"
	check_match "the observer attach left an allow row" 'attach role=observer .*outcome=allow transport=tcp' "$out"
else
	ok "ticket checks # skip: $HIVE not built"
fi

finish
