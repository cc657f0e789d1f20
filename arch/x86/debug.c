// SPDX-License-Identifier: GPL-2.0
/*
 * Guest debugging, vendor-neutral: KVM_SET_GUEST_DEBUG, KVM_GET/SET_DEBUGREGS
 * and the KVM_EXIT_DEBUG exits. The vendor applies the state kept here
 * (struct nkvm_x86_debug) around each entry; see x86.h.
 */
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <asm/debugreg.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "x86.h"

/*
 * What KVM_SET_GUEST_DEBUG accepts, also the KVM_CAP_SET_GUEST_DEBUG2
 * answer. Stock 6.1 also takes INJECT_BP; see Documentation/api.md.
 * Without an in-kernel irqchip, BLOCKIRQ only holds back pending NMIs, as
 * stock (an interrupt from KVM_INTERRUPT is already "injected" there).
 */
#define X86_GUESTDBG_FLAGS	(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | \
				 KVM_GUESTDBG_USE_SW_BP | \
				 KVM_GUESTDBG_USE_HW_BP | \
				 KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_BLOCKIRQ)

long nkvm_x86_guest_debug_flags(void)
{
	return X86_GUESTDBG_FLAGS;
}

/* RESET and INIT: the guest's debug registers; guest debugging stays. */
void nkvm_x86_debug_reset(struct nkvm_x86_vcpu *xv)
{
	struct nkvm_x86_debug *d = &xv->dbg;

	memset(d->db, 0, sizeof(d->db));
	d->dr6 = NKVM_X86_DR6_RESET;
	d->dr7 = NKVM_X86_DR7_RESET;
	d->step_trap = false;
}

long nkvm_x86_set_guest_debug(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct nkvm_x86_debug *d = &xv->dbg;
	struct kvm_guest_debug dbg;
	u32 control;

	if (copy_from_user(&dbg, argp, sizeof(dbg)))
		return -EFAULT;
	if (dbg.control & ~X86_GUESTDBG_FLAGS)
		return -EINVAL;
	control = dbg.control & KVM_GUESTDBG_ENABLE ? dbg.control : 0;
	/* VMRUN refuses a DR7 with bits 63:32 set. */
	if ((control & KVM_GUESTDBG_USE_HW_BP) && upper_32_bits(dbg.arch.debugreg[7]))
		return -EINVAL;

	/*
	 * As stock: a #DB for the guest, whether or not debugging is on. It
	 * is benign, so it replaces an exception already queued (stock makes
	 * a queued #DF a triple fault instead).
	 */
	if (dbg.control & KVM_GUESTDBG_INJECT_DB) {
		xv->ev.exc_injected = true;
		xv->ev.exc_nr = X86_TRAP_DB;
		xv->ev.exc_has_error = false;
		xv->ev.exc_error = 0;
	}

	d->control = control & ~KVM_GUESTDBG_INJECT_DB;
	if (control & KVM_GUESTDBG_USE_HW_BP) {
		memcpy(d->hw_db, dbg.arch.debugreg, sizeof(d->hw_db));
		d->hw_dr7 = dbg.arch.debugreg[7];
	}
	return 0;
}

long nkvm_x86_get_debugregs(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct kvm_debugregs r;

	memset(&r, 0, sizeof(r));
	memcpy(r.db, xv->dbg.db, sizeof(r.db));
	r.dr6 = xv->dbg.dr6;
	r.dr7 = xv->dbg.dr7;
	return copy_to_user(argp, &r, sizeof(r)) ? -EFAULT : 0;
}

long nkvm_x86_set_debugregs(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct kvm_debugregs r;

	if (copy_from_user(&r, argp, sizeof(r)))
		return -EFAULT;
	/* As stock: no flags yet, and bits 63:32 of DR6/DR7 are reserved. */
	if (r.flags || upper_32_bits(r.dr6) || upper_32_bits(r.dr7))
		return -EINVAL;
	memcpy(xv->dbg.db, r.db, sizeof(xv->dbg.db));
	xv->dbg.dr6 = r.dr6;
	xv->dbg.dr7 = r.dr7;
	return 0;
}

/*
 * The CPU traps after an instruction that began with TF set; one we
 * completed for the guest must do the same (stock: after every skipped or
 * emulated instruction).
 */
void nkvm_x86_insn_done(struct nkvm_x86_vcpu *xv)
{
	if (nkvm_x86_stepping(xv) || (xv->regs.rflags & X86_EFLAGS_TF))
		xv->dbg.step_trap = true;
}

void nkvm_x86_debug_exit(struct nkvm_x86_vcpu *xv, u32 exception, u64 pc,
			 u64 dr6, u64 dr7)
{
	struct kvm_run *run = xv->vcpu.run;

	run->exit_reason = KVM_EXIT_DEBUG;
	run->debug.arch.exception = exception;
	run->debug.arch.pad = 0;
	run->debug.arch.pc = pc;
	run->debug.arch.dr6 = dr6;
	run->debug.arch.dr7 = dr7;
}

int nkvm_x86_step_trap(struct nkvm_x86_vcpu *xv, u64 pc)
{
	xv->dbg.step_trap = false;
	if (nkvm_x86_stepping(xv)) {
		nkvm_x86_debug_exit(xv, X86_TRAP_DB, pc,
				    NKVM_X86_DR6_RESET | DR_STEP,
				    nkvm_x86_eff_dr7(xv));
		return 0;
	}
	/* The guest's own TF: its #DB, unless an exception is queued. */
	if (!xv->ev.exc_injected) {
		xv->dbg.dr6 |= DR_STEP;
		xv->ev.exc_injected = true;
		xv->ev.exc_nr = X86_TRAP_DB;
		xv->ev.exc_has_error = false;
		xv->ev.exc_error = 0;
	}
	return 1;
}
