#!/bin/bash
# nkvm: `make check-qemu`: Debian's QEMU 7.2 as the VMM inside the x86_64 test VM,
# on the stock kvm-amd and on nkvm.ko (one implementation per test-VM boot), one
# row per QEMU configuration, each booting the small L2 guest (scripts/guest-kernel.sh,
# scripts/guest-initramfs.sh). Prints a table (row, stock, ours, time from QEMU's
# start to the L2 guest's userspace) and ends with
#   qemu: ours P/T passed, stock S/T passed, missing M
#   qemu: time to guest userspace, ours/stock geometric mean G over N rows both pass
# (M = rows stock passes and ours does not); the table also goes to
# build/check-qemu/results.md. This target reports: its exit status is 0 unless the
# harness itself could not work. Documentation/qemu.md explains it.
# Env: NKVM_QEMU_IMPLS        implementations to boot ("stock ours")
#      NKVM_QEMU_ROWS         rows to run (default: all, in the order of $all_rows)
#      NKVM_QEMU_ROW_TIMEOUT  seconds per QEMU run (120; migration rows 2x)
#      NKVM_QEMU_STRACE=1     run each QEMU under strace -f -e trace=ioctl: every KVM
#                             ioctl and its errno, in build/check-qemu/<impl>/work/rows/
#                             <row>/<qemu>.strace
#      NKVM_QEMU_L2_APPEND    more for the L2 kernel's command line ("loglevel=7
#                             earlyprintk=ttyS0" shows its boot: it is quiet otherwise)
#      NKVM_QEMU_REBOOTS      test-VM boots after one died, per implementation (2)
#      NKVM_QEMU_OUT          output dir (build/check-qemu)
#      NKVM_QEMU_KERNEL       boot the test VM on this kernel (make check-debug's), with
#                             NKVM_KO as nkvm.ko (ours only): it needs 9p and virtio-pci
#                             built in, and no stock module of the Debian kernel is shipped
#      NKVM_CACHE, NKVM_QEMU_MEM (the test VM's memory, 2048 here)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$NKVM_ROOT"
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEFILES ARCH CROSS_COMPILE

all_rows="pc q35-smp2 pc-irqchip-off q35-split microvm cpu-pm virtio-blk virtio-net savevm migrate"
declare -A what=(
	[pc]="-M pc: in-kernel PIC, IOAPIC, PIT (acpi=off: the MP table)"
	[q35-smp2]="-M q35 -smp 2, ACPI: the guest brings up 2 CPUs"
	[pc-irqchip-off]="-M pc,kernel-irqchip=off: interrupt controllers in QEMU"
	[q35-split]="-M q35,kernel-irqchip=split: local APIC in the kernel, IOAPIC in QEMU"
	[microvm]="-M microvm: no firmware, no PCI"
	[cpu-pm]="-M pc -overcommit cpu-pm=on: HLT (and MWAIT) without exits"
	[virtio-blk]="-M pc, virtio-blk-pci: md5 of a 4 MiB disk"
	[virtio-net]="-M pc, virtio-net-pci, user network: md5 of 4 MiB fetched from QEMU"
	[savevm]="-M pc: migrate to a file, restore in a new QEMU: the counter goes on"
	[migrate]="-M pc: live migration over loopback TCP while the guest copies 16 MiB"
	[demo]="make demo: -M pc with the disk (then kernel-irqchip=off if QEMU cannot start it)"
)
# The test VM runs Debian's 6.1 kernel (the 6.12 series is not set up here).
export KVER_SERIES=6.1
impls=${NKVM_QEMU_IMPLS:-stock ours}
rows=${NKVM_QEMU_ROWS:-$all_rows}
for r in $rows; do [ -n "${what[$r]:-}" ] || die "NKVM_QEMU_ROWS: unknown row '$r' (rows: $all_rows)"; done
for i in $impls; do case "$i" in stock|ours) ;; *) die "NKVM_QEMU_IMPLS: unknown '$i'" ;; esac; done
row_tmo=${NKVM_QEMU_ROW_TIMEOUT:-120}
kernel=${NKVM_QEMU_KERNEL:-}
reboots=${NKVM_QEMU_REBOOTS:-2}
export NKVM_QEMU_MEM=${NKVM_QEMU_MEM:-2048}
# One vCPU: with two, the test VM's kernel finds its TSCs unsynchronized under TCG
# and the L2 guest's clock stalls now and then on the stock kvm-amd (its boot or its
# timer ticks stop for good; 3 of 12 runs); with one, 8 of 8 ran.
export NKVM_QEMU_SMP=${NKVM_QEMU_SMP:-1}
out=${NKVM_QEMU_OUT:-$NKVM_ROOT/build/check-qemu}
rm -rf "$out"; mkdir -p "$out"
T0=$SECONDS

