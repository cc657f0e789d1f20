#!/bin/bash
# nkvm: boot the stock Debian kernel (scripts/versions) of an arch under QEMU TCG with an initramfs.
# usage: scripts/boot.sh [--nohw|--vmx] <x86_64|arm64|s390> <initrd> <logfile> [extra qemu args...]
#   --nohw   x86_64 only: a CPU without SVM/VMX (-cpu qemu64,-svm,-vmx)
#   --vmx    x86_64 only: Intel VMX under Bochs 2.7 (model corei7_haswell_4770: EPT,
#            unrestricted guest, VPID) instead of QEMU: the kernel and the initrd go on
#            an isolinux ISO (Bochs cannot load a kernel itself), the console is COM1
#            written to a file. Bochs exits (status 1) at a clean power-off as well:
#            the status is 0 when the log shows the power-off, 1 when the guest
#            rebooted (a panic: Bochs is killed at the second boot banner). No extra
#            arguments. ~150 s before /init runs (Documentation/testing.md).
# env: NKVM_BOOT_TIMEOUT (seconds, default from scripts/versions), NKVM_QEMU_MEM (MiB, 1024),
#      NKVM_APPEND (extra kernel command line; "nkvm_loglevel=7" shows kernel messages
#      on the console, the guest /init otherwise sets the console log level to 1),
#      NKVM_KERNEL (x86_64: boot this kernel image instead of the pinned Debian one;
#      make check-debug's debug kernel)
#      NKVM_RELOADS (module_reload_test's cycles: a longer timeout and kernel log)
#      NKVM_QEMU_MONITOR (a socket path: QEMU's monitor listens there, for looking at
#      a frozen guest: `info registers -a`; see Documentation/fuzzing.md)
# Serialized with every other emulator run through flock on /tmp/nkvm-emulator.lock.
# The console goes to <logfile> with \r stripped. Exit status is QEMU's (124: timed out).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

nohw=0 vmx=0
case "${1:-}" in
--nohw) nohw=1; shift ;;
--vmx) vmx=1; shift ;;
esac
[ $# -ge 3 ] || { echo "usage: $0 [--nohw|--vmx] <x86_64|arm64|s390> <initrd> <logfile> [extra qemu args...]" >&2; exit 2; }
nkvm_arch "$1"
initrd=$2 log=$3; shift 3
[ $vmx -eq 0 ] || [ "$ARCH_N" = x86_64 ] || die "--vmx is for x86_64 only"
[ $vmx -eq 0 ] || [ $# -eq 0 ] || die "--vmx takes no extra emulator arguments"
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
	args=(-M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on "${common[@]}"
		-append "console=ttyAMA0 panic=-1 kvm-arm.mode=none loglevel=1 $reload_append ${NKVM_APPEND:-}") ;;
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
