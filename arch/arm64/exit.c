// SPDX-License-Identifier: GPL-2.0
/*
 * Guest exits: what the world switch reported (an interrupt, an SError,
 * an illegal entry, or a synchronous exception decoded through a table
 * indexed by its exception class), and the exceptions injected into the
 * guest when the answer is an UNDEFINED instruction or an abort.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <linux/kernel.h>

#include "arm64.h"

/* SCTLR_EL1 bits the exception entry looks at. */
#define SCTLR_SPAN	BIT(23)
#define SCTLR_DSSBS	BIT(44)

typedef int (*arm64_exit_fn)(struct nkvm_arm64_vcpu *av);

static bool exit_il32(struct nkvm_arm64_vcpu *av)
{
	return av->exit.esr & ESR_ELx_IL;
}

/* Step over the trapped instruction (4 bytes, or 2 for T16). */
void arm64_skip_instr(struct nkvm_arm64_vcpu *av)
{
	av->regs.regs.pc += exit_il32(av) ? 4 : 2;
	if (arm64_mode_is_32bit(av))
		av->regs.regs.pc &= 0xffffffff;
	av->regs.regs.pstate &= ~PSR_BTYPE_MASK;
}

/*
 * Take an exception to AArch64 EL1 as the CPU would: type_off is the
 * vector's offset within its group (0 synchronous, 0x180 SError).
 */
static void enter_el1(struct nkvm_arm64_vcpu *av, u64 type_off, u64 esr)
{
	u64 old = av->regs.regs.pstate, new, sctlr = av->sys[SR_SCTLR_EL1];
	u64 off;

	switch (old & (PSR_MODE32_BIT | PSR_MODE_MASK)) {
	case PSR_MODE_EL1t:
		off = 0;
		break;
	case PSR_MODE_EL1h:
		off = 0x200;
		break;
	case PSR_MODE_EL0t:
		off = 0x400;
		break;
	default:			/* AArch32 EL0 */
		off = 0x600;
		break;
	}
	av->regs.elr_el1 = av->regs.regs.pc;
	av->regs.spsr[KVM_SPSR_EL1] = old;
	av->sys[SR_ESR_EL1] = esr;

	new = PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT;
	if (!(sctlr & SCTLR_SPAN))
		new |= PSR_PAN_BIT;
	else
		new |= old & PSR_PAN_BIT;
	new |= old & PSR_DIT_BIT;
	if (sctlr & SCTLR_DSSBS)
		new |= PSR_SSBS_BIT;
	av->regs.regs.pstate = new;
	av->regs.regs.pc = av->sys[SR_VBAR_EL1] + off + type_off;
}

/*
 * Exceptions go to an AArch64 EL1. An AArch32 EL1 gets none yet: the exit
 * then ends in KVM_EXIT_INTERNAL_ERROR rather than retrying the
 * instruction for ever.
 */
static bool can_inject(struct nkvm_arm64_vcpu *av)
{
	if (!arm64_el1_is_32bit(av))
		return true;
	av->inject_failed = true;
	return false;
}

void arm64_inject_undef(struct nkvm_arm64_vcpu *av)
{
	u64 esr = (u64)ESR_ELx_EC_UNKNOWN << ESR_ELx_EC_SHIFT;

	if (!can_inject(av))
		return;
	if (exit_il32(av))
		esr |= ESR_ELx_IL;
	enter_el1(av, 0, esr);
}

/* A synchronous external abort on an instruction fetch or data access. */
void arm64_inject_abort(struct nkvm_arm64_vcpu *av, bool instr, u64 addr)
{
	bool from_el0 = arm64_mode_is_32bit(av) ||
			(av->regs.regs.pstate & PSR_MODE_MASK) == PSR_MODE_EL0t;
	u64 ec, esr = ESR_ELx_FSC_EXTABT;

	if (!can_inject(av))
		return;
	if (instr)
		ec = from_el0 ? ESR_ELx_EC_IABT_LOW : ESR_ELx_EC_IABT_CUR;
	else
		ec = from_el0 ? ESR_ELx_EC_DABT_LOW : ESR_ELx_EC_DABT_CUR;
	esr |= ec << ESR_ELx_EC_SHIFT;
	if (exit_il32(av))
		esr |= ESR_ELx_IL;
	av->sys[SR_FAR_EL1] = addr;
	enter_el1(av, 0, esr);
}

/* A virtual SError, taken by the guest when it unmasks aborts. */
void arm64_inject_serror(struct nkvm_arm64_vcpu *av)
{
	av->hcr |= HCR_VSE;
}

/* Anything the table does not know: UNDEFINED for the guest. */
static int handle_undef(struct nkvm_arm64_vcpu *av)
{
	arm64_inject_undef(av);
	return 1;
}

static bool vcpu_irq_pending(struct nkvm_vcpu *vcpu)
{
	struct nkvm_arm64_vcpu *av = to_av(vcpu);

	return READ_ONCE(av->irq_lines) || arm64_vcpu_stopped(av) ||
	       READ_ONCE(av->reset_pending);
}

/*
 * WFI: sleep until an interrupt line of the vCPU is raised or a signal
 * comes (the run loop then exits with KVM_EXIT_INTR). WFE: a hint only.
 */
static int handle_wfx(struct nkvm_arm64_vcpu *av)
{
	arm64_skip_instr(av);
	if (av->exit.esr & 1)			/* TI: WFE */
		return 1;
	nkvm_vcpu_block(&av->vcpu, vcpu_irq_pending);
	return 1;
}

static const arm64_exit_fn arm64_exit_handlers[ESR_ELx_EC_MAX + 1] = {
	[ESR_ELx_EC_WFx]	= handle_wfx,
	[ESR_ELx_EC_HVC32]	= arm64_handle_hvc,
	[ESR_ELx_EC_HVC64]	= arm64_handle_hvc,
	[ESR_ELx_EC_SMC32]	= arm64_handle_smc,
	[ESR_ELx_EC_SMC64]	= arm64_handle_smc,
	[ESR_ELx_EC_SYS64]	= arm64_handle_sysreg,
	[ESR_ELx_EC_IABT_LOW]	= arm64_handle_iabt,
	[ESR_ELx_EC_DABT_LOW]	= arm64_handle_dabt,
};

/* 1: back into the guest; 0: kvm_run holds an exit; -errno. */
int arm64_handle_exit(struct nkvm_arm64_vcpu *av)
{
	struct kvm_run *run = av->vcpu.run;
	arm64_exit_fn fn;
	int r;

	switch (av->exit.code) {
	case NKVM_ARM64_EXIT_IRQ:
		return 1;
	case NKVM_ARM64_EXIT_SERROR:
		arm64_inject_serror(av);
		return 1;
	case NKVM_ARM64_EXIT_IL:
		/* An illegal exception return: the guest state is bad. */
		run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_entry_failure_reason = 0;
		run->fail_entry.cpu = raw_smp_processor_id();
		return -EINVAL;
	}
	fn = arm64_exit_handlers[ESR_ELx_EC(av->exit.esr)];
	r = fn ? fn(av) : handle_undef(av);
	if (av->inject_failed) {
		av->inject_failed = false;
		run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
		run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
		run->internal.ndata = 1;
		run->internal.data[0] = av->exit.esr;
		return 0;
	}
	return r;
}
