#!/bin/bash
# nkvm: fetch (and cache) what a build or boot needs, print where it is.
#   scripts/fetch.sh kdir    <x86_64|arm64|s390>  kernel headers dir (KDIR) for module builds
#   scripts/fetch.sh image   <x86_64|arm64|s390>  dir with vmlinuz and lib/modules/<release>/
#   scripts/fetch.sh uapi    <x86_64|arm64|s390>  include root with that arch's linux/kvm.h, asm/kvm.h
#   scripts/fetch.sh busybox <x86_64|arm64|s390>  path of a static busybox for that arch
#   scripts/fetch.sh release <x86_64|arm64|s390>  kernel release string (no download)
#   scripts/fetch.sh avail   <x86_64|arm64|s390>  kernel packages the registry offers now
#   scripts/fetch.sh versions <x86_64|arm64|s390> the versions in use: pinned or chosen
#   scripts/fetch.sh resolve <x86_64|arm64|s390>  choose anew from what the registry offers
# The versions are those of scripts/versions when they can be had, else the ones
# scripts/resolve.py chose (see nkvm_versions in scripts/lib.sh).
# KVER_SERIES=6.12: x86_64 with Debian 12's 6.12 kernel instead of 6.1.
# Everything downloaded lives under $NKVM_CACHE/<package version>/<arch>/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -eq 2 ] || usage
what=$1
# `resolve` asks the registry even when the pins or the record are cached.
[ "$what" != resolve ] || { NKVM_RESOLVE=1; NKVM_LISTS_MAX_AGE=0; }
nkvm_arch "$2"
base=$NKVM_CACHE/$KPKG/$ARCH_N

# probe_build KDIR: prove that a trivial module builds against KDIR.
probe_build() {
	local kdir=$1 t
	t=$(mktemp -d /tmp/nkvm-probe.XXXXXX)
	cat >"$t/nkvm_probe.c" <<-'C'
	#include <linux/module.h>
	static int __init p_init(void) { return 0; }
	static void __exit p_exit(void) { }
	module_init(p_init);
	module_exit(p_exit);
	MODULE_LICENSE("GPL");
	C
	echo 'obj-m := nkvm_probe.o' >"$t/Kbuild"
	if ! quietly "$t/build.log" make -C "$kdir" M="$t" ARCH="$KARCH" CROSS_COMPILE="$CROSS" modules ||
	   [ ! -s "$t/nkvm_probe.ko" ]; then
		rm -rf "$t"
		die "a trivial module does not build against $kdir ($ARCH_N); see the log above"
	fi
	rm -rf "$t"
}

