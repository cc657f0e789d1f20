/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 in-kernel irqchip (KVM_CREATE_IRQCHIP): the interfaces between
 * its parts, so that each file can be written and read on its own.
 *
 *   lapic.c    one local APIC per vCPU: registers (xAPIC MMIO, x2APIC
 *              MSRs), timer, IPIs, INIT/SIPI, the interrupt the vCPU
 *              takes next, and blocking a halted vCPU in the kernel.
 *   pic.c      the two cascaded 8259s (GSI 0-15), output to vCPU 0.
 *   ioapic.c   the 24-pin IOAPIC (GSI 0-23), messages to the local APICs.
 *   irqchip.c  KVM_CREATE_IRQCHIP, KVM_IRQ_LINE(_STATUS),
 *              KVM_GET/SET_IRQCHIP, GSI routing, KVM_SIGNAL_MSI, irqfd.
 *   i8254.c    the PIT (KVM_CREATE_PIT2), raising GSI 0.
 *   kvmclock.c the paravirtual clock MSRs and KVM_GET/SET_CLOCK.
 *
 * Everything here is backend-neutral: a vendor (SVM, VMX) only asks
 * nkvm_x86_lapic_next_irq() what to inject and reports what it did.
 */
#ifndef _NKVM_X86_IRQCHIP_H
#define _NKVM_X86_IRQCHIP_H

#include "x86.h"

struct nkvm_pic;
struct nkvm_ioapic;
struct nkvm_lapic;

/*
 * An interrupt message, as an MSI, an IOAPIC redirection entry or an ICR
 * write describes it. delivery_mode uses the ICR encoding shifted down
 * (0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT, 6 SIPI, 7 ExtINT).
 */
struct nkvm_x86_irq {
	u32 dest_id;
	u8 vector;
	u8 delivery_mode;
	u8 shorthand;			/* 0 none, 1 self, 2 all, 3 all but self */
	bool dest_logical;
	bool level;			/* asserted (INIT de-assert has 0) */
	bool trig_level;		/* level-triggered: EOI goes to the IOAPIC */
};

/* ---- lapic.c ---- */

/* Delivery mode 3 (remote read): KVM_HC_KICK_CPU's wake-up from HLT. */
#define NKVM_X86_DM_REMRD	3

/*
 * Deliver irq to every local APIC it addresses (src: the sender, for
 * shorthands; NULL from devices). Returns how many accepted it, -1 when
 * none was addressed. Any context that may take a spinlock.
 */
int nkvm_x86_lapic_deliver(struct nkvm_vm *vm, struct nkvm_x86_vcpu *src,
			   const struct nkvm_x86_irq *irq);
/* vCPU creation/teardown when the VM has an irqchip. */
int nkvm_x86_lapic_create(struct nkvm_x86_vcpu *xv);
void nkvm_x86_lapic_destroy(struct nkvm_x86_vcpu *xv);
/*
 * The PIC's INTR output rose: make vCPU 0 (the BSP, whose LINT0 it feeds)
 * look at nkvm_x86_pic_has_interrupt() soon (wake it from HLT, kick it
 * out of the guest). Any context that may take a spinlock; called with
 * no irqchip lock held.
 */
void nkvm_x86_lapic_kick_extint(struct nkvm_x86_vm *xvm);

/*
 * The rest runs in the vCPU's thread, xv->lapic set. Before an entry:
 * nkvm_x86_lapic_before_entry() (1 enter, 0 go round the KVM_RUN loop,
 * <0 return that); then, when the guest can take an interrupt, the
 * vendor injects nkvm_x86_lapic_next_irq() (a vector now in service, or
 * -1), else opens an interrupt window if nkvm_x86_lapic_has_irq().
 */
int nkvm_x86_lapic_before_entry(struct nkvm_x86_vcpu *xv);
bool nkvm_x86_lapic_has_irq(struct nkvm_x86_vcpu *xv);
int nkvm_x86_lapic_next_irq(struct nkvm_x86_vcpu *xv);
/* Split irqchip: KVM_INTERRUPT's ExtINT, and whether one fits now. */
long nkvm_x86_lapic_set_extint(struct nkvm_x86_vcpu *xv, u8 vector);
bool nkvm_x86_lapic_accepts_extint(struct nkvm_x86_vcpu *xv);
/* HLT completed (RIP after it): the vCPU halts until an event. */
void nkvm_x86_lapic_halt(struct nkvm_x86_vcpu *xv);
/* An MMIO access to the vCPU's APIC page: true when it was one. */
bool nkvm_x86_lapic_mmio(struct nkvm_x86_vcpu *xv, u64 gpa, unsigned int len,
			 bool write, void *val);
/* APIC base, x2APIC and TSC-deadline MSRs: 0, 1 (#GP), -1 not ours. */
int nkvm_x86_lapic_get_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 *data);
int nkvm_x86_lapic_set_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 data,
			   bool host);
/*
 * vapic.c's view: its page's word, and the TPR the guest left there; a
 * PV EOI would do what the EOI register does (one edge-triggered vector
 * in service, none requested), and the EOI the guest did that way.
 */
