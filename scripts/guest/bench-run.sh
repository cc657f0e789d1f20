#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# nkvm: in-guest runner of `make bench` (busybox sh), installed as /payload/run.sh by
# scripts/bench.sh. In one boot, one implementation after the other:
#   limit  /payload/bench/nkvm_bench_limit.ko: the floor of an in-kernel exit
#          (loaded while no hypervisor is, its results read from its parameters)
#   stock  /payload/stock/* in load-order, /payload/bench/nkvm_bench, rmmod
#   ours   /payload/nkvm.ko, /payload/bench/nkvm_bench, rmmod
# nkvm_bench_impls=a,b on the kernel command line picks some of them (the host
# sets it when it boots again after a dead guest). /payload/bench/config sets
# BENCH_SCALE, LIMIT_ITERS, LIMIT_ROUNDS.
# Markers: BENCH-START, BENCH-IMPL-BEGIN <impl>, BENCH-LOAD ok|FAIL <impl> <detail>,
# the program's BENCH/BENCH-NA lines, BENCH-IMPL-END <impl>, BENCH-END; then the
# kernel log between NKVM-DMESG-BEGIN/-END and NKVM-DONE.

P=/payload
B=$P/bench
[ -r $P/env ] && . $P/env
[ -r $B/config ] && . $B/config
SCALE=${BENCH_SCALE:-1}
ROUNDS=${BENCH_ROUNDS:-2}

IMPLS="limit stock ours"
for a in $(cat /proc/cmdline); do
	case "$a" in nkvm_bench_impls=*) IMPLS=$(echo "${a#nkvm_bench_impls=}" | tr , ' ') ;; esac
done

echo "BENCH-START impls=$IMPLS scale=$SCALE rounds=$ROUNDS"
echo "BENCH-INFO kernel=$(uname -r)"
echo "BENCH-INFO cpu=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//')"
echo "BENCH-INFO cpus=$(grep -c '^processor' /proc/cpuinfo)"
echo "BENCH-INFO memtotal=$(grep '^MemTotal' /proc/meminfo | tr -s ' ' | cut -d' ' -f2-)"

kvm_mods() {
	cut -d' ' -f1 /proc/modules | grep -E '^(kvm|kvm_amd|nkvm)$' | tr '\n' ' '
}

run_limit() {
	if ! out=$(insmod $B/nkvm_bench_limit.ko iters="${LIMIT_ITERS:-20000}" \
		rounds="${LIMIT_ROUNDS:-7}" 2>&1); then
		echo "BENCH-LOAD FAIL limit insmod: $out"
		echo "BENCH-NA impl=limit name=cpuid_exit reason=insmod:$(echo "$out" | tr ' ' _)"
		dmesg | tail -n 5 | sed 's/^/# dmesg: /'
		return
	fi
	echo "BENCH-LOAD ok limit"
	ns=$(cat /sys/module/nkvm_bench_limit/parameters/round_ns)
	it=${LIMIT_ITERS:-20000}
	# nanoseconds per round -> microseconds per exit
	s=$(echo "$ns" | tr , '\n' | awk -v n="$it" '{ printf "%s%.4g", (NR > 1 ? "," : ""), $1 / n / 1000 }')
	echo "BENCH impl=limit name=cpuid_exit unit=us iters=$it samples=$s"
	rmmod nkvm_bench_limit
}

run_kvm() {
	impl=$1
	load_ok=1 msg=
	if [ "$impl" = stock ]; then
		for m in $(cat $P/stock/load-order 2>/dev/null); do
			# dependencies (irqbypass, ccp...) stay loaded from an earlier round
			n=$(basename "$m" .ko | tr - _)
			grep -q "^$n " /proc/modules && continue
			out=$(insmod "$P/stock/$m" 2>&1) || { load_ok=0; msg="$msg insmod $m: $out;"; }
		done
	else
		out=$(insmod $P/nkvm.ko 2>&1) || { load_ok=0; msg="insmod nkvm.ko: $out"; }
	fi
	[ -c /dev/kvm ] || { load_ok=0; msg="$msg no /dev/kvm"; }
	if [ $load_ok = 1 ]; then
		echo "BENCH-LOAD ok $impl $(kvm_mods)"
		KVM_IMPL=$impl $B/nkvm_bench --impl "$impl" --scale "$SCALE" --round "$r"
	else
		echo "BENCH-LOAD FAIL $impl$msg"
		dmesg | tail -n 10 | sed 's/^/# dmesg: /'
	fi
	# unload whatever this implementation loaded, so the next one owns SVM
	for m in kvm_amd kvm nkvm; do
		grep -q "^$m " /proc/modules && rmmod $m
	done
	[ -z "$(kvm_mods)" ] || echo "# modules still loaded: $(kvm_mods)"
}

r=1
while [ $r -le "$ROUNDS" ]; do
	for impl in $IMPLS; do
		echo "BENCH-IMPL-BEGIN $impl round=$r"
		t0=$(date +%s)
		case "$impl" in
		limit) run_limit ;;
		stock|ours) run_kvm "$impl" ;;
		*) echo "# unknown implementation $impl" ;;
		esac
		echo "BENCH-IMPL-END $impl $(($(date +%s) - t0))s round=$r"
	done
	r=$((r + 1))
done
echo "BENCH-END"
echo "NKVM-DMESG-BEGIN"
dmesg
echo "NKVM-DMESG-END"
echo "NKVM-DONE"
