#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# nkvm: in-guest runner of `make fuzz` (busybox sh), installed as /payload/run.sh by
# scripts/fuzz.sh. Loads the implementation under test (KVM_IMPL=ours: nkvm.ko,
# stock: /payload/stock/* in load-order), runs /payload/fuzz/ioctl_fuzz, then
# /payload/fuzz/guest_fuzz, each for its share of the time, then unloads.
# /payload/fuzz/config sets FUZZ_SEED, FUZZ_THREADS, FUZZ_IOCTL_SECONDS and
# FUZZ_GUEST_SECONDS (0: that fuzzer does not run), FUZZ_IOCTL_ARGS and FUZZ_GUEST_ARGS
# (more options, after ours).
# Markers (parsed by scripts/fuzz.sh): FUZZ-START, FUZZ-LOAD ok|FAIL <detail>,
# FUZZ-BEGIN <name>, the fuzzer's own output (ending in "fuzz: N ops, R reports"),
# FUZZ-END <name> rc=<status>, FUZZ-UNLOAD ok|FAIL <detail>, FUZZ-FINISH; then the
# kernel log between NKVM-DMESG-BEGIN/-END and NKVM-DONE.

P=/payload
F=$P/fuzz
[ -r $P/env ] && . $P/env
[ -r $F/config ] && . $F/config
KVM_IMPL=${KVM_IMPL:-ours}
SEED=${FUZZ_SEED:-1}
THREADS=${FUZZ_THREADS:-4}

# Kernel warnings and worse go to the console as they happen: if the guest
# dies, the host still sees why.
echo 5 >/proc/sys/kernel/printk

echo "FUZZ-START impl=$KVM_IMPL seed=$SEED kernel=$(uname -r)"

loaded=1
if [ "$KVM_IMPL" = stock ]; then
	for m in $(cat $P/stock/load-order 2>/dev/null); do
		out=$(insmod "$P/stock/$m" 2>&1) || { loaded=0; echo "# insmod $m: $out"; }
	done
else
	out=$(insmod $P/nkvm.ko 2>&1) || { loaded=0; echo "# insmod nkvm.ko: $out"; }
fi
[ -c /dev/kvm ] || loaded=0
if [ $loaded = 1 ]; then
	echo "FUZZ-LOAD ok $(cut -d' ' -f1 /proc/modules | grep -E '^(kvm|kvm_amd|nkvm)$' | tr '\n' ' ')"
else
	echo "FUZZ-LOAD FAIL"
fi

run_fuzzer() {
	name=$1 secs=$2
	shift 2
	echo "FUZZ-BEGIN $name"
	# The fuzzer ends itself; this only catches a process that cannot.
	timeout -s KILL $((secs + 120)) "$@"
	echo "FUZZ-END $name rc=$?"
}

if [ $loaded = 1 ] && [ "${FUZZ_IOCTL_SECONDS:-0}" -gt 0 ]; then
	# shellcheck disable=SC2086
	run_fuzzer ioctl "$FUZZ_IOCTL_SECONDS" \
		$F/ioctl_fuzz -s "$SEED" -t "$THREADS" -d "$FUZZ_IOCTL_SECONDS" $FUZZ_IOCTL_ARGS
fi
if [ $loaded = 1 ] && [ "${FUZZ_GUEST_SECONDS:-0}" -gt 0 ]; then
	# shellcheck disable=SC2086
	run_fuzzer guest "$FUZZ_GUEST_SECONDS" \
		$F/guest_fuzz -s "$SEED" -d "$FUZZ_GUEST_SECONDS" $FUZZ_GUEST_ARGS
fi

# Every fd is closed: the module must unload (a leaked reference would not).
if [ "$KVM_IMPL" = stock ]; then
	mods=kvm_amd\ kvm
else
	mods=nkvm
fi
ok=1
for m in $mods; do
	grep -q "^$m " /proc/modules || continue
	out=$(rmmod $m 2>&1) || { ok=0; echo "# rmmod $m: $out"; }
done
if [ $ok = 1 ]; then echo "FUZZ-UNLOAD ok"; else echo "FUZZ-UNLOAD FAIL"; fi
echo "FUZZ-FINISH"
echo "NKVM-DMESG-BEGIN"
dmesg
echo "NKVM-DMESG-END"
echo "NKVM-DONE"
