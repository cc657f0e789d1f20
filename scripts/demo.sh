#!/bin/bash
# nkvm demo (`make demo`): build nkvm.ko, boot the stock Debian kernel under QEMU (TCG,
# AMD SVM CPU) as the test VM, load nkvm.ko there, and run Debian's QEMU 7.2 on it
# (`-accel kvm -M pc`) with a small Linux guest that reads a virtio disk: show what
# that guest prints and how long it took. KVM_IMPL=stock runs the same on kvm-amd.
# It is make check-qemu's "demo" row (scripts/check-qemu.sh); where QEMU cannot start
# `-M pc` with the in-kernel interrupt controllers, it shows the error and runs
# `-M pc,kernel-irqchip=off` after it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$NKVM_ROOT"
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEFILES ARCH CROSS_COMPILE

impl=${KVM_IMPL:-ours}
case "$impl" in ours|stock) ;; *) die "KVM_IMPL must be ours or stock, not '$impl'" ;; esac
out=$NKVM_ROOT/build/demo
mkdir -p "$out"
step() { echo "==> $*"; }

step "installing what is missing (Debian packages: QEMU, kernel headers and source, busybox...)"
scripts/deps.sh x86 qemu debug
step "fetching the stock Debian kernel $("$NKVM_SCRIPTS/fetch.sh" release x86_64) (cached in $NKVM_CACHE)"
scripts/fetch.sh image x86_64 >/dev/null
step "building nkvm.ko (make)"
if ! make -j"$(nproc)" ARCH=x86_64 >"$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log" >&2; die "module build failed (log: $out/build.log)"
fi
step "the guest's kernel: small, from linux-source-6.1 (built once: ~6-8 min on 2 cores; cached)"
scripts/guest-kernel.sh >/dev/null
step "booting the test VM (qemu-system-x86_64 -cpu max, TCG), loading $([ "$impl" = ours ] &&
	echo nkvm.ko || echo 'the stock kvm-amd'), then in it:"
echo "      qemu-system-x86_64 -accel kvm -M pc -m 128 -kernel bzImage -initrd l2.cpio.gz \\"
echo "        -drive file=disk.img,if=none,id=d0 -device virtio-blk-pci,drive=d0 -serial stdio ..."
q=$out/qemu
rc=0
NKVM_QEMU_OUT=$q NKVM_QEMU_IMPLS=$impl NKVM_QEMU_ROWS=demo scripts/check-qemu.sh >"$out/check-qemu.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || { tail -n 30 "$out/check-qemu.log" >&2; die "scripts/check-qemu.sh failed (log: $out/check-qemu.log)"; }
console=$(ls "$q/$impl"/console-*.log 2>/dev/null | tail -n1)
[ -n "$console" ] || die "the test VM did not boot (log: $out/check-qemu.log)"

echo
sed -n 's/^QEMU-START impl=[a-z]* kernel=\([^ ]*\) cpus=\([0-9]*\)/test VM: Linux \1, \2 vCPUs (QEMU TCG, AMD SVM)/p' "$console"
grep -E '^QEMU-(LOAD|SETUP) ' "$console" | sed 's/^QEMU-LOAD ok /loaded: /; s/^QEMU-//'
sed -n '/^NKVM-DMESG-BEGIN/,/^NKVM-DMESG-END/p' "$console" | grep -E '\] (nkvm|kvm|SVM)' | head -n 5 |
	sed 's/^\[[^]]*\] /  dmesg: /'

shown=0
for row in demo demo-irqchip-off; do
	res=$q/$impl/work/rows/$row.result
	[ -f "$res" ] || continue
	log=$q/$impl/work/rows/$row/q.log
	echo
	echo "\$ $(sed 's|^/usr/bin/||; s| -append .*||' "$q/$impl/work/rows/$row/q.cmd") -append ..."
	if [ -f "$log" ]; then
		# what QEMU and the guest printed, with seconds since QEMU started
		awk -v t0="$(cat "$q/$impl/work/rows/$row/q.t0")" '
			{ t = $1; sub(/^[0-9]+ /, "") }
			/^NKVM-L2-/ { sub(/^NKVM-L2-/, ""); printf "  [%6.2f s] %s\n", (t - t0) / 1e6, $0; next }
			/qemu-system|KVM|error|WARNING/ { print "  " $0 }' "$log"
	fi
	read -r _ _ r user total detail <"$res"
	if grep -q ' NKVM-L2-DONE' "$log" 2>/dev/null; then
		shown=1
		echo "  => the guest reached userspace ${user#user=} s after QEMU started; ${total#total=} s in all"
		if grep -q " NKVM-L2-DISK $(cat "$q/disk.md5") " "$log"; then
			echo "     its md5 of the disk is the host's ($(cat "$q/disk.md5"))"
		fi
		[ "$r" = PASS ] || echo "     (make check-qemu fails this row:$(echo "${detail#*;}" | tr -s '|;' ' '))"
	else
		echo "  => QEMU did not run the guest to its end (its messages are above)"
	fi
done
echo
grep '^NKVM-BOOT:' "$console" | tail -n1 | sed 's/^NKVM-BOOT: /==> test VM done: /'
echo "==> logs: $q/$impl/ (the test VM's console: $console)"
[ $shown -eq 1 ] || die "no guest ran to the end under QEMU on $impl (see above)"
