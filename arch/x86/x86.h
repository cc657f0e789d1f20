/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 layer shared by the SVM and VMX backends, and the small vendor
 * table through which it calls them. The vendor is chosen at module load:
 * the first whose probe succeeds.
 *
 * Division of labour: the x86 layer owns the ioctls, their validation and
 * the vendor-neutral register state (struct kvm_regs in nkvm_x86_vcpu.regs).
 * A vendor owns the hardware: enabling it per CPU, its control block
 * (VMCB/VMCS) holding segment and control-register state, the world switch
 * and the decoding of hardware exits into kvm_run.
 */
#ifndef _NKVM_X86_H
#define _NKVM_X86_H

#include <nkvm/nkvm.h>

struct nkvm_x86_vcpu;

struct nkvm_x86_vendor {
	const char *name;
	/* 0: usable; -ENODEV: absent or disabled; -EBUSY: owned by another. */
	int (*probe)(void);
	/* Enable the hardware on every CPU (and on CPUs coming online). */
	int (*hardware_setup)(void);
	void (*hardware_unsetup)(void);

	/* Allocate the control block and set the architectural reset state. */
	int (*vcpu_create)(struct nkvm_x86_vcpu *xv);
	void (*vcpu_destroy)(struct nkvm_x86_vcpu *xv);

	/* Segment, descriptor-table, control-register and EFER state. */
	void (*get_sregs)(struct nkvm_x86_vcpu *xv, struct kvm_sregs *sregs);
	/* Called only with state the x86 layer has validated. */
	void (*set_sregs)(struct nkvm_x86_vcpu *xv, const struct kvm_sregs *sregs);

	/*
	 * Finish an exit userspace has handled (e.g. store the data of an
	 * IN into RAX and step over the instruction), before anything else
	 * in KVM_RUN: even an immediate_exit run completes it. Returns 0
	 * or -errno. Optional.
	 */
	int (*complete_exit)(struct nkvm_x86_vcpu *xv);
	/*
	 * Enter the guest once, with xv->regs as its GPRs/RIP/RFLAGS, and
	 * handle the exit. Returns 1 to enter again, 0 when kvm_run holds an
	 * exit for userspace, a negative errno on failure. Called with
	 * vcpu->mutex held and preemption enabled; the core's KVM_RUN loop
	 * (virt/kvm/run.c) handles signals and rescheduling between calls.
	 */
	int (*run)(struct nkvm_x86_vcpu *xv);
};

extern const struct nkvm_x86_vendor nkvm_svm_vendor;
extern const struct nkvm_x86_vendor nkvm_vmx_vendor;

struct nkvm_x86_vm {
	struct nkvm_vm vm;		/* must be first */
};

struct nkvm_x86_vcpu {
	struct nkvm_vcpu vcpu;		/* must be first */
	struct kvm_regs regs;		/* [m] GPRs, RIP, RFLAGS */
	s64 tsc_offset;			/* [m] guest TSC - host TSC */
	struct kvm_cpuid_entry2 *cpuid;	/* [m] KVM_SET_CPUID2 table */
	u32 cpuid_nent;			/* [m] entries in cpuid */
	void *vendor;			/* (c) the vendor's per-vCPU state */
};

static inline struct nkvm_x86_vcpu *to_x86_vcpu(struct nkvm_vcpu *vcpu)
{
	return container_of(vcpu, struct nkvm_x86_vcpu, vcpu);
}

/* cpuid.c */
long nkvm_x86_get_supported_cpuid(struct kvm_cpuid2 __user *uc);
long nkvm_x86_set_cpuid2(struct nkvm_x86_vcpu *xv, struct kvm_cpuid2 __user *uc);
long nkvm_x86_get_cpuid2(struct nkvm_x86_vcpu *xv, struct kvm_cpuid2 __user *uc);
void nkvm_x86_cpuid_free(struct nkvm_x86_vcpu *xv);
/* For vendors: answer the guest's CPUID from the table (RAX..RDX). */
void nkvm_x86_emulate_cpuid(struct nkvm_x86_vcpu *xv);

#endif /* _NKVM_X86_H */
