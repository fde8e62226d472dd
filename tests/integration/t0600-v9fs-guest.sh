#!/usr/bin/env bash
# The Linux kernel's own 9P client against hived: boot Debian's kernel in a
# QEMU guest with no network, connect two virtio-serial ports to hived's Unix
# socket, and let tests/v9fs/guest-init.sh mount the hive with v9fs in both
# dialects and drive it with busybox tools. The guest's TAP lines are ours.
# Afterwards /proc/9p tells which requests the kernel sent in each dialect
# (docs/v9fs.md lists them).
. "$(dirname "$0")/lib.sh"

cache=${HIVE_V9FS_CACHE:-/var/cache/hive-v9fs}
[ "$(id -u)" -eq 0 ] || cache=${HIVE_V9FS_CACHE:-$HOME/.cache/hive-v9fs}
for tool in qemu-system-x86_64 cpio busybox; do
	if ! command -v $tool >/dev/null; then
		ok "v9fs guest # skip: $tool missing (apt-get install qemu-system-x86 busybox-static cpio)"; finish
	fi
done

# Debian's kernel, as linux-image-amd64 depends on it; downloaded once.
mkdir -p "$cache"
if ! ls "$cache"/root/boot/vmlinuz-* >/dev/null 2>&1; then
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
	if [ -z "$pkg" ]; then apt-get update -qq >/dev/null 2>&1; pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ { print $2; exit }'); fi
	(cd "$cache" && apt-get download "$pkg" >/dev/null 2>&1 && dpkg-deb -x "$pkg"_*.deb root && rm -f "$pkg"_*.deb)
fi
kernel=$(ls "$cache"/root/boot/vmlinuz-* 2>/dev/null | head -1)
if [ -z "$kernel" ]; then not_ok "kernel image downloaded into $cache"; finish; fi
ok "kernel image: $(basename "$kernel")"

# initramfs: static busybox, the modules, our init.
ird=$T_DIR/initrd
mkdir -p "$ird/bin" "$ird/modules"
cp "$(command -v busybox)" "$ird/bin/busybox"
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_console \
         netfs fscache 9pnet 9pnet_fd 9p; do
	f=$(find "$cache"/root/lib/modules -name "$m.ko*" | head -1)
	case "$f" in
	*.ko.xz) xz -dc "$f" >"$ird/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$ird/modules/$m.ko" ;;
	*) cp "$f" "$ird/modules/$m.ko" ;;
	esac
done
cp "$HIVE_TOP/tests/v9fs/guest-init.sh" "$ird/init"
chmod 755 "$ird/init"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1 >"$T_DIR/initrd.gz")

# QEMU opens both ports at VM start, the guest mounts seconds later: the
# default 10 s handshake timeout could close a port first on a loaded host.
hive_start --handshake-timeout 600 --test-fixtures

# /proc/9p as key=count lines, read over the Unix socket.
proc9p() { hive_cli cat /proc/9p; }
p9_before=$(proc9p)

# TCG, not KVM: nested KVM on these machines hangs at boot; TCG boots in ~6 s.
accel=tcg
timeout -k 5 300 qemu-system-x86_64 -machine "accel=$accel" -m 256 -nographic -no-reboot -nic none \
	-kernel "$kernel" -initrd "$T_DIR/initrd.gz" -append "console=ttyS0 quiet panic=-1" \
	-device virtio-serial-pci \
	-chardev socket,id=p1,path="$HIVE_SOCK" -device virtserialport,chardev=p1,name=hive-l \
	-chardev socket,id=p2,path="$HIVE_SOCK" -device virtserialport,chardev=p2,name=hive-u \
	</dev/null >"$T_DIR/guest.log" 2>&1
rc=$?
tr -d '\r' <"$T_DIR/guest.log" | grep -E '^(ok|not ok|#)' | while IFS= read -r line; do
	case "$line" in
	"ok "*) ok "guest: ${line#ok * - }" ;;
	"not ok "*) not_ok "guest: ${line#not ok * - }" ;;
	*) echo "$line" ;;
	esac
