#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prove that nkvm's KVM uapi headers are ABI-identical to the reference
# (distribution) Linux 6.1 headers for x86_64, arm64 and s390x.
#
# usage: tools/abi/abi-check.sh [-v] [--arch A]...   check (TAP on stdout)
#        tools/abi/abi-check.sh --selftest           prove the checker
#                                                    catches mutations
# environment:
#   ABI_REF_x86_64, ABI_REF_arm64, ABI_REF_s390x
#       reference include dir(s), ':'-separated.  Defaults: x86_64
#       /usr/include:/usr/include/x86_64-linux-gnu; arm64 and s390x the
#       cached "scripts/fetch.sh uapi" tree if present, else
#       /usr/aarch64-linux-gnu/include, /usr/s390x-linux-gnu/include
#   ABI_CC_x86_64, ABI_CC_arm64, ABI_CC_s390x   compilers to use
#   ABI_OUT   work dir (default: <repo>/build/abi)
#
# Exit status 0 iff every arch is "ok".

set -u -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${ABI_OUT:-$root/build/abi}
py=${PYTHON:-python3}

# arm64 / s390x: prefer the uapi headers installed from the Debian kernel
# header packages in use (scripts/versions, or what the scripts chose when
# those were gone) by "scripts/fetch.sh uapi ARCH", when that has already
# been run (nothing is downloaded here: NKVM_OFFLINE).  x86_64 uses the
# host's linux-libc-dev unless ABI_REF_x86_64 says otherwise.
cached_uapi() { # nkvm-arch -> prints the include root or nothing
	(
		set +u
		[ -f "$root/scripts/lib.sh" ] || exit 0
		# shellcheck disable=SC1091
		. "$root/scripts/lib.sh" >/dev/null 2>&1 || exit 0
		NKVM_OFFLINE=1 nkvm_arch "$1" 2>/dev/null || exit 0
		d=$NKVM_CACHE/$KPKG/$ARCH_N/uapi
		[ -e "$d/.ok" ] && [ -f "$d/linux/kvm.h" ] && [ -f "$d/asm/kvm.h" ] && echo "$d"
	)
}
if [ -z "${ABI_REF_arm64:-}" ]; then
	d=$(cached_uapi arm64) && [ -n "$d" ] && export ABI_REF_arm64=$d
fi
if [ -z "${ABI_REF_s390x:-}" ]; then
	d=$(cached_uapi s390) && [ -n "$d" ] && export ABI_REF_s390x=$d
fi

for tool in "$py" pahole; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "1..1"
		echo "not ok 1 - abi: required tool '$tool' not found"
		exit 1
	fi
done

selftest() {
	local st="$out/selftest" rc=0 n=0 log
	rm -rf "$st"
	mkdir -p "$st/tree/include/uapi/linux" \
		 "$st/tree/arch/x86/include/uapi/asm"
	cp "$root/include/uapi/linux/kvm.h" "$st/tree/include/uapi/linux/"
	cp "$root/arch/x86/include/uapi/asm/kvm.h" \
	   "$st/tree/arch/x86/include/uapi/asm/"
	local lk="$st/tree/include/uapi/linux/kvm.h"
	local ak="$st/tree/arch/x86/include/uapi/asm/kvm.h"

	# Mutations: an ioctl number, a field type that keeps all offsets,
	# and an arch constant.
	sed -i 's/^\(#define KVM_RUN[[:space:]].*\)0x80)/\10x81)/' "$lk"
	sed -i '/^struct kvm_userspace_memory_region {/,/^};/s/__u32 flags;/__u16 flags;/' "$lk"
	sed -i 's/^\(#define KVM_GUESTDBG_USE_HW_BP[[:space:]]*\)0x00020000/\10x00040000/' "$ak"

	echo "1..5"
	check() {
		n=$((n + 1))
		if eval "$2"; then
			echo "ok $n - selftest: $1"
		else
			echo "not ok $n - selftest: $1"
			rc=1
		fi
	}
	check "mutations applied to the copy" \
		"! cmp -s '$lk' '$root/include/uapi/linux/kvm.h' &&
		 grep -q 'KVM_RUN.*0x81)' '$lk' &&
		 grep -q '__u16 flags;' '$lk' &&
		 grep -q 'KVM_GUESTDBG_USE_HW_BP.*0x00040000' '$ak'"

	log="$st/check.log"
	"$py" "$here/abi_check.py" --root "$root" --ours "$st/tree" \
		--out "$st/work" --arch x86_64 >"$log" 2>&1
	local crc=$?
	sed 's/^/# | /' "$log" | head -n 20
	check "mutated copy is reported 'not ok' (exit status $crc)" \
		"[ $crc -ne 0 ] && grep -q '^not ok 1 - abi x86_64' '$log'"
	check "changed ioctl number KVM_RUN is reported" \
		"grep -q '^# MISMATCH constant KVM_RUN:' '$log'"
	check "changed field type in kvm_userspace_memory_region is reported" \
		"grep -q '^# MISMATCH struct kvm_userspace_memory_region:.*flags' '$log'"
	check "changed arch constant KVM_GUESTDBG_USE_HW_BP is reported" \
		"grep -q '^# MISMATCH constant KVM_GUESTDBG_USE_HW_BP:' '$log'"
	return $rc
}

case "${1:-}" in
--selftest)
	selftest
	exit $?
	;;
-h|--help)
	sed -n '3,20p' "$0"
	exit 0
	;;
esac

mkdir -p "$out"
exec "$py" "$here/abi_check.py" --root "$root" --out "$out" "$@"
