#!/bin/bash
# nkvm: boot the stock Debian kernel (scripts/versions) of an arch under QEMU TCG with an initramfs.
# usage: scripts/boot.sh [--nohw|--vmx|--hercules] <x86_64|arm64|s390> <initrd> <logfile> [extra qemu args...]
#   --nohw      x86_64 only: a CPU without SVM/VMX (-cpu qemu64,-svm,-vmx)
#   --vmx       x86_64 only: Intel VMX under Bochs 2.7 (model corei7_haswell_4770: EPT,
#               unrestricted guest, VPID) instead of QEMU: the kernel and the initrd go on
#               an isolinux ISO (Bochs cannot load a kernel itself), the console is COM1
#               written to a file. Bochs exits (status 1) at a clean power-off as well:
#               the status is 0 when the log shows the power-off, 1 when the guest
#               rebooted (a panic: Bochs is killed at the second boot banner). No extra
#               arguments. ~150 s before /init runs (Documentation/testing.md).
#   --hercules  s390 only: Hercules 3.13, which has SIE, instead of QEMU (no extra args).
#               Hercules does not stop at the guest's poweroff: it is ended once the
#               guest's /init printed its last line ("NKVM-INIT: run.sh exit status"),
#               or a kernel panic. Its own messages (HHC...) are in the log.
# env: NKVM_BOOT_TIMEOUT (seconds, default from scripts/versions; Hercules: 3 times
#      that; Bochs: NKVM_BOCHS_TIMEOUT_DEFAULT), NKVM_QEMU_MEM (MiB, 1024; Hercules'
#      MAINSIZE and Bochs' megs too),
#      NKVM_APPEND (extra kernel command line; "nkvm_loglevel=7" shows kernel messages
#      on the console, the guest /init otherwise sets the console log level to 1),
#      NKVM_KERNEL (x86_64: boot this kernel image instead of the pinned Debian one;
#      make check-debug's debug kernel)
#      NKVM_RELOADS (module_reload_test's cycles: a longer timeout and kernel log)
#      NKVM_QEMU_SMP (vCPUs of the test VM, 2; make check-qemu boots it with 1: see
#      Documentation/qemu.md)
#      NKVM_QEMU_MONITOR (a socket path: QEMU's monitor listens there, for looking at
#      a frozen guest: `info registers -a`; see Documentation/fuzzing.md)
#      KVM_IMPL (arm64: "stock" boots without kvm-arm.mode=none, so the kernel's
#      built-in KVM owns /dev/kvm: the reference run)
# Serialized with every other emulator run through flock on /tmp/nkvm-emulator.lock.
# The console goes to <logfile> with \r stripped. Exit status is QEMU's (124: timed out;
# Hercules: 0 when the guest finished, 124 when it timed out).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

