// SPDX-License-Identifier: GPL-2.0
/*
 * AMD SVM backend: detection, per-CPU enabling, the VMCB, the world switch
 * around svm_vmrun.S and the exit handlers.
 *
 * Design choices of this first step, all to be revisited:
 *  - ASIDs: every guest runs with ASID 1 and every VMRUN flushes all ASIDs
 *    (TLB_CONTROL_FLUSH_ALL_ASID). Correct whatever CPU a vCPU last ran on,
 *    and the only choice on CPUs without flush-by-ASID (QEMU's TCG).
 *  - Clean bits: never used (VMCB clean field 0 on every VMRUN).
 *  - Next RIP: only I/O intercepts report it; for the other instructions
 *    we skip, the length is that of the only encoding that exits.
 *  - FPU: the guest has its own fpstate (the x86 layer's, fpu.c), the
 *    thread's for all of KVM_RUN (x86.c); an entry reloads the registers
 *    only when TIF_NEED_FPU_LOAD says something else used them. XSETBV is
 *    intercepted and validated by fpu.c; the guest's XCR0 is loaded with
 *    interrupts off right before VMRUN and the host's right after.
 *  - Control registers: CR0, CR3 and CR4 are the guest's own in the VMCB
 *    (CR0 keeps CD|NW from reset, which real CPUs run uncached). Writes
 *    to CR0 and CR4 are intercepted, checked by the x86 layer's rules
 *    (sregs.c) and emulated (svm_exit_cr_write()); CR3 and all reads are
 *    not. EFER.LME reaches the VMCB only in long mode
 *    (svm_set_efer()). MSR accesses are all intercepted and handled by
 *    the x86 layer (msr.c), which asks svm_get_msr/svm_set_msr for the
 *    VMCB's.
 *  - Nested paging: one table per VM (svm_npt.c), kept coherent with the
 *    host by the core's MMU notifier; guest pages are not pinned.
 *  - MMIO (NPF outside the memslots): the x86 emulator (emulate.c), after
 *    the in-kernel MMIO bus; IN/OUT go to the PIO bus first.
 *  - INS/OUTS: the x86 emulator too (pio.c).
 *  - Debug registers: guest debugging and the guest's own DRs (debug.c).
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <nkvm/iobus.h>
#include <nkvm/trace.h>

#include "irqchip/irqchip.h"
#include "sregs.h"
#include "svm.h"

#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mem_encrypt.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/irq_vectors.h>
#include <asm/msr.h>
#include <asm/reboot.h>

#define SVM_ASID		1
#define SVM_IOPM_ORDER		2	/* 12 KiB used */
#define SVM_MSRPM_ORDER		1	/* 8 KiB */
#define SVM_DR_INTERCEPTS	0x00ff00ffU	/* reads and writes, DR0-7 */

/* Architectural state after RESET, as stock KVM presents it. */
#define RESET_CR0		(X86_CR0_CD | X86_CR0_NW | X86_CR0_ET)
#define RESET_DR6		0xffff0ff0ULL
#define RESET_DR7		0x400ULL
#define RESET_PAT		0x0007040600070406ULL
#define RESET_RIP		0xfff0
#define RESET_RFLAGS		X86_EFLAGS_FIXED
#define RESET_RDX		0x600	/* CPUID.1:EAX with no CPUID set */
#define RESET_APIC_BASE		(APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE)

#define SEG_TYPE_LDT		2
#define SEG_TYPE_BUSY_TSS16	3

struct svm_cpu {
	struct page *hsave;		/* MSR_VM_HSAVE_PA */
	struct page *host_vmcb;		/* VMSAVE/VMLOAD of the host's state */
	bool enabled;			/* EFER.SVME set by us */
};

static DEFINE_PER_CPU(struct svm_cpu, svm_cpu);
static int svm_hp_state;
static struct page *svm_iopm, *svm_msrpm;

static inline void svm_stgi(void)
{
	asm volatile("stgi" ::: "memory");
}

static inline void svm_clgi(void)
{
	asm volatile("clgi" ::: "memory");
}

static u64 svm_page_pa(struct page *page)
{
	return __sme_set(page_to_phys(page));
}

static void svm_read_efer(void *in_use)
{
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		atomic_inc(in_use);
}

static int svm_probe(void)
{
	atomic_t in_use = ATOMIC_INIT(0);
	u64 vm_cr;

	if (!boot_cpu_has(X86_FEATURE_SVM))
		return -ENODEV;

	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & SVM_VM_CR_SVM_DIS_MASK) {
		pr_err("AMD SVM is disabled by the firmware (VM_CR.SVMDIS)\n");
		return -ENODEV;
	}

	on_each_cpu(svm_read_efer, &in_use, 1);
	if (atomic_read(&in_use)) {
		pr_err("AMD SVM is already in use by another hypervisor (EFER.SVME set on %d CPUs)\n",
		       atomic_read(&in_use));
		return -EBUSY;
	}
	if (!boot_cpu_has(X86_FEATURE_NPT)) {
		pr_err("AMD SVM without nested paging is not supported\n");
		return -ENODEV;
	}
	return 0;
}

/* Per-CPU enabling; each runs on the CPU it changes. */

static int svm_cpu_enable(unsigned int cpu)
{
	struct svm_cpu *sc = per_cpu_ptr(&svm_cpu, cpu);
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		pr_err("CPU %u: EFER.SVME is already set by someone else\n", cpu);
		return -EBUSY;
	}
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, svm_page_pa(sc->hsave));
	sc->enabled = true;
	return 0;
}

static void svm_cpu_disable_this(void)
{
	struct svm_cpu *sc = this_cpu_ptr(&svm_cpu);
	u64 efer;

	if (!sc->enabled)
		return;
	sc->enabled = false;
	/* GIF must be set when SVM goes away, or INIT and NMI stay blocked. */
	svm_stgi();
	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
}

static int svm_cpu_disable(unsigned int cpu)
{
	svm_cpu_disable_this();
	return 0;
}

static void svm_cpu_disable_ipi(void *unused)
{
	svm_cpu_disable_this();
}

/* Emergency reboot or crash kexec: called on each CPU, maybe from NMI. */
static void svm_emergency_disable(void)
{
	svm_cpu_disable_this();
}

static int svm_reboot(struct notifier_block *nb, unsigned long code,
		      void *unused)
{
	on_each_cpu(svm_cpu_disable_ipi, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block svm_reboot_nb = {
	.notifier_call = svm_reboot,
};

static void svm_free_cpu_pages(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sc = per_cpu_ptr(&svm_cpu, cpu);

		if (sc->hsave)
			__free_page(sc->hsave);
		if (sc->host_vmcb)
			__free_page(sc->host_vmcb);
		sc->hsave = NULL;
		sc->host_vmcb = NULL;
	}
	if (svm_iopm)
		__free_pages(svm_iopm, SVM_IOPM_ORDER);
	if (svm_msrpm)
		__free_pages(svm_msrpm, SVM_MSRPM_ORDER);
	svm_iopm = NULL;
	svm_msrpm = NULL;
}

static int svm_alloc_pages(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sc = per_cpu_ptr(&svm_cpu, cpu);
		int node = cpu_to_node(cpu);

		sc->hsave = alloc_pages_node(node, GFP_KERNEL | __GFP_ZERO, 0);
		sc->host_vmcb = alloc_pages_node(node, GFP_KERNEL | __GFP_ZERO, 0);
		if (!sc->hsave || !sc->host_vmcb)
			return -ENOMEM;
	}

	/* Every port and every MSR is intercepted, for every vCPU. */
	svm_iopm = alloc_pages(GFP_KERNEL, SVM_IOPM_ORDER);
	svm_msrpm = alloc_pages(GFP_KERNEL, SVM_MSRPM_ORDER);
	if (!svm_iopm || !svm_msrpm)
		return -ENOMEM;
	memset(page_address(svm_iopm), 0xff, PAGE_SIZE << SVM_IOPM_ORDER);
	memset(page_address(svm_msrpm), 0xff, PAGE_SIZE << SVM_MSRPM_ORDER);
	return 0;
}

