// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC, one per vCPU when the VM has an in-kernel irqchip: its
 * registers (xAPIC MMIO page, x2APIC MSRs), interrupt acceptance and
 * delivery (IPIs, INIT/SIPI), the timer (one-shot, periodic, TSC
 * deadline), the interrupt the vCPU takes next, and the halted or
 * waiting-for-SIPI vCPU that blocks in the kernel. See lapic.h for the
 * locking; the vendor only injects what nkvm_x86_lapic_next_irq() says.
 *
 * Simplifications: lowest-priority delivery goes to the first APIC
 * addressed (no arbitration); ESR never records errors; the APIC bus runs
 * at 1 GHz (one timer tick per ns and divider step), as stock.
 */
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>

#include "lapic.h"
#include "sregs.h"

#define LAPIC_VERSION		0x50014		/* version 0x14, 6 LVTs */
#define LAPIC_MIN_PERIOD_NS	200000		/* periodic timer, as stock */
#define LAPIC_X2APIC_MSR_BASE	0x800
#define LAPIC_X2APIC_MSR_END	0x8ff
#define LAPIC_X2APIC_ICR	0x830
#define LAPIC_TIMER_ONESHOT	0
#define LAPIC_TIMER_PERIODIC	1
#define LAPIC_TIMER_TSCDEADLINE	2
#define LAPIC_SVR_DIRECTED_EOI	BIT(12)
#define LAPIC_BASE_ADDR		GENMASK_ULL(51, 12)

/* ICR delivery modes (struct nkvm_x86_irq encoding). */
enum { DM_FIXED, DM_LOWEST, DM_SMI, DM_NMI = 4, DM_INIT, DM_SIPI, DM_EXTINT };

/* The writable bits of LVTT, LINT0/1, error, thermal, perf counters. */
#define LVT_MASK_BITS		(APIC_LVT_MASKED | 0xff)
#define LVT_TIMER_BITS		(LVT_MASK_BITS | (3 << 17))
#define LVT_LINT_BITS		(LVT_MASK_BITS | 0x700 | BIT(13) | BIT(15))
#define LVT_DM_BITS		(LVT_MASK_BITS | 0x700)

static const u32 lapic_lvts[] = {
	APIC_LVTT, APIC_LVTTHMR, APIC_LVTPC, APIC_LVT0, APIC_LVT1, APIC_LVTERR,
};

static u32 reg_get(struct nkvm_lapic *a, u32 off)
{
	return READ_ONCE(a->regs[off / 4]);
}

static void reg_set(struct nkvm_lapic *a, u32 off, u32 val)
{
	WRITE_ONCE(a->regs[off / 4], val);
}

/* IRR, ISR and TMR: 8 registers of 32 bits, 16 bytes apart. */
static unsigned long *vec_word(struct nkvm_lapic *a, u32 base, u8 vec)
{
	return (unsigned long *)&a->regs[(base + (vec >> 5) * 0x10) / 4];
}

static int highest_vec(struct nkvm_lapic *a, u32 base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = reg_get(a, base + i * 0x10);

		if (w)
			return i * 32 + __fls(w);
	}
	return -1;
}

static bool lapic_x2apic(struct nkvm_lapic *a)
{
	return a->base & X2APIC_ENABLE;
}

static bool lapic_hw_enabled(struct nkvm_lapic *a)
{
	return a->base & MSR_IA32_APICBASE_ENABLE;
}

static bool lapic_enabled(struct nkvm_lapic *a)
{
	return lapic_hw_enabled(a) &&
	       (reg_get(a, APIC_SPIV) & APIC_SPIV_APIC_ENABLED);
}

static bool lapic_is_bsp(struct nkvm_lapic *a)
{
	return a->base & MSR_IA32_APICBASE_BSP;
}

static u32 lapic_ppr(struct nkvm_lapic *a)
{
	u32 tpr = reg_get(a, APIC_TASKPRI);
	int isr = highest_vec(a, APIC_ISR);

	if (isr < 0 || (tpr & 0xf0) >= (isr & 0xf0))
		return tpr & 0xff;
	return isr & 0xf0;
}

/* The highest IRR vector above PPR, or -1. */
static int lapic_pending_vec(struct nkvm_lapic *a)
{
	int irr;

	if (!lapic_enabled(a))
		return -1;
	irr = highest_vec(a, APIC_IRR);
	if (irr < 0 || (irr & 0xf0) <= (lapic_ppr(a) & 0xf0))
		return -1;
	return irr;
}

/* LINT0 takes ExtINT (the PIC's output), as stock's acceptance rule. */
static bool lapic_lint0_extint(struct nkvm_lapic *a)
{
	u32 lvt0 = reg_get(a, APIC_LVT0);

	return !lapic_hw_enabled(a) ||
	       (!(lvt0 & APIC_LVT_MASKED) && (lvt0 & 0x700) == APIC_DM_EXTINT);
}