"$NKVM_SCRIPTS/deps.sh" x86 qemu >&2
note "the L2 guest kernel (scripts/guest-kernel.sh; ~8 min the first time)"
gk=$(scripts/guest-kernel.sh 2>"$out/guest-kernel.log") || {
	cat "$out/guest-kernel.log" >&2; die "scripts/guest-kernel.sh failed"; }
scripts/guest-initramfs.sh "$out/l2.cpio.gz"
# The data the L2 guest reads (4 MiB each), and the sums it must find.
head -c 4M /dev/urandom >"$out/disk.img"
md5sum <"$out/disk.img" | cut -d' ' -f1 >"$out/disk.md5"
head -c 4M /dev/urandom >"$out/net.bin"
md5sum <"$out/net.bin" | cut -d' ' -f1 >"$out/net.md5"

# qemu_workdir DIR: what the test VM's rows read (9p tag "work").
qemu_workdir() {
	local w=$1
	mkdir -p "$w"
	cp "$gk/bzImage" "$out/l2.cpio.gz" "$out/disk.img" "$out/disk.md5" "$out/net.bin" \
		"$out/net.md5" "$w/"
	install -m 0755 scripts/guest/qemu-rows.sh scripts/guest/qmp.py "$w/"
	{
		echo "ROWS='$rows'"
		echo "ROW_TIMEOUT=$row_tmo"
		echo "MIG_TIMEOUT=$((2 * row_tmo))"
		echo "STRACE=${NKVM_QEMU_STRACE:-0}"
		echo "L2_APPEND='${NKVM_QEMU_L2_APPEND:-}'"
	} >"$w/config"
}

# The 9p modules the test VM needs (stock modules of its kernel), see qemu-run.sh.
modules9p="kernel/drivers/virtio/virtio_pci.ko kernel/net/9p/9pnet_virtio.ko kernel/fs/9p/9p.ko"

