// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VMX: the exit handlers, in a table indexed by the basic exit
 * reason (bits 15:0 of the exit reason). They run preemptible, after
 * vmx_run() read the exit (vv->exit), the guest's registers (xv->regs) and
 * its interruptibility state; where they need the VMCS they take it
 * (vmx_vmcs_get()). Each returns as run() does: 1 to enter again, 0 with
 * an exit for userspace in kvm_run, or a negative errno.
 */
#include <nkvm/iobus.h>
#include <nkvm/trace.h>

#include "irqchip/irqchip.h"
#include "sregs.h"
#include "vmx.h"

#include <linux/mm.h>
#include <asm/debugreg.h>

/* GETSEC in a guest exits whatever the controls; it has no name in 6.1. */
#define VMX_EXIT_GETSEC		11

typedef int (*vmx_exit_handler)(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv);

/* CR access qualification: CR number, access type, LMSW data, GPR. */
#define CR_NUM(q)		((q) & 0xf)
#define CR_TYPE(q)		(((q) >> 4) & 3)
#define CR_TYPE_MOV_TO		0
#define CR_TYPE_MOV_FROM	1
#define CR_TYPE_CLTS		2
#define CR_TYPE_LMSW		3
#define CR_GPR(q)		(((q) >> 8) & 0xf)
#define CR_LMSW_DATA(q)		(((q) >> 16) & 0xffff)

/* I/O qualification: size - 1, IN, string, port. */
#define IO_SIZE(q)		(((q) & 7) + 1)
#define IO_IN			BIT(3)
#define IO_STRING		BIT(4)
#define IO_PORT(q)		((u16)((q) >> 16))

/* #DB qualification: the DR6 bits the exception would have set. */
#define DB_QUAL_BITS		(DR_TRAP_BITS | DR_STEP | BIT(13))

void vmx_clear_shadow(struct vmx_vcpu *vv)
{
	vv->intr_state &= ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
}

/* Step over the instruction that exited (its length is in the exit). */
void vmx_skip_insn(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	xv->regs.rip += vv->exit.insn_len;
	vmx_clear_shadow(vv);
	nkvm_x86_insn_done(xv);
}

void vmx_inject_exception(struct nkvm_x86_vcpu *xv, unsigned int vector,
			  bool has_error, u32 error)
{
	nkvm_x86_queue_exception(xv, vector, has_error, error);
}

static int vmx_internal_error(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv,
			      u32 suberror)
{
	const u64 data[4] = {
		vv->exit.reason, vv->exit.qual, vv->exit.intr_info,
		vv->exit.vect_info,
	};

	return nkvm_x86_internal_error(xv, suberror, data);
}

static int vmx_exit_unknown(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	return vmx_internal_error(xv, vv,
				  KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
}

static int vmx_exit_reenter(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	return 1;
}

static int vmx_exit_ud(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	vmx_inject_exception(xv, UD_VECTOR, false, 0);
	return 1;
}

static int vmx_exit_gp(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	vmx_inject_exception(xv, GP_VECTOR, true, 0);
	return 1;
}

/* The guest's CPL; 0 when VMX went off under us (a reboot). */
static unsigned int vmx_guest_cpl(struct vmx_vcpu *vv)
{
	unsigned int cpl;

	if (vmx_vmcs_get(vv))
		return 0;
	cpl = vmx_cpl();
	vmx_vmcs_put();
	return cpl;
}

static void vmx_sregs(struct nkvm_x86_vcpu *xv, struct kvm_sregs *sregs)
{
	nkvm_x86_get_sregs(xv, sregs);
}

/* ---- exceptions ---- */

static bool vmx_debugger_db(const struct nkvm_x86_vcpu *xv)
{
	return xv->dbg.control &
	       (KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP);
}

static u64 vmx_linear_rip(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	u64 base = 0;

	if (!vmx_vmcs_get(vv)) {
		base = vmx_vmread(GUEST_CS_BASE);
		vmx_vmcs_put();
	}
	return base + xv->regs.rip;
}

/*
 * #DB, always intercepted: for the debugger (a step or one of its
 * breakpoints; as stock, the guest's own #DB too while it single-steps or
 * uses DR0-3), else back to the guest, with the DR6 bits the exit
 * qualification gives (an intercepted #DB leaves DR6 alone).
 */
static int vmx_exc_db(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	u64 bits = vv->exit.qual & DB_QUAL_BITS;

	if (!vmx_debugger_db(xv)) {
		xv->dbg.dr6 = (xv->dbg.dr6 & ~DR_TRAP_BITS) |
			      NKVM_X86_DR6_RESET | bits;
		vmx_inject_exception(xv, DB_VECTOR, false, 0);
		return 1;
	}
	nkvm_x86_debug_exit(xv, DB_VECTOR, vmx_linear_rip(xv, vv),
			    NKVM_X86_DR6_RESET | bits, nkvm_x86_eff_dr7(xv));
	return 0;
}

/* #BP from an INT3: RIP still points at it. */
static int vmx_exc_bp(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	if (!(xv->dbg.control & KVM_GUESTDBG_USE_SW_BP))
		return 1;	/* not intercepted any more: it runs again */
	nkvm_x86_debug_exit(xv, BP_VECTOR, vmx_linear_rip(xv, vv),
			    NKVM_X86_DR6_RESET, nkvm_x86_eff_dr7(xv));
	return 0;
}

/* VMCALL, the native hypercall, for a VMMCALL to patch (hypercall.c). */
static const u8 vmx_vmcall_insn[3] = { 0x0f, 0x01, 0xc1 };

static int vmx_exit_exception(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	u32 info = vv->exit.intr_info;
	u8 vector = info & INTR_INFO_VECTOR_MASK;

	/* A host NMI or machine check: vmx_run() handled it already. */
	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR ||
	    vector == MC_VECTOR)
		return 1;
	switch (vector) {
	case DB_VECTOR:
		return vmx_exc_db(xv, vv);
	case BP_VECTOR:
		return vmx_exc_bp(xv, vv);
	case UD_VECTOR:
		if (!nkvm_x86_fix_hypercall(xv, vmx_vmcall_insn))
			vmx_inject_exception(xv, UD_VECTOR, false, 0);
		return 1;
	}
	/* #AC (svm.c's CVE note) and anything else: back to the guest. */
	vmx_inject_exception(xv, vector, info & INTR_INFO_DELIVER_CODE_MASK,
			     vv->exit.intr_error);
	return 1;
}

