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
#include <asm/fpu/types.h>
#include <asm/msr-index.h>

#include "emulate.h"
#include "mce.h"

struct nkvm_x86_vcpu;

struct nkvm_x86_vm;

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
	 * The vendor's own rules for KVM_SET_SREGS, after the x86 layer's:
	 * false for state its hardware would refuse to enter (EINVAL).
	 * Optional.
	 */
	bool (*sregs_valid)(struct nkvm_x86_vcpu *xv,
			    const struct kvm_sregs *sregs);

	/* Per-VM state (the nested page table). Optional. */
	int (*vm_init)(struct nkvm_x86_vm *xvm);
	void (*vm_destroy)(struct nkvm_x86_vm *xvm);
	/*
	 * The guest page tables, as nkvm_arch_ops.mmu_unmap,
	 * mmu_write_protect (under vm->mmu_lock) and mmu_flush. Optional.
	 */
	bool (*mmu_unmap)(struct nkvm_x86_vm *xvm, nkvm_gfn_t start,
			  nkvm_gfn_t end);
	bool (*mmu_write_protect)(struct nkvm_x86_vm *xvm, nkvm_gfn_t start,
				  nkvm_gfn_t end);
	void (*mmu_flush)(struct nkvm_x86_vm *xvm);
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

	/*
	 * MSRs kept in the control block (msr.c lists them). The x86 layer
	 * has validated *data for set_msr. Return 0 when done, 1 when the
	 * vendor does not hold that MSR. Optional.
	 */
	int (*get_msr)(struct nkvm_x86_vcpu *xv, u32 index, u64 *data);
	int (*set_msr)(struct nkvm_x86_vcpu *xv, u32 index, u64 *data);

	/* The STI/MOV SS shadow: true while the guest is in one. */
	bool (*get_interrupt_shadow)(struct nkvm_x86_vcpu *xv);
	void (*set_interrupt_shadow)(struct nkvm_x86_vcpu *xv, bool shadow);

	/* INIT: the registers and events as after INIT (the local APIC's). */
	void (*init_vcpu)(struct nkvm_x86_vcpu *xv);

	/* KVM_X86_SETUP_MCE keeps these MCG_CAP bits (0: all it takes). */
	u64 mcg_cap_bits;
};

extern const struct nkvm_x86_vendor nkvm_svm_vendor;
extern const struct nkvm_x86_vendor nkvm_vmx_vendor;

struct nkvm_pic;
struct nkvm_ioapic;
struct nkvm_lapic;
struct nkvm_x86_irqs;
struct nkvm_pit;
struct nkvm_x86_msr_filter;

/*
 * x86 statistics for KVM_GET_STATS_FD (x86.c lists them; the rules are
 * in include/nkvm/stats.h). VM: [k] under vm->mmu_lock.
 */
struct nkvm_x86_vm_stat {
	u64 pages_4k;			/* [k] 4 KiB leaves of the nested table */
	u64 pages_2m;			/* [k] 2 MiB leaves of the nested table */
};

/* vCPU: written by the vCPU's thread only. */
struct nkvm_x86_vcpu_stat {
	u64 exits;			/* every hardware exit */
	u64 irq_window_exits;		/* the interrupt window opened */
	u64 nmi_window_exits;		/* the NMI handler's IRET */
	u64 halt_exits;			/* HLT */
	u64 request_irq_exits;		/* KVM_EXIT_IRQ_WINDOW_OPEN */
	u64 irq_exits;			/* a host interrupt */
	u64 io_exits;			/* IN/OUT/INS/OUTS */
	u64 mmio_exits;			/* KVM_EXIT_MMIO */
	u64 insn_emulation;		/* instructions the emulator decoded */
	u64 insn_emulation_fail;	/* ... and could not emulate */
	u64 irq_injections;		/* interrupts injected */
	u64 nmi_injections;		/* NMIs injected */
};

struct nkvm_x86_vm {
	struct nkvm_vm vm;		/* must be first */
	void *vendor;			/* (c) the vendor's per-VM state */
	u32 tsc_khz;			/* (a) KVM_SET_TSC_KHZ on the VM */
	unsigned long nr_mmu_pages;	/* (a) KVM_SET_NR_MMU_PAGES, unused */
	u32 bsp_vcpu_id;		/* [l] KVM_SET_BOOT_CPU_ID */

