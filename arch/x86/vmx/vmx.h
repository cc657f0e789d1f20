/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Intel VMX backend: state shared by vmx.c (hardware, VMCS, state),
 * vmx_run.c (entry and exit), vmx_exits.c (the exit handlers), vmx_ept.c
 * (extended page tables) and vmx_vmenter.S (the world switch).
 *
 * Legend of the field comments: (c) set at creation, then constant; [m]
 * vcpu->mutex (the vCPU's ioctls and KVM_RUN); [p] vcpu->mutex and
 * preemption off while the VMCS is current on this CPU (vmx_vmcs_get());
 * [k] vm->mmu_lock; [i] interrupts off on the CPU named, or under [m] and
 * with that CPU's vmx_clear_remote() IPI answered (see vmx_load()).
 */
#ifndef _NKVM_VMX_H
#define _NKVM_VMX_H

/* Ours first: asm/vmx.h would otherwise pull the host's uapi/asm/kvm.h. */
#include "tdp.h"
#include "x86.h"

#include <asm/asm.h>
#include <asm/msr-index.h>
#include <asm/vmx.h>

/*
 * Guest GPRs that the world switch loads and stores, indexed by their
 * instruction encoding (as the CR and I/O exit qualifications number
 * them). RSP lives in the VMCS; its slot is unused. The offsets are
 * shared with vmx_vmenter.S.
 */
enum vmx_gpr {
	VMX_RAX, VMX_RCX, VMX_RDX, VMX_RBX, VMX_RSP, VMX_RBP, VMX_RSI, VMX_RDI,
	VMX_R8, VMX_R9, VMX_R10, VMX_R11, VMX_R12, VMX_R13, VMX_R14, VMX_R15,
	VMX_NR_GPRS,
};

/*
 * The capabilities found at load (vmx_probe()), the same on every CPU,
 * and the controls every VMCS starts from: each checked against the
 * capability MSRs (vmx_adjust_ctls()).
 */
struct vmx_caps {
	u32 revision;			/* VMCS revision identifier */
	u32 vmcs_size;
	u32 pin;			/* pin-based controls */
	u32 proc;			/* primary processor-based controls */
	u32 proc2;			/* secondary processor-based controls */
	u32 exit;			/* VM-exit controls */
	u32 entry;			/* VM-entry controls (IA-32e mode clear) */
	u32 proc_must;			/* primary controls that must be 1 */
	u32 proc2_opt;			/* RDTSCP, INVPCID: where available */
	u64 ept_vpid;			/* IA32_VMX_EPT_VPID_CAP */
	u64 misc;			/* IA32_VMX_MISC */
	u64 cr0_fixed0, cr0_fixed1;	/* CR0 bits fixed to 1 / allowed 1 */
	u64 cr4_fixed0, cr4_fixed1;
	bool vpid;			/* VPIDs with a usable INVVPID */
	bool ept_2m;			/* 2 MiB EPT leaves */
	u32 preempt_ticks;		/* VMX-preemption timer per entry, 0: none */
	u64 host_pat, host_efer;	/* the same on every CPU */
};

extern struct vmx_caps vmx_caps;

/*
 * The MSRs the CPU swaps itself at entry and exit through the VMCS MSR
 * areas (the others are VMCS fields, or the x86 layer's): the guest's are
 * loaded at entry and stored back at exit (SWAPGS changes KERNEL_GS_BASE
 * without an exit), the host's loaded at exit.
 */
enum vmx_msr_slot {
	VMX_MSR_STAR, VMX_MSR_LSTAR, VMX_MSR_SFMASK, VMX_MSR_KGS_BASE,
	VMX_MSR_TSC_AUX,		/* last: only with RDTSCP */
	VMX_NR_MSRS,
};

/* One page; struct vmx_msr_entry (asm/vmx.h) as the VMCS wants it. */
struct vmx_msr_area {
	struct vmx_msr_entry guest[VMX_NR_MSRS];
	struct vmx_msr_entry host[VMX_NR_MSRS];
};

/* The extended page table of a VM (vmx_ept.c); vm->mmu_lock protects it. */
struct vmx_ept {
	u64 *root;			/* [k] the PML4, a zeroed page */
	u64 eptp;			/* (c) as the VMCS wants it */
	struct nkvm_x86_vm_stat *stat;	/* (c) the VM's; pages_* are [k] */
	/*
	 * Bumped by vmx_mmu_flush() after the table lost mappings: a vCPU
	 * that sees a new value invalidates its CPU's cached translations
	 * (INVEPT) before it enters again.
	 */
	atomic_t gen;
};

/* Per-VM state. */
struct vmx_vm {
	struct vmx_ept ept;
};

/* The event slot (struct nkvm_x86_events) an entry injected. */
enum vmx_inj {
	VMX_INJ_NONE, VMX_INJ_EXC, VMX_INJ_NMI, VMX_INJ_IRQ,
};

/* What the last exit reported, read while the VMCS was current. */
struct vmx_exit_info {
	u32 reason;			/* the full exit reason */
	u64 qual;			/* exit qualification */
	u32 intr_info;			/* VM-exit interruption information */
	u32 intr_error;
	u32 vect_info;			/* IDT-vectoring information */
	u32 vect_error;
	u32 insn_len;
	u64 gpa;			/* EPT violations */
};

struct vmx_vcpu {
	void *vmcs;			/* (c) one page */
	u64 vmcs_pa;			/* (c) */
	/*
	 * The CPU on whose VMCS pointer this VMCS is current, -1 when
	 * clear; launched: VMLAUNCH ran since the last VMCLEAR. Written
	 * with that CPU's interrupts off ([i]), read under [m].
	 */
	int cpu;
	bool launched;
	u16 vpid;			/* (c) 0: none */
	u64 eptp;			/* (c) the VM's EPT pointer */
	struct vmx_msr_area *msrs;	/* (c) one page; values [m] */
	u64 msrs_pa;			/* (c) */
	unsigned long gprs[VMX_NR_GPRS]; /* [m] see enum vmx_gpr */

	/* [m] Guest state kept here; the VMCS has the hardware's view. */
	u64 cr0;			/* as the guest sees it (CR0 read shadow) */
	u64 cr4;			/* as the guest sees it (CR4 read shadow) */
	u64 cr2;			/* loaded around each entry */
	u64 efer;			/* EFER with LMA, as the guest sees it */
	u64 cstar;			/* unused by Intel CPUs; kept as written */
	u64 apic_base;			/* MSR_IA32_APICBASE as set by userspace */
	u8 cr8;				/* TPR without an in-kernel LAPIC */
	u32 intr_state;			/* guest interruptibility state */
	u64 rflags_seen;		/* RFLAGS the VMCS holds */

	/* [p] Controls and host fields as written in the VMCS. */
	u32 proc, proc2, entry, exc_bitmap;
	u64 host_cr0, host_cr3, host_cr4;

	/* [m] A port I/O exit that the next run completes. */
	struct nkvm_x86_pio pio;
	/* [m] An INS whose data the next run stores. */
	struct nkvm_x86_strio strio;

	/* [m] Which event slot (enum vmx_inj) the last entry injected. */
	u8 injected;
	/* [m] CR0/CR3/CR4 changed outside the guest: PDPTEs, a TLB flush. */
	bool load_pdptrs;
	bool flush_tlb;
	/* [m] The last exit. */
	struct vmx_exit_info exit;

	struct nkvm_x86_tdp_cache ept_cache;	/* [m] */
	u64 ept_spurious_gpa;		/* [m] last fault that found a mapping */
	int ept_gen;			/* [m] the VM's gen last flushed for */
};

static inline struct vmx_vm *vmx_vm(struct nkvm_x86_vcpu *xv)
{
	return to_x86_vm(xv->vcpu.vm)->vendor;
}

/*
 * VMCS access. A VMREAD or VMWRITE after VMXOFF (a reboot or a CPU
 * going away meanwhile) faults: the exception table then skips it, the
 * read gives 0. A VMfail (a field this CPU lacks) is reported once.
 */
void vmx_vmwrite_error(unsigned long field, unsigned long value);

static __always_inline unsigned long vmx_vmread(unsigned long field)
{
	unsigned long value = 0;

	asm volatile("1: vmread %[field], %[value]\n"
		     "2:\n"
		     _ASM_EXTABLE(1b, 2b)
		     : [value] "+rm" (value)
		     : [field] "r" (field)
		     : "cc");
	return value;
}

static __always_inline void vmx_vmwrite(unsigned long field,
					unsigned long value)
{
	bool fail = false;

	asm volatile("1: vmwrite %[value], %[field]\n"
		     "   setna %[fail]\n"
		     "2:\n"
		     _ASM_EXTABLE(1b, 2b)
		     : [fail] "+qm" (fail)
		     : [value] "rm" (value), [field] "r" (field)
		     : "cc");
	if (unlikely(fail))
		vmx_vmwrite_error(field, value);
}

/* vmx.c */
int vmx_vmcs_get(struct vmx_vcpu *vv);
void vmx_vmcs_put(void);
u64 vmx_guest_cr0(u64 cr0);
u64 vmx_guest_cr4(u64 cr4);
void vmx_write_cr0(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv, u64 cr0);
void vmx_write_cr4(struct vmx_vcpu *vv, u64 cr4);
void vmx_get_sregs_loaded(struct nkvm_x86_vcpu *xv, struct kvm_sregs *sregs);
unsigned int vmx_cpl(void);
bool vmx_long_mode_code(struct vmx_vcpu *vv);
void vmx_init_vcpu(struct nkvm_x86_vcpu *xv);
void vmx_flush_guest_tlb(struct vmx_vcpu *vv);
bool vmx_cpu_enabled(void);

/* vmx_run.c */
int vmx_run(struct nkvm_x86_vcpu *xv);
int vmx_complete_exit(struct nkvm_x86_vcpu *xv);

/* vmx_exits.c: handle the exit in vv->exit; as run(). */
int vmx_handle_exit(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv);
void vmx_skip_insn(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv);
void vmx_clear_shadow(struct vmx_vcpu *vv);
void vmx_inject_exception(struct nkvm_x86_vcpu *xv, unsigned int vector,
			  bool has_error, u32 error);

/* vmx_vmenter.S: enter the guest once; 0 after a VM exit, 1 on VMfail. */
int __vmx_vcpu_run(unsigned long *gprs, bool launched);
extern const char vmx_vmexit[];

/* vmx_ept.c */
int vmx_ept_init(struct vmx_ept *ept, struct nkvm_x86_vm_stat *stat);
void vmx_ept_destroy(struct vmx_ept *ept);
int vmx_ept_fault(struct vmx_ept *ept, struct nkvm_x86_tdp_cache *cache,
		  struct nkvm_vm *vm, u64 gpa, u64 qual);
bool vmx_ept_unmap(struct vmx_ept *ept, nkvm_gfn_t start, nkvm_gfn_t end);
bool vmx_ept_write_protect(struct vmx_ept *ept, nkvm_gfn_t start,
			   nkvm_gfn_t end);
void vmx_invept(u64 eptp);

#endif /* _NKVM_VMX_H */
