#!/usr/bin/env bash
# The Linux kernel's own 9P client against hived: boot Debian's kernel in a
# QEMU guest with no network, connect two virtio-serial ports to hived's Unix
# socket, and let tests/v9fs/guest-init.sh mount the hive with v9fs in both
# dialects and drive it with busybox tools. The guest's TAP lines are ours.
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
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1 >"$T_DIR/initrd.gz")

hive_start
# TCG, not KVM: nested KVM on these machines hangs at boot; TCG boots in ~6 s.
accel=tcg
timeout 300 qemu-system-x86_64 -machine "accel=$accel" -m 256 -nographic -no-reboot -nic none \
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
sed -n '/^#/p' "$T_DIR/guest.tap" | head -80
grep -v '^#' "$T_DIR/guest.tap"
T_NUM=$(grep -c '^ok\|^not ok' "$T_DIR/guest.tap")
T_FAILED=$(grep -c '^not ok' "$T_DIR/guest.tap")
T_NUM=$((T_NUM + 1))
if grep -q 'guest done' "$T_DIR/guest.log"; then ok "guest ran to the end (qemu status $rc)"; else not_ok "guest ran to the end (qemu status $rc)"; tail -30 "$T_DIR/guest.log" | sed 's/^/#   /'; fi
check "hived still serves after the guest" "$HIVE" --socket "$HIVE_SOCK" cat /proc/version
finish
