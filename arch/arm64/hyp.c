// SPDX-License-Identifier: GPL-2.0
/*
 * The C half of the world switch (switch.S holds the other half): the
 * system registers around one guest entry.
 *
 * INVARIANT: arm64_world_switch() runs with DAIF masked and preemption
 * off (kernel_neon_begin() in run.c) and, when it returns, every register
 * it wrote holds the host's value again, except the EL1 registers listed
 * below as guest-only. What it switches:
 *
 *  - EL2 controls, saved and restored: HCR_EL2 (TGE=0 only while the
 *    guest runs), CPTR_EL2 (as CPACR_EL1), MDCR_EL2, HSTR_EL2, CNTHCTL_EL2,
 *    CNTVOFF_EL2, VTTBR_EL2, VTCR_EL2, VPIDR_EL2, VMPIDR_EL2; VBAR_EL2
 *    (switch.S);
 *  - registers the host uses too, saved and restored: TPIDR_EL0,
 *    TPIDRRO_EL0 (the task's TLS), MDSCR_EL1, PAR_EL1, CSSELR_EL1,
 *    SP_EL0 and PSTATE.PAN (switch.S), x18-x30 (switch.S);
 *  - FP/SIMD: the kernel's own kernel_neon_begin() saved the task's state
 *    (FP/SIMD and SVE) before; the guest's V0-V31/FPSR/FPCR are loaded
 *    here and saved back; kernel_neon_end() gives the registers back;
 *  - guest-only, loaded before and saved after each entry, never read by
 *    a VHE host (its EL1 registers are the EL2 ones, reached through the
 *    same names): the EL1 registers behind the _EL12/_EL02 aliases, SP_EL1,
 *    TPIDR_EL1, the EL1 timers (disabled again on the way out so they
 *    raise nothing while the host runs), DISR_EL1 (VDISR_EL2) and the
 *    AArch32 banked state. They keep the last guest's values.
 *
 * The guest cannot reach host memory: stage 2 (VTTBR_EL2) maps only its
 * memslots, and its EL1 regime is translated under its VMID.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/kernel.h>
#include <linux/percpu.h>
#include <asm/barrier.h>
#include <asm/cpufeature.h>
#include <asm/daifflags.h>
#include <asm/sysreg.h>
#include <asm/tlbflush.h>

#include "arm64.h"

/* PSTATE.M values that may be ERETed to (AArch64). */
#define GUEST_MODES64	(BIT(PSR_MODE_EL0t) | BIT(PSR_MODE_EL1t) | \
			 BIT(PSR_MODE_EL1h))
/* AArch32 modes, by M[3:0]: usr, fiq, irq, svc, abt, und, sys. */
#define GUEST_MODES32	(BIT(0x0) | BIT(0x1) | BIT(0x2) | BIT(0x3) | \
			 BIT(0x7) | BIT(0xb) | BIT(0xf))

#define MDSCR_MDE	BIT(15)

struct arm64_host_regs {
	u64 hcr, cptr, mdcr, hstr, cnthctl, cntvoff, vttbr, vtcr;
	u64 vpidr, vmpidr, tpidr_el0, tpidrro_el0, mdscr, par, csselr;
};

static bool arm64_has_ras;	/* set once at load */

/* The layout switch.S assumes. */
static_assert(offsetof(struct kvm_regs, regs.regs[0]) == 0);
static_assert(offsetof(struct kvm_regs, regs.sp) == 248);
static_assert(offsetof(struct user_fpsimd_state, fpsr) == 512);
static_assert(offsetof(struct user_fpsimd_state, fpcr) == 516);

int arm64_hyp_init(void)
{
	arm64_has_ras = cpus_have_const_cap(ARM64_HAS_RAS_EXTN);
	return 0;
}

/* Called from switch.S on an EL2 exception that is a bug of ours. */
asmlinkage void __noreturn nkvm_arm64_hyp_panic(u64 esr, u64 elr, u64 far,
						u64 spsr)
{
	write_sysreg(HCR_HOST_VHE_FLAGS, hcr_el2);
	isb();
	panic("nkvm: unexpected EL2 exception: ESR %llx ELR %llx FAR %llx SPSR %llx\n",
	      esr, elr, far, spsr);
}

static bool guest_pstate_ok(struct nkvm_arm64_vcpu *av)
{
	u64 pstate = av->regs.regs.pstate;

	if (pstate & PSR_MODE32_BIT)
		return arm64_el1_is_32bit(av) &&
		       (GUEST_MODES32 & BIT(pstate & 0xf));
	return !arm64_el1_is_32bit(av) && (GUEST_MODES64 & BIT(pstate & 0xf));
}

