/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AMD SVM backend: state shared by svm.c (hardware, VMCB, exits),
 * svm_npt.c (nested page tables) and svm_vmrun.S (the world switch).
 */
#ifndef _NKVM_SVM_H
#define _NKVM_SVM_H

/* Ours first: asm/svm.h would otherwise pull the host's uapi/asm/kvm.h. */
#include "tdp.h"
#include "x86.h"

#include <asm/fpu/api.h>
#include <asm/svm.h>

/*
 * Guest GPRs that the world switch loads and stores, indexed by their
 * instruction encoding. RAX and RSP live in the VMCB; their slots are
 * unused. The offsets are shared with svm_vmrun.S.
 */
enum svm_gpr {
	SVM_RAX, SVM_RCX, SVM_RDX, SVM_RBX, SVM_RSP, SVM_RBP, SVM_RSI, SVM_RDI,
	SVM_R8, SVM_R9, SVM_R10, SVM_R11, SVM_R12, SVM_R13, SVM_R14, SVM_R15,
	SVM_NR_GPRS,
};

/* The nested page table of a VM (svm_npt.c); vm->mmu_lock protects it. */
struct svm_npt {
	u64 *root;			/* top-level table, a zeroed page */
	int levels;			/* (c) 4 or 5, as the host's paging */
	struct nkvm_x86_vm_stat *stat;	/* (c) the VM's; pages_* are [k] */
};

/* Per-VM state. */
struct svm_vm {
	struct svm_npt npt;		/* [k] */
};

struct svm_vcpu {
	struct vmcb *vmcb;		/* (c) one page */
	u64 vmcb_pa;			/* (c) as VMRUN wants it */
	unsigned long gprs[SVM_NR_GPRS]; /* [m] see enum svm_gpr */
	u64 apic_base;			/* [m] MSR_IA32_APICBASE as set by userspace */
	/*
	 * [m] EFER as the guest sees it, without SVME. The VMCB's copy has
	 * SVME, and LME only while LMA (svm_set_efer()).
	 */
	u64 efer;

	/* [m] A port I/O exit that the next run completes. */
	struct nkvm_x86_pio pio;
	/* [m] An INS whose data the next run stores. */
	struct nkvm_x86_strio strio;

	/* [m] Which event slot (enum nkvm_x86_slot) the last entry injected. */
	u8 injected;
	/* [m] The guest's IRET from its NMI handler exited at iret_rip. */
	bool awaiting_iret;
	u64 iret_rip;

	u64 npt_root_pa;		/* (c) the VM's nested page table */
	struct nkvm_x86_tdp_cache npt_cache;	/* [m] */
	u64 npf_spurious_gpa;		/* [m] last fault that found a mapping */
};

/* svm_vmrun.S: enter the guest once; returns after the #VMEXIT. */
void __svm_vmrun(u64 vmcb_pa, u64 host_vmcb_pa, unsigned long *gprs);

/* svm_npt.c */
int svm_npt_init(struct svm_npt *npt, struct nkvm_x86_vm_stat *stat);
void svm_npt_destroy(struct svm_npt *npt);
u64 svm_npt_root_pa(struct svm_npt *npt);
int svm_npt_fault(struct svm_npt *npt, struct nkvm_x86_tdp_cache *cache,
		  struct nkvm_vm *vm, u64 gpa, u64 error_code);
bool svm_npt_unmap(struct svm_npt *npt, nkvm_gfn_t start, nkvm_gfn_t end);
bool svm_npt_write_protect(struct svm_npt *npt, nkvm_gfn_t start,
			   nkvm_gfn_t end);

#endif /* _NKVM_SVM_H */
