#!/bin/bash
# nkvm: `make check-upstream`: the upstream Linux 6.1 x86_64 KVM selftests, run against
# the stock kvm-amd and against nkvm.ko in the same kind of x86_64 guest boot.
# Prints a per-test table (test, stock, ours) and one closing line
#   upstream: ours P/T passed, stock S/T passed, missing M
# (T tests run, M = tests stock passes and ours does not); the table also goes to
# build/check-upstream/results.md. This target reports: its exit status is 0 unless the
# harness itself could not work. Documentation/upstream-selftests.md explains it.
# Env: NKVM_UPSTREAM_TIMEOUT   seconds per test (60)
#      NKVM_UPSTREAM_IMPLS     implementations to boot ("stock ours")
#      NKVM_UPSTREAM_REBOOTS   boots after a dead guest, per implementation (4)
#      NKVM_UPSTREAM_TESTS     run only these tests (space separated names)
#      NKVM_CACHE, NKVM_QEMU_MEM (2048 here)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$NKVM_ROOT"
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEFILES ARCH CROSS_COMPILE

tmo=${NKVM_UPSTREAM_TIMEOUT:-60}
impls=${NKVM_UPSTREAM_IMPLS:-stock ours}
reboots=${NKVM_UPSTREAM_REBOOTS:-4}
export NKVM_QEMU_MEM=${NKVM_QEMU_MEM:-2048}
out=$NKVM_ROOT/build/check-upstream
rm -rf "$out"; mkdir -p "$out"
T0=$SECONDS

# ---- the plan: which upstream tests run, with which arguments.
# Long perf/stress tests run with reduced arguments (their defaults take 1-5 minutes
# each under QEMU TCG); the two that take no size arguments stay out.
declare -A args=(
	[demand_paging_test]="-b 64M"
	[dirty_log_perf_test]="-b 64M -i 2"
	[memslot_modification_stress_test]="-b 64M -i 4"
	[kvm_page_table_test]="-b 128M"
	[dirty_log_test]="-i 3"
	[memslot_perf_test]="-s 32 -l 1 -r 1"
	[max_guest_memory_test]="-c 2 -m 8 -s 1"
	[nx_huge_pages_test]="-t 887563923 -p 100 -r"
)
declare -A left_out=(
	[rseq_test]="100000 task migrations, no argument to reduce them (72 s on stock)"
	[hardware_disable_test]="512 forked VMs, no argument to reduce them (>300 s on stock)"
)

note "building/locating the upstream selftests (scripts/upstream.sh)"
t=$SECONDS
cache=$(scripts/upstream.sh 2>"$out/upstream-build.log") || {
	cat "$out/upstream-build.log" >&2; die "scripts/upstream.sh failed"; }
build_s=$((SECONDS - t))

tests=()
only=" ${NKVM_UPSTREAM_TESTS:-} "
while read -r n; do
	[ -n "${left_out[$n]:-}" ] && continue
	[ -n "${NKVM_UPSTREAM_TESTS:-}" ] && [[ "$only" != *" $n "* ]] && continue
	tests+=("$n")
