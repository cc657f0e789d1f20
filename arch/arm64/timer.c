// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's EL1 timers. Their registers live in av->sys and are loaded
 * around each entry (hyp.c); the virtual counter's offset CNTVOFF_EL2 is
 * the VM's, so all its vCPUs read the same virtual count. It is set when
 * the VM and each of its vCPUs are created (the count starts at 0, as
 * stock) and by a write of KVM_REG_ARM_TIMER_CNT.
 */
#define pr_fmt(fmt) "nkvm: " fmt

#include <asm/arch_timer.h>

#include "arm64.h"

u64 arm64_phys_count(void)
{
	return __arch_counter_get_cntpct();
}

void arm64_timer_vm_init(struct nkvm_arm64_vm *avm)
{
	WRITE_ONCE(avm->cntvoff, arm64_phys_count());
}

bool arm64_is_timer_reg(u64 id)
{
	switch (id) {
	case KVM_REG_ARM_TIMER_CTL:
	case KVM_REG_ARM_TIMER_CNT:
	case KVM_REG_ARM_TIMER_CVAL:
	case KVM_REG_ARM_PTIMER_CTL:
	case KVM_REG_ARM_PTIMER_CNT:
	case KVM_REG_ARM_PTIMER_CVAL:
		return true;
	}
	return false;
}

int arm64_timer_get_reg(struct nkvm_arm64_vcpu *av, u64 id, u64 *val)
{
	switch (id) {
	case KVM_REG_ARM_TIMER_CTL:
		*val = av->sys[SR_CNTV_CTL_EL0];
		break;
	case KVM_REG_ARM_TIMER_CVAL:
		*val = av->sys[SR_CNTV_CVAL_EL0];
		break;
	case KVM_REG_ARM_TIMER_CNT:
		*val = arm64_phys_count() - READ_ONCE(av_vm(av)->cntvoff);
		break;
	case KVM_REG_ARM_PTIMER_CTL:
		*val = av->sys[SR_CNTP_CTL_EL0];
		break;
	case KVM_REG_ARM_PTIMER_CVAL:
		*val = av->sys[SR_CNTP_CVAL_EL0];
		break;
	default:
		*val = arm64_phys_count();
		break;
	}
	return 0;
}

/* ISTATUS is the hardware's to compute: userspace's is ignored. */
#define CNT_CTL_WRITABLE	(ARCH_TIMER_CTRL_ENABLE | ARCH_TIMER_CTRL_IT_MASK)

int arm64_timer_set_reg(struct nkvm_arm64_vcpu *av, u64 id, u64 val)
{
	switch (id) {
	case KVM_REG_ARM_TIMER_CTL:
		av->sys[SR_CNTV_CTL_EL0] = val & CNT_CTL_WRITABLE;
		break;
	case KVM_REG_ARM_TIMER_CVAL:
		av->sys[SR_CNTV_CVAL_EL0] = val;
		break;
	case KVM_REG_ARM_TIMER_CNT:
		WRITE_ONCE(av_vm(av)->cntvoff, arm64_phys_count() - val);
		break;
	case KVM_REG_ARM_PTIMER_CTL:
		av->sys[SR_CNTP_CTL_EL0] = val & CNT_CTL_WRITABLE;
		break;
	case KVM_REG_ARM_PTIMER_CVAL:
		av->sys[SR_CNTP_CVAL_EL0] = val;
		break;
	default:
		/* The physical counter cannot be moved. */
		break;
	}
	return 0;
}
