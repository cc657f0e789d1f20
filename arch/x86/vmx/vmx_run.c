// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VMX: one guest entry and its exit, around vmx_vmenter.S.
 *
 * The host state, and who restores it (Documentation/arch-ops.md
 * has the whole list). With interrupts off from just before the entry to
 * after the host is whole again:
 *  - by the VM exit, from the VMCS host-state area: CR0, CR3, CR4 (written
 *    before each entry if they changed), RSP, RIP, CS/SS/DS/ES/TR
 *    selectors, the FS, GS, TR, GDTR and IDTR bases, SYSENTER_CS/ESP/EIP,
 *    PAT and EFER (the exit controls load them);
 *  - by the VM exit, from the VM-exit MSR-load area: STAR, LSTAR, SFMASK,
 *    KERNEL_GS_BASE (read before each entry: it is the thread's user GS
 *    base), TSC_AUX; the guest's are loaded at entry and stored at exit;
 *  - here, after the exit (vmx_host_restore()): DS and ES, FS and GS with
 *    their selectors as userspace had them (and FS base, KERNEL_GS_BASE
 *    again where reloading a selector changed them), the LDT, the GDT limit
 *    (the exit sets 0xffff), the IDT limit (0xffff too), the TSS limit (the
 *    exit sets 0x67; invalidate_tss_limit()), DEBUGCTL (the exit clears
 *    it), DR0-3/DR6/DR7 (the guest's are in the CPU; DR7 reset by the exit),
 *    CR2 (the guest's is in the CPU) and XCR0 (fpu.c);
 *  - the FPU/XSAVE registers: the guest's fpstate is the thread's for all
 *    of KVM_RUN (x86.c, fpu.c); the entry reloads them if TIF_NEED_FPU_LOAD.
 * The VMCS is current on this CPU with preemption off from vmx_vmcs_get()
 * until after the exit is read; the exit handlers run preemptible and take
 * the VMCS again where they need it.
 */
#include <nkvm/trace.h>

#include "irqchip/irqchip.h"
#include "vmx.h"

#include <linux/hw_breakpoint.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

/* Exceptions that push an error code in protected mode (VM entry checks it). */
#define VMX_EXC_ERROR_CODE	(BIT(DF_VECTOR) | BIT(TS_VECTOR) | \
				 BIT(NP_VECTOR) | BIT(SS_VECTOR) | \
				 BIT(GP_VECTOR) | BIT(PF_VECTOR) | \
				 BIT(AC_VECTOR))
#define VMX_DR6_BS		BIT(14)	/* pending debug exceptions: BS */

/* The host state put back after the exit, saved with interrupts off. */
struct vmx_host {
	u16 ds, es, fs, gs, ldt;
	u64 fs_base;
	u64 debugctl;
	struct desc_ptr idt;
};

static void vmx_regs_to_guest(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	const struct kvm_regs *r = &xv->regs;
	unsigned long *g = vv->gprs;

	g[VMX_RAX] = r->rax;
	g[VMX_RCX] = r->rcx;
	g[VMX_RDX] = r->rdx;
	g[VMX_RBX] = r->rbx;
	g[VMX_RBP] = r->rbp;
	g[VMX_RSI] = r->rsi;
	g[VMX_RDI] = r->rdi;
	g[VMX_R8] = r->r8;
	g[VMX_R9] = r->r9;
	g[VMX_R10] = r->r10;
	g[VMX_R11] = r->r11;
	g[VMX_R12] = r->r12;
	g[VMX_R13] = r->r13;
	g[VMX_R14] = r->r14;
	g[VMX_R15] = r->r15;
	vmx_vmwrite(GUEST_RSP, r->rsp);
	vmx_vmwrite(GUEST_RIP, r->rip);
}

static void vmx_regs_from_guest(struct nkvm_x86_vcpu *xv,
				struct vmx_vcpu *vv)
{
	struct kvm_regs *r = &xv->regs;
	const unsigned long *g = vv->gprs;

	r->rax = g[VMX_RAX];
	r->rcx = g[VMX_RCX];
	r->rdx = g[VMX_RDX];
	r->rbx = g[VMX_RBX];
	r->rbp = g[VMX_RBP];
	r->rsi = g[VMX_RSI];
	r->rdi = g[VMX_RDI];
	r->r8 = g[VMX_R8];
	r->r9 = g[VMX_R9];
	r->r10 = g[VMX_R10];
	r->r11 = g[VMX_R11];
	r->r12 = g[VMX_R12];
	r->r13 = g[VMX_R13];
	r->r14 = g[VMX_R14];
	r->r15 = g[VMX_R15];
	r->rsp = vmx_vmread(GUEST_RSP);
	r->rip = vmx_vmread(GUEST_RIP);
	r->rflags = vmx_vmread(GUEST_RFLAGS);
}

/* ---- guest debugging (the state is the x86 layer's, debug.c) ---- */

static bool vmx_debugger_db(const struct nkvm_x86_vcpu *xv)
{
	return xv->dbg.control &
	       (KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP);
}

/* The guest owns its debug registers: MOV DR does not exit. */
static bool vmx_dr_passthrough(struct vmx_vcpu *vv)
{
	return !(vv->proc & CPU_BASED_MOV_DR_EXITING);
}

/*
 * Before an entry, VMCS current: #DB always exits (svm.c's CVE note), #BP
 * while the debugger plants INT3s; the effective DR7; TF while stepping;
 * DR accesses exit while the debugger uses the registers.
 */
static void vmx_debug_enter(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv,
			    unsigned long *rflags)
{
	u32 exc = vv->exc_bitmap;

	if (xv->dbg.control & KVM_GUESTDBG_USE_SW_BP)
		exc |= BIT(BP_VECTOR);
	else
		exc &= ~BIT(BP_VECTOR);
	if (exc != vv->exc_bitmap) {
		vv->exc_bitmap = exc;
		vmx_vmwrite(EXCEPTION_BITMAP, exc);
	}
	vmx_vmwrite(GUEST_DR7, nkvm_x86_eff_dr7(xv));
	if (nkvm_x86_stepping(xv))
		*rflags |= X86_EFLAGS_TF;
	if (vmx_debugger_db(xv) && vmx_dr_passthrough(vv))
		vv->proc |= CPU_BASED_MOV_DR_EXITING;
}

/*
 * Interrupts off, just before the entry: DR0-3 and DR6 are not in the
 * VMCS, the guest uses the CPU's. Load the effective ones when the guest
 * owns them or its DR7 enables any (the host's DR7 off first, or its
 * breakpoints would fire on guest addresses meanwhile).
 */
static bool vmx_load_guest_drs(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	const u64 *db = nkvm_x86_eff_db(xv);

	if (!vmx_dr_passthrough(vv) &&
	    !(nkvm_x86_eff_dr7(xv) & (DR_LOCAL_ENABLE_MASK | DR_GLOBAL_ENABLE_MASK)))
		return false;
	set_debugreg(0, 7);
	set_debugreg(db[0], 0);
	set_debugreg(db[1], 1);
	set_debugreg(db[2], 2);
	set_debugreg(db[3], 3);
	if (vmx_dr_passthrough(vv))
		set_debugreg(xv->dbg.dr6, 6);
	return true;
}

/* Right after the exit, before the host's come back: what the guest set. */
static void vmx_save_guest_drs(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	if (!vmx_dr_passthrough(vv))
		return;
	get_debugreg(xv->dbg.db[0], 0);
	get_debugreg(xv->dbg.db[1], 1);
	get_debugreg(xv->dbg.db[2], 2);
	get_debugreg(xv->dbg.db[3], 3);
	get_debugreg(xv->dbg.dr6, 6);
}

/* After the exit, with the exit's registers read. */
static void vmx_debug_exit(struct nkvm_x86_vcpu *xv, unsigned long dr7)
{
	/* A #DB the guest took clears its DR7.GD. */
	if (!nkvm_x86_debugger_hw_bp(xv))
		xv->dbg.dr7 = dr7;
	/* As stock, RFLAGS.TF is hidden from userspace while stepping. */
	if (nkvm_x86_stepping(xv))
		xv->regs.rflags &= ~X86_EFLAGS_TF;
}

/* ---- events ---- */

/*
 * Before an entry, VMCS current: the VM-entry interruption information
 * for the slot chosen (events.c), the window exits, the interruptibility
 * state (NMI blocking is ev->nmi_masked; an STI shadow with IF clear
 * becomes a MOV SS one, which VM entry accepts).
 */
static void vmx_inject(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv,
		       unsigned int slot, bool window, unsigned long rflags)
{
	struct nkvm_x86_events *ev = &xv->ev;
	u32 info = 0, state = vv->intr_state;
	u32 len = 0;

	vv->injected = slot;
	switch (slot) {
	case NKVM_X86_SLOT_EXC:
		info = ev->exc_nr | INTR_TYPE_HARD_EXCEPTION |
		       INTR_INFO_VALID_MASK;
		/* Real mode pushes no error code; the vector says the rest. */
		if ((vv->cr0 & X86_CR0_PE) &&
		    (BIT(ev->exc_nr) & VMX_EXC_ERROR_CODE)) {
			info |= INTR_INFO_DELIVER_CODE_MASK;
			vmx_vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE,
				    ev->exc_has_error ? ev->exc_error : 0);
		}
		break;
	case NKVM_X86_SLOT_NMI:
		nkvm_stat_inc(&xv->stat.nmi_injections);
		info = NMI_VECTOR | INTR_TYPE_NMI_INTR | INTR_INFO_VALID_MASK;
		break;
	case NKVM_X86_SLOT_IRQ:
		nkvm_stat_inc(&xv->stat.irq_injections);
		info = ev->irq_nr | INTR_INFO_VALID_MASK;
		/*
		 * Userspace's soft interrupt has no instruction to step over:
		 * a length of 0 where the CPU takes one, else it goes in as
		 * an external interrupt.
		 */
		if (ev->irq_soft && (vmx_caps.misc & VMX_MISC_ZERO_LEN_INS))
			info |= INTR_TYPE_SOFT_INTR;
		else
			info |= INTR_TYPE_EXT_INTR;
		break;
	}
	vmx_vmwrite(VM_ENTRY_INTR_INFO_FIELD, info);
	if (info & INTR_TYPE_SOFT_INTR)
		vmx_vmwrite(VM_ENTRY_INSTRUCTION_LEN, len);
	trace_nkvm_inject(xv->vcpu.vcpu_id, info, ev->exc_error);

	if (window)
		vv->proc |= CPU_BASED_INTR_WINDOW_EXITING;
	else
		vv->proc &= ~CPU_BASED_INTR_WINDOW_EXITING;
	/* An NMI that could not go in now: exit once NMIs are unblocked. */
	if (ev->nmi_pending && slot != NKVM_X86_SLOT_NMI)
		vv->proc |= CPU_BASED_NMI_WINDOW_EXITING;
	else
		vv->proc &= ~CPU_BASED_NMI_WINDOW_EXITING;

	state &= ~GUEST_INTR_STATE_NMI;
	if (ev->nmi_masked && slot != NKVM_X86_SLOT_NMI)
		state |= GUEST_INTR_STATE_NMI;
	if ((state & GUEST_INTR_STATE_STI) && !(rflags & X86_EFLAGS_IF))
		state = (state & ~GUEST_INTR_STATE_STI) |
			GUEST_INTR_STATE_MOV_SS;
	vmx_vmwrite(GUEST_INTERRUPTIBILITY_INFO, state);
	/* A single step pending under a shadow is VM entry's rule too. */
	if ((rflags & X86_EFLAGS_TF) &&
	    (state & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)))
		vmx_vmwrite(GUEST_PENDING_DBG_EXCEPTIONS,
			    vmx_vmread(GUEST_PENDING_DBG_EXCEPTIONS) |
			    VMX_DR6_BS);
}