/* The in-kernel PIC's output reaches the boot vCPU through LINT0. */
static bool lapic_accepts_pic(struct nkvm_lapic *a)
{
	return lapic_is_bsp(a) && lapic_lint0_extint(a);
}

/*
 * An ExtINT waits for this vCPU: the in-kernel PIC's, or (split irqchip)
 * the vector userspace's PIC gave with KVM_INTERRUPT.
 */
static bool lapic_extint(struct nkvm_x86_vcpu *xv)
{
	struct nkvm_lapic *a = xv->lapic;

	if (a->extint >= 0)
		return lapic_lint0_extint(a);
	return lapic_accepts_pic(a) &&
	       nkvm_x86_pic_has_interrupt(to_x86_vm(xv->vcpu.vm));
}

/* ---- acceptance: any context ---- */

static void lapic_set_irr(struct nkvm_lapic *a, u8 vec, bool level)
{
	if (level)
		set_bit(vec & 31, vec_word(a, APIC_TMR, vec));
	else
		clear_bit(vec & 31, vec_word(a, APIC_TMR, vec));
	set_bit(vec & 31, vec_word(a, APIC_IRR, vec));
	nkvm_vcpu_kick(&a->xv->vcpu);
}

static bool lapic_accept(struct nkvm_lapic *a, const struct nkvm_x86_irq *irq)
{
	switch (irq->delivery_mode) {
	case DM_FIXED:
	case DM_LOWEST:
		if (!lapic_enabled(a) || irq->vector < 16)
			return false;
		lapic_set_irr(a, irq->vector, irq->trig_level);
		return true;
	case DM_NMI:
		atomic_inc(&a->nmis);
		break;
	case DM_INIT:
		/* The level de-assert of an INIT IPI does nothing. */
		if (irq->trig_level && !irq->level)
			return false;
		set_bit(NKVM_LAPIC_INIT, &a->pending);
		break;
	case DM_SIPI:
		WRITE_ONCE(a->sipi_vector, irq->vector);
		/* The vector before the bit: pairs with accept_events. */
		smp_wmb();
		set_bit(NKVM_LAPIC_SIPI, &a->pending);
		break;
	case NKVM_X86_DM_REMRD:
		set_bit(NKVM_LAPIC_PV_UNHALT, &a->pending);
		break;
	default:
		return false;
	}
	nkvm_vcpu_kick(&a->xv->vcpu);
	return true;
}

static bool lapic_match(struct nkvm_lapic *a, struct nkvm_x86_vcpu *src,
			const struct nkvm_x86_irq *irq)
{
	bool self = src && src->lapic == a;
	bool x2 = lapic_x2apic(a);
	u32 dest = irq->dest_id, ldr;

	switch (irq->shorthand) {
	case 1:
		return self;
	case 2:
		return true;
	case 3:
		return !self;
	}
	if (dest == (src && lapic_x2apic(src->lapic) ? 0xffffffff : 0xff))
		return true;
	if (!irq->dest_logical)
		return x2 ? dest == a->x2apic_id :
			    dest == reg_get(a, APIC_ID) >> 24;
	ldr = reg_get(a, APIC_LDR);
	if (x2)
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	ldr >>= 24;
	dest &= 0xff;
	if ((reg_get(a, APIC_DFR) >> 28) == 0xf)	/* flat */
		return dest & ldr;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);	/* cluster */
}

int nkvm_x86_lapic_deliver(struct nkvm_vm *vm, struct nkvm_x86_vcpu *src,
			   const struct nkvm_x86_irq *irq)
{
	unsigned int i, n = atomic_read(&vm->online_vcpus);
	int accepted = -1;

	for (i = 0; i < n; i++) {
		struct nkvm_vcpu *vcpu = xa_load(&vm->vcpus, i);
		struct nkvm_lapic *a = vcpu ? to_x86_vcpu(vcpu)->lapic : NULL;

		if (!a || !lapic_hw_enabled(a) || !lapic_match(a, src, irq))
			continue;
		accepted = max(accepted, 0) + lapic_accept(a, irq);
		if (irq->delivery_mode == DM_LOWEST)
			break;
	}
	return accepted;
}

/* ---- the timer ---- */

static enum hrtimer_restart lapic_timer_fn(struct hrtimer *t)
{
	struct nkvm_lapic *a = container_of(t, struct nkvm_lapic, timer);
	u32 lvtt = reg_get(a, APIC_LVTT);

	if (!(lvtt & APIC_LVT_MASKED))
		lapic_set_irr(a, lvtt & 0xff, false);
	if (a->timer_mode == LAPIC_TIMER_PERIODIC) {
		/* A late callback skips the periods it missed. */
		hrtimer_forward_now(t, ns_to_ktime(a->period_ns));
		return HRTIMER_RESTART;
	}
	if (a->timer_mode == LAPIC_TIMER_TSCDEADLINE)
		WRITE_ONCE(a->tsc_deadline, 0);
	return HRTIMER_NORESTART;
}

