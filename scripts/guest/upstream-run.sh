#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# nkvm: in-guest runner of the upstream KVM selftests (busybox sh), installed as
# /payload/run.sh by scripts/check-upstream.sh. It loads one implementation
# (KVM_IMPL=stock: /payload/stock/* in load-order; ours: /payload/nkvm.ko), then runs
# the lines of /payload/upstream/plan ("<test> [args...]", test binaries in
# /payload/upstream/bin/) from line nkvm_upstream_from=N of the kernel command line on
# (1 when absent: the host sets it when it boots again after a dead guest).
#
# Each test runs in a session of its own under `timeout -s KILL`; afterwards the whole
# process group is killed (a test's leftover children must not disturb the next one).
# Markers, on the console and on the marker port (/dev/ttyS1, which the host reads
# unbuffered while the guest runs):
#   UPSTREAM-START impl=<impl> from=<N> timeout=<s>
#   UPSTREAM-LOAD ok|FAIL <detail>
#   UPSTREAM-BEGIN <N> <test>
#   UPSTREAM <test> PASS|FAIL|SKIP|TIMEOUT rc=<status> idx=<N> time=<s>s [kernel=<n>]
#   UPSTREAM-END
# rc 0 is PASS, 4 (KSFT_SKIP) SKIP, SIGKILL after the full timeout TIMEOUT, anything else
# FAIL; kernel=<n> counts new kernel trouble lines (WARNING, BUG, Oops...) the test
# caused. Then the kernel log between NKVM-DMESG-BEGIN/-END, and NKVM-DONE.

P=/payload
U=$P/upstream
[ -r $P/env ] && . $P/env
[ -r $U/config ] && . $U/config
KVM_IMPL=${KVM_IMPL:-ours}
TMO=${UPSTREAM_TIMEOUT:-60}
export KVM_IMPL

FROM=1
for a in $(cat /proc/cmdline); do
	case "$a" in nkvm_upstream_from=*) FROM=${a#nkvm_upstream_from=} ;; esac
done

# The marker port: the second 16550 (QEMU -device isa-serial, a chardev file on the host).
MPORT=/dev/ttyS1
if [ -c $MPORT ] && stty -F $MPORT raw -echo 2>/dev/null; then :; else MPORT=; fi

mark() {
	echo "$*"
	[ -n "$MPORT" ] && echo "$*" >$MPORT
}

TROUBLE='WARNING:|BUG:|Oops|general protection|Call Trace|Kernel panic|soft lockup|hung_task|blocked for more than|UBSAN:|KASAN'
trouble_count() {
	dmesg | grep -cE "$TROUBLE"
}

mark "UPSTREAM-START impl=$KVM_IMPL from=$FROM timeout=$TMO"

load_msg=
load_ok=1
if [ "$KVM_IMPL" = stock ]; then
	for m in $(cat $P/stock/load-order 2>/dev/null); do
		if ! out=$(insmod $P/stock/$m 2>&1); then
			load_ok=0; load_msg="$load_msg insmod $m: $out;"
		fi
	done
	[ -n "$(cat $P/stock/load-order 2>/dev/null)" ] || { load_ok=0; load_msg="no stock modules"; }
else
	if ! out=$(insmod $P/nkvm.ko 2>&1); then
		load_ok=0; load_msg="insmod nkvm.ko: $out"
	fi
fi
if [ $load_ok = 1 ] && [ -c /dev/kvm ]; then
	mark "UPSTREAM-LOAD ok $(cut -d' ' -f1 /proc/modules | grep -E '^(kvm|kvm_amd|nkvm)$' | tr '\n' ' ')"
else
	[ -c /dev/kvm ] || load_msg="$load_msg no /dev/kvm"
	mark "UPSTREAM-LOAD FAIL$load_msg"
	dmesg | tail -n 20 | sed 's/^/# dmesg: /'
fi

# nx_huge_pages_test.sh does this setup (as root, with sudo and bash, neither of which
# the guest has); the stock kvm module's parameters, 3 more huge pages.
nx_setup() {
	K=/sys/module/kvm/parameters
	HP=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
	if [ -w $K/nx_huge_pages ]; then
		echo 1 >$K/nx_huge_pages
		echo 1 >$K/nx_huge_pages_recovery_ratio
		echo 100 >$K/nx_huge_pages_recovery_period_ms
	fi
	[ -w $HP ] && echo $(($(cat $HP) + 3)) >$HP
}

i=0
while read -r name args; do
	case "$name" in ''|'#'*) continue ;; esac
	i=$((i + 1))
	[ $i -lt "$FROM" ] && continue
	if [ ! -x $U/bin/$name ]; then
		mark "UPSTREAM $name FAIL rc=127 idx=$i time=0s (no binary)"
		continue
	fi
	[ "$name" = nx_huge_pages_test ] && nx_setup
	before=$(trouble_count)
	mark "UPSTREAM-BEGIN $i $name"
	t0=$(date +%s)
	rm -f /tmp/upstream.pgid
	# $0 of the inner shell is the timeout, "$@" the test and its arguments
	# shellcheck disable=SC2016,SC2086
	setsid sh -c 'echo $$ >/tmp/upstream.pgid; exec timeout -s KILL "$0" "$@"' \
		"$TMO" $U/bin/$name $args </dev/null 2>&1
	rc=$?
	el=$(($(date +%s) - t0))
	pg=$(cat /tmp/upstream.pgid 2>/dev/null)
	[ -n "$pg" ] && kill -s KILL -"$pg" 2>/dev/null
	case $rc in
	0) res=PASS ;;
	4) res=SKIP ;;
	137) if [ $el -ge "$TMO" ]; then res=TIMEOUT; else res=FAIL; fi ;;
	*) res=FAIL ;;
	esac
	after=$(trouble_count)
	extra=
	if [ "$after" -gt "$before" ]; then
		extra=" kernel=$((after - before))"
		dmesg | grep -E "$TROUBLE" | tail -n $((after - before)) | head -n 5 |
			sed "s/^/# kernel ($name): /"
	fi
	echo
	mark "UPSTREAM $name $res rc=$rc idx=$i time=${el}s$extra"
done <$U/plan

mark "UPSTREAM-END"
echo "NKVM-DMESG-BEGIN"
dmesg
echo "NKVM-DMESG-END"
echo "NKVM-DONE"