/*
 * After the exit: the event the entry injected was delivered unless the
 * exit interrupted its delivery (IDT-vectoring information), which puts it
 * back (events.c). An IRET whose fault caused the exit unblocked NMIs:
 * it runs again, so they are blocked again.
 */
static void vmx_complete_events(struct nkvm_x86_vcpu *xv,
				struct vmx_vcpu *vv)
{
	u32 info = vv->exit.vect_info;
	u8 vector = info & VECTORING_INFO_VECTOR_MASK;
	bool soft = vv->injected == NKVM_X86_SLOT_IRQ && xv->ev.irq_soft;
	u32 basic = (u16)vv->exit.reason;

	xv->ev.nmi_masked = vv->intr_state & GUEST_INTR_STATE_NMI;
	if (!(info & VECTORING_INFO_VALID_MASK) &&
	    ((basic == EXIT_REASON_EXCEPTION_NMI &&
	      (vv->exit.intr_info & INTR_INFO_UNBLOCK_NMI)) ||
	     (basic == EXIT_REASON_EPT_VIOLATION &&
	      (vv->exit.qual & INTR_INFO_UNBLOCK_NMI))))
		xv->ev.nmi_masked = true;

	nkvm_x86_event_delivered(xv, vv->injected);
	vv->injected = NKVM_X86_SLOT_NONE;
	if (!(info & VECTORING_INFO_VALID_MASK))
		return;

