#!/bin/bash
# nkvm: build (once) and cache the small x86_64 kernel that QEMU boots inside the
# test VM (the L2 guest of make demo and make check-qemu), from Debian's
# linux-source-6.1 with scripts/guest-kernel.config on top of allnoconfig.
# usage: scripts/guest-kernel.sh [--rebuild]
#   Prints the cache dir, which holds
#     bzImage     the L2 kernel
#     config      its .config
#     build.log   the output of the build, build.seconds its wall time
# Cache: $NKVM_CACHE/<linux-source-6.1 version>/guest-kernel-<hash>/, where <hash>
# covers scripts/guest-kernel.config and $recipe below (bump it when the way the
# kernel is built changes); reused while complete (.ok). About 8 min on 2 cores,
# under `nice` so that it does not starve emulators running meanwhile.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rebuild_opt "$@"

frag=$NKVM_SCRIPTS/guest-kernel.config
linux_source
recipe=1
dir=$(kernel_dir guest-kernel "$frag" $recipe)

[ "$REBUILD" -eq 0 ] || rm -rf "$dir"
if [ -f "$dir/.ok" ]; then
	echo "$dir"
	exit 0
fi

# One build at a time per config (make demo and make check-qemu may both ask).
mkdir -p "$NKVM_CACHE/$LSRC_VER"
exec {lockfd}>"$dir.lock"
flock "$lockfd"
if [ -f "$dir/.ok" ]; then
	echo "$dir"
	exit 0
fi

kernel_build "L2 guest kernel" "$frag" "$dir" "about 6-8 min on 2 cores" bzImage
cp "$dir/build/.config" "$dir/config"
# The objects are not needed again (a config change builds anew).
rm -rf "$dir/build"
touch "$dir/.ok"
echo "$dir"