static u32 lapic_divide(struct nkvm_lapic *a)
{
	u32 tdcr = reg_get(a, APIC_TDCR);

	return 1U << ((((tdcr & 3) | ((tdcr & 8) >> 1)) + 1) & 7);
}

static void lapic_timer_start_ns(struct nkvm_lapic *a, u64 ns)
{
	hrtimer_start(&a->timer, ktime_add_ns(ktime_get(), ns),
		      HRTIMER_MODE_ABS_HARD);
}

/* TMICT written (or restored): (re)start a one-shot or periodic count. */
static void lapic_timer_restart(struct nkvm_lapic *a)
{
	u32 count = reg_get(a, APIC_TMICT);

	hrtimer_cancel(&a->timer);
	if (a->timer_mode == LAPIC_TIMER_TSCDEADLINE || !count)
		return;
	a->period_ns = (u64)count * lapic_divide(a);
	if (a->timer_mode == LAPIC_TIMER_PERIODIC)
		a->period_ns = max_t(u64, a->period_ns, LAPIC_MIN_PERIOD_NS);
	lapic_timer_start_ns(a, a->period_ns);
}

static u64 lapic_guest_tsc(struct nkvm_x86_vcpu *xv)
{
	return rdtsc() + xv->tsc_offset;
}

static void lapic_set_tsc_deadline(struct nkvm_lapic *a, u64 deadline)
{
	struct nkvm_x86_vcpu *xv = a->xv;
	u64 now, ns = 0;

	if (a->timer_mode != LAPIC_TIMER_TSCDEADLINE)
		return;
	hrtimer_cancel(&a->timer);
	a->tsc_deadline = deadline;
	if (!deadline)
		return;
	now = lapic_guest_tsc(xv);
	if (deadline > now && xv->tsc_khz)
		ns = mul_u64_u32_div(deadline - now, 1000000, xv->tsc_khz);
	lapic_timer_start_ns(a, ns);
}

static u32 lapic_tmcct(struct nkvm_lapic *a)
{
	s64 left;

	if (a->timer_mode == LAPIC_TIMER_TSCDEADLINE ||
	    !reg_get(a, APIC_TMICT) || !hrtimer_active(&a->timer))
		return 0;
	left = ktime_to_ns(hrtimer_get_remaining(&a->timer));
	if (left <= 0)
		return 0;
	return div_u64(left, lapic_divide(a));
}

static void lapic_set_lvtt(struct nkvm_lapic *a, u32 val)
{
	u8 mode = (val >> 17) & 3;

	if (mode != a->timer_mode) {
		hrtimer_cancel(&a->timer);
		reg_set(a, APIC_TMICT, 0);
		a->tsc_deadline = 0;
		a->period_ns = 0;
		a->timer_mode = mode;
	}
	reg_set(a, APIC_LVTT, val);
}

/* ---- registers ---- */

/*
 * The EOI of a level-triggered vector goes to the IOAPIC that sent it:
 * the in-kernel one (unless the guest EOIs there itself, directed EOI),
 * or userspace's (split irqchip, as stock whatever directed EOI says).
 */
static void lapic_eoi(struct nkvm_lapic *a)
{
	struct nkvm_x86_vm *xvm = to_x86_vm(a->xv->vcpu.vm);
	int vec = highest_vec(a, APIC_ISR);

	if (vec < 0)
		return;
	clear_bit(vec & 31, vec_word(a, APIC_ISR, vec));
	if (!test_bit(vec & 31, vec_word(a, APIC_TMR, vec)))
		return;
	if (nkvm_x86_irqchip_split(xvm)) {
		if (nkvm_x86_split_eoi_routed(xvm, vec)) {
			a->xv->uexit.eoi_vector = vec;
			__set_bit(NKVM_X86_UEXIT_EOI, &a->xv->uexit.pending);
		}
	} else if (!(reg_get(a, APIC_SPIV) & LAPIC_SVR_DIRECTED_EOI)) {
		nkvm_x86_ioapic_eoi(xvm, vec);
	}
}

static void lapic_send_ipi(struct nkvm_lapic *a, u32 low, u32 dest)
{
	struct nkvm_x86_irq irq = {
		.dest_id = dest,
		.vector = low & 0xff,
		.delivery_mode = (low >> 8) & 7,
		.shorthand = (low >> 18) & 3,
		.dest_logical = low & APIC_DEST_LOGICAL,
		.level = low & APIC_INT_ASSERT,
		.trig_level = low & APIC_INT_LEVELTRIG,
	};

	nkvm_x86_lapic_deliver(a->xv->vcpu.vm, a->xv, &irq);
}

static void lapic_set_ldr_x2apic(struct nkvm_lapic *a)
{
	u32 id = a->x2apic_id;

	reg_set(a, APIC_ID, id);
	reg_set(a, APIC_LDR, ((id >> 4) << 16) | (1U << (id & 0xf)));
}