	switch (info & VECTORING_INFO_TYPE_MASK) {
	case INTR_TYPE_NMI_INTR:
		nkvm_x86_requeue_event(xv, NKVM_X86_REQUEUE_NMI, vector,
				       false, 0, false);
		xv->ev.nmi_masked = true;
		break;
	case INTR_TYPE_HARD_EXCEPTION:
		nkvm_x86_requeue_event(xv, NKVM_X86_REQUEUE_EXC, vector,
				       info & VECTORING_INFO_DELIVER_CODE_MASK,
				       vv->exit.vect_error, false);
		break;
	case INTR_TYPE_EXT_INTR:
		nkvm_x86_requeue_event(xv, NKVM_X86_REQUEUE_IRQ, vector,
				       false, 0, false);
		break;
	case INTR_TYPE_SOFT_INTR:
		nkvm_x86_requeue_event(xv, NKVM_X86_REQUEUE_SOFT_IRQ, vector,
				       false, 0, soft);
		break;
	}
	/* INT3, INTO, INT1: the instruction runs again. */
}

/* ---- the world switch ---- */

/* Interrupts off, right before the entry. */
static void vmx_host_save(struct vmx_vcpu *vv, struct vmx_host *h)
{
	unsigned long cr3 = __read_cr3(), cr4 = cr4_read_shadow();
	unsigned long cr0 = read_cr0();

	if (cr0 != vv->host_cr0) {
		vv->host_cr0 = cr0;
		vmx_vmwrite(HOST_CR0, cr0);
	}
	if (cr3 != vv->host_cr3) {
		vv->host_cr3 = cr3;
		vmx_vmwrite(HOST_CR3, cr3);
	}
	if (cr4 != vv->host_cr4) {
		vv->host_cr4 = cr4;
		vmx_vmwrite(HOST_CR4, cr4);
	}
	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	store_ldt(h->ldt);
	store_idt(&h->idt);
	rdmsrl(MSR_FS_BASE, h->fs_base);
	vmx_vmwrite(HOST_FS_BASE, h->fs_base);
	rdmsrl(MSR_KERNEL_GS_BASE, vv->msrs->host[VMX_MSR_KGS_BASE].value);
	h->debugctl = get_debugctlmsr();
}

