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

srcpkg=linux-source-6.1
tarball=/usr/src/$srcpkg.tar.xz
frag=$NKVM_SCRIPTS/debug-kernel.config

"$NKVM_SCRIPTS/deps.sh" debug >&2
[ -f "$tarball" ] || die "$srcpkg is installed but $tarball is missing"
ver=$(dpkg-query -W -f='${Version}' "$srcpkg")
recipe=1
hash=$( (cat "$frag"; echo "recipe $recipe") | sha256sum | cut -c1-12)
top=$NKVM_CACHE/$ver
dir=$top/debug-kernel-$hash

if [ $rebuild -eq 1 ]; then rm -rf "$dir"; fi
if [ -f "$dir/.ok" ]; then
	echo "$dir"
	exit 0
fi

# The source, unpacked once per version and shared by every debug-kernel config.
src=$top/linux-source
if [ ! -f "$src/.ok" ]; then
	note "unpacking $tarball"
	rm -rf "$src"; mkdir -p "$src"
	tar -xf "$tarball" -C "$src" --strip-components=1
	touch "$src/.ok"
fi

rm -rf "$dir"; mkdir -p "$dir/build"
log=$dir/build.log
jobs=$(nproc 2>/dev/null || echo 2)
kmake() { nice -n 19 make -C "$src" O="$dir/build" ARCH=x86_64 -j"$jobs" "$@"; }

note "configuring the debug kernel ($dir)"
KCONFIG_ALLCONFIG=$frag kmake allnoconfig >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "allnoconfig failed"; }
# Every line of the fragment must have survived: "CONFIG_X=v" present as is, and
# "# CONFIG_X is not set" not set to anything.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF "$line" "$dir/build/.config" || {
			echo "nkvm: debug kernel: wanted $line, got: $(grep "^${line%%=*}=" "$dir/build/.config" || echo unset)" >&2
			bad=1; } ;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }; sym=${sym%% *}
		! grep -q "^$sym=" "$dir/build/.config" || {
			echo "nkvm: debug kernel: wanted $sym unset, got: $(grep "^$sym=" "$dir/build/.config")" >&2
			bad=1; } ;;
	esac
done <"$frag"
[ $bad -eq 0 ] || die "the debug kernel config lost options (a dependency is off); see $frag"

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