static void save_host(struct arm64_host_regs *h)
{
	h->hcr = read_sysreg(hcr_el2);
	h->cptr = read_sysreg(cpacr_el1);	/* CPTR_EL2 under E2H */
	h->mdcr = read_sysreg(mdcr_el2);
	h->hstr = read_sysreg(hstr_el2);
	h->cnthctl = read_sysreg(cnthctl_el2);
	h->cntvoff = read_sysreg(cntvoff_el2);
	h->vttbr = read_sysreg(vttbr_el2);
	h->vtcr = read_sysreg(vtcr_el2);
	h->vpidr = read_sysreg(vpidr_el2);
	h->vmpidr = read_sysreg(vmpidr_el2);
	h->tpidr_el0 = read_sysreg(tpidr_el0);
	h->tpidrro_el0 = read_sysreg(tpidrro_el0);
	h->mdscr = read_sysreg(mdscr_el1);
	h->par = read_sysreg_par();
	h->csselr = read_sysreg(csselr_el1);
}

static void restore_host(const struct arm64_host_regs *h)
{
	write_sysreg(h->hcr, hcr_el2);
	isb();
	write_sysreg(h->cptr, cpacr_el1);
	write_sysreg(h->mdcr, mdcr_el2);
	write_sysreg(h->hstr, hstr_el2);
	write_sysreg(h->cnthctl, cnthctl_el2);
	write_sysreg(h->cntvoff, cntvoff_el2);
	write_sysreg(h->vttbr, vttbr_el2);
	write_sysreg(h->vtcr, vtcr_el2);
	write_sysreg(h->vpidr, vpidr_el2);
	write_sysreg(h->vmpidr, vmpidr_el2);
	write_sysreg(h->tpidr_el0, tpidr_el0);
	write_sysreg(h->tpidrro_el0, tpidrro_el0);
	write_sysreg(h->mdscr, mdscr_el1);
	write_sysreg(h->par, par_el1);
	write_sysreg(h->csselr, csselr_el1);
	isb();
}

static void load_guest_el1(struct nkvm_arm64_vcpu *av)
{
	const u64 *s = av->sys;

	if (arm64_el1_is_32bit(av)) {
		write_sysreg(av->spsr32.abt, spsr_abt);
		write_sysreg(av->spsr32.und, spsr_und);
		write_sysreg(av->spsr32.irq, spsr_irq);
		write_sysreg(av->spsr32.fiq, spsr_fiq);
		write_sysreg(s[SR_DACR32_EL2], dacr32_el2);
		write_sysreg(s[SR_IFSR32_EL2], ifsr32_el2);
		write_sysreg(s[SR_FPEXC32_EL2], fpexc32_el2);
		write_sysreg(s[SR_DBGVCR32_EL2], dbgvcr32_el2);
	}
	write_sysreg(s[SR_MPIDR_EL1], vmpidr_el2);
	write_sysreg(arm64_guest_midr(), vpidr_el2);
	write_sysreg(s[SR_CSSELR_EL1], csselr_el1);
	write_sysreg_s(s[SR_SCTLR_EL1], SYS_SCTLR_EL12);
	write_sysreg_s(s[SR_TCR_EL1], SYS_TCR_EL12);
	write_sysreg_s(s[SR_CPACR_EL1], SYS_CPACR_EL12);
	write_sysreg_s(s[SR_TTBR0_EL1], SYS_TTBR0_EL12);
	write_sysreg_s(s[SR_TTBR1_EL1], SYS_TTBR1_EL12);
	write_sysreg_s(s[SR_ESR_EL1], SYS_ESR_EL12);
	write_sysreg_s(s[SR_AFSR0_EL1], SYS_AFSR0_EL12);
	write_sysreg_s(s[SR_AFSR1_EL1], SYS_AFSR1_EL12);
	write_sysreg_s(s[SR_FAR_EL1], SYS_FAR_EL12);
	write_sysreg_s(s[SR_MAIR_EL1], SYS_MAIR_EL12);
	write_sysreg_s(s[SR_AMAIR_EL1], SYS_AMAIR_EL12);
	write_sysreg_s(s[SR_VBAR_EL1], SYS_VBAR_EL12);
	write_sysreg_s(s[SR_CONTEXTIDR_EL1], SYS_CONTEXTIDR_EL12);
	write_sysreg_s(s[SR_CNTKCTL_EL1], SYS_CNTKCTL_EL12);
	write_sysreg(s[SR_PAR_EL1], par_el1);
	write_sysreg(s[SR_TPIDR_EL1], tpidr_el1);
	write_sysreg(s[SR_TPIDR_EL0], tpidr_el0);
	write_sysreg(s[SR_TPIDRRO_EL0], tpidrro_el0);
	/* Breakpoints are not switched: the guest's MDE stays off. */
	write_sysreg(s[SR_MDSCR_EL1] & ~MDSCR_MDE, mdscr_el1);
	write_sysreg(av->regs.sp_el1, sp_el1);
	write_sysreg_s(av->regs.elr_el1, SYS_ELR_EL12);
	write_sysreg_s(av->regs.spsr[KVM_SPSR_EL1], SYS_SPSR_EL12);
	if (arm64_has_ras)
		write_sysreg_s(s[SR_DISR_EL1], SYS_VDISR_EL2);
	/* The EL1 timers. */
	write_sysreg(READ_ONCE(av_vm(av)->cntvoff), cntvoff_el2);
	write_sysreg_s(s[SR_CNTV_CVAL_EL0], SYS_CNTV_CVAL_EL02);
	write_sysreg_s(s[SR_CNTV_CTL_EL0], SYS_CNTV_CTL_EL02);
	write_sysreg_s(s[SR_CNTP_CVAL_EL0], SYS_CNTP_CVAL_EL02);
	write_sysreg_s(s[SR_CNTP_CTL_EL0], SYS_CNTP_CTL_EL02);
}

