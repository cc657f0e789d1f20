#!/bin/bash
# nkvm: build (once) and cache the x86_64 debug kernel (KASAN, lockdep, kmemleak,
# UBSAN, KUnit, fault injection) from Debian's linux-source-6.1.
# usage: scripts/debug-kernel.sh [--rebuild]
#   Prints the cache dir, which holds
#     bzImage     the kernel the test VM boots
#     build/      the O= build tree (KDIR for nkvm.ko; Module.symvers from vmlinux)
#     build.log   the output of the build, build.seconds its wall time
# Cache: $NKVM_CACHE/<linux-source-6.1 version>/debug-kernel-<hash>/, where <hash>
# covers scripts/debug-kernel.config and $recipe below (bump it when the way the
# kernel is built changes); it is reused while complete (.ok).
# The build runs under `nice` so that it does not starve emulators running meanwhile.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rebuild=0
case "${1:-}" in
--rebuild) rebuild=1 ;;
"") ;;
*) echo "usage: $0 [--rebuild]" >&2; exit 2 ;;
esac

frag=$NKVM_SCRIPTS/debug-kernel.config

linux_source
recipe=1
hash=$( (cat "$frag"; echo "recipe $recipe") | sha256sum | cut -c1-12)
dir=$NKVM_CACHE/$LSRC_VER/debug-kernel-$hash

if [ $rebuild -eq 1 ]; then rm -rf "$dir"; fi
if [ -f "$dir/.ok" ]; then
	echo "$dir"
	exit 0
fi

rm -rf "$dir"; mkdir -p "$dir/build"
log=$dir/build.log
jobs=$(nproc 2>/dev/null || echo 2)
kmake() { nice -n 19 make -C "$LSRC" O="$dir/build" ARCH=x86_64 -j"$jobs" "$@"; }

note "configuring the debug kernel ($dir)"
KCONFIG_ALLCONFIG=$frag kmake allnoconfig >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "allnoconfig failed"; }
kconfig_check "$frag" "$dir/build/.config" "debug kernel" ||
	die "the debug kernel config lost options (a dependency is off); see $frag"

note "building the debug kernel (bzImage + modules_prepare; about 20-40 min on 2 cores)"
t=$SECONDS
kmake bzImage modules_prepare >>"$log" 2>&1 || { tail -n 40 "$log" >&2; die "debug kernel build failed (log: $log)"; }
secs=$((SECONDS - t))
# External modules resolve symbols against Module.symvers; with only vmlinux built
# that is vmlinux's own list.
cp "$dir/build/vmlinux.symvers" "$dir/build/Module.symvers"
cp "$dir/build/arch/x86/boot/bzImage" "$dir/bzImage"
echo "$secs" >"$dir/build.seconds"
note "debug kernel built in $secs s ($(kmake -s kernelrelease 2>/dev/null))"
touch "$dir/.ok"
echo "$dir"