	/*
	 * The in-kernel irqchip (irqchip.h), NKVM_X86_IRQCHIP_*: set once
	 * under vm->lock, before any vCPU exists, by KVM_CREATE_IRQCHIP
	 * (after pic and ioapic) or KVM_CAP_SPLIT_IRQCHIP (the LAPICs only;
	 * the PIC and IOAPIC are userspace's, whose IOAPIC pins are GSIs
	 * 0..ioapic_pins-1); none of these changes afterwards.
	 */
	u8 irqchip;
	u32 ioapic_pins;
	struct nkvm_pic *pic;
	struct nkvm_ioapic *ioapic;
	struct nkvm_x86_irqs *irqs;	/* GSI routing and irqfds, as pic */

	/* kvmclock.c: kvmclock - host boot time (ns); the wall-clock MSR. */
	s64 kvmclock_offset;		/* (a) */
	u64 wall_clock;			/* (a) */
	/* i8254.c: set once under vm->lock, read with acquire. */
	struct nkvm_pit *pit;
	/* pv.c: KVM_X86_QUIRK_* turned off by KVM_CAP_DISABLE_QUIRKS(2). */
	u64 disabled_quirks;		/* (a) */
	/*
	 * KVM_X86_DISABLE_EXITS_* the guest runs without exits for (HLT,
	 * MWAIT...), added by KVM_CAP_X86_DISABLE_EXITS; as stock, vCPUs
	 * take it when they are created.
	 */
	u32 disabled_exits;		/* (a) */
	/* events.c: KVM_CAP_EXCEPTION_PAYLOAD, KVM_CAP_X86_TRIPLE_FAULT_EVENT. */
	bool exception_payload;		/* (a) */
	bool triple_fault_event;	/* (a) */

	/*
	 * msr_filter.c: the KVM_MSR_EXIT_REASON_* for which the guest's
	 * failing RDMSR/WRMSR exit to userspace; whether the guest may read
	 * MSR_PLATFORM_INFO; the KVM_X86_SET_MSR_FILTER filter, replaced
	 * under vm->lock and read under vm->srcu (NULL: none).
	 */
	u32 user_space_msr;		/* (a) */
	bool platform_info_readable;	/* (a) */
	struct nkvm_x86_msr_filter __rcu *msr_filter;

	struct nkvm_x86_vm_stat stat;	/* see the struct */
};

enum {
	NKVM_X86_IRQCHIP_NONE,
	NKVM_X86_IRQCHIP_KERNEL,	/* LAPICs, PIC, IOAPIC */
	NKVM_X86_IRQCHIP_SPLIT,		/* LAPICs; PIC and IOAPIC in userspace */
};

/* The VM has in-kernel LAPICs (a whole or a split irqchip), complete. */
static inline bool nkvm_x86_has_irqchip(struct nkvm_x86_vm *xvm)
{
	/* Pairs with the release that sets it (irqchip.c). */
	return smp_load_acquire(&xvm->irqchip) != NKVM_X86_IRQCHIP_NONE;
}

/* The PIC and the IOAPIC are in the kernel too (KVM_CREATE_IRQCHIP). */
static inline bool nkvm_x86_irqchip_kernel(struct nkvm_x86_vm *xvm)
{
	/* Pairs with the release that sets it (irqchip.c). */
	return smp_load_acquire(&xvm->irqchip) == NKVM_X86_IRQCHIP_KERNEL;
}

static inline bool nkvm_x86_irqchip_split(struct nkvm_x86_vm *xvm)
{
	/* Pairs with the release that sets it (irqchip.c). */
	return smp_load_acquire(&xvm->irqchip) == NKVM_X86_IRQCHIP_SPLIT;
}

static inline struct nkvm_x86_vm *to_x86_vm(struct nkvm_vm *vm)
{
	return container_of(vm, struct nkvm_x86_vm, vm);
}

/* The MSRs the x86 layer keeps (msr.c); the vendor keeps the others. */
#define NKVM_X86_NR_FIXED_MTRRS	11
#define NKVM_X86_NR_VAR_MTRRS	8