static int svm_hardware_setup(void)
{
	int r;

	r = svm_alloc_pages();
	if (r)
		goto free;

	cpu_emergency_register_virt_callback(svm_emergency_disable);
	r = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "nkvm/svm:online",
			      svm_cpu_enable, svm_cpu_disable);
	if (r < 0)
		goto unregister;
	svm_hp_state = r;
	register_reboot_notifier(&svm_reboot_nb);
	return 0;

unregister:
	cpu_emergency_unregister_virt_callback(svm_emergency_disable);
free:
	svm_free_cpu_pages();
	return r;
}

static void svm_hardware_unsetup(void)
{
	unregister_reboot_notifier(&svm_reboot_nb);
	cpuhp_remove_state(svm_hp_state);
	cpu_emergency_unregister_virt_callback(svm_emergency_disable);
	svm_free_cpu_pages();
}

/* The VMCB. */

static void svm_set_intercept(struct vmcb *vmcb, unsigned int bit)
{
	vmcb->control.intercepts[bit / 32] |= BIT(bit % 32);
}

static void svm_clr_intercept(struct vmcb *vmcb, unsigned int bit)
{
	vmcb->control.intercepts[bit / 32] &= ~BIT(bit % 32);
}

static void svm_reset_seg(struct vmcb_seg *seg, u16 attrib)
{
	seg->selector = 0;
	seg->attrib = attrib;
	seg->limit = 0xffff;
	seg->base = 0;
}

static const unsigned int svm_intercepts[] = {
	INTERCEPT_EXCEPTION_OFFSET + MC_VECTOR,
	INTERCEPT_EXCEPTION_OFFSET + UD_VECTOR,	/* VMCALL: hypercall.c */
	/* As stock: a guest's #AC loop must not hold the CPU (svm_exit_ac). */
	INTERCEPT_EXCEPTION_OFFSET + AC_VECTOR,
	INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SMI, INTERCEPT_RDPMC,
	INTERCEPT_CPUID, INTERCEPT_INVD, INTERCEPT_HLT, INTERCEPT_INVLPGA,
	INTERCEPT_IOIO_PROT, INTERCEPT_MSR_PROT, INTERCEPT_SHUTDOWN,
	INTERCEPT_VMRUN, INTERCEPT_VMMCALL, INTERCEPT_VMLOAD,
	INTERCEPT_VMSAVE, INTERCEPT_STGI, INTERCEPT_CLGI, INTERCEPT_SKINIT,
	INTERCEPT_MONITOR, INTERCEPT_MWAIT, INTERCEPT_XSETBV, INTERCEPT_RDPRU,
	/* Checked and emulated: svm_exit_cr_write(). */
	INTERCEPT_CR0_WRITE, INTERCEPT_CR4_WRITE,
};

/* The whole VMCB as after RESET (RIP, RFLAGS and GPRs come from xv->regs). */
static void svm_init_vmcb(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	struct vmcb_control_area *ctl = &sv->vmcb->control;
	struct vmcb_save_area *save = &sv->vmcb->save;
	const u16 data = SVM_SELECTOR_P_MASK | SVM_SELECTOR_S_MASK |
			 SVM_SELECTOR_WRITE_MASK;
	unsigned int i;

	clear_page(sv->vmcb);

	/* Debug registers: intercepted until the guest owns them. */
	sv->vmcb->control.intercepts[INTERCEPT_DR] = SVM_DR_INTERCEPTS;
	for (i = 0; i < ARRAY_SIZE(svm_intercepts); i++)
		svm_set_intercept(sv->vmcb, svm_intercepts[i]);
	/* KVM_CAP_X86_DISABLE_EXITS: the guest halts and waits in place. */
	if (nkvm_x86_exit_disabled(xv, KVM_X86_DISABLE_EXITS_HLT))
		svm_clr_intercept(sv->vmcb, INTERCEPT_HLT);
	if (nkvm_x86_exit_disabled(xv, KVM_X86_DISABLE_EXITS_MWAIT)) {
		svm_clr_intercept(sv->vmcb, INTERCEPT_MONITOR);
		svm_clr_intercept(sv->vmcb, INTERCEPT_MWAIT);
	}
	ctl->iopm_base_pa = svm_page_pa(svm_iopm);
	ctl->msrpm_base_pa = svm_page_pa(svm_msrpm);
	ctl->asid = SVM_ASID;
	/* Physical interrupts follow the host's IF, the guest's IF its own. */
	ctl->int_ctl = V_INTR_MASKING_MASK;
	ctl->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	ctl->nested_cr3 = sv->npt_root_pa;

	svm_reset_seg(&save->es, data);
	svm_reset_seg(&save->ss, data);
	svm_reset_seg(&save->ds, data);
	svm_reset_seg(&save->fs, data);
	svm_reset_seg(&save->gs, data);
	svm_reset_seg(&save->cs, SVM_SELECTOR_P_MASK | SVM_SELECTOR_S_MASK |
		      SVM_SELECTOR_CODE_MASK | SVM_SELECTOR_READ_MASK);
	save->cs.selector = 0xf000;
	save->cs.base = 0xffff0000;
	svm_reset_seg(&save->ldtr, SVM_SELECTOR_P_MASK | SEG_TYPE_LDT);
	svm_reset_seg(&save->tr, SVM_SELECTOR_P_MASK | SEG_TYPE_BUSY_TSS16);
	save->gdtr.limit = 0xffff;
	save->idtr.limit = 0xffff;

	sv->efer = 0;
	save->efer = EFER_SVME;
	save->cr0 = RESET_CR0;
	save->dr6 = RESET_DR6;
	save->dr7 = RESET_DR7;
	save->g_pat = RESET_PAT;
	save->rflags = RESET_RFLAGS;
	save->rip = RESET_RIP;
}

/* INIT after a shutdown: registers as the x86 layer sets them at creation. */
static void svm_reset_regs(struct nkvm_x86_vcpu *xv)
{
	memset(&xv->regs, 0, sizeof(xv->regs));
	xv->regs.rip = RESET_RIP;
	xv->regs.rflags = RESET_RFLAGS;
	xv->regs.rdx = RESET_RDX;
}

static struct svm_vm *svm_vm(struct nkvm_vm *vm)
{
	return to_x86_vm(vm)->vendor;
}

static int svm_vm_init(struct nkvm_x86_vm *xvm)
{
	struct svm_vm *svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	int r;

	if (!svm)
		return -ENOMEM;
	r = svm_npt_init(&svm->npt, &xvm->stat);
	if (r) {
		kfree(svm);
		return r;
	}
	xvm->vendor = svm;
	return 0;
}

static void svm_vm_destroy(struct nkvm_x86_vm *xvm)
{
	struct svm_vm *svm = xvm->vendor;

	if (!svm)
		return;
	svm_npt_destroy(&svm->npt);
	kfree(svm);
	xvm->vendor = NULL;
}

static void svm_vcpu_free(struct svm_vcpu *sv)
{
	nkvm_x86_tdp_cache_free(&sv->npt_cache);
	if (sv->vmcb)
		free_page((unsigned long)sv->vmcb);
	kfree(sv);
}

static struct nkvm_x86_vm *svm_x86_vm(struct nkvm_x86_vcpu *xv)
{
	return to_x86_vm(xv->vcpu.vm);
}

