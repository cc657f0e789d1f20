// SPDX-License-Identifier: GPL-2.0
/*
 * s390 layer. Guests run under SIE; for now: detection, machine types,
 * limits, the rules for memory slots and the VM attributes (vm_attr.c).
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/kernel.h>
#include <linux/sizes.h>
#include <asm/sclp.h>

#include <nkvm/arch_ops.h>

#include "s390.h"

/* The basic system control area has 64 entries (the extended one comes
 * with the SIE backend).
 */
#define S390_MAX_VCPUS		64
#define S390_USER_MEMSLOTS	32
#define S390_SEGMENT_MASK	(SZ_1M - 1)

static int s390_hardware_probe(void)
{
	if (!sclp.has_sief2) {
		pr_err("no hardware virtualization: SIE is not available (no SIEF2 facility)\n");
		return -ENODEV;
	}
	return 0;
}

static int s390_vm_init(struct nkvm_vm *vm, unsigned long type)
{
	/* KVM_VM_S390_UCONTROL (user-controlled VMs) is not supported. */
	if (type)
		return -EINVAL;
	s390_vm_attr_init(to_s390_vm(vm));
	return 0;
}

/*
 * Guest memory is mapped by segments: 1 MiB aligned address and size, and
 * below the VM's memory limit (KVM_S390_VM_MEM_LIMIT_SIZE). slots_lock is
 * held.
 */
static int s390_prepare_memslot(struct nkvm_vm *vm, enum nkvm_mr_change change,
				const struct nkvm_memslot *old,
				const struct nkvm_memslot *new)
{
	u64 size;

	lockdep_assert_held(&vm->slots_lock);
	if (change != NKVM_MR_CREATE && change != NKVM_MR_MOVE)
		return 0;
	size = new->npages << PAGE_SHIFT;
	if ((new->userspace_addr & S390_SEGMENT_MASK) ||
	    (size & S390_SEGMENT_MASK))
		return -EINVAL;
	if ((new->base_gfn << PAGE_SHIFT) + size > to_s390_vm(vm)->mem_limit)
		return -EINVAL;
	return 0;
}

const struct nkvm_arch_ops nkvm_arch_ops = {
	.name			= "s390",
	.max_vcpus		= S390_MAX_VCPUS,
	.max_vcpu_ids		= S390_MAX_VCPUS,
	.nr_memslots		= S390_USER_MEMSLOTS,
	.address_spaces		= 1,
	.memslot_flags		= KVM_MEM_LOG_DIRTY_PAGES,
	.vcpu_mmap_pages	= 1,
	.vm_size		= sizeof(struct nkvm_s390_vm),
	.vcpu_size		= sizeof(struct nkvm_vcpu),
	.hardware_probe		= s390_hardware_probe,
	.vm_init		= s390_vm_init,
	.vm_attr		= s390_vm_attr,
	.prepare_memslot	= s390_prepare_memslot,
};