struct nkvm_x86_msrs {
	u64 misc_enable;
	u64 tsc_aux;
	u64 ucode_rev;			/* what the guest reads; host sets it */
	u64 tsc_adjust;			/* IA32_TSC_ADJUST */
	u64 de_cfg;			/* AMD DE_CFG, within the feature value */
	u64 mtrr_def_type;
	u64 mtrr_fixed[NKVM_X86_NR_FIXED_MTRRS];
	u64 mtrr_var[2 * NKVM_X86_NR_VAR_MTRRS];	/* base, mask, ... */
	u64 arch_capabilities;		/* host-set, as the feature MSR */
	u64 perf_capabilities;		/* within the feature MSR */
	u64 platform_info;		/* host-set; CPUID_FAULT offered */
	u64 misc_features;		/* MISC_FEATURES_ENABLES */
	u64 power_ctl;			/* IA32_POWER_CTL, kept as written */
	u64 hwcr;			/* AMD HWCR: McStatusWrEn (msr_model.c) */
};

/*
 * A guest RDMSR/WRMSR that exited to userspace (KVM_EXIT_X86_RDMSR/WRMSR,
 * msr_filter.c): the next KVM_RUN completes it if RIP is still rip.
 */
struct nkvm_x86_msr_exit {
	bool pending;
	bool read;
	u64 rip;
};

/*
 * A vCPU's paravirtual clock (kvmclock.c): the system-time MSR as the
 * guest wrote it (bit 0 enables the structure at the rest), a request to
 * rewrite the structure before the next entry, and KVMCLOCK_CTRL's
 * request to flag the guest as stopped.
 */
struct nkvm_x86_kvmclock {
	u64 msr;			/* [m] */
	bool old_msr;			/* [m] written through MSR 0x12 */
	bool update;			/* (a) set by anyone, cleared by xchg */
	bool stop;			/* [m] */
};

/*
 * Events for the guest, as KVM_GET/SET_VCPU_EVENTS see them (no in-kernel
 * irqchip). "Injected" events go in on the next entry whatever the guest's
 * IF, as stock KVM's: an exception (first), an NMI, then an interrupt
 * (KVM_INTERRUPT); one per entry. The vendor clears the slot of an event
 * it delivered and refills the slots from an event an exit interrupted.
 * Pending NMIs (KVM_NMI) go in when NMIs are unmasked and no shadow holds.
 */
struct nkvm_x86_events {
	bool exc_injected;
	bool exc_has_error;
	u8 exc_nr;
	u32 exc_error;
	/*
	 * An exception userspace made pending (KVM_CAP_EXCEPTION_PAYLOAD):
	 * delivery not begun, its payload (CR2, DR6) not applied; it becomes
	 * the injected one at the next KVM_RUN (events.c). The number and
	 * error code are the exc_* fields above.
	 */
	bool exc_pending;
	bool exc_has_payload;
	u64 exc_payload;
	bool irq_injected;
	bool irq_soft;
	u8 irq_nr;
	bool nmi_injected;
	bool nmi_masked;		/* until the handler's IRET retires */
	u8 nmi_pending;			/* at most 2, as stock */
};

/*
 * Guest debugging (debug.c). The guest's own debug registers, as
 * KVM_GET/SET_DEBUGREGS see them, and what KVM_SET_GUEST_DEBUG asked for:
 * while USE_HW_BP the hardware runs the guest with hw_db/hw_dr7 instead
 * of db/dr7. The vendor loads the effective ones before an entry
 * (nkvm_x86_eff_db/dr7), copies back what the guest changed, hides the
 * TF it injects for single-stepping from regs.rflags, and raises
 * step_trap when it completed an instruction for the guest under TF.
 */
struct nkvm_x86_debug {
	u32 control;			/* KVM_GUESTDBG_*, 0 when disabled */
	bool step_trap;			/* a trap after an emulated insn is due */
	u64 db[4];
	u64 dr6;
	u64 dr7;
	u64 hw_db[4];			/* the debugger's DR0-3 and DR7 */
	u64 hw_dr7;
};

/*
 * Paravirtual features (pv.c): KVM_CAP_ENFORCE_PV_FEATURE_CPUID and the
 * steal-time record (MSR_KVM_STEAL_TIME as last written, the run_delay
 * of the vCPU thread that the record last accounted for, and a request
 * to rewrite the record before the next entry).
 */
struct nkvm_x86_pv {
	bool enforce;			/* [m] */
	bool steal_update;		/* [m] */
	u64 steal_msr;			/* [m] */
	u64 last_steal;			/* [m] */
};

/*
 * Exits to userspace that handling a guest access asked for, after the
 * access completed; x86.c takes them before the next entry, in bit order:
 * KVM_EXIT_TPR_ACCESS (vapic.c; tpr_rip is the accessing instruction's
 * RIP), KVM_EXIT_IOAPIC_EOI (split irqchip: the guest EOIed a
 * level-triggered vector of the userspace IOAPIC) and KVM_EXIT_SHUTDOWN
 * (a triple fault userspace made pending, events.c).
 */
