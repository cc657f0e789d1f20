#!/bin/bash
# nkvm: install the Debian packages the build and the emulator runs need.
# usage: scripts/deps.sh [all|x86|arm64|s390|bench|debug]...
#   (default: all; bench: make bench's plot; debug: building the debug kernel)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

common=(make gcc libc6-dev python3 cpio kmod busybox-static xz-utils gzip
	sparse dwarves debian-archive-keyring util-linux coreutils)
x86=(qemu-system-x86 ipxe-qemu "linux-headers-$NKVM_KABI_x86_64-$NKVM_KFLAVOUR_x86_64")
arm64=(qemu-system-arm qemu-efi-aarch64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
s390=(qemu-system-misc gcc-s390x-linux-gnu libc6-dev-s390x-cross)
bench=(python3-matplotlib)
debug=(flex bison bc libelf-dev libssl-dev linux-source-6.1)

want=("${common[@]}")
[ $# -gt 0 ] || set -- all
for a in "$@"; do
	case "$a" in
	all) want+=("${x86[@]}" "${arm64[@]}" "${s390[@]}") ;;
	x86|x86_64|amd64) want+=("${x86[@]}") ;;
	arm64|aarch64) want+=("${arm64[@]}") ;;
	s390|s390x) want+=("${s390[@]}") ;;
	bench) want+=("${bench[@]}") ;;
	debug) want+=("${debug[@]}") ;;
	*) die "deps.sh: unknown set '$a' (want all, x86, arm64, s390, bench or debug)" ;;
	esac
done

missing=()
for p in "${want[@]}"; do
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done
# The x86 headers must be the pinned version, not just any installed one.
hx="linux-headers-$NKVM_KABI_x86_64-$NKVM_KFLAVOUR_x86_64"
for i in "${!missing[@]}"; do
	[ "${missing[$i]}" = "$hx" ] && missing[$i]="$hx=$NKVM_KPKG_x86_64"
done
[ ${#missing[@]} -gt 0 ] || exit 0

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/nkvm-deps.XXXXXX.log)
trap 'rm -f "$log"' EXIT
install() {
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}" >"$log" 2>&1
}
note "installing: ${missing[*]}"
if ! compgen -G '/var/lib/apt/lists/*Packages*' >/dev/null; then
	as_root apt-get update -q >"$log" 2>&1 || { cat "$log" >&2; die "apt-get update failed"; }
fi
if ! install; then
	as_root apt-get update -q >"$log" 2>&1 || { cat "$log" >&2; die "apt-get update failed"; }
	if ! install; then
		tail -n 30 "$log" >&2
		if grep -q "$hx" "$log"; then
			die "cannot install $hx=$NKVM_KPKG_x86_64: the registry may no longer have it;" \
			    "change NKVM_KABI_x86_64/NKVM_KPKG_x86_64 in scripts/versions"
		fi
		die "apt-get install failed for: ${missing[*]}"
	fi
fi
