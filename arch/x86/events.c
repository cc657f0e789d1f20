// SPDX-License-Identifier: GPL-2.0
/*
 * Events for the guest: KVM_INTERRUPT, KVM_NMI and KVM_GET/SET_VCPU_EVENTS
 * (struct nkvm_x86_events, which the vendor injects from), with the two
 * per-VM extensions of the latter:
 *
 *  - KVM_CAP_EXCEPTION_PAYLOAD: the events carry KVM_VCPUEVENT_VALID_PAYLOAD.
 *    A "pending" exception from userspace (delivery not begun) stays so,
 *    with its payload, until the next KVM_RUN delivers it: then, as in
 *    stock, the payload goes to CR2 (#PF) or DR6 (#DB), after whatever
 *    KVM_SET_SREGS or KVM_SET_DEBUGREGS userspace did meanwhile (QEMU
 *    restores those after the events). Without the capability GET
 *    applies it at once and reports the exception injected, as stock.
 *  - KVM_CAP_X86_TRIPLE_FAULT_EVENT: KVM_VCPUEVENT_VALID_TRIPLE_FAULT; a
 *    pending triple fault ends the next KVM_RUN with KVM_EXIT_SHUTDOWN.
 */
#include <linux/uaccess.h>
#include <asm/debugreg.h>
#include <asm/irq_vectors.h>

#include "irqchip/irqchip.h"

/*
 * An external interrupt from userspace's PIC, as stock: queued for the
 * next entry without an in-kernel irqchip, an ExtINT for the LAPIC with a
 * split one; the in-kernel PIC owns them otherwise.
 */
long nkvm_x86_interrupt(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct kvm_interrupt irq;

	if (copy_from_user(&irq, argp, sizeof(irq)))
		return -EFAULT;
	if (irq.irq >= 256)
		return -EINVAL;
	if (xv->lapic) {
		if (nkvm_x86_irqchip_kernel(to_x86_vm(xv->vcpu.vm)))
			return -ENXIO;
		return nkvm_x86_lapic_set_extint(xv, irq.irq);
	}
	/* Like stock's kvm_queue_interrupt(): replaces a queued one. */
	xv->ev.irq_injected = true;
	xv->ev.irq_nr = irq.irq;
	xv->ev.irq_soft = false;
	return 0;
}

/* Stock keeps at most two: one being handled, one latched. */
void nkvm_x86_queue_nmis(struct nkvm_x86_vcpu *xv, unsigned int n)
{
	unsigned int limit = 2;

	if (xv->ev.nmi_masked || xv->ev.nmi_injected)
		limit = 1;
	xv->ev.nmi_pending = min(xv->ev.nmi_pending + n, limit);
}

long nkvm_x86_nmi(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	nkvm_x86_queue_nmis(xv, 1);
	return 0;
}

/* KVM_GET_VCPU_EVENTS and KVM_SYNC_X86_EVENTS. */
void nkvm_x86_get_events(struct nkvm_x86_vcpu *xv, struct kvm_vcpu_events *e)
{
	struct nkvm_x86_vm *xvm = to_x86_vm(xv->vcpu.vm);
	const struct nkvm_x86_events *ev = &xv->ev;

	memset(e, 0, sizeof(*e));
	/* As stock: without payloads, a pending exception is delivered now. */
	if (ev->exc_pending && !READ_ONCE(xvm->exception_payload))
		nkvm_x86_deliver_pending_exception(xv);
	e->exception.injected = ev->exc_injected;
	e->exception.pending = ev->exc_pending;
	e->exception_has_payload = ev->exc_pending && ev->exc_has_payload;
	e->exception_payload = e->exception_has_payload ? ev->exc_payload : 0;
	e->exception.nr = ev->exc_nr;
	e->exception.has_error_code = ev->exc_has_error;
	e->exception.error_code = ev->exc_error;
	/* As stock: a soft interrupt is not reported. */
	e->interrupt.injected = ev->irq_injected && !ev->irq_soft;
	e->interrupt.nr = ev->irq_nr;
	if (nkvm_x86_interrupt_shadow(xv))
		e->interrupt.shadow = KVM_X86_SHADOW_INT_MOV_SS |
				      KVM_X86_SHADOW_INT_STI;
	e->nmi.injected = ev->nmi_injected;
	e->nmi.pending = ev->nmi_pending;
	e->nmi.masked = ev->nmi_masked;
	e->flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW |
		   KVM_VCPUEVENT_VALID_SMM;
	if (READ_ONCE(xvm->exception_payload))
		e->flags |= KVM_VCPUEVENT_VALID_PAYLOAD;
	if (READ_ONCE(xvm->triple_fault_event)) {
		e->flags |= KVM_VCPUEVENT_VALID_TRIPLE_FAULT;
		e->triple_fault.pending = test_bit(NKVM_X86_UEXIT_SHUTDOWN,
						   &xv->uexit.pending);
	}
}

long nkvm_x86_get_vcpu_events(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct kvm_vcpu_events e;

	nkvm_x86_get_events(xv, &e);
	return copy_to_user(argp, &e, sizeof(e)) ? -EFAULT : 0;
}