u32 nkvm_x86_lapic_vapic_word(struct nkvm_x86_vcpu *xv);
void nkvm_x86_lapic_set_tpr(struct nkvm_x86_vcpu *xv, u8 tpr);
bool nkvm_x86_lapic_pv_eoi_ok(struct nkvm_x86_vcpu *xv);
void nkvm_x86_lapic_eoi(struct nkvm_x86_vcpu *xv);
u8 nkvm_x86_lapic_get_cr8(struct nkvm_x86_vcpu *xv);
void nkvm_x86_lapic_set_cr8(struct nkvm_x86_vcpu *xv, u8 cr8);
u64 nkvm_x86_lapic_get_base(struct nkvm_x86_vcpu *xv);
void nkvm_x86_lapic_set_base(struct nkvm_x86_vcpu *xv, u64 base);
long nkvm_x86_lapic_get_mp_state(struct nkvm_x86_vcpu *xv, u32 *state);
long nkvm_x86_lapic_set_mp_state(struct nkvm_x86_vcpu *xv, u32 state);
long nkvm_x86_get_lapic(struct nkvm_x86_vcpu *xv, void __user *argp);
long nkvm_x86_set_lapic(struct nkvm_x86_vcpu *xv, void __user *argp);

/* ---- pic.c ---- */

int nkvm_x86_pic_create(struct nkvm_x86_vm *xvm);
void nkvm_x86_pic_destroy(struct nkvm_x86_vm *xvm);
/* Set input pin 0-15 (GSI) to level; returns the KVM_IRQ_LINE_STATUS value. */
int nkvm_x86_pic_set_irq(struct nkvm_x86_vm *xvm, unsigned int pin, int level);
/* The INTR output is up (an unmasked request awaits an INTA). */
bool nkvm_x86_pic_has_interrupt(struct nkvm_x86_vm *xvm);
/*
 * The INTA cycle: the vector to inject (the spurious one if none). Call
 * it with no lapic lock held: an auto-EOI may lower a resampled line.
 */
int nkvm_x86_pic_ack(struct nkvm_x86_vm *xvm);
/* KVM_GET/SET_IRQCHIP: chip 0 master, 1 slave. */
void nkvm_x86_pic_get(struct nkvm_x86_vm *xvm, unsigned int chip,
		      struct kvm_pic_state *s);
void nkvm_x86_pic_set(struct nkvm_x86_vm *xvm, unsigned int chip,
		      const struct kvm_pic_state *s);

/* ---- ioapic.c ---- */

int nkvm_x86_ioapic_create(struct nkvm_x86_vm *xvm);
void nkvm_x86_ioapic_destroy(struct nkvm_x86_vm *xvm);
int nkvm_x86_ioapic_set_irq(struct nkvm_x86_vm *xvm, unsigned int pin,
			    int level);
/*
 * A local APIC EOIed a level-triggered vector. Called with no lapic or
 * irqchip lock held (it may deliver the next message of the pin).
 */
void nkvm_x86_ioapic_eoi(struct nkvm_x86_vm *xvm, u8 vector);
void nkvm_x86_ioapic_get(struct nkvm_x86_vm *xvm, struct kvm_ioapic_state *s);
void nkvm_x86_ioapic_set(struct nkvm_x86_vm *xvm,
			 const struct kvm_ioapic_state *s);

/* ---- irqchip.c ---- */

/*
 * Raise or lower a GSI through the routing table (PIT, irqfd, IRQ_LINE):
 * the KVM_IRQ_LINE_STATUS value (>0 delivered, 0 coalesced or masked, <0
 * nobody), or -EINVAL without an irqchip.
 */
int nkvm_x86_set_irq(struct nkvm_x86_vm *xvm, u32 gsi, int level);
/* KVM_CREATE_IRQCHIP is on (KVM_CAP_IRQCHIP). */
bool nkvm_x86_irqchip_works(void);
/* KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP) on the VM. */
int nkvm_x86_enable_split_irqchip(struct nkvm_x86_vm *xvm, u64 pins);
/* Split: the EOI of this level-triggered vector goes to userspace. */
bool nkvm_x86_split_eoi_routed(struct nkvm_x86_vm *xvm, u8 vector);
/*
 * The guest acknowledged pin of chip (KVM_IRQCHIP_*): an EOI of a level
 * IOAPIC pin, or the PIC's ISR bit dropping. Resampling irqfds routed to
 * it lower their line and signal their resamplefd. No irqchip lock held.
 */
void nkvm_x86_irqchip_acked(struct nkvm_x86_vm *xvm, unsigned int chip,
			    unsigned int pin);
/* The KVM_CHECK_EXTENSION value of an irqchip capability, 0 for others. */
long nkvm_x86_irqchip_cap(long cap);
long nkvm_x86_irqchip_ioctl(struct nkvm_x86_vm *xvm, unsigned int ioctl,
			    unsigned long arg);
void nkvm_x86_irqchip_destroy(struct nkvm_x86_vm *xvm);

#endif /* _NKVM_X86_IRQCHIP_H */
