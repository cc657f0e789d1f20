#!/bin/bash
# nkvm: the initramfs of the L2 guest (make demo, make check-qemu): the static
# busybox and scripts/guest/l2-init as /init. Under a second to build.
# usage: scripts/guest-initramfs.sh <out.cpio.gz>
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 <out.cpio.gz>" >&2; exit 2; }
out=$1
command -v cpio >/dev/null || "$NKVM_SCRIPTS/deps.sh" base
bb=$("$NKVM_SCRIPTS/fetch.sh" busybox x86_64)
stage=$(mktemp -d /tmp/nkvm-l2-initramfs.XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,tmp}
cp "$bb" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 0755 "$NKVM_SCRIPTS/guest/l2-init" "$stage/init"
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet | gzip -6) >"$out.tmp"
mv "$out.tmp" "$out"