static void save_guest_el1(struct nkvm_arm64_vcpu *av)
{
	u64 *s = av->sys;

	s[SR_CSSELR_EL1] = read_sysreg(csselr_el1);
	s[SR_SCTLR_EL1] = read_sysreg_s(SYS_SCTLR_EL12);
	s[SR_TCR_EL1] = read_sysreg_s(SYS_TCR_EL12);
	s[SR_CPACR_EL1] = read_sysreg_s(SYS_CPACR_EL12);
	s[SR_TTBR0_EL1] = read_sysreg_s(SYS_TTBR0_EL12);
	s[SR_TTBR1_EL1] = read_sysreg_s(SYS_TTBR1_EL12);
	s[SR_ESR_EL1] = read_sysreg_s(SYS_ESR_EL12);
	s[SR_AFSR0_EL1] = read_sysreg_s(SYS_AFSR0_EL12);
	s[SR_AFSR1_EL1] = read_sysreg_s(SYS_AFSR1_EL12);
	s[SR_FAR_EL1] = read_sysreg_s(SYS_FAR_EL12);
	s[SR_MAIR_EL1] = read_sysreg_s(SYS_MAIR_EL12);
	s[SR_AMAIR_EL1] = read_sysreg_s(SYS_AMAIR_EL12);
	s[SR_VBAR_EL1] = read_sysreg_s(SYS_VBAR_EL12);
	s[SR_CONTEXTIDR_EL1] = read_sysreg_s(SYS_CONTEXTIDR_EL12);
	s[SR_CNTKCTL_EL1] = read_sysreg_s(SYS_CNTKCTL_EL12);
	s[SR_PAR_EL1] = read_sysreg_par();
	s[SR_TPIDR_EL1] = read_sysreg(tpidr_el1);
	s[SR_TPIDR_EL0] = read_sysreg(tpidr_el0);
	s[SR_TPIDRRO_EL0] = read_sysreg(tpidrro_el0);
	av->regs.sp_el1 = read_sysreg(sp_el1);
	av->regs.elr_el1 = read_sysreg_s(SYS_ELR_EL12);
	av->regs.spsr[KVM_SPSR_EL1] = read_sysreg_s(SYS_SPSR_EL12);
	if (arm64_has_ras)
		s[SR_DISR_EL1] = read_sysreg_s(SYS_VDISR_EL2);
	s[SR_CNTV_CTL_EL0] = read_sysreg_s(SYS_CNTV_CTL_EL02);
	s[SR_CNTV_CVAL_EL0] = read_sysreg_s(SYS_CNTV_CVAL_EL02);
	s[SR_CNTP_CTL_EL0] = read_sysreg_s(SYS_CNTP_CTL_EL02);
	s[SR_CNTP_CVAL_EL0] = read_sysreg_s(SYS_CNTP_CVAL_EL02);
	write_sysreg_s(0, SYS_CNTV_CTL_EL02);
	write_sysreg_s(0, SYS_CNTP_CTL_EL02);
	if (arm64_el1_is_32bit(av)) {
		av->spsr32.abt = read_sysreg(spsr_abt);
		av->spsr32.und = read_sysreg(spsr_und);
		av->spsr32.irq = read_sysreg(spsr_irq);
		av->spsr32.fiq = read_sysreg(spsr_fiq);
		s[SR_DACR32_EL2] = read_sysreg(dacr32_el2);
		s[SR_IFSR32_EL2] = read_sysreg(ifsr32_el2);
		s[SR_FPEXC32_EL2] = read_sysreg(fpexc32_el2);
		s[SR_DBGVCR32_EL2] = read_sysreg(dbgvcr32_el2);
	}
}

/*
 * The guest's traps: FP/SIMD free (its registers are loaded), SVE, SME,
 * trace and activity monitors trapped; debug and PMU registers trapped
 * (MDCR_EL2), the host's counter partition (HPMN) kept.
 */