done <"$cache/tests"
[ ${#tests[@]} -gt 0 ] || die "no upstream test selected"
for n in "${tests[@]}"; do echo "$n ${args[$n]:-}"; done >"$out/plan"

# ---- one implementation: payload, boots until every test has a result.
# results/<impl>: "<idx> <test> <RESULT> <detail>" lines.

# boot_watch LOG MARKS FROM: boot once; kill the emulator when the marker port has been
# quiet for longer than a test may take. Returns boot.sh's status.
boot_watch() {
	local log=$1 marks=$2 from=$3 pid sid quiet last size now rc=0 q
	rm -f "$marks"
	# The console stays on stdio (an explicit second -serial turns off -nographic's
	# default one, so both are named); the second port, the guest's ttyS1, writes the
	# markers to a file at once (boot.sh's console log is only flushed at the end).
	# A session of our own: on a stall we stop exactly this emulator.
	setsid env NKVM_APPEND="nkvm_upstream_from=$from" \
		NKVM_BOOT_TIMEOUT="$boot_tmo" \
		scripts/boot.sh x86_64 "$initrd" "$log" \
		-serial mon:stdio -serial "file:$marks" \
		2>>"$log.err" &
	pid=$!
	sid=$pid
	quiet=$((tmo + 90)); last=$SECONDS; size=-1
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		# the marker file appears when QEMU starts (boot.sh may first wait for the lock)
		[ -e "$marks" ] || { last=$SECONDS; continue; }
		now=$(stat -c %s "$marks" 2>/dev/null || echo 0)
		if [ "$now" != "$size" ]; then size=$now; last=$SECONDS; continue; fi
		if [ $((SECONDS - last)) -gt "$quiet" ]; then
			echo "# $impl: no marker for $quiet s: stopping the emulator"
			echo "NKVM-UPSTREAM: stopped by the host after $quiet s without a marker" >>"$log.err"
			# boot.sh's timeout(1) puts the emulator in a process group of its own,
			# but it stays in our session: TERM to the emulator of this session (its
			# comm is cut to 15 characters), so that boot.sh finishes normally and
			# the console log is flushed; KILL to every process left in it after 10 s.
			q=$(pgrep -s "$sid" -x qemu-system-x86 || true)
			[ -n "$q" ] && kill -TERM $q 2>/dev/null
			for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
			q=$(pgrep -s "$sid" || true)
			[ -n "$q" ] && kill -KILL $q 2>/dev/null
			break
		fi
	done
	wait "$pid" || rc=$?
	return $rc
}

run_impl() {
	impl=$1
	local dir=$out/$impl res=$out/results-$impl n boot from rc
	mkdir -p "$dir"
	: >"$res"
	if [ "$impl" = ours ] && ! build_x86_module "$dir/build.log"; then
		echo "# ours: nkvm.ko does not build (log: $dir/build.log); not booted"
		return 0
	fi
	n=${#tests[@]}
	NKVM_RUN_SH=$NKVM_SCRIPTS/guest/upstream-run.sh \
	NKVM_INIT_TIMEOUT=$((n * (tmo + 10) + 120)) \
		scripts/payload.sh x86_64 "$impl" main "$dir/payload" >"$dir/payload.log" 2>&1 ||
		{ cat "$dir/payload.log" >&2; die "scripts/payload.sh failed for $impl"; }
	# Our own selftests are not run here: keep the initramfs small.
	rm -rf "$dir/payload/bin"
	mkdir -p "$dir/payload/upstream/bin"
	for t in "${tests[@]}"; do cp "$cache/bin/$t" "$dir/payload/upstream/bin/"; done
	cp "$out/plan" "$dir/payload/upstream/plan"
	echo "UPSTREAM_TIMEOUT=$tmo" >"$dir/payload/upstream/config"
	initrd=$dir/initrd.cpio.gz
	scripts/mkinitramfs.sh x86_64 "$dir/payload" "$initrd" >"$dir/initrd.log" 2>&1 ||
		{ cat "$dir/initrd.log" >&2; die "scripts/mkinitramfs.sh failed for $impl"; }
	boot_tmo=$((n * (tmo + 10) + 300))

	from=1 boot=0
	local t=$SECONDS
	while [ "$from" -le "$n" ]; do
		boot=$((boot + 1))
		local log=$dir/console-$boot.log marks=$dir/markers-$boot.log
		echo "# $impl: boot $boot, tests $from..$n"
		rc=0
		boot_watch "$log" "$marks" "$from" || rc=$?
		# what finished in this boot
		tr -d '\r' <"$marks" 2>/dev/null >"$marks.txt" || : >"$marks.txt"
		grep -oE '^UPSTREAM-LOAD .*' "$marks.txt" | sed "s/^/# $impl: /" || true
		local line name r rcv idx last_begin='' last_name='' done_idx=$((from - 1))
		while read -r line; do
			case "$line" in
			UPSTREAM-BEGIN\ *)
				read -r _ last_begin last_name <<<"$line" ;;
			UPSTREAM\ *)
				read -r _ name r _ idx _ <<<"$line"
				idx=${idx#idx=}
				echo "$idx $name $r ${line#UPSTREAM "$name" "$r" }" >>"$res"
				done_idx=$idx; last_begin='' ;;
			esac
		done < <(grep -E '^UPSTREAM(-BEGIN)? ' "$marks.txt" || true)
		grep -q '^UPSTREAM-END' "$marks.txt" && break
		# the guest died or hung
		if [ -n "$last_begin" ]; then
			echo "$last_begin $last_name CRASH guest died or hung during the test (boot $boot, emulator status $rc)" >>"$res"
			echo "# $impl: the guest died in $last_name (emulator status $rc); console: $log"
			from=$((last_begin + 1))
		else
			echo "# $impl: the guest died outside a test (emulator status $rc); console: $log"
			from=$((done_idx + 1))
		fi
		if [ "$boot" -gt "$reboots" ]; then
			echo "# $impl: giving up after $boot boots; tests $from..$n not run"
			break
		fi
	done
	echo "# $impl: $boot boot(s), $((SECONDS - t)) s"
	echo "$((SECONDS - t))" >"$dir/seconds"
}

for i in $impls; do
	case "$i" in stock|ours) run_impl "$i" ;; *) die "NKVM_UPSTREAM_IMPLS: unknown '$i'" ;; esac
