#!/bin/bash
# nkvm: `make check-upstream-s390`: the upstream Linux 6.1 s390x KVM selftests (the
# four s390x/ ones and the generic ones of the 6.1 Makefile's s390x list), nkvm.ko
# and the stock kvm.ko one after the other in one Hercules boot (SIE).
# Prints a table (test, stock, ours) and one closing line
#   upstream-s390: ours P/T passed, stock S/T passed, missing M
# (M: tests stock passes and ours does not); also in build/check-upstream-s390/results.md.
# A report: the exit status is 0 unless the harness itself failed.
# Env: NKVM_UPSTREAM_TIMEOUT (seconds per test, 60), NKVM_CACHE.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$NKVM_ROOT"
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEFILES ARCH CROSS_COMPILE

tmo=${NKVM_UPSTREAM_TIMEOUT:-60}
out=$NKVM_ROOT/build/check-upstream-s390
rm -rf "$out"; mkdir -p "$out"
T0=$SECONDS

# Under Hercules every instruction is interpreted: the long tests get small sizes.
# rseq_test (100000 task migrations, no argument to reduce them) stays out.
declare -A args=(
	[demand_paging_test]="-b 16M"
	[dirty_log_test]="-i 3"
	[kvm_page_table_test]="-b 32M"
)
left_out=rseq_test

# ---- build (once, cached by the linux-source-6.1 version)
srcpkg=linux-source-6.1
tarball=/usr/src/$srcpkg.tar.xz
[ -f "$tarball" ] || apt_install "$srcpkg"
ver=$(dpkg-query -W -f='${Version}' "$srcpkg")
cache=$NKVM_CACHE/$ver/upstream-selftests-s390
if [ ! -e "$cache/.ok" ]; then
	note "building the upstream s390x KVM selftests (cross, static)"
	tmp=$cache.tmp
	rm -rf "$tmp"; mkdir -p "$tmp/src" "$tmp/bin"
	members=()
	for m in Makefile Kconfig Kbuild scripts usr tools include/uapi include/asm-generic \
		init/Kconfig arch/s390; do
		members+=("$srcpkg/$m")
	done
	tar -xJf "$tarball" -C "$tmp/src" --strip-components=1 "${members[@]}"
	k=$tmp/src/tools/testing/selftests/kvm
	# dirty_log_test.c: TEST_ASSERT_EQ() came in 6.5 (a stable backport uses it)
	sed -i -E 's/TEST_ASSERT_EQ\(([^,]+), *(.+)\);$/TEST_ASSERT((\1) == (\2), "\1 == \2");/' \
		"$k/dirty_log_test.c"
	make -C "$tmp/src" ARCH=s390 CROSS_COMPILE=s390x-linux-gnu- headers \
		>"$tmp/headers.log" 2>&1 || die "make headers failed (log: $tmp/headers.log)"
	# The Makefile links with -Wl,--s390-pgste itself; -static reaches the link too.
	make -C "$k" ARCH=s390 CROSS_COMPILE=s390x-linux-gnu- EXTRA_CFLAGS=-static \
		OUTPUT="$tmp/obj" -j"$(nproc 2>/dev/null || echo 2)" >"$tmp/build.log" 2>&1 ||
		die "the s390x selftests build failed (log: $tmp/build.log)"
	printf 'nkvm-print:\n\t@echo $(TEST_GEN_PROGS_s390x)\n' >"$tmp/print.mk"
	make -s -C "$k" ARCH=s390 -f Makefile -f "$tmp/print.mk" nkvm-print >"$tmp/list"
	: >"$tmp/tests"
	for p in $(cat "$tmp/list"); do
		b=${p##*/}
		cp "$tmp/obj/$p" "$tmp/bin/$b" || die "$p was not built"
		echo "$b" >>"$tmp/tests"
	done
	rm -rf "$tmp/src" "$tmp/obj"
	touch "$tmp/.ok"
	rm -rf "$cache"; mv "$tmp" "$cache"
fi

tests=()
while read -r n; do
	[ "$n" = "$left_out" ] || tests+=("$n")
done <"$cache/tests"
for n in "${tests[@]}"; do echo "$n ${args[$n]:-}"; done >"$out/plan"
n=${#tests[@]}

# ---- the module, the payload, one boot
make ARCH=s390 >"$out/build.log" 2>&1 || die "nkvm.ko does not build for s390 (log: $out/build.log)"
# console_pace (our selftests' build) carries the guest's console under Hercules.
make selftests ARCH=s390 >>"$out/build.log" 2>&1 ||
	die "the s390 selftests do not build (log: $out/build.log)"
[ -x build/s390/selftests/console_pace ] || die "no build/s390/selftests/console_pace"
pl=$out/payload
NKVM_RUN_SH=$NKVM_SCRIPTS/guest/upstream-s390-run.sh \
NKVM_INIT_TIMEOUT=$((2 * n * (tmo + 5) + 60)) \
	scripts/payload.sh s390 ours sie "$pl" >"$out/payload.log" 2>&1 ||
	{ cat "$out/payload.log" >&2; die "scripts/payload.sh failed"; }
# Our own tests do not run here; console_pace carries the console (Hercules' 3215).
find "$pl/bin" -type f ! -name console_pace -delete
mkdir -p "$pl/upstream/bin"
for t in "${tests[@]}"; do cp "$cache/bin/$t" "$pl/upstream/bin/"; done
cp "$out/plan" "$pl/upstream/plan"
echo "UPSTREAM_TIMEOUT=$tmo" >"$pl/upstream/config"
scripts/mkinitramfs.sh s390 "$pl" "$out/initrd.cpio.gz" >"$out/initrd.log" 2>&1 ||
	{ cat "$out/initrd.log" >&2; die "scripts/mkinitramfs.sh failed"; }
rc=0
NKVM_BOOT_TIMEOUT=$((2 * n * (tmo + 5) + 400)) \
	scripts/boot.sh --hercules s390 "$out/initrd.cpio.gz" "$out/console.log" \
	2>"$out/boot.err" || rc=$?
[ $rc -eq 0 ] || note "the Hercules boot ended with status $rc (log: $out/console.log)"

# ---- the table
result() { # impl test
	local r
	r=$(grep -E "^UPSTREAM $1 $2 " "$out/console.log" | tail -n1 | awk '{print $4}')
	[ -n "$r" ] || r=NOT-RUN
	grep -qE "^UPSTREAM $1 $2 .*kernel=[1-9]" "$out/console.log" && r="$r(kernel)"
	echo "$r"
}
P=0 S=0 M=0
echo "| test | args | stock | ours |" >"$out/results.md"
echo "|------|------|-------|------|" >>"$out/results.md"
printf '%-28s %-12s %-12s\n' test stock ours
for t in "${tests[@]}"; do
	s=$(result stock "$t"); o=$(result ours "$t")
	[ "$s" = PASS ] && S=$((S + 1))
	[ "$o" = PASS ] && P=$((P + 1))
	[ "$s" = PASS ] && [ "$o" != PASS ] && M=$((M + 1))
	echo "| $t | ${args[$t]:-} | $s | $o |" >>"$out/results.md"
	printf '%-28s %-12s %-12s\n' "$t" "$s" "$o"
done
grep -E '^UPSTREAM-LOAD' "$out/console.log" | sed 's/^/# /' || true
echo "upstream-s390: ours $P/$n passed, stock $S/$n passed, missing $M ($((SECONDS - T0)) s; log: $out/console.log)"
