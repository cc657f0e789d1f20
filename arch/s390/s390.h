/* SPDX-License-Identifier: GPL-2.0 */
/*
 * s390 layer: the per-VM state and what the files of arch/s390 share.
 * Legends as in include/nkvm/nkvm.h.
 */
#ifndef _NKVM_S390_H
#define _NKVM_S390_H

#include <linux/kernel.h>
#include <linux/kvm.h>

#include <nkvm/nkvm.h>

/* Doublewords of a facility list the kernel keeps (stfle_fac_list). */
#define S390_FAC_WORDS		16
/* Doublewords of a facility list in the attribute structures. */
#define S390_FAC_UAPI_WORDS	256

/*
 * The guest CPU model (KVM_S390_VM_CPU_MODEL / KVM_S390_VM_CPU_PROCESSOR):
 * what the VM's vCPUs are to look like. Set at VM creation from the host
 * (vm_attr.c: s390_model_init()), replaced only while the VM has no vCPU.
 * The facility list is kept whole, as userspace gave it; only its first
 * S390_FAC_WORDS doublewords can ever be in the facility mask.
 */
struct nkvm_s390_model {
	u64 cpuid;
	u16 ibc;
	u64 fac_list[S390_FAC_UAPI_WORDS];
};

struct nkvm_s390_vm {
	struct nkvm_vm vm;		/* must be first */

	/* vm_attr.c, KVM_S390_VM_CPU_MODEL. */
	struct nkvm_s390_model model;	/* [l] */

	/*
	 * vm_attr.c, KVM_S390_VM_MEM_CTRL. max_mem_limit is the largest
	 * guest memory the machine allows (guest addresses below it);
	 * mem_limit the size chosen with KVM_S390_VM_MEM_LIMIT_SIZE, rounded
	 * up to what the number of guest page-table levels covers. Memory
	 * slots must end at or below mem_limit (s390.c).
	 */
	u64 max_mem_limit;		/* (c) */
	u64 mem_limit;			/* written under lock and slots_lock */
	bool use_cmma;			/* [l] KVM_S390_VM_MEM_ENABLE_CMMA */

	/*
	 * vm_attr.c, KVM_S390_VM_TOD: the guest's TOD clock (epoch index in
	 * bits 71-64, bits 0-63 of the clock below them) minus the host's
	 * TOD clock since boot (the host's clock minus tod_clock_base, which
	 * the kernel moves along when it steers the clock), modulo 2^72.
	 * Read and written under lock, with preemption off around the
	 * clock reads so that a clock-sync (stop_machine) sees neither half.
	 */
	__uint128_t tod_offset;		/* [l] */
};

static inline struct nkvm_s390_vm *to_s390_vm(struct nkvm_vm *vm)
{
	return container_of(vm, struct nkvm_s390_vm, vm);
}

/* vm_attr.c */
void s390_vm_attr_init(struct nkvm_s390_vm *svm);
int s390_vm_attr(struct nkvm_vm *vm, unsigned int ioctl,
		 struct kvm_device_attr *attr);

#endif /* _NKVM_S390_H */