/* A register write: 0, or 1 when the register is not writable (#GP). */
static int lapic_write(struct nkvm_lapic *a, u32 off, u32 val)
{
	bool x2 = lapic_x2apic(a);
	unsigned int i;

	switch (off) {
	case APIC_ID:
		if (x2)
			return 1;
		reg_set(a, off, val & 0xff000000);
		break;
	case APIC_TASKPRI:
		reg_set(a, off, val & 0xff);
		break;
	case APIC_EOI:
		if (x2 && val)
			return 1;
		lapic_eoi(a);
		break;
	case APIC_LDR:
		if (x2)
			return 1;
		reg_set(a, off, val & 0xff000000);
		break;
	case APIC_DFR:
		if (x2)
			return 1;
		reg_set(a, off, val | 0x0fffffff);
		break;
	case APIC_SPIV:
		reg_set(a, off, val & (0x3ff | LAPIC_SVR_DIRECTED_EOI));
		if (val & APIC_SPIV_APIC_ENABLED)
			break;
		/* Software-disabled: every LVT masked. */
		for (i = 0; i < ARRAY_SIZE(lapic_lvts); i++)
			reg_set(a, lapic_lvts[i],
				reg_get(a, lapic_lvts[i]) | APIC_LVT_MASKED);
		break;
	case APIC_ESR:
		if (x2 && val)
			return 1;
		reg_set(a, off, 0);
		break;
	case APIC_ICR:
		reg_set(a, off, val & ~APIC_ICR_BUSY);
		lapic_send_ipi(a, val, reg_get(a, APIC_ICR2) >> 24);
		break;
	case APIC_ICR2:
		if (x2)
			return 1;
		reg_set(a, off, val & 0xff000000);
		break;
	case APIC_LVTT:
		if (!(reg_get(a, APIC_SPIV) & APIC_SPIV_APIC_ENABLED))
			val |= APIC_LVT_MASKED;
		lapic_set_lvtt(a, val & LVT_TIMER_BITS);
		break;
	case APIC_LVT0:
	case APIC_LVT1:
	case APIC_LVTTHMR:
	case APIC_LVTPC:
	case APIC_LVTERR:
		if (!(reg_get(a, APIC_SPIV) & APIC_SPIV_APIC_ENABLED))
			val |= APIC_LVT_MASKED;
		val &= off == APIC_LVTERR ? LVT_MASK_BITS :
		       off == APIC_LVT0 || off == APIC_LVT1 ? LVT_LINT_BITS :
		       LVT_DM_BITS;
		reg_set(a, off, val);
		break;
	case APIC_TMICT:
		if (a->timer_mode == LAPIC_TIMER_TSCDEADLINE)
			break;
		reg_set(a, off, val);
		lapic_timer_restart(a);
		break;
	case APIC_TDCR:
		reg_set(a, off, val & 0xb);
		break;
	case APIC_SELF_IPI:
		if (!x2)
			return 1;
		lapic_set_irr(a, val & 0xff, false);
		break;
	default:
		return 1;
	}
	return 0;
}

/* A register read: 0, or 1 when it does not exist (or is write-only). */
static int lapic_read(struct nkvm_lapic *a, u32 off, u32 *val)
{
	bool x2 = lapic_x2apic(a);

	switch (off) {
	case APIC_ID:
	case APIC_LDR:
	case APIC_LVR:
	case APIC_TASKPRI:
	case APIC_SPIV:
	case APIC_ESR:
	case APIC_ICR:
	case APIC_LVTT ... APIC_TMICT:
	case APIC_TDCR:
	case APIC_ISR ... APIC_IRR + 0x70:
		if (off & 0xf)
			return 1;
		*val = reg_get(a, off);
		return 0;
	case APIC_DFR:
	case APIC_ICR2:
		if (x2)
			return 1;
		*val = reg_get(a, off);
		return 0;
	case APIC_PROCPRI:
		*val = lapic_ppr(a);
		return 0;
	case APIC_TMCCT:
		*val = lapic_tmcct(a);
		return 0;
	case APIC_ARBPRI:
		*val = 0;
		return x2;
	case APIC_EOI:
		*val = 0;
		return x2;
	}
	return 1;
}

/* ---- guest accesses ---- */

