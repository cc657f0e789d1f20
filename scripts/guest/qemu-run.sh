#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# nkvm: in-guest runner of make check-qemu and make demo (busybox sh), installed as
# /payload/run.sh. It loads one implementation (KVM_IMPL=stock: /payload/stock/* in
# load-order; ours: /payload/nkvm.ko; never both in one boot), then makes the host's
# root filesystem the VMM's world: the stock virtio-pci and 9p modules
# (/payload/mods/load-order), the host's / read-only (9p tag "root") on /host, a
# tmpfs on its /tmp, the run's work dir read-write (9p tag "work") on its /tmp/w,
# this guest's /dev, /proc, /sys bound in, and runs /tmp/w/qemu-rows.sh there with
# the host's bash: Debian's qemu-system-x86_64, strace and python3 as installed on
# the host, nothing copied. Documentation/qemu.md says why.
# Markers: QEMU-START, QEMU-LOAD ok|FAIL <detail>, QEMU-SETUP FAIL <detail>, the
# rows' own (QEMU-ROW...), then the kernel log between NKVM-DMESG-BEGIN/-END and
# NKVM-DONE.

P=/payload
[ -r $P/env ] && . $P/env
KVM_IMPL=${KVM_IMPL:-ours}
export KVM_IMPL

# Warnings and worse reach the console as they happen: if this guest dies, the
# host still sees why.
echo 4 >/proc/sys/kernel/printk
echo "QEMU-START impl=$KVM_IMPL kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)"

finish() {
	echo "NKVM-DMESG-BEGIN"
	dmesg
	echo "NKVM-DMESG-END"
	echo "NKVM-DONE"
	exit 0
}

# load_list DIR: insmod DIR's modules in DIR/load-order; prints what failed.
load_list() {
	for m in $(cat "$1/load-order" 2>/dev/null); do
		n=$(basename "$m" .ko | tr - _)
		grep -q "^$n " /proc/modules && continue
		out=$(insmod "$1/$m" 2>&1) || echo "insmod $m: $out;"
	done
}

if [ "$KVM_IMPL" = stock ]; then
	msg=$(load_list $P/stock)
else
	msg=$(insmod $P/nkvm.ko 2>&1) && msg= || msg="insmod nkvm.ko: $msg"
fi
[ -c /dev/kvm ] || msg="$msg no /dev/kvm"
if [ -z "$msg" ]; then
	echo "QEMU-LOAD ok $(cut -d' ' -f1 /proc/modules | grep -E '^(kvm|kvm_amd|nkvm)$' | tr '\n' ' ')"
else
	echo "QEMU-LOAD FAIL $msg"
	dmesg | tail -n 20 | sed 's/^/# dmesg: /'
	finish
fi

H=/host
msg=$(load_list $P/mods)
if [ -z "$msg" ]; then
	mkdir -p $H
	mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose root $H 2>&1 ||
		msg="mount root"
fi
if [ -z "$msg" ]; then
	mount -t tmpfs -o mode=1777 tmpfs $H/tmp && mkdir -p $H/tmp/w &&
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 work $H/tmp/w &&
	mount -o rbind /dev $H/dev &&
	mount -t proc proc $H/proc &&
	mount -t sysfs sysfs $H/sys &&
	mount -t tmpfs tmpfs $H/run || msg="mounts"
fi
if [ -n "$msg" ] || [ ! -f $H/tmp/w/qemu-rows.sh ]; then
	echo "QEMU-SETUP FAIL $msg (no $H/tmp/w/qemu-rows.sh?)"
	finish
fi

# loopback: migration over 127.0.0.1, and QEMU's user network needs it
ip link set lo up
NKVM_ROWS=
# shellcheck disable=SC2013 # words, not lines
for a in $(cat /proc/cmdline); do
	case "$a" in nkvm_qemu_rows=*) NKVM_ROWS=$(echo "${a#nkvm_qemu_rows=}" | tr , ' ') ;; esac
done
export NKVM_ROWS
LC_ALL=C HOME=/tmp PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	chroot $H /bin/bash /tmp/w/qemu-rows.sh
echo "QEMU-ROWS-EXIT rc=$?"
finish
