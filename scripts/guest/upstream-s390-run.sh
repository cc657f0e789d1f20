#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# nkvm: in-guest runner of the upstream s390x KVM selftests under Hercules (busybox
# sh), installed as /payload/run.sh by scripts/check-upstream-s390.sh. One boot runs
# the plan (/payload/upstream/plan: "<test> [args...]", binaries in
# /payload/upstream/bin/) on nkvm.ko, unloads it, loads the stock kvm.ko
# (/payload/stock/load-order) and runs the plan again. Markers:
#   UPSTREAM-LOAD <impl> ok|FAIL <detail>
#   UPSTREAM <impl> <test> PASS|FAIL|SKIP|TIMEOUT rc=<status> time=<s>s kernel=<n>
# rc 0 is PASS, 4 (KSFT_SKIP) SKIP, killed after the timeout TIMEOUT, anything else
# FAIL; kernel=<n> counts the kernel trouble lines (WARNING, BUG, Oops...) the test
# caused. Then the kernel log and NKVM-DONE.

P=/payload
U=$P/upstream
[ -r $P/env ] && . $P/env
[ -r $U/config ] && . $U/config
TMO=${UPSTREAM_TIMEOUT:-60}

TROUBLE='WARNING:|BUG:|Oops|general protection|Call Trace|Kernel panic|soft lockup|hung_task|blocked for more than'

run_plan() {
	impl=$1
	while read -r t args; do
		[ -n "$t" ] || continue
		before=$(dmesg | grep -cE "$TROUBLE")
		s=$(cut -d. -f1 /proc/uptime)
		# shellcheck disable=SC2086
		KVM_IMPL=$impl timeout -s KILL "$TMO" $U/bin/$t $args >/tmp/u.out 2>&1
		rc=$?
		e=$(cut -d. -f1 /proc/uptime)
		tail -n 15 /tmp/u.out | sed "s/^/# $impl $t: /"
		case $rc in
		0) r=PASS ;;
		4) r=SKIP ;;
		137) r=TIMEOUT ;;
		*) r=FAIL ;;
		esac
		k=$(($(dmesg | grep -cE "$TROUBLE") - before))
		echo "UPSTREAM $impl $t $r rc=$rc time=$((e - s))s kernel=$k"
	done <$U/plan
}

if insmod $P/nkvm.ko 2>/tmp/ins.out && [ -c /dev/kvm ]; then
	echo "UPSTREAM-LOAD ours ok"
	run_plan ours
	rmmod nkvm || echo "UPSTREAM-LOAD ours FAIL rmmod nkvm"
else
	echo "UPSTREAM-LOAD ours FAIL $(cat /tmp/ins.out)"
fi

ok=1
for m in $(cat $P/stock/load-order 2>/dev/null); do
	insmod $P/stock/$m 2>/tmp/ins.out || { ok=0; cat /tmp/ins.out; }
done
if [ $ok = 1 ] && [ -c /dev/kvm ] && grep -q '^kvm ' /proc/modules; then
	echo "UPSTREAM-LOAD stock ok"
	run_plan stock
else
	echo "UPSTREAM-LOAD stock FAIL"
fi

echo "NKVM-DMESG-BEGIN"
dmesg
echo "NKVM-DMESG-END"
echo "NKVM-DONE"