done > "$T_DIR/guest.tap"
sed -n '/^#/p' "$T_DIR/guest.tap" | head -200
grep -v '^#' "$T_DIR/guest.tap"
# The renumbering ran in a subshell: count its lines into ours.
T_NUM=$((T_NUM + $(grep -c '^ok\|^not ok' "$T_DIR/guest.tap")))
T_FAILED=$((T_FAILED + $(grep -c '^not ok' "$T_DIR/guest.tap")))
case $rc in 124|137) why="qemu killed by timeout after 300 s" ;; *) why="qemu status $rc" ;; esac
if grep -q 'guest done' "$T_DIR/guest.log"; then ok "guest ran to the end ($why)"; else not_ok "guest ran to the end ($why)"; fi
[ "$T_FAILED" -eq 0 ] || { echo "# last lines of the guest console:"; tr -d '\r' <"$T_DIR/guest.log" | grep -v '^ok ' | tail -30 | sed 's/^/#   /'; }

# What the kernel sent. Each `hive cat /proc/9p` is one identical 9P2000.L
# session whose first messages land in its own snapshot: with B before the
# guest and A, A2 after it, the kernel's share is A - B - (A2 - A).
p9_after=$(proc9p)
p9_after2=$(proc9p)
kernel9p=$( { printf '%s\n' "$p9_before" | sed 's/^/B /'; printf '%s\n' "$p9_after" | sed 's/^/A /'
	printf '%s\n' "$p9_after2" | sed 's/^/C /'; } | awk -F'[ =]' '
	$2 ~ /:T/ { v[$2] += ($1 == "A" ? 2 : -1) * $3; seen[$2] = 1 }
	END { for (k in seen) if (v[k] > 0) print k "=" v[k] }' | sort -t: -k1,1 -k2)
echo "# the kernel's attaches (sessions 2 and 3 are QEMU's ports; 1 is the host's first cat):"
grep ' attach .* session=[23] ' "$T_DIR/hived.log" | sed 's/^/#   /'
echo "# /proc/9p after the guest:"
printf '%s\n' "$p9_after" | sed 's/^/#   /'
echo "# requests the kernel sent (A - B - (A2 - A)):"
for d in 9P2000.L 9P2000; do
	echo "#   $d: $(printf '%s\n' "$kernel9p" | grep "^$d:" | sed "s/^$d://" | tr '\n' ' ')"
done
# /proc/9p is consistent: the totals, and the per-dialect lines, each sum to total=.
sums=$(printf '%s\n' "$p9_after" | awk -F= '/^T/ { a += $2 } /:T/ { d += $2 } /^total=/ { t = $2 } END { print a, d, t }')
set -- $sums
check_eq "/proc/9p: Tname lines and dialect lines both sum to total=" "$3 $3" "$1 $2"
check_match "hived --help documents --test-fixtures" '--test-fixtures +adds /test with fixtures for client conformance tests' "$("$HIVED" --help)"
count() { printf '%s\n' "$kernel9p" | awk -F= -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }'; }
for t in Tversion Tattach Twalk Tgetattr Treaddir Tlopen Tread Twrite Tclunk; do
	c=$(count "9P2000.L:$t")
	[ "$c" -gt 0 ] && ok "kernel sent $t in 9P2000.L ($c)" || not_ok "kernel sent $t in 9P2000.L"
done
for t in Tversion Tattach Twalk Topen Tstat Tread Twrite Tclunk; do
	c=$(count "9P2000:$t")
	[ "$c" -gt 0 ] && ok "kernel sent $t in 9P2000 ($c)" || not_ok "kernel sent $t in 9P2000"
done
# Each dialect used its own requests only (the codec refuses the others).
check_eq "no 9P2000.L requests in the 9P2000 session" "" "$(printf '%s\n' "$kernel9p" | grep -E '^9P2000:T(getattr|readdir|lopen|setattr|xattrwalk)=')"
check_eq "no 9P2000 requests in the 9P2000.L session" "" "$(printf '%s\n' "$kernel9p" | grep -E '^9P2000\.L:T(open|stat|wstat|create)=')"
check "hived still serves after the guest" hive_cli cat /proc/version
[ "$T_FAILED" -eq 0 ] || { echo "# last lines of hived's log:"; tail -20 "$T_DIR/hived.log" | sed 's/^/#   /'; }
finish