nohw=0 vmx=0 hercules=0
case "${1:-}" in
--nohw) nohw=1; shift ;;
--vmx) vmx=1; shift ;;
--hercules) hercules=1; shift ;;
esac
[ $# -ge 3 ] || { echo "usage: $0 [--nohw|--vmx|--hercules] <x86_64|arm64|s390> <initrd> <logfile> [extra qemu args...]" >&2; exit 2; }
nkvm_arch "$1"
initrd=$2 log=$3; shift 3
[ $vmx -eq 0 ] || [ "$ARCH_N" = x86_64 ] || die "--vmx is for x86_64 only"
[ $vmx -eq 0 ] || [ $# -eq 0 ] || die "--vmx takes no extra emulator arguments"
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

# ---- Intel VMX: Bochs, with the kernel and the initrd on an isolinux ISO
if [ $vmx -eq 1 ]; then
	[ -n "${NKVM_BOOT_TIMEOUT:-}" ] || tmo=$((NKVM_BOCHS_TIMEOUT_DEFAULT + ${NKVM_RELOADS:-0} * 8))
	command -v bochs >/dev/null && command -v xorriso >/dev/null &&
		[ -f /usr/lib/ISOLINUX/isolinux.bin ] || "$NKVM_SCRIPTS/deps.sh" vmx
	work=$log.bochs
	rm -rf "$work"; mkdir -p "$work/iso/isolinux" "$(dirname "$log")"
	cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$work/iso/isolinux/"
	cp "$kernel" "$work/iso/vmlinuz"
	cp "$initrd" "$work/iso/initrd.gz"
	cat >"$work/iso/isolinux/isolinux.cfg" <<-CFG
	SERIAL 0 115200
	DEFAULT nkvm
	PROMPT 0
	TIMEOUT 0
	LABEL nkvm
	  KERNEL /vmlinuz
	  APPEND initrd=/initrd.gz console=ttyS0,115200 panic=-1 loglevel=1 $reload_append ${NKVM_APPEND:-}
	CFG
	xorriso -as mkisofs -quiet -o "$work/boot.iso" -b isolinux/isolinux.bin -c isolinux/boot.cat \
		-no-emul-boot -boot-load-size 4 -boot-info-table -R -J "$work/iso" >"$work/xorriso.log" 2>&1 ||
		{ cat "$work/xorriso.log" >&2; die "xorriso failed"; }
	rm -rf "$work/iso"
	# rfb with timeout=0 never waits for a VNC client (Debian's bochs has no nogui);
	# ips is what the guest's clock counts (clock sync=none): instructions per second.
	cat >"$work/bochsrc" <<-RC
	display_library: rfb, options="timeout=0"
	megs: $mem
	cpu: model=corei7_haswell_4770, count=1, ips=100000000, reset_on_triple_fault=1, ignore_bad_msrs=1
	romimage: file=/usr/share/bochs/BIOS-bochs-latest
	vgaromimage: file=/usr/share/vgabios/vgabios.bin
	pci: enabled=1, chipset=i440fx
	ata0-master: type=cdrom, path=$work/boot.iso, status=inserted
	boot: cdrom
	com1: enabled=1, mode=file, dev=$work/serial.log
	clock: sync=none, time0=local
	panic: action=fatal
	sound: driver=dummy
	speaker: enabled=0
	log: $work/bochs.log
	info: action=ignore
	RC
	# The debugger is compiled in: without a command file it stops at its prompt.
	printf 'c\nquit\n' >"$work/dbgcmds"
	t0=$SECONDS
	exec {lockfd}>>"$NKVM_EMU_LOCK"
	flock "$lockfd"
	t1=$SECONDS
	: >"$work/serial.log"
	(cd "$work" && exec nice bochs -q -f bochsrc -rc dbgcmds </dev/null >bochs.out 2>&1) &
	pid=$!
	rc=0 why=
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		if [ $((SECONDS - t1)) -ge "$tmo" ]; then
			why=timeout rc=124
		elif [ "$(grep -c '^ISOLINUX ' "$work/serial.log")" -gt 1 ]; then
			why="rebooted (second boot banner)" rc=1
		elif grep -q 'reboot: Power down' "$work/serial.log"; then
			# Bochs leaves by itself at a power-off; give it a moment
			sleep 5
			kill -0 "$pid" 2>/dev/null || break
			why="power-off" rc=0
		else
			continue
		fi
		# bochs runs in the subshell's place (exec): end it and wait
		kill "$pid" 2>/dev/null
		sleep 2
		kill -9 "$pid" 2>/dev/null || true
		break
	done
	wait "$pid" 2>/dev/null || true
	t2=$SECONDS
	flock -u "$lockfd"
	exec {lockfd}>&-
	tr -d '\r' <"$work/serial.log" >"$log"
	if [ -z "$why" ]; then
		if grep -q 'reboot: Power down' "$log"; then rc=0
		else rc=1; why="bochs exited before the guest powered off (see $work/bochs.log)"; fi
	fi
	[ "$rc" -eq 124 ] && echo "NKVM-BOOT: killed after $tmo s" >>"$log"
	echo "NKVM-BOOT: $ARCH_N-vmx bochs status $rc${why:+ ($why)}, ran $((t2 - t1)) s, waited $((t1 - t0)) s for $NKVM_EMU_LOCK" >>"$log"
	[ "$rc" -eq 0 ] || note "bochs: $ARCH_N-vmx boot: ${why:-status $rc} (log: $log)"
	exit "$rc"
fi

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