enum {
	NKVM_X86_UEXIT_TPR,
	NKVM_X86_UEXIT_EOI,
	NKVM_X86_UEXIT_SHUTDOWN,
};

struct nkvm_x86_user_exit {
	unsigned long pending;		/* [m] NKVM_X86_UEXIT_* bits */
	u64 tpr_rip;			/* [m] */
	bool tpr_write;			/* [m] */
	u8 eoi_vector;			/* [m] */
};

/*
 * vapic.c: QEMU's kvmvapic page (KVM_SET_VAPIC_ADDR, with an in-kernel
 * LAPIC: its TPR is kept in guest memory across entries), whether guest
 * accesses to the TPR exit to userspace (KVM_TPR_ACCESS_REPORTING), and
 * PV EOI (MSR_KVM_PV_EOI_EN).
 */
struct nkvm_x86_vapic {
	u64 addr;			/* [m] guest physical, 0: none */
	bool tpr_reporting;		/* [m] */
	u64 pv_eoi_msr;			/* [m] MSR_KVM_PV_EOI_EN */
	bool pv_eoi_pending;		/* [m] the guest's bit set at entry */
};

struct nkvm_x86_vcpu {
	struct nkvm_vcpu vcpu;		/* must be first */
	struct kvm_regs regs;		/* [m] GPRs, RIP, RFLAGS */
	s64 tsc_offset;			/* [m] guest TSC - host TSC */
	struct kvm_cpuid_entry2 *cpuid;	/* [m] KVM_SET_CPUID2 table */
	u32 cpuid_nent;			/* [m] entries in cpuid */
	bool has_rdtscp;		/* [m] the table offers RDTSCP */
	bool has_run;			/* [m] entered the guest at least once */
	bool cpuid_set;			/* [m] KVM_SET_CPUID2 was called */
	struct nkvm_x86_msrs msrs;	/* [m] see msr.c */
	struct nkvm_x86_mmio mmio;	/* [m] an MMIO read to complete */
	struct nkvm_x86_msr_exit msr_exit; /* [m] */
	struct nkvm_x86_events ev;	/* [m] */
	/* FPU/XSAVE state (fpu.c); the fpstate pointer is (c), its data [m]. */
	struct fpu_guest fpu;
	u64 xcr0;			/* [m] the guest's XCR0 */
	u64 xcr0_allowed;		/* [m] XCR0 bits its CPUID table offers */
	u32 tsc_khz;			/* [m] KVM_SET_TSC_KHZ rate */
	struct nkvm_x86_debug dbg;	/* [m] */
	struct nkvm_x86_kvmclock clock;	/* see the struct */
	struct nkvm_x86_pv pv;		/* see the struct */
	struct nkvm_x86_mce mce;	/* machine checks (mce.c) */
	struct nkvm_x86_vapic vapic;	/* see the struct */
	struct nkvm_x86_user_exit uexit; /* see the struct */
	void *vendor;			/* (c) the vendor's per-vCPU state */
	struct nkvm_lapic *lapic;	/* (c) with an in-kernel irqchip */
	struct nkvm_x86_vcpu_stat stat;	/* vCPU thread; see the struct */
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
/* CR4 bits the vCPU's CPUID table makes reserved (KVM_SET_SREGS). */
u64 nkvm_x86_cpuid_cr4_rsvd(struct nkvm_x86_vcpu *xv);
bool nkvm_x86_supports(unsigned int feature);
/* The vCPU's CPUID table has this feature (X86_FEATURE_*). */
bool nkvm_x86_guest_has(struct nkvm_x86_vcpu *xv, unsigned int feature);
/* EAX of the table's leaf (subleaf 0), 0 when absent. */
u32 nkvm_x86_guest_cpuid_eax(struct nkvm_x86_vcpu *xv, u32 leaf);
/* The table's vendor string is AMD's (or Hygon's). */
bool nkvm_x86_guest_is_amd(struct nkvm_x86_vcpu *xv);
/* For vendors: answer the guest's CPUID from the table (RAX..RDX). */
void nkvm_x86_emulate_cpuid(struct nkvm_x86_vcpu *xv);

/* fpu.c */
extern u64 nkvm_host_xcr0;
void nkvm_x86_fpu_setup(void);
u64 nkvm_x86_supported_xcr0(void);
u32 nkvm_x86_xsave_size(u64 xcr0);
u32 nkvm_x86_xsave2_size(void);
int nkvm_x86_fpu_create(struct nkvm_x86_vcpu *xv);
void nkvm_x86_fpu_destroy(struct nkvm_x86_vcpu *xv);
/* XSETBV and KVM_SET_XCRS: 0, or 1 when the value must be refused. */
int nkvm_x86_set_xcr(struct nkvm_x86_vcpu *xv, u32 index, u64 val);
/* For vendors, interrupts off: right before entry, right after the exit. */
void nkvm_x86_load_guest_xcr0(struct nkvm_x86_vcpu *xv);
void nkvm_x86_load_host_xcr0(struct nkvm_x86_vcpu *xv);
long nkvm_x86_get_fpu(struct nkvm_x86_vcpu *xv, void __user *argp);
long nkvm_x86_set_fpu(struct nkvm_x86_vcpu *xv, void __user *argp);
long nkvm_x86_get_xsave(struct nkvm_x86_vcpu *xv, void __user *argp);
long nkvm_x86_get_xsave2(struct nkvm_x86_vcpu *xv, void __user *argp);
long nkvm_x86_set_xsave(struct nkvm_x86_vcpu *xv, void __user *argp);
long nkvm_x86_get_xcrs(struct nkvm_x86_vcpu *xv, void __user *argp);
long nkvm_x86_set_xcrs(struct nkvm_x86_vcpu *xv, void __user *argp);

/* x86.c: the guest runs without exits for these KVM_X86_DISABLE_EXITS_*. */
static inline bool nkvm_x86_exit_disabled(struct nkvm_x86_vcpu *xv, u32 exit)
{
	return READ_ONCE(to_x86_vm(xv->vcpu.vm)->disabled_exits) & exit;
}

/* x86.c: userspace waits for an interrupt window it could use. */
bool nkvm_x86_user_wants_window(struct nkvm_x86_vcpu *xv);
/* x86.c: the guest can take an external interrupt, none is queued. */
bool nkvm_x86_ready_for_interrupt(struct nkvm_x86_vcpu *xv);
/* Add NMIs to the pending ones (at most two, as stock). */
void nkvm_x86_queue_nmis(struct nkvm_x86_vcpu *xv, unsigned int n);

/* x86.c: the cores of KVM_SET_REGS/SREGS. */
void nkvm_x86_set_regs(struct nkvm_x86_vcpu *xv, const struct kvm_regs *regs);
int nkvm_x86_set_sregs(struct nkvm_x86_vcpu *xv, const struct kvm_sregs *sregs);

/* events.c: the vCPU ioctls, and the cores of KVM_GET/SET_VCPU_EVENTS. */
void nkvm_x86_deliver_pending_exception(struct nkvm_x86_vcpu *xv);
long nkvm_x86_interrupt(struct nkvm_x86_vcpu *xv, void __user *argp);
long nkvm_x86_nmi(struct nkvm_x86_vcpu *xv, void __user *argp);
long nkvm_x86_get_vcpu_events(struct nkvm_x86_vcpu *xv, void __user *argp);
long nkvm_x86_set_vcpu_events(struct nkvm_x86_vcpu *xv, void __user *argp);
void nkvm_x86_get_events(struct nkvm_x86_vcpu *xv, struct kvm_vcpu_events *e);
int nkvm_x86_set_events(struct nkvm_x86_vcpu *xv,
			const struct kvm_vcpu_events *e);

/*
 * events.c, for vendors: the event an entry injects (a slot of struct
 * nkvm_x86_events), chosen as stock does; shadow: the guest is in an STI
 * or MOV SS shadow; irq_needs_if: the hardware refuses an external
 * interrupt while IF is clear or a shadow holds (VMX), so one queued then
 * waits. *window: an interrupt (the LAPIC's, or userspace's request)
 * waits for an interrupt window.
 */
enum nkvm_x86_slot {
	NKVM_X86_SLOT_NONE, NKVM_X86_SLOT_EXC, NKVM_X86_SLOT_NMI,
	NKVM_X86_SLOT_IRQ,
};

enum nkvm_x86_requeue {
	NKVM_X86_REQUEUE_NMI, NKVM_X86_REQUEUE_EXC, NKVM_X86_REQUEUE_IRQ,
	NKVM_X86_REQUEUE_SOFT_IRQ,
};

void nkvm_x86_queue_exception(struct nkvm_x86_vcpu *xv, u8 vector,
			      bool has_error, u32 error);
int nkvm_x86_internal_error(struct nkvm_x86_vcpu *xv, u32 suberror,
			    const u64 data[4]);
enum nkvm_x86_slot nkvm_x86_next_event(struct nkvm_x86_vcpu *xv, bool shadow,
				       bool irq_needs_if, bool *window);
void nkvm_x86_event_delivered(struct nkvm_x86_vcpu *xv,
			      enum nkvm_x86_slot slot);
void nkvm_x86_requeue_event(struct nkvm_x86_vcpu *xv,
			    enum nkvm_x86_requeue kind, u8 vector,
			    bool has_error, u32 error, bool user_soft);

/* sync_regs.c: nkvm_arch_ops.sync_regs_in/out. */
int nkvm_x86_sync_regs_in(struct nkvm_vcpu *vcpu, u64 *dirty);
void nkvm_x86_sync_regs_out(struct nkvm_vcpu *vcpu, u64 valid);

/*
 * The vendor, for the rest of the x86 layer: x86.c alone holds the one
 * found at load and calls it. get_sregs is false (and fills nothing) and
 * the MSR calls answer NKVM_X86_MSR_UNKNOWN where the vendor keeps no
 * such state; put_sregs loads state that is already validated.
 */
bool nkvm_x86_runs_guests(void);
bool nkvm_x86_get_sregs(struct nkvm_x86_vcpu *xv, struct kvm_sregs *sregs);
void nkvm_x86_put_sregs(struct nkvm_x86_vcpu *xv, const struct kvm_sregs *sregs);
bool nkvm_x86_interrupt_shadow(struct nkvm_x86_vcpu *xv);
void nkvm_x86_set_interrupt_shadow(struct nkvm_x86_vcpu *xv, bool shadow);
bool nkvm_x86_vendor_has_msrs(void);
int nkvm_x86_vendor_get_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 *data);
int nkvm_x86_vendor_set_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 data);
/* INIT of the vCPU's registers and events; false where guests do not run. */
bool nkvm_x86_vendor_init(struct nkvm_x86_vcpu *xv);
u64 nkvm_x86_vendor_mcg_cap_bits(void);