# run_impl IMPL: payload, then boots until every row has a result.
# results-IMPL: "<row> <RESULT> <user> <detail>" lines.
run_impl() {
	local impl=$1 dir=$out/$1 res=$out/results-$1 boot left log rc t r
	mkdir -p "$dir"
	: >"$res"
	if [ -n "$kernel" ]; then
		[ "$impl" = ours ] && [ -f "${NKVM_KO:-}" ] ||
			die "NKVM_QEMU_KERNEL: ours only, with NKVM_KO the nkvm.ko for that kernel"
	elif [ "$impl" = ours ] && ! build_x86_module "$dir/build.log"; then
		echo "# ours: nkvm.ko does not build (log: $dir/build.log); not booted"
		return 0
	fi
	# Another kernel has its own 9p and virtio-pci: boot "debug" ships no module
	# of the Debian kernel's.
	local pboot=main mods=$modules9p
	[ -z "$kernel" ] || pboot=debug mods=
	NKVM_RUN_SH=$NKVM_SCRIPTS/guest/qemu-run.sh NKVM_PAYLOAD_MODS=$mods \
	NKVM_INIT_TIMEOUT=$((12 * row_tmo + 120)) \
		scripts/payload.sh x86_64 "$impl" "$pboot" "$dir/payload" >"$dir/payload.log" 2>&1 ||
		{ cat "$dir/payload.log" >&2; die "scripts/payload.sh failed for $impl"; }
	rm -rf "$dir/payload/bin"
	scripts/mkinitramfs.sh x86_64 "$dir/payload" "$dir/initrd.cpio.gz" >"$dir/initrd.log" 2>&1 ||
		{ cat "$dir/initrd.log" >&2; die "scripts/mkinitramfs.sh failed for $impl"; }
	qemu_workdir "$dir/work"

	left=$rows boot=0 t=$SECONDS
	while [ -n "$left" ]; do
		boot=$((boot + 1))
		log=$dir/console-$boot.log
		echo "# $impl: test VM boot $boot, rows: $left"
		rc=0
		NKVM_APPEND="nkvm_qemu_rows=${left// /,} ${NKVM_APPEND:-}" \
		NKVM_BOOT_TIMEOUT=$((12 * row_tmo + 300)) NKVM_KERNEL=$kernel \
			scripts/boot.sh x86_64 "$dir/initrd.cpio.gz" "$log" \
			-virtfs local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap \
			-virtfs "local,path=$dir/work,mount_tag=work,security_model=none,multidevs=remap" \
			2>>"$dir/boot.err" || rc=$?
		grep -E '^QEMU-(LOAD|SETUP) ' "$log" | sed "s/^/# $impl: /" || true
		# rows with a result; L1 kernel trouble printed while a row ran fails it
		awk -v boot="$boot" '
			/^QEMU-ROW-BEGIN / { cur = $2; next }
			/^QEMU-ROW / { res = $3; if (trouble[$2] != "" && res == "PASS") res = "FAIL"
				line = $0; sub(/^QEMU-ROW [^ ]+ [^ ]+ /, "", line)
				user = line; sub(/ .*/, "", user); sub(/^user=/, "", user)
				sub(/^[^ ]+ /, "", line)
				if (trouble[$2] != "") line = line "; test VM kernel: " trouble[$2]
				print $2, res, user, line; cur = ""; next }
			/(WARNING:|BUG:|Oops|general protection|Call Trace|Kernel panic|soft lockup|blocked for more than|UBSAN:|KASAN)/ {
				if (cur != "" && length(trouble[cur]) < 200) trouble[cur] = trouble[cur] $0 "|" }
			END { if (cur != "") print cur, "CRASH", "-", "the test VM died or hung during the row (boot " boot ")" }
		' "$log" >>"$res"
		grep -q '^QEMU-ROWS-END' "$log" && break
		# what is left: the rows without a result
		local next=""
		for r in $left; do
			awk -v r="$r" '$1 == r { f = 1 } END { exit !f }' "$res" || next="$next $r"
		done
		next=${next# }
		if grep -q '^QEMU-\(LOAD\|SETUP\) FAIL' "$log"; then
			for r in $next; do echo "$r FAIL - $(grep -m1 -E '^QEMU-(LOAD|SETUP) FAIL' "$log")" >>"$res"; done
			break
		fi
		echo "# $impl: the test VM ended before the rows did (emulator status $rc); console: $log"
		left=$next
		if [ "$boot" -gt "$reboots" ]; then
			for r in $left; do echo "$r FAIL - not run: the test VM died $boot times" >>"$res"; done
			break
		fi
	done
	echo "# $impl: $boot boot(s), $((SECONDS - t)) s"
}

for i in $impls; do run_impl "$i"; done

# ---- the table
# get IMPL ROW FIELD(2 result, 3 user time, 4 detail)
get() {
	local f=$out/results-$1
	[ -f "$f" ] || { echo "-"; return; }
	awk -v r="$2" -v n="$3" '$1 == r { v = (n == 4) ? $0 : $n; if (n == 4) sub(/^[^ ]+ [^ ]+ [^ ]+ ?/, "", v) }
		END { print (v == "" ? "-" : v) }' "$f"
}
ntotal=0 P=0 S=0 M=0
missing=() ratios=()
{
	echo "# QEMU $(qemu-system-x86_64 --version | head -n1 | sed 's/.*version //') inside the x86_64 test VM"
	echo
	echo "Generated by \`make check-qemu\` ($(date -u '+%Y-%m-%d %H:%M UTC')). Time: from QEMU's"
	echo "start to the L2 guest's /init, seconds. Per QEMU run timeout ${row_tmo} s."
	echo
	echo "| row | configuration | stock | time | ours | time |"
	echo "|-----|---------------|-------|------|------|------|"
	for r in $rows; do
		ntotal=$((ntotal + 1))
		s=$(get stock "$r" 2) o=$(get ours "$r" 2)
		st=$(get stock "$r" 3) ot=$(get ours "$r" 3)
		[ "$s" = PASS ] && S=$((S + 1))
		[ "$o" = PASS ] && P=$((P + 1))
		if [ "$s" = PASS ] && [ "$o" != PASS ]; then M=$((M + 1)); missing+=("$r"); fi
		if [ "$s" = PASS ] && [ "$o" = PASS ] && [ "$st" != - ] && [ "$ot" != - ]; then
			ratios+=("$ot/$st")
		fi
		echo "| $r | ${what[$r]} | $s | $st | $o | $ot |"
	done
	echo
	for i in $impls; do
		echo "Details, $i:"
		echo
		for r in $rows; do echo "- $r: $(get "$i" "$r" 4)"; done
		echo
	done
} >"$out/results.md"

gmean=$(printf '%s\n' "${ratios[@]+"${ratios[@]}"}" | awk -F/ 'NF == 2 && $2 > 0 { s += log($1 / $2); n++ }
	END { if (n) printf "%.2f over %d rows", exp(s / n), n; else print "- (no row passes on both)" }')

echo
printf '%-15s %-6s %7s  %-6s %7s\n' row stock time ours time
for r in $rows; do
	printf '%-15s %-6s %7s  %-6s %7s\n' "$r" "$(get stock "$r" 2)" "$(get stock "$r" 3)" \
		"$(get ours "$r" 2)" "$(get ours "$r" 3)"
done
echo
for i in $impls; do
	for r in $rows; do
		[ "$(get "$i" "$r" 2)" = PASS ] || echo "# $i $r: $(get "$i" "$r" 4)"
	done
done
[ ${#missing[@]} -eq 0 ] || echo "# stock passes, ours does not: ${missing[*]}"
echo "# L2 kernel $gk; total $((SECONDS - T0)) s; table: $out/results.md"
{
	echo "qemu: ours $P/$ntotal passed, stock $S/$ntotal passed, missing $M"
	echo "qemu: time to guest userspace, ours/stock geometric mean $gmean"
} | tee -a "$out/results.md"
exit 0
