#!/usr/bin/env bash
# What the kernel offers, said once: hived's one "kernel:" line on stderr
# at start and the kernel lines of /proc/status agree, and degraded is
# computed (the words it may hold are in docs/namespace.md), not a constant.
# Also --busy-poll-us: the spin hook serves requests like the plain loop.
. "$(dirname "$0")/lib.sh"

hive_start
check_eq "one kernel line on stderr at start" 1 "$(grep -c '^hived: kernel: ' "$T_DIR/hived.log")"
line=$(grep '^hived: kernel: ' "$T_DIR/hived.log")
check_match "it names each feature" 'Landlock .*, seccomp notify (yes|no).*, cgroup (v1|v2|none) .*, FUSE (yes|no) -- degraded: ' "$line"
run hive_cli cat /proc/status
check_eq "cat /proc/status" 0 "$RC"
for key in landlock_abi seccomp_notify seccomp_flags cgroup fuse degraded; do
	check_match "/proc/status has $key=" "^$key=" "$OUT"
done
check_match "landlock_abi is a number" '^landlock_abi=[0-9]+$' "$(grep '^landlock_abi=' <<<"$OUT")"
check_match "cgroup is a mode with its controllers" '^cgroup=(none|v[12]\([a-z,]*\))$' "$(grep '^cgroup=' <<<"$OUT")"
status_degraded=$(sed -n 's/^degraded=//p' <<<"$OUT")
check_eq "stderr and /proc/status say the same degraded" "${line##*degraded: }" "$status_degraded"
check_match "degraded is none or known words" \
	'^(none|(landlock|landlock-abi|seccomp-notify|seccomp-sync-wakeup|seccomp-wait-killable|cgroup|cgroup-v2|cgroup-cpu|cgroup-memory|cgroup-pids|cgroup-freezer|fuse)(,|$))+' \
	"$status_degraded"
abi=$(sed -n 's/^landlock_abi=//p' <<<"$OUT")
if [ "$abi" = 0 ]; then
	check_match "no Landlock is named degraded" '(^|,)landlock(,|$)' "$status_degraded"
else
	check_match "the stderr line gives the same ABI" "Landlock ABI $abi," "$line"
fi
hive_stop

# The busy-poll hook on: same answers, clean exit.
hive_start --busy-poll-us 200
for i in 1 2 3; do run hive_cli cat /proc/version; done
check_eq "--busy-poll-us 200: requests are served" 0 "$RC"
check_match "--busy-poll-us 200: the right answer" '^hive ' "$OUT"
run "$HIVED" --state "$T_DIR/y" --busy-poll-us 1001
check_eq "--busy-poll-us past the maximum exits 1" 1 "$RC"
check_match "--busy-poll-us past the maximum names the bound" 'from 0 \(never\) to 1000' "$ERR"
finish
