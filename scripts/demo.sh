#!/bin/bash
# nkvm demo (`make demo`): build nkvm.ko and the x86_64 helpers, boot the stock Debian
# kernel under QEMU (TCG, AMD SVM CPU), load nkvm.ko there and show what /dev/kvm reports.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$NKVM_ROOT"
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEFILES ARCH CROSS_COMPILE

out=$NKVM_ROOT/build/demo
mkdir -p "$out"
step() { echo "==> $*"; }

step "installing what is missing (Debian packages: QEMU, kernel headers, busybox...)"
scripts/deps.sh x86
step "fetching the stock Debian kernel $("$NKVM_SCRIPTS/fetch.sh" release x86_64) (cached in $NKVM_CACHE)"
scripts/fetch.sh image x86_64 >/dev/null
step "building nkvm.ko (make)"
if ! make -j"$(nproc)" ARCH=x86_64 >"$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log" >&2; die "module build failed (log: $out/build.log)"
fi
step "building kvm_info (make selftests)"
if ! make -j"$(nproc)" selftests ARCH=x86_64 >"$out/selftests.log" 2>&1; then
	note "selftests did not build (log: $out/selftests.log); the demo shows what exists"
fi
NKVM_RUN_SH=$NKVM_SCRIPTS/guest/demo.sh NKVM_INIT_TIMEOUT=240 \
	scripts/payload.sh x86_64 ours main "$out/payload"
scripts/mkinitramfs.sh x86_64 "$out/payload" "$out/initrd.cpio.gz"
step "booting the guest (qemu-system-x86_64 -cpu max, TCG; about 10-20 s)"
rc=0
NKVM_BOOT_TIMEOUT=${NKVM_BOOT_TIMEOUT:-300} scripts/boot.sh x86_64 "$out/initrd.cpio.gz" "$out/console.log" || rc=$?
echo
if ! grep -q '^NKVM-DEMO-BEGIN' "$out/console.log"; then
	tail -n 40 "$out/console.log"
	die "the guest did not run the demo (console log: $out/console.log)"
fi
sed -n '/^NKVM-DEMO-BEGIN/,/^NKVM-DEMO-END/p' "$out/console.log" | sed '1d;$d'
echo
grep '^NKVM-BOOT:' "$out/console.log" | sed 's/^NKVM-BOOT: /==> guest done: /'
[ $rc -eq 0 ] || die "emulator exit status $rc (console log: $out/console.log)"
