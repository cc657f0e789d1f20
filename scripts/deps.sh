#!/bin/bash
# nkvm: install the Debian packages the build and the emulator runs need.
# usage: scripts/deps.sh [all|base|x86|vmx|arm64|s390|hercules|bench|debug|pkg|qemu]...
#   (default: all; base: only what every script needs; vmx: Bochs and the ISO tools of
#   the Intel VMX boot (scripts/boot.sh --vmx); bench: make bench's plot;
#   debug: building the debug kernel and the L2 guest kernel; pkg: the package test's
#   dkms, lintian and udev, in all too; qemu: make check-qemu's extra tools inside the
#   test VM). The x86_64 kernel headers are not here:
#   scripts/fetch.sh kdir installs them at the version chosen for the run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

common=(make gcc libc6-dev python3 cpio kmod busybox-static xz-utils gzip
	sparse dwarves debian-archive-keyring util-linux coreutils)
x86=(qemu-system-x86 ipxe-qemu)
vmx=(bochs bochsbios vgabios xorriso isolinux syslinux-common)
arm64=(qemu-system-arm qemu-efi-aarch64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
s390=(qemu-system-misc gcc-s390x-linux-gnu libc6-dev-s390x-cross hercules)
# Hercules 3.13: s390 with SIE (scripts/boot.sh --hercules)
hercules=(hercules)
bench=(python3-matplotlib)
pkg=(dkms lintian udev)
debug=(flex bison bc libelf-dev libssl-dev linux-source-6.1)
qemu=(strace)

want=("${common[@]}")
[ $# -gt 0 ] || set -- all
for a in "$@"; do
	case "$a" in
	all) want+=("${x86[@]}" "${vmx[@]}" "${arm64[@]}" "${s390[@]}" "${pkg[@]}") ;;
	base) ;;
	x86|x86_64|amd64) want+=("${x86[@]}") ;;
	vmx) want+=("${vmx[@]}") ;;
	arm64|aarch64) want+=("${arm64[@]}") ;;
	s390|s390x) want+=("${s390[@]}") ;;
	hercules) want+=("${hercules[@]}") ;;
	bench) want+=("${bench[@]}") ;;
	pkg) want+=("${pkg[@]}") ;;
	debug) want+=("${debug[@]}") ;;
	qemu) want+=("${qemu[@]}") ;;
	*) die "deps.sh: unknown set '$a' (want all, base, x86, vmx, arm64, s390, hercules, bench, debug, pkg or qemu)" ;;
	esac
done

missing=()
for p in "${want[@]}"; do
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -gt 0 ] || exit 0
apt_install "${missing[@]}"