#define X86_VCPU_EVENT_FLAGS	(KVM_VCPUEVENT_VALID_NMI_PENDING | \
				 KVM_VCPUEVENT_VALID_SIPI_VECTOR | \
				 KVM_VCPUEVENT_VALID_SHADOW | \
				 KVM_VCPUEVENT_VALID_SMM | \
				 KVM_VCPUEVENT_VALID_PAYLOAD | \
				 KVM_VCPUEVENT_VALID_TRIPLE_FAULT)

/* What delivering the exception would do with its payload, as stock. */
static void x86_deliver_payload(struct nkvm_x86_vcpu *xv, u8 nr, u64 payload)
{
	struct kvm_sregs sregs;

	switch (nr) {
	case PF_VECTOR:
		nkvm_x86_get_sregs(xv, &sregs);
		sregs.cr2 = payload;
		nkvm_x86_put_sregs(xv, &sregs);
		break;
	case DB_VECTOR:
		/*
		 * The payload has DR6's bits all active-high (the reset value
		 * holds the fixed-1 and active-low ones); bit 12 is not DR6's.
		 */
		xv->dbg.dr6 &= ~DR_TRAP_BITS;
		xv->dbg.dr6 |= NKVM_X86_DR6_RESET;
		xv->dbg.dr6 |= payload;
		xv->dbg.dr6 ^= payload & NKVM_X86_DR6_RESET;
		xv->dbg.dr6 &= ~BIT(12);
		break;
	}
}

/*
 * Before an entry: a pending exception from userspace begins delivery,
 * its payload applied. One the kernel queued since (a machine check, an
 * injected #DB) wins; stock would merge the two.
 */
void nkvm_x86_deliver_pending_exception(struct nkvm_x86_vcpu *xv)
{
	struct nkvm_x86_events *ev = &xv->ev;

	if (likely(!ev->exc_pending))
		return;
	ev->exc_pending = false;
	if (ev->exc_injected)
		return;
	if (ev->exc_has_payload)
		x86_deliver_payload(xv, ev->exc_nr, ev->exc_payload);
	ev->exc_has_payload = false;
	ev->exc_injected = true;
}

/* KVM_SET_VCPU_EVENTS and KVM_SYNC_X86_EVENTS, from a kernel copy. */
int nkvm_x86_set_events(struct nkvm_x86_vcpu *xv,
			const struct kvm_vcpu_events *e)
{
	struct nkvm_x86_vm *xvm = to_x86_vm(xv->vcpu.vm);
	struct nkvm_x86_events *ev = &xv->ev;
	bool pending = false, payload = false;

	if (e->flags & ~X86_VCPU_EVENT_FLAGS)
		return -EINVAL;
	/* As stock: the pending and payload fields count only with the flag. */
	if (e->flags & KVM_VCPUEVENT_VALID_PAYLOAD) {
		if (!READ_ONCE(xvm->exception_payload))
			return -EINVAL;
		pending = e->exception.pending;
		payload = pending && e->exception_has_payload;
	}
	if ((e->flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT) &&
	    !READ_ONCE(xvm->triple_fault_event))
		return -EINVAL;
	if ((e->exception.injected || pending) &&
	    (e->exception.nr > 31 || e->exception.nr == NMI_VECTOR))
		return -EINVAL;
	/* No SMM here: only "not in SMM, none pending" can be set. */
	if ((e->flags & KVM_VCPUEVENT_VALID_SMM) &&
	    (e->smi.smm || e->smi.pending))
		return -EINVAL;

	if (e->flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT) {
		if (e->triple_fault.pending)
			__set_bit(NKVM_X86_UEXIT_SHUTDOWN, &xv->uexit.pending);
		else
			__clear_bit(NKVM_X86_UEXIT_SHUTDOWN,
				    &xv->uexit.pending);
	}
	ev->exc_pending = pending;
	ev->exc_has_payload = payload;
	ev->exc_payload = payload ? e->exception_payload : 0;
	ev->exc_injected = !pending && e->exception.injected;
	ev->exc_nr = e->exception.nr;
	ev->exc_has_error = e->exception.has_error_code;
	ev->exc_error = e->exception.error_code;
	ev->irq_injected = e->interrupt.injected;
	ev->irq_nr = e->interrupt.nr;
	ev->irq_soft = e->interrupt.soft;
	if (e->flags & KVM_VCPUEVENT_VALID_SHADOW)
		nkvm_x86_set_interrupt_shadow(xv, e->interrupt.shadow);
	ev->nmi_injected = e->nmi.injected;
	ev->nmi_masked = e->nmi.masked;
	if (e->flags & KVM_VCPUEVENT_VALID_NMI_PENDING) {
		ev->nmi_pending = 0;
		nkvm_x86_queue_nmis(xv, e->nmi.pending);
	}
	/* The SIPI vector needs an in-kernel LAPIC: ignored, as stock. */
	return 0;
}

long nkvm_x86_set_vcpu_events(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct kvm_vcpu_events e;

	if (copy_from_user(&e, argp, sizeof(e)))
		return -EFAULT;
	return nkvm_x86_set_events(xv, &e);
}