bool nkvm_x86_lapic_mmio(struct nkvm_x86_vcpu *xv, u64 gpa, unsigned int len,
			 bool write, void *val)
{
	struct nkvm_lapic *a = xv->lapic;
	u64 page = a ? a->base & LAPIC_BASE_ADDR : 0;
	u32 off = gpa - page, data = 0;

	if (!a || gpa < page || gpa + len > page + PAGE_SIZE)
		return false;
	/*
	 * Disabled or in x2APIC mode: with KVM_X86_QUIRK_LAPIC_MMIO_HOLE
	 * (pv.c) the page still swallows accesses, reads give all ones;
	 * without it they are ordinary MMIO, as stock.
	 */
	if (!lapic_hw_enabled(a) || lapic_x2apic(a)) {
		if (!nkvm_x86_has_quirk(xv, KVM_X86_QUIRK_LAPIC_MMIO_HOLE))
			return false;
		if (!write)
			memset(val, 0xff, len);
		return true;
	}
	/*
	 * Only aligned 32-bit accesses have an effect, as on hardware. TPR
	 * accesses through the page (not CR8, not the x2APIC MSR) are
	 * reported to userspace when it asked (vapic.c).
	 */
	if (write) {
		if (len == 4 && !(off & 0xf) && off < sizeof(a->regs)) {
			if (off == APIC_TASKPRI)
				nkvm_x86_tpr_accessed(xv, true);
			lapic_write(a, off, *(u32 *)val);
		}
		return true;
	}
	if (off < sizeof(a->regs)) {
		if ((off & ~0xf) == APIC_TASKPRI)
			nkvm_x86_tpr_accessed(xv, false);
		lapic_read(a, off & ~0xf, &data);
	}
	memset(val, 0, len);
	if ((off & 0xf) + len <= 4)
		memcpy(val, (u8 *)&data + (off & 3), len);
	return true;
}

/* MSRs: 0 done, 1 #GP, -1 not an APIC MSR. */
int nkvm_x86_lapic_get_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 *data)
{
	struct nkvm_lapic *a = xv->lapic;
	u32 val;

	if (!a)
		return -1;
	if (index == MSR_IA32_APICBASE) {
		*data = a->base;
		return 0;
	}
	if (index == MSR_IA32_TSC_DEADLINE) {
		*data = a->timer_mode == LAPIC_TIMER_TSCDEADLINE ?
			READ_ONCE(a->tsc_deadline) : 0;
		return 0;
	}
	if (index < LAPIC_X2APIC_MSR_BASE || index > LAPIC_X2APIC_MSR_END)
		return -1;
	if (!lapic_x2apic(a))
		return 1;
	if (index == LAPIC_X2APIC_ICR) {
		*data = reg_get(a, APIC_ICR) | (u64)reg_get(a, APIC_ICR2) << 32;
		return 0;
	}
	if (lapic_read(a, (index - LAPIC_X2APIC_MSR_BASE) << 4, &val))
		return 1;
	*data = val;
	return 0;
}

static int lapic_set_base(struct nkvm_lapic *a, u64 val, bool host)
{
	u64 old = a->base;
	bool was_x2 = lapic_x2apic(a), was_on = lapic_hw_enabled(a);

	/* x2APIC is emulated: the host's CPU need not have it. */
	if (!nkvm_x86_apic_base_valid(val & ~X2APIC_ENABLE))
		return 1;
	if ((val & X2APIC_ENABLE) && !(val & MSR_IA32_APICBASE_ENABLE))
		return 1;
	if (!host && (old ^ val) & (X2APIC_ENABLE | MSR_IA32_APICBASE_ENABLE) &&
	    ((was_x2 && !(val & X2APIC_ENABLE) &&
	      (val & MSR_IA32_APICBASE_ENABLE)) ||
	     (!was_on && (val & X2APIC_ENABLE))))
		return 1;
	a->base = val;
	if (!was_x2 && (val & X2APIC_ENABLE))
		lapic_set_ldr_x2apic(a);
	else if (was_x2 && !(val & X2APIC_ENABLE))
		reg_set(a, APIC_ID, a->x2apic_id << 24);
	return 0;
}

int nkvm_x86_lapic_set_msr(struct nkvm_x86_vcpu *xv, u32 index, u64 data,
			   bool host)
{
	struct nkvm_lapic *a = xv->lapic;

	if (!a)
		return -1;
	if (index == MSR_IA32_APICBASE)
		return lapic_set_base(a, data, host);
	if (index == MSR_IA32_TSC_DEADLINE) {
		lapic_set_tsc_deadline(a, data);
		return 0;
	}
	if (index < LAPIC_X2APIC_MSR_BASE || index > LAPIC_X2APIC_MSR_END)
		return -1;
	if (!lapic_x2apic(a))
		return 1;
	if (index == LAPIC_X2APIC_ICR) {
		if (data & 0xfff32000ULL)	/* reserved bits of the low half */
			return 1;
		reg_set(a, APIC_ICR2, data >> 32);
		reg_set(a, APIC_ICR, (u32)data);
		lapic_send_ipi(a, data, data >> 32);
		return 0;
	}
	if (data >> 32)
		return 1;
	return lapic_write(a, (index - LAPIC_X2APIC_MSR_BASE) << 4, data);
}

u64 nkvm_x86_lapic_get_base(struct nkvm_x86_vcpu *xv)
{
	return xv->lapic->base;
}

