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

rebuild_opt "$@"

frag=$NKVM_SCRIPTS/debug-kernel.config

linux_source
recipe=1
dir=$(kernel_dir debug-kernel "$frag" $recipe)

[ "$REBUILD" -eq 0 ] || rm -rf "$dir"
if [ -f "$dir/.ok" ]; then
	echo "$dir"
	exit 0
fi

kernel_build "debug kernel" "$frag" "$dir" "about 20-40 min on 2 cores" bzImage modules_prepare
# External modules resolve symbols against Module.symvers; with only vmlinux built
# that is vmlinux's own list.
cp "$dir/build/vmlinux.symvers" "$dir/build/Module.symvers"
touch "$dir/.ok"
echo "$dir"
