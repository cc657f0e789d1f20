#!/bin/bash
# nkvm: boot the stock Debian kernel (scripts/versions) of an arch under QEMU TCG with an initramfs.
# usage: scripts/boot.sh [--nohw|--hercules] <x86_64|arm64|s390> <initrd> <logfile> [extra qemu args...]
#   --nohw      x86_64 only: a CPU without SVM/VMX (-cpu qemu64,-svm,-vmx)
#   --hercules  s390 only: Hercules 3.13, which has SIE, instead of QEMU (no extra args).
#               Hercules does not stop at the guest's poweroff: it is ended once the
#               guest's /init printed its last line ("NKVM-INIT: run.sh exit status"),
#               or a kernel panic. Its own messages (HHC...) are in the log.
# env: NKVM_BOOT_TIMEOUT (seconds, default from scripts/versions; Hercules: 3 times
#      that), NKVM_QEMU_MEM (MiB, 1024; Hercules' MAINSIZE too),
#      NKVM_APPEND (extra kernel command line; "nkvm_loglevel=7" shows kernel messages
#      on the console, the guest /init otherwise sets the console log level to 1),
#      NKVM_KERNEL (x86_64: boot this kernel image instead of the pinned Debian one;
#      make check-debug's debug kernel)
#      NKVM_RELOADS (module_reload_test's cycles: a longer timeout and kernel log)
#      NKVM_QEMU_SMP (vCPUs of the test VM, 2; make check-qemu boots it with 1: see
#      Documentation/qemu.md)
#      NKVM_QEMU_MONITOR (a socket path: QEMU's monitor listens there, for looking at
#      a frozen guest: `info registers -a`; see Documentation/fuzzing.md)
# Serialized with every other emulator run through flock on /tmp/nkvm-emulator.lock.
# The console goes to <logfile> with \r stripped. Exit status is QEMU's (124: timed out;
# Hercules: 0 when the guest finished, 124 when it timed out).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