# fix_abs ROOT DIR: point absolute /usr/src and /usr/lib/linux-kbuild references in DIR into ROOT.
fix_abs() {
	local root=$1 dir=$2 l tgt
	while IFS= read -r l; do
		tgt=$(readlink "$l")
		case "$tgt" in /usr/src/*|/usr/lib/linux-kbuild*) ln -sfn "$root$tgt" "$l" ;; esac
	done < <(find "$dir" -maxdepth 3 -type l -lname '/*')
	while IFS= read -r f; do
		sed -i -E "s#(^|[[:space:]=])(/usr/src/linux-headers|/usr/lib/linux-kbuild)#\1$root\2#g" "$f"
	done < <(find "$dir" -maxdepth 1 -type f \( -name Makefile -o -name '.kernelvariables' \) )
	if grep -qs '^include /usr/src' "$dir/Makefile"; then
		die "could not rewrite the include in $dir/Makefile"
	fi
}

kdir_x86() {
	local kdir=/usr/src/linux-headers-$KREL k pkgs
	if ! x86_headers_ok "$KREL" "$KPKG"; then
		"$NKVM_SCRIPTS/deps.sh" x86
		pkgs=("linux-headers-$KREL=$KPKG")
		# apt would take its newest kbuild; name ours unless one of our upstream is there.
		k=$(host_version linux-kbuild-6.1)
		[ -n "$k" ] && [ "$(kver_upstream "$k")" = "$(kver_upstream "$KPKG")" ] ||
			pkgs+=("linux-kbuild-6.1=$KBUILD")
		apt_install "${pkgs[@]}"
		x86_headers_ok "$KREL" "$KPKG" ||
			die "linux-headers-$KREL $KPKG with a linux-kbuild-6.1 of upstream $(kver_upstream "$KPKG")" \
			    "is not installed after installing ${pkgs[*]}"
	fi
	mkdir -p "$base"
	k=$(host_version linux-kbuild-6.1)
	if [ "$(cat "$base/kdir.ok" 2>/dev/null)" != "$kdir $k" ]; then
		probe_build "$kdir"
		echo "$kdir $k" >"$base/kdir.ok"
	fi
	echo "$kdir"
}

kdir_cross() {
	local root=$base/sysroot-$KBUILD kdir
	kdir=$root/usr/src/linux-headers-$KREL
	if [ -e "$root/.ok" ]; then echo "$kdir"; return; fi
	command -v "${CROSS}gcc" >/dev/null || "$NKVM_SCRIPTS/deps.sh" "$ARCH_N"
	local h c k
	h=$(apt_fetch_deb "linux-headers-$KREL" "$DEBARCH" "$KPKG" "NKVM_KPKG_$ARCH_N/NKVM_KABI_$ARCH_N")
	c=$(apt_fetch_deb "linux-headers-$KABI-common" all "$KPKG" "NKVM_KPKG_$ARCH_N/NKVM_KABI_$ARCH_N")
	k=$(apt_fetch_deb "$KBUILD_PKG" amd64 "$KBUILD" "NKVM_KBUILD_$ARCH_N")
	note "$ARCH_N: linux-headers-$KREL $KPKG, $KBUILD_PKG $KBUILD"
	rm -rf "$root"; mkdir -p "$root"
	for d in "$h" "$c" "$k"; do dpkg -x "$d" "$root" || die "dpkg -x $d failed"; done
	[ -f "$kdir/Makefile" ] || die "$h has no usr/src/linux-headers-$KREL/Makefile"
	fix_abs "$root" "$kdir"
	probe_build "$kdir"
	touch "$root/.ok"
	echo "$kdir"
}

image() {
	local dir=$base/image
	if [ -e "$dir/.ok" ]; then echo "$dir"; return; fi
	local deb t
	deb=$(apt_fetch_deb "linux-image-$KREL" "$DEBARCH" "$KPKG" "NKVM_KPKG_$ARCH_N/NKVM_KABI_$ARCH_N")
	t=$base/image.tmp
	rm -rf "$t" "$dir"; mkdir -p "$t/x" "$t/lib/modules"
	dpkg -x "$deb" "$t/x" || die "dpkg -x $deb failed"
	local vmlinuz
	vmlinuz=$(ls "$t/x/boot/vmlinuz-$KREL" "$t/x/boot/vmlinux-$KREL" "$t/x/boot/image-$KREL" 2>/dev/null | head -n1 || true)
	[ -n "$vmlinuz" ] || die "$deb holds no boot/vmlinuz-$KREL"
	mv "$vmlinuz" "$t/vmlinuz"
	mv "$t/x/lib/modules/$KREL" "$t/lib/modules/$KREL"
	[ -f "$t/x/boot/config-$KREL" ] && mv "$t/x/boot/config-$KREL" "$t/config"
	rm -rf "$t/x"
	quietly "$t/depmod.log" depmod -b "$t" "$KREL" || die "depmod -b failed for $KREL"
	rm -f "$t/depmod.log"
	touch "$t/.ok"
	mv "$t" "$dir"
	echo "$dir"
}

busybox() {
	if [ "$DEBARCH" = amd64 ]; then
		[ -x /bin/busybox ] && dpkg-query -W busybox-static >/dev/null 2>&1 || "$NKVM_SCRIPTS/deps.sh"
		file_is_static /bin/busybox || die "/bin/busybox is not static (need busybox-static, not busybox)"
		echo /bin/busybox; return
	fi
	local dir=$NKVM_CACHE/busybox/$DEBARCH
	if [ -x "$dir/busybox" ]; then echo "$dir/busybox"; return; fi
	local deb t
	deb=$(apt_fetch_deb busybox-static "$DEBARCH" "" "")
	t=$(mktemp -d "$NKVM_CACHE/busybox.XXXXXX")
	dpkg -x "$deb" "$t"
	[ -x "$t/bin/busybox" ] || die "$deb holds no bin/busybox"
	mkdir -p "$dir"; mv "$t/bin/busybox" "$dir/busybox"; rm -rf "$t"
	echo "$dir/busybox"
}

file_is_static() { ! LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'INTERP'; }

uapi() {
	local dir=$base/uapi
	if [ -e "$dir/.ok" ]; then echo "$dir"; return; fi
	local kdir src common kb t
	if [ "$SYSROOT" = 0 ]; then kdir=$(kdir_x86); kb=/usr/lib/linux-kbuild-6.1
	else kdir=$(kdir_cross); kb=$base/sysroot-$KBUILD/usr/lib/$KBUILD_PKG; fi
	common=$(dirname "$kdir")/linux-headers-$KABI-common
	[ -f "$common/include/uapi/linux/kvm.h" ] || die "no include/uapi/linux/kvm.h in $common"
	t=$base/uapi.tmp; rm -rf "$t" "$dir"; mkdir -p "$t"
	# headers_install.sh INFILE OUTFILE, run from the kbuild dir (it calls scripts/unifdef)
	inst() { # srcdir dstdir
		local s=$1 d=$2 f
		[ -d "$s" ] || return 0
		mkdir -p "$d"
		for f in "$s"/*.h; do
			[ -e "$f" ] || continue
			(cd "$kb" && sh scripts/headers_install.sh "$f" "$d/${f##*/}") ||
				die "headers_install.sh failed on $f"
		done
	}
	local sub
	for sub in "$common"/include/uapi/*/; do
		sub=${sub%/}; inst "$sub" "$t/${sub##*/}"
		for s2 in "$sub"/*/; do [ -d "$s2" ] && inst "${s2%/}" "$t/${sub##*/}/$(basename "$s2")"; done
	done
	inst "$common/arch/$KARCH/include/uapi/asm" "$t/asm"
	inst "$kdir/arch/$KARCH/include/generated/uapi/asm" "$t/asm"
	[ -f "$t/linux/kvm.h" ] && [ -f "$t/asm/kvm.h" ] || die "uapi layout for $ARCH_N lacks linux/kvm.h or asm/kvm.h"
	touch "$t/.ok"; mv "$t" "$dir"
	echo "$dir"
}

