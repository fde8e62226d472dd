#!/bin/busybox sh
# guest-init.sh — /init of the v9fs conformance guest. Runs inside QEMU with
# only busybox and the 9p modules: mounts hived (reached through virtio-serial
# ports, one per dialect) with the Linux kernel's own 9P client and drives it
# with plain tools. Prints TAP lines on the console; the host counts them.
# hived runs with --test-fixtures, so /test/big holds 1000 files.
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp /mnt/l /mnt/u
mount -t tmpfs tmp /tmp
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_console \
         netfs fscache 9pnet 9pnet_fd 9p; do
	insmod /modules/$m.ko 2>/dev/null || echo "# insmod $m failed"
done

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
check() { name=$1; shift; if "$@" >/tmp/out 2>&1; then ok "$name"; else not_ok "$name"; sed 's/^/#   /' /tmp/out | tail -5; fi; }
check_fail() { name=$1; shift; if "$@" >/tmp/out 2>&1; then not_ok "$name (expected failure)"; else ok "$name"; fi; }
eq() { # name expected actual
	if [ "$2" = "$3" ]; then ok "$1 ($3)"; else not_ok "$1"; echo "#   expected: $2"; echo "#   actual:   $3"; fi
}
# is name low value high: low <= value <= high
within() { if [ "$3" -ge "$2" ] 2>/dev/null && [ "$3" -le "$4" ]; then ok "$1 ($3)"; else not_ok "$1 ($3 not in $2..$4)"; fi; }

# The port refuses writes from the kernel and a second open: give the mount
# two FIFOs that two cat processes relay to and from one descriptor of it.
# msize=8192 is trans=fd's default: a 9P2000.L readdir reply then holds
# about 240 entries, so /test/big takes several.
mount_port() { # port dir version
	i=$1
	for _ in $(seq 50); do [ -e /dev/vport0p$i ] && break; sleep 0.1; done
	mkfifo /tmp/in$i /tmp/out$i
	eval "exec $((i + 5))<>/dev/vport0p$i"
	cat <&$((i + 5)) >/tmp/in$i &
	cat /tmp/out$i >&$((i + 5)) &
	eval "exec $((i * 2 + 10))<>/tmp/in$i $((i * 2 + 11))<>/tmp/out$i"
	mount -t 9p -o "trans=fd,rfdno=$((i * 2 + 10)),wfdno=$((i * 2 + 11)),version=$3,msize=8192,cache=none" hive "$2"
}