void nkvm_x86_lapic_set_base(struct nkvm_x86_vcpu *xv, u64 base)
{
	lapic_set_base(xv->lapic, base, true);
}

/* CR8 is TPR[7:4]: the vendor keeps the guest's CR8 in step. */
u8 nkvm_x86_lapic_get_cr8(struct nkvm_x86_vcpu *xv)
{
	return reg_get(xv->lapic, APIC_TASKPRI) >> 4;
}

void nkvm_x86_lapic_set_cr8(struct nkvm_x86_vcpu *xv, u8 cr8)
{
	if (nkvm_x86_lapic_get_cr8(xv) != (cr8 & 0xf))
		reg_set(xv->lapic, APIC_TASKPRI, (cr8 & 0xf) << 4);
}

/*
 * The word of QEMU's kvmvapic page (vapic.c): TPR in bits 7:0, the
 * highest in-service class in 15:12, the highest requested vector in
 * 31:24 (0 for none), as stock writes it.
 */
u32 nkvm_x86_lapic_vapic_word(struct nkvm_x86_vcpu *xv)
{
	struct nkvm_lapic *a = xv->lapic;
	int irr = highest_vec(a, APIC_IRR), isr = highest_vec(a, APIC_ISR);

	return (reg_get(a, APIC_TASKPRI) & 0xff) |
	       ((isr < 0 ? 0 : isr & 0xf0) << 8) |
	       ((irr < 0 ? 0 : irr) << 24);
}

void nkvm_x86_lapic_set_tpr(struct nkvm_x86_vcpu *xv, u8 tpr)
{
	reg_set(xv->lapic, APIC_TASKPRI, tpr);
}

bool nkvm_x86_lapic_pv_eoi_ok(struct nkvm_x86_vcpu *xv)
{
	struct nkvm_lapic *a = xv->lapic;
	int isr = highest_vec(a, APIC_ISR);

	return isr >= 0 && highest_vec(a, APIC_IRR) < 0 &&
	       !test_bit(isr & 31, vec_word(a, APIC_TMR, isr));
}

void nkvm_x86_lapic_eoi(struct nkvm_x86_vcpu *xv)
{
	lapic_eoi(xv->lapic);
}

/* ---- what to inject ---- */

bool nkvm_x86_lapic_has_irq(struct nkvm_x86_vcpu *xv)
{
	return lapic_extint(xv) || lapic_pending_vec(xv->lapic) >= 0;
}

int nkvm_x86_lapic_next_irq(struct nkvm_x86_vcpu *xv)
{
	struct nkvm_lapic *a = xv->lapic;
	int vec;

	if (lapic_extint(xv)) {
		if (a->extint < 0)
			return nkvm_x86_pic_ack(to_x86_vm(xv->vcpu.vm));
		vec = a->extint;
		a->extint = -1;
		return vec;
	}
	vec = lapic_pending_vec(a);
	if (vec < 0)
		return -1;
	clear_bit(vec & 31, vec_word(a, APIC_IRR, vec));
	set_bit(vec & 31, vec_word(a, APIC_ISR, vec));
	return vec;
}

/*
 * KVM_INTERRUPT with a split irqchip: userspace's PIC has an ExtINT for
 * this vCPU. As stock: EEXIST while the previous one waits.
 */
long nkvm_x86_lapic_set_extint(struct nkvm_x86_vcpu *xv, u8 vector)
{
	if (xv->lapic->extint >= 0)
		return -EEXIST;
	xv->lapic->extint = vector;
	return 0;
}

/*
 * Userspace may give an ExtINT (KVM_INTERRUPT) now: none waits, and LINT0
 * would take it (stock's kvm_cpu_accept_dm_intr()).
 */
bool nkvm_x86_lapic_accepts_extint(struct nkvm_x86_vcpu *xv)
{
	return !lapic_extint(xv) && lapic_lint0_extint(xv->lapic);
}

/* ---- MP states, INIT and SIPI, blocking ---- */

static void lapic_reset(struct nkvm_lapic *a, bool init)
{
	struct nkvm_x86_vcpu *xv = a->xv;
	unsigned int i;
	u32 id = reg_get(a, APIC_ID);

	hrtimer_cancel(&a->timer);
	memset(a->regs, 0, sizeof(a->regs));
	if (!init) {
		a->base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE;
		if (xv->vcpu.vcpu_id == READ_ONCE(to_x86_vm(xv->vcpu.vm)->bsp_vcpu_id))
			a->base |= MSR_IA32_APICBASE_BSP;
		id = a->x2apic_id << 24;
	}
	reg_set(a, APIC_ID, id);
	reg_set(a, APIC_LVR, LAPIC_VERSION);
	reg_set(a, APIC_DFR, 0xffffffff);
	reg_set(a, APIC_SPIV, 0xff);
	for (i = 0; i < ARRAY_SIZE(lapic_lvts); i++)
		reg_set(a, lapic_lvts[i], APIC_LVT_MASKED);
	if (lapic_is_bsp(a) &&
	    nkvm_x86_has_quirk(xv, KVM_X86_QUIRK_LINT0_REENABLED))
		reg_set(a, APIC_LVT0, APIC_DM_EXTINT);
	if (lapic_x2apic(a))
		lapic_set_ldr_x2apic(a);
	a->timer_mode = LAPIC_TIMER_ONESHOT;
	a->period_ns = 0;
	a->tsc_deadline = 0;
	/* As stock: RESET and INIT drop userspace's ExtINT and PV EOI too. */
	a->extint = -1;
	xv->vapic.pv_eoi_msr = 0;
}

