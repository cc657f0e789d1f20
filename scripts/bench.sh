#!/bin/bash
# nkvm: `make bench`: micro-benchmarks of nkvm.ko side by side with the stock kvm-amd,
# in ONE boot of the x86_64 test guest (QEMU TCG, -cpu max), plus the floor of an
# in-kernel exit measured by a bare SVM loop (tools/bench/limit/).
# Prints the table (min/median/max per implementation, ours/stock of the medians),
# writes build/bench/results.md and build/bench/ratios.png (with NKVM_BENCH_DOC=1
# also to Documentation/bench-results.{md,png}), and ends with exactly one line
#   bench: geomean ours/stock R over K benchmarks
# Documentation/bench.md explains the numbers. No timing here is a pass/fail check:
# the exit status is 0 unless the harness itself could not work.
# Env: NKVM_BENCH_SCALE  multiply every iteration count (1)
#      NKVM_BENCH_IMPLS  implementations to run ("limit stock ours")
#      NKVM_BENCH_ROUNDS rounds in which the implementations take turns (2)
#      NKVM_BENCH_DOC    1: copy the results under Documentation/ (to commit them)
#      NKVM_CACHE, NKVM_QEMU_MEM (2048 here), NKVM_BOOT_TIMEOUT (480 here)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$NKVM_ROOT"
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEFILES ARCH CROSS_COMPILE

scale=${NKVM_BENCH_SCALE:-1}
impls=${NKVM_BENCH_IMPLS:-limit stock ours}
rounds=${NKVM_BENCH_ROUNDS:-2}
# 1 GiB dirty-log slot (10% touched) and 256 MiB first-touch: more than the 1 GiB default.
export NKVM_QEMU_MEM=${NKVM_QEMU_MEM:-2048}
export NKVM_BOOT_TIMEOUT=${NKVM_BOOT_TIMEOUT:-480}
out=$NKVM_ROOT/build/bench
rm -rf "$out"; mkdir -p "$out"
T0=$SECONDS
jobs=$(nproc 2>/dev/null || echo 2)

note "dependencies (scripts/deps.sh x86 bench)"
scripts/deps.sh x86 bench
kdir=$(scripts/fetch.sh kdir x86_64)
scripts/fetch.sh image x86_64 >/dev/null

note "building nkvm.ko, nkvm_bench and nkvm_bench_limit.ko"
quietly "$out/build-module.log" make -j"$jobs" ARCH=x86_64 || die "nkvm.ko does not build"
quietly "$out/build-bench.log" make -C tools/bench OUT="$out/bin" ||
	die "tools/bench does not build"
mkdir -p "$out/limit"
cp -rs --remove-destination "$NKVM_ROOT/tools/bench/limit/." "$out/limit/"
quietly "$out/build-limit.log" make -C "$kdir" M="$out/limit" W=1 modules ||
	die "tools/bench/limit does not build"
if grep -q 'warning:' "$out/build-limit.log"; then
	grep 'warning:' "$out/build-limit.log" >&2; die "tools/bench/limit builds with warnings"
fi

# The payload of check-upstream's kind: payload.sh's nkvm.ko and stock modules, our run.sh.
NKVM_RUN_SH=$NKVM_SCRIPTS/guest/bench-run.sh NKVM_INIT_TIMEOUT=$((NKVM_BOOT_TIMEOUT - 30)) \
	quietly "$out/payload.log" scripts/payload.sh x86_64 ours main "$out/payload" ||
	die "scripts/payload.sh failed"
rm -rf "$out/payload/bin"
mkdir -p "$out/payload/bench"
cp "$out/bin/nkvm_bench" "$out/limit/nkvm_bench_limit.ko" "$out/payload/bench/"
{
	echo "BENCH_SCALE=$scale"
	echo "LIMIT_ITERS=$(awk -v s="$scale" 'BEGIN { n = int(20000 * s); print (n > 0 ? n : 1) }')"
	echo "BENCH_ROUNDS=$rounds"
	echo "LIMIT_ROUNDS=4"
} >"$out/payload/bench/config"
quietly "$out/initrd.log" scripts/mkinitramfs.sh x86_64 "$out/payload" "$out/initrd.cpio.gz" ||
	die "scripts/mkinitramfs.sh failed"

# done_impls LOG: the implementations whose last round finished in that boot.
done_impls() { sed -n "s/^BENCH-IMPL-END \([a-z]*\) .* round=$rounds\$/\1/p" "$1" | tr '\n' ' '; }

# One boot for everything; if the guest dies (the stock kvm-amd under TCG hangs now and
# then), one more boot for what did not finish, when there is time left for it.
todo=$impls boot=0 logs=()
while [ -n "${todo// /}" ]; do
	boot=$((boot + 1))
	log=$out/console-$boot.log
	logs+=("$log")
	note "boot $boot: $todo (QEMU TCG, ${NKVM_QEMU_MEM} MiB; a few minutes)"
	rc=0
	NKVM_APPEND="nkvm_bench_impls=$(echo "$todo" | tr ' ' ,)" \
		scripts/boot.sh x86_64 "$out/initrd.cpio.gz" "$log" 2>"$out/boot-$boot.err" || rc=$?
	grep '^NKVM-BOOT:' "$log" | sed 's/^NKVM-BOOT: /# /' || true
	left=
	fin=" $(done_impls "$log") "
	for i in $todo; do [[ "$fin" == *" $i "* ]] || left="$left $i"; done
	todo=${left# }
	[ -z "$todo" ] && break
	echo "# boot $boot: no result for: $todo (emulator status $rc; console: $log)"
	if [ "$boot" -ge 2 ] || [ $((SECONDS - T0)) -gt 300 ]; then
		echo "# not booting again: $todo stay n/a"
		break
	fi
done

note "report (tools/bench/report.py)"
doc=()
[ "${NKVM_BENCH_DOC:-0}" != 1 ] || doc=(--doc "$NKVM_ROOT/Documentation")
# Debian's python3 (with python3-matplotlib), not whatever python3 comes first in PATH.
py=/usr/bin/python3; [ -x "$py" ] || py=python3
"$py" tools/bench/report.py --out "$out" --seconds "$((SECONDS - T0))" \
	"${doc[@]}" "${logs[@]}"