/* Interrupts off, right after the exit: see the top of the file. */
static void vmx_host_restore(struct vmx_vcpu *vv, const struct vmx_host *h)
{
	if (h->ldt)
		asm volatile("lldt %0" : : "rm" (h->ldt));
	if (h->gs) {
		/* The selector's base lands in KERNEL_GS_BASE: put it back. */
		load_gs_index(h->gs);
		wrmsrl(MSR_KERNEL_GS_BASE,
		       vv->msrs->host[VMX_MSR_KGS_BASE].value);
	}
	if (h->fs) {
		loadsegment(fs, h->fs);
		wrmsrl(MSR_FS_BASE, h->fs_base);
	}
	if (h->ds != __KERNEL_DS)
		loadsegment(ds, h->ds);
	if (h->es != __KERNEL_DS)
		loadsegment(es, h->es);
	load_fixmap_gdt(smp_processor_id());
	load_idt(&h->idt);
	invalidate_tss_limit();
	if (h->debugctl)
		update_debugctlmsr(h->debugctl);
}

/* The exit's fields, VMCS current. */
static void vmx_read_exit(struct vmx_vcpu *vv)
{
	struct vmx_exit_info *e = &vv->exit;

	e->reason = vmx_vmread(VM_EXIT_REASON);
	e->qual = vmx_vmread(EXIT_QUALIFICATION);
	e->intr_info = vmx_vmread(VM_EXIT_INTR_INFO);
	e->intr_error = vmx_vmread(VM_EXIT_INTR_ERROR_CODE);
	e->vect_info = vmx_vmread(IDT_VECTORING_INFO_FIELD);
	e->vect_error = vmx_vmread(IDT_VECTORING_ERROR_CODE);
	e->insn_len = vmx_vmread(VM_EXIT_INSTRUCTION_LEN);
	e->gpa = vmx_vmread(GUEST_PHYSICAL_ADDRESS);
	vv->intr_state = vmx_vmread(GUEST_INTERRUPTIBILITY_INFO);
}

