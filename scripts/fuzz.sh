#!/bin/bash
# nkvm: `make fuzz SECONDS=N`: the ioctl fuzzer and the guest-code fuzzer
# (tools/fuzz/, Documentation/fuzzing.md) in ONE boot of the x86_64 test guest,
# against nkvm.ko (KVM_IMPL=ours, default) or the stock kvm-amd (KVM_IMPL=stock).
# The N seconds are split between the two fuzzers. Ends with exactly one line
#   fuzz: N ops, R reports
# (the sum of both fuzzers; R also counts a fuzzer that did not finish, a module
# that would not unload and a guest that died); exit status 1 if R > 0.
# Env: NKVM_FUZZ_SECONDS  the N (make passes SECONDS; default 60)
#      NKVM_FUZZ_SEED     seed of both fuzzers (default: random, printed)
#      NKVM_FUZZ_THREADS  ioctl fuzzer threads (4)
#      NKVM_FUZZ_ONLY     ioctl or guest: run only that fuzzer (for the whole N)
#      NKVM_FUZZ_IOCTL_ARGS, NKVM_FUZZ_GUEST_ARGS  more options for that fuzzer, after
#                         ours (e.g. "-c 262 -n 1 -v": one guest case, verbose)
#      NKVM_FUZZ_KERNEL   debug (default for ours): the KASAN/lockdep/kmemleak kernel of
#                         scripts/debug-kernel.sh (Documentation/debug-kernel.md), with
#                         nkvm.ko built against it; stock (always for KVM_IMPL=stock,
#                         whose modules only load there): the pinned Debian kernel
#      NKVM_CACHE, NKVM_QEMU_MEM, NKVM_BOOT_TIMEOUT (N + 300 here)
# Logs: build/fuzz/ (console.log holds everything the guest printed).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$NKVM_ROOT"
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEFILES ARCH CROSS_COMPILE

impl=${KVM_IMPL:-ours}
case "$impl" in ours|stock) ;; *) die "KVM_IMPL must be ours or stock, not '$impl'" ;; esac
secs=${NKVM_FUZZ_SECONDS:-60}
[[ "$secs" =~ ^[0-9]+$ ]] && [ "$secs" -ge 2 ] || die "SECONDS must be a number >= 2, not '$secs'"
seed=${NKVM_FUZZ_SEED:-0x$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')}
threads=${NKVM_FUZZ_THREADS:-4}
ioctl_s=$((secs / 2))
guest_s=$((secs - ioctl_s))
case "${NKVM_FUZZ_ONLY:-}" in
'') ;;
ioctl) ioctl_s=$secs guest_s=0 ;;
guest) ioctl_s=0 guest_s=$secs ;;
*) die "NKVM_FUZZ_ONLY must be ioctl or guest, not '$NKVM_FUZZ_ONLY'" ;;
esac
export NKVM_BOOT_TIMEOUT=${NKVM_BOOT_TIMEOUT:-$((secs + 300))}
out=$NKVM_ROOT/build/fuzz
rm -rf "$out"; mkdir -p "$out"
t0=$(date +%s)
jobs=$(nproc 2>/dev/null || echo 2)

kern=${NKVM_FUZZ_KERNEL:-debug}
[ "$impl" = stock ] && kern=stock
case "$kern" in debug|stock) ;; *) die "NKVM_FUZZ_KERNEL must be debug or stock, not '$kern'" ;; esac
note "fuzz: $impl, $secs s ($ioctl_s s ioctl_fuzz with $threads threads, $guest_s s guest_fuzz), seed $seed"

scripts/fetch.sh kdir x86_64 >/dev/null
scripts/fetch.sh image x86_64 >/dev/null
boot_kind=main ko=
if [ "$kern" = debug ]; then
	dk=$(scripts/debug-kernel.sh 2>"$out/debug-kernel.log") ||
		{ cat "$out/debug-kernel.log" >&2; die "no debug kernel"; }
	note "kernel: the debug kernel ($dk)"
	ko=$NKVM_ROOT/build/debug/module/nkvm.ko
	quietly "$out/build-module.log" make -j"$jobs" module ARCH=x86_64 KDIR="$dk/build" \
		MODDIR="$NKVM_ROOT/build/debug/module" || die "nkvm.ko does not build for the debug kernel"
	boot_kind=debug
	export NKVM_KERNEL=$dk/bzImage NKVM_QEMU_MEM=${NKVM_QEMU_MEM:-2048}
else
	quietly "$out/build-module.log" make -j"$jobs" ARCH=x86_64 || die "nkvm.ko does not build"
