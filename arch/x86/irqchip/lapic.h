/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local APIC's state (lapic.c). Locking: only the vCPU's own thread
 * (under vcpu->mutex) changes the registers, except IRR and TMR, which
 * other CPUs and timers change with atomic bit operations; the timer
 * fields change only while the hrtimer is cancelled, and its callback
 * (hardirq) only reads them, sets IRR bits, clears tsc_deadline and kicks.
 */
#ifndef _NKVM_X86_LAPIC_H
#define _NKVM_X86_LAPIC_H

#include <linux/hrtimer.h>

#include "irqchip.h"

/* pending bits */
#define NKVM_LAPIC_INIT		0
#define NKVM_LAPIC_SIPI		1
#define NKVM_LAPIC_PV_UNHALT	2	/* KVM_HC_KICK_CPU */

struct nkvm_lapic {
	struct nkvm_x86_vcpu *xv;	/* (c) */
	u32 regs[256];			/* [m] the 1 KiB page; IRR/TMR (a) */
	u64 base;			/* [m] MSR_IA32_APICBASE */
	u32 x2apic_id;			/* (c) the vCPU id */
	u8 mp_state;			/* [m] KVM_MP_STATE_* */
	unsigned long pending;		/* (a) INIT/SIPI received */
	u8 sipi_vector;			/* written before the SIPI bit is set */
	s16 extint;			/* [m] split: KVM_INTERRUPT's vector, -1 */
	atomic_t nmis;			/* (a) NMIs received */

	struct hrtimer timer;
	u8 timer_mode;			/* [m] LVTT bits 18:17 */
	u64 period_ns;			/* [m] one-shot/periodic length */
	u64 tsc_deadline;		/* [m] guest TSC; 0 when fired */
};

#endif /* _NKVM_X86_LAPIC_H */