nohw=0 hercules=0
case "${1:-}" in
--nohw) nohw=1; shift ;;
--hercules) hercules=1; shift ;;
esac
[ $# -ge 3 ] || { echo "usage: $0 [--nohw|--hercules] <x86_64|arm64|s390> <initrd> <logfile> [extra qemu args...]" >&2; exit 2; }
nkvm_arch "$1"
initrd=$2 log=$3; shift 3
[ -f "$initrd" ] || die "no initrd $initrd"
[ $hercules -eq 0 ] || [ "$ARCH_N" = s390 ] || die "--hercules is for s390 only"
[ $hercules -eq 0 ] || [ $# -eq 0 ] || die "--hercules takes no extra emulator arguments"
tmo=${NKVM_BOOT_TIMEOUT:-$NKVM_BOOT_TIMEOUT_DEFAULT}
# Hercules interprets every instruction: the same run takes ~20 times QEMU's.
[ $hercules -eq 0 ] || [ -n "${NKVM_BOOT_TIMEOUT:-}" ] || tmo=$((3 * tmo))
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

# ---- Hercules (s390 with SIE) ----
# The machine: one z10 CPU (CPUMODEL 2098: z/Architecture with SIE), the integrated
# 3215 console at 0009 (Linux finds it through condev=; the guest's /init paces its
# output, see tools/testing/selftests/kvm/console_pace.c), and an .ins file that loads
# the kernel at 0, the initramfs at 64 MiB and the command line at 0x10480, with the
# initramfs' address and size at 0x10408/0x10410 (8 bytes, big-endian), where the
# kernel's IPL parameter area has them.
hercules_setup() {
	local w=$1
	# Copies: Hercules lowers its privileges and may not read them where they are.
	cp "$kernel" "$w/kernel"
	cp "$initrd" "$w/initrd"
	perl -e 'print pack("Q>", 0x04000000)' >"$w/initrd.off"
	perl -e 'print pack("Q>", $ARGV[0])' "$(stat -L -c %s "$initrd")" >"$w/initrd.size"
	printf '%s\0' "conmode=3215 condev=0x0009 console=ttyS0 panic=-1 loglevel=1 $reload_append ${NKVM_APPEND:-}" \
		>"$w/parmfile"
	cat >"$w/linux.ins" <<-EOF
	* nkvm: the kernel, its initramfs and command line
	kernel 0x00000000
	initrd 0x04000000
	parmfile 0x00010480
	initrd.off 0x00010408
	initrd.size 0x00010410
	EOF
	# OSTAILOR QUIET: no trace of the guest's program checks (the kernel probes
	# instructions; stock KVM's PQAP at each VM creation). CODEPAGE default: the
	# only one that turns Linux's newline (EBCDIC 0x15) back into a newline; it
	# shows [ ] | ^ as spaces.
	cat >"$w/hercules.cnf" <<-EOF
	ARCHMODE  z/Arch
	MAINSIZE  $mem
	NUMCPU    1
	CPUMODEL  2098
	OSTAILOR  QUIET
	CODEPAGE  default
	PANRATE   SLOW
	0009 3215-C / noprompt
	EOF
	echo "ipl $w/linux.ins" >"$w/hercules.rc"
}

# hercules_run WORKDIR: run Hercules until the guest is done, it panicked or tmo
# seconds passed; the console, \r stripped, in $log. 0 or 124 (timed out).
hercules_run() {
	local w=$1 pid n=0
	(cd "$w" && HERCULES_RC=hercules.rc exec hercules -d -f hercules.cnf) \
		</dev/null >"$w/console.raw" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		# The guest's last line, a panic, or an IPL that failed (HHCSC...E).
		if grep -q -e '^NKVM-INIT: run.sh exit status' -e 'Kernel panic' \
			-e '^HHCSC[0-9]*E' "$w/console.raw"; then
			sleep 2
			break
		fi
		if [ $n -ge "$tmo" ]; then
			n=-1
			break
		fi
		sleep 1
		n=$((n + 1))
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	tr -d '\r' <"$w/console.raw" >"$log"
	[ $n -ge 0 ] || return 124
	# Hercules failed or the guest died without its last line.
	grep -q '^NKVM-INIT: run.sh exit status' "$log" || return 1
}

common=(-smp "${NKVM_QEMU_SMP:-2}" -m "$mem" -accel "tcg,thread=${NKVM_TCG_THREAD:-single}" -nographic -no-reboot -nic none
	-kernel "$kernel" -initrd "$initrd")
[ -z "${NKVM_QEMU_MONITOR:-}" ] || common+=(-monitor "unix:$NKVM_QEMU_MONITOR,server,nowait")
emu=qemu
if [ $hercules -eq 1 ]; then
	emu=hercules
	command -v hercules >/dev/null || "$NKVM_SCRIPTS/deps.sh" hercules
	work=$(mktemp -d /tmp/nkvm-hercules.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	hercules_setup "$work"
else case "$ARCH_N" in
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
	args=(-M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on "${common[@]}"
		-append "console=ttyAMA0 panic=-1 kvm-arm.mode=none loglevel=1 $reload_append ${NKVM_APPEND:-}") ;;
s390)
	[ $nohw -eq 0 ] || die "--nohw is for x86_64 only"
	qemu=qemu-system-s390x
	args=(-M s390-ccw-virtio -cpu max "${common[@]}"
		-append "console=ttysclp0 panic=-1 loglevel=1 $reload_append ${NKVM_APPEND:-}") ;;
esac
	command -v "$qemu" >/dev/null || "$NKVM_SCRIPTS/deps.sh" "$ARCH_N"
fi

mkdir -p "$(dirname "$log")"
rc=0
# Take the lock first, then start the timeout: waiting for another emulator does not
# eat our time.
t0=$SECONDS
exec {lockfd}>>"$NKVM_EMU_LOCK"
flock "$lockfd"
t1=$SECONDS
if [ $hercules -eq 1 ]; then
	hercules_run "$work" || rc=$?
else
	timeout -k 10 "$tmo" "$qemu" "${args[@]}" "$@" </dev/null 2>&1 | tr -d '\r' >"$log" ||
		rc=${PIPESTATUS[0]}
fi
t2=$SECONDS
flock -u "$lockfd"
exec {lockfd}>&-
[ "$rc" -eq 124 ] && echo "NKVM-BOOT: killed after $tmo s" >>"$log"
echo "NKVM-BOOT: $ARCH_N $emu status $rc, ran $((t2 - t1)) s, waited $((t1 - t0)) s for $NKVM_EMU_LOCK" >>"$log"
if [ "$rc" -eq 124 ]; then
	note "$ARCH_N boot timed out after $tmo s (log: $log)"
elif [ "$rc" -ne 0 ]; then
	note "${qemu:-hercules} exited with status $rc (log: $log)"
fi
exit "$rc"