/* For vendors: an exception for the guest, in the exception slot. */
void nkvm_x86_queue_exception(struct nkvm_x86_vcpu *xv, u8 vector,
			      bool has_error, u32 error)
{
	struct nkvm_x86_events *ev = &xv->ev;

	ev->exc_injected = true;
	ev->exc_nr = vector;
	ev->exc_has_error = has_error;
	ev->exc_error = error;
}

/*
 * For vendors: KVM_EXIT_INTERNAL_ERROR with the exit's four words (the
 * vendor's exit code and information). Returns 0, as run() does.
 */
int nkvm_x86_internal_error(struct nkvm_x86_vcpu *xv, u32 suberror,
			    const u64 data[4])
{
	struct kvm_run *run = xv->vcpu.run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = 4;
	memcpy(run->internal.data, data, 4 * sizeof(u64));
	return 0;
}

/*
 * For vendors, before an entry: which slot of struct nkvm_x86_events to
 * inject from. A pending NMI goes into its slot when no other event is
 * there, NMIs are unmasked and no shadow (or KVM_GUESTDBG_BLOCKIRQ) holds;
 * with an in-kernel LAPIC, its interrupt goes into the empty slots when
 * the guest can take one. The first filled slot wins: an exception, an
 * NMI, then an interrupt; one per entry. *window: the LAPIC has one more,
 * or userspace waits for a window it could use
 * (nkvm_x86_user_wants_window()).
 */
enum nkvm_x86_slot nkvm_x86_next_event(struct nkvm_x86_vcpu *xv, bool shadow,
				       bool irq_needs_if, bool *window)
{
	struct nkvm_x86_events *ev = &xv->ev;
	bool blockirq = xv->dbg.control & KVM_GUESTDBG_BLOCKIRQ;
	bool irq_ok = (xv->regs.rflags & X86_EFLAGS_IF) && !shadow;
	int vec;

	*window = nkvm_x86_user_wants_window(xv);
	if (!ev->nmi_injected && ev->nmi_pending && !ev->nmi_masked &&
	    !blockirq && !ev->exc_injected && !ev->irq_injected && !shadow) {
		ev->nmi_pending--;
		ev->nmi_injected = true;
		ev->nmi_masked = true;
	}
	if (xv->lapic) {
		if (!ev->exc_injected && !ev->nmi_injected &&
		    !ev->irq_injected && irq_ok && !blockirq) {
			vec = nkvm_x86_lapic_next_irq(xv);
			if (vec >= 0) {
				ev->irq_injected = true;
				ev->irq_nr = vec;
				ev->irq_soft = false;
			}
		}
		if (nkvm_x86_lapic_has_irq(xv))
			*window = true;
	}
	if (ev->exc_injected)
		return NKVM_X86_SLOT_EXC;
	if (ev->nmi_injected)
		return NKVM_X86_SLOT_NMI;
	if (!ev->irq_injected)
		return NKVM_X86_SLOT_NONE;
	/* Where the hardware takes no interrupt now, it waits for a window. */
	if (irq_needs_if && !ev->irq_soft && !irq_ok) {
		*window = true;
		return NKVM_X86_SLOT_NONE;
	}
	return NKVM_X86_SLOT_IRQ;
}

/*
 * For vendors, after the exit: the event the entry injected from slot was
 * delivered, unless the exit interrupted its delivery, which the vendor
 * then reports with nkvm_x86_requeue_event().
 */
void nkvm_x86_event_delivered(struct nkvm_x86_vcpu *xv,
			      enum nkvm_x86_slot slot)
{
	switch (slot) {
	case NKVM_X86_SLOT_EXC:
		xv->ev.exc_injected = false;
		break;
	case NKVM_X86_SLOT_NMI:
		xv->ev.nmi_injected = false;
		break;
	case NKVM_X86_SLOT_IRQ:
		xv->ev.irq_injected = false;
		break;
	case NKVM_X86_SLOT_NONE:
		break;
	}
}

/*
 * An event whose delivery the exit interrupted goes back to its slot to be
 * delivered again: an NMI, a hardware exception, an external interrupt. A
 * software interrupt only if the entry injected it for userspace
 * (user_soft); one the guest raised (INTn, INT3, INTO) is not requeued:
 * RIP still points at the instruction, which simply runs again.
 */
void nkvm_x86_requeue_event(struct nkvm_x86_vcpu *xv,
			    enum nkvm_x86_requeue kind, u8 vector,
			    bool has_error, u32 error, bool user_soft)
{
	struct nkvm_x86_events *ev = &xv->ev;

	switch (kind) {
	case NKVM_X86_REQUEUE_NMI:
		ev->nmi_injected = true;
		break;
	case NKVM_X86_REQUEUE_EXC:
		nkvm_x86_queue_exception(xv, vector, has_error, error);
		break;
	case NKVM_X86_REQUEUE_IRQ:
		ev->irq_injected = true;
		ev->irq_nr = vector;
		ev->irq_soft = false;
		break;
	case NKVM_X86_REQUEUE_SOFT_IRQ:
		if (user_soft) {
			ev->irq_injected = true;
			ev->irq_nr = vector;
		}
		break;
	}
}
