// SPDX-License-Identifier: GPL-2.0
/*
 * The rules of the special registers: no combination of control
 * registers, EFER and segments that the hardware would refuse (or that no
 * CPU can be in) reaches a vendor through KVM_SET_SREGS, and a guest's own
 * write to CR0 or CR4 that a real CPU answers with #GP gets #GP.
 */
#include <linux/kvm.h>
#include <asm/apicdef.h>
#include <asm/cpufeature.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>

#include "sregs.h"
#include "x86.h"

#define X86_EFER_ALLOWED	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)
/* APIC base: bits 0-7 and 9 are reserved. */
#define X86_APIC_BASE_RSVD	0x2ffULL

/* As stock: CR4 features the supported CPUID offers, CPUID set or not. */
static u64 x86_cr4_allowed(void)
{
	static const struct {
		unsigned int feature;
		u64 cr4;
	} opt[] = {
		{ X86_FEATURE_UMIP, X86_CR4_UMIP },
		{ X86_FEATURE_FSGSBASE, X86_CR4_FSGSBASE },
		{ X86_FEATURE_PCID, X86_CR4_PCIDE },
		{ X86_FEATURE_XSAVE, X86_CR4_OSXSAVE },
		{ X86_FEATURE_SMEP, X86_CR4_SMEP },
		{ X86_FEATURE_SMAP, X86_CR4_SMAP },
		{ X86_FEATURE_PKU, X86_CR4_PKE },
		{ X86_FEATURE_LA57, X86_CR4_LA57 },
	};
	u64 ok = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE |
		 X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE |
		 X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(opt); i++)
		if (nkvm_x86_supports(opt[i].feature))
			ok |= opt[i].cr4;
	return ok;
}

static bool x86_cr0_valid(u64 cr0)
{
	if (cr0 >> 32)
		return false;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return false;
	return !(cr0 & X86_CR0_PG) || (cr0 & X86_CR0_PE);
}

static bool x86_apic_base_valid(u64 base, u64 pa_rsvd)
{
	if (base & (X86_APIC_BASE_RSVD | pa_rsvd))
		return false;
	/*
	 * x2APIC mode needs the xAPIC enabled too. The in-kernel LAPIC
	 * emulates x2APIC whatever the host has (the supported CPUID offers
	 * it), so the host's own x2APIC does not matter, as in stock.
	 */
	return !(base & X2APIC_ENABLE) || (base & MSR_IA32_APICBASE_ENABLE);
}

/*
 * A guest's MOV to CR0 (or LMSW) from the state s: what the CPU refuses
 * with #GP beyond the value's own rules. Turning paging on with EFER.LME
 * enters long mode, which needs PAE and a code segment that is not 64-bit;
 * 64-bit mode cannot turn paging off, nor can anyone while CR4.PCIDE is
 * set. (PAE paging without LME would load the PDPTEs, which are not
 * checked here: with nested paging the CPU reads them on its walks.)
 */
static bool x86_cr0_write_valid(const struct kvm_sregs *s, u64 cr0)
{
	bool was_paging = s->cr0 & X86_CR0_PG;

	if (!x86_cr0_valid(cr0))
		return false;
	if (!was_paging && (cr0 & X86_CR0_PG) && (s->efer & EFER_LME))
		return (s->cr4 & X86_CR4_PAE) && !s->cs.l;
	if (was_paging && !(cr0 & X86_CR0_PG))
		return !((s->efer & EFER_LMA) && s->cs.l) &&
		       !(s->cr4 & X86_CR4_PCIDE);
	return true;
}

/*
 * A guest's MOV to CR4 from the state s: no reserved bit (the host's, and
 * what the vCPU's CPUID makes reserved), long mode keeps PAE and its
 * paging depth (LA57), and PCIDE is set only in long mode with CR3's low
 * twelve bits clear.
 */
static bool x86_cr4_write_valid(const struct kvm_sregs *s, u64 cr4,
				u64 cr4_rsvd)
{
	if ((cr4 & ~x86_cr4_allowed()) || (cr4 & cr4_rsvd))
		return false;
	if ((s->efer & EFER_LMA) &&
	    (!(cr4 & X86_CR4_PAE) || ((cr4 ^ s->cr4) & X86_CR4_LA57)))
		return false;
	if ((cr4 & X86_CR4_PCIDE) && !(s->cr4 & X86_CR4_PCIDE) &&
	    (!(s->efer & EFER_LMA) || (s->cr3 & 0xfff)))
		return false;
	return true;
}

bool nkvm_x86_cr_write_valid(const struct kvm_sregs *s, unsigned int cr,
			     u64 val, u64 cr4_rsvd)
{
	switch (cr) {
	case 0:
		return x86_cr0_write_valid(s, val);
	case 4:
		return x86_cr4_write_valid(s, val, cr4_rsvd);
	}
	return false;
}

/* The same rules for the MSRs (msr.c). */
bool nkvm_x86_efer_valid(u64 efer)
{
	return !(efer & ~X86_EFER_ALLOWED);
}

bool nkvm_x86_apic_base_valid(u64 base)
{
	return x86_apic_base_valid(base,
				   ~((1ULL << boot_cpu_data.x86_phys_bits) - 1));
}

/*
 * cr4_rsvd: the CR4 bits the vCPU's CPUID makes reserved on top of what
 * the host lacks (e.g. OSXSAVE without CPUID.1:ECX.XSAVE), as stock.
 */
bool nkvm_x86_sregs_valid(const struct kvm_sregs *s, u64 cr4_rsvd)
{
	u64 pa_rsvd = ~((1ULL << boot_cpu_data.x86_phys_bits) - 1);
	unsigned int i;

	if (!x86_cr0_valid(s->cr0) || (s->cr4 & ~x86_cr4_allowed()) ||
	    (s->cr4 & cr4_rsvd) ||
	    (s->efer & ~X86_EFER_ALLOWED))
		return false;

	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG)) {
		/* Long mode: PAE paging, LMA set, CR3 inside the PA space. */
		if (!(s->cr4 & X86_CR4_PAE) || !(s->efer & EFER_LMA) ||
		    (s->cr3 & pa_rsvd))
			return false;
	} else if ((s->efer & EFER_LMA) || s->cs.l) {
		return false;
	}

	if (!x86_apic_base_valid(s->apic_base, pa_rsvd))
		return false;

	/* Injecting a pending interrupt this way is not supported yet. */
	for (i = 0; i < ARRAY_SIZE(s->interrupt_bitmap); i++)
		if (s->interrupt_bitmap[i])
			return false;
	return true;
}

#ifdef NKVM_KUNIT
#include "tests/sregs_kunit.c"
#endif