/* An NMI or a machine check of the host's made the exit: handle it now. */
static void vmx_host_event(struct vmx_vcpu *vv)
{
	u32 info = vv->exit.intr_info;

	if ((u16)vv->exit.reason != EXIT_REASON_EXCEPTION_NMI ||
	    !(info & INTR_INFO_VALID_MASK))
		return;
	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
		asm volatile("int $2");
	else if ((info & INTR_INFO_VECTOR_MASK) == MC_VECTOR)
		asm volatile("int $0x12");
}

/*
 * Before anything else of the entry, preemptible: the PDPTEs of PAE
 * paging, which VM entry loads from the VMCS, read from guest memory
 * when CR0/CR3/CR4 changed outside the guest. Bits a PDPTE reserves are
 * dropped: VM entry would fail on them.
 */
static bool vmx_read_pdptrs(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv,
			    u64 *pdptrs)
{
	u64 rsvd = GENMASK_ULL(63, boot_cpu_data.x86_phys_bits) |
		   GENMASK_ULL(8, 5) | GENMASK_ULL(2, 1);
	unsigned long cr3;
	unsigned int i;

	if (!vv->load_pdptrs)
		return false;
	vv->load_pdptrs = false;
	if (!(vv->cr0 & X86_CR0_PG) || !(vv->cr4 & X86_CR4_PAE) ||
	    (vv->efer & EFER_LMA))
		return false;
	if (vmx_vmcs_get(vv))
		return false;
	cr3 = vmx_vmread(GUEST_CR3);
	vmx_vmcs_put();
	if (nkvm_read_guest(xv->vcpu.vm, cr3 & ~0x1fUL, pdptrs, 4 * sizeof(u64)))
		memset(pdptrs, 0, 4 * sizeof(u64));
	for (i = 0; i < 4; i++)
		if (pdptrs[i] & 1)
			pdptrs[i] &= ~rsvd;
	return true;
}