/* msr.c */
void nkvm_x86_msr_reset(struct nkvm_x86_vcpu *xv);
/*
 * 0 on success, 1 when the access must fail (#GP for the guest),
 * NKVM_X86_MSR_UNKNOWN when nkvm does not know the MSR at all (also a
 * failure: only the reason of a userspace exit tells them apart).
 */
#define NKVM_X86_MSR_UNKNOWN	2
int nkvm_x86_get_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 *data,
		     bool host);
int nkvm_x86_set_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 data,
		     bool host);
long nkvm_x86_get_msr_index_list(struct kvm_msr_list __user *ul);
long nkvm_x86_get_msr_feature_index_list(struct kvm_msr_list __user *ul);
long nkvm_x86_get_feature_msrs(struct kvm_msrs __user *um);
long nkvm_x86_get_msrs(struct nkvm_x86_vcpu *xv, void __user *argp);
long nkvm_x86_set_msrs(struct nkvm_x86_vcpu *xv, void __user *argp);

/* msr_model.c: as nkvm_x86_get/set_msr, or -1 for another MSR. */
int nkvm_x86_model_msr_get(struct nkvm_x86_vcpu *xv, u32 index, u64 *data);
int nkvm_x86_model_msr_set(struct nkvm_x86_vcpu *xv, u32 index, u64 data);
bool nkvm_x86_mci_status_writable(struct nkvm_x86_vcpu *xv);

