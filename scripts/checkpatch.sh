#!/bin/bash
# nkvm: run the kernel's checkpatch.pl --strict over our kernel sources.
# checkpatch.pl and its data files come from Debian's linux-source-6.1 tarball,
# extracted once into the cache, keyed by the version of that package.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tarball=/usr/src/linux-source-6.1.tar.xz
[ -f "$tarball" ] || apt_install linux-source-6.1
[ -f "$tarball" ] || die "$tarball missing after installing linux-source-6.1"
dir=$NKVM_CACHE/$(dpkg-query -W -f='${Version}' linux-source-6.1)/checkpatch
if [ ! -x "$dir/scripts/checkpatch.pl" ]; then
	mkdir -p "$dir"
	tar -xJf "$tarball" -C "$dir" --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
fi

cd "$NKVM_ROOT"
cp() { "$dir/scripts/checkpatch.pl" --strict --no-tree --terse --show-types --quiet "$@"; }
rc=0
compat=include/nkvm/compat.h
mapfile -t kfiles < <(git ls-files 'virt/*.[ch]' 'arch/*.[ch]' 'include/nkvm/*.h' 'tools/bench/limit/*.[ch]' |
	grep -v -e /uapi/ -e "^$compat\$")
mapfile -t ufiles < <(git ls-files '*/uapi/*.h')
mapfile -t a64 < <(printf '%s\n' "${kfiles[@]}" | grep '^arch/arm64/')
mapfile -t kfiles < <(printf '%s\n' "${kfiles[@]}" | grep -v '^arch/arm64/')
cp -f "${kfiles[@]}" || rc=1
# arm64: without a kernel tree checkpatch takes the kernel's own arm64 names
# (ESR_ELx_EC, sys_reg_Op0, ID_AA64DFR0_EL1_PMUVer_SHIFT) for ours. sysregs.c's
# table macros each expand to several table entries of constant arguments, and
# mmio.c answers ENOSYS for a data abort without a valid syndrome, as stock does
# (KVM_RUN's errno there is ABI).
cp --ignore CAMELCASE,COMPLEX_MACRO,MACRO_ARG_REUSE -f arch/arm64/sysregs.c || rc=1
cp --ignore CAMELCASE,ENOSYS -f arch/arm64/mmio.c || rc=1
mapfile -t a64 < <(printf '%s\n' "${a64[@]}" | grep -v -e '^arch/arm64/sysregs.c$' -e '^arch/arm64/mmio.c$')
cp --ignore CAMELCASE -f "${a64[@]}" || rc=1
# The compatibility header exists to test the kernel version (in one macro).
cp --ignore LINUX_VERSION_CODE -f "$compat" || rc=1
# BIT() does not exist for userspace: uapi headers spell their shifts out.
cp --ignore BIT_MACRO -f "${ufiles[@]}" || rc=1
# Merge conflict markers left in any tracked file.
if git grep -n -E '^(<<<<<<< |>>>>>>> |=======$)' -- . ':!*.patch' >&2; then
	echo "merge conflict markers left (above)" >&2
	rc=1
fi
[ $rc -eq 0 ] && echo "checkpatch --strict: clean ($((${#kfiles[@]} + ${#a64[@]} + 3)) kernel files, ${#ufiles[@]} uapi headers)"
exit $rc
