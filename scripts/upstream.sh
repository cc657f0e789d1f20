#!/bin/bash
# nkvm: build (once) and cache the upstream Linux 6.1 x86_64 KVM selftests.
# usage: scripts/upstream.sh [--rebuild]
#   Prints the cache dir, which holds
#     bin/<test>   static test binaries (flattened: x86_64/cpuid_test -> cpuid_test)
#     tests        the test names in the upstream Makefile's order, one a line
#     build.log    the output of the build
# The source is Debian's linux-source-6.1 (/usr/src/linux-source-6.1.tar.xz, installed
# with apt-get when missing). Cache: $NKVM_CACHE/<linux-source-6.1 version>/upstream-selftests/,
# reused as long as it is complete (.ok); --rebuild throws it away first.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rebuild_opt "$@"

srcpkg=linux-source-6.1
tarball=/usr/src/$srcpkg.tar.xz

# What of the tarball `make headers` plus the kvm selftests build reads.
# Every entry below is relative to the tarball's top directory.
extract_list=(
	Makefile Kconfig Kbuild scripts usr tools
	include/uapi include/asm-generic init/Kconfig
	arch/x86/include/uapi arch/x86/include/asm/Kbuild arch/x86/entry/syscalls
	arch/x86/Makefile arch/x86/Makefile_32.cpu arch/x86/tools arch/x86/Kconfig arch/x86/um
)

src_version() { dpkg-query -W -f='${Version}' "$srcpkg" 2>/dev/null || true; }

ensure_tarball() {
	if [ ! -f "$tarball" ] || [ -z "$(src_version)" ]; then
		note "installing $srcpkg (apt-get) for the upstream selftests"
		as_root apt-get install -y -q -o DPkg::Lock::Timeout=600 "$srcpkg" >&2 || die "apt-get install $srcpkg failed"
	fi
	[ -f "$tarball" ] || die "$srcpkg is installed but $tarball is missing"
}

# patch_backports SRC: the two places where Debian's 6.1 stable tree does not build
# as shipped (stable backports that lean on newer upstream code).
patch_backports() {
	local k=$1/tools/testing/selftests/kvm
	# dirty_log_test.c: TEST_ASSERT_EQ(a, b) appeared in 6.5; 6.1's test_util.h lacks it.
	if ! grep -q 'define TEST_ASSERT_EQ' "$k/include/test_util.h" &&
	   grep -q 'TEST_ASSERT_EQ(' "$k/dirty_log_test.c"; then
		# rewrite TEST_ASSERT_EQ(x, y) as TEST_ASSERT((x) == (y), "x == y") (one-line uses)
		sed -i -E 's/TEST_ASSERT_EQ\(([^,]+), *(.+)\);$/TEST_ASSERT((\1) == (\2), "\1 == \2");/' \
			"$k/dirty_log_test.c"
		! grep -q 'TEST_ASSERT_EQ(' "$k/dirty_log_test.c" ||
			die "could not rewrite every TEST_ASSERT_EQ in dirty_log_test.c"
	fi
	# steal_time.c: <asm/kvm.h> uses __DECLARE_FLEX_ARRAY, defined in <linux/stddef.h>.
	local st=$k/x86_64/steal_time.c
	[ -f "$st" ] || st=$k/steal_time.c
	if ! grep -q '<linux/stddef.h>' "$st"; then
		local first
		first=$(grep -n -m1 '^#include' "$st" | cut -d: -f1)
		[ -n "$first" ] || die "no #include line in $st"
		sed -i "${first}i #include <linux/stddef.h>" "$st"
	fi
}

