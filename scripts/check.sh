#!/bin/bash
# nkvm: the whole test run (`make check`).
#   KVM_IMPL=ours  (default) host checks, then boots: x86_64 main, x86_64 nohw, QEMU in
#                  x86_64 (one make check-qemu row), x86_64 under Bochs (Intel VMX: nkvm,
#                  then the stock kvm-intel, in one boot), arm64, s390 (QEMU, no SIE),
#                  s390 sie (Hercules)
#   KVM_IMPL=stock host checks, then the same tests against the stock modules: x86_64
#                  (kvm/kvm-amd) with the QEMU row, the Bochs boot against kvm/kvm-intel,
#                  arm64 (the kernel's built-in KVM, on without kvm-arm.mode=none) and
#                  s390 sie (kvm.ko under Hercules)
# Ends with "N passed, N failed, N skipped"; exit 1 if anything failed.
#   KVER_SERIES=6.12  the same against Debian 12's 6.12 kernel: x86_64 only (logs in
#                     build/check-6.12/, the module in build/x86_64-6.12/)
# Logs: build/check/. Env: NKVM_CACHE, NKVM_BOOT_TIMEOUT, NKVM_CHECK_ARCHES (default
# "x86_64 arm64 s390"; x86_64 for 6.12), NKVM_CHECK_VMX (1: the Bochs boot, the default
# with x86_64 on 6.1; 0: none; the 6.12 run leaves it out unless set to 1),
# NKVM_CHECK_HERCULES=0 (leave out the Hercules boots, 1-2 min each), NKVM_CHECK_QEMU=0
# (leave out the QEMU row: make check-qemu's fastest, -M microvm, whose L2 guest kernel
# takes ~6 min to build the first time; it runs in the 6.1 run only).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$NKVM_ROOT"
nkvm_series
export KVER_SERIES=$KSERIES

impl=${KVM_IMPL:-ours}
case "$impl" in ours|stock) ;; *) die "KVM_IMPL must be ours or stock, not '$impl'" ;; esac
if [ "$KSERIES" = 6.1 ]; then arches=${NKVM_CHECK_ARCHES:-x86_64 arm64 s390}
else arches=${NKVM_CHECK_ARCHES:-x86_64}; fi
# We run make ourselves with explicit arguments: nothing from an outer make leaks in.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEFILES ARCH CROSS_COMPILE
jobs=$(nproc 2>/dev/null || echo 2)

out=$NKVM_ROOT/build/check$NKVM_TAG
rm -rf "$out"; mkdir -p "$out"
P=0 F=0 S=0
T0=$SECONDS

section() { echo; echo "== $* =="; }
pass() { P=$((P + 1)); echo "[host] ok - $*"; }
fail() { F=$((F + 1)); echo "[host] not ok - $*"; }
skip() { S=$((S + 1)); echo "[host] ok - $1 # SKIP $2"; }
showlog() { grep -v '^make\[[0-9]*\]: \(Entering\|Leaving\)' "$1" | tail -n 25 | sed 's/^/    | /'; }

# step NAME LOG CMD...: one check line for CMD's success.
step() {
	local name=$1 log=$2; shift 2
	local t=$SECONDS
	if "$@" >"$log" 2>&1; then
		pass "$name ($((SECONDS - t)) s)"
		return 0
	fi
	fail "$name (see $log)"
	showlog "$log"
	return 1
}

# add_counts FILE: add "P F S" from parse.py.
add_counts() {
	local p f s
	read -r p f s <"$1" || { F=$((F + 1)); return; }
	P=$((P + p)); F=$((F + f)); S=$((S + s))
}

# tapfile NAME LOG CMD...: run a TAP producer, count its lines, fail on its exit status.
tapfile() {
	local name=$1 log=$2 rc=0; shift 2
	"$@" >"$log" 2>"$log.err" || rc=$?
	scripts/parse.py --tap --label "host/$name" --counts "$log.counts" "$log" || true
	add_counts "$log.counts"
	if [ $rc -ne 0 ]; then fail "$name: exit status $rc"; showlog "$log.err"; fi
}

# ---------------------------------------------------------------- host
section "host: dependencies and downloads (kernel series $KSERIES)"
step "install Debian packages (scripts/deps.sh all)" "$out/deps.log" scripts/deps.sh all || true
# The checks that do not depend on the kernel series run in the 6.1 run only.
if [ "$KSERIES" = 6.1 ]; then
	tapfile resolve "$out/resolve-test.log" python3 scripts/tests/resolve-test.py
	tapfile versions "$out/versions-test.log" bash scripts/tests/versions-test.sh