static bool lapic_events_pending(struct nkvm_lapic *a)
{
	return READ_ONCE(a->pending) || atomic_read(&a->nmis);
}

/* Take INIT, SIPI and NMIs that other CPUs sent. */
static void lapic_accept_events(struct nkvm_x86_vcpu *xv)
{
	struct nkvm_lapic *a = xv->lapic;
	struct kvm_sregs sregs;
	int nmis = atomic_xchg(&a->nmis, 0);

	if (nmis)
		nkvm_x86_queue_nmis(xv, nmis);
	/*
	 * KVM_HC_KICK_CPU: a running vCPU keeps the kick for its next HLT
	 * (a spinlock waiter may be on its way there); a halted one wakes;
	 * one waiting for INIT/SIPI drops it.
	 */
	if (a->mp_state != KVM_MP_STATE_RUNNABLE &&
	    test_and_clear_bit(NKVM_LAPIC_PV_UNHALT, &a->pending) &&
	    a->mp_state == KVM_MP_STATE_HALTED)
		a->mp_state = KVM_MP_STATE_RUNNABLE;
	/* A vendor that runs no guests never sees INIT/SIPI. */
	if (!nkvm_x86_runs_guests())
		return;
	if (test_and_clear_bit(NKVM_LAPIC_INIT, &a->pending)) {
		nkvm_x86_vendor_init(xv);
		lapic_reset(a, true);
		a->mp_state = lapic_is_bsp(a) ? KVM_MP_STATE_RUNNABLE :
						 KVM_MP_STATE_INIT_RECEIVED;
	}
	if (test_and_clear_bit(NKVM_LAPIC_SIPI, &a->pending) &&
	    a->mp_state == KVM_MP_STATE_INIT_RECEIVED) {
		u8 vec;

		/* The bit before the vector: pairs with lapic_accept(). */
		smp_rmb();
		vec = READ_ONCE(a->sipi_vector);
		nkvm_x86_get_sregs(xv, &sregs);
		sregs.cs.selector = vec << 8;
		sregs.cs.base = vec << 12;
		nkvm_x86_put_sregs(xv, &sregs);
		xv->regs.rip = 0;
		a->mp_state = KVM_MP_STATE_RUNNABLE;
	}
}

/* A halted vCPU wakes for an interrupt it can take, an NMI, INIT, SIPI. */
static bool lapic_can_wake(struct nkvm_vcpu *vcpu)
{
	struct nkvm_x86_vcpu *xv = to_x86_vcpu(vcpu);
	struct nkvm_lapic *a = xv->lapic;

	if (lapic_events_pending(a))
		return true;
	if (a->mp_state != KVM_MP_STATE_HALTED)
		return false;
	return xv->ev.nmi_pending ||
	       ((xv->regs.rflags & X86_EFLAGS_IF) && nkvm_x86_lapic_has_irq(xv));
}

/*
 * Before each entry: take what arrived; a vCPU that is not runnable
 * blocks here. 1 to enter the guest, 0 to go round the KVM_RUN loop
 * (signals), else what KVM_RUN returns.
 */
int nkvm_x86_lapic_before_entry(struct nkvm_x86_vcpu *xv)
{
	struct nkvm_lapic *a = xv->lapic;
	u8 state;

	if (!a)
		return 1;
	lapic_accept_events(xv);
	state = a->mp_state;
	if (state == KVM_MP_STATE_RUNNABLE)
		return 1;
	if (state == KVM_MP_STATE_HALTED && lapic_can_wake(&xv->vcpu)) {
		a->mp_state = KVM_MP_STATE_RUNNABLE;
		return 1;
	}
	nkvm_vcpu_block(&xv->vcpu, lapic_can_wake);
	lapic_accept_events(xv);
	if (a->mp_state == KVM_MP_STATE_HALTED && lapic_can_wake(&xv->vcpu))
		a->mp_state = KVM_MP_STATE_RUNNABLE;
	/* As stock: the first run of an AP returns once woken. */
	if (state == KVM_MP_STATE_UNINITIALIZED) {
		if (signal_pending(current)) {
			xv->vcpu.run->exit_reason = KVM_EXIT_INTR;
			nkvm_stat_inc(&xv->vcpu.stat.signal_exits);
			return -EINTR;
		}
		return -EAGAIN;
	}
	return 0;
}