build() {
	local ver=$1 cache=$2
	local tmp=$cache.tmp src log
	rm -rf "$tmp"; mkdir -p "$tmp"
	src=$tmp/src; log=$tmp/build.log
	mkdir -p "$src"
	local t0=$SECONDS members=() m
	for m in "${extract_list[@]}"; do members+=("$srcpkg/$m"); done
	note "extracting what the KVM selftests need from $tarball"
	tar -xJf "$tarball" -C "$src" --strip-components=1 "${members[@]}" ||
		die "extracting from $tarball failed"
	patch_backports "$src"
	unset MAKEFLAGS MFLAGS MAKELEVEL MAKEFILES ARCH CROSS_COMPILE
	# `make headers` is headers_install without its final rsync: it leaves the uapi
	# headers in <tree>/usr/include, which is where the selftests look (INSTALL_HDR_PATH
	# defaults to <tree>/usr there). The tree is private to this build.
	note "make headers ($((SECONDS - t0)) s so far)"
	quietly "$tmp/headers.log" make -C "$src" ARCH=x86_64 headers ||
		die "make headers failed (log: $tmp/headers.log)"
	note "building the kvm selftests, static ($((SECONDS - t0)) s so far)"
	# The selftests Makefile puts -I$(top_srcdir)/usr/include on
	# the command line and links with $(CC) $(CFLAGS): -static in EXTRA_CFLAGS reaches both.
	quietly "$log" make -C "$src/tools/testing/selftests/kvm" -j"$(nproc 2>/dev/null || echo 2)" \
		ARCH=x86_64 EXTRA_CFLAGS=-static || die "the kvm selftests build failed (log: $log)"
	# The tests, in the Makefile's order: TEST_GEN_PROGS (binaries run as they are), then
	# TEST_PROGS (wrapper scripts: bash + sudo, absent in the guest; the runner does what
	# the wrapper does and runs its binary, one of TEST_GEN_PROGS_EXTENDED, itself).
	local kdir=$src/tools/testing/selftests/kvm gen ext sh
	printf 'nkvm-print-%s:\n\t@echo $(%s)\n' \
		gen TEST_GEN_PROGS ext TEST_GEN_PROGS_EXTENDED sh TEST_PROGS >"$tmp/print.mk"
	gen=$(make -s -C "$kdir" ARCH=x86_64 -f Makefile -f "$tmp/print.mk" nkvm-print-gen) &&
	ext=$(make -s -C "$kdir" ARCH=x86_64 -f Makefile -f "$tmp/print.mk" nkvm-print-ext) &&
	sh=$(make -s -C "$kdir" ARCH=x86_64 -f Makefile -f "$tmp/print.mk" nkvm-print-sh) ||
		die "could not list the tests of $kdir/Makefile"
	mkdir -p "$tmp/bin"
	: >"$tmp/tests"
	local p b
	for p in $gen $ext; do
		p=${p#"$kdir"/}
		b=${p##*/}
		[ -x "$kdir/$p" ] || die "$p was not built"
		[ ! -e "$tmp/bin/$b" ] || die "two upstream tests named $b"
		! LC_ALL=C readelf -l "$kdir/$p" | grep -q INTERP || die "$p is not static"
		cp "$kdir/$p" "$tmp/bin/$b"
	done
	for p in $gen; do echo "${p##*/}"; done >"$tmp/tests"
	for p in $sh; do
		b=${p##*/}; b=${b%.sh}
		[ -x "$tmp/bin/$b" ] || die "$p wraps $b, which was not built"
		echo "$b" >>"$tmp/tests"
	done
	[ -s "$tmp/tests" ] || die "no tests found in $kdir"
	rm -rf "$src"
	echo "$ver" >"$tmp/version"
	note "built $(wc -l <"$tmp/tests") upstream tests in $((SECONDS - t0)) s"
	touch "$tmp/.ok"
	rm -rf "$cache"; mv "$tmp" "$cache"
}

main() {
	ensure_tarball
	local ver cache
	ver=$(src_version)
	cache=$NKVM_CACHE/$ver/upstream-selftests
	[ "$REBUILD" -eq 0 ] || rm -rf "$cache"
	[ -e "$cache/.ok" ] || build "$ver" "$cache"
	echo "$cache"
}

# A lock of its own: the ~1.5 min build must not hold up fetch.sh (the cache's .lock).
mkdir -p "$NKVM_CACHE"
exec {lockfd}>"$NKVM_CACHE/.upstream-selftests.lock"
flock "$lockfd"
main
