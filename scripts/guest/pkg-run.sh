#!/bin/sh
# nkvm: the package test in the guest (scripts/pkg-test.sh), /payload/run.sh.
# The host's root comes read-only over virtio-9p ("root"), the guest kernel's
# modules over a second share ("kmods"). An overlay with a tmpfs on top makes
# of them a writable Debian root whose /lib/modules/<release> is the guest
# kernel's: there dpkg installs nkvm-dkms, DKMS builds nkvm against the host's
# linux-headers of the same release, and the package is used and purged.
# Output: one TAP section "package", then the kernel log and NKVM-DONE.
P=/payload
[ -r $P/env ] && . $P/env
R=/newroot
N=0
FAIL=0

check() { # check <0|1> <text>
	N=$((N + 1))
	if [ "$1" = 1 ]; then echo "ok $N - $2" >>/tmp/pkg.tap
	else echo "not ok $N - $2" >>/tmp/pkg.tap; FAIL=$((FAIL + 1)); fi
}
b() { [ $? = 0 ] && echo 1 || echo 0; }
note() { echo "# $*"; }
# in the Debian root; its output as TAP comments
in_root() { chroot $R /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
loaded() { grep -q "^$1 " /proc/modules; }
finish() {
	echo "1..$N"
	cat /tmp/pkg.tap
	[ $FAIL = 0 ] && rc=0 || rc=1
	echo "# END package rc=$rc"
	echo "NKVM-DMESG-BEGIN"
	dmesg
	echo "NKVM-DMESG-END"
	echo "NKVM-DONE"
	exit 0
}

: >/tmp/pkg.tap
echo "# BEGIN package"
for m in $(cat $P/mods/load-order); do
	insmod $P/mods/$m || note "insmod $m failed"
done
mkdir -p /mnt/host /mnt/kmods /mnt/rw $R
mount -t 9p -o trans=virtio,version=9p2000.L,ro root /mnt/host &&
	mount -t 9p -o trans=virtio,version=9p2000.L,ro kmods /mnt/kmods &&
	mount -t tmpfs -o size=600m tmpfs /mnt/rw &&
	mkdir -p /mnt/rw/upper /mnt/rw/work &&
	mount -t overlay overlay -o lowerdir=/mnt/host,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work $R
check $(b) "a writable Debian root: the host's over 9p under an overlay"
[ $N = $FAIL ] && finish

K=/lib/modules/$NKVM_KREL
mkdir -p $R$K/kernel
mount --bind /mnt/kmods/kernel $R$K/kernel
cp /mnt/kmods/modules.* $R$K/
for d in proc sys dev; do mount --rbind /$d $R/$d; done
mount -t tmpfs tmpfs $R/run
mount -t tmpfs tmpfs $R/tmp
in_root test -e $K/build/Makefile
check $(b) "the root has the guest kernel's modules and headers ($K/build)"

# udev applies the package's rule to /dev/kvm when nkvm makes it
in_root /lib/systemd/systemd-udevd --daemon >/tmp/udevd.log 2>&1
check $(b) "systemd-udevd runs in the root"

cp $P/nkvm-dkms.deb $R/tmp/
t0=$(date +%s)
in_root dpkg -i /tmp/nkvm-dkms.deb >/tmp/dpkg-i.log 2>&1
rc=$?
sed 's/^/# dpkg -i: /' /tmp/dpkg-i.log | grep -v '^# dpkg -i: *$' | tail -n 25
check $([ $rc = 0 ] && echo 1 || echo 0) "dpkg -i nkvm-dkms.deb ($(($(date +%s) - t0)) s, DKMS built nkvm against $K/build)"
in_root dkms status nkvm | sed 's/^/# /'
in_root dkms status nkvm | grep -q "$NKVM_KREL.*installed"
check $(b) "dkms status: nkvm installed for $NKVM_KREL"
loaded nkvm
check $(b) "the postinst loaded nkvm"
in_root modinfo nkvm | grep -E '^(filename|version|description|author|license|parm):' | sed 's/^/# modinfo: /'
in_root modinfo -F version nkvm | grep -q . && in_root modinfo -F filename nkvm | grep -q updates/dkms
check $(b) "modinfo nkvm: the DKMS build in updates/dkms, with a version"
in_root udevadm settle -t 10
st=$(in_root stat -c '%a %G' /dev/kvm 2>&1)
note "/dev/kvm: $st"
[ "$st" = "660 kvm" ]
check $(b) "/dev/kvm is mode 0660, group kvm"
# Debian's 50-udev-default.rules says the same: the package's rule must be
# among those udev applies (it comes later and would win).
in_root udevadm test /devices/virtual/misc/kvm >/tmp/udevtest.log 2>&1
grep -E '60-nkvm.rules' /tmp/udevtest.log | sed 's/^/# udevadm test: /'
grep -q '60-nkvm.rules' /tmp/udevtest.log
check $(b) "udevadm test: the package's 60-nkvm.rules applies to /dev/kvm"

# modules-load.d: what systemd-modules-load does at boot
rmmod nkvm
in_root /lib/systemd/systemd-modules-load >/tmp/ml.log 2>&1
sed 's/^/# systemd-modules-load: /' /tmp/ml.log
loaded nkvm
check $(b) "systemd-modules-load loads nkvm (modules-load.d/nkvm.conf)"

# The stock KVM is kept away, by modprobe.d (and, for insmod, by nkvm itself)
in_root modprobe -n -v kvm_amd 2>&1 | sed 's/^/# modprobe -n -v kvm_amd: /'
mark=$(dmesg | wc -l)
out=$(in_root modprobe kvm_amd 2>&1)
rc=$?
note "modprobe kvm_amd: rc=$rc $out"
[ $rc != 0 ] && ! loaded kvm_amd && ! loaded kvm && loaded nkvm
check $(b) "modprobe kvm_amd is refused while nkvm is installed, nkvm stays loaded"
in_root modprobe kvm >/dev/null 2>&1
[ $? != 0 ] && ! loaded kvm
check $(b) "modprobe kvm is refused too"
dmesg | tail -n +$((mark + 1)) | sed 's/^/# dmesg: /'
! dmesg | tail -n +$((mark + 1)) | grep -qE 'BUG|WARNING|Oops|Call Trace'
check $(b) "no kernel report"

# Purge: nothing left, and the stock KVM loads again
in_root dpkg --purge nkvm-dkms >/tmp/dpkg-p.log 2>&1
rc=$?
sed 's/^/# dpkg --purge: /' /tmp/dpkg-p.log | tail -n 15
check $([ $rc = 0 ] && echo 1 || echo 0) "dpkg --purge nkvm-dkms"
! loaded nkvm
check $(b) "the prerm unloaded nkvm"
left=$(cd /mnt/rw/upper && find . -name '*nkvm*' | grep -v '^./tmp/' | head -n 5)
note "left behind: ${left:-nothing}"
[ -z "$left" ] && [ ! -e $R/var/lib/dkms/nkvm ] && [ ! -e $R/lib/modprobe.d/nkvm.conf ]
check $(b) "the purge leaves no nkvm file behind (dkms tree, module, configuration)"
out=$(in_root modprobe kvm_amd 2>&1)
rc=$?
note "modprobe kvm_amd: rc=$rc $out"
[ $rc = 0 ] && loaded kvm_amd && [ -c /dev/kvm ]
check $(b) "after the purge, modprobe kvm_amd loads the stock KVM again"
in_root modprobe -r kvm_amd kvm
check $(b) "modprobe -r kvm_amd kvm"
finish
