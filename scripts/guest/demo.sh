#!/bin/sh
# nkvm demo, run inside the guest as /payload/run.sh by scripts/demo.sh.
P=/payload
echo "NKVM-DEMO-BEGIN"
echo "guest: $(uname -srm), $(grep -c ^processor /proc/cpuinfo) vCPUs," \
	"$(grep -qw svm /proc/cpuinfo && echo 'AMD SVM' || echo 'no SVM') available"
echo
echo "\$ insmod nkvm.ko"
if insmod $P/nkvm.ko; then
	echo "(loaded)"
else
	echo "(insmod failed)"
fi
echo
echo "\$ ls -l /dev/kvm"
ls -l /dev/kvm 2>&1
echo
echo "\$ kvm_info"
if [ -x $P/bin/kvm_info ]; then
	$P/bin/kvm_info
	echo "(kvm_info exit status $?)"
else
	echo "(kvm_info is not built yet; the payload holds: $(ls $P/bin | tr '\n' ' '))"
fi
echo
echo "\$ dmesg | grep nkvm"
dmesg | grep -i nkvm
echo
echo "\$ rmmod nkvm"
rmmod nkvm && echo "(unloaded)"
echo "NKVM-DEMO-END"
echo "NKVM-DONE"
