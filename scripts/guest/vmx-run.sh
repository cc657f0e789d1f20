#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# nkvm: in-guest runner of the Intel VMX boot (busybox sh, Bochs; installed as
# /payload/run.sh by scripts/payload.sh ... vmx). A Bochs boot costs ~150 s before
# /init, so one boot tests every implementation of $NKVM_IMPLS (/payload/env; "ours
# stock" by default), one after the other: for each it prints "NKVM-PART <impl>", runs
# /payload/run_tests.sh with KVM_IMPL=<impl> (which loads and unloads it), then the
# kernel log since the previous part between NKVM-DMESG-BEGIN/-END and NKVM-DONE.
# The host (scripts/check.sh) splits the console log at the NKVM-PART lines and
# counts each part on its own. A part that hangs or kills the guest leaves the
# earlier parts' results complete. nkvm goes first: it bounds every stay in the
# guest (the VMX-preemption timer), the stock kvm-intel does not, and Bochs misses
# some of the external-interrupt exits that would end one.

P=/payload
# The tests skip what Bochs itself gets wrong (lib/guest.c guest_on_bochs()).
export NKVM_EMULATOR=bochs
[ -r $P/env ] && . $P/env
IMPLS=${NKVM_IMPLS:-ours stock}

for impl in $IMPLS; do
	echo "NKVM-PART $impl"
	echo "# part $impl: $(cat /proc/uptime | cut -d' ' -f1) s of guest time"
	KVM_IMPL=$impl KVM_MODULE= NKVM_NO_FINISH=1 sh $P/run_tests.sh
	echo "NKVM-DMESG-BEGIN"
	dmesg -c
	echo "NKVM-DMESG-END"
	echo "NKVM-DONE"
done
# Bochs' COM1 drains slowly: the init powers off as soon as this returns, and
# the last part's kernel log was cut there. Give the console time to empty.
sleep 5
exit 0