suite() { # dir dialect port
	d=$1 v=$2
	check "$v: mount" mount_port "$3" "$d" "$v"
	grep -q " $d 9p " /proc/mounts && ok "$v: mounted as 9p" || not_ok "$v: mounted as 9p"

	# The tree: every top-level name, every directory recursed into.
	check "$v: ls -laR" sh -c "ls -laR $d >/tmp/lslr"
	grep -v ' entry-[0-9]' /tmp/lslr | sed 's/^/# /'
	eq "$v: top-level names" "agent audit gpu log proc queen test" "$(ls "$d" | tr '\n' ' ' | sed 's/ $//')"
	missing=
	for sub in proc proc/lifecycle log queen queen/lifecycle agent test test/big; do
		grep -qx "$d/$sub:" /tmp/lslr || missing="$missing /$sub"
	done
	[ -z "$missing" ] && ok "$v: ls -laR entered every directory" || not_ok "$v: ls -laR did not enter:$missing"
	eq "$v: ls -laR lists 1000 fixture files" 1000 "$(grep -c ' entry-[0-9][0-9][0-9][0-9]$' /tmp/lslr)"

	# A directory larger than one readdir reply (one listing: each costs
	# a walk and a stat per entry under TCG).
	# /proc/9p shows how many directory reads that listing took.
	key=9P2000.L:Treaddir; [ "$v" = 9p2000 ] && key=9P2000:Tread
	r1=$(sed -n "s/^$key=//p" "$d/proc/9p")
	check "$v: ls /test/big" sh -c "ls $d/test/big >/tmp/big"
	r2=$(sed -n "s/^$key=//p" "$d/proc/9p")
	within "$v: listing /test/big took several replies ($key)" 5 $((${r2:-0} - ${r1:-0})) 1000
	eq "$v: /test/big has 1000 entries" 1000 "$(wc -l </tmp/big)"
	eq "$v: /test/big has no duplicates" 1000 "$(uniq </tmp/big | wc -l)"
	eq "$v: /test/big first and last" "entry-0001 entry-1000" "$(sed -n '1p;$p' /tmp/big | tr '\n' ' ' | sed 's/ $//')"
	eq "$v: cat /test/big/entry-0500" "entry-0500" "$(cat "$d/test/big/entry-0500")"
	eq "$v: cat /test/big/entry-1000" "entry-1000" "$(cat "$d/test/big/entry-1000")"

	# Every /proc file has content.
	for f in "$d"/proc/* "$d"/proc/lifecycle/*; do
		[ -f "$f" ] || continue
		c=$(cat "$f" | wc -c)
		[ "$c" -gt 0 ] && ok "$v: cat ${f#$d} ($c bytes)" || not_ok "$v: cat ${f#$d} is empty"
	done
	check "$v: /proc/version names the hive" grep -q '^hive ' "$d/proc/version"
	check "$v: /proc/9p counts this session's Tattach" grep -q '^Tattach=[1-9]' "$d/proc/9p"

	# Writes: >> and > (the kernel truncates on > : a no-op for the hive).
	check "$v: echo >> /queen/ctl" sh -c "echo 'log guest-$v-marker' >> $d/queen/ctl"
	check "$v: effect read back in the log" grep -q "guest-$v-marker" "$d/log/queen.log"
	check "$v: echo > /queen/ctl (truncating open)" sh -c "echo 'log trunc-$v-marker' > $d/queen/ctl"
	check "$v: its effect in the log" grep -q "trunc-$v-marker" "$d/log/queen.log"
	check "$v: lifecycle cordon" sh -c "echo cordon >> $d/queen/lifecycle/ctl"
	check "$v: state is DRAINING" grep -q 'state=DRAINING' "$d/proc/lifecycle/state"
	check "$v: lifecycle resume" sh -c "echo resume >> $d/queen/lifecycle/ctl"
	check "$v: state is ONLINE" grep -q 'state=ONLINE' "$d/proc/lifecycle/state"
	check_fail "$v: write to read-only /proc/version denied" sh -c "echo x >> $d/proc/version"
	sh -c "echo x >> $d/proc/version" 2>&1 | grep -qi 'permission denied' && ok "$v: denial is a permission error" || not_ok "$v: denial is a permission error"
	check_fail "$v: write to a fixture file denied" sh -c "echo x >> $d/test/big/entry-0001"
	check_fail "$v: bad ctl line refused" sh -c "echo 'no-such-command' >> $d/queen/ctl"
	sh -c "echo 'no-such-command' >> $d/queen/ctl" 2>&1 | grep -q 'Invalid argument' && ok "$v: refusal is EINVAL" || not_ok "$v: refusal is EINVAL"
	check "$v: refusal logged" grep -q "result=refused.*unknown command 'no-such-command'" "$d/log/queen.log"
	check_fail "$v: rm refused" rm -f "$d/proc/version"
	check_fail "$v: mkdir refused" mkdir "$d/newdir"

	# The log grows and stat agrees with what a read returns.
	s1=$(wc -c < "$d/log/queen.log")
	echo "log growing-$v" >> "$d/queen/ctl"
	s2=$(wc -c < "$d/log/queen.log")
	[ "$s2" -gt "$s1" ] && ok "$v: log grows ($s1 -> $s2)" || not_ok "$v: log grows ($s1 -> $s2)"
	check "$v: tail -n 2 of the log" sh -c "tail -n 2 $d/log/queen.log | grep -q growing-$v"
	eq "$v: log stat size = bytes read" "$(cat "$d/log/queen.log" | wc -c)" "$(stat -c %s "$d/log/queen.log")"

	# tail -f follows appends made through /queen/ctl.
	tail -f "$d/log/queen.log" >/tmp/tailf 2>&1 &
	tp=$!
	sleep 1
	echo "log follow-one-$v" >> "$d/queen/ctl"
	echo "log follow-two-$v" >> "$d/queen/ctl"
	sleep 2
	kill $tp; wait $tp 2>/dev/null
	grep -q "follow-one-$v" /tmp/tailf && grep -q "follow-two-$v" /tmp/tailf &&
		ok "$v: tail -f saw both new lines" ||
		{ not_ok "$v: tail -f saw both new lines"; tail -5 /tmp/tailf | sed 's/^/#   /'; }

	# stat: modes as docs/namespace.md gives them, sizes, times.
	eq "$v: /queen/ctl mode" "-rw-r--r--" "$(stat -c %A "$d/queen/ctl")"
	eq "$v: /proc/status mode" "-r--r--r--" "$(stat -c %A "$d/proc/status")"
	eq "$v: /proc mode" "dr-xr-xr-x" "$(stat -c %A "$d/proc")"
	eq "$v: /test/big/entry-0500 mode" "-r--r--r--" "$(stat -c %A "$d/test/big/entry-0500")"
	eq "$v: /proc/status size (text: read to EOF)" 0 "$(stat -c %s "$d/proc/status")"
	eq "$v: entry-0500 size = bytes read" "$(cat "$d/test/big/entry-0500" | wc -c)" "$(stat -c %s "$d/test/big/entry-0500")"
	echo "# $v: owner uid:gid of /proc/status: $(stat -c %u:%g "$d/proc/status")"
	now=$(date +%s)
	within "$v: /proc/status mtime is recent" $((now - 3600)) "$(stat -c %Y "$d/proc/status")" $((now + 60))
	within "$v: queen.log mtime is recent" $((now - 3600)) "$(stat -c %Y "$d/log/queen.log")" $((now + 60))

	check "$v: cd and relative cat" sh -c "cd $d/proc && cat version && cd lifecycle && cat ../status"
	check "$v: unmount" umount "$d"
	grep -q " $d " /proc/mounts && not_ok "$v: gone from /proc/mounts" || ok "$v: gone from /proc/mounts"
}

echo "# guest up: $(uname -r)"
suite /mnt/l 9p2000.L 1
suite /mnt/u 9p2000 2
echo "# guest done: $n tests"
poweroff -f