fi
declare -A have_kdir=()
for a in $arches; do
	if step "kernel versions for $a (scripts/fetch.sh versions $a)" "$out/versions-$a.log" \
			scripts/fetch.sh versions "$a"; then
		sed 's/^/# /' "$out/versions-$a.log"
	fi
	step "kernel headers for $a" "$out/kdir-$a.log" scripts/fetch.sh kdir "$a" && have_kdir[$a]=1 || true
	step "kernel image for $a" "$out/image-$a.log" scripts/fetch.sh image "$a" || true
done

section "host: build"
declare -A have_ko=()
for a in $arches; do
	log=$out/build-module-$a.log
	rm -rf "build/$a$NKVM_TAG/module"
	if [ -z "${have_kdir[$a]:-}" ]; then
		fail "build nkvm.ko for $a (no kernel headers)"
		continue
	fi
	if step "build nkvm.ko for $a (make ARCH=$a)" "$log" make -j"$jobs" ARCH="$a"; then
		[ -f "build/$a$NKVM_TAG/module/nkvm.ko" ] && have_ko[$a]=1 ||
			fail "make ARCH=$a left no build/$a$NKVM_TAG/module/nkvm.ko"
	fi
	if grep -q 'warning:' "$log"; then
		fail "nkvm.ko for $a builds without warnings ($(grep -c 'warning:' "$log") warnings)"
		grep 'warning:' "$log" | head -n 20 | sed 's/^/    | /'
	else
		pass "nkvm.ko for $a builds without warnings"
	fi