static int svm_vcpu_create(struct nkvm_x86_vcpu *xv)
{
	struct svm_vcpu *sv;
	int r = -ENOMEM;

	sv = kzalloc(sizeof(*sv), GFP_KERNEL_ACCOUNT);
	if (!sv)
		return -ENOMEM;
	sv->vmcb = (struct vmcb *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!sv->vmcb)
		goto fail;
	sv->vmcb_pa = __sme_set(__pa(sv->vmcb));
	sv->npt_root_pa = svm_npt_root_pa(&svm_vm(xv->vcpu.vm)->npt);
	sv->npf_spurious_gpa = -1ULL;

	sv->apic_base = RESET_APIC_BASE;
	if (xv->vcpu.vcpu_id == READ_ONCE(svm_x86_vm(xv)->bsp_vcpu_id))
		sv->apic_base |= MSR_IA32_APICBASE_BSP;
	svm_init_vmcb(xv, sv);
	xv->vendor = sv;
	return 0;

fail:
	svm_vcpu_free(sv);
	return r;
}

static void svm_vcpu_destroy(struct nkvm_x86_vcpu *xv)
{
	if (xv->vendor)
		svm_vcpu_free(xv->vendor);
	xv->vendor = NULL;
}

/* Segments and special registers. */

static void svm_seg_to_kvm(const struct vmcb_seg *s, struct kvm_segment *k)
{
	k->base = s->base;
	k->limit = s->limit;
	k->selector = s->selector;
	k->type = s->attrib & SVM_SELECTOR_TYPE_MASK;
	k->s = !!(s->attrib & SVM_SELECTOR_S_MASK);
	k->dpl = (s->attrib & SVM_SELECTOR_DPL_MASK) >> SVM_SELECTOR_DPL_SHIFT;
	k->present = !!(s->attrib & SVM_SELECTOR_P_MASK);
	k->avl = !!(s->attrib & SVM_SELECTOR_AVL_MASK);
	k->l = !!(s->attrib & SVM_SELECTOR_L_MASK);
	k->db = !!(s->attrib & SVM_SELECTOR_DB_MASK);
	/*
	 * The CPU ignores G in the VMCB and some keep it only for some
	 * segments; like stock KVM, report the G that the limit implies.
	 */
	k->g = s->limit > 0xfffff;
	/* The VMCB has no "unusable": a segment not present is. */
	k->unusable = !k->present;
	k->padding = 0;
}

static void svm_seg_from_kvm(struct vmcb_seg *s, const struct kvm_segment *k)
{
	s->base = k->base;
	s->limit = k->limit;
	s->selector = k->selector;
	s->attrib = (k->type & SVM_SELECTOR_TYPE_MASK) |
		    (k->s ? SVM_SELECTOR_S_MASK : 0) |
		    ((k->dpl & 3) << SVM_SELECTOR_DPL_SHIFT) |
		    (k->present && !k->unusable ? SVM_SELECTOR_P_MASK : 0) |
		    (k->avl ? SVM_SELECTOR_AVL_MASK : 0) |
		    (k->l ? SVM_SELECTOR_L_MASK : 0) |
		    (k->db ? SVM_SELECTOR_DB_MASK : 0) |
		    (k->g ? SVM_SELECTOR_G_MASK : 0);
}

/* Data segments in use always have their accessed bit set in the cache. */
static void svm_data_seg_to_kvm(const struct vmcb_seg *s,
				struct kvm_segment *k)
{
	svm_seg_to_kvm(s, k);
	if (!k->unusable)
		k->type |= 1;
}

/*
 * EFER into the VMCB. LME goes there only while long mode is active: QEMU's
 * TCG (7.2), at a #VMEXIT from a guest with LME set and paging and PAE
 * off, refuses the host's CR0 as an entry into long mode without PAE and
 * leaves the host CPU running with the guest's CR0. Real CPUs do not look
 * at LME before paging goes on, which the CR0 intercept catches
 * (svm_write_cr0()).
 */
static void svm_set_efer(struct svm_vcpu *sv, u64 efer)
{
	sv->efer = efer;
	if (!(efer & EFER_LMA))
		efer &= ~EFER_LME;
	sv->vmcb->save.efer = efer | EFER_SVME;
}

/* CR0, checked already; with LME, paging on or off enters or leaves long mode. */
static void svm_write_cr0(struct svm_vcpu *sv, u64 cr0)
{
	sv->vmcb->save.cr0 = cr0;
	if (!(sv->efer & EFER_LME))
		return;
	if (cr0 & X86_CR0_PG)
		svm_set_efer(sv, sv->efer | EFER_LMA);
	else
		svm_set_efer(sv, sv->efer & ~EFER_LMA);
}

static void svm_get_sregs(struct nkvm_x86_vcpu *xv, struct kvm_sregs *sregs)
{
	struct svm_vcpu *sv = xv->vendor;
	struct vmcb_save_area *save = &sv->vmcb->save;

	memset(sregs, 0, sizeof(*sregs));
	svm_seg_to_kvm(&save->cs, &sregs->cs);
	svm_data_seg_to_kvm(&save->ds, &sregs->ds);
	svm_data_seg_to_kvm(&save->es, &sregs->es);
	svm_data_seg_to_kvm(&save->fs, &sregs->fs);
	svm_data_seg_to_kvm(&save->gs, &sregs->gs);
	svm_seg_to_kvm(&save->ss, &sregs->ss);
	/* SS.DPL is the CPL; an unusable SS reports a clear D/B. */
	sregs->ss.dpl = save->cpl;
	if (sregs->ss.unusable)
		sregs->ss.db = 0;
	svm_seg_to_kvm(&save->tr, &sregs->tr);
	/* The busy bit is not always kept: a loaded TSS is busy. */
	sregs->tr.type |= 2;
	svm_seg_to_kvm(&save->ldtr, &sregs->ldt);

	sregs->gdt.base = save->gdtr.base;
	sregs->gdt.limit = save->gdtr.limit;
	sregs->idt.base = save->idtr.base;
	sregs->idt.limit = save->idtr.limit;

	sregs->cr0 = save->cr0;
	sregs->cr2 = save->cr2;
	sregs->cr3 = save->cr3;
	sregs->cr4 = save->cr4;
	sregs->cr8 = xv->lapic ? nkvm_x86_lapic_get_cr8(xv) :
			       sv->vmcb->control.int_ctl & V_TPR_MASK;
	sregs->efer = sv->efer;
	/* With an in-kernel irqchip the local APIC holds its base. */
	sregs->apic_base = xv->lapic ? nkvm_x86_lapic_get_base(xv) :
				       sv->apic_base;
}

static void svm_set_sregs(struct nkvm_x86_vcpu *xv,
			  const struct kvm_sregs *sregs)
{
	struct svm_vcpu *sv = xv->vendor;
	struct vmcb_save_area *save = &sv->vmcb->save;

	svm_seg_from_kvm(&save->cs, &sregs->cs);
	svm_seg_from_kvm(&save->ds, &sregs->ds);
	svm_seg_from_kvm(&save->es, &sregs->es);
	svm_seg_from_kvm(&save->fs, &sregs->fs);
	svm_seg_from_kvm(&save->gs, &sregs->gs);
	svm_seg_from_kvm(&save->ss, &sregs->ss);
	save->cpl = sregs->ss.dpl & 3;
	svm_seg_from_kvm(&save->tr, &sregs->tr);
	svm_seg_from_kvm(&save->ldtr, &sregs->ldt);

	save->gdtr.base = sregs->gdt.base;
	save->gdtr.limit = sregs->gdt.limit;
	save->idtr.base = sregs->idt.base;
	save->idtr.limit = sregs->idt.limit;

	save->cr0 = sregs->cr0;
	save->cr2 = sregs->cr2;
	save->cr3 = sregs->cr3;
	save->cr4 = sregs->cr4;
	sv->vmcb->control.int_ctl &= ~V_TPR_MASK;
	sv->vmcb->control.int_ctl |= sregs->cr8 & V_TPR_MASK;
	if (xv->lapic)
		nkvm_x86_lapic_set_cr8(xv, sregs->cr8);
	svm_set_efer(sv, sregs->efer);
	if (xv->lapic)
		nkvm_x86_lapic_set_base(xv, sregs->apic_base);
	else
		sv->apic_base = sregs->apic_base;
}