/* The guest turned CPUID faulting on: CPUID outside ring 0 is a #GP. */
static inline bool nkvm_x86_cpuid_faulting(const struct nkvm_x86_vcpu *xv)
{
	return xv->msrs.misc_features & MSR_MISC_FEATURES_ENABLES_CPUID_FAULT;
}

/* msr_filter.c */
enum nkvm_x86_msr_result {
	NKVM_X86_MSR_DONE,		/* RDMSR's data in *data */
	NKVM_X86_MSR_GP,		/* inject #GP */
	NKVM_X86_MSR_USER,		/* kvm_run holds the exit */
};

enum nkvm_x86_msr_result nkvm_x86_guest_msr(struct nkvm_x86_vcpu *xv,
					    bool write, u32 index, u64 *data);
/* 0: step over the instruction; 1: inject #GP; -1: nothing to complete. */
int nkvm_x86_complete_msr_exit(struct nkvm_x86_vcpu *xv);
int nkvm_x86_enable_user_space_msr(struct nkvm_x86_vm *xvm, u64 mask);
long nkvm_x86_set_msr_filter(struct nkvm_x86_vm *xvm, void __user *argp);
void nkvm_x86_msr_filter_destroy(struct nkvm_x86_vm *xvm);

/* kvmclock.c */
void nkvm_x86_kvmclock_vm_init(struct nkvm_x86_vm *xvm);
void nkvm_x86_kvmclock_reset(struct nkvm_x86_vcpu *xv);
/* The kvmclock MSRs (for msr.c): as nkvm_x86_get/set_msr. */
bool nkvm_x86_is_kvmclock_msr(u32 index);
int nkvm_x86_kvmclock_get_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 *data);
int nkvm_x86_kvmclock_set_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 data,
			      bool host);
