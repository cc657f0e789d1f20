// SPDX-License-Identifier: GPL-2.0
/*
 * hold_vm: open /dev/kvm, create a VM and sleep until killed. run_tests.sh
 * uses it to make stock KVM enable hardware virtualization (stock 6.1 turns
 * SVM/VMX on at the first VM creation) while nkvm.ko is loaded.
 * Prints "hold_vm: ready" once the VM exists.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR);
	int vm;

	if (kvm < 0) {
		perror("hold_vm: open /dev/kvm");
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0UL);
	if (vm < 0) {
		perror("hold_vm: KVM_CREATE_VM");
		return 1;
	}
	printf("hold_vm: ready\n");
	fflush(stdout);
	for (;;)
		pause();
	return 0;
}