static void vmx_set_controls(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	u32 proc2 = vmx_caps.proc2 | (vv->vpid ? SECONDARY_EXEC_ENABLE_VPID : 0);

	/* As stock: RDTSCP and INVPCID are #UD unless the CPUID offers them. */
	if (xv->has_rdtscp)
		proc2 |= vmx_caps.proc2_opt & SECONDARY_EXEC_ENABLE_RDTSCP;
	if (nkvm_x86_guest_has(xv, X86_FEATURE_INVPCID))
		proc2 |= vmx_caps.proc2_opt & SECONDARY_EXEC_ENABLE_INVPCID;
	if (proc2 != vv->proc2) {
		vv->proc2 = proc2;
		vmx_vmwrite(SECONDARY_VM_EXEC_CONTROL, proc2);
	}
	vmx_vmwrite(CPU_BASED_VM_EXEC_CONTROL, vv->proc);
	vmx_vmwrite(TSC_OFFSET, xv->tsc_offset);
	if (vmx_caps.preempt_ticks)
		vmx_vmwrite(VMX_PREEMPTION_TIMER_VALUE, vmx_caps.preempt_ticks);
	vv->msrs->guest[VMX_MSR_TSC_AUX].value = xv->msrs.tsc_aux;
}

/*
 * With interrupts off, right before the entry: stale translations of
 * this guest (a new CPU, CR changes from outside, EPT mappings gone).
 */
static void vmx_flush_before_entry(struct nkvm_x86_vcpu *xv,
				   struct vmx_vcpu *vv)
{
	int gen = atomic_read(&vmx_vm(xv)->ept.gen);

	if (vv->flush_tlb || gen != vv->ept_gen) {
		vv->flush_tlb = false;
		vv->ept_gen = gen;
		vmx_flush_guest_tlb(vv);
	}
}

static int vmx_fail_entry(struct nkvm_x86_vcpu *xv, u64 reason,
			  unsigned int cpu)
{
	struct kvm_run *run = xv->vcpu.run;

	run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_entry_failure_reason = reason;
	run->fail_entry.cpu = cpu;
	return 0;
}

