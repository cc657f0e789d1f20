// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC state that the guest shares through its memory: the
 * virtual APIC page of QEMU's kvmvapic option ROM, PV EOI, and the TPR
 * access reports that go with the former.
 *
 * kvmvapic exists for old 32-bit Windows guests (QEMU patches their TPR
 * accesses into accesses of a guest page); QEMU's in-kernel-LAPIC
 * machines set it up whatever the guest is.
 *
 * KVM_TPR_ACCESS_REPORTING turns the reports on or off for a vCPU: each
 * read or write of the TPR through the LAPIC's MMIO page then exits to
 * userspace as KVM_EXIT_TPR_ACCESS once the access completed, with the
 * RIP of the accessing instruction. KVM_SET_VAPIC_ADDR names a guest
 * physical address (0: none) where, before each entry, nkvm writes the
 * word of nkvm_x86_lapic_vapic_word() and after each exit takes the
 * guest's TPR back from its low byte.
 *
 * PV EOI (KVM_FEATURE_PV_EOI, MSR_KVM_PV_EOI_EN: a guest byte whose bit 0
 * says "clear me instead of writing EOI"): right before an entry, after
 * the vendor injected its interrupt, nkvm sets the bit when an EOI would
 * only retire the highest in-service vector and need nothing else: no
 * other interrupt is requested and that vector is edge-triggered (a
 * level-triggered one must reach its IOAPIC). After the exit, a bit the
 * guest cleared is its EOI, done then; a bit still set is cleared again.
 * A level-triggered vector is known by its TMR bit where stock asks the
 * IOAPIC routes; the effect is the same.
 */
#include <linux/uaccess.h>
#include <uapi/asm/kvm_para.h>

#include "irqchip.h"

long nkvm_x86_tpr_access_reporting(struct nkvm_x86_vcpu *xv,
				   void __user *argp)
{
	struct kvm_tpr_access_ctl tac;

	if (copy_from_user(&tac, argp, sizeof(tac)))
		return -EFAULT;
	/* As stock: flags must be 0; the struct is copied back unchanged. */
	if (tac.flags)
		return -EINVAL;
	xv->vapic.tpr_reporting = tac.enabled;
	return copy_to_user(argp, &tac, sizeof(tac)) ? -EFAULT : 0;
}

/* A writable memslot holds the four bytes at gpa. */
static bool vapic_addr_valid(struct nkvm_vm *vm, u64 gpa)
{
	struct nkvm_memslot *slot;
	nkvm_gfn_t gfn;
	bool ok = true;
	int idx;

	if (gpa + sizeof(u32) < gpa)
		return false;
	idx = srcu_read_lock(&vm->srcu);
	for (gfn = gpa >> PAGE_SHIFT;
	     ok && gfn <= (gpa + sizeof(u32) - 1) >> PAGE_SHIFT; gfn++) {
		slot = nkvm_gfn_to_memslot(vm, 0, gfn);
		ok = slot && !(slot->flags & KVM_MEM_READONLY);
	}
	srcu_read_unlock(&vm->srcu, idx);
	return ok;
}

long nkvm_x86_set_vapic_addr(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct kvm_vapic_addr va;

	/* As stock: EINVAL without an in-kernel LAPIC, checked first. */
	if (!xv->lapic)
		return -EINVAL;
	if (copy_from_user(&va, argp, sizeof(va)))
		return -EFAULT;
	if (va.vapic_addr && !vapic_addr_valid(xv->vcpu.vm, va.vapic_addr))
		return -EINVAL;
	xv->vapic.addr = va.vapic_addr;
	return 0;
}

void nkvm_x86_tpr_accessed(struct nkvm_x86_vcpu *xv, bool write)
{
	if (!xv->vapic.tpr_reporting)
		return;
	xv->uexit.tpr_rip = xv->regs.rip;
	xv->uexit.tpr_write = write;
	__set_bit(NKVM_X86_UEXIT_TPR, &xv->uexit.pending);
}

/* MSR_KVM_PV_EOI_EN: 4-byte aligned, in a writable slot when enabled. */
int nkvm_x86_pv_eoi_set_msr(struct nkvm_x86_vcpu *xv, u64 data)
{
	u64 gpa = data & ~(u64)KVM_MSR_ENABLED;

	if (!IS_ALIGNED(gpa, 4) ||
	    ((data & KVM_MSR_ENABLED) && !vapic_addr_valid(xv->vcpu.vm, gpa)))
		return 1;
	xv->vapic.pv_eoi_msr = data;
	return 0;
}

static void pv_eoi_put(struct nkvm_x86_vcpu *xv, u8 val)
{
	nkvm_write_guest(xv->vcpu.vm, xv->vapic.pv_eoi_msr & ~(u64)KVM_MSR_ENABLED,
			 &val, sizeof(val));
}

/*
 * Right before an entry (the vendor calls it once it injected the
 * entry's event) and right after the exit (x86.c). A page that went away
 * meanwhile (its slot deleted) is skipped, as stock.
 */
void nkvm_x86_vapic_enter(struct nkvm_x86_vcpu *xv)
{
	u32 word;

	if (!xv->lapic)
		return;
	if ((xv->vapic.pv_eoi_msr & KVM_MSR_ENABLED) &&
	    nkvm_x86_lapic_pv_eoi_ok(xv)) {
		pv_eoi_put(xv, KVM_PV_EOI_ENABLED);
		xv->vapic.pv_eoi_pending = true;
	}
	if (likely(!xv->vapic.addr))
		return;
	word = nkvm_x86_lapic_vapic_word(xv);
	nkvm_write_guest(xv->vcpu.vm, xv->vapic.addr, &word, sizeof(word));
}

void nkvm_x86_vapic_exit(struct nkvm_x86_vcpu *xv)
{
	u32 word;
	u8 val;

	if (xv->vapic.pv_eoi_pending) {
		xv->vapic.pv_eoi_pending = false;
		if (nkvm_read_guest(xv->vcpu.vm,
				    xv->vapic.pv_eoi_msr & ~(u64)KVM_MSR_ENABLED,
				    &val, sizeof(val)))
			val = 0;
		if (val & KVM_PV_EOI_ENABLED)
			pv_eoi_put(xv, 0);
		else
			nkvm_x86_lapic_eoi(xv);
	}
	if (likely(!xv->vapic.addr))
		return;
	if (!nkvm_read_guest(xv->vcpu.vm, xv->vapic.addr, &word, sizeof(word)))
		nkvm_x86_lapic_set_tpr(xv, word & 0xff);
}
