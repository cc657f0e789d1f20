// SPDX-License-Identifier: GPL-2.0
/*
 * Retired ioctls: the PCI device assignment family (seed 004, removed from
 * KVM in 4.12 in favour of VFIO) and the memory-region ioctls that predate
 * KVM_SET_USER_MEMORY_REGION must answer ENOTTY on the VM fd, like any
 * ioctl the kernel does not support. The distro 6.1 header still defines all
 * of them except for KVM_SET_MEMORY_ALIAS, whose struct kvm_memory_alias is
 * only in x86's asm/kvm.h (it was removed in 2.6.35): its number is defined
 * locally from the old ABI (slot, flags, guest_phys_addr, memory_size,
 * target_phys_addr: 32 bytes).
 *
 * KVM_TRACE_{ENABLE,PAUSE,DISABLE} on /dev/kvm: stock 6.1 kvm_dev_ioctl()
 * keeps an explicit EOPNOTSUPP for them; ours matches.
 */
#include <stdio.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "test.h"

#if defined(__aarch64__)
#define STOCK_ARM64	(!kvm_is_ours())
#else
#define STOCK_ARM64	false
#endif

#define R(x) { x, #x }

struct old_kvm_memory_alias {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 target_phys_addr;
};

#undef KVM_SET_MEMORY_ALIAS
#define KVM_SET_MEMORY_ALIAS _IOW(KVMIO, 0x43, struct old_kvm_memory_alias)

static const struct {
	unsigned long nr;
	const char *name;
} vm_retired[] = {
	R(KVM_ASSIGN_PCI_DEVICE),
	R(KVM_DEASSIGN_PCI_DEVICE),
	R(KVM_ASSIGN_DEV_IRQ),
	R(KVM_DEASSIGN_DEV_IRQ),
	R(KVM_ASSIGN_SET_MSIX_NR),
	R(KVM_ASSIGN_SET_MSIX_ENTRY),
	R(KVM_ASSIGN_SET_INTX_MASK),
	R(KVM_ASSIGN_IRQ),
	R(KVM_SET_MEMORY_ALIAS),
	R(KVM_SET_MEMORY_REGION),
}, sys_retired[] = {
	R(KVM_TRACE_ENABLE),
	R(KVM_TRACE_PAUSE),
	R(KVM_TRACE_DISABLE),
};

int main(void)
{
	unsigned char buf[4096] = { 0 };
	unsigned int i;
	int kvm, vm;

	tap_plan(ARRAY_SIZE(vm_retired) + ARRAY_SIZE(sys_retired));
	kvm = open_kvm();
	vm = create_vm(kvm);

	/* Stock arm64 answers any VM ioctl it does not know with EINVAL. */
	for (i = 0; i < ARRAY_SIZE(vm_retired); i++)
		expect_errno(ioctl(vm, vm_retired[i].nr, buf),
			     STOCK_ARM64 ? EINVAL : ENOTTY, "VM fd %s (%#lx) -> %s",
			     vm_retired[i].name, vm_retired[i].nr,
			     STOCK_ARM64 ? "EINVAL (stock arm64)" : "ENOTTY");
	for (i = 0; i < ARRAY_SIZE(sys_retired); i++)
		expect_errno(ioctl(kvm, sys_retired[i].nr, buf), EOPNOTSUPP,
			     "system fd %s (%#lx) -> EOPNOTSUPP",
			     sys_retired[i].name, sys_retired[i].nr);

	close(vm);
	close(kvm);
	return tap_finish();
}