int vmx_run(struct nkvm_x86_vcpu *xv)
{
	struct vmx_vcpu *vv = xv->vendor;
	unsigned long rflags = xv->regs.rflags;
	struct vmx_host host;
	bool window, pdptrs, drs;
	unsigned int slot, cpu;
	u64 pdptr[4], err;
	int i, fail;

	/* A step over an instruction we completed traps first. */
	if (xv->dbg.step_trap) {
		if (vmx_vmcs_get(vv))
			return -EIO;
		i = nkvm_x86_step_trap(xv, vmx_vmread(GUEST_CS_BASE) +
					   xv->regs.rip);
		vmx_vmcs_put();
		if (!i)
			return 0;
	}
	pdptrs = vmx_read_pdptrs(xv, vv, pdptr);

	/* Kicks from now on stop the entry: see virt/kvm/kick.c. */
	nkvm_vcpu_clear_kick(&xv->vcpu);
	slot = nkvm_x86_next_event(xv, vv->intr_state &
				   (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS),
				   true, &window);
	nkvm_x86_vapic_enter(xv);

	if (vmx_vmcs_get(vv)) {
		nkvm_x86_vapic_exit(xv);
		return -EIO;
	}
	vmx_regs_to_guest(xv, vv);
	vmx_debug_enter(xv, vv, &rflags);
	/* VM entry refuses reserved RFLAGS bits: fixed 1, the rest 0. */
	rflags = (rflags & (X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF |
			    X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_TF |
			    X86_EFLAGS_IF | X86_EFLAGS_DF | X86_EFLAGS_OF |
			    X86_EFLAGS_IOPL | X86_EFLAGS_NT | X86_EFLAGS_RF |
			    X86_EFLAGS_VM | X86_EFLAGS_AC | X86_EFLAGS_VIF |
			    X86_EFLAGS_VIP | X86_EFLAGS_ID)) | X86_EFLAGS_FIXED;
	if (vv->efer & EFER_LMA)
		rflags &= ~X86_EFLAGS_VM;
	vmx_vmwrite(GUEST_RFLAGS, rflags);
	vmx_inject(xv, vv, slot, window, rflags);
	if (pdptrs)
		for (i = 0; i < 4; i++)
			vmx_vmwrite(GUEST_PDPTR0 + 2 * i, pdptr[i]);
	vmx_set_controls(xv, vv);

	local_irq_disable();
	cpu = smp_processor_id();
	if (unlikely(!vmx_cpu_enabled())) {
		/* Rebooting: VMX went off under us. */
		local_irq_enable();
		vmx_vmcs_put();
		nkvm_x86_vapic_exit(xv);
		return -EIO;
	}
	if (!nkvm_vcpu_enter_guest(&xv->vcpu)) {
		/*
		 * Kicked: look for events again; the slots keep theirs. The
		 * guest's FPU state stays the thread's until vcpu_run_end.
		 */
		vv->injected = NKVM_X86_SLOT_NONE;
		local_irq_enable();
		vmx_vmcs_put();
		nkvm_x86_vapic_exit(xv);
		return 1;
	}
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	trace_nkvm_entry(xv->vcpu.vcpu_id, xv->regs.rip);

	vmx_host_save(vv, &host);
	vmx_flush_before_entry(xv, vv);
	drs = vmx_load_guest_drs(xv, vv);
	nkvm_x86_load_guest_xcr0(xv);
	if (native_read_cr2() != vv->cr2)
		native_write_cr2(vv->cr2);

	fail = __vmx_vcpu_run(vv->gprs, vv->launched);

	vv->cr2 = native_read_cr2();
	vmx_host_restore(vv, &host);
	nkvm_x86_load_host_xcr0(xv);
	if (fail) {
		err = vmx_vmread(VM_INSTRUCTION_ERROR);
		vv->exit.reason = 0;
	} else {
		vmx_read_exit(vv);
		if (!(vv->exit.reason & VMX_EXIT_REASONS_FAILED_VMENTRY))
			vv->launched = true;
		vmx_host_event(vv);
	}
	nkvm_vcpu_exit_guest(&xv->vcpu);
	vmx_save_guest_drs(xv, vv);
	/*
	 * The exit reset DR7: give the host its breakpoints back. DR6 and
	 * DR0-3 may be the guest's: leave none of them for the host.
	 */
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	else if (drs)
		set_debugreg(DR6_RESERVED, 6);
	local_irq_enable();

	nkvm_stat_inc(&xv->stat.exits);
	if (fail) {
		vmx_vmcs_put();
		nkvm_x86_vapic_exit(xv);
		vv->injected = NKVM_X86_SLOT_NONE;
		return vmx_fail_entry(xv, err, cpu);
	}
	vmx_regs_from_guest(xv, vv);
	vmx_debug_exit(xv, vmx_vmread(GUEST_DR7));
	vmx_vmcs_put();

	nkvm_x86_vapic_exit(xv);
	trace_nkvm_exit(xv->vcpu.vcpu_id, true, vv->exit.reason, xv->regs.rip,
			vv->exit.qual, vv->exit.intr_info);
	if (vv->exit.reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		vv->injected = NKVM_X86_SLOT_NONE;
		return vmx_fail_entry(xv, vv->exit.reason, cpu);
	}
	vmx_complete_events(xv, vv);
	return vmx_handle_exit(xv, vv);
}