/* The MSRs kept in the VMCB, with the APIC base; EFER is apart (SVME). */
static u64 *svm_msr_field(struct svm_vcpu *sv, u32 index)
{
	struct vmcb_save_area *save = &sv->vmcb->save;

	switch (index) {
	case MSR_STAR:			return &save->star;
	case MSR_LSTAR:			return &save->lstar;
	case MSR_CSTAR:			return &save->cstar;
	case MSR_SYSCALL_MASK:		return &save->sfmask;
	case MSR_KERNEL_GS_BASE:	return &save->kernel_gs_base;
	case MSR_FS_BASE:		return &save->fs.base;
	case MSR_GS_BASE:		return &save->gs.base;
	case MSR_IA32_SYSENTER_CS:	return &save->sysenter_cs;
	case MSR_IA32_SYSENTER_ESP:	return &save->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP:	return &save->sysenter_eip;
	case MSR_IA32_CR_PAT:		return &save->g_pat;
	case MSR_IA32_APICBASE:		return &sv->apic_base;
	}
	return NULL;
}

static int svm_get_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 *data)
{
	struct svm_vcpu *sv = xv->vendor;
	u64 *field = svm_msr_field(sv, index);

	if (index == MSR_EFER) {
		*data = sv->efer;
		return 0;
	}
	if (!field)
		return 1;
	*data = *field;
	return 0;
}

static int svm_set_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 *data)
{
	struct svm_vcpu *sv = xv->vendor;
	u64 *field = svm_msr_field(sv, index);

	if (index == MSR_EFER) {
		svm_set_efer(sv, *data);
		return 0;
	}
	if (!field)
		return 1;
	/* AMD has no 64-bit SYSENTER: as stock, only bits 31:0 are kept. */
	if (index == MSR_IA32_SYSENTER_ESP || index == MSR_IA32_SYSENTER_EIP)
		*field = (u32)*data;
	else
		*field = *data;
	return 0;
}

static bool svm_get_interrupt_shadow(struct nkvm_x86_vcpu *xv)
{
	struct svm_vcpu *sv = xv->vendor;

	return sv->vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK;
}

static void svm_set_interrupt_shadow(struct nkvm_x86_vcpu *xv, bool shadow)
{
	struct svm_vcpu *sv = xv->vendor;

	if (shadow)
		sv->vmcb->control.int_state |= SVM_INTERRUPT_SHADOW_MASK;
	else
		sv->vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
}

/* Exits. Handlers return as run() does: 1 re-enter, 0 to userspace, <0. */

typedef int (*svm_exit_handler)(struct nkvm_x86_vcpu *xv,
				struct svm_vcpu *sv);

static void svm_skip_insn(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv,
			  unsigned int len)
{
	xv->regs.rip += len;
	sv->vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
	nkvm_x86_insn_done(xv);
}

static void svm_inject_exception(struct nkvm_x86_vcpu *xv, unsigned int vector,
				 bool has_error, u32 error)
{
	nkvm_x86_queue_exception(xv, vector, has_error, error);
}

static int svm_internal_error(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv,
			      u32 suberror)
{
	const struct vmcb_control_area *ctl = &sv->vmcb->control;
	const u64 data[4] = {
		ctl->exit_code | ((u64)ctl->exit_code_hi << 32),
		ctl->exit_info_1, ctl->exit_info_2, ctl->exit_int_info,
	};

	return nkvm_x86_internal_error(xv, suberror, data);
}

