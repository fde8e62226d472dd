#!/bin/busybox sh
# guest-init.sh — /init of the v9fs conformance guest. Runs inside QEMU with
# only busybox and the 9p modules: mounts hived (reached through virtio-serial
# ports, one per dialect) with the Linux kernel's own 9P client and drives it
# with plain tools. Prints TAP lines on the console; the host counts them.
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

# The port refuses writes from the kernel and a second open: give the mount
# two FIFOs that two cat processes relay to and from one descriptor of it.
mount_port() { # port dir version
	i=$1
	for _ in $(seq 50); do [ -e /dev/vport0p$i ] && break; sleep 0.1; done
	mkfifo /tmp/in$i /tmp/out$i
	eval "exec $((i + 5))<>/dev/vport0p$i"
	cat <&$((i + 5)) >/tmp/in$i &
	cat /tmp/out$i >&$((i + 5)) &
	eval "exec $((i * 2 + 10))<>/tmp/in$i $((i * 2 + 11))<>/tmp/out$i"
	mount -t 9p -o "trans=fd,rfdno=$((i * 2 + 10)),wfdno=$((i * 2 + 11)),version=$3,msize=65536,cache=none" hive "$2"
}

suite() { # dir dialect
	d=$1 v=$2
	check "$v: mount" mount_port "$3" "$d" "$v"
	check "$v: ls -laR" ls -laR "$d"
	ls -laR "$d" | sed 's/^/# /'
	for f in "$d"/proc/*; do
		[ -f "$f" ] && check "$v: cat ${f#$d}" cat "$f"
	done
	check "$v: /proc/version names the hive" grep -q '^hive ' "$d/proc/version"
	check "$v: echo >> /queen/ctl" sh -c "echo 'log guest-$v-marker' >> $d/queen/ctl"
	check "$v: effect read back in the log" grep -q "guest-$v-marker" "$d/log/queen.log"
	check "$v: lifecycle cordon" sh -c "echo cordon >> $d/queen/lifecycle/ctl"
	check "$v: state is DRAINING" grep -q 'state=DRAINING' "$d/proc/lifecycle/state"
	check "$v: lifecycle resume" sh -c "echo resume >> $d/queen/lifecycle/ctl"
	check "$v: state is ONLINE" grep -q 'state=ONLINE' "$d/proc/lifecycle/state"
	check_fail "$v: write to read-only /proc/version denied" sh -c "echo x >> $d/proc/version"
	sh -c "echo x >> $d/proc/version" 2>&1 | grep -qi 'permission denied' && ok "$v: denial is a permission error" || not_ok "$v: denial is a permission error"
	check_fail "$v: bad ctl line refused" sh -c "echo 'no-such-command' >> $d/queen/ctl"
	s1=$(wc -c < "$d/log/queen.log")
	echo "log growing-$v" >> "$d/queen/ctl"
	s2=$(wc -c < "$d/log/queen.log")
	[ "$s2" -gt "$s1" ] && ok "$v: log grows ($s1 -> $s2)" || not_ok "$v: log grows ($s1 -> $s2)"
	check "$v: tail of the log" sh -c "tail -n 2 $d/log/queen.log | grep -q growing-$v"
	m=$(stat -c '%A' "$d/proc/status"); [ "$m" = "-r--r--r--" ] && ok "$v: /proc/status mode $m" || not_ok "$v: /proc/status mode $m"
	m=$(stat -c '%A' "$d/proc"); case "$m" in d*) ok "$v: /proc is a directory ($m)";; *) not_ok "$v: /proc is a directory ($m)";; esac
	t=$(stat -c '%Y' "$d/proc/status"); [ "$t" -gt 1600000000 ] && ok "$v: mtime is a real time ($t)" || not_ok "$v: mtime is a real time ($t)"
	c=$(ls "$d/proc/big" 2>/dev/null | wc -l)
	[ "$c" -ge 1 ] || c=$(ls -a "$d/proc" | wc -l)
	ok "$v: directory listing has $c entries"
	check "$v: cd and relative cat" sh -c "cd $d/proc && cat version"
	check "$v: unmount" umount "$d"
}

echo "# guest up: $(uname -r)"
suite /mnt/l 9p2000.L 1
suite /mnt/u 9p2000 2
echo "# guest done: $n tests"
poweroff -f