done
# headers_ok ARCH: every object of the module read our uapi kvm.h headers
# before any host copy (a host header may name <uapi/asm/kvm.h> directly; the
# shared include guard then skips it), and none read the host kernel's KVM
# internals (kvm_host.h).
headers_ok() {
	local d=build/$1$NKVM_TAG/module f ours first bad=0 n=0
	for f in $(find "$d" -name '.*.o.cmd'); do
		if grep -q 'kvm_host\.h' "$f"; then
			echo "$f: includes kvm_host.h"; bad=1
		fi
		first=$(grep -m1 '/\(linux\|asm\)/kvm\.h' "$f" || true)
		[ -n "$first" ] || continue
		n=$((n + 1))
		ours="$NKVM_ROOT/$d/"
		case "$first" in
		*"$ours"include/uapi/*|*"$ours"arch/*/include/uapi/*) ;;
		*) echo "$f: first kvm.h read is the host's: $first"; bad=1 ;;
		esac
	done
	[ $n -gt 0 ] || { echo "no object includes linux/kvm.h"; return 1; }
	return $bad
}
for a in "${!have_ko[@]}"; do
	step "nkvm.ko for $a uses our uapi headers and no kvm_host.h" \
		"$out/headers-$a.log" headers_ok "$a" || true
done

declare -A have_tests=()
for a in $arches; do
	step "build selftests for $a (make selftests ARCH=$a)" "$out/build-selftests-$a.log" \
		make -j"$jobs" selftests ARCH="$a" && have_tests[$a]=1 || true
done

section "host: ABI check (tools/abi/abi-check.sh)"
if [ "$KSERIES" != 6.1 ]; then
	echo "# KVER_SERIES=$KSERIES: the ABI check (our uapi against 6.1's) runs with 6.1"
elif [ -x tools/abi/abi-check.sh ] || [ -f tools/abi/abi-check.sh ]; then
	tapfile abi "$out/abi.log" bash tools/abi/abi-check.sh
else
	fail "tools/abi/abi-check.sh is missing"
fi

# ---------------------------------------------------------------- guests
# boot ARCH IMPL BOOT: payload, initramfs, emulator, parse.
boot() {
	local a=$1 im=$2 bt=$3 label tag dir rc=0 t
	label=$a/$im; [ "$bt" = main ] || label=$label-$bt
	tag=$a-$im-$bt
	dir=$out/$tag
	section "guest: $label"
	if [ "$im" = ours ] && [ -z "${have_ko[$a]:-}" ]; then
		fail "$label: not booted, nkvm.ko for $a did not build"; return
	fi
	[ -n "${have_tests[$a]:-}" ] || echo "# note: selftests for $a did not build; booting with what exists"
	if ! scripts/payload.sh "$a" "$im" "$bt" "$dir/payload" >"$dir.payload.log" 2>&1; then
		fail "$label: assemble payload"; showlog "$dir.payload.log"; return
	fi
	if ! scripts/mkinitramfs.sh "$a" "$dir/payload" "$dir/initrd.cpio.gz" >"$dir.initrd.log" 2>&1; then
		fail "$label: build initramfs"; showlog "$dir.initrd.log"; return
	fi
	local nohw=() try
	[ "$bt" = nohw ] && nohw=(--nohw)
	[ "$bt" = vmx ] && nohw=(--vmx)
	[ "$bt" = sie ] && nohw=(--hercules)
	t=$SECONDS
	# A guest kernel that dies (the stock kvm-amd under TCG hangs now and
	# then) is booted once more; the dead run's log is kept and named.
	for try in 1 2; do
		rc=0
		KVM_IMPL=$im scripts/boot.sh "${nohw[@]}" "$a" "$dir/initrd.cpio.gz" "$dir/console.log" 2>"$dir.boot.err" || rc=$?
		grep -q '^NKVM-DONE' "$dir/console.log" && break
		[ $try -eq 2 ] && break
		mv "$dir/console.log" "$dir/console-dead.log"
		echo "# note: $label: the guest died without NKVM-DONE (emulator status $rc); booting it once more (dead log: $dir/console-dead.log)"
	done
	echo "# $label: $(grep '^NKVM-BOOT:' "$dir/console.log" | tail -n1 | sed 's/^NKVM-BOOT: //') (log: $dir/console.log)"
	if [ "$bt" = vmx ]; then
		vmx_parts "$dir"
	else
		scripts/parse.py --label "$label" --counts "$dir/counts" "$dir/console.log" || true
		add_counts "$dir/counts"
	fi
	if [ $rc -eq 124 ]; then
		F=$((F + 1)); echo "[$label] not ok - emulator timed out: $(grep -m1 '^NKVM-BOOT: killed' "$dir/console.log" | sed 's/^NKVM-BOOT: //')"
	elif [ $rc -ne 0 ]; then
		F=$((F + 1)); echo "[$label] not ok - emulator exit status $rc"; showlog "$dir.boot.err"
	fi
}

# vmx_parts DIR: the Bochs boot ran one part per implementation (scripts/guest/
# vmx-run.sh): split its console log at the "NKVM-PART <impl>" lines (the boot's
# own lines go to the first part) and count each part alone; a part the guest never
# reached is an empty log, whose missing NKVM-DONE counts as a failure.
vmx_parts() {
	local dir=$1 impls p
	impls=$(sed -n 's/^NKVM_IMPLS="\(.*\)"$/\1/p' "$dir/payload/env")
	for p in $impls; do : >"$dir/console-$p.log"; done
	awk -v dir="$dir" '
		/^NKVM-PART / {
			f = dir "/console-" $2 ".log"
			for (i = 1; i <= n; i++) print pre[i] >> f
			n = 0
		}
		{ if (f) print >> f; else pre[++n] = $0 }' "$dir/console.log"
	for p in $impls; do
		scripts/parse.py --label "x86_64/$p-vmx" --counts "$dir/counts-$p" "$dir/console-$p.log" || true
		add_counts "$dir/counts-$p"
		VMX_SUMMARY+="# x86_64/$p-vmx (Bochs, Intel VMX): $(awk '{ printf "%d passed, %d failed, %d skipped", $1, $2, $3 }' "$dir/counts-$p")"$'\n'
	done
}
VMX_SUMMARY=

# qemu_row IMPL ROW: make check-qemu's ROW (Debian's QEMU 7.2 in the x86_64 test VM,
# booting the small L2 guest on IMPL) as one check. NKVM_CHECK_QEMU=0 leaves it out.
qemu_row() {
	local im=$1 row=$2 q=$out/qemu label="x86_64/$1-qemu" res r user detail
	section "guest: $label (QEMU 7.2 -accel kvm inside the test VM, row $row)"
	if [ "$im" = ours ] && [ -z "${have_ko[x86_64]:-}" ]; then
		fail "$label: not booted, nkvm.ko for x86_64 did not build"; return
	fi
	if ! NKVM_QEMU_OUT=$q NKVM_QEMU_IMPLS=$im NKVM_QEMU_ROWS=$row \
			scripts/check-qemu.sh >"$out/qemu.log" 2>&1; then
		fail "$label: scripts/check-qemu.sh failed"; showlog "$out/qemu.log"; return
	fi
	res=$(awk -v r="$row" '$1 == r' "$q/results-$im" 2>/dev/null)
	read -r _ r user detail <<<"$res" || true
	if [ "$r" = PASS ]; then
		P=$((P + 1)); echo "[$label] ok - qemu_${row//-/_}: the L2 guest reached userspace in $user s and finished ($detail)"
	else
		F=$((F + 1)); echo "[$label] not ok - qemu_${row//-/_}: ${r:-no result} ${detail:-} (logs: $q/$im/)"
	fi
}

has_arch() { case " $arches " in *" $1 "*) return 0 ;; esac; return 1; }
# s390 with SIE runs only under Hercules (Documentation/testing.md).
hercules=${NKVM_CHECK_HERCULES:-1}
vmx=${NKVM_CHECK_VMX:-}
[ -n "$vmx" ] || { [ "$KSERIES" = 6.1 ] && vmx=1 || vmx=0; }
if [ "$impl" = stock ]; then
	has_arch x86_64 && boot x86_64 stock main
	if has_arch x86_64 && [ "${NKVM_CHECK_QEMU:-1}" = 1 ] && [ "$KSERIES" = 6.1 ]; then
		qemu_row stock microvm
	fi
	has_arch x86_64 && [ "$vmx" = 1 ] && boot x86_64 stock vmx
	# arm64: the same kernel with its built-in KVM on (no kvm-arm.mode=none)
	has_arch arm64 && boot arm64 stock main
	if has_arch s390 && [ "$hercules" != 0 ]; then boot s390 stock sie; fi
	echo
	echo "# KVM_IMPL=stock: s390 only under Hercules (no SIE under QEMU TCG)"
else
	if has_arch x86_64; then
		boot x86_64 ours main; boot x86_64 ours nohw
		if [ "${NKVM_CHECK_QEMU:-1}" = 1 ] && [ "$KSERIES" = 6.1 ]; then
			qemu_row ours microvm
		fi
		[ "$vmx" = 1 ] && boot x86_64 ours vmx
	fi
	has_arch arm64 && boot arm64 ours main
	has_arch s390 && boot s390 ours main
	if has_arch s390 && [ "$hercules" != 0 ]; then boot s390 ours sie; fi
fi
[ "$hercules" != 0 ] || ! has_arch s390 || echo "# NKVM_CHECK_HERCULES=0: the s390 Hercules boot left out"

# ---------------------------------------------------------------- package
# The DKMS package, installed, used and purged in a guest (6.1: DKMS there needs
# the guest kernel's headers, which apt installs on the host for 6.1 only).
# NKVM_PKG_TEST=0 leaves it out.
if [ "$impl" = ours ] && [ "$KSERIES" = 6.1 ] && has_arch x86_64 && [ "${NKVM_PKG_TEST:-1}" = 1 ]; then
	section "package: nkvm-dkms in the x86_64 guest (scripts/pkg-test.sh)"
	rc=0
	scripts/pkg-test.sh "$out/package" >"$out/package.log" 2>&1 || rc=$?
	if grep -q '^ok 1 - lintian' "$out/package.log"; then
		pass "$(grep -m1 '^ok 1 - lintian' "$out/package.log" | sed 's/^ok 1 - //')"
	else
		fail "make deb and lintian (see $out/package.log)"; showlog "$out/package.log"
	fi
	if [ -f "$out/package/console.log" ]; then
		scripts/parse.py --label x86_64/package --counts "$out/package/counts" \
			"$out/package/console.log" || true
		add_counts "$out/package/counts"
	fi
	if [ $rc -ne 0 ]; then
		fail "package test: exit status $rc (see $out/package.log)"; showlog "$out/package.log"
	fi
fi

echo
[ -z "$VMX_SUMMARY" ] || printf '%s' "$VMX_SUMMARY"
echo "# kernel series $KSERIES: total time $((SECONDS - T0)) s, logs in $out"
if [ $S -gt 0 ]; then echo "$P passed, $F failed, $S skipped"; else echo "$P passed, $F failed"; fi
[ $F -eq 0 ]