fi
quietly "$out/build-fuzz.log" make -C tools/fuzz ARCH=x86_64 OUT="$out/bin" ||
	die "tools/fuzz does not build"

NKVM_RUN_SH=$NKVM_SCRIPTS/guest/fuzz-run.sh NKVM_INIT_TIMEOUT=$((NKVM_BOOT_TIMEOUT - 30)) \
	NKVM_KO=${ko:-} quietly "$out/payload.log" scripts/payload.sh x86_64 "$impl" "$boot_kind" "$out/payload" ||
	die "scripts/payload.sh failed"
rm -rf "$out/payload/bin"
mkdir -p "$out/payload/fuzz"
cp "$out/bin/ioctl_fuzz" "$out/bin/guest_fuzz" "$out/payload/fuzz/"
{
	echo "FUZZ_SEED=$seed"
	echo "FUZZ_THREADS=$threads"
	echo "FUZZ_IOCTL_SECONDS=$ioctl_s"
	echo "FUZZ_GUEST_SECONDS=$guest_s"
	echo "FUZZ_IOCTL_ARGS='${NKVM_FUZZ_IOCTL_ARGS:-}'"
	echo "FUZZ_GUEST_ARGS='${NKVM_FUZZ_GUEST_ARGS:-}'"
} >"$out/payload/fuzz/config"
quietly "$out/initrd.log" scripts/mkinitramfs.sh x86_64 "$out/payload" "$out/initrd.cpio.gz" ||
	die "scripts/mkinitramfs.sh failed"

log=$out/console.log
note "booting the x86_64 guest (QEMU TCG; about $((secs + 40)) s)"
rc=0
scripts/boot.sh x86_64 "$out/initrd.cpio.gz" "$log" 2>"$out/boot.err" || rc=$?
grep '^NKVM-BOOT:' "$log" | sed 's/^NKVM-BOOT: /# /' || true

# ---- the results
ops=0 reps=0
extra() { reps=$((reps + 1)); echo "# finding: $*"; }
# Report headers in the kernel log, as the fuzzers count them.
kernel_reports() {
	grep -cE 'WARNING:|BUG:|Oops|KASAN|UBSAN|general protection fault|possible .*locking|kernel BUG|Kernel panic|INFO: task|detected stall' "$1" || true
}
died=0
grep -q '^NKVM-DONE' "$log" || died=1
grep -q '^FUZZ-LOAD ok' "$log" || extra "the $impl KVM modules did not load (see $log)"
for f in ioctl guest; do
	sect=$(sed -n "/^FUZZ-BEGIN $f\$/,/^FUZZ-END $f /p" "$log")
	[ -n "$sect" ] || continue
	echo "$sect" | grep -E '(seed|FINDING|slow:|kernel report|kmemleak|cases|ops in|results|_fuzz:   )' |
		grep -v '^fuzz: ' | sed "s/^/# /" || true
	line=$(echo "$sect" | grep -E '^fuzz: [0-9]+ ops, [0-9]+ reports$' | tail -n1 || true)
	if [ -z "$line" ]; then
		# A dead guest is one finding below, not one per casualty.
		[ $died = 1 ] && echo "# ${f}_fuzz did not finish: the guest died during it" ||
			extra "${f}_fuzz did not finish ($(echo "$sect" | grep '^FUZZ-END' || echo 'no end marker'))"
		continue
	fi
	n=$(echo "$line" | sed 's/^fuzz: \([0-9]*\) ops, \([0-9]*\) reports$/\1/')
	r=$(echo "$line" | sed 's/^fuzz: \([0-9]*\) ops, \([0-9]*\) reports$/\2/')
	echo "# ${f}_fuzz: $n ops, $r reports"
	ops=$((ops + n)); reps=$((reps + r))
done
if grep -q '^FUZZ-LOAD ok' "$log" && [ $died = 0 ]; then
	grep -q '^FUZZ-UNLOAD ok' "$log" || extra "the module did not unload after the run"
fi
if [ $died = 1 ]; then
	k=$(kernel_reports "$log")
	extra "the guest died (emulator status $rc, $k kernel report line(s) on the console)"
	[ "$k" -gt 1 ] && reps=$((reps + k - 1))
	grep -E 'WARNING:|BUG:|Oops|Kernel panic|RIP:|rcu: .*stall|^rcu: |^case [0-9]' "$log" | tail -n 20 |
		sed 's/^/#   | /' || true
fi
echo "# seed $seed (again: NKVM_FUZZ_SEED=$seed make fuzz SECONDS=$secs KVM_IMPL=$impl)"
echo "# total time $(($(date +%s) - t0)) s, console log: $log"
echo "fuzz: $ops ops, $reps reports"
[ "$reps" -eq 0 ]