done

# ---- the table
# result IMPL TEST: the shown result (a test with new kernel trouble is FAIL(kernel)).
result() {
	local f=$out/results-$1 l
	[ -f "$f" ] || { echo "-"; return; }
	l=$(awk -v t="$2" '$2 == t { r = $3; k = ($0 ~ / kernel=[0-9]/) } END { if (r == "") print "-"; else if (k && r == "PASS") print "FAIL(kernel)"; else print r }' "$f")
	echo "$l"
}
ntests=${#tests[@]}
P=0 S=0 M=0
missing=()
{
	echo "# Upstream KVM selftests (Linux $(cat "$cache/version" 2>/dev/null), x86_64, QEMU TCG)"
	echo
	echo "Per-test timeout ${tmo} s. Generated by \`make check-upstream\` ($(date -u '+%Y-%m-%d %H:%M UTC'))."
	echo
	echo "| test | args | stock | ours |"
	echo "|------|------|-------|------|"
	for n in "${tests[@]}"; do
		s=$(result stock "$n"); o=$(result ours "$n")
		[ "$s" = PASS ] && S=$((S + 1))
		[ "$o" = PASS ] && P=$((P + 1))
		if [ "$s" = PASS ] && [ "$o" != PASS ]; then M=$((M + 1)); missing+=("$n"); fi
		echo "| $n | ${args[$n]:-} | $s | $o |"
	done
	echo
	echo "Not run (too long under TCG):"
	for n in "${!left_out[@]}"; do echo "- $n: ${left_out[$n]}"; done
	echo
	echo "upstream: ours $P/$ntests passed, stock $S/$ntests passed, missing $M"
} >"$out/results.md"

echo
printf '%-36s %-13s %-13s\n' test stock ours
for n in "${tests[@]}"; do
	printf '%-36s %-13s %-13s\n' "$n" "$(result stock "$n")" "$(result ours "$n")"
done
echo
echo "# not run (too long under TCG): ${!left_out[*]}"
[ ${#missing[@]} -eq 0 ] || echo "# stock passes, ours does not: ${missing[*]}"
echo "# selftests build/cache: ${build_s} s ($cache); total $((SECONDS - T0)) s; table: $out/results.md"
echo "upstream: ours $P/$ntests passed, stock $S/$ntests passed, missing $M"
exit 0