avail() {
	_apt_setup
	_apt_update
	local n
	echo "# $DEBARCH kernels in Debian $NKVM_DEBIAN_SUITE (pinned: linux-image-$PIN_KABI-$KFLAVOUR $PIN_KPKG; in use: $KABI $KPKG):"
	for n in $(apt-cache "${NKVM_APT_OPTS[@]}" search --names-only \
			"^linux-image-[0-9.]+(-[0-9]+|\\+deb[0-9]+)-$KFLAVOUR\$" | awk '{print $1}' | sort -V); do
		apt-cache "${NKVM_APT_OPTS[@]}" madison "$n:$DEBARCH" | awk -v n="$n" '{print n, $3}'
	done | sort -u -V
	echo "# kbuild (amd64):"
	for n in $(apt-cache "${NKVM_APT_OPTS[@]}" search --names-only '^linux-kbuild-6\.' |
			awk '{print $1}' | sort -V); do
		apt-cache "${NKVM_APT_OPTS[@]}" madison "$n:amd64" | awk -v n="$n" '{print n, $3}'
	done | sort -u -V
}

case "$what" in
kdir)	 if [ "$SYSROOT" = 0 ]; then with_cache_lock kdir_x86; else with_cache_lock kdir_cross; fi ;;
image)	 with_cache_lock image ;;
uapi)	 with_cache_lock uapi ;;
busybox) with_cache_lock busybox ;;
release) echo "$KREL" ;;
versions|resolve)
	 echo "$ARCH_N: kernel $KABI ($KPKG), $KBUILD_PKG $KBUILD;" \
	      "pinned $PIN_KABI ($PIN_KPKG), $PIN_KBUILD" ;;
avail)	 with_cache_lock avail ;;
*) usage ;;
esac
