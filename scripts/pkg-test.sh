#!/bin/bash
# nkvm: the package test (`make check` runs it; scripts/check.sh section "package").
# Builds the DKMS package (scripts/mkdeb.sh), checks it with lintian, then boots the
# x86_64 guest with the host's root shared read-only over virtio-9p and runs
# scripts/guest/pkg-run.sh there: dpkg -i (DKMS builds nkvm in the guest against the
# host's linux-headers of the guest's release), /dev/kvm mode and group, loading at
# boot (modules-load.d), modprobe kvm_amd refused, purge, the stock KVM loads again.
# usage: scripts/pkg-test.sh <out-dir>      prints TAP; logs in <out-dir>
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$NKVM_ROOT"

out=${1:-$NKVM_ROOT/build/check/package}
nkvm_arch x86_64
[ "$SYSROOT" = 0 ] || die "the package test needs the guest kernel's headers installed on the host (6.1)"
"$NKVM_SCRIPTS/deps.sh" pkg
rm -rf "$out"; mkdir -p "$out"

deb=$(scripts/mkdeb.sh "$out/deb")
echo "# BEGIN lintian"
lintian --fail-on error "$deb" >"$out/lintian.log" 2>&1; rc=$?
sed 's/^/# lintian: /' "$out/lintian.log"
echo "1..1"
if [ $rc -eq 0 ]; then echo "ok 1 - lintian: no error on ${deb##*/}"
else echo "not ok 1 - lintian: no error on ${deb##*/}"; fi
echo "# END lintian rc=$rc"

img=$("$NKVM_SCRIPTS/fetch.sh" image x86_64)
NKVM_RUN_SH=$NKVM_SCRIPTS/guest/pkg-run.sh NKVM_INIT_TIMEOUT=${NKVM_INIT_TIMEOUT:-1500} \
NKVM_PAYLOAD_MODS="kernel/net/9p/9pnet_virtio.ko kernel/fs/9p/9p.ko kernel/fs/overlayfs/overlay.ko kernel/drivers/virtio/virtio_pci.ko" \
	scripts/payload.sh x86_64 ours main "$out/payload" >"$out/payload.log" 2>&1 ||
	{ cat "$out/payload.log" >&2; die "payload"; }
rm -rf "$out/payload/bin" "$out/payload/nkvm.ko"
cp "$deb" "$out/payload/nkvm-dkms.deb"
scripts/mkinitramfs.sh x86_64 "$out/payload" "$out/initrd.cpio.gz"
rc=0
# Multi-threaded TCG: the DKMS build (two compilers) is most of the run, and this
# guest runs no nested guest (the stock kvm-amd hangs seen under multi-threaded
# TCG were in guests it ran).
NKVM_TCG_THREAD=${NKVM_TCG_THREAD:-multi} \
NKVM_BOOT_TIMEOUT=${NKVM_BOOT_TIMEOUT:-1600} NKVM_QEMU_MEM=${NKVM_QEMU_MEM:-2048} \
	scripts/boot.sh x86_64 "$out/initrd.cpio.gz" "$out/console.log" \
	-virtfs "local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap" \
	-virtfs "local,path=$img/lib/modules/$KREL,mount_tag=kmods,security_model=none,readonly=on,multidevs=remap" \
	2>"$out/boot.err" || rc=$?
grep -v '^\[ *[0-9.]*\]' "$out/console.log" | sed -n '/^# BEGIN package/,/^NKVM-DONE/p' | grep -v '^NKVM-DMESG'
exit $rc