extern const u32 nkvm_x86_kvmclock_msrs[4];
void nkvm_x86_kvmclock_update(struct nkvm_x86_vcpu *xv);
long nkvm_x86_kvmclock_ctrl(struct nkvm_x86_vcpu *xv, void __user *argp);
/* KVM_GET_CLOCK / KVM_SET_CLOCK; -ENOIOCTLCMD for other ioctls. */
long nkvm_x86_clock_ioctl(struct nkvm_x86_vm *xvm, unsigned int ioctl,
			  unsigned long arg);
u32 nkvm_x86_clock_flags(void);
u32 nkvm_x86_kvm_features(void);

/* The guest's TSC moved or changed rate: rewrite its pvclock. */
static inline void nkvm_x86_kvmclock_request(struct nkvm_x86_vcpu *xv)
{
	WRITE_ONCE(xv->clock.update, true);
}

/* Before each entry: rewrite the pvclock if asked to. */
static inline void nkvm_x86_kvmclock_enter(struct nkvm_x86_vcpu *xv)
{
	if (unlikely(READ_ONCE(xv->clock.update)))
		nkvm_x86_kvmclock_update(xv);
}

/* pv.c: quirks, PV feature enforcement, PV MSRs, steal time. */
static inline bool nkvm_x86_has_quirk(struct nkvm_x86_vcpu *xv, u64 quirk)
{
	return !(READ_ONCE(to_x86_vm(xv->vcpu.vm)->disabled_quirks) & quirk);
}

u64 nkvm_x86_valid_quirks(void);
int nkvm_x86_disable_quirks(struct nkvm_x86_vm *xvm, struct kvm_enable_cap *cap);
long nkvm_x86_vcpu_enable_cap(struct nkvm_x86_vcpu *xv, void __user *argp);
/* The guest may use KVM_FEATURE_* bit nr (always, unless enforced). */
bool nkvm_x86_pv_has(struct nkvm_x86_vcpu *xv, unsigned int nr);
/* KVM_CPUID_FEATURES EAX bits we offer (with kvmclock's). */
u32 nkvm_x86_pv_features(void);
/* The PV MSRs (kvmclock's, steal time), for msr.c: as nkvm_x86_get/set_msr. */
bool nkvm_x86_is_pv_msr(u32 index);
int nkvm_x86_pv_get_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 *data);
int nkvm_x86_pv_set_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 data,
			bool host);
void nkvm_x86_pv_reset(struct nkvm_x86_vcpu *xv);
void nkvm_x86_steal_time_update(struct nkvm_x86_vcpu *xv);

/* Before each entry: account the time the vCPU thread waited to run. */
static inline void nkvm_x86_steal_time_enter(struct nkvm_x86_vcpu *xv)
{
	if (unlikely(xv->pv.steal_msr & 1))
		nkvm_x86_steal_time_update(xv);
}

/*
 * hypercall.c: VMMCALL (the vendor steps over it after a return of 1);
 * the vendor passes the guest's CPL and whether it runs 64-bit code.
 * Returns 1 to re-enter, 0 for userspace, <0 on failure.
 */
int nkvm_x86_hypercall(struct nkvm_x86_vcpu *xv, unsigned int cpl, bool op64);
/*
 * A #UD: with KVM_X86_QUIRK_FIX_HYPERCALL_INSN, the other vendor's
 * hypercall at CS:RIP (VMCALL on AMD, VMMCALL on Intel) is rewritten as
 * native (the vendor's insn bytes) for the guest to run
 * again. True when done, false when the #UD is the guest's.
 */