/* A host interrupt: it ran as soon as the host enabled interrupts. */
static int vmx_exit_intr(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	nkvm_stat_inc(&xv->stat.irq_exits);
	return 1;
}

/* A triple fault: the VMCS is as good as undefined; INIT it, as stock. */
static int vmx_exit_shutdown(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	vmx_init_vcpu(xv);
	xv->vcpu.run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

/* The interrupt window requested at entry opened: see vmx_inject(). */
static int vmx_exit_irq_window(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	nkvm_stat_inc(&xv->stat.irq_window_exits);
	return 1;
}

static int vmx_exit_nmi_window(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	nkvm_stat_inc(&xv->stat.nmi_window_exits);
	return 1;
}

static int vmx_exit_cpuid(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	/* CPUID faulting (MISC_FEATURES_ENABLES): #GP outside ring 0. */
	if (nkvm_x86_cpuid_faulting(xv) && vmx_guest_cpl(vv))
		return vmx_exit_gp(xv, vv);
	nkvm_x86_emulate_cpuid(xv);
	vmx_skip_insn(xv, vv);
	return 1;
}

static int vmx_exit_hlt(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	vmx_skip_insn(xv, vv);
	return nkvm_x86_halt(xv);
}

/* INVD, WBINVD, INVLPG (EPT: nothing to drop): a no-op for the guest. */
static int vmx_exit_skip(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	vmx_skip_insn(xv, vv);
	return 1;
}

/* Hypercalls (hypercall.c). */
static int vmx_exit_vmcall(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	unsigned int cpl = 0;
	bool op64 = false;
	int r;

	if (!vmx_vmcs_get(vv)) {
		cpl = vmx_cpl();
		op64 = vmx_long_mode_code(vv);
		vmx_vmcs_put();
	}
	r = nkvm_x86_hypercall(xv, cpl, op64);
	if (r > 0)
		vmx_skip_insn(xv, vv);
	return r;
}

/* MONITOR / MWAIT: NOPs, or #UD (see hypercall.c). */
static int vmx_exit_mwait(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	if (!nkvm_x86_mwait_is_nop(xv))
		return vmx_exit_ud(xv, vv);
	vmx_skip_insn(xv, vv);
	return 1;
}

/*
 * XSETBV (#UD without CR4.OSXSAVE comes before the exit): #GP outside
 * ring 0 or for a value the x86 layer refuses.
 */
static int vmx_exit_xsetbv(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	u64 val = (u32)xv->regs.rax | (xv->regs.rdx << 32);

	if (vmx_guest_cpl(vv) || nkvm_x86_set_xcr(xv, xv->regs.rcx, val))
		return vmx_exit_gp(xv, vv);
	vmx_skip_insn(xv, vv);
	return 1;
}

/* ---- control and debug registers ---- */

/* A GPR by its instruction encoding. */
static u64 *vmx_gpr(struct nkvm_x86_vcpu *xv, unsigned int n)
{
	struct kvm_regs *r = &xv->regs;
	u64 *regs[] = {
		&r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp,
		&r->rsi, &r->rdi, &r->r8, &r->r9, &r->r10, &r->r11,
		&r->r12, &r->r13, &r->r14, &r->r15,
	};

	return regs[n & 15];
}

/*
 * A write to CR0 or CR4 (MOV, CLTS, LMSW): the value checked by the x86
 * layer's rules (#GP otherwise), then into the VMCS.
 */
static int vmx_cr_write(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv,
			unsigned int cr, u64 val)
{
	struct kvm_sregs sregs;

	vmx_sregs(xv, &sregs);
	if (!nkvm_x86_cr_write_valid(&sregs, cr, val,
				     nkvm_x86_cpuid_cr4_rsvd(xv)))
		return vmx_exit_gp(xv, vv);
	if (vmx_vmcs_get(vv))
		return -EIO;
	if (cr == 4)
		vmx_write_cr4(vv, val);
	else
		vmx_write_cr0(xv, vv, val);
	vmx_vmcs_put();
	vmx_skip_insn(xv, vv);
	return 1;
}

/* CR8, the TPR: the LAPIC's, or kept here without one. */
static void vmx_set_cr8(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv, u64 v)
{
	if (xv->lapic)
		nkvm_x86_lapic_set_cr8(xv, v & 0xf);
	else
		vv->cr8 = v & 0xf;
}

static int vmx_exit_cr(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	u64 q = vv->exit.qual;
	unsigned int cr = CR_NUM(q);
	bool mode64 = false;
	u64 *gpr = vmx_gpr(xv, CR_GPR(q));
	u64 val;

	if (!vmx_vmcs_get(vv)) {
		mode64 = vmx_long_mode_code(vv);
		vmx_vmcs_put();
	}
	switch (CR_TYPE(q)) {
	case CR_TYPE_MOV_TO:
		/* Outside 64-bit mode the operand is a 32-bit register. */
		val = mode64 ? *gpr : (u32)*gpr;
		if (cr == 0 || cr == 4)
			return vmx_cr_write(xv, vv, cr, val);
		if (cr == 8) {
			vmx_set_cr8(xv, vv, val);
			vmx_skip_insn(xv, vv);
			return 1;
		}
		if (cr == 3 && !vmx_vmcs_get(vv)) {
			vmx_vmwrite(GUEST_CR3, val);
			vv->load_pdptrs = true;
			vv->flush_tlb = true;
			vmx_vmcs_put();
			vmx_skip_insn(xv, vv);
			return 1;
		}
		break;
	case CR_TYPE_MOV_FROM:
		if (cr == 8) {
			*gpr = xv->lapic ? nkvm_x86_lapic_get_cr8(xv) : vv->cr8;
			vmx_skip_insn(xv, vv);
			return 1;
		}
		if (cr == 3 && !vmx_vmcs_get(vv)) {
			val = vmx_vmread(GUEST_CR3);
			vmx_vmcs_put();
			*gpr = mode64 ? val : (u32)val;
			vmx_skip_insn(xv, vv);
			return 1;
		}
		break;
	case CR_TYPE_CLTS:
		return vmx_cr_write(xv, vv, 0, vv->cr0 & ~X86_CR0_TS);
	case CR_TYPE_LMSW:
		/* LMSW writes CR0 bits 3:0, and cannot clear PE. */
		val = (vv->cr0 & ~(X86_CR0_MP | X86_CR0_EM | X86_CR0_TS)) |
		      (CR_LMSW_DATA(q) & 0xf);
		return vmx_cr_write(xv, vv, 0, val);
	}
	return vmx_internal_error(xv, vv, KVM_INTERNAL_ERROR_EMULATION);
}

/*
 * MOV to or from a debug register. Unless the debugger single-steps or
 * uses DR0-3, the guest gets them to itself, as stock: MOV DR no longer
 * exits, its DR0-3 and DR6 are loaded before each entry and saved after
 * it, DR7 is in the VMCS; the MOV runs again. Otherwise the access would
 * need emulating: not done yet.
 */
static int vmx_exit_dr(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	if (vmx_debugger_db(xv))
		return vmx_internal_error(xv, vv, KVM_INTERNAL_ERROR_EMULATION);
	vv->proc &= ~CPU_BASED_MOV_DR_EXITING;
	return 1;
}

/* ---- port I/O ---- */

/* An IN or OUT done: RIP moved on, out of any interrupt shadow. */
static void vmx_complete_pio(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	if (nkvm_x86_complete_pio(xv, &vv->pio))
		vmx_clear_shadow(vv);
}

static int vmx_exit_io(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	u64 q = vv->exit.qual;
	unsigned int size = IO_SIZE(q);
	u16 port = IO_PORT(q);
	struct kvm_sregs sregs;
	bool done;
	int r;

	nkvm_stat_inc(&xv->stat.io_exits);
	if (size != 1 && size != 2 && size != 4)
		return vmx_internal_error(xv, vv, KVM_INTERNAL_ERROR_EMULATION);
	trace_nkvm_pio(xv->vcpu.vcpu_id, !!(q & IO_IN), port, size,
		       !!(q & IO_STRING));

	/* INS/OUTS: the emulator (pio.c); a stray REP on IN/OUT is ignored. */
	if (q & IO_STRING) {
		vmx_sregs(xv, &sregs);
		r = nkvm_x86_string_pio(xv, &sregs, &vv->strio, q & IO_IN,
					size, port);
		vmx_clear_shadow(vv);
		return r;
	}

	r = nkvm_x86_pio(xv, &vv->pio, q & IO_IN, size, port,
			 xv->regs.rip + vv->exit.insn_len, &done);
	if (done)
		vmx_clear_shadow(vv);
	return r;
}

/* ---- MSRs ---- */

/*
 * RDMSR/WRMSR, both two bytes long. The filter and the exits to userspace
 * are msr_filter.c's; vmx_complete_exit() finishes one that went there.
 */
static int vmx_exit_msr(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	bool write = (u16)vv->exit.reason == EXIT_REASON_MSR_WRITE;
	u32 index = xv->regs.rcx;
	u64 data = (u32)xv->regs.rax | (xv->regs.rdx << 32);

	switch (nkvm_x86_guest_msr(xv, write, index, &data)) {
	case NKVM_X86_MSR_GP:
		return vmx_exit_gp(xv, vv);
	case NKVM_X86_MSR_USER:
		return 0;
	case NKVM_X86_MSR_DONE:
		break;
	}
	if (!write) {
		xv->regs.rax = (u32)data;
		xv->regs.rdx = data >> 32;
	}
	vmx_skip_insn(xv, vv);
	return 1;
}

int vmx_complete_exit(struct nkvm_x86_vcpu *xv)
{
	struct vmx_vcpu *vv = xv->vendor;
	struct kvm_sregs sregs;

	vmx_complete_pio(xv, vv);
	/* An RDMSR/WRMSR userspace handled (KVM_EXIT_X86_RDMSR/WRMSR). */
	switch (nkvm_x86_complete_msr_exit(xv)) {
	case 0:
		xv->regs.rip += 2;
		vmx_clear_shadow(vv);
		nkvm_x86_insn_done(xv);
		break;
	case 1:
		vmx_inject_exception(xv, GP_VECTOR, true, 0);
		break;
	}
	if (vv->strio.pending || xv->mmio.pending)
		vmx_sregs(xv, &sregs);
	if (vv->strio.pending &&
	    nkvm_x86_complete_string_pio(xv, &sregs, &vv->strio)) {
		vmx_clear_shadow(vv);
		nkvm_x86_insn_done(xv);
	}
	if (xv->mmio.pending && nkvm_x86_complete_mmio(xv, &sregs)) {
		vmx_clear_shadow(vv);
		nkvm_x86_insn_done(xv);
	}
	return 0;
}

/* ---- EPT ---- */

static int vmx_exit_ept_violation(struct nkvm_x86_vcpu *xv,
				  struct vmx_vcpu *vv)
{
	u64 gpa = vv->exit.gpa;
	u64 q = vv->exit.qual;
	struct kvm_sregs sregs;
	int r;

	r = vmx_ept_fault(&vmx_vm(xv)->ept, &vv->ept_cache, xv->vcpu.vm,
			  gpa, q);
	trace_nkvm_page_fault(xv->vcpu.vcpu_id, gpa, q, r);
	/*
	 * -EEXIST: the mapping is there; another vCPU made it after this
	 * fault, or this CPU still held a stale translation (flushed at the
	 * next entry). The same fault twice in a row has another cause.
	 */
	if (r == -EEXIST && gpa != vv->ept_spurious_gpa) {
		vv->ept_spurious_gpa = gpa;
		vv->flush_tlb = true;
		return 1;
	}
	vv->ept_spurious_gpa = -1ULL;
	if (!r || r == -EAGAIN)
		return 1;
	/*
	 * A data access outside the memslots (or a write to a read-only
	 * one): MMIO, emulated. Code or guest page tables there, and other
	 * causes, are not handled.
	 */
	if (r == -ENOENT && !(q & EPT_VIOLATION_ACC_INSTR) &&
	    (q & EPT_VIOLATION_GVA_IS_VALID) &&
	    (q & EPT_VIOLATION_GVA_TRANSLATED)) {
		vmx_sregs(xv, &sregs);
		r = nkvm_x86_emulate_mmio(xv, &sregs, gpa);
		if (!r && xv->vcpu.run->exit_reason == KVM_EXIT_MMIO)
			nkvm_stat_inc(&xv->stat.mmio_exits);
		if (r > 0 || (!r && xv->vcpu.run->exit_reason == KVM_EXIT_MMIO)) {
			vmx_clear_shadow(vv);
			/* A write is complete already. */
			if (!xv->mmio.pending)
				nkvm_x86_insn_done(xv);
		}
		return r;
	}
	if (r == -ENOENT || r == -EEXIST)
		return vmx_internal_error(xv, vv, KVM_INTERNAL_ERROR_EMULATION);
	return r;
}

static const vmx_exit_handler vmx_exit_handlers[] = {
	[EXIT_REASON_EXCEPTION_NMI]		= vmx_exit_exception,
	[EXIT_REASON_EXTERNAL_INTERRUPT]	= vmx_exit_intr,
	[EXIT_REASON_TRIPLE_FAULT]		= vmx_exit_shutdown,
	[EXIT_REASON_INIT_SIGNAL]		= vmx_exit_reenter,
	[EXIT_REASON_SIPI_SIGNAL]		= vmx_exit_reenter,
	[EXIT_REASON_INTERRUPT_WINDOW]		= vmx_exit_irq_window,
	[EXIT_REASON_NMI_WINDOW]		= vmx_exit_nmi_window,
	[EXIT_REASON_CPUID]			= vmx_exit_cpuid,
	[VMX_EXIT_GETSEC]			= vmx_exit_ud,
	[EXIT_REASON_HLT]			= vmx_exit_hlt,
	[EXIT_REASON_INVD]			= vmx_exit_skip,
	[EXIT_REASON_INVLPG]			= vmx_exit_skip,
	[EXIT_REASON_RDPMC]			= vmx_exit_gp,
	[EXIT_REASON_VMCALL]			= vmx_exit_vmcall,
	[EXIT_REASON_VMCLEAR]			= vmx_exit_ud,
	[EXIT_REASON_VMLAUNCH]			= vmx_exit_ud,
	[EXIT_REASON_VMPTRLD]			= vmx_exit_ud,
	[EXIT_REASON_VMPTRST]			= vmx_exit_ud,
	[EXIT_REASON_VMREAD]			= vmx_exit_ud,
	[EXIT_REASON_VMRESUME]			= vmx_exit_ud,
	[EXIT_REASON_VMWRITE]			= vmx_exit_ud,
	[EXIT_REASON_VMOFF]			= vmx_exit_ud,
	[EXIT_REASON_VMON]			= vmx_exit_ud,
	[EXIT_REASON_CR_ACCESS]			= vmx_exit_cr,
	[EXIT_REASON_DR_ACCESS]			= vmx_exit_dr,
	[EXIT_REASON_IO_INSTRUCTION]		= vmx_exit_io,
	[EXIT_REASON_MSR_READ]			= vmx_exit_msr,
	[EXIT_REASON_MSR_WRITE]			= vmx_exit_msr,
	[EXIT_REASON_MWAIT_INSTRUCTION]		= vmx_exit_mwait,
	[EXIT_REASON_MONITOR_INSTRUCTION]	= vmx_exit_mwait,
	[EXIT_REASON_EPT_VIOLATION]		= vmx_exit_ept_violation,
	[EXIT_REASON_INVEPT]			= vmx_exit_ud,
	[EXIT_REASON_INVVPID]			= vmx_exit_ud,
	[EXIT_REASON_PREEMPTION_TIMER]		= vmx_exit_reenter,
	[EXIT_REASON_WBINVD]			= vmx_exit_skip,
	[EXIT_REASON_XSETBV]			= vmx_exit_xsetbv,
	[EXIT_REASON_VMFUNC]			= vmx_exit_ud,
};

int vmx_handle_exit(struct nkvm_x86_vcpu *xv, struct vmx_vcpu *vv)
{
	u16 basic = vv->exit.reason;

	if (basic < ARRAY_SIZE(vmx_exit_handlers) && vmx_exit_handlers[basic])
		return vmx_exit_handlers[basic](xv, vv);
	return vmx_exit_unknown(xv, vv);
}
