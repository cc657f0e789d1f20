#!/bin/bash
# nkvm: build a busybox initramfs carrying a payload dir as /payload.
# usage: scripts/mkinitramfs.sh <x86_64|arm64|s390> <payload-dir> <out.cpio.gz>
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 3 ] || { echo "usage: $0 <x86_64|arm64|s390> <payload-dir> <out.cpio.gz>" >&2; exit 2; }
nkvm_arch "$1"
payload=$2 out=$3
[ -d "$payload" ] || die "payload dir $payload does not exist"
command -v cpio >/dev/null || "$NKVM_SCRIPTS/deps.sh"

bb=$("$NKVM_SCRIPTS/fetch.sh" busybox "$ARCH_N")
stage=$(mktemp -d /tmp/nkvm-initramfs.XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,etc,payload}
cp "$bb" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 0755 "$NKVM_SCRIPTS/guest/init" "$stage/init"
echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
echo "root:x:0:" >"$stage/etc/group"
if [ "$(id -u)" -eq 0 ]; then
	mknod -m 600 "$stage/dev/console" c 5 1
	mknod -m 666 "$stage/dev/null" c 1 3
fi
cp -a "$payload/." "$stage/payload/"
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet | gzip -6) >"$out.tmp"
mv "$out.tmp" "$out"