bool nkvm_x86_fix_hypercall(struct nkvm_x86_vcpu *xv, const u8 *native);
/* MONITOR/MWAIT: true when they are NOPs, false for a #UD. */
bool nkvm_x86_mwait_is_nop(struct nkvm_x86_vcpu *xv);
/* CPUID.1:ECX.MWAIT as the guest sees it (cpuid.c). */
bool nkvm_x86_guest_has_mwait(struct nkvm_x86_vcpu *xv);
/* The KVM_CPUID_FEATURES EAX of the vCPU's table (cpuid.c). */
u32 nkvm_x86_cpuid_kvm_features(struct nkvm_x86_vcpu *xv);
bool nkvm_x86_guest_has_sse3(struct nkvm_x86_vcpu *xv);

/* vapic.c */
long nkvm_x86_set_vapic_addr(struct nkvm_x86_vcpu *xv, void __user *argp);
long nkvm_x86_tpr_access_reporting(struct nkvm_x86_vcpu *xv,
				   void __user *argp);
/* The guest read or wrote its LAPIC's TPR through the MMIO page. */
void nkvm_x86_tpr_accessed(struct nkvm_x86_vcpu *xv, bool write);
/*
 * For vendors: right before entering, after injecting the entry's event,
 * and after the exit (or a cancelled entry) before handling it. Both may
 * sleep: call them with interrupts on.
 */
void nkvm_x86_vapic_enter(struct nkvm_x86_vcpu *xv);
void nkvm_x86_vapic_exit(struct nkvm_x86_vcpu *xv);
int nkvm_x86_pv_eoi_set_msr(struct nkvm_x86_vcpu *xv, u64 data);

/* i8254.c: the PIT's VM ioctls (-ENOIOCTLCMD for others), VM teardown. */
long nkvm_x86_pit_ioctl(struct nkvm_x86_vm *xvm, unsigned int ioctl,
			unsigned long arg);
void nkvm_x86_pit_destroy(struct nkvm_x86_vm *xvm);

/* debug.c */
#define NKVM_X86_DR6_RESET	0xffff0ff0ULL
#define NKVM_X86_DR7_RESET	0x400ULL

void nkvm_x86_debug_reset(struct nkvm_x86_vcpu *xv);
long nkvm_x86_set_guest_debug(struct nkvm_x86_vcpu *xv, void __user *argp);
long nkvm_x86_get_debugregs(struct nkvm_x86_vcpu *xv, void __user *argp);
long nkvm_x86_set_debugregs(struct nkvm_x86_vcpu *xv, void __user *argp);
long nkvm_x86_guest_debug_flags(void);

static inline bool nkvm_x86_stepping(const struct nkvm_x86_vcpu *xv)
{
	return xv->dbg.control & KVM_GUESTDBG_SINGLESTEP;
}

static inline bool nkvm_x86_debugger_hw_bp(const struct nkvm_x86_vcpu *xv)
{
	return xv->dbg.control & KVM_GUESTDBG_USE_HW_BP;
}

static inline u64 nkvm_x86_eff_dr7(const struct nkvm_x86_vcpu *xv)
{
	return nkvm_x86_debugger_hw_bp(xv) ? xv->dbg.hw_dr7 : xv->dbg.dr7;
}

static inline const u64 *nkvm_x86_eff_db(const struct nkvm_x86_vcpu *xv)
{
	return nkvm_x86_debugger_hw_bp(xv) ? xv->dbg.hw_db : xv->dbg.db;
}

/* The vendor completed the guest's instruction (moved RIP past it). */
void nkvm_x86_insn_done(struct nkvm_x86_vcpu *xv);
/*
 * After the vendor stepped over an intercepted HLT: block in the kernel
 * with an in-kernel LAPIC (1: enter again), else KVM_EXIT_HLT (0).
 */
int nkvm_x86_halt(struct nkvm_x86_vcpu *xv);
/* Fill kvm_run with a KVM_EXIT_DEBUG. */
void nkvm_x86_debug_exit(struct nkvm_x86_vcpu *xv, u32 exception, u64 pc,
			 u64 dr6, u64 dr7);
/*
 * Deliver a due step_trap: 0 with a KVM_EXIT_DEBUG for the debugger, or 1
 * with #DB queued for the guest (its own TF). pc is CS.base + RIP.
 */
int nkvm_x86_step_trap(struct nkvm_x86_vcpu *xv, u64 pc);

#endif /* _NKVM_X86_H */
