#!/bin/bash
# nkvm: assemble a guest payload dir (see Documentation/contract*.txt):
#   run.sh  nkvm.ko  bin/*  env  stock/*.ko + stock/load-order (x86_64; s390 with stock)
# usage: scripts/payload.sh <x86_64|arm64|s390> <ours|stock> <main|nohw|debug|sie|vmx> <out-dir>
#   debug: x86_64 on make check-debug's kernel; no stock modules (none match it)
#   sie:   s390 under Hercules, which has SIE (scripts/boot.sh --hercules); the stock
#          kvm.ko loads only there
#   vmx:   x86_64 under Bochs (Intel VMX, scripts/boot.sh --vmx): the stock modules are
#          kvm-intel's, and run.sh is scripts/guest/vmx-run.sh, which runs run_tests.sh
#          (shipped as run_tests.sh) once per implementation in one boot: impl "ours"
#          runs nkvm first, then the stock kvm-intel; "stock" only the stock one
#          (NKVM_VMX_IMPLS="..." overrides the list)
# env:   NKVM_RUN_SH=<file>  use this as run.sh instead of the selftests' run_tests.sh
#        NKVM_KO=<file>      the nkvm.ko to ship (default build/<arch>/module/nkvm.ko;
#                            KVER_SERIES=6.12: build/<arch>-6.12/module/nkvm.ko)
#        NKVM_INIT_TIMEOUT   seconds the guest gives run.sh (default 240, + 4 per NKVM_RELOADS)
#        NKVM_RELOADS        passed on to the guest (module_reload_test's cycles) when set
#        NKVM_PAYLOAD_MODS   x86_64: more modules of the image (paths as in modules.dep,
#                            e.g. kernel/fs/9p/9p.ko), shipped with their dependencies in
#                            mods/ with mods/load-order (the package test's 9p and overlay)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 4 ] || { echo "usage: $0 <x86_64|arm64|s390> <ours|stock> <main|nohw|debug|sie> <out-dir>" >&2; exit 2; }
nkvm_arch "$1"
impl=$2 boot=$3 out=$4
case "$impl" in ours|stock) ;; *) die "impl must be ours or stock, not '$impl'" ;; esac
case "$boot" in main|nohw|debug|sie|vmx) ;; *) die "boot must be main, nohw, debug, sie or vmx, not '$boot'" ;; esac
[ "$boot" != vmx ] || [ "$ARCH_N" = x86_64 ] || die "boot vmx is x86_64 only"
case "${NKVM_RELOADS:-}" in *[!0-9]*) die "NKVM_RELOADS must be a number, not '$NKVM_RELOADS'" ;; esac
[ "$boot" != sie ] || [ "$ARCH_N" = s390 ] || die "boot sie is for s390 (under Hercules)"
# arm64's stock KVM is built into the kernel: boot.sh leaves it on for KVM_IMPL=stock.
case "$impl-$ARCH_N-$boot" in
stock-s390-sie) ;;
stock-s390-*) die "the stock s390 kvm.ko needs SIE: boot sie (Hercules), not $boot" ;;
esac

build=$NKVM_ROOT/build/$ARCH_N
ko=${NKVM_KO:-$build$NKVM_TAG/module/nkvm.ko}
tests_sh=$NKVM_ROOT/tools/testing/selftests/kvm/run_tests.sh
runsh=$tests_sh
[ "$boot" != vmx ] || runsh=$NKVM_SCRIPTS/guest/vmx-run.sh
runsh=${NKVM_RUN_SH:-$runsh}
[ -f "$runsh" ] || die "missing $runsh (the in-guest test runner)"

rm -rf "$out"; mkdir -p "$out/bin"
install -m 0755 "$runsh" "$out/run.sh"
[ "$boot" != vmx ] || install -m 0755 "$tests_sh" "$out/run_tests.sh"
if [ -f "$ko" ]; then
	# Without its debug info (symbols stay for stack traces): module_reload_test
	# loads it hundreds of times, and the debug info is most of its size.
	"${CROSS}strip" --strip-debug -o "$out/nkvm.ko" "$ko"
elif [ "$impl" = ours ]; then
	die "missing $ko: build it first (make ARCH=$ARCH_N)"
fi

