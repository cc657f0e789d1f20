/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 instruction emulator, vendor-neutral: for now only the MOV forms
 * a guest uses to reach MMIO (a GPA outside every memslot). The vendor
 * hands over the faulting GPA and the special registers; the instruction
 * is fetched from guest memory through the guest's own page tables.
 */
#ifndef _NKVM_X86_EMULATE_H
#define _NKVM_X86_EMULATE_H

#include <linux/types.h>

struct kvm_sregs;
struct nkvm_vm;
struct nkvm_x86_vcpu;

/* An MMIO read that the next KVM_RUN completes with run->mmio.data. */
struct nkvm_x86_mmio {
	bool pending;
	bool sign;			/* sign-extend, else zero-extend */
	bool high8;			/* destination is AH, CH, DH or BH */
	u8 reg;				/* destination GPR, by its encoding */
	u8 len;				/* bytes read */
	u8 dst_size;			/* destination operand bytes */
	u64 rip;			/* the instruction */
	u64 next_rip;			/* the one after it */
};

/*
 * Emulate the instruction at CS:RIP, which faulted on gpa (outside every
 * memslot): fills kvm_run with KVM_EXIT_MMIO (a write is complete and RIP
 * moved on; a read waits for nkvm_x86_complete_mmio()) or with
 * KVM_EXIT_INTERNAL_ERROR when the instruction is not one we know.
 * Returns 0 (an exit for userspace) or -errno. Called with vcpu->mutex
 * held, from the vCPU thread (whose mm is the VM's).
 */
int nkvm_x86_emulate_mmio(struct nkvm_x86_vcpu *xv,
			  const struct kvm_sregs *sregs, u64 gpa);

/*
 * Finish a pending MMIO read: the destination register gets the data and
 * RIP moves on. Returns true when the instruction completed (the vendor
 * then drops any interrupt shadow), false when userspace moved RIP
 * meanwhile and the instruction was abandoned.
 */
bool nkvm_x86_complete_mmio(struct nkvm_x86_vcpu *xv);

/*
 * Linear address la to guest physical through the guest's paging as the
 * special registers describe it (none: la itself). Only present bits are
 * checked. 0, or -EFAULT when a level is not present or unreadable.
 */
int nkvm_x86_gva_to_gpa(struct nkvm_vm *vm, const struct kvm_sregs *sregs,
			u64 la, u64 *gpa);

#endif /* _NKVM_X86_EMULATE_H */
