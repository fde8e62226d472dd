#!/usr/bin/env bash
# Install the Debian packages the build and tests need. As root: installs
# what is missing. Otherwise: prints the exact apt-get line and fails if
# something is missing.
set -euo pipefail
pkgs=(build-essential pkg-config clang libclang-rt-14-dev libsodium-dev libjansson-dev
      libfuse3-dev fuse3 libedit-dev libseccomp-dev libmicrohttpd-dev libcurl4-openssl-dev bubblewrap b3sum diod procps qemu-system-x86 busybox-static cpio)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "hive: missing Debian packages: ${missing[*]}" >&2
	echo "hive: install them with: sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "hive: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || apt-get update
apt-get install -y -qq "${missing[@]}" >/dev/null