# every executable file under build/<arch>/selftests (flattened into bin/)
if [ -d "$build/selftests" ]; then
	while IFS= read -r -d '' f; do
		b=${f##*/}
		[ -e "$out/bin/$b" ] && die "two selftest binaries named $b under $build/selftests"
		cp "$f" "$out/bin/$b"
	done < <(find "$build/selftests" -type f -perm -u+x ! -name '*.o' ! -name '*.sh.in' -print0)
fi

{
	if [ "$boot" = vmx ]; then
		impls=stock
		[ "$impl" = stock ] || impls="ours stock"
		echo "NKVM_IMPLS=\"${NKVM_VMX_IMPLS:-$impls}\""
	else
		echo "KVM_IMPL=$impl"
	fi
	echo "ARCH=$GUEST_ARCH"
	echo "BOOT=$boot"
	echo "NKVM_KREL=$KREL"
	# Hercules' 3215 console keeps only the first 150 bytes of each write: /init
	# sends everything through console_pace, a line per write.
	[ "$boot" != sie ] || echo "NKVM_CONSOLE_PACE=/payload/bin/console_pace"
	# module_reload_test's cycle count, only when the host sets it: 4 s more per cycle
	# Bochs: guest seconds count instructions (clock sync=none), and two suites run
	init_tmo=240
	[ "$boot" != vmx ] || init_tmo=1500
	if [ -n "${NKVM_RELOADS:-}" ]; then
		echo "NKVM_RELOADS=$NKVM_RELOADS"
		echo "NKVM_INIT_TIMEOUT=${NKVM_INIT_TIMEOUT:-$((init_tmo + 4 * NKVM_RELOADS))}"
	else
		echo "NKVM_INIT_TIMEOUT=${NKVM_INIT_TIMEOUT:-$init_tmo}"
	fi
} >"$out/env"

# ship DIR PATH...: the image's modules PATH (as in modules.dep) and their
# dependencies, uncompressed, into DIR, with DIR/load-order (dependencies first).
ship() {
	local dir=$1 m b i; shift
	local order=()
	add() { # add module path (relative to $mods) and its deps, deps first
		local m=$1 line d deps=() i
		for i in "${order[@]+"${order[@]}"}"; do [ "$i" = "$m" ] && return 0; done
		line=$(grep -m1 "^$m:" "$dep") || die "$m not in $dep"
		read -r -a deps <<<"${line#*:}"
		for ((i = ${#deps[@]} - 1; i >= 0; i--)); do add "${deps[$i]}"; done
		order+=("$m")
	}
	for m in "$@"; do add "$m"; done
	mkdir -p "$dir"
	: >"$dir/load-order"
	for m in "${order[@]}"; do
		b=${m##*/}
		case "$b" in
		*.ko.xz)  xz -dc "$mods/$m" >"$dir/${b%.xz}"; b=${b%.xz} ;;
		*.ko.zst) zstd -qdc "$mods/$m" >"$dir/${b%.zst}"; b=${b%.zst} ;;
		*.ko.gz)  gzip -dc "$mods/$m" >"$dir/${b%.gz}"; b=${b%.gz} ;;
		*)        cp "$mods/$m" "$dir/$b" ;;
		esac
		echo "$b" >>"$dir/load-order"
	done
}

# a module path of the image, with the compression suffix it has there
modpath() {
	grep -m1 -oE "^${1%.ko}\.ko(\.xz|\.zst|\.gz)?:" "$dep" | tr -d : ||
		die "${1##*/} not found in $dep"
}

# The stock modules: on x86_64 always (run.sh checks that nkvm refuses to load beside
# them), on s390 under Hercules (they load only there): impl=stock, and impl=ours,
# whose run.sh runs the s390 tests on them too once nkvm is unloaded.
stock=()
case "$ARCH_N-$impl-$boot" in
x86_64-*-debug) ;;
x86_64-*-vmx) stock=(kernel/arch/x86/kvm/kvm.ko kernel/arch/x86/kvm/kvm-intel.ko) ;;
x86_64-*) stock=(kernel/arch/x86/kvm/kvm.ko kernel/arch/x86/kvm/kvm-amd.ko) ;;
s390-stock-*|s390-ours-sie) stock=(kernel/arch/s390/kvm/kvm.ko) ;;
esac
if [ ${#stock[@]} -gt 0 ]; then
	img=$("$NKVM_SCRIPTS/fetch.sh" image "$ARCH_N")
	mods=$img/lib/modules/$KREL
	dep=$mods/modules.dep
	[ -f "$dep" ] || die "no $dep"
	paths=()
	for m in "${stock[@]}"; do paths+=("$(modpath "$m")"); done
	ship "$out/stock" "${paths[@]}"
	if [ -n "${NKVM_PAYLOAD_MODS:-}" ]; then
		extra=()
		for m in $NKVM_PAYLOAD_MODS; do extra+=("$(modpath "$m")"); done
		ship "$out/mods" "${extra[@]}"
	fi
fi