/* HLT (RIP past it): halt until an event wakes the vCPU. */
void nkvm_x86_lapic_halt(struct nkvm_x86_vcpu *xv)
{
	xv->lapic->mp_state = KVM_MP_STATE_HALTED;
}

long nkvm_x86_lapic_get_mp_state(struct nkvm_x86_vcpu *xv, u32 *state)
{
	lapic_accept_events(xv);
	*state = xv->lapic->mp_state;
	return 0;
}

long nkvm_x86_lapic_set_mp_state(struct nkvm_x86_vcpu *xv, u32 state)
{
	struct nkvm_lapic *a = xv->lapic;

	switch (state) {
	case KVM_MP_STATE_SIPI_RECEIVED:
		a->mp_state = KVM_MP_STATE_INIT_RECEIVED;
		set_bit(NKVM_LAPIC_SIPI, &a->pending);
		return 0;
	case KVM_MP_STATE_RUNNABLE:
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_INIT_RECEIVED:
	case KVM_MP_STATE_HALTED:
		a->mp_state = state;
		return 0;
	}
	return -EINVAL;
}

/* ---- KVM_GET_LAPIC / KVM_SET_LAPIC ---- */

long nkvm_x86_get_lapic(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct nkvm_lapic *a = xv->lapic;
	struct kvm_lapic_state *s;
	u32 *r;
	long ret = 0;

	if (!a)
		return -EINVAL;
	BUILD_BUG_ON(sizeof(a->regs) != sizeof(s->regs));
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	memcpy(s->regs, a->regs, sizeof(s->regs));
	r = (u32 *)s->regs;
	r[APIC_TMCCT / 4] = lapic_tmcct(a);
	r[APIC_PROCPRI / 4] = lapic_ppr(a);
	/* As stock without the x2APIC API: the ID in xAPIC format. */
	if (lapic_x2apic(a))
		r[APIC_ID / 4] = a->x2apic_id << 24;
	if (copy_to_user(argp, s, sizeof(*s)))
		ret = -EFAULT;
	kfree(s);
	return ret;
}

long nkvm_x86_set_lapic(struct nkvm_x86_vcpu *xv, void __user *argp)
{
	struct nkvm_lapic *a = xv->lapic;
	struct kvm_lapic_state *s;

	if (!a)
		return -EINVAL;
	s = memdup_user(argp, sizeof(*s));
	if (IS_ERR(s))
		return PTR_ERR(s);
	hrtimer_cancel(&a->timer);
	memcpy(a->regs, s->regs, sizeof(a->regs));
	kfree(s);
	reg_set(a, APIC_LVR, LAPIC_VERSION);
	reg_set(a, APIC_TMCCT, 0);
	if (lapic_x2apic(a))
		lapic_set_ldr_x2apic(a);
	a->timer_mode = (reg_get(a, APIC_LVTT) >> 17) & 3;
	a->tsc_deadline = 0;
	a->period_ns = 0;
	lapic_timer_restart(a);
	nkvm_vcpu_kick(&xv->vcpu);
	return 0;
}

/* ---- creation ---- */

int nkvm_x86_lapic_create(struct nkvm_x86_vcpu *xv)
{
	struct nkvm_lapic *a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	u32 bsp = READ_ONCE(to_x86_vm(xv->vcpu.vm)->bsp_vcpu_id);

	if (!a)
		return -ENOMEM;
	a->xv = xv;
	a->x2apic_id = xv->vcpu.vcpu_id;
	hrtimer_init(&a->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	a->timer.function = lapic_timer_fn;
	lapic_reset(a, false);
	/* As stock: the APs wait for INIT and SIPI. */
	a->mp_state = xv->vcpu.vcpu_id == bsp ? KVM_MP_STATE_RUNNABLE :
						KVM_MP_STATE_UNINITIALIZED;
	xv->lapic = a;
	return 0;
}

void nkvm_x86_lapic_destroy(struct nkvm_x86_vcpu *xv)
{
	if (!xv->lapic)
		return;
	hrtimer_cancel(&xv->lapic->timer);
	kfree(xv->lapic);
	xv->lapic = NULL;
}

/*
 * The PIC's output rose: the boot vCPU takes ExtINT (lapic_is_bsp), so
 * wake it or make it leave the guest. Any context.
 */
void nkvm_x86_lapic_kick_extint(struct nkvm_x86_vm *xvm)
{
	u32 bsp = READ_ONCE(xvm->bsp_vcpu_id);
	struct nkvm_vcpu *vcpu;
	unsigned long i;

	xa_for_each(&xvm->vm.vcpus, i, vcpu)
		if (vcpu->vcpu_id == bsp)
			nkvm_vcpu_kick(vcpu);
}
