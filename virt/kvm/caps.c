// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_CHECK_EXTENSION: the generic capability table. A capability answers
 * non-zero only when what it promises works; the arch adds its own.
 */
#include <linux/cpumask.h>
#include <linux/minmax.h>
#include <linux/kvm.h>

#include "core.h"

enum nkvm_cap_kind {
	NKVM_CAP_ONE,			/* always 1 */
	NKVM_CAP_NR_VCPUS,
	NKVM_CAP_MAX_VCPUS,
	NKVM_CAP_MAX_VCPU_ID,
	NKVM_CAP_NR_MEMSLOTS,
	NKVM_CAP_ADDRESS_SPACES,
	NKVM_CAP_MEMSLOT_FLAG,		/* 1 iff the arch accepts arg */
	NKVM_CAP_RUNS_GUESTS,		/* 1 iff KVM_RUN enters guests */
	NKVM_CAP_COALESCED_PAGE,	/* the ring's page, 0: none */
	NKVM_CAP_COALESCED,		/* 1 iff there is a ring */
	NKVM_CAP_SYNC_REGS,		/* the arch's sets, if it runs guests */
	NKVM_CAP_DIRTY_MANUAL,		/* its flags, if the arch maps memory */
	NKVM_CAP_VM_ATTR,		/* 1 iff the arch has VM attributes */
};

static const struct {
	long cap;
	enum nkvm_cap_kind kind;
	u32 arg;
} nkvm_caps[] = {
	{ KVM_CAP_USER_MEMORY,			NKVM_CAP_ONE },
	{ KVM_CAP_DESTROY_MEMORY_REGION_WORKS,	NKVM_CAP_ONE },
	{ KVM_CAP_JOIN_MEMORY_REGIONS_WORKS,	NKVM_CAP_ONE },
	{ KVM_CAP_DEVICE_CTRL,			NKVM_CAP_ONE },
	{ KVM_CAP_CHECK_EXTENSION_VM,		NKVM_CAP_ONE },
	{ KVM_CAP_ENABLE_CAP_VM,		NKVM_CAP_ONE },
	{ KVM_CAP_NR_VCPUS,			NKVM_CAP_NR_VCPUS },
	{ KVM_CAP_MAX_VCPUS,			NKVM_CAP_MAX_VCPUS },
	{ KVM_CAP_MAX_VCPU_ID,			NKVM_CAP_MAX_VCPU_ID },
	{ KVM_CAP_NR_MEMSLOTS,			NKVM_CAP_NR_MEMSLOTS },
	{ KVM_CAP_MULTI_ADDRESS_SPACE,		NKVM_CAP_ADDRESS_SPACES },
	{ KVM_CAP_READONLY_MEM,	NKVM_CAP_MEMSLOT_FLAG,	KVM_MEM_READONLY },
	{ KVM_CAP_IMMEDIATE_EXIT,		NKVM_CAP_RUNS_GUESTS },
	{ KVM_CAP_IOEVENTFD,			NKVM_CAP_ONE },
	{ KVM_CAP_IOEVENTFD_ANY_LENGTH,		NKVM_CAP_ONE },
	{ KVM_CAP_COALESCED_MMIO,		NKVM_CAP_COALESCED_PAGE },
	{ KVM_CAP_COALESCED_PIO,		NKVM_CAP_COALESCED },
	{ KVM_CAP_SYNC_REGS,			NKVM_CAP_SYNC_REGS },
	{ KVM_CAP_BINARY_STATS_FD,		NKVM_CAP_ONE },
	{ KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,	NKVM_CAP_DIRTY_MANUAL },
	{ KVM_CAP_VM_ATTRIBUTES,		NKVM_CAP_VM_ATTR },
};

static long nkvm_cap_value(struct nkvm_vm *vm, enum nkvm_cap_kind kind,
			   u32 arg)
{
	const struct nkvm_arch_ops *ops = NKVM_ARCH;

	switch (kind) {
	case NKVM_CAP_ONE:
		return 1;
	case NKVM_CAP_NR_VCPUS:
		return min(num_online_cpus(), ops->max_vcpus);
	case NKVM_CAP_MAX_VCPUS:
		return ops->max_vcpus;
	case NKVM_CAP_MAX_VCPU_ID:
		return ops->max_vcpu_ids;
	case NKVM_CAP_NR_MEMSLOTS:
		return ops->nr_memslots;
	case NKVM_CAP_ADDRESS_SPACES:
		return ops->address_spaces;
	case NKVM_CAP_MEMSLOT_FLAG:
		return !!(ops->memslot_flags & arg);
	case NKVM_CAP_RUNS_GUESTS:
		return nkvm_runs_guests();
	case NKVM_CAP_COALESCED_PAGE:
		return ops->coalesced_mmio_page;
	case NKVM_CAP_COALESCED:
		return !!ops->coalesced_mmio_page;
	case NKVM_CAP_SYNC_REGS:
		return nkvm_runs_guests() ? ops->sync_regs : 0;
	case NKVM_CAP_DIRTY_MANUAL:
		return ops->mmu_write_protect ?
		       KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
		       KVM_DIRTY_LOG_INITIALLY_SET : 0;
	case NKVM_CAP_VM_ATTR:
		return !!ops->vm_attr;
	}
	return 0;
}

long nkvm_check_extension(struct nkvm_vm *vm, long cap)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nkvm_caps); i++)
		if (nkvm_caps[i].cap == cap)
			return nkvm_cap_value(vm, nkvm_caps[i].kind,
					      nkvm_caps[i].arg);

	return NKVM_ARCH->check_extension ?
	       NKVM_ARCH->check_extension(vm, cap) : 0;
}

#ifdef NKVM_KUNIT
#include "tests/caps_kunit.c"
#endif