static int svm_exit_unknown(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	return svm_internal_error(xv, sv,
				  KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
}

static int svm_exit_reenter(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	return 1;
}

/* A host interrupt: it ran as soon as the host enabled interrupts. */
static int svm_exit_intr(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	nkvm_stat_inc(&xv->stat.irq_exits);
	return 1;
}

static int svm_exit_ud(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	svm_inject_exception(xv, UD_VECTOR, false, 0);
	return 1;
}

static int svm_exit_gp(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	svm_inject_exception(xv, GP_VECTOR, true, 0);
	return 1;
}

static int svm_exit_mc(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	/* The host's machine check, taken while the guest ran: handle it. */
	asm volatile("int $0x12");
	return 1;
}

/*
 * #AC and #DB are intercepted always, as stock does: an exception raised
 * again while it is being delivered (#AC on a misaligned stack, #DB on a
 * breakpoint over the IDT or the stack) loops inside the CPU, which then
 * takes no interrupt and hangs the host (CVE-2015-5307, CVE-2015-8104).
 * The exit ends the loop; the exception goes back to the guest.
 */
static int svm_exit_ac(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	svm_inject_exception(xv, AC_VECTOR, true, 0);
	return 1;
}

static int svm_exit_invd(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	/* Dropping the host's caches is not the guest's to do: a no-op. */
	svm_skip_insn(xv, sv, 2);
	return 1;
}

static int svm_exit_cpuid(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	/* CPUID faulting (MISC_FEATURES_ENABLES): #GP outside ring 0. */
	if (sv->vmcb->save.cpl && nkvm_x86_cpuid_faulting(xv))
		return svm_exit_gp(xv, sv);
	/* The x86 layer answers from the KVM_SET_CPUID2 table. */
	nkvm_x86_emulate_cpuid(xv);
	svm_skip_insn(xv, sv, 2);
	return 1;
}

/*
 * RDMSR/WRMSR (EXITINFO1 1 for a write), both two bytes long. The filter
 * and the exits to userspace are msr_filter.c's; svm_complete_exit()
 * finishes one that went to userspace.
 */
static int svm_exit_msr(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	bool write = sv->vmcb->control.exit_info_1;
	u32 index = xv->regs.rcx;
	u64 data = (u32)xv->regs.rax | (xv->regs.rdx << 32);

	switch (nkvm_x86_guest_msr(xv, write, index, &data)) {
	case NKVM_X86_MSR_GP:
		return svm_exit_gp(xv, sv);
	case NKVM_X86_MSR_USER:
		return 0;
	case NKVM_X86_MSR_DONE:
		break;
	}
	if (!write) {
		xv->regs.rax = (u32)data;
		xv->regs.rdx = data >> 32;
	}
	svm_skip_insn(xv, sv, 2);
	return 1;
}

static int svm_exit_hlt(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	svm_skip_insn(xv, sv, 1);
	return nkvm_x86_halt(xv);
}

/* An IN or OUT done: RIP moved on, out of any interrupt shadow. */
static void svm_complete_pio(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	if (nkvm_x86_complete_pio(xv, &sv->pio))
		sv->vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
}

static int svm_exit_ioio(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	u64 info = sv->vmcb->control.exit_info_1;
	struct kvm_sregs sregs;
	unsigned int size;
	bool done;
	int r;

	nkvm_stat_inc(&xv->stat.io_exits);
	/* The size field is one-hot: bit 0 one byte, 1 two, 2 four. */
	size = (info & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT;
	if (size != 1 && size != 2 && size != 4)
		return svm_internal_error(xv, sv, KVM_INTERNAL_ERROR_EMULATION);
	trace_nkvm_pio(xv->vcpu.vcpu_id, info & SVM_IOIO_TYPE_MASK, info >> 16,
		       size, info & SVM_IOIO_STR_MASK);

	/* INS/OUTS: the emulator (pio.c); a stray REP on IN/OUT is ignored. */
	if (info & SVM_IOIO_STR_MASK) {
		svm_get_sregs(xv, &sregs);
		r = nkvm_x86_string_pio(xv, &sregs, &sv->strio,
					info & SVM_IOIO_TYPE_MASK, size,
					info >> 16);
		sv->vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
		return r;
	}

	r = nkvm_x86_pio(xv, &sv->pio, info & SVM_IOIO_TYPE_MASK, size,
			 info >> 16, sv->vmcb->control.exit_info_2, &done);
	if (done)
		sv->vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
	return r;
}

static int svm_complete_exit(struct nkvm_x86_vcpu *xv)
{
	struct svm_vcpu *sv = xv->vendor;
	struct kvm_sregs sregs;

	svm_complete_pio(xv, sv);
	/* An RDMSR/WRMSR userspace handled (KVM_EXIT_X86_RDMSR/WRMSR). */
	switch (nkvm_x86_complete_msr_exit(xv)) {
	case 0:
		svm_skip_insn(xv, sv, 2);
		break;
	case 1:
		svm_inject_exception(xv, GP_VECTOR, true, 0);
		break;
	}
	if (sv->strio.pending || xv->mmio.pending)
		svm_get_sregs(xv, &sregs);
	if (sv->strio.pending &&
	    nkvm_x86_complete_string_pio(xv, &sregs, &sv->strio)) {
		sv->vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
		nkvm_x86_insn_done(xv);
	}
	if (xv->mmio.pending && nkvm_x86_complete_mmio(xv, &sregs)) {
		sv->vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
		nkvm_x86_insn_done(xv);
	}
	return 0;
}

/* Nested page fault error code: an instruction fetch; in the guest's walk. */
#define NPF_FETCH		BIT_ULL(4)
#define NPF_GUEST_PAGE		BIT_ULL(33)

static int svm_exit_npf(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	u64 gpa = sv->vmcb->control.exit_info_2;
	u64 info = sv->vmcb->control.exit_info_1;
	struct kvm_sregs sregs;
	int r;

	r = svm_npt_fault(&svm_vm(xv->vcpu.vm)->npt, &sv->npt_cache,
			  xv->vcpu.vm, gpa, info);
	trace_nkvm_page_fault(xv->vcpu.vcpu_id, gpa, info, r);
	/*
	 * -EEXIST: the mapping is there; another vCPU made it after this
	 * fault. The same fault twice in a row has another cause.
	 */
	if (r == -EEXIST && gpa != sv->npf_spurious_gpa) {
		sv->npf_spurious_gpa = gpa;
		return 1;
	}
	sv->npf_spurious_gpa = -1ULL;
	if (!r || r == -EAGAIN)
		return 1;
	/*
	 * A data access outside the memslots (or a write to a read-only
	 * one): MMIO, emulated. Code or guest page tables there, and other
	 * NPF causes, are not handled.
	 */
	if (r == -ENOENT && !(info & (NPF_FETCH | NPF_GUEST_PAGE))) {
		svm_get_sregs(xv, &sregs);
		r = nkvm_x86_emulate_mmio(xv, &sregs, gpa);
		if (!r && xv->vcpu.run->exit_reason == KVM_EXIT_MMIO)
			nkvm_stat_inc(&xv->stat.mmio_exits);
		if (r > 0 || (!r && xv->vcpu.run->exit_reason == KVM_EXIT_MMIO)) {
			sv->vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
			/* A write is complete already. */
			if (!xv->mmio.pending)
				nkvm_x86_insn_done(xv);
		}
		return r;
	}
	if (r == -ENOENT || r == -EEXIST)
		return svm_internal_error(xv, sv, KVM_INTERNAL_ERROR_EMULATION);
	return r;
}

/* INIT: the VMCB, registers and events as after RESET. */
static void svm_init_vcpu(struct nkvm_x86_vcpu *xv)
{
	struct svm_vcpu *sv = xv->vendor;

	svm_init_vmcb(xv, sv);
	svm_reset_regs(xv);
	nkvm_x86_debug_reset(xv);
	sv->pio.pending = false;
	sv->strio.pending = false;
	sv->injected = NKVM_X86_SLOT_NONE;
	sv->awaiting_iret = false;
	xv->mmio.pending = false;
	memset(&xv->ev, 0, sizeof(xv->ev));
}

static int svm_exit_shutdown(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	/* The VMCB is undefined after a shutdown: INIT the vCPU, as stock. */
	svm_init_vcpu(xv);
	xv->vcpu.run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

/*
 * XSETBV (0f 01 d1; #UD without CR4.OSXSAVE comes before the intercept):
 * #GP outside ring 0 or for a value the x86 layer refuses.
 */
static int svm_exit_xsetbv(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	u64 val = (u32)xv->regs.rax | (xv->regs.rdx << 32);

	if (sv->vmcb->save.cpl || nkvm_x86_set_xcr(xv, xv->regs.rcx, val))
		return svm_exit_gp(xv, sv);
	svm_skip_insn(xv, sv, 3);
	return 1;
}

/*
 * MOV to CR0, LMSW, CLTS and MOV to CR4. The CPU checked CPL and the
 * mode; the value's rules are the x86 layer's (#GP), and without decode
 * assists the instruction is decoded here. All CR0 writes exit, not just
 * those the selective intercept sees: QEMU's TCG leaves bits 63:32 out of
 * that comparison and would let a write with them set through.
 */
static int svm_exit_cr_write(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	unsigned int cr = sv->vmcb->control.exit_code == SVM_EXIT_WRITE_CR4 ?
			  4 : 0;
	struct nkvm_x86_cr_write w;
	struct nkvm_x86_insn in;
	struct kvm_sregs sregs;

	svm_get_sregs(xv, &sregs);
	if (nkvm_x86_decode_cr_write(xv, &sregs, &in, &w) || w.cr != cr) {
		nkvm_x86_emulation_failure(xv, &in, 0);
		return 0;
	}
	if (!nkvm_x86_cr_write_valid(&sregs, cr, w.val,
				     nkvm_x86_cpuid_cr4_rsvd(xv)))
		return svm_exit_gp(xv, sv);
	if (cr == 4)
		sv->vmcb->save.cr4 = w.val;
	else
		svm_write_cr0(sv, w.val);
	xv->regs.rip = w.next_rip;
	sv->vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
	nkvm_x86_insn_done(xv);
	return 1;
}

/* The interrupt window requested by userspace opened: see svm_run(). */
static int svm_exit_vintr(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	nkvm_stat_inc(&xv->stat.irq_window_exits);
	sv->vmcb->control.int_ctl &= ~V_IRQ_INJECTION_BITS_MASK;
	svm_clr_intercept(sv->vmcb, INTERCEPT_VINTR);
	return 1;
}

/*
 * The guest's IRET while NMIs are masked: the exit comes before the IRET
 * runs. Without next-RIP we do not step over it: it runs on re-entry, and
 * NMIs are unmasked at the first exit whose RIP is elsewhere (see
 * svm_complete_events()). A pending NMI may so wait for that next exit
 * (at the latest the next host interrupt), where stock single-steps.
 */
static int svm_exit_iret(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	nkvm_stat_inc(&xv->stat.nmi_window_exits);
	svm_clr_intercept(sv->vmcb, INTERCEPT_IRET);
	sv->awaiting_iret = true;
	sv->iret_rip = xv->regs.rip;
	return 1;
}

/*
 * Guest debugging (the state is the x86 layer's, debug.c). #DB is
 * intercepted only while the debugger single-steps or has breakpoints in
 * DR0-3, #BP only while it plants INT3s: otherwise the guest takes its
 * own #DB and #BP directly, and the CPU updates its DR6 in the VMCB.
 */
static u64 svm_linear_rip(struct svm_vcpu *sv)
{
	return sv->vmcb->save.cs.base + sv->vmcb->save.rip;
}

/* The guest owns its debug registers, see svm_exit_dr(). */
static bool svm_dr_passthrough(struct svm_vcpu *sv)
{
	return !sv->vmcb->control.intercepts[INTERCEPT_DR];
}

static bool svm_debugger_db(const struct nkvm_x86_vcpu *xv)
{
	return xv->dbg.control &
	       (KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP);
}

static int svm_step_trap(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	return nkvm_x86_step_trap(xv, sv->vmcb->save.cs.base + xv->regs.rip);
}

/* Before an entry, after the registers went to the VMCB. */
static void svm_debug_enter(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	struct vmcb_save_area *save = &sv->vmcb->save;
	unsigned int db = INTERCEPT_EXCEPTION_OFFSET + DB_VECTOR;
	unsigned int bp = INTERCEPT_EXCEPTION_OFFSET + BP_VECTOR;

	/* Intercepted even without a debugger: see svm_exit_ac(). */
	svm_set_intercept(sv->vmcb, db);
	if (svm_debugger_db(xv)) {
		/* The exit then reports what this #DB set, alone. */
		save->dr6 = NKVM_X86_DR6_RESET;
	} else {
		save->dr6 = xv->dbg.dr6;
	}
	if (xv->dbg.control & KVM_GUESTDBG_USE_SW_BP)
		svm_set_intercept(sv->vmcb, bp);
	else
		svm_clr_intercept(sv->vmcb, bp);
	save->dr7 = nkvm_x86_eff_dr7(xv);
	if (nkvm_x86_stepping(xv))
		save->rflags |= X86_EFLAGS_TF;
	/* While the debugger uses DR6 or DR0-3, the guest's accesses exit. */
	if (svm_debugger_db(xv))
		sv->vmcb->control.intercepts[INTERCEPT_DR] = SVM_DR_INTERCEPTS;
}

/*
 * With interrupts off, just before VMRUN: DR0-3 are not in the VMCB, the
 * guest uses the CPU's. Load the effective ones when its DR7 enables any
 * (the host's DR7 off first, or its breakpoints would fire on guest
 * addresses); the host gets its own back after the exit (svm_run()).
 */
static void svm_load_guest_drs(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	const u64 *db = nkvm_x86_eff_db(xv);

	if (!svm_dr_passthrough(sv) &&
	    !(nkvm_x86_eff_dr7(xv) & (DR_LOCAL_ENABLE_MASK | DR_GLOBAL_ENABLE_MASK)))
		return;
	set_debugreg(0, 7);
	set_debugreg(db[0], 0);
	set_debugreg(db[1], 1);
	set_debugreg(db[2], 2);
	set_debugreg(db[3], 3);
}

/* Right after the exit, before the host's come back: what the guest set. */
static void svm_save_guest_drs(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	if (!svm_dr_passthrough(sv))
		return;
	get_debugreg(xv->dbg.db[0], 0);
	get_debugreg(xv->dbg.db[1], 1);
	get_debugreg(xv->dbg.db[2], 2);
	get_debugreg(xv->dbg.db[3], 3);
}

/* After the exit, once the registers came back from the VMCB. */
static void svm_debug_exit(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	struct vmcb_save_area *save = &sv->vmcb->save;

	if (!svm_debugger_db(xv))
		xv->dbg.dr6 = save->dr6;
	/* A #DB the guest took clears its DR7.GD. */
	if (!nkvm_x86_debugger_hw_bp(xv))
		xv->dbg.dr7 = save->dr7;
	/* As stock, RFLAGS.TF is hidden from userspace while stepping. */
	if (nkvm_x86_stepping(xv))
		xv->regs.rflags &= ~X86_EFLAGS_TF;
}

/* #DB, intercepted for the debugger: a step or one of its breakpoints. */
static int svm_exit_db(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	struct vmcb_save_area *save = &sv->vmcb->save;

	if (!svm_debugger_db(xv)) {
		/* The guest's own #DB: back to it (svm_exit_ac() says why). */
		xv->dbg.dr6 = save->dr6;
		svm_inject_exception(xv, DB_VECTOR, false, 0);
		return 1;
	}
	/* As stock, every #DB goes to the debugger, the guest's own too. */
	nkvm_x86_debug_exit(xv, DB_VECTOR, svm_linear_rip(sv), save->dr6,
			    save->dr7);
	return 0;
}

/*
 * MOV to or from a debug register. Unless the debugger single-steps or
 * uses DR0-3, the guest gets them to itself, as stock: no more DR
 * intercepts, its DR0-3 loaded before each entry and saved after it,
 * DR6/DR7 in the VMCB; the MOV runs again. Otherwise the access would
 * need emulating: not done yet.
 */
static int svm_exit_dr(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	if (svm_debugger_db(xv))
		return svm_internal_error(xv, sv, KVM_INTERNAL_ERROR_EMULATION);
	sv->vmcb->control.intercepts[INTERCEPT_DR] = 0;
	return 1;
}

/* #BP from an INT3: RIP still points at it. */
static int svm_exit_bp(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	struct vmcb_save_area *save = &sv->vmcb->save;

	if (!(xv->dbg.control & KVM_GUESTDBG_USE_SW_BP)) {
		/* Not intercepted then: the INT3 runs again, for the guest. */
		svm_clr_intercept(sv->vmcb, INTERCEPT_EXCEPTION_OFFSET + BP_VECTOR);
		return 1;
	}
	nkvm_x86_debug_exit(xv, BP_VECTOR, svm_linear_rip(sv), save->dr6,
			    save->dr7);
	return 0;
}

/*
 * Hypercalls (hypercall.c). Without next-RIP save the instruction is
 * VMMCALL's only encoding, three bytes (as MONITOR's and MWAIT's).
 */
#define SVM_HC_INSN_LEN		3

static const u8 svm_vmmcall_insn[SVM_HC_INSN_LEN] = { 0x0f, 0x01, 0xd9 };

static int svm_exit_vmmcall(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	struct vmcb_save_area *save = &sv->vmcb->save;
	bool op64 = (save->efer & EFER_LMA) &&
		    (save->cs.attrib & SVM_SELECTOR_L_MASK);
	int r = nkvm_x86_hypercall(xv, save->cpl, op64);

	if (r > 0)
		svm_skip_insn(xv, sv, SVM_HC_INSN_LEN);
	return r;
}

/* #UD, intercepted for a VMCALL to patch; any other is the guest's. */
static int svm_exit_ud_excp(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	if (!nkvm_x86_fix_hypercall(xv, svm_vmmcall_insn))
		svm_inject_exception(xv, UD_VECTOR, false, 0);
	return 1;
}

/* MONITOR / MWAIT: NOPs, or #UD (see hypercall.c). */
static int svm_exit_mwait(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	if (!nkvm_x86_mwait_is_nop(xv))
		return svm_exit_ud(xv, sv);
	svm_skip_insn(xv, sv, SVM_HC_INSN_LEN);
	return 1;
}

static const svm_exit_handler svm_exit_handlers[] = {
	[SVM_EXIT_EXCP_BASE + DB_VECTOR]	= svm_exit_db,
	[SVM_EXIT_EXCP_BASE + BP_VECTOR]	= svm_exit_bp,
	[SVM_EXIT_READ_DR0 ... SVM_EXIT_WRITE_DR7] = svm_exit_dr,
	[SVM_EXIT_EXCP_BASE + MC_VECTOR]	= svm_exit_mc,
	[SVM_EXIT_EXCP_BASE + AC_VECTOR]	= svm_exit_ac,
	[SVM_EXIT_EXCP_BASE + UD_VECTOR]	= svm_exit_ud_excp,
	[SVM_EXIT_INTR]				= svm_exit_intr,
	[SVM_EXIT_NMI]				= svm_exit_reenter,
	[SVM_EXIT_SMI]				= svm_exit_reenter,
	[SVM_EXIT_VINTR]			= svm_exit_vintr,
	[SVM_EXIT_RDPMC]			= svm_exit_gp,
	[SVM_EXIT_IRET]				= svm_exit_iret,
	[SVM_EXIT_CPUID]			= svm_exit_cpuid,
	[SVM_EXIT_INVD]				= svm_exit_invd,
	[SVM_EXIT_HLT]				= svm_exit_hlt,
	[SVM_EXIT_INVLPGA]			= svm_exit_ud,
	[SVM_EXIT_IOIO]				= svm_exit_ioio,
	[SVM_EXIT_MSR]				= svm_exit_msr,
	[SVM_EXIT_SHUTDOWN]			= svm_exit_shutdown,
	[SVM_EXIT_VMRUN]			= svm_exit_ud,
	[SVM_EXIT_VMMCALL]			= svm_exit_vmmcall,
	[SVM_EXIT_VMLOAD]			= svm_exit_ud,
	[SVM_EXIT_VMSAVE]			= svm_exit_ud,
	[SVM_EXIT_STGI]				= svm_exit_ud,
	[SVM_EXIT_CLGI]				= svm_exit_ud,
	[SVM_EXIT_SKINIT]			= svm_exit_ud,
	[SVM_EXIT_MONITOR]			= svm_exit_mwait,
	[SVM_EXIT_MWAIT]			= svm_exit_mwait,
	[SVM_EXIT_XSETBV]			= svm_exit_xsetbv,
	[SVM_EXIT_WRITE_CR0]			= svm_exit_cr_write,
	[SVM_EXIT_WRITE_CR4]			= svm_exit_cr_write,
	[SVM_EXIT_RDPRU]			= svm_exit_ud,
	[SVM_EXIT_RDTSCP]			= svm_exit_ud,
	[SVM_EXIT_NPF]				= svm_exit_npf,
};

/*
 * After an exit: the event the entry injected was delivered unless the
 * exit interrupted its delivery; such an event goes back to its slot
 * (events.c says which).
 */
static void svm_complete_events(struct nkvm_x86_vcpu *xv,
				struct svm_vcpu *sv)
{
	struct vmcb_control_area *ctl = &sv->vmcb->control;
	u32 info = ctl->exit_int_info;
	u32 type = info & SVM_EXITINTINFO_TYPE_MASK;
	u8 vector = info & SVM_EXITINTINFO_VEC_MASK;
	bool soft = sv->injected == NKVM_X86_SLOT_IRQ && xv->ev.irq_soft;

	if (sv->awaiting_iret && xv->regs.rip != sv->iret_rip) {
		sv->awaiting_iret = false;
		xv->ev.nmi_masked = false;
	}

	nkvm_x86_event_delivered(xv, sv->injected);
	sv->injected = NKVM_X86_SLOT_NONE;
	ctl->event_inj = 0;
	if (!(info & SVM_EXITINTINFO_VALID))
		return;

	switch (type) {
	case SVM_EXITINTINFO_TYPE_NMI:
		nkvm_x86_requeue_event(xv, NKVM_X86_REQUEUE_NMI, vector,
				       false, 0, false);
		break;
	case SVM_EXITINTINFO_TYPE_EXEPT:
		/* INT3 and INTO: the instruction runs again. */
		if (vector == BP_VECTOR || vector == OF_VECTOR)
			break;
		nkvm_x86_requeue_event(xv, NKVM_X86_REQUEUE_EXC, vector,
				       info & SVM_EXITINTINFO_VALID_ERR,
				       ctl->exit_int_info_err, false);
		break;
	case SVM_EXITINTINFO_TYPE_INTR:
		nkvm_x86_requeue_event(xv, NKVM_X86_REQUEUE_IRQ, vector,
				       false, 0, false);
		break;
	case SVM_EXITINTINFO_TYPE_SOFT:
		nkvm_x86_requeue_event(xv, NKVM_X86_REQUEUE_SOFT_IRQ, vector,
				       false, 0, soft);
		break;
	}
}

/*
 * Before an entry: inject the event events.c chooses; intercept IRET
 * while NMIs are masked, and VINTR while userspace or the LAPIC waits for
 * an interrupt window.
 */
static void svm_inject_events(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	struct vmcb_control_area *ctl = &sv->vmcb->control;
	struct nkvm_x86_events *ev = &xv->ev;
	bool window;

	sv->injected = nkvm_x86_next_event(xv, ctl->int_state &
					   SVM_INTERRUPT_SHADOW_MASK,
					   false, &window);
	ctl->event_inj = 0;
	switch (sv->injected) {
	case NKVM_X86_SLOT_EXC:
		ctl->event_inj = ev->exc_nr | SVM_EVTINJ_TYPE_EXEPT |
				 SVM_EVTINJ_VALID;
		/* Real mode pushes no error code. */
		if (ev->exc_has_error && (sv->vmcb->save.cr0 & X86_CR0_PE)) {
			ctl->event_inj |= SVM_EVTINJ_VALID_ERR;
			ctl->event_inj_err = ev->exc_error;
		}
		break;
	case NKVM_X86_SLOT_NMI:
		nkvm_stat_inc(&xv->stat.nmi_injections);
		ctl->event_inj = NMI_VECTOR | SVM_EVTINJ_TYPE_NMI |
				 SVM_EVTINJ_VALID;
		break;
	case NKVM_X86_SLOT_IRQ:
		nkvm_stat_inc(&xv->stat.irq_injections);
		ctl->event_inj = ev->irq_nr | SVM_EVTINJ_VALID |
				 (ev->irq_soft ? SVM_EVTINJ_TYPE_SOFT :
						 SVM_EVTINJ_TYPE_INTR);
		break;
	case NKVM_X86_SLOT_NONE:
		break;
	}
	trace_nkvm_inject(xv->vcpu.vcpu_id, ctl->event_inj, ctl->event_inj_err);

	if (!ev->nmi_masked)
		sv->awaiting_iret = false;
	if (ev->nmi_masked && !sv->awaiting_iret)
		svm_set_intercept(sv->vmcb, INTERCEPT_IRET);
	else
		svm_clr_intercept(sv->vmcb, INTERCEPT_IRET);

	if (window) {
		ctl->int_ctl &= ~V_IRQ_INJECTION_BITS_MASK;
		ctl->int_ctl |= V_IRQ_MASK | V_IGN_TPR_MASK |
				(0xf << V_INTR_PRIO_SHIFT);
		svm_set_intercept(sv->vmcb, INTERCEPT_VINTR);
	} else {
		ctl->int_ctl &= ~V_IRQ_INJECTION_BITS_MASK;
		svm_clr_intercept(sv->vmcb, INTERCEPT_VINTR);
	}
}

static int svm_handle_exit(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv,
			   unsigned int cpu)
{
	struct vmcb_control_area *ctl = &sv->vmcb->control;
	u64 code = ctl->exit_code | ((u64)ctl->exit_code_hi << 32);
	struct kvm_run *run = xv->vcpu.run;

	trace_nkvm_exit(xv->vcpu.vcpu_id, false, code, xv->regs.rip,
			ctl->exit_info_1, ctl->exit_info_2);
	if (code == (u64)SVM_EXIT_ERR) {
		run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_entry_failure_reason = code;
		run->fail_entry.cpu = cpu;
		return 0;
	}
	svm_complete_events(xv, sv);
	if (code < ARRAY_SIZE(svm_exit_handlers) && svm_exit_handlers[code])
		return svm_exit_handlers[code](xv, sv);
	return svm_exit_unknown(xv, sv);
}

static void svm_regs_to_guest(struct nkvm_x86_vcpu *xv, struct svm_vcpu *sv)
{
	const struct kvm_regs *r = &xv->regs;
	unsigned long *g = sv->gprs;

	sv->vmcb->save.rax = r->rax;
	sv->vmcb->save.rsp = r->rsp;
	sv->vmcb->save.rip = r->rip;
	sv->vmcb->save.rflags = r->rflags;
	g[SVM_RCX] = r->rcx;
	g[SVM_RDX] = r->rdx;
	g[SVM_RBX] = r->rbx;
	g[SVM_RBP] = r->rbp;
	g[SVM_RSI] = r->rsi;
	g[SVM_RDI] = r->rdi;
	g[SVM_R8] = r->r8;
	g[SVM_R9] = r->r9;
	g[SVM_R10] = r->r10;
	g[SVM_R11] = r->r11;
	g[SVM_R12] = r->r12;
	g[SVM_R13] = r->r13;
	g[SVM_R14] = r->r14;
	g[SVM_R15] = r->r15;
}

static void svm_regs_from_guest(struct nkvm_x86_vcpu *xv,
				struct svm_vcpu *sv)
{
	struct kvm_regs *r = &xv->regs;
	const unsigned long *g = sv->gprs;

	r->rax = sv->vmcb->save.rax;
	r->rsp = sv->vmcb->save.rsp;
	r->rip = sv->vmcb->save.rip;
	r->rflags = sv->vmcb->save.rflags;
	r->rcx = g[SVM_RCX];
	r->rdx = g[SVM_RDX];
	r->rbx = g[SVM_RBX];
	r->rbp = g[SVM_RBP];
	r->rsi = g[SVM_RSI];
	r->rdi = g[SVM_RDI];
	r->r8 = g[SVM_R8];
	r->r9 = g[SVM_R9];
	r->r10 = g[SVM_R10];
	r->r11 = g[SVM_R11];
	r->r12 = g[SVM_R12];
	r->r13 = g[SVM_R13];
	r->r14 = g[SVM_R14];
	r->r15 = g[SVM_R15];
}

/*
 * TSC_AUX (what RDTSCP and RDPID return in ECX) is the host's CPU number
 * outside the guest; the guest's value is loaded only around VMRUN, with
 * interrupts off, so nothing in the host ever reads it. The guest cannot
 * write it without an exit: MSR accesses are all intercepted.
 */
static u64 svm_load_guest_tsc_aux(struct nkvm_x86_vcpu *xv)
{
	u64 host = 0;

	if (!boot_cpu_has(X86_FEATURE_RDTSCP))
		return 0;
	rdmsrl(MSR_TSC_AUX, host);
	if (host != xv->msrs.tsc_aux)
		wrmsrl(MSR_TSC_AUX, xv->msrs.tsc_aux);
	return host;
}

static void svm_load_host_tsc_aux(struct nkvm_x86_vcpu *xv, u64 host)
{
	if (boot_cpu_has(X86_FEATURE_RDTSCP) && host != xv->msrs.tsc_aux)
		wrmsrl(MSR_TSC_AUX, host);
}

static int svm_run(struct nkvm_x86_vcpu *xv)
{
	struct svm_vcpu *sv = xv->vendor;
	struct vmcb_control_area *ctl = &sv->vmcb->control;
	struct svm_cpu *sc;
	unsigned int cpu;
	u64 host_tsc_aux;

	/* A step over an instruction we completed traps first. */
	if (xv->dbg.step_trap && !svm_step_trap(xv, sv))
		return 0;

	svm_regs_to_guest(xv, sv);
	/* Kicks from now on stop the entry: see virt/kvm/kick.c. */
	nkvm_vcpu_clear_kick(&xv->vcpu);
	/* The guest's CR8 is the LAPIC's TPR. */
	if (xv->lapic)
		ctl->int_ctl = (ctl->int_ctl & ~V_TPR_MASK) |
			       nkvm_x86_lapic_get_cr8(xv);
	svm_inject_events(xv, sv);
	nkvm_x86_vapic_enter(xv);
	svm_debug_enter(xv, sv);
	ctl->tsc_offset = xv->tsc_offset;
	/* As stock: RDTSCP raises #UD unless the guest's CPUID offers it. */
	if (xv->has_rdtscp)
		svm_clr_intercept(sv->vmcb, INTERCEPT_RDTSCP);
	else
		svm_set_intercept(sv->vmcb, INTERCEPT_RDTSCP);
	ctl->tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
	ctl->clean = 0;

	local_irq_disable();
	cpu = smp_processor_id();
	sc = this_cpu_ptr(&svm_cpu);
	if (unlikely(!sc->enabled)) {
		/* Rebooting, or the CPU is going away. */
		local_irq_enable();
		return -EIO;
	}
	if (!nkvm_vcpu_enter_guest(&xv->vcpu)) {
		/*
		 * Kicked: look for events again; the slots keep theirs. The
		 * guest's FPU state stays the thread's until vcpu_run_end.
		 */
		local_irq_enable();
		nkvm_x86_vapic_exit(xv);
		return 1;
	}
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	trace_nkvm_entry(xv->vcpu.vcpu_id, sv->vmcb->save.rip);

	svm_load_guest_drs(xv, sv);
	svm_clgi();
	nkvm_x86_load_guest_xcr0(xv);
	host_tsc_aux = svm_load_guest_tsc_aux(xv);
	__svm_vmrun(sv->vmcb_pa, svm_page_pa(sc->host_vmcb), sv->gprs);
	svm_load_host_tsc_aux(xv, host_tsc_aux);
	nkvm_vcpu_exit_guest(&xv->vcpu);
	svm_save_guest_drs(xv, sv);
	/* Before anything in the host may XSAVE: the host's XCR0. */
	nkvm_x86_load_host_xcr0(xv);
	/*
	 * #VMEXIT resets DR7: give the host its breakpoints back. DR6 is the
	 * guest's now: leave none of its bits for the host's #DB handler.
	 */
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	else if (sv->vmcb->save.dr6 != DR6_RESERVED)
		set_debugreg(DR6_RESERVED, 6);
	svm_stgi();
	local_irq_enable();

	nkvm_stat_inc(&xv->stat.exits);
	svm_regs_from_guest(xv, sv);
	if (xv->lapic)
		nkvm_x86_lapic_set_cr8(xv, ctl->int_ctl & V_TPR_MASK);
	svm_debug_exit(xv, sv);
	nkvm_x86_vapic_exit(xv);
	return svm_handle_exit(xv, sv, cpu);
}

static void svm_kick(void *unused)
{
}

static bool svm_mmu_unmap(struct nkvm_x86_vm *xvm, nkvm_gfn_t start,
			  nkvm_gfn_t end)
{
	struct svm_vm *svm = xvm->vendor;

	return svm && svm_npt_unmap(&svm->npt, start, end);
}

static bool svm_mmu_write_protect(struct nkvm_x86_vm *xvm, nkvm_gfn_t start,
				  nkvm_gfn_t end)
{
	struct svm_vm *svm = xvm->vendor;

	return svm && svm_npt_write_protect(&svm->npt, start, end);
}

/*
 * After the nested table changed: make every CPU leave guest mode (the
 * IPI exits the guest). Each VMRUN flushes the guest's TLB, so a vCPU
 * that enters again sees the new table.
 */
static void svm_mmu_flush(struct nkvm_x86_vm *xvm)
{
	on_each_cpu(svm_kick, NULL, 1);
}

const struct nkvm_x86_vendor nkvm_svm_vendor = {
	.name			= "svm",
	.probe			= svm_probe,
	.hardware_setup		= svm_hardware_setup,
	.hardware_unsetup	= svm_hardware_unsetup,
	.vcpu_create		= svm_vcpu_create,
	.vcpu_destroy		= svm_vcpu_destroy,
	.get_sregs		= svm_get_sregs,
	.set_sregs		= svm_set_sregs,
	.get_msr		= svm_get_msr,
	.set_msr		= svm_set_msr,
	.vm_init		= svm_vm_init,
	.vm_destroy		= svm_vm_destroy,
	.mmu_unmap		= svm_mmu_unmap,
	.mmu_write_protect	= svm_mmu_write_protect,
	.mmu_flush		= svm_mmu_flush,
	.get_interrupt_shadow	= svm_get_interrupt_shadow,
	.set_interrupt_shadow	= svm_set_interrupt_shadow,
	.complete_exit		= svm_complete_exit,
	.init_vcpu		= svm_init_vcpu,
	.run			= svm_run,
	/* AMD reserves MCG_CAP bits 63:9: a guest keeps 8:0, as stock's SVM. */
	.mcg_cap_bits		= 0x1ff,
};