static u64 guest_cptr(u64 host)
{
	u64 v = host;

	v |= CPACR_EL1_FPEN_EL0EN | CPACR_EL1_FPEN_EL1EN | CPACR_EL1_TTA |
	     CPTR_EL2_TAM;
	v &= ~(CPACR_EL1_ZEN_EL0EN | CPACR_EL1_ZEN_EL1EN |
	       CPACR_EL1_SMEN_EL0EN | CPACR_EL1_SMEN_EL1EN);
	return v;
}

static u64 guest_mdcr(u64 host)
{
	return (host & MDCR_EL2_HPMN_MASK) | MDCR_EL2_TPM | MDCR_EL2_TPMS |
	       MDCR_EL2_TTRF | MDCR_EL2_TPMCR | MDCR_EL2_TDRA |
	       MDCR_EL2_TDOSA | MDCR_EL2_TDA;
}

/* EL1 physical counter and timer reachable from EL1 (E2H layout). */
#define CNTHCTL_EL1PCTEN_E2H	BIT(10)
#define CNTHCTL_EL1PTEN_E2H	BIT(11)

/*
 * Another vCPU of this VM ran on this CPU since this one did: its EL1&0
 * TLB entries (same VMID, maybe the same ASIDs with other tables) and
 * instruction cache lines must not be this vCPU's. Invalidate them
 * locally; the VM's VMID is in VTTBR_EL2 and HCR_EL2.TGE is clear here.
 */
static void flush_if_other_vcpu(struct nkvm_arm64_vcpu *av)
{
	int *last = this_cpu_ptr(av_vm(av)->last_vcpu_ran);

	if (*last == (int)av->vcpu.vcpu_idx)
		return;
	__tlbi(vmalle1);
	asm volatile("ic iallu");
	dsb(nsh);
	isb();
	*last = av->vcpu.vcpu_idx;
}

/*
 * Enter the guest once and record why it came back in av->exit. Returns
 * with the host's state back (see the invariant at the top).
 */
void arm64_world_switch(struct nkvm_arm64_vcpu *av)
{
	struct nkvm_arm64_vm *avm = av_vm(av);
	struct arm64_host_regs host;
	u64 hcr;

	lockdep_assert_irqs_disabled();
	if (!guest_pstate_ok(av)) {
		av->exit.code = NKVM_ARM64_EXIT_IL;
		return;
	}
	save_host(&host);

	nkvm_arm64_fp_load(&av->regs.fp_regs);
	load_guest_el1(av);
	write_sysreg(guest_cptr(host.cptr), cpacr_el1);
	write_sysreg(guest_mdcr(host.mdcr), mdcr_el2);
	write_sysreg(arm64_el1_is_32bit(av) ? BIT(15) : 0, hstr_el2);
	write_sysreg(host.cnthctl | CNTHCTL_EL1PCTEN_E2H | CNTHCTL_EL1PTEN_E2H,
		     cnthctl_el2);
	write_sysreg(avm->s2.vtcr, vtcr_el2);
	write_sysreg(avm->s2.vttbr, vttbr_el2);
	isb();

	hcr = av->hcr;
	if (test_bit(ARM64_IRQ_LINE_IRQ, &av->irq_lines))
		hcr |= HCR_VI;
	if (test_bit(ARM64_IRQ_LINE_FIQ, &av->irq_lines))
		hcr |= HCR_VF;
	write_sysreg(hcr, hcr_el2);
	isb();
	flush_if_other_vcpu(av);
	write_sysreg_s(av->regs.regs.pc, SYS_ELR_EL2);
	write_sysreg_s(av->regs.regs.pstate, SYS_SPSR_EL2);

	av->exit.code = nkvm_arm64_enter(&av->regs,
					 (u64)nkvm_arm64_vectors);

	/* After an illegal return they describe EL2, not the guest. */
	if (av->exit.code != NKVM_ARM64_EXIT_IL) {
		av->regs.regs.pc = read_sysreg_s(SYS_ELR_EL2);
		av->regs.regs.pstate = read_sysreg_s(SYS_SPSR_EL2);
	}
	av->exit.esr = read_sysreg_s(SYS_ESR_EL2);
	av->exit.far = read_sysreg_s(SYS_FAR_EL2);
	av->exit.hpfar = read_sysreg(hpfar_el2);
	/* A pending virtual SError the guest took clears VSE. */
	if (av->hcr & HCR_VSE)
		av->hcr = (av->hcr & ~HCR_VSE) | (read_sysreg(hcr_el2) & HCR_VSE);

	save_guest_el1(av);
	nkvm_arm64_fp_save(&av->regs.fp_regs);
	restore_host(&host);
}
