#!/bin/bash
# nkvm: boot the stock Debian kernel (scripts/versions) of an arch under QEMU TCG with an initramfs.
# usage: scripts/boot.sh [--nohw] <x86_64|arm64|s390> <initrd> <logfile> [extra qemu args...]
#   --nohw   x86_64 only: a CPU without SVM/VMX (-cpu qemu64,-svm,-vmx)
# env: NKVM_BOOT_TIMEOUT (seconds, default from scripts/versions), NKVM_QEMU_MEM (MiB, 1024),
#      NKVM_APPEND (extra kernel command line; "nkvm_loglevel=7" shows kernel messages
#      on the console, the guest /init otherwise sets the console log level to 1),
#      NKVM_KERNEL (x86_64: boot this kernel image instead of the pinned Debian one;
#      make check-debug's debug kernel)
#      NKVM_RELOADS (module_reload_test's cycles: a longer timeout and kernel log)
#      NKVM_QEMU_MONITOR (a socket path: QEMU's monitor listens there, for looking at
#      a frozen guest: `info registers -a`; see Documentation/fuzzing.md)
#      KVM_IMPL (arm64: "stock" boots without kvm-arm.mode=none, so the kernel's
#      built-in KVM owns /dev/kvm: the reference run)
# Serialized with every other emulator run through flock on /tmp/nkvm-emulator.lock.
# The console goes to <logfile> with \r stripped. Exit status is QEMU's (124: timed out).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

nohw=0
if [ "${1:-}" = --nohw ]; then nohw=1; shift; fi
[ $# -ge 3 ] || { echo "usage: $0 [--nohw] <x86_64|arm64|s390> <initrd> <logfile> [extra qemu args...]" >&2; exit 2; }
nkvm_arch "$1"
initrd=$2 log=$3; shift 3
[ -f "$initrd" ] || die "no initrd $initrd"
tmo=${NKVM_BOOT_TIMEOUT:-$NKVM_BOOT_TIMEOUT_DEFAULT}
# NKVM_RELOADS (module_reload_test's cycles): 4 s more per cycle, and a kernel log that
# keeps the earlier tests' messages through the ~5 lines each cycle logs
reload_append=
if [ -n "${NKVM_RELOADS:-}" ]; then
	[ -n "${NKVM_BOOT_TIMEOUT:-}" ] || tmo=$((tmo + 4 * NKVM_RELOADS))
	reload_append=log_buf_len=8M
fi
mem=${NKVM_QEMU_MEM:-1024}
kernel=${NKVM_KERNEL:-}
if [ -z "$kernel" ]; then
	kernel=$("$NKVM_SCRIPTS/fetch.sh" image "$ARCH_N")/vmlinuz
elif [ "$ARCH_N" != x86_64 ]; then
	die "NKVM_KERNEL is for x86_64 only"
fi
[ -f "$kernel" ] || die "no kernel image $kernel"

common=(-smp 2 -m "$mem" -accel "tcg,thread=${NKVM_TCG_THREAD:-single}" -nographic -no-reboot -nic none
	-kernel "$kernel" -initrd "$initrd")
[ -z "${NKVM_QEMU_MONITOR:-}" ] || common+=(-monitor "unix:$NKVM_QEMU_MONITOR,server,nowait")
case "$ARCH_N" in
x86_64)
	qemu=qemu-system-x86_64; cpu=max
	# nohw: no SVM/VMX. Not "max,-svm,-vmx": under QEMU 7.2 TCG, "max" without svm makes
	# every static glibc program (busybox, the tests) abort once /proc is mounted
	# ("_dl_get_origin: Assertion `linkval[0] == '/'' failed"). qemu64 minus svm works.
	[ $nohw -eq 1 ] && cpu=qemu64,-svm,-vmx
	args=(-M q35 -cpu "$cpu" "${common[@]}"
		-append "console=ttyS0 panic=-1 loglevel=1 $reload_append ${NKVM_APPEND:-}") ;;
arm64)
	[ $nohw -eq 0 ] || die "--nohw is for x86_64 only"
	qemu=qemu-system-aarch64
	kvm_mode=kvm-arm.mode=none
	[ "${KVM_IMPL:-ours}" = stock ] && kvm_mode=
	args=(-M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on "${common[@]}"
		-append "console=ttyAMA0 panic=-1 $kvm_mode loglevel=1 $reload_append ${NKVM_APPEND:-}") ;;
s390)
	[ $nohw -eq 0 ] || die "--nohw is for x86_64 only"
	qemu=qemu-system-s390x
	args=(-M s390-ccw-virtio -cpu max "${common[@]}"
		-append "console=ttysclp0 panic=-1 loglevel=1 $reload_append ${NKVM_APPEND:-}") ;;
esac
command -v "$qemu" >/dev/null || "$NKVM_SCRIPTS/deps.sh" "$ARCH_N"

mkdir -p "$(dirname "$log")"
rc=0
# Take the lock first, then start the timeout: waiting for another emulator does not
# eat our time.
t0=$SECONDS
exec {lockfd}>>"$NKVM_EMU_LOCK"
flock "$lockfd"
t1=$SECONDS
timeout -k 10 "$tmo" "$qemu" "${args[@]}" "$@" </dev/null 2>&1 | tr -d '\r' >"$log" ||
	rc=${PIPESTATUS[0]}
t2=$SECONDS
flock -u "$lockfd"
exec {lockfd}>&-
[ "$rc" -eq 124 ] && echo "NKVM-BOOT: killed after $tmo s" >>"$log"
echo "NKVM-BOOT: $ARCH_N qemu status $rc, ran $((t2 - t1)) s, waited $((t1 - t0)) s for $NKVM_EMU_LOCK" >>"$log"
if [ "$rc" -eq 124 ]; then
	note "$ARCH_N boot timed out after $tmo s (log: $log)"
elif [ "$rc" -ne 0 ]; then
	note "$qemu exited with status $rc (log: $log)"
fi
exit "$rc"
